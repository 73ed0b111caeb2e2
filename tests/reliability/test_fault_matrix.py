"""Fault matrix: every mutating action the modules call, and DescribeInstances, under every fault kind.

One playbook run per fault kind walks an instance set through its whole life
(create stopped, public IP, scale up running, modify, check-mode scale up
(DryRun: nothing created), tag, reboot, untag, subscription, stop, scale down
releasing the surplus). Each step injects that fault once into every action
the step calls (and into its first DescribeInstances). After
each step the emulator's own instance list must be exactly what the step
wanted; a step may fail only where the module documents that it cannot tell
whether the call was carried out (a reboot or a public IP allocation has no
ClientToken and is never repeated), and then with a clear message, and the clean re-run converges.

A second test makes the faults outlast a small retry budget (``retry_timeout``)
action by action: each step fails with the code and the RequestId, and the
clean re-run converges. Never a duplicate, never a stray instance.
"""

from __future__ import annotations

import re

import pytest

from .support import (
    CREATE,
    assert_no_traceback,
    faults_injected,
    instances_created,
    named,
    tags_of,
    write_output,
)

READ_TIMEOUT = 0.6
LATENCY = 1.5  # beyond READ_TIMEOUT: the client times out, the emulator still carries the call out
RETRY_AFTER_MS = 700  # x-acs-retry-after is in milliseconds (reference 8.5); first backoff is 0.25-0.5 s

KINDS = {
    "throttling": {"code": "Throttling"},
    "throttling_retry_after": {"code": "Throttling", "retry_after": RETRY_AFTER_MS},
    "throttling_user": {"code": "Throttling.User"},
    "throttling_user_retry_after": {"code": "Throttling.User", "retry_after": RETRY_AFTER_MS},
    "internal_error_500": {"code": "InternalError"},
    "service_unavailable_503": {"code": "ServiceUnavailable"},
    "reset_before_processing": {"kind": "reset"},
    "commit_then_drop": {"kind": "commit_then_drop"},
    "commit_then_error_500": {"kind": "commit_then_error"},
    "latency_beyond_read_timeout": {"kind": "latency", "seconds": LATENCY},
}
# Kinds after which a call may or may not have been carried out.
AMBIGUOUS = {"internal_error_500", "reset_before_processing", "commit_then_drop", "commit_then_error_500",
             "latency_beyond_read_timeout"}
# Actions without a ClientToken whose repetition is not harmless: the module does not repeat them after an
# ambiguous failure (ecs_instance docs, notes), so it may fail there -- clearly -- and a re-run converges.
NOT_REPEATED = {"RebootInstances", "AllocatePublicIpAddress"}
CLEAR_AMBIGUOUS_FAILURE = r"(reboot instances|allocate a public IP address).*: (InternalError|SDK\.HttpError): "
MATRIX_ACTIONS = {
    "DescribeInstances", "CreateInstance", "RunInstances", "StartInstances", "StopInstances", "RebootInstances",
    "DeleteInstances", "ModifyInstanceAttribute", "TagResources", "UntagResources", "ModifyInstanceChargeType",
    "AllocatePublicIpAddress",
}


