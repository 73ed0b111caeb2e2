"""The pure rules of in-place changes (_instance_changes.py) and how the planner combines them."""

from __future__ import annotations

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils import _instance_changes as c
from ansible_collections.alicloud.ecs.plugins.module_utils import _instance_plan as p
from ansible_collections.alicloud.ecs.plugins.modules import ecs_instance
from ansible_collections.alicloud.ecs.tests.unit.kit import module_params

NOW = c.parse_time("2026-12-02T00:00Z")
TYPES = {
    "small": {"CpuCoreCount": 1, "MemorySize": 2.0},
    "large": {"CpuCoreCount": 2, "MemorySize": 4.0},
    "large-other": {"CpuCoreCount": 2, "MemorySize": 4.0},
    "wide": {"CpuCoreCount": 4, "MemorySize": 2.0},
}
FACTS = c.Facts(now=NOW, instance_types=TYPES)


def params(**kw):
    return module_params(ecs_instance, **dict({"name": "web"}, **kw))


def inst(instance_id="i-1", status="Running", **extra):
    base = {"InstanceId": instance_id, "Status": status, "InstanceChargeType": "PostPaid", "InstanceType": "small",
            "InternetMaxBandwidthOut": 0, "ImageId": "img-a", "InstanceName": "web", "Tags": {"Tag": []}}
    return dict(base, **extra)


def disks(system=40, category="cloud_essd", data=()):
    found = [{"DiskId": "d-sys", "Type": "system", "Size": system, "Category": category}]
    return found + [{"DiskId": "d-%d" % n, "Type": "data", "Size": size, "Category": "cloud_essd"} for n, size in enumerate(data)]


@pytest.mark.parametrize("current,wanted,direction", [
    ("small", "large", "upgrade"), ("large", "small", "downgrade"), ("large", "large-other", None),
    ("large", "wide", None), ("small", "unknown", None),
])
def test_type_direction(current, wanted, direction):
    assert c.type_direction(current, wanted, TYPES) == direction


def test_postpaid_type_change_needs_stopped():
    change = c.spec_change(params(instance_type="large"), inst(), "PostPaid", FACTS)
    assert change.api["action"] == "ModifyInstanceSpec" and change.needs_stopped
    assert c.spec_change(params(instance_type="small"), inst(), "PostPaid", FACTS).api is None


def test_prepaid_upgrade_runs_downgrade_needs_stopped_ambiguous_stops_only_when_allowed():
    prepaid = inst(InstanceChargeType="PrePaid", ExpiredTime="2027-06-01T00:00Z")
    up = c.spec_change(params(instance_type="large"), prepaid, "PrePaid", FACTS)
    assert up.api["OperatorType"] == "upgrade" and not up.needs_stopped
    assert "takes effect after its next restart" in up.warnings[0]
    down = c.spec_change(params(instance_type="small"), dict(prepaid, InstanceType="large"), "PrePaid", FACTS)
    assert down.api["OperatorType"] == "downgrade" and down.needs_stopped
    same_size = dict(prepaid, InstanceType="large")
    assert not c.spec_change(params(instance_type="large-other"), same_size, "PrePaid", FACTS).needs_stopped
    allowed = c.spec_change(params(instance_type="large-other", allow_stop=True), same_size, "PrePaid", FACTS)
    assert allowed.needs_stopped and allowed.api["Ambiguous"]


def test_an_expired_subscription_must_be_renewed_before_a_type_change():
    expired = inst(InstanceChargeType="PrePaid", ExpiredTime="2026-11-01T00:00Z", Status="Stopped")
    change = c.spec_change(params(instance_type="large"), expired, "PrePaid", FACTS)
    assert "has expired" in change.errors[0] and "renew" in change.errors[0]
    assert c.spec_change(params(instance_type="large", renew={"period": 1}), expired, "PrePaid", FACTS).errors == []


