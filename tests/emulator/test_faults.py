"""Fault injection over the control API: every kind, matching, counting, probability, and state effects."""

from __future__ import annotations

import http.client
import json
import time

import pytest
from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from alibabacloud_tea_openapi import exceptions as tea_exceptions

from ecs_emulator import faults as faults_mod
from tests.helpers.emulator import (
    RUN_DEFAULTS,
    EmulatorError,
    encode_query,
    has_action,
    json_body,
    run_instances,
    sdk_call,
    v1_call,
    v1_params,
)

ECHO, CREATE = "EmulatorTestEcho", "EmulatorTestCreate"
needs_run_instances = pytest.mark.skipif(not has_action("RunInstances"), reason="RunInstances handler not written yet")


def executions(emulator) -> int:
    """Running total of real executions of the test create handler (this probe call included)."""
    status, _, raw = v1_call(emulator, CREATE)
    assert status == 200, raw
    return json_body(raw)["Executions"]


# ---------------------------------------------------------------- rule parsing (unit)


def test_parse_rule_defaults_and_validation():
    rule = faults_mod.parse_rule({"action": "RunInstances", "code": "Throttling.User", "count": 2})
    assert rule.kind == "error"
    error = rule.error()
    assert (error.code, error.status, error.message) == (
        "Throttling.User",
        400,
        "Request was denied due to user flow control.",
    )
    assert faults_mod.parse_rule({"code": "Throttling", "retry_after": 3}).error().headers == {"x-acs-retry-after": "3"}
    for bad in (
        {"kind": "explode"},
        {"kind": "latency", "seconds": -1},
        {"code": "X", "probability": 2},
        {"code": "X", "count": "1"},
        {"code": "X", "colour": "red"},
        ["not", "a", "dict"],
    ):
        with pytest.raises(ValueError):
            faults_mod.parse_rule(bad)


# ---------------------------------------------------------------- error


def test_error_for_next_n_calls(emulator):
    emulator.faults({"action": ECHO, "code": "Throttling", "count": 2})
    for _ in range(2):
        status, headers, raw = v1_call(emulator, ECHO)
        body = json_body(raw)
        assert (status, body["Code"]) == (400, "Throttling")
        assert body["Message"].startswith("You have made too many requests")
        assert "x-acs-retry-after" not in headers
    assert v1_call(emulator, ECHO)[0] == 200
    log = emulator.calls(ECHO)
    assert [c["fault"] for c in log] == ["error:Throttling", "error:Throttling", None]
    assert [c["code"] for c in log] == ["Throttling", "Throttling", None]
    assert emulator.faults()[0]["count"] == 0 and emulator.faults()[0]["hits"] == 2


def test_custom_error_and_retry_after_gives_new_sdk_throttling_exception(emulator, new_sdk_client):
    emulator.faults(
        [
            {"action": ECHO, "code": "Throttling.Api", "retry_after": 2, "count": 1},
            {"action": ECHO, "code": "My.Code", "message": "custom", "status": 418, "count": 1},
        ]
    )
    with pytest.raises(tea_exceptions.ThrottlingException) as info:
        sdk_call(new_sdk_client(), ECHO)
    assert info.value.code == "Throttling.Api" and info.value.retry_after == 2
    status, _, raw = v1_call(emulator, ECHO)
    assert (status, json_body(raw)["Code"], json_body(raw)["Message"]) == (418, "My.Code", "custom")


def test_error_does_not_reach_handler(emulator):
    before = executions(emulator)
    emulator.faults({"action": CREATE, "code": "InternalError", "count": 1})
    status, _, raw = v1_call(emulator, CREATE)
    assert (status, json_body(raw)["Code"]) == (500, "InternalError")
    assert executions(emulator) - before == 1  # only the probe ran


def test_matching_by_action_version_and_wildcard(emulator):
    emulator.faults(
        [
            {"action": "*", "version": "2016-04-28", "code": "ServiceUnavailable"},
            {"action": "SomethingElse", "code": "Throttling"},
        ]
    )
    assert v1_call(emulator, ECHO)[0] == 200
    emulator.faults({"action": "*", "code": "ServiceUnavailable", "count": 1})
    status, _, raw = v1_call(emulator, ECHO)
    assert (status, json_body(raw)["Code"]) == (503, "ServiceUnavailable")


