"""Fixtures: one emulator process per test session, reset before every test that uses it."""

from __future__ import annotations

import os

import pytest

from tests.emulator.actions_support import Ecs
from tests.helpers.emulator import DEFAULT_KEY, Emulator, make_acs_client, make_sdk_client

PLUGIN = "tests.helpers.plugin_actions"

# A developer's proxy must not capture calls to the local emulator; the old SDK reads
# HTTP_PROXY itself and ignores NO_PROXY, so the variables are removed for this test session.
for _name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def emulator():
    """Zero transition delays; signatures, nonces and timestamps checked as in production."""
    with Emulator("--delays", "fast", "--plugin", PLUGIN) as emu:
        emu.baseline_config = emu.config()
        yield emu


@pytest.fixture(autouse=True)
def _reset_emulator(request):
    """Any test that uses the session emulator starts from seed data, no faults, empty call log."""
    if "emulator" in request.fixturenames:
        emu = request.getfixturevalue("emulator")
        if not emu.running:  # a test killed it: bring it back for the next ones
            emu.restart()
        emu.reset()
        emu.config(emu.baseline_config)
    yield


@pytest.fixture
def acs_client(emulator):
    """aliyunsdkcore AcsClient (signature V1) pointed at the emulator, region cn-hangzhou."""
    return make_acs_client(emulator.hostport, DEFAULT_KEY, "cn-hangzhou")


@pytest.fixture
def ecs(acs_client) -> Ecs:
    """The ``Ecs`` driver of actions_support.py over ``acs_client``: ``ecs.call("DescribeInstances", ...)``."""
    return Ecs(acs_client)


@pytest.fixture
def new_sdk_client(emulator):
    """Factory: new_sdk_client(signature_algorithm=None|"v2", key=..., region=...)."""

    def build(signature_algorithm=None, key=DEFAULT_KEY, region="cn-hangzhou", **kwargs):
        return make_sdk_client(emulator.hostport, key, region, signature_algorithm, **kwargs)

    return build
