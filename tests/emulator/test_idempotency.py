"""ClientToken idempotency (reference 8.2): replay, mismatch, in-flight, invalid tokens, scope, TTL."""

from __future__ import annotations

import threading
import time

import pytest

from tests.helpers.emulator import has_action, json_body, run_instances, v1_call

CREATE, ECHO = "EmulatorTestCreate", "EmulatorTestEcho"
needs_run_instances = pytest.mark.skipif(not has_action("RunInstances"), reason="RunInstances handler not written yet")


def create(emulator, token=None, **params):
    if token is not None:
        params["ClientToken"] = token
    status, _, raw = v1_call(emulator, CREATE, params, method="POST")
    return status, json_body(raw)


def test_replay_returns_first_result_with_new_request_id(emulator):
    status, first = create(emulator, "tok-1", RegionId="cn-hangzhou", Name="a")
    assert status == 200
    status, again = create(emulator, "tok-1", RegionId="cn-hangzhou", Name="a")
    assert status == 200
    assert again["ThingId"] == first["ThingId"] and again["Executions"] == first["Executions"]
    assert again["RequestId"] != first["RequestId"]
    log = emulator.calls(CREATE)
    assert [c["replay"] for c in log] == [False, True]
    status, other = create(emulator, None, RegionId="cn-hangzhou", Name="a")
    assert other["ThingId"] != first["ThingId"]  # no token: a new execution every time


def test_same_token_different_parameters(emulator):
    assert create(emulator, "tok-2", RegionId="cn-hangzhou", Name="a")[0] == 200
    status, body = create(emulator, "tok-2", RegionId="cn-hangzhou", Name="b")
    assert (status, body["Code"]) == (400, "IdempotentParameterMismatch")
    assert body["Message"] == "The request is retried with updated parameters."


def test_signature_fields_do_not_count_as_parameters(emulator):
    # Retries change nonce/timestamp/signature and the old SDK adds Format; the token still matches.
    first = create(emulator, "tok-3", RegionId="cn-hangzhou")[1]
    status, _, raw = v1_call(
        emulator, CREATE, {"ClientToken": "tok-3", "RegionId": "cn-hangzhou"}, method="POST", Format="json"
    )
    assert status == 200 and json_body(raw)["ThingId"] == first["ThingId"]


def test_scope_is_account_region_action(emulator):
    a = create(emulator, "tok-4", RegionId="cn-hangzhou")[1]
    b = create(emulator, "tok-4", RegionId="cn-beijing")[1]
    assert a["ThingId"] != b["ThingId"]


@pytest.mark.parametrize("token", ["x" * 65, "tökén"])
def test_invalid_token(emulator, token):
    status, body = create(emulator, token)
    assert (status, body["Code"]) == (400, "InvalidClientToken.ValueNotSupported")
    assert body["Message"] == "The ClientToken provided is invalid."


def test_token_of_64_ascii_chars_is_fine(emulator):
    assert create(emulator, "y" * 64)[0] == 200


def test_failed_first_call_is_not_remembered(emulator):
    status, body = create(emulator, "tok-5", Fail="true")
    assert (status, body["Code"]) == (400, "InvalidParameter")
    status, body = create(emulator, "tok-5", Fail="true")  # runs again, not a replay, not "processing"
    assert (status, body["Code"]) == (400, "InvalidParameter")
    emulator.faults({"action": CREATE, "code": "Throttling", "count": 1})
    assert create(emulator, "tok-6")[1]["Code"] == "Throttling"
    status, body = create(emulator, "tok-6")
    assert status == 200 and emulator.calls(CREATE)[-1]["replay"] is False


def test_token_ignored_on_actions_without_client_token(emulator):
    for _ in range(2):
        status, _, raw = v1_call(emulator, ECHO, {"ClientToken": "t"})
        assert status == 200
    assert [c["replay"] for c in emulator.calls(ECHO)] == [False, False]


def test_ttl(emulator):
    emulator.config({"client_token_ttl_seconds": 0})
    first = create(emulator, "tok-7")[1]
    second = create(emulator, "tok-7")[1]
    assert second["ThingId"] != first["ThingId"]  # expired immediately: executed again


def wait_for_processing_token(emulator, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tokens = emulator.state().get("tokens", {})
        if any(entry.get("state") == "processing" for entry in tokens.values()):
            return
        time.sleep(0.01)
    raise AssertionError("first call never became in-flight")


def test_duplicate_while_first_in_flight_is_last_token_processing(emulator):
    emulator.faults({"action": CREATE, "kind": "latency", "seconds": 1.5, "count": 1})
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", create(emulator, "tok-8")))
    first.start()
    wait_for_processing_token(emulator)
    status, body = create(emulator, "tok-8")
    assert (status, body["Code"]) == (403, "LastTokenProcessing")
    assert body["Message"] == "The last token request is processing."
    first.join()
    assert results["first"][0] == 200
    status, body = create(emulator, "tok-8")
    assert status == 200 and body["ThingId"] == results["first"][1]["ThingId"]


def test_other_calls_proceed_while_a_call_sleeps(emulator):
    # Injected latency is applied outside the store lock (reference 8.2 in-flight observability).
    emulator.faults({"action": CREATE, "kind": "latency", "seconds": 3.0, "count": 1})
    slow = threading.Thread(target=create, args=(emulator, "tok-9"))
    slow.start()
    wait_for_processing_token(emulator)
    assert v1_call(emulator, ECHO)[0] == 200
    # Answered while the other call still sleeps (an order of events, not a timing: no lock was waited for).
    assert slow.is_alive()
    slow.join()


@needs_run_instances
def test_run_instances_replay_creates_once(emulator):
    before = len(emulator.instances())
    status, first = run_instances(emulator, 2, "run-token-1")
    assert status == 200, first
    status, again = run_instances(emulator, 2, "run-token-1")
    assert status == 200 and again["InstanceIdSets"] == first["InstanceIdSets"]
    assert len(emulator.instances()) == before + 2
    status, body = run_instances(emulator, 3, "run-token-1")
    assert (status, body["Code"]) == (400, "IdempotentParameterMismatch")


@needs_run_instances
def test_run_instances_dry_run_is_not_remembered(emulator):
    status, body = run_instances(emulator, 1, "run-token-2", DryRun="true")
    assert (status, body["Code"]) == (400, "DryRunOperation")
    status, body = run_instances(emulator, 1, "run-token-2", DryRun="true")
    assert body["Code"] == "DryRunOperation"
    assert run_instances(emulator, 1, "run-token-2")[0] == 200
