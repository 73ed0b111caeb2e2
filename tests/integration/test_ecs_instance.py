"""ecs_instance against the emulator, asserting on results and on the emulator's call log."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import pytest

from tests.helpers.ansible_cli import ansible_tool, emulator_delays, mutating_calls
from tests.helpers.emulator import DEFAULT_KEY, STS_KEY

SECRET_PASSWORD = "Pw-Never-Shown-42!"


def named(emulator, name):
    return [i for i in emulator.instances() if i.get("InstanceName") == name]


def actions(calls):
    return [c["action"] for c in calls]


def assert_clean_failure(result, proc):
    assert result["failed"], result
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "module_stderr" not in result


def test_second_run_of_ten_makes_no_mutating_call(ansible, emulator, create_args):
    result, _proc = ansible.module(dict(create_args, count=10, state="running"))
    assert result["changed"] and len(result["created_ids"]) == 10
    emulator.clear_calls()
    result, _proc = ansible.module(dict(create_args, count=10, state="running"))
    calls = emulator.calls()
    assert not result["changed"] and mutating_calls(calls) == []
    assert actions(calls).count("DescribeInstances") <= 2
    ansible.module(dict(name=create_args["name"], state="absent", force_release=True))
    assert named(emulator, create_args["name"]) == []


def test_hundred_instances_one_run_instances_and_batched_polls(ansible, emulator, create_args):
    emulator.clear_calls()
    with emulator_delays(emulator, {"Pending": 2.0, "Starting": 3.0, "Stopping": 0}):
        result, _proc = ansible.module(dict(create_args, count=100, state="running"))
    assert len(result["created_ids"]) == 100
    assert {i["status"] for i in result["instances"]} == {"Running"}
    calls = emulator.calls()
    run = [c for c in calls if c["action"] == "RunInstances"]
    assert len(run) == 1 and run[0]["parameters"]["Amount"] == "100"
    polls = [c for c in calls if c["action"] == "DescribeInstances" and c["timestamp"] > run[0]["timestamp"]]
    assert all(len(json.loads(c["parameters"]["InstanceIds"])) == 100 for c in polls)
    # The schedule (bench/README.md): polls 1.5, 2.5, 3.5 s after the create, then every 0.5 s; counted
    # in calls, not timed: at most 7 for a 5-second create, and the first sees the state the create entered.
    assert len(polls) <= 7, [c["timestamp"] - run[0]["timestamp"] for c in polls]
    assert len([c for c in calls if c["action"] == "DescribeInstances"]) <= 8


@pytest.mark.smoke
def test_lost_response_creates_nothing_twice(ansible, emulator, create_args):
    emulator.faults({"action": "RunInstances", "kind": "commit_then_drop", "count": 1})
    emulator.clear_calls()
    result, _proc = ansible.module(dict(create_args, count=2))
    assert result["changed"] and len(result["created_ids"]) == 2
    run = [c for c in emulator.calls() if c["action"] == "RunInstances"]
    assert len(run) == 2 and len({c["parameters"]["ClientToken"] for c in run}) == 1
    assert len(named(emulator, create_args["name"])) == 2
    ansible.module(dict(name=create_args["name"], state="absent", force_release=True))


def test_retried_task_after_a_failed_run_creates_nothing_twice(ansible, emulator, create_args):
    emulator.faults({"action": "RunInstances", "kind": "commit_then_error", "code": "InternalError", "count": 50})
    result, proc = ansible.module(dict(create_args, count=2, retry_timeout=2))
    assert_clean_failure(result, proc)
    assert "InternalError" in result["msg"] and "RequestId" in result["msg"]
    assert result["failure"]["code"] == "InternalError" and result["failure"]["request_id"]
    emulator.control("DELETE", "faults")
    result, _proc = ansible.module(dict(create_args, count=2))
    assert len(named(emulator, create_args["name"])) == 2
    assert result["created_ids"] == []
    ansible.module(dict(name=create_args["name"], state="absent", force_release=True))


def run_concurrently(ansible, args, copies, tmp_path):
    """The same task in ``copies`` ansible-playbook processes at once; returns their outputs."""
    play = [{"name": "Concurrent", "hosts": "localhost", "gather_facts": False,
             "tasks": [{"name": "Same task", "alicloud.ecs.ecs_instance": args}]}]
    path = tmp_path / ("concurrent-%s.yml" % uuid.uuid4().hex)
    path.write_text(json.dumps(play))
    command = [ansible_tool("ansible-playbook"), "-i", "localhost,", "-c", "local", str(path),
               "-e", json.dumps({"ansible_python_interpreter": sys.executable})]
    procs = [subprocess.Popen(command, env=ansible.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              cwd=tmp_path) for _copy in range(copies)]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    return outputs


def test_concurrent_identical_runs_create_once_then_stop_and_release_once(ansible, emulator, create_args, tmp_path):
    with emulator_delays(emulator, {"Pending": 1.0, "Starting": 1.0, "Stopping": 1.0}):
        run_concurrently(ansible, dict(create_args, count=3, state="running"), 3, tmp_path)
        assert len(named(emulator, create_args["name"])) == 3
        run_concurrently(ansible, dict(name=create_args["name"], state="stopped"), 2, tmp_path)
        assert {i["Status"] for i in named(emulator, create_args["name"])} == {"Stopped"}
        run_concurrently(ansible, dict(name=create_args["name"], state="absent"), 2, tmp_path)
    assert named(emulator, create_args["name"]) == []


@pytest.mark.smoke
def test_create_after_delete_creates_again(ansible, emulator, create_args):
    first, _proc = ansible.module(dict(create_args, count=1))
    ansible.module(dict(name=create_args["name"], state="absent", force_release=True))
    emulator.clear_calls()
    second, _proc = ansible.module(dict(create_args, count=1))
    assert second["changed"] and len(second["created_ids"]) == 1
    assert second["created_ids"] != first["created_ids"]
    run = [c for c in emulator.calls() if c["action"] == "RunInstances"]
    # The release moved the name's release marker on, so the create after it sends a new token at once
    # (no replay of the released instance, no wait).
    assert len(run) == 1 and not run[0]["replay"]
    assert len(named(emulator, create_args["name"])) == 1
    third, _proc = ansible.module(dict(create_args, count=1))
    assert not third["changed"]
    ansible.module(dict(name=create_args["name"], state="absent", force_release=True))


def test_throttling_and_conflicts_are_retried(ansible, emulator, create_args):
    emulator.faults([
        {"action": "DescribeInstances", "kind": "error", "code": "Throttling.User", "count": 2, "retry_after": 200},
        {"action": "RunInstances", "kind": "error", "code": "ServiceUnavailable", "count": 1},
        {"action": "StopInstances", "kind": "error", "code": "OperationConflict", "count": 1},
    ])
    result, _proc = ansible.module(dict(create_args, count=1, state="running"))
    assert not result.get("failed") and len(result["created_ids"]) == 1
    result, _proc = ansible.module(dict(name=create_args["name"], state="stopped"))
    assert not result.get("failed") and len(result["stopped_ids"]) == 1
    emulator.control("DELETE", "faults")
    ansible.module(dict(name=create_args["name"], state="absent"))


@pytest.mark.parametrize("kind", ["error", "commit_then_error"], ids=["not-carried-out", "carried-out"])
def test_an_ambiguous_start_or_stop_failure_is_repeated_after_a_short_settle(ansible, emulator, create_args, kind):
    """A 500 on StopInstances/StartInstances may or may not have been carried out: the module reads a few
    times, then repeats the call (harmless: a moved instance answers IncorrectInstanceStatus) instead of
    polling an unchanged status for the whole visibility wait."""
    ansible.module(dict(create_args, count=1, state="running"))
    for state, action, status in (("stopped", "StopInstances", "Stopped"), ("running", "StartInstances", "Running")):
        emulator.faults({"action": action, "kind": kind, "code": "InternalError", "count": 1})
        emulator.clear_calls()
        result, _proc = ansible.module(dict(name=create_args["name"], state=state, visibility_timeout=120))
        assert not result.get("failed") and result["changed"], result
        calls = emulator.calls()
        first_failed = next(i for i, c in enumerate(calls) if c["action"] == action and c.get("fault"))
        later = [i for i, c in enumerate(calls) if c["action"] == action and i > first_failed]
        # Not carried out: repeated after at most three reads; carried out: at most one repetition, which
        # ECS refuses, and no third call.
        if later:
            reads_between = [c for c in calls[first_failed + 1:later[0]] if c["action"] == "DescribeInstances"]
            assert len(reads_between) <= 3, actions(calls)
        assert (len(later) == 1 if kind == "error" else len(later) <= 1), actions(calls)
        (instance,) = named(emulator, create_args["name"])
        assert instance["Status"] == status
        emulator.control("DELETE", "faults")
    ansible.module(dict(name=create_args["name"], state="absent", force_release=True))


def test_non_idempotent_call_is_not_blindly_repeated(ansible, emulator, create_args):
    ansible.module(dict(create_args, state="running"))
    emulator.faults({"action": "RebootInstances", "kind": "commit_then_error", "code": "InternalError", "count": 1})
    emulator.clear_calls()
    result, proc = ansible.module(dict(name=create_args["name"], state="restarted"))
    assert_clean_failure(result, proc)
    assert actions(emulator.calls()).count("RebootInstances") == 1
    emulator.control("DELETE", "faults")
    ansible.module(dict(name=create_args["name"], state="absent", force_release=True))


def test_credentials_from_profile_file(ansible, emulator, create_args, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"current": "emu", "profiles": [
        {"name": "emu", "mode": "AK", "access_key_id": DEFAULT_KEY[0], "access_key_secret": DEFAULT_KEY[1], "region_id": "cn-beijing"},
        {"name": "sts", "mode": "StsToken", "access_key_id": STS_KEY[0], "access_key_secret": STS_KEY[1], "sts_token": STS_KEY[2], "region_id": "cn-beijing"},
    ]}))
    env = ansible.env(credentials=False, ALICLOUD_CONFIG_FILE=str(config))
    del env["ALICLOUD_REGION"]
    result, _proc = ansible.module(dict(create_args, count=1), env=env)
    assert result["changed"], result
    env["ALICLOUD_PROFILE"] = "sts"
    result, proc = ansible.module(dict(name=create_args["name"], state="stopped"), env=env, verbosity=4)
    assert result["changed"], result
    output = proc.stdout + proc.stderr
    assert STS_KEY[1] not in output and STS_KEY[2] not in output
    args = dict(name=create_args["name"], state="absent", profile="emu", profile_file=str(config))
    result, _proc = ansible.module(args, env=ansible.env())
    assert result["changed"]


def test_credentials_from_sdk_env_family(ansible, emulator, create_args):
    env = ansible.env(credentials=False, ALIBABA_CLOUD_ACCESS_KEY_ID=DEFAULT_KEY[0],
                      ALIBABA_CLOUD_ACCESS_KEY_SECRET=DEFAULT_KEY[1], ALIBABA_CLOUD_REGION_ID="cn-beijing")
    del env["ALICLOUD_REGION"]
    result, _proc = ansible.module(dict(name=create_args["name"], state="absent"), env=env)
    assert not result.get("failed") and not result["changed"]


def test_missing_and_wrong_credentials_fail_clearly(ansible, emulator, create_args):
    result, proc = ansible.module(dict(create_args), env=ansible.env(credentials=False))
    assert_clean_failure(result, proc)
    assert "ALICLOUD_ACCESS_KEY" in result["msg"] and "profile" in result["msg"]
    wrong = ansible.env(credentials=False, ALICLOUD_ACCESS_KEY=DEFAULT_KEY[0], ALICLOUD_SECRET_KEY="wrong-secret-xyz")
    result, proc = ansible.module(dict(create_args), env=wrong, verbosity=4)
    assert_clean_failure(result, proc)
    assert result["failure"]["code"] and result["failure"]["request_id"]
    assert "wrong-secret-xyz" not in proc.stdout + proc.stderr


def test_bad_input_creates_nothing(ansible, emulator, create_args):
    emulator.clear_calls()
    cases = [
        (dict(create_args, count=5000), "count must be between 0 and 1000"),
        (dict(create_args, count=-1), "count must be between"),
        (dict(create_args, instance_charge_type="PrePaid"), "period"),
        (dict(create_args, period=1), "period only apply with instance_charge_type=PrePaid"),
        (dict(create_args, state="sideways"), "state"),
        (dict(create_args, image_id="no-such-image"), "InvalidImageId.NotFound"),
        (dict(create_args, instance_type=None), "requires instance_type"),
    ]
    results, proc = ansible.modules([args for args, _fragment in cases])
    for (args, fragment), result in zip(cases, results):
        assert_clean_failure(result, proc)
        assert fragment in result["msg"], (args, result["msg"])
    # Only the unknown image reached the API, and it failed there.
    assert [c["code"] for c in mutating_calls(emulator.calls())] == ["InvalidImageId.NotFound"]
    assert named(emulator, create_args["name"]) == []


def test_api_error_message_names_code_message_and_request_id(ansible, emulator, create_args):
    result, proc = ansible.module(dict(create_args, vswitch_id="vsw-missing"))
    assert_clean_failure(result, proc)
    assert result["msg"].startswith("Failed to create instances: InvalidVSwitchId.NotFound: ")
    assert "(RequestId " in result["msg"]
    assert result["failure"]["http_status"] == 404
    result, proc = ansible.module(dict(create_args, vswitch_id="vsw-missing"), check=True)
    assert_clean_failure(result, proc)
    assert "InvalidVSwitchId.NotFound" in result["msg"]


@pytest.mark.smoke
def test_secrets_never_shown_at_vvvv(ansible, emulator, create_args):
    args = dict(create_args, password=SECRET_PASSWORD, update_password="always", secret_key=DEFAULT_KEY[1])
    result, proc = ansible.module(args, verbosity=4)
    assert result["changed"]
    result, proc2 = ansible.module(dict(args, image_id="no-such-image", count=2), verbosity=4)
    for output in (proc.stdout + proc.stderr, proc2.stdout + proc2.stderr):
        assert SECRET_PASSWORD not in output and DEFAULT_KEY[1] not in output
    ansible.module(dict(name=create_args["name"], state="absent", force_release=True))


def test_diff_mode_and_check_mode_updates(ansible, emulator, create_args):
    created, _proc = ansible.module(dict(create_args))
    assert created["changed"], created
    emulator.clear_calls()
    ids = created["instance_ids"]
    result, _proc = ansible.module(dict(instance_ids=ids, description="new text", tags={"k": "v"}), check=True, diff=True)
    assert not result.get("failed"), result
    (instance_id,) = result["instance_ids"]
    assert result["changed"] and mutating_calls(emulator.calls()) == []
    assert result["diff"]["before"][instance_id]["description"] != "new text"
    assert result["diff"]["after"][instance_id] == dict(result["diff"]["before"][instance_id], description="new text", tags={"k": "v"})
    result, _proc = ansible.module(dict(instance_ids=ids, description="new text", tags={"k": "v"}), diff=True)
    assert result["changed"] and result["diff"]["after"][instance_id]["description"] == "new text"
    ansible.module(dict(name=create_args["name"], state="absent", force_release=True))


def create_security_group(emulator):
    from aliyunsdkecs.request.v20140526.CreateSecurityGroupRequest import CreateSecurityGroupRequest

    request = CreateSecurityGroupRequest()
    request.set_VpcId("vpc-2zeemudefault")
    request.set_SecurityGroupName("test-second-group")
    body = emulator.acs_client(region="cn-beijing").do_action_with_exception(request)
    return json.loads(body)["SecurityGroupId"]


def test_charge_type_conversion_and_security_groups_by_ids(ansible, emulator, create_args):
    created, _proc = ansible.module(dict(create_args, state="stopped"))
    ids = created["instance_ids"]
    second = create_security_group(emulator)
    result, _proc = ansible.module(dict(instance_ids=ids, security_group_ids=[second]))
    assert result["changed"] and result["instances"][0]["security_group_ids"] == [second]
    result, _proc = ansible.module(dict(instance_ids=ids, security_group_ids=[second]))
    assert not result["changed"]
    result, _proc = ansible.module(dict(instance_ids=ids, instance_charge_type="PrePaid", period=1))
    assert result["changed"] and result["instances"][0]["instance_charge_type"] == "PrePaid"
    result, _proc = ansible.module(dict(instance_ids=ids, instance_charge_type="PrePaid", period=1))
    assert not result["changed"]
    result, _proc = ansible.module(dict(instance_ids=ids, instance_charge_type="PostPaid"))
    assert result["changed"] and result["instances"][0]["instance_charge_type"] == "PostPaid"
    result, _proc = ansible.module(dict(instance_ids=ids, state="absent"))
    assert result["deleted_ids"] == ids


def test_wait_timeout_names_each_late_instance(ansible, emulator, create_args):
    with emulator_delays(emulator, {"Pending": 0, "Starting": 6.0, "Stopping": 0}):
        result, proc = ansible.module(dict(create_args, count=2, state="running", wait_timeout=1))
    assert_clean_failure(result, proc)
    assert result["failure"]["code"] == "WaitTimeout"
    assert set(result["failure"]["pending"]) == set(result["created_ids"])
    assert all(i in result["msg"] for i in result["created_ids"]) and "Starting" in result["msg"]
    assert result["changed"]
    result, _proc = ansible.module(dict(name=create_args["name"], state="absent", force_release=True))
    assert len(result["deleted_ids"]) == 2


def test_wait_false_returns_before_running(ansible, emulator, create_args):
    with emulator_delays(emulator, {"Pending": 2.0, "Starting": 2.0, "Stopping": 0}):
        result, _proc = ansible.module(dict(create_args, state="running", wait=False))
        assert result["instances"][0]["status"] in ("Pending", "Starting")
        result, _proc = ansible.module(dict(name=create_args["name"], state="stopped"))
    assert result["instances"][0]["status"] == "Stopped" and result["stopped_ids"]
    ansible.module(dict(name=create_args["name"], state="absent"))


def test_user_data_changed_only_while_stopped(ansible, emulator, create_args):
    created, _proc = ansible.module(dict(create_args, state="stopped", user_data="#!/bin/sh\necho one"))
    assert created["changed"] and "user_data" not in created["instances"][0]
    again, _proc = ansible.module(dict(create_args, state="stopped", user_data="#!/bin/sh\necho one"))
    assert not again["changed"]
    emulator.clear_calls()
    changed, _proc = ansible.module(dict(create_args, state="stopped", user_data="#!/bin/sh\necho two"))
    assert changed["modified_ids"] == created["instance_ids"]
    modify = [c for c in emulator.calls() if c["action"] == "ModifyInstanceAttribute"]
    assert len(modify) == 1 and modify[0]["parameters"]["UserData"]
    ansible.module(dict(name=create_args["name"], state="absent"))


def test_sts_credentials_from_env(ansible, emulator, create_args):
    env = ansible.env(credentials=False, ALICLOUD_ACCESS_KEY=STS_KEY[0], ALICLOUD_SECRET_KEY=STS_KEY[1],
                      ALICLOUD_SECURITY_TOKEN=STS_KEY[2])
    result, proc = ansible.module(dict(name=create_args["name"], state="absent"), env=env, verbosity=4)
    assert not result.get("failed") and not result["changed"], result
    assert STS_KEY[2] not in proc.stdout + proc.stderr