def test_bandwidth_from_zero_allocates_a_public_ip_and_an_eip_is_left_alone():
    change = c.network_change(params(internet_max_bandwidth_out=5), inst())
    assert change.api == {"InternetMaxBandwidthOut": 5, "AllocatePublicIp": True, "From": 0}
    has_ip = inst(PublicIpAddress={"IpAddress": ["1.2.3.4"]}, InternetMaxBandwidthOut=1)
    assert "AllocatePublicIp" not in c.network_change(params(internet_max_bandwidth_out=5), has_ip).api
    eip = inst(EipAddress={"IpAddress": "47.1.1.1"})
    change = c.network_change(params(internet_max_bandwidth_out=5), eip)
    assert change.api is None and "EIP 47.1.1.1" in change.warnings[0]
    charge = c.network_change(params(internet_charge_type="PayByTraffic"), inst(InternetChargeType="PayByBandwidth"))
    assert charge.api == {"NetworkChargeType": "PayByTraffic", "From": 0}


@pytest.mark.parametrize("status,category,kind,stop", [
    ("Running", "cloud_essd", "online", False), ("Stopped", "cloud_essd", "offline", False),
    ("Running", "cloud", "offline", False),
])
def test_system_disk_grows_online_or_offline(status, category, kind, stop):
    change = c.resize_change(params(system_disk={"size": 60}), inst(status=status, Disks=disks(category=category)))
    assert change.api == {"DiskId": "d-sys", "NewSize": 60, "Type": kind, "From": 40} and change.needs_stopped is stop


def test_system_disk_never_shrinks_and_category_drift_warns():
    change = c.resize_change(params(system_disk={"size": 20}), inst(Disks=disks()))
    assert change.api is None and "never shrink" in change.errors[0]
    change = c.resize_change(params(system_disk={"size": 40, "category": "cloud_auto"}), inst(Disks=disks()))
    assert change.api is None and "cannot be changed in place" in change.warnings[0]
    assert c.resize_change(params(system_disk={"size": 60}), inst()).api is None  # disks not read


def test_data_disk_drift():
    same = inst(Disks=disks(data=[100]))
    assert c.data_disk_warnings(params(data_disks=[{"size": 100}]), same) == []
    assert "differ from data_disks" in c.data_disk_warnings(params(data_disks=[{"size": 200}]), same)[0]
    assert "(none)" in c.data_disk_warnings(params(data_disks=[{"size": 1}]), inst(Disks=disks()))[0]


def test_rebuild_only_when_asked():
    assert "set rebuild: true" in c.rebuild_change(params(image_id="img-b"), inst()).warnings[0]
    change = c.rebuild_change(params(image_id="img-b", rebuild=True, system_disk={"size": 50}), inst(Disks=disks()))
    assert change.api == {"ImageId": "img-b", "From": "img-a", "SystemDiskId": "d-sys", "SystemDisk.Size": 50}
    assert change.needs_stopped


def test_renewal_window_and_expiry():
    prepaid = inst(InstanceChargeType="PrePaid", ExpiredTime="2026-12-05T00:00Z")
    assert c.renew_change(params(renew={"period": 1}), prepaid, FACTS).api["ExpiredTime"] == "2026-12-05T00:00Z"
    far = dict(prepaid, ExpiredTime="2027-03-01T00:00Z")
    assert c.renew_change(params(renew={"period": 1}), far, FACTS).api is None
    expired = dict(prepaid, ExpiredTime="2026-11-01T00:00Z")
    assert c.is_expired(expired, NOW) and c.renew_change(params(renew={"period": 1}), expired, FACTS).api
    assert "subscription" in c.renew_change(params(renew={"period": 1}), inst(), FACTS).warnings[0]
    assert c.renewed_expiry({"ExpiredTime": "2027-01-31T08:00Z"}, 1, "Month", NOW) == "2027-02-28T08:00Z"
    assert c.renewed_expiry(expired, 2, "Week", NOW) == "2026-12-16T00:00Z"


def test_a_renewal_shorter_than_its_window_is_refused():
    assert "must last longer than renew.within_days" in c.renew_errors(params(renew={"period": 1, "period_unit": "Week"}))[0]
    assert c.renew_errors(params(renew={"period": 1, "period_unit": "Week", "within_days": 3})) == []


