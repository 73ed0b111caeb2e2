"""API flow control (setting rate_limit, ecs_emulator/ratelimit.py) through the official SDKs.

Buckets are made so small or so slow to refill that the outcome of every call is certain; the
one refill test only waits longer than the refill needs.  Nothing here measures time.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from alibabacloud_tea_openapi import exceptions as tea_exceptions

from ecs_emulator.config import DEFAULT_CONFIG, ConfigError, default_config, merge_config
from ecs_emulator.ratelimit import parse_spec
from tests.emulator.actions_support import assert_error
from tests.helpers.emulator import READONLY_KEY, Emulator, EmulatorError, sdk_call

MESSAGE = "Request was denied due to user flow control."
SLOW = {"rate": 0.001, "burst": 2}  # two calls, then none for 1000 s


def limit(emulator, **settings) -> dict:
    return emulator.config({"rate_limit": {"enabled": True, **settings}})["rate_limit"]


def codes(emulator, action: str = "DescribeInstances") -> list[str | None]:
    return [c["code"] for c in emulator.calls(action)]


def test_off_by_default(emulator, ecs):
    assert emulator.config()["rate_limit"]["enabled"] is False
    for _ in range(30):
        ecs.call("DescribeInstances")
    assert codes(emulator) == [None] * 30


def test_an_empty_bucket_answers_throttling_user_and_changes_nothing(emulator, ecs):
    limit(emulator, actions={"DescribeInstances": SLOW, "RunInstances": {"rate": 0.001, "burst": 1}})
    ecs.describe()
    ecs.describe()
    exc = ecs.error("DescribeInstances")
    assert_error(exc, "Throttling.User", 400, MESSAGE)
    ecs.run()
    assert_error(ecs.error("RunInstances", ImageId="x", Amount=5), "Throttling.User", 400, MESSAGE)  # before validation
    assert len(emulator.instances()) == 1
    log = emulator.calls()
    assert [(c["action"], c["code"], c["fault"]) for c in log if c["code"]] == [
        ("DescribeInstances", "Throttling.User", "rate_limit"),
        ("RunInstances", "Throttling.User", "rate_limit"),
    ]


def test_each_action_region_and_account_has_its_own_bucket(emulator, ecs, acs_client):
    limit(emulator, default=SLOW)
    ecs.describe()
    ecs.describe()
    assert ecs.error("DescribeInstances").get_error_code() == "Throttling.User"
    ecs.call("DescribeRegions")  # another action: its own bucket
    ecs.call("DescribeInstances", RegionId="cn-beijing")  # another region
    # The ECS rule: one account's RAM users and keys share its quota (scope "account", the default).
    readonly = emulator.acs_client(READONLY_KEY)
    from tests.emulator.actions_support import Ecs

    assert Ecs(readonly).error("DescribeInstances").get_error_code() == "Throttling.User"
    limit(emulator, scope="access_key")
    Ecs(readonly).describe()  # per AccessKeyId now
    limit(emulator, per_region=False, scope="account", actions={"DescribeZones": SLOW})
    ecs.call("DescribeZones")
    ecs.call("DescribeZones", RegionId="cn-beijing")
    assert ecs.error("DescribeZones", RegionId="cn-shanghai").get_error_code() == "Throttling.User"


def test_retry_after_header_gives_the_new_sdk_a_throttling_exception(emulator, new_sdk_client):
    limit(emulator, actions={"DescribeRegions": {"rate": 1e-6, "burst": 2}})
    client = new_sdk_client()
    sdk_call(client, "DescribeRegions")
    sdk_call(client, "DescribeRegions")
    with pytest.raises(tea_exceptions.ThrottlingException) as info:
        sdk_call(client, "DescribeRegions")
    # One token every 10^6 s, none left: the next one is about 10^9 ms away (in milliseconds, reference 8.5).
    assert info.value.code == "Throttling.User" and 0.99e9 < info.value.retry_after <= 1e9
    limit(emulator, retry_after=False)
    with pytest.raises(tea_exceptions.ClientException) as info:
        sdk_call(client, "DescribeRegions")
    assert not isinstance(info.value, tea_exceptions.ThrottlingException)
    assert info.value.code == "Throttling.User"


def test_the_old_sdk_does_not_retry_throttling_user(emulator, ecs):
    limit(emulator, actions={"DescribeInstances": {"rate": 0.001, "burst": 1}})
    ecs.describe()
    assert ecs.error("DescribeInstances").get_error_code() == "Throttling.User"
    assert codes(emulator) == [None, "Throttling.User"]  # one attempt (reference 6.1)


def test_a_bucket_refills_at_its_rate(emulator, ecs):
    limit(emulator, actions={"DescribeInstances": {"rate": 50, "burst": 1}})
    ecs.describe()
    assert ecs.error("DescribeInstances").get_error_code() == "Throttling.User"
    time.sleep(0.5)  # 25 tokens' worth; the bucket holds one
    ecs.describe()
    assert codes(emulator)[-1] is None


def test_reset_and_new_limits_fill_the_buckets(emulator, ecs):
    limit(emulator, actions={"DescribeInstances": SLOW})
    ecs.describe()
    ecs.describe()
    assert ecs.error("DescribeInstances").get_error_code() == "Throttling.User"
    limit(emulator, actions={"DescribeInstances": {"rate": 0.001, "burst": 3}})
    ecs.describe()
    emulator.reset()  # keeps settings, empties the buckets' use
    ecs.describe()
    ecs.describe()
    state = emulator.control("GET", "ratelimit")
    assert state["rate_limit"]["actions"]["DescribeInstances"]["burst"] == 3
    [bucket] = state["buckets"]
    assert (bucket["action"], bucket["caller"], bucket["region"]) == ("DescribeInstances", "1234567890123456",
                                                                      "cn-hangzhou")
    assert bucket["tokens"] == pytest.approx(1, abs=0.01)


@pytest.mark.parametrize("update", [
    {"enabled": "yes"},
    {"scope": "user"},
    {"default": {"rate": 0, "burst": 1}},
    {"default": {"rate": 1, "burst": 0.5}},
    {"default": {"rate": "fast", "burst": 1}},
    {"default": {"rate": float("inf"), "burst": 1}},
    {"default": {"rate": 1}},
    {"actions": {"DescribeInstances": {"rate": 1, "burst": 1, "window": 60}}},
    {"actions": ["DescribeInstances"]},
    {"actions": {"": {"rate": 1, "burst": 1}}},
    {"per_minute": 10},
    "on",
])
def test_ill_typed_settings_answer_400_and_change_nothing(emulator, update):
    before = emulator.config()
    with pytest.raises(EmulatorError, match="-> 400"):
        emulator.config({"rate_limit": update})
    assert emulator.config() == before
    with pytest.raises((ConfigError, KeyError)):
        merge_config(default_config(), {"rate_limit": update})


def test_defaults_and_the_command_line_spec():
    assert DEFAULT_CONFIG["rate_limit"] == {
        "enabled": False, "scope": "account", "per_region": True, "retry_after": True,
        "default": {"rate": 10.0, "burst": 10.0}, "actions": {},
    }
    assert parse_spec("off") == {"enabled": False}
    assert parse_spec("on") == {"enabled": True}
    assert parse_spec("5") == {"enabled": True, "default": {"rate": 5.0, "burst": 5.0}}
    assert parse_spec("0.5/4") == {"enabled": True, "default": {"rate": 0.5, "burst": 4.0}}
    assert parse_spec("DescribeInstances=2/4, RunInstances=0.5,*=20") == {
        "enabled": True,
        "default": {"rate": 20.0, "burst": 20.0},
        "actions": {"DescribeInstances": {"rate": 2.0, "burst": 4.0}, "RunInstances": {"rate": 0.5, "burst": 1.0}},
    }
    for bad in ("fast", "=3", "DescribeInstances=", "1,,2"):
        with pytest.raises(ValueError):
            parse_spec(bad)


def test_command_line_flag():
    with Emulator("--delays", "fast", "--rate-limit", "DescribeInstances=0.001/1,*=100") as emu:
        settings = emu.config()["rate_limit"]
        assert settings["enabled"] and settings["default"] == {"rate": 100.0, "burst": 100.0}
        client = emu.acs_client()
        from tests.emulator.actions_support import Ecs

        Ecs(client).describe()
        assert Ecs(client).error("DescribeInstances").get_error_code() == "Throttling.User"
    for bad in ("sometimes", "DescribeInstances=-1", "0/5"):
        result = subprocess.run([sys.executable, "-m", "ecs_emulator", "--rate-limit", bad], capture_output=True,
                                text=True, timeout=30)
        assert result.returncode == 2 and "rate" in result.stderr.lower() and result.stdout == "", bad
