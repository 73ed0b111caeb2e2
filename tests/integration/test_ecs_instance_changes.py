"""ecs_instance changing existing instances in place, with real ansible-playbook runs against the emulator.

Each case creates one instance, then runs the changed task three times in one
playbook: check mode with diff, a real run with diff, and the same task again.
What the three runs did is read from the emulator's call log: the mutating calls
of all three together must be exactly those of the one real change (so check
mode and the re-run made none), and the re-run must report no change.  Cases
cover each change for pay-as-you-go and subscription instances, with and without
``allow_stop``; the cases that need a stop the task does not allow fail in every
mode before any change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

from tests.helpers.ansible_cli import mutating_calls

P, S = "PostPaid", "PrePaid"
OTHER_IMAGE = "aliyun_3_x64_20G_alibase_20240528.vhd"
STOP_START = ["StopInstances", "StartInstances"]


@dataclass
class Case:
    id: str
    charge: str
    initial: dict[str, Any]  # creation options beyond the defaults
    change: dict[str, Any]  # what the changed task sets
    calls: list[str] | None = None  # the mutating calls the change makes (None: the task must fail)
    expect: dict[str, Any] = field(default_factory=dict)  # attributes of the instance after the change
    error: str = ""  # a part of the failure message (calls None)
    warning: str = ""  # a part of a warning every run gives
    before: Callable[[Any, str], None] | None = None  # done to the instance before the runs (emulator, id)


def expire(emulator, instance_id):
    assert emulator.control("POST", "expire", {"instance_ids": [instance_id]}) == {"expired": [instance_id]}


CASES = [
    # Instance type.
    Case("type-postpaid-running-no-stop", P, {}, {"instance_type": "ecs.s2.large"},
         error="changing the instance type of a pay-as-you-go instance from ecs.n1.small to ecs.s2.large"),
    Case("type-postpaid-running-allow-stop", P, {}, {"instance_type": "ecs.s2.large", "allow_stop": True},
         ["StopInstances", "ModifyInstanceSpec", "StartInstances"], {"instance_type": "ecs.s2.large", "status": "Running"}),
    Case("type-postpaid-stopped", P, {"state": "stopped"}, {"instance_type": "ecs.s2.large", "state": "stopped"},
         ["ModifyInstanceSpec"], {"instance_type": "ecs.s2.large", "status": "Stopped"}),
    Case("type-prepaid-upgrade-running", S, {}, {"instance_type": "ecs.s2.large"},
         ["ModifyPrepayInstanceSpec"], {"instance_type": "ecs.s2.large", "status": "Running"},
         warning="the new type takes effect after its next restart"),
    Case("type-prepaid-upgrade-allow-stop", S, {}, {"instance_type": "ecs.s2.large", "allow_stop": True},
         ["ModifyPrepayInstanceSpec"], {"instance_type": "ecs.s2.large", "status": "Running"}),
    Case("type-prepaid-downgrade-running-no-stop", S, {"instance_type": "ecs.s2.large"}, {"instance_type": "ecs.n1.small"},
         error="downgrading the subscription instance type from ecs.s2.large to ecs.n1.small"),
    Case("type-prepaid-downgrade-allow-stop", S, {"instance_type": "ecs.s2.large"},
         {"instance_type": "ecs.n1.small", "allow_stop": True},
         ["StopInstances", "ModifyPrepayInstanceSpec", "StartInstances"], {"instance_type": "ecs.n1.small", "status": "Running"}),
    # Public bandwidth.
    Case("bandwidth-postpaid-from-zero", P, {"internet_max_bandwidth_out": 0}, {"internet_max_bandwidth_out": 5},
         ["ModifyInstanceNetworkSpec"], {"internet_max_bandwidth_out": 5, "has_public_ip": True}),
    Case("bandwidth-postpaid-allow-stop-needs-no-stop", P, {"internet_max_bandwidth_out": 1},
         {"internet_max_bandwidth_out": 10, "allow_stop": True}, ["ModifyInstanceNetworkSpec"],
         {"internet_max_bandwidth_out": 10, "status": "Running"}),
    Case("bandwidth-prepaid", S, {"internet_max_bandwidth_out": 1}, {"internet_max_bandwidth_out": 5},
         ["ModifyInstanceNetworkSpec"], {"internet_max_bandwidth_out": 5}),
    # System disk.
    Case("disk-postpaid-grow-online", P, {"system_disk": {"category": "cloud_essd", "size": 40}}, {"system_disk": {"size": 60}},
         ["ResizeDisk"], {"system_disk_size": 60, "status": "Running"}),
    Case("disk-prepaid-grow-online", S, {"system_disk": {"category": "cloud_essd", "size": 40}}, {"system_disk": {"size": 60}},
         ["ResizeDisk"], {"system_disk_size": 60}),
    Case("disk-basic-running-no-stop", P, {"system_disk": {"category": "cloud", "size": 40}}, {"system_disk": {"size": 60}},
         ["ResizeDisk"], {"system_disk_size": 60}, warning="the new size takes effect after the instance restarts"),
    Case("disk-basic-allow-stop", P, {"system_disk": {"category": "cloud", "size": 40}},
         {"system_disk": {"size": 60}, "allow_stop": True}, ["StopInstances", "ResizeDisk", "StartInstances"],
         {"system_disk_size": 60, "status": "Running"}),
    Case("disk-never-shrinks", P, {"system_disk": {"size": 60}}, {"system_disk": {"size": 40}, "allow_stop": True},
         error="system_disk.size 40 GiB is smaller than the system disk's 60 GiB"),
    # Image.
    Case("image-without-rebuild-warns", P, {}, {"image_id": OTHER_IMAGE}, [], {},
         warning="set rebuild: true to replace the system disk"),
    Case("image-rebuild-running-no-stop", P, {}, {"image_id": OTHER_IMAGE, "rebuild": True},
         error="rebuilding it from image %s" % OTHER_IMAGE),
    Case("image-rebuild-postpaid", P, {}, {"image_id": OTHER_IMAGE, "rebuild": True, "allow_stop": True},
         ["StopInstances", "ReplaceSystemDisk", "StartInstances"], {"image_id": OTHER_IMAGE, "status": "Running"}),
    Case("image-rebuild-prepaid-stopped", S, {"state": "stopped"}, {"image_id": OTHER_IMAGE, "rebuild": True, "state": "stopped"},
         ["ReplaceSystemDisk"], {"image_id": OTHER_IMAGE, "status": "Stopped"}),
    # User data.
    Case("user-data-running-no-stop-warns", P, {"user_data": "#!/bin/sh\necho one"}, {"user_data": "#!/bin/sh\necho two"},
         [], {}, warning="user_data differs but can only be changed while the instance is stopped"),
    Case("user-data-postpaid-allow-stop", P, {"user_data": "#!/bin/sh\necho one"},
         {"user_data": "#!/bin/sh\necho two", "allow_stop": True},
         ["StopInstances", "ModifyInstanceAttribute", "StartInstances"], {"status": "Running"}),
    Case("user-data-prepaid-allow-stop", S, {"user_data": "#!/bin/sh\necho one"},
         {"user_data": "#!/bin/sh\necho two", "allow_stop": True},
         ["StopInstances", "ModifyInstanceAttribute", "StartInstances"], {"status": "Running"}),
    # Subscriptions.
    Case("renew-when-ending-soon", S, {"period_unit": "Week"}, {"period_unit": "Week", "renew": {"period": 1, "within_days": 8}},
         ["RenewInstance"], {"renewed": True}),
    Case("renew-not-yet", S, {}, {"renew": {"period": 1}}, [], {}),
    Case("renew-expired-then-start", S, {}, {"renew": {"period": 1}, "state": "running"},
         ["RenewInstance", "StartInstances"], {"renewed": True, "status": "Running"}, before=expire),
    Case("renew-postpaid-warns", P, {}, {"renew": {"period": 1}}, [], {}, warning="renew applies to subscription"),
    Case("auto-renew-prepaid", S, {}, {"auto_renew": True, "auto_renew_period": 3},
         ["ModifyInstanceAutoRenewAttribute"], {"auto_renew": True}),
    # Several at once: one stop, one start.
    Case("several-changes-one-stop", P, {"system_disk": {"category": "cloud_essd", "size": 40}, "user_data": "one"},
         {"instance_type": "ecs.s2.large", "internet_max_bandwidth_out": 5, "system_disk": {"size": 50},
          "user_data": "two", "allow_stop": True},
         ["StopInstances", "ModifyInstanceAttribute", "ModifyInstanceSpec", "ModifyInstanceNetworkSpec", "ResizeDisk",
          "StartInstances"],
         {"instance_type": "ecs.s2.large", "internet_max_bandwidth_out": 5, "system_disk_size": 50, "status": "Running"}),
]


@pytest.fixture(scope="module", autouse=True)
def quick_spec_changes(emulator):
    """Subscription type changes land after 1 s here (the API page says 5 to 10 s)."""
    before = emulator.config()["delays"]["SpecChange"]
    emulator.control("POST", "config", {"delays": {"SpecChange": 1.0}})
    yield
    emulator.control("POST", "config", {"delays": {"SpecChange": before}})


def charge_args(charge: str, extra: dict[str, Any]) -> dict[str, Any]:
    if charge == P:
        return {}
    return {"instance_charge_type": "PrePaid", "period": 1, "period_unit": extra.get("period_unit", "Month")}


def check_attributes(instance: dict[str, Any], summary: dict[str, Any], expect: dict[str, Any], before: dict[str, Any]):
    """``instance``: a returned instance; ``summary``/``before``: its diff entries after and before the change."""
    for key, value in expect.items():
        if key == "has_public_ip":
            assert bool(instance["public_ip"]) is value, instance
        elif key == "system_disk_size":
            system = [d for d in instance["disks"] if d["type"] == "system"]
            assert [d["size"] for d in system] == [value], instance["disks"]
            assert summary["system_disk"]["size"] == value
        elif key == "renewed":
            assert instance["expired_time"] > before["expired_time"], (instance["expired_time"], before)
        elif key == "auto_renew":
            assert instance["auto_renew_attribute"]["auto_renew_enabled"] is value
            assert summary["auto_renew"] is value
        else:
            assert instance[key] == value, (key, instance[key])
            if key in summary:
                assert summary[key] == value, (key, summary)


def split_calls(calls: list[dict], charge: str) -> list[str]:
    """The mutating calls of the three change runs, out of those of one playbook that also created the
    instance first and released it last (the release: a conversion for a subscription, then DeleteInstances)."""
    actions = [c["action"] for c in mutating_calls(calls)]
    first = next(n for n, a in enumerate(actions) if a in ("RunInstances", "CreateInstance"))
    assert actions[-1] == "DeleteInstances", actions
    last = len(actions) - 1
    if charge == S and actions[last - 1] == "ModifyInstanceChargeType":
        last -= 1
    return actions[first + 1:last]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_change_in_check_diff_and_normal_mode_then_a_rerun_changes_nothing(case, ansible, emulator, create_args):
    initial = dict(case.initial)
    base = {**create_args, **charge_args(case.charge, initial)}
    create = {**base, "state": "running", **initial}
    task = {**base, "state": "present", **{k: v for k, v in initial.items() if k != "state"}, **case.change}
    release = {"name": create_args["name"], "state": "absent", "force_release": True, "convert_prepaid_on_delete": True}
    emulator.clear_calls()
    if case.before:
        created, _proc = ansible.module(create)
        case.before(emulator, created["instance_ids"][0])
        steps = []
    else:
        steps = [{"args": create}]
    steps += [{"args": task, "check": True, "diff": True}, {"args": task, "diff": True}, {"args": task},
              {"args": release}]
    results, proc = ansible.steps(steps)
    if not case.before:
        created = results.pop(0)
    check, real, rerun, released = results
    assert created["changed"] and not created.get("failed"), created
    assert not released.get("failed") and len(released["deleted_ids"]) == 1, released
    (instance_id,) = created["instance_ids"]
    calls = split_calls(emulator.calls(), case.charge)
    assert "Traceback" not in proc.stdout + proc.stderr
    if case.calls is None:
        for result in (check, real, rerun):
            assert result["failed"] and case.error in result["msg"], result
            assert "Nothing was changed" in result["msg"] or "never shrink" in result["msg"], result["msg"]
        assert calls == [], calls
        return
    for result in (check, real, rerun):
        assert not result.get("failed"), result.get("msg")
    # A warning about a change comes with the change; one about what is left undone, every time.
    for result in (check, real) if case.calls else (check, real, rerun):
        if case.warning:
            assert any(case.warning in w for w in result.get("warnings", [])), result.get("warnings")
    assert calls == case.calls, calls
    changed = bool(case.calls)
    assert check["changed"] is changed and real["changed"] is changed and rerun["changed"] is False
    if not changed:
        return
    assert check["modified_ids"] == [instance_id] == real["modified_ids"]
    assert rerun["modified_ids"] == []
    before = check["diff"]["before"][instance_id]
    assert check["diff"]["after"][instance_id] != before
    # Check mode predicts what the real run did, attribute by attribute.
    predicted = {k: v for k, v in check["diff"]["after"][instance_id].items() if k != "expired_time"}
    actual = {k: v for k, v in real["diff"]["after"][instance_id].items() if k in predicted}
    assert predicted == actual, (predicted, actual)
    (instance,) = real["instances"]
    check_attributes(instance, real["diff"]["after"][instance_id], case.expect, before)
    (again,) = rerun["instances"]
    check_attributes(again, real["diff"]["after"][instance_id], case.expect, before)
    if STOP_START[0] in case.calls:
        assert real["stopped_ids"] == [instance_id] and real["started_ids"] == [instance_id]


def test_expired_subscriptions_are_released_without_a_conversion(ansible, emulator, create_args):
    prepaid = dict(create_args, instance_charge_type="PrePaid", period=1, count=2, state="running")
    created, _proc = ansible.module(prepaid)
    expired, unexpired = created["instance_ids"]
    expire(emulator, expired)
    emulator.clear_calls()
    # Releasing both without the conversion option: the unexpired one blocks, and the message says which is which.
    result, _proc = ansible.module(dict(instance_ids=[expired, unexpired], state="absent"))
    assert result["failed"] and "%s (paid until" % unexpired in result["msg"] and "not expired yet" in result["msg"]
    assert expired not in result["msg"] and mutating_calls(emulator.calls()) == []
    # The expired one alone: released with TerminateSubscription, no ModifyInstanceChargeType (ExpiredInstance).
    (check, real, rerun), _proc = ansible.steps([
        {"args": dict(instance_ids=[expired], state="absent"), "check": True},
        {"args": dict(instance_ids=[expired], state="absent")},
        {"args": dict(instance_ids=[expired], state="absent")}])
    assert check["changed"] and check["deleted_ids"] == [expired]
    assert real["changed"] and real["deleted_ids"] == [expired] and not rerun["changed"]
    deletes = [c for c in mutating_calls(emulator.calls()) if c["action"] == "DeleteInstances"]
    assert [c["action"] for c in mutating_calls(emulator.calls())] == ["DeleteInstances"]
    assert deletes[0]["parameters"].get("TerminateSubscription") == "true"
    # With the conversion option, only the unexpired one is converted.
    emulator.clear_calls()
    result, _proc = ansible.module(dict(instance_ids=[unexpired], state="absent", convert_prepaid_on_delete=True))
    assert result["deleted_ids"] == [unexpired] and result["modified_ids"] == [unexpired]
    assert [c["action"] for c in mutating_calls(emulator.calls())] == [
        "ModifyInstanceChargeType", "StopInstances", "DeleteInstances"]
    assert [i for i in emulator.instances() if i["InstanceId"] in (expired, unexpired)] == []


def test_preview_of_a_new_instance_shows_what_it_will_be(ansible, emulator, create_args):
    task = dict(create_args, instance_charge_type="PrePaid", period=2, period_unit="Month", count=1,
                internet_max_bandwidth_out=3, tags={"team": "web"}, zone_id="cn-beijing-h",
                system_disk={"category": "cloud_essd", "size": 50}, data_disks=[{"size": 100, "category": "cloud_essd"}])
    emulator.clear_calls()
    result, _proc = ansible.module(task, check=True, diff=True)
    assert result["changed"] and mutating_calls(emulator.calls()) == []
    (planned,) = result["diff"]["after"].values()
    assert planned == {
        "instance_name": create_args["name"], "status": "Running", "tags": {"team": "web"},
        "image_id": create_args["image_id"], "instance_type": create_args["instance_type"],
        "vswitch_id": create_args["vswitch_id"], "zone_id": "cn-beijing-h", "instance_charge_type": "PrePaid",
        "period": 2, "period_unit": "Month", "auto_renew": False,
        "security_group_ids": create_args["security_group_ids"], "internet_max_bandwidth_out": 3,
        "system_disk": {"category": "cloud_essd", "size": 50},
        "data_disks": [{"size": 100, "category": "cloud_essd"}],
    }
    assert result["diff"]["before"] == {}


def test_data_disk_drift_is_reported_and_disks_are_returned(ansible, emulator, create_args):
    task = dict(create_args, data_disks=[{"size": 100, "category": "cloud_essd"}])
    created, _proc = ansible.module(task)
    (instance,) = created["instances"]
    assert [(d["type"], d["category"]) for d in instance["disks"]][1:] == [("data", "cloud_essd")]
    assert instance["disks"][0]["type"] == "system" and instance["disks"][1]["size"] == 100
    emulator.clear_calls()
    result, _proc = ansible.module(dict(task, data_disks=[{"size": 200, "category": "cloud_essd"}]))
    assert not result["changed"] and mutating_calls(emulator.calls()) == []
    assert any("its data disks (100 GiB cloud_essd) differ from data_disks" in w for w in result["warnings"])
    ansible.module(dict(instance_ids=created["instance_ids"], state="absent", force_release=True))
