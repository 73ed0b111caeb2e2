"""Soak, concurrency and emulator restarts, each with real ansible-playbook processes.

* Soak: 30 consecutive steps (a playbook run each, plus a re-run after each
  failed one) cycling create, scale up, scale down, stop, start, restart and
  delete while about 20% of all API calls fail (seeded
  probability rules of every fault kind). A run may fail (with a clear
  message); the same step is then run again. After every converged step the
  emulator holds exactly what it wanted, and over the whole soak the emulator
  created exactly as many instances as the steps asked for.
* Concurrency: four ansible-playbook processes at once, same task, count 5.
* Soak and concurrency also run in the emulator's realistic consistency
  profile (reference 8.9: listings lag behind creates, releases and changes).
* Restart: the emulator (``--state-file``) is SIGKILLed and restarted in the
  middle of a run; the run and a re-run converge without duplicates.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from .support import (
    CREATE,
    assert_no_traceback,
    faults_injected,
    instances_created,
    named,
    new_emulator,
    successful_creates,
    write_output,
)

CYCLE = [
    ("create", {"count": 2, "state": "running"}, 2, "Running"),
    ("scale-up", {"count": 4, "state": "running"}, 4, "Running"),
    ("scale-down", {"count": 2, "remove_surplus": True}, 2, "Running"),
    ("stop", {"count": 2, "state": "stopped"}, 2, "Stopped"),
    ("start", {"count": 2, "state": "running"}, 2, "Running"),
    ("restart", {"count": 2, "state": "restarted"}, 2, "Running"),
    ("delete", {"state": "absent"}, 0, None),
]
STEPS = 30  # four full cycles, then create and scale up: the soak ends with 4 instances wanted
# With the realistic consistency profile (new instances listed after 2-6 s, released ones listed for 1-4 s more,
# changes shown after 0.5-2 s; reference 8.9) two full cycles, then create and scale up.
STEPS_REALISTIC = 16
MAX_ATTEMPTS = 5
SEED = 20261126
# About 20% of all calls: 1 - 0.96 * 0.97**6 = 0.20.
SOAK_FAULTS = [
    {"action": "*", "code": "Throttling", "probability": 0.04},
    {"action": "*", "code": "Throttling.User", "probability": 0.03, "retry_after": 300},
    {"action": "*", "code": "ServiceUnavailable", "probability": 0.03},
    {"action": "*", "code": "InternalError", "probability": 0.03},
    {"action": "*", "kind": "reset", "probability": 0.03},
    {"action": "*", "kind": "commit_then_drop", "probability": 0.03},
    {"action": "*", "kind": "commit_then_error", "probability": 0.03},
]
FAILED_LINE = re.compile(r"^fatal: \[localhost\]: FAILED! => (\{.*\})$", re.M)


def failure_message(stdout: str) -> str:
    match = FAILED_LINE.search(stdout)
    return json.loads(match.group(1)).get("msg", "") if match else ""


@pytest.mark.parametrize("profile", ["consistent", "realistic"])
def test_soak_with_random_faults(profile, runner, emu, name):
    steps = STEPS if profile == "consistent" else STEPS_REALISTIC
    if profile != "consistent":
        emu.config({"consistency": {"profile": profile, "seed": SEED}})
    rules = [dict(rule, seed=SEED + index) for index, rule in enumerate(SOAK_FAULTS)]
    emu.faults(rules)
    runs, failed_runs, wanted_total, failures = 0, 0, 0, []
    for number in range(steps):
        cycle, (step, args, count, status) = number // len(CYCLE), CYCLE[number % len(CYCLE)]
        present = len(named(emu.instances(), name))
        wanted_total += max(0, count - present)
        for _attempt in range(MAX_ATTEMPTS):
            _, proc = runner.run("one_task.yml", {"args": dict(CREATE, name=name, retry_timeout=30, **args)})
            runs += 1
            assert_no_traceback(proc)
            if proc.returncode == 0:
                break
            failed_runs += 1
            msg = failure_message(proc.stdout)
            # A failure is allowed only when it says what failed: operation, code (and RequestId if any).
            assert re.match(r"^Failed to \w.+: [\w.]+: ", msg), proc.stdout[-4000:]
            failures.append({"cycle": cycle, "step": step, "msg": msg})
        else:
            pytest.fail("%s (cycle %d) did not converge in %d runs: %s" % (step, cycle, MAX_ATTEMPTS, failures[-3:]))
        instances = emu.instances()
        mine = named(instances, name)
        assert len(instances) == len(mine), "stray instances: %s" % instances
        assert len(mine) == count, (cycle, step, [(i["InstanceId"], i["Status"]) for i in mine])
        assert all(i["Status"] == status for i in mine), (cycle, step, [i["Status"] for i in mine])

    calls = emu.calls()
    created = instances_created(calls)
    figures = {
        "profile": profile, "playbook_runs": runs, "failed_runs_then_rerun": failed_runs, "steps": steps,
        "api_calls": len(calls), "faults_injected": faults_injected(calls),
        "fault_rate": round(faults_injected(calls) / len(calls), 3), "instances_wanted": wanted_total,
        "instances_created": created, "create_calls_committed": len(successful_creates(calls)),
        "duplicates": created - wanted_total, "failures": failures, "seed": SEED,
    }
    write_output("soak.json" if profile == "consistent" else "soak-%s.json" % profile, figures)
    print("soak figures:", json.dumps({k: v for k, v in figures.items() if k != "failures"}))
    assert runs >= steps
    assert 0.1 <= figures["fault_rate"] <= 0.3, figures
    assert created == wanted_total, figures
    assert len(emu.instances()) == CYCLE[(steps - 1) % len(CYCLE)][2]


@pytest.mark.parametrize("profile", ["consistent", "realistic"])
@pytest.mark.parametrize("state, create_action", [("running", "RunInstances"), ("stopped", "CreateInstance")])
def test_four_concurrent_playbooks_make_exactly_five(state, create_action, profile, runner, emu, name):
    if profile != "consistent":
        # The others' instances show up 2-6 s after they are created, so a run sees fewer than exist.
        emu.config({"consistency": {"profile": profile, "seed": 7}})
    # Every create takes 2 s inside the emulator, so the four runs are very likely in flight together.
    emu.faults({"action": create_action, "kind": "latency", "seconds": 2})
    args = dict(CREATE, name=name, count=5, state=state, retry_timeout=90)
    procs = [runner.start("one_task.yml", {"args": args}) for _ in range(4)]
    outputs = [proc.communicate(timeout=300) for proc, _ in procs]
    for (proc, _), (stdout, stderr) in zip(procs, outputs):
        assert proc.returncode == 0, stdout[-4000:] + stderr[-2000:]
        assert "Traceback" not in stdout + stderr
    instances = emu.instances()
    assert len(named(instances, name)) == 5 == len(instances)
    assert all(i["Status"] == state.capitalize() for i in instances)
    calls = emu.calls()
    assert instances_created(calls) == 5
    runs = calls_of(calls, create_action)
    write_output("concurrency-%s-%s.json" % (state, profile), {
        "profile": profile, "processes": 4, "count": 5, "instances": len(instances), "create_calls": len(runs),
        "replays": sum(1 for c in runs if c["replay"]),
        "last_token_processing": sum(1 for c in runs if c["code"] == "LastTokenProcessing"), "duplicates": 0,
    })


def calls_of(calls: list[dict], action: str) -> list[dict]:
    return [c for c in calls if c["action"] == action]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


@pytest.mark.parametrize("moment", ["during-the-wait", "during-the-create"])
def test_emulator_killed_and_restarted_mid_run(moment, collections_dir, tmp_path, name):
    from .support import Runner

    emu = new_emulator("--delays", "4,4,4", state_file=tmp_path / "state.json")
    try:
        runner = Runner(collections_dir, emu, tmp_path)
        if moment == "during-the-create":
            emu.faults({"action": "RunInstances", "kind": "latency", "seconds": 4, "count": 1})
        args = dict(CREATE, name=name, count=3, state="running", retry_timeout=90)
        proc, _ = runner.start("one_task.yml", {"args": args})
        if moment == "during-the-wait":
            # Instances are Pending for 4 s: kill while the module polls them.
            wait_for(lambda: any(c["code"] is None for c in emu.calls("RunInstances")), 120, "RunInstances")
            time.sleep(1.0)
        else:
            # RunInstances sleeps 4 s in the emulator before it creates anything: kill inside that window.
            wait_for(lambda: emu.calls("DescribeInstances"), 120, "the first DescribeInstances")
            time.sleep(1.5)
        before_kill = emu.calls()
        emu.kill()
        time.sleep(1.0)
        emu.restart()
        stdout, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stdout[-4000:] + stderr[-2000:]
        assert "Traceback" not in stdout + stderr
        after_restart = emu.calls()
        _, rerun = runner.run("one_task.yml", {"args": args})
        assert rerun.returncode == 0, rerun.stdout[-4000:]
        assert "changed=0" in rerun.stdout
        instances = emu.instances()
        assert len(named(instances, name)) == 3 == len(instances)
        assert all(i["Status"] == "Running" for i in instances)
        assert instances_created(before_kill + after_restart) == 3
        write_output("restart-%s.json" % moment, {
            "instances": len(instances), "created": 3, "calls_before_kill": len(before_kill),
            "calls_after_restart": len(after_restart), "duplicates": 0,
        })
    finally:
        emu.close()