def lifecycle(name: str) -> list[dict]:
    """Steps and what each must leave behind: count, status, and optional attribute checks."""
    create = dict(CREATE, name=name, internet_max_bandwidth_out=5)
    return [
        {"id": "create-stopped", "args": dict(create, count=2, state="stopped"),
         "actions": ["CreateInstance"], "expect": {"count": 2, "status": "Stopped"}},
        {"id": "public-ip", "module": "ecs_public_ip", "index": 0,
         "actions": ["AllocatePublicIpAddress"], "expect": {"count": 2, "status": "Stopped", "public_ips": 1}},
        {"id": "scale-up-running", "args": dict(create, count=3, state="running", description="reliability"),
         "actions": ["RunInstances", "StartInstances", "ModifyInstanceAttribute"],
         "expect": {"count": 3, "status": "Running", "description": "reliability"}},
        {"id": "check-mode-scale-up", "check_mode": True, "args": dict(create, count=5, state="running",
                                                                       description="reliability"),
         "actions": ["RunInstances"], "expect": {"count": 3, "status": "Running"}},
        {"id": "tag-and-reboot", "by_ids": True, "args": {"state": "restarted", "tags": {"suite": "reliability"},
                                                          "purge_tags": False},
         "actions": ["TagResources", "RebootInstances"],
         "expect": {"count": 3, "status": "Running", "tags": {"suite": "reliability"}}},
        {"id": "untag-subscribe-stop", "by_ids": True,
         "args": {"state": "stopped", "tags": {}, "purge_tags": True, "instance_charge_type": "PrePaid", "period": 1},
         "actions": ["UntagResources", "ModifyInstanceChargeType", "StopInstances"],
         "expect": {"count": 3, "status": "Stopped", "tags": {}, "charge": "PrePaid"}},
        {"id": "scale-down", "args": dict(create, count=1, remove_surplus=True, convert_prepaid_on_delete=True),
         "actions": ["ModifyInstanceChargeType", "DeleteInstances"], "expect": {"count": 1, "status": "Stopped"}},
    ]


def check_step(step: dict, record: dict, name: str, may_fail: bool, failure_pattern: str | None = None) -> list[str]:
    """Problems with one recorded step (empty when it is fine)."""
    problems = []
    first, rerun = record["first"], record["rerun"]
    if first.get("failed"):
        msg = first.get("msg", "")
        if not may_fail:
            problems.append("%s failed: %s" % (step["id"], msg))
        elif not msg.startswith("Failed to ") or (failure_pattern and not re.search(failure_pattern, msg)):
            problems.append("%s failed without a clear message: %r" % (step["id"], msg))
        if "Traceback" in str(first.get("exception", "")) or "module_stderr" in first:
            problems.append("%s failed with a traceback: %r" % (step["id"], first))
        if not rerun or rerun.get("failed"):
            problems.append("%s: the clean re-run did not converge: %r" % (step["id"], (rerun or {}).get("msg")))
    mine = named(record["instances"], name)
    expect = step["expect"]
    final = rerun if first.get("failed") else first
    if final and not final.get("failed") and step.get("module", "ecs_instance") == "ecs_instance":
        # What the module returns is what the emulator holds (no replayed or released ids).
        if sorted(final.get("instance_ids", [])) != sorted(i["InstanceId"] for i in mine):
            problems.append("%s: module returned %s, emulator holds %s" % (
                step["id"], final.get("instance_ids"), [i["InstanceId"] for i in mine]))
    if len(record["instances"]) != len(mine):
        problems.append("%s: stray instances %s" % (step["id"], [i["InstanceId"] for i in record["instances"]
                                                              if i not in mine]))
    if len(mine) != expect["count"]:
        problems.append("%s: %d instances, wanted %d" % (step["id"], len(mine), expect["count"]))
    statuses = {i["Status"] for i in mine}
    if mine and statuses != {expect["status"]}:
        problems.append("%s: statuses %s, wanted %s" % (step["id"], statuses, expect["status"]))
    if "description" in expect and {i.get("Description") for i in mine} != {expect["description"]}:
        problems.append("%s: descriptions %s" % (step["id"], {i.get("Description") for i in mine}))
    if "tags" in expect and any(tags_of(i) != expect["tags"] for i in mine):
        problems.append("%s: tags %s" % (step["id"], [tags_of(i) for i in mine]))
    if "charge" in expect and {i["InstanceChargeType"] for i in mine} != {expect["charge"]}:
        problems.append("%s: charge types %s" % (step["id"], {i["InstanceChargeType"] for i in mine}))
    if "public_ips" in expect:
        with_ip = [i for i in mine if i.get("PublicIpAddress", {}).get("IpAddress")]
        if len(with_ip) != expect["public_ips"]:
            problems.append("%s: %d instances with a public IP, wanted %d" % (step["id"], len(with_ip),
                                                                              expect["public_ips"]))
    return problems