def test_auto_renew_compared_with_the_subscription():
    prepaid = inst(InstanceChargeType="PrePaid",
                   AutoRenewAttribute={"AutoRenewEnabled": True, "Duration": 3, "PeriodUnit": "Month"})
    wanted = params(instance_charge_type="PrePaid", period=1, auto_renew=True, auto_renew_period=3)
    assert c.auto_renew_change(wanted, prepaid).api is None
    change = c.auto_renew_change(dict(wanted, auto_renew_period=6), prepaid)
    assert change.api == {"AutoRenew": True, "PeriodUnit": "Month", "Duration": 6}
    assert c.auto_renew_change(dict(wanted, auto_renew=False), prepaid).api == {"AutoRenew": False, "PeriodUnit": "Month"}
    assert c.auto_renew_change(wanted, inst()).api is None  # pay-as-you-go


def test_the_planner_stops_once_for_several_changes_and_fails_before_any_without_allow_stop():
    instance = inst(Disks=disks(), UserData="")
    task = dict(instance_ids=["i-1"], instance_type="large", internet_max_bandwidth_out=5, system_disk={"size": 60},
                user_data="two")
    plan, errors = p.compute_plan(params(**task), [instance], facts=FACTS)
    assert len(errors) == 1 and "set allow_stop: true" in errors[0] and "Nothing was changed" in errors[0]
    plan, errors = p.compute_plan(params(allow_stop=True, **task), [instance], facts=FACTS)
    assert errors == [] and plan.stop_for_change == ["i-1"] and plan.start_after_change == ["i-1"]
    assert plan.resize["i-1"]["Type"] == "offline"  # stopped by then
    assert plan.modified_ids == ["i-1"] and set(plan.spec) == set(plan.network) == {"i-1"}
    assert plan.planned_ids()["stopped_ids"] == ["i-1"] == plan.planned_ids()["started_ids"]


def test_restarted_with_a_stop_for_change_is_not_rebooted_as_well():
    plan, errors = p.compute_plan(params(instance_ids=["i-1"], instance_type="large", allow_stop=True, state="restarted"),
                                  [inst()], facts=FACTS)
    assert errors == [] and plan.reboot == [] and plan.start_after_change == ["i-1"]
    assert plan.planned_ids()["restarted_ids"] == ["i-1"]


def test_expired_subscriptions_are_released_without_conversion():
    expired = inst("i-e", "Stopped", InstanceChargeType="PrePaid", ExpiredTime="2026-11-01T00:00Z")
    unexpired = inst("i-u", InstanceChargeType="PrePaid", ExpiredTime="2027-11-01T00:00Z")
    plan, errors = p.compute_plan(params(instance_ids=["i-e"], state="absent"), [expired], facts=FACTS)
    assert errors == [] and plan.terminate == ["i-e"] and plan.unsubscribe == []
    plan, errors = p.compute_plan(params(instance_ids=["i-e", "i-u"], state="absent"), [expired, unexpired], facts=FACTS)
    assert len(errors) == 1 and "i-u (paid until 2027-11-01T00:00Z) have not expired yet" in errors[0]
    assert "i-e" not in errors[0]
    plan, errors = p.compute_plan(params(instance_ids=["i-e", "i-u"], state="absent", convert_prepaid_on_delete=True),
                                  [expired, unexpired], facts=FACTS)
    assert errors == [] and plan.unsubscribe == ["i-u"] and plan.terminate == ["i-e"]
    assert plan.modified_ids == ["i-u"]


def test_the_preview_of_a_new_instance_is_complete():
    task = params(name="web", image_id="img", instance_type="large", vswitch_id="vsw", zone_id="z",
                  security_group_ids=["sg"], instance_charge_type="PrePaid", period=3, tags={"a": "1"},
                  internet_max_bandwidth_out=2, system_disk={"size": 50}, data_disks=[{"size": 10}])
    plan, _errors = p.compute_plan(dict(task, tags={"a": "1"}), [], facts=FACTS)
    summary = p.summarize(p.predict(plan, task, []))["new-1"]
    assert summary == {
        "instance_name": "web", "status": "Running", "tags": {"a": "1"}, "image_id": "img", "instance_type": "large",
        "vswitch_id": "vsw", "zone_id": "z", "instance_charge_type": "PrePaid", "period": 3, "period_unit": "Month",
        "auto_renew": False, "security_group_ids": ["sg"], "internet_max_bandwidth_out": 2,
        "system_disk": {"size": 50}, "data_disks": [{"size": 10}],
    }