def test_faults_never_apply_to_control_api(emulator):
    emulator.faults({"action": "*", "kind": "reset"})
    assert emulator.health()["status"] == "ok"
    assert len(emulator.faults()) == 1
    emulator.clear_faults()
    assert emulator.faults() == [] and v1_call(emulator, ECHO)[0] == 200


def test_probability_is_seeded_and_deterministic(emulator):
    def pattern():
        emulator.clear_faults()
        emulator.faults({"action": ECHO, "code": "Throttling", "probability": 0.5, "seed": 7})
        return [v1_call(emulator, ECHO)[0] for _ in range(16)]

    first, second = pattern(), pattern()
    assert first == second and set(first) == {200, 400}
    emulator.clear_faults()
    emulator.faults({"action": ECHO, "code": "Throttling", "probability": 0.0})
    assert {v1_call(emulator, ECHO)[0] for _ in range(5)} == {200}


def test_count_and_probability_combined(emulator):
    emulator.faults({"action": ECHO, "code": "Throttling", "probability": 1.0, "count": 1})
    assert [v1_call(emulator, ECHO)[0] for _ in range(3)] == [400, 200, 200]


# ---------------------------------------------------------------- latency


def test_latency(emulator):
    emulator.faults({"action": ECHO, "kind": "latency", "seconds": 0.3, "count": 1})
    started = time.monotonic()
    assert v1_call(emulator, ECHO)[0] == 200
    assert time.monotonic() - started >= 0.28
    assert emulator.calls(ECHO)[-1]["fault"] == "latency:0.3"
    v1_call(emulator, ECHO)
    assert emulator.calls(ECHO)[-1]["fault"] is None  # count exhausted


def test_latency_plus_error(emulator):
    emulator.faults(
        [
            {"action": ECHO, "kind": "latency", "seconds": 0.1, "count": 1},
            {"action": ECHO, "code": "Throttling", "count": 1},
        ]
    )
    status, _, _ = v1_call(emulator, ECHO)
    assert status == 400 and emulator.calls(ECHO)[-1]["fault"] == "latency:0.1,error:Throttling"


# ---------------------------------------------------------------- reset / drop


def send_raw(emulator, action, params=None):
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        conn.request("POST", "/?" + encode_query(v1_params(action, params, method="POST")))
        return conn.getresponse().status
    finally:
        conn.close()


def test_reset_closes_connection_without_side_effect(emulator):
    before = executions(emulator)
    emulator.faults({"action": CREATE, "kind": "reset", "count": 1})
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        send_raw(emulator, CREATE)
    assert executions(emulator) - before == 1  # only the probe ran
    assert emulator.calls(CREATE)[1]["fault"] == "reset" and emulator.calls(CREATE)[1]["status"] is None


def test_reset_old_sdk_sees_http_error(emulator, acs_client):
    from aliyunsdkecs.request.v20140526.DescribeRegionsRequest import DescribeRegionsRequest

    emulator.faults({"action": ECHO, "kind": "reset", "count": 1})
    request = DescribeRegionsRequest()
    request.set_action_name(ECHO)
    with pytest.raises(ClientException) as info:
        acs_client.do_action_with_exception(request)
    assert info.value.get_error_code() == "SDK.HttpError"


def test_commit_then_drop_runs_the_handler(emulator):
    before = executions(emulator)
    emulator.faults({"action": CREATE, "kind": "commit_then_drop", "count": 1})
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        send_raw(emulator, CREATE)
    assert executions(emulator) - before == 2  # the faulted call and the probe


def test_commit_then_error_runs_the_handler_and_answers_500(emulator):
    before = executions(emulator)
    emulator.faults({"action": CREATE, "kind": "commit_then_error", "count": 1})
    status, _, raw = v1_call(emulator, CREATE)
    assert (status, json_body(raw)["Code"]) == (500, "InternalError")
    assert executions(emulator) - before == 2  # the faulted call and the probe
    assert emulator.calls(CREATE)[1]["fault"] == "commit_then_error"
    emulator.faults({"action": CREATE, "kind": "commit_then_error", "code": "ServiceUnavailable", "count": 1})
    status, _, raw = v1_call(emulator, CREATE)
    assert (status, json_body(raw)["Code"]) == (503, "ServiceUnavailable")