def wanted_creations(steps: list[dict]) -> int:
    """Instances the steps ask to create: every increase of the wanted count."""
    total, current = 0, 0
    for step in steps:
        count = step["expect"]["count"]
        total += max(0, count - current)
        current = count
    return total


def fault_label(kind: dict) -> str:
    if kind.get("kind") in ("reset", "commit_then_drop", "commit_then_error"):
        return kind["kind"]
    if kind.get("kind") == "latency":
        return "latency:"
    return "error:%s" % kind["code"]


# The release markers of ecs_instance are read with DryRun DeleteInstances calls (docs/ecs_instance.md):
# steps that create or release get one more fault, on such a read.
MARKER_READERS = {"RunInstances", "CreateInstance", "DeleteInstances"}


@pytest.mark.parametrize("profile", ["consistent", "realistic"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_fault_once_per_action(kind, profile, runner, emu, name):
    spec = KINDS[kind]
    if profile != "consistent":
        emu.config({"consistency": {"profile": profile, "seed": 5}})
    steps = lifecycle(name)
    for step in steps:
        # The step's first DescribeInstances too, then once per action the step calls (the real call, not a
        # DryRun; in check mode the step's calls are DryRuns), and once on a release-marker read where the step
        # reads one.
        dry = bool(step.get("check_mode"))
        step["faults"] = [dict(spec, action=action, count=1, dry_run=dry and action != "DescribeInstances")
                          for action in ["DescribeInstances", *step["actions"]]]
        if MARKER_READERS & set(step["actions"]) and not step.get("check_mode"):
            step["faults"].append(dict(spec, action="DeleteInstances", count=1, dry_run=True))
    options = {"steps": steps, "retry_timeout": 60}
    if spec.get("kind") == "latency":
        options["read_timeout"] = READ_TIMEOUT  # only here: a busy machine must not time out ordinary calls
    results, proc = runner.run("steps.yml", options)
    assert results is not None and proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
    assert_no_traceback(proc)

    problems = []
    for step, record in zip(steps, results):
        may_fail = kind in AMBIGUOUS and NOT_REPEATED & set(step["actions"])
        problems += check_step(step, record, name, bool(may_fail), CLEAR_AMBIGUOUS_FAILURE)
    calls = emu.calls()
    # The matrix covers every action the modules called (read from the call log, not assumed).
    assert {c["action"] for c in calls} <= MATRIX_ACTIONS, {c["action"] for c in calls} - MATRIX_ACTIONS
    # Every injected fault really hit its action.
    label = fault_label(spec)
    for action in MATRIX_ACTIONS:
        injected = sum(1 for step in steps for rule in step["faults"] if rule["action"] == action)
        hit = sum(1 for c in calls if c["action"] == action and label in (c.get("fault") or ""))
        if hit != injected:
            problems.append("%s: %d faults injected, %d applied" % (action, injected, hit))
    assert not problems, "\n".join(problems)

    # Never a duplicate: what the emulator created is exactly what the steps asked for.
    assert instances_created(calls) == wanted_creations(steps)
    assert len(emu.instances()) == steps[-1]["expect"]["count"]
    if spec.get("retry_after"):
        # The server's hint is honoured: the next attempt of a throttled call comes no sooner.
        gaps = retry_gaps(calls, label)
        assert gaps and min(gaps) >= RETRY_AFTER_MS / 1000.0 - 0.05, gaps
    write_output("fault-matrix-%s-%s.json" % (kind, profile), {
        "kind": kind, "profile": profile, "steps": len(steps), "actions": sorted(MATRIX_ACTIONS),
        "faults_injected": faults_injected(calls),
        "failed_first_runs": sum(1 for r in results if r["first"].get("failed")), "duplicates": 0,
    })


def retry_gaps(calls: list[dict], label: str) -> list[float]:
    """Seconds between each faulted call and the next call of the same action."""
    gaps = []
    for index, call in enumerate(calls):
        if label in (call.get("fault") or ""):
            later = next((c for c in calls[index + 1:] if c["action"] == call["action"]), None)
            if later is not None:
                gaps.append(later["timestamp"] - call["timestamp"])
    return gaps


def budget_steps(name: str) -> list[dict]:
    """One persistent fault per step, on the action the step calls first."""
    create = dict(CREATE, name=name, internet_max_bandwidth_out=5)
    plan = [
        ("describe", dict(create, count=2, state="stopped"), False, "DescribeInstances", "ServiceUnavailable",
         {"count": 2, "status": "Stopped"}),
        ("create-instance", dict(create, count=3, state="stopped"), False, "CreateInstance", "Throttling",
         {"count": 3, "status": "Stopped"}),
        ("public-ip", None, True, "AllocatePublicIpAddress", "Throttling", {"count": 3, "status": "Stopped",
                                                                            "public_ips": 1}),
        ("start", dict(create, count=3, state="running"), False, "StartInstances", "Throttling.User",
         {"count": 3, "status": "Running"}),
        ("run-instances", dict(create, count=4, state="running"), False, "RunInstances", "Throttling",
         {"count": 4, "status": "Running"}),
        ("modify", {"description": "budget"}, True, "ModifyInstanceAttribute", "InternalError",
         {"count": 4, "status": "Running", "description": "budget"}),
        ("tag", {"tags": {"suite": "budget"}, "purge_tags": False}, True, "TagResources", "Throttling",
         {"count": 4, "status": "Running", "tags": {"suite": "budget"}}),
        ("reboot", {"state": "restarted"}, True, "RebootInstances", "Throttling", {"count": 4, "status": "Running"}),
        ("untag", {"tags": {}, "purge_tags": True}, True, "UntagResources", "ServiceUnavailable",
         {"count": 4, "status": "Running", "tags": {}}),
        ("stop", {"state": "stopped"}, True, "StopInstances", "Throttling", {"count": 4, "status": "Stopped"}),
        ("subscribe", {"instance_charge_type": "PrePaid", "period": 1}, True, "ModifyInstanceChargeType",
         "Throttling", {"count": 4, "status": "Stopped", "charge": "PrePaid"}),
        ("delete", dict(create, count=1, remove_surplus=True, convert_prepaid_on_delete=True), False,
         "DeleteInstances", "InternalError", {"count": 1, "status": "Stopped"}),
        ("release", {"name": name, "state": "absent", "convert_prepaid_on_delete": True}, False,
         "ModifyInstanceChargeType", "InternalError", {"count": 0}),
    ]
    steps = []
    for step_id, args, by_ids, action, code, expect in plan:
        step = {"id": step_id, "args": args or {}, "by_ids": by_ids, "actions": [action], "code": code,
                "faults": [{"action": action, "code": code}], "expect": expect}
        if args is None:
            step.update(module="ecs_public_ip", index=0)
        steps.append(step)
    return steps


def test_faults_outlasting_the_retry_budget(runner, emu, name):
    steps = budget_steps(name)
    results, proc = runner.run("steps.yml", {"steps": steps, "retry_timeout": 1.0})
    assert results is not None and proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
    assert_no_traceback(proc)
    problems = []
    for step, record in zip(steps, results):
        if not record["first"].get("failed"):
            problems.append("%s: did not fail under a persistent %s on %s" % (step["id"], step["code"],
                                                                              step["actions"][0]))
            continue
        # Failed to <what>: <Code>: <Message> (gave up after N attempts) (RequestId <id>)
        pattern = r"^Failed to .+: %s: .+RequestId [0-9A-F-]{36}" % re.escape(step["code"])
        problems += check_step(step, record, name, may_fail=True, failure_pattern=pattern)
        failure = record["first"].get("failure") or {}
        if failure.get("code") != step["code"] or not failure.get("request_id"):
            problems.append("%s: failure data %r" % (step["id"], failure))
    assert not problems, "\n".join(problems)
    calls = emu.calls()
    assert instances_created(calls) == wanted_creations(steps)
    assert emu.instances() == []
    write_output("fault-budget.json", {"steps": len(steps), "faults_injected": faults_injected(calls),
                                       "duplicates": 0})
