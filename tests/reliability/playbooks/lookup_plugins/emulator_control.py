# Test helper of tests/reliability (not part of the collection).
"""Calls the emulator's control API from the controller, without a module run per call.

    lookup('emulator_control', 'faults', method='POST', body=rules, control=control)
    lookup('emulator_control', 'instances', control=control)

Returns the decoded JSON answer; an HTTP error fails the task.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

DOCUMENTATION = r"""
name: emulator_control
short_description: Call the ECS emulator's control API (tests only)
description: Sends one request to C(<control>/<path>) and returns the decoded JSON answer.
options:
  _terms:
    description: Path under the control API, for example C(faults).
    required: true
  control:
    description: Base URL of the control API, C(http://HOST:PORT/_emulator).
    type: str
    required: true
  method:
    description: HTTP method.
    type: str
    default: GET
  body:
    description: JSON body.
    type: raw
  ca_bundle:
    description: CA certificates (PEM) to verify an HTTPS control API with.
    type: str
"""


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        self.set_options(var_options=variables, direct=kwargs)
        control, method, body = self.get_option("control"), self.get_option("method"), self.get_option("body")
        bundle = self.get_option("ca_bundle")
        context = ssl.create_default_context(cafile=bundle) if bundle else None
        answers = []
        for path in terms:
            data = None if body is None else json.dumps(body).encode()
            request = urllib.request.Request("%s/%s" % (control.rstrip("/"), path), data=data, method=method,
                                             headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30, context=context) as response:
                    answers.append(json.loads(response.read() or b"null"))
            except (urllib.error.URLError, OSError, ValueError) as exc:
                raise AnsibleError("emulator control %s %s failed: %s" % (method, path, exc))
        return answers
