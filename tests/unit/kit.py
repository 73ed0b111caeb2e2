"""Shared unit-test kit: a fake monotonic clock, and module parameters built from a module's real argument spec.

``FakeClock`` replaces ``time.monotonic``/``time.sleep`` in waiters, retry loops
and runners: reading it never moves time, only ``sleep`` does, so a test runs
no real sleep and can assert on every delay.

``module_params(module, **values)`` returns the parameters that
``AnsibleModule`` would give ``module.main()`` for the task arguments
``values``: the argument spec and its checks are taken from the call the module
really makes (shared specs merged in), and ansible-core's own
``ArgumentSpecValidator`` converts types and fills in every option, with its
default or None. A value the module would reject (unknown option, wrong type,
bad choice, a failed required_if...) fails the test, so no test can pass on
parameters the module never sees.

``patch_module_args`` and ``trust_as_template`` are ansible-core's own (2.19+),
with stand-ins for the older ansible-core that ``requires_ansible`` still
admits (2.16: no ``ansible.module_utils.testing``, no data tagging).
"""

from __future__ import annotations

import contextlib
import copy
import inspect
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

from ansible.module_utils import basic
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

try:  # ansible-core >= 2.19
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core 2.16 - 2.18

    @contextlib.contextmanager
    def patch_module_args(args: dict[str, Any] | None = None) -> Iterator[None]:
        """Expose ``args`` to the AnsibleModule instances created within this context (as ansible-core's tests do)."""
        if not isinstance(args, (dict, type(None))):
            raise TypeError("The `args` arg must be a dict or None.")
        args = dict(args or {})
        args.setdefault("_ansible_remote_tmp", "/tmp")
        args.setdefault("_ansible_keep_remote_files", False)
        payload = json.dumps({"ANSIBLE_MODULE_ARGS": args}).encode("utf-8")
        with mock.patch.object(basic, "_ANSIBLE_ARGS", payload):
            yield


try:  # ansible-core >= 2.19: data tagging, only trusted strings are templated
    from ansible.template import trust_as_template
except ImportError:  # before 2.19 every string is a template already

    def trust_as_template(value: Any) -> Any:
        """``value`` unchanged: ansible-core before 2.19 has no untrusted strings."""
        return value


__all__ = ["FakeClock", "module_params", "module_spec", "patch_module_args", "spec_params", "trust_as_template"]

# The AnsibleModule arguments that ArgumentSpecValidator checks too.
CHECKS = ("mutually_exclusive", "required_together", "required_one_of", "required_if", "required_by")


class FakeClock:
    """A monotonic clock that only ``sleep`` advances; ``sleeps`` records every delay asked for.

    It starts at an arbitrary non-zero time, as ``time.monotonic`` does: assert on
    ``elapsed``, not on ``now``.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.start = self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    @property
    def elapsed(self) -> float:
        return self.now - self.start


class _SpecSeen(Exception):
    def __init__(self, argument_spec: dict[str, Any], checks: dict[str, Any]) -> None:
        super().__init__("argument spec captured")
        self.argument_spec, self.checks = argument_spec, checks


def module_spec(module: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(argument_spec, checks) exactly as ``module.main()`` passes them to AnsibleModule."""
    signature = inspect.signature(AnsibleModule.__init__)

    def capture(*args: Any, **kwargs: Any) -> None:
        bound = signature.bind(*args, **kwargs).arguments
        raise _SpecSeen(bound["argument_spec"], {key: bound[key] for key in CHECKS if bound.get(key)})

    with mock.patch.object(AnsibleModule, "__init__", capture):
        try:
            module.main()
        except _SpecSeen as seen:
            return copy.deepcopy(seen.argument_spec), copy.deepcopy(seen.checks)
    raise AssertionError("%s.main() did not create an AnsibleModule" % module.__name__)


def spec_params(argument_spec: dict[str, Any], checks: dict[str, Any] | None = None, **values: Any) -> dict[str, Any]:
    """``values`` validated against ``argument_spec`` (and ``checks``) as AnsibleModule does; every option set."""
    result = ArgumentSpecValidator(copy.deepcopy(argument_spec), **(checks or {})).validate(values)
    if result.error_messages:
        raise AssertionError("the module would reject these parameters: %s" % "; ".join(result.error_messages))
    return result.validated_parameters


def module_params(module: Any, **values: Any) -> dict[str, Any]:
    """The parameters ``module`` (e.g. plugins.modules.ecs_instance) gets for the task arguments ``values``."""
    argument_spec, checks = module_spec(module)
    return spec_params(argument_spec, checks, **values)
