# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Base for the collection's modules: common options, the lazy client, one error conversion."""

from __future__ import annotations

import traceback
from typing import Any, Callable

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.alicloud.ecs.plugins.module_utils._args import CREDENTIALS_SPEC, merge_specs
from ansible_collections.alicloud.ecs.plugins.module_utils._client import (
    ALIYUN_SDK_IMPORT_ERROR,
    HAS_ALIYUN_SDK,
    EcsClient,
    connection_info,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsError, failure_data, failure_message


class EcsModule:
    """Wraps AnsibleModule: ``client`` is built on first use; ``fail`` converts EcsError once."""

    def __init__(self, argument_spec: dict[str, Any], **kwargs: Any) -> None:
        self.module = AnsibleModule(argument_spec=merge_specs(CREDENTIALS_SPEC, argument_spec), **kwargs)
        self.params = self.module.params
        self.check_mode = self.module.check_mode
        self._client: EcsClient | None = None
        if not HAS_ALIYUN_SDK:
            self.module.fail_json(
                msg=missing_required_lib("aliyun-python-sdk-core and aliyun-python-sdk-ecs"),
                exception="".join(traceback.format_exception_only(type(ALIYUN_SDK_IMPORT_ERROR), ALIYUN_SDK_IMPORT_ERROR)),
            )

    @property
    def client(self) -> EcsClient:
        if self._client is None:
            info = connection_info(self.params)
            # Secrets from the environment, a profile file, STS or the metadata service (now and after
            # each renewal of temporary credentials) are masked like no_log options.
            info["provider"].on_secret(self.module.no_log_values.add)
            for message in info["deprecations"]:
                self.module.deprecate(message, version="2.0.0", collection_name="alicloud.ecs")
            if info["verify"] is False and info["protocol"] == "https":
                self.module.warn("validate_certs is false: the TLS certificate of %s is not verified" % info["endpoint"])
            self._client = EcsClient(info)
        return self._client

    def warn(self, message: str) -> None:
        self.module.warn(message)

    def fail(self, err: EcsError, **result: Any) -> None:
        self.module.fail_json(msg=failure_message(err), failure=failure_data(err), **result)

    def run(self, func: Callable[["EcsModule"], dict[str, Any]]) -> None:
        """Call ``func(self)`` and exit with its result, or fail with the converted error."""
        error: EcsError | None = None
        try:
            result = func(self)
        except EcsError as err:
            error = err
        # Fail outside the except block: ansible-core would attach the (useless) Python traceback.
        if error is not None:
            self.fail(error, changed=getattr(error, "changed", False), **getattr(error, "partial", {}))
        self.module.exit_json(**result)
