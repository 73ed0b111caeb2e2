"""ecs_instance on an eventually consistent ECS (reference 8.9), clause by clause of docs/ecs_instance.md.

Every test runs real ansible-playbook with the installed collection against a
private emulator whose consistency settings model the case: new instances
unlisted for a while, released ones still listed, changes shown late, a
credential whose reads are empty.  Claims are checked against the emulator's
own truth (``GET /_emulator/instances``) and call log.  Nothing here measures
speed: bounds are counted in API calls.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest

from tests.helpers.ansible_cli import ansible_tool

from .support import CREATE, assert_no_traceback, instances_created, named, tags_of, write_output

BLIND_KEY = ("LTAI5tEmulatorBlindKey", "emulator-blind-secret")


def consistency(emu, **settings) -> None:
    emu.config({"consistency": settings})


def mine(emu, name: str) -> list[dict]:
    return named(emu.instances(), name)


def start_module(runner, args: dict, env: dict | None = None) -> tuple[subprocess.Popen, "object"]:
    """One ecs_instance task in a background ansible-playbook; returns (process, result file)."""
    result = runner.workdir / ("result-%s.json" % uuid.uuid4().hex)
    play = [{"name": "One task", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Instances", "alicloud.ecs.ecs_instance": args, "register": "result", "ignore_errors": True},
        {"name": "Save", "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(result)}},
    ]}]
    path = runner.workdir / ("play-%s.yml" % uuid.uuid4().hex)
    path.write_text(json.dumps(play))
    cmd = [ansible_tool("ansible-playbook"), "-i", "localhost,", "-c", "local", str(path),
           "-e", json.dumps({"ansible_python_interpreter": sys.executable})]
    proc = subprocess.Popen(cmd, env=env or runner.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=runner.workdir, start_new_session=True)
    return proc, result


def finish(proc: subprocess.Popen, result) -> dict:
    output, _unused = proc.communicate(timeout=600)
    assert result.exists(), output[-4000:]
    return json.loads(result.read_text())


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.05)


# ------------------------------------------------------------ no runaway creates


@pytest.mark.parametrize("delay", [4.0, 8.0])
def test_a_visibility_delay_creates_exactly_count(delay, runner, emu, name):
    """The case that made 30 instances out of 3: ids not listed at once are waited for, never replaced."""
    consistency(emu, new_instance_delay=delay)
    result, proc = runner.module(dict(CREATE, name=name, count=3, state="running"))
    assert not result.get("failed"), result.get("msg")
    assert_no_traceback(proc)
    assert len(mine(emu, name)) == 3 == len(emu.instances())
    assert result["changed"] and sorted(result["created_ids"]) == sorted(i["InstanceId"] for i in mine(emu, name))
    assert {i["status"] for i in result["instances"]} == {"Running"}
    assert len(emu.calls("RunInstances")) == 1 and instances_created(emu.calls()) == 3


def test_a_lost_response_and_a_rerun_after_a_crash_create_nothing_twice(runner, emu, name):
    consistency(emu, new_instance_delay=8.0)
    emu.faults({"action": "RunInstances", "kind": "commit_then_drop", "count": 1})
    result, _proc = runner.module(dict(CREATE, name=name, count=2))
    assert not result.get("failed"), result.get("msg")
    assert len(mine(emu, name)) == 2
    # A crash right after RunInstances was carried out, and an immediate rerun that lists nothing yet.
    crash_name = name + "-crash"
    emu.faults({"action": "RunInstances", "kind": "latency", "seconds": 1.0, "count": 1})
    proc, _result = start_module(runner, dict(CREATE, name=crash_name, count=4))
    wait_for(lambda: any(c["code"] is None and c["parameters"].get("InstanceName") == crash_name
                         for c in emu.calls("RunInstances")), 120, "the RunInstances of the crashing run")
    os.killpg(proc.pid, signal.SIGKILL)  # the controller dies: ansible-playbook and the module with it
    proc.wait()
    assert len(mine(emu, crash_name)) == 4
    rerun, _proc = runner.module(dict(CREATE, name=crash_name, count=4))
    assert not rerun.get("failed"), rerun.get("msg")
    assert len(mine(emu, crash_name)) == 4
    creates = [c for c in emu.calls("RunInstances") if c["parameters"].get("InstanceName") == crash_name]
    assert [c["replay"] for c in creates if c["code"] is None] == [False, True]
    assert instances_created(emu.calls()) == 6


def test_concurrent_identical_runs_behind_a_visibility_delay_make_exactly_count(runner, emu, name):
    consistency(emu, new_instance_delay=4.0)
    emu.faults({"action": "RunInstances", "kind": "latency", "seconds": 1.5})
    runs = [start_module(runner, dict(CREATE, name=name, count=3, state="running")) for _copy in range(3)]
    results = [finish(proc, result) for proc, result in runs]
    assert all(not r.get("failed") for r in results), [r.get("msg") for r in results]
    assert len(mine(emu, name)) == 3 == len(emu.instances())
    assert instances_created(emu.calls()) == 3


def test_ids_a_blind_credential_cannot_list_fail_the_task_and_nothing_more_is_created(runner, emu, name):
    """A RAM user who may not read instances gets empty lists: the task names the ids and both causes."""
    env = runner.env(credentials=False, ALICLOUD_ACCESS_KEY=BLIND_KEY[0], ALICLOUD_SECRET_KEY=BLIND_KEY[1])
    args = dict(CREATE, name=name, count=2, visibility_timeout=5)
    result, proc = runner.module(args, env=env)
    assert result["failed"] and result["changed"]
    assert_no_traceback(proc)
    ids = sorted(i["InstanceId"] for i in mine(emu, name))
    assert len(ids) == 2 and sorted(result["created_ids"]) == ids
    assert all(i in result["msg"] for i in ids) and result["failure"]["code"] == "NotVisible"
    assert "propagated" in result["msg"] and "ecs:DescribeInstances" in result["msg"]
    for _rerun in range(2):
        again, _proc = runner.module(args, env=env)
        assert again["failed"] and all(i in again["msg"] for i in ids)
    assert len(mine(emu, name)) == 2 and instances_created(emu.calls()) == 2


# ------------------------------------------------------------ no adopted strangers


@pytest.mark.parametrize("leave", ["renamed", "retagged"])
def test_instances_a_replay_returns_that_left_the_identity_are_never_touched(leave, runner, emu, name):
    args = dict(CREATE, name=name, tags={"team": "blue"}, count=1, state="running")
    first, _proc = runner.module(args)
    (stranger,) = first["created_ids"]
    change = {"name": name + "-retired"} if leave == "renamed" else {"tags": {"team": "red"}}
    moved, _proc = runner.module(dict(instance_ids=[stranger], **change))
    assert not moved.get("failed"), moved.get("msg")
    emu.clear_calls()
    # The same task again: its first token replays the instance that left; it creates another one.
    result, _proc = runner.module(args)
    assert not result.get("failed"), result.get("msg")
    assert [c["replay"] for c in emu.calls("RunInstances")] == [True, False]  # the replay really happened
    assert stranger not in result["instance_ids"] and stranger not in result["created_ids"]
    assert len(result["instance_ids"]) == 1
    stopped, _proc = runner.module(dict(args, state="stopped"))
    assert stopped["stopped_ids"] == result["instance_ids"]
    touched = [c for c in emu.calls() if c["action"] not in ("DescribeInstances", "RunInstances", "DeleteInstances")
               and stranger in json.dumps(c["parameters"])]
    assert touched == []
    truth = {i["InstanceId"]: i for i in emu.instances()}
    assert truth[stranger]["Status"] == "Running"  # not stopped with the task's instances
    members = [i for i in named(emu.instances(), name) if tags_of(i).get("team") == "blue"]
    assert [i["InstanceId"] for i in members] == result["instance_ids"] and members[0]["Status"] == "Stopped"
    assert tags_of(truth[stranger]) == ({"team": "red"} if leave == "retagged" else {"team": "blue"})


# ------------------------------------------------------------------- no duplicates


def test_a_password_generated_per_run_never_makes_a_second_batch(runner, emu, name):
    consistency(emu, new_instance_delay=4.0)
    emu.faults({"action": "RunInstances", "kind": "latency", "seconds": 1.0})
    runs = [start_module(runner, dict(CREATE, name=name, count=3, password="Generated-%d-Pw!" % n)) for n in range(2)]
    results = [finish(proc, result) for proc, result in runs]
    assert all(not r.get("failed") for r in results), [r.get("msg") for r in results]
    assert len(mine(emu, name)) == 3
    # Ctrl-C right after the create, and a rerun with a new password.
    crash = name + "-c"
    proc, _result = start_module(runner, dict(CREATE, name=crash, count=3, password="First-Pw-42!"))
    wait_for(lambda: any(c["code"] is None and c["parameters"].get("InstanceName") == crash
                         for c in emu.calls("RunInstances")), 120, "the first create")
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C reaches the whole foreground process group
    proc.wait(timeout=60)
    rerun, _proc = runner.module(dict(CREATE, name=crash, count=3, password="Second-Pw-42!"))
    assert not rerun.get("failed"), rerun.get("msg")
    assert len(mine(emu, crash)) == 3 and rerun["created_ids"] == []
    assert instances_created(emu.calls()) == 6
    mismatches = [c for c in emu.calls("RunInstances") if c["code"] == "IdempotentParameterMismatch"]
    assert mismatches  # the API said "this token was used with other parameters"; the module waited instead


def test_any_number_of_create_release_cycles_work_at_a_bounded_cost(runner, emu, name):
    cycles = 12
    tasks = []
    for _cycle in range(cycles):
        tasks.append(dict(CREATE, name=name, count=2, state="running"))
        tasks.append({"name": name, "state": "absent", "force_release": True})
    emu.clear_calls()
    results, proc = runner.modules(tasks)
    assert_no_traceback(proc)
    assert all(not r.get("failed") for r in results), [r.get("msg") for r in results if r.get("failed")]
    assert all(len(r["created_ids"]) == 2 for r in results[0::2])
    assert all(len(r["deleted_ids"]) == 2 for r in results[1::2])
    assert mine(emu, name) == [] and instances_created(emu.calls()) == 2 * cycles
    calls = emu.calls()
    assert not any(c["replay"] for c in calls if c["action"] == "RunInstances")
    # Calls per cycle: what earlier cycles add is the reading of the release marker (2*log2 n DryRuns).
    markers = [c for c in calls if c["action"] == "DeleteInstances" and c["parameters"].get("DryRun") == "true"]
    assert len(markers) <= cycles * (2 + 4 * 4)
    write_output("consistency-cycles.json", {"cycles": cycles, "api_calls": len(calls), "marker_reads": len(markers),
                                             "replays": 0, "duplicates": 0})


def test_differing_concurrent_runs_are_documented_and_a_plain_rerun_converges(runner, emu, name):
    """count 3 and count 5 at the same time send different tokens: both may create. The next plain run
    creates nothing more and warns about the surplus; remove_surplus brings it to count."""
    consistency(emu, new_instance_delay=3.0)
    emu.faults({"action": "RunInstances", "kind": "latency", "seconds": 1.0})
    runs = [start_module(runner, dict(CREATE, name=name, count=count)) for count in (3, 5)]
    results = [finish(proc, result) for proc, result in runs]
    assert all(not r.get("failed") for r in results)
    made = len(mine(emu, name))
    assert 5 <= made <= 8
    emu.control("DELETE", "faults")
    rerun, proc = runner.module(dict(CREATE, name=name, count=5))
    assert not rerun["changed"] and len(mine(emu, name)) == made
    if made > 5:
        assert "remove_surplus" in proc.stdout + proc.stderr  # the warning names the surplus and the way out
    trimmed, _proc = runner.module(dict(CREATE, name=name, count=5, remove_surplus=True, force_release=True))
    assert len(mine(emu, name)) == 5 and len(trimmed["deleted_ids"]) == made - 5


# ----------------------------------------------------------------------- releases


def test_an_absent_rerun_that_still_sees_released_instances_succeeds_without_a_change(runner, emu, name):
    consistency(emu, released_instance_delay=6.0)
    runner.module(dict(CREATE, name=name, count=2, state="running"))
    first, _proc = runner.module({"name": name, "state": "absent", "force_release": True, "wait": False})
    assert first["changed"] and len(first["deleted_ids"]) == 2
    assert emu.instances() == []
    second, proc = runner.module({"name": name, "state": "absent", "force_release": True})
    assert not second.get("failed"), second.get("msg")
    assert not second["changed"] and second["deleted_ids"] == []
    assert_no_traceback(proc)


def test_an_instance_released_during_a_wait_fails_the_wait_naming_it(runner, emu, name):
    emu.config({"delays": {"Pending": 0, "Starting": 60, "Stopping": 0}})
    proc, result_file = start_module(runner, dict(CREATE, name=name, count=1, state="running", visibility_timeout=5))
    wait_for(lambda: mine(emu, name), 60, "the instance")
    (instance,) = mine(emu, name)
    # Once the module has seen it listed (its first poll after the create), it is reclaimed while Starting.
    wait_for(lambda: any(c["action"] == "DescribeInstances" and instance["InstanceId"] in c["parameters"].get("InstanceIds", "")
                         for c in emu.calls()), 60, "the first poll")
    emu.control("POST", "release", {"instance_ids": [instance["InstanceId"]]})
    result = finish(proc, result_file)
    assert result["failed"] and instance["InstanceId"] in result["msg"] and "no longer listed" in result["msg"]
    assert result["failure"]["code"] == "NotVisible"


# ----------------------------------------------------------- what retrying cannot cure


def test_a_region_whose_endpoint_does_not_resolve_fails_at_once_naming_region_and_host(runner, emu, name):
    env = runner.env()
    del env["ALICLOUD_ECS_ENDPOINT"]  # the default endpoint of the region: https://ecs.<region>.aliyuncs.com
    result, proc = runner.module(dict(CREATE, name=name, region="cn-hangzou"), env=env)
    assert result["failed"] and result["failure"]["code"] == "SDK.EndpointNotResolved"
    assert "ecs.cn-hangzou.aliyuncs.com" in result["msg"] and "region" in result["msg"]
    assert "gave up after" not in result["msg"]  # not retried
    assert_no_traceback(proc)


def test_retry_timeout_zero_means_no_retry(runner, emu, name):
    emu.faults({"action": "DescribeInstances", "code": "Throttling", "count": 1})
    result, _proc = runner.module(dict(CREATE, name=name, retry_timeout=0))
    assert result["failed"] and result["failure"]["code"] == "Throttling"
    assert len(emu.calls("DescribeInstances")) == 1 and emu.calls("RunInstances") == []


def test_retry_after_is_milliseconds(runner, emu, name):
    emu.faults({"action": "DescribeInstances", "code": "Throttling", "count": 1, "retry_after": 60})
    result, _proc = runner.module(dict(CREATE, name=name, count=1, retry_timeout=5))
    assert not result.get("failed"), result.get("msg")  # "60" is 60 ms (not a minute): inside the 5 s budget
    first, second = emu.calls("DescribeInstances")[:2]
    assert second["timestamp"] - first["timestamp"] < 5


# --------------------------------------------------------- the realistic profile


def test_a_whole_life_in_the_realistic_profile(runner, emu, name):
    """Create, scale, stop, start, restart, scale down, release under every kind of lag at once."""
    emu.config({"consistency": {"profile": "realistic", "seed": 11}})
    steps = [
        (dict(CREATE, name=name, count=2, state="running"), 2, "Running"),
        (dict(CREATE, name=name, count=3, state="running"), 3, "Running"),
        ({"name": name, "count": 3, "state": "stopped"}, 3, "Stopped"),
        ({"name": name, "count": 3, "state": "running"}, 3, "Running"),
        ({"name": name, "count": 3, "state": "restarted"}, 3, "Running"),
        (dict(CREATE, name=name, count=1, remove_surplus=True, force_release=True), 1, "Running"),
        ({"name": name, "state": "absent", "force_release": True}, 0, None),
        (dict(CREATE, name=name, count=2, state="running"), 2, "Running"),
    ]
    results, proc = runner.modules([args for args, _count, _status in steps])
    assert_no_traceback(proc)
    for (args, count, status), result in zip(steps, results):
        assert not result.get("failed"), (args, result.get("msg"))
        assert len(result["instance_ids"]) == count, (args, result["instance_ids"])
        if status:
            assert {i["status"] for i in result["instances"]} == {status}, args
    assert len(mine(emu, name)) == 2 and instances_created(emu.calls()) == 5