def test_bad_rules_rejected(emulator):
    for bad in ({"kind": "nope"}, {"code": "X", "probability": 1.5}, {"code": "X", "unknown": 1}):
        with pytest.raises(EmulatorError, match="400"):
            emulator.faults(bad)
    assert emulator.faults() == []


# ---------------------------------------------------------------- with the real ECS handlers


@needs_run_instances
def test_commit_then_drop_run_instances_creates_instances(emulator):
    before = {i["InstanceId"] for i in emulator.instances()}
    emulator.faults({"action": "RunInstances", "kind": "commit_then_drop", "count": 1})
    params = {**RUN_DEFAULTS, "Amount": "2", "ClientToken": "drop-token-1"}
    with pytest.raises((ConnectionResetError, http.client.RemoteDisconnected)):
        send_raw(emulator, "RunInstances", params)
    created = {i["InstanceId"] for i in emulator.instances()} - before
    assert len(created) == 2
    # The client retries with the same token: the same instances, nothing new (reference 8.2).
    status, body = run_instances(emulator, 2, "drop-token-1")
    assert status == 200 and set(body["InstanceIdSets"]["InstanceIdSet"]) == created
    assert len(emulator.instances()) == len(before) + 2


@needs_run_instances
def test_commit_then_error_run_instances_and_old_sdk_retry_duplicates_without_token(emulator, acs_client):
    from aliyunsdkecs.request.v20140526.RunInstancesRequest import RunInstancesRequest

    before = len(emulator.instances())
    emulator.faults({"action": "RunInstances", "kind": "commit_then_error", "count": 1})
    request = RunInstancesRequest()
    request.set_ImageId(RUN_DEFAULTS["ImageId"])
    request.set_InstanceType(RUN_DEFAULTS["InstanceType"])
    request.set_VSwitchId(RUN_DEFAULTS["VSwitchId"])
    request.set_SecurityGroupId(RUN_DEFAULTS["SecurityGroupId"])
    request.set_Amount(1)
    json.loads(acs_client.do_action_with_exception(request))  # the SDK retried the 500 and succeeded
    run_calls = emulator.calls("RunInstances")
    assert [c["status"] for c in run_calls] == [500, 200]
    assert len(emulator.instances()) == before + 2  # the documented duplicate-creation hazard (reference 6.1)


@needs_run_instances
def test_old_sdk_retries_throttling_on_describe_instances(emulator, acs_client):
    from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest

    emulator.faults({"action": "DescribeInstances", "code": "Throttling", "count": 2})
    json.loads(acs_client.do_action_with_exception(DescribeInstancesRequest()))
    assert [c["code"] for c in emulator.calls("DescribeInstances")] == ["Throttling", "Throttling", None]
    emulator.faults({"action": "DescribeInstances", "code": "Throttling.User", "count": 1})
    with pytest.raises(ServerException) as info:
        acs_client.do_action_with_exception(DescribeInstancesRequest())
    assert info.value.get_error_code() == "Throttling.User"


def test_a_rule_can_match_only_dry_runs_or_only_real_calls(emulator, acs_client):
    from aliyunsdkcore.acs_exception.exceptions import ServerException
    from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest

    # Codes the old SDK does not retry, so the first answer is what the test sees.
    emulator.faults([{"action": "DescribeInstances", "code": "Throttling.User", "dry_run": True, "count": 1},
                     {"action": "DescribeInstances", "code": "Forbidden.RAM", "dry_run": False, "count": 1}])
    real = DescribeInstancesRequest()
    with pytest.raises(ServerException) as info:
        acs_client.do_action_with_exception(real)
    assert info.value.get_error_code() == "Forbidden.RAM"
    dry = DescribeInstancesRequest()
    dry.set_DryRun(True)
    with pytest.raises(ServerException) as info:
        acs_client.do_action_with_exception(dry)
    assert info.value.get_error_code() == "Throttling.User"
    with pytest.raises(EmulatorError, match="dry_run must be true or false"):
        emulator.faults({"action": "*", "code": "Throttling", "dry_run": "yes"})
