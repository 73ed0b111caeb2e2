"""Configuration changes and renewals: ModifyInstanceSpec, ModifyPrepayInstanceSpec,
ModifyInstanceNetworkSpec, ResizeDisk, ReplaceSystemDisk, RenewInstance, Modify/DescribeInstanceAutoRenewAttribute,
and releasing expired subscriptions (through the old SDK over HTTP; timing in-process with a synthetic clock)."""

from __future__ import annotations

import json
import time

import pytest

from ecs_emulator.errors import ApiError
from ecs_emulator.state import Store
from tests.emulator.actions_support import IMAGE, Ecs, assert_error
from tests.emulator.test_state import RUN, T0, api

WINDOWS = "win2022_21H2_x64_dtc_en-us_40G_alibase_20240515.vhd"
UBUNTU = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"


def stopped(ecs: Ecs, **params) -> str:
    [iid] = ecs.run(**params)
    ecs.call("StopInstance", InstanceId=iid)
    ecs.wait(iid, "Stopped")
    return iid


def balance(emulator) -> float:
    return emulator.state()["balance"]


# ------------------------------------------------------------------------------- ModifyInstanceSpec


def test_modify_instance_spec_changes_the_type_of_a_stopped_instance(ecs: Ecs):
    iid = stopped(ecs)
    assert_error(ecs.error("ModifyInstanceSpec", InstanceId=iid, InstanceType="ecs.g7.xlarge", DryRun=True),
                 "DryRunOperation", 400)
    assert ecs.one(iid)["InstanceType"] == "ecs.g7.large"
    ecs.call("ModifyInstanceSpec", InstanceId=iid, InstanceType="ecs.g7.xlarge", ClientToken="spec-1")
    inst = ecs.one(iid)
    assert inst["InstanceType"] == "ecs.g7.xlarge" and inst["Cpu"] == 4 and inst["Memory"] == 16384
    ecs.call("ModifyInstanceSpec", InstanceId=iid, InstanceType="ecs.g7.xlarge", ClientToken="spec-1")  # replay


@pytest.mark.parametrize(
    "params,code,status",
    [
        ({"InstanceType": "ecs.nope.large"}, "InvalidInstanceType.ValueNotSupported", 400),
        ({"InstanceType": "ecs.g7.large"}, "DependencyViolation.InstanceType", 400),
        ({"InstanceType": "ecs.g7.xlarge", "InternetMaxBandwidthOut": "5"}, "InvalidParameter.Mismatch", 400),
        ({}, "MissingParameter", 400),
        ({"InternetMaxBandwidthOut": "101"}, "InvalidParameter", 400),
        ({"InstanceType": "ecs.g7.xlarge", "AllowMigrateAcrossZone": "maybe"},
         "InvalidParameter.AllowMigrateAcrossZone", 400),
        ({"InstanceType": "ecs.g7.xlarge", "SystemDisk.Category": "cloud_essd"}, "InvalidParam.SystemDiskCategory", 400),
    ],
)
def test_modify_instance_spec_validation(ecs: Ecs, params, code, status):
    iid = stopped(ecs)
    assert_error(ecs.error("ModifyInstanceSpec", InstanceId=iid, **params), code, status)


def test_modify_instance_spec_state_rules(ecs: Ecs, emulator):
    [iid] = ecs.run()
    exc = ecs.error("ModifyInstanceSpec", InstanceId=iid, InstanceType="ecs.g7.xlarge", AllowMigrateAcrossZone=True)
    assert_error(exc, "InvalidInstanceStatus.NotStopped", 400, "The specified Instance status is not stopped.")
    ecs.call("ModifyInstanceSpec", InstanceId=iid, InternetMaxBandwidthOut=20)  # bandwidth: Running is fine
    inst = ecs.one(iid)
    assert inst["InternetMaxBandwidthOut"] == 20 and inst["InternetMaxBandwidthIn"] == 10
    assert inst["PublicIpAddress"]["IpAddress"] == []  # pay-as-you-go: no public IP assigned here
    [prepaid] = ecs.run(InstanceChargeType="PrePaid", Period=1)
    assert_error(ecs.error("ModifyInstanceSpec", InstanceId=prepaid, InternetMaxBandwidthOut=5), "ChargeTypeViolation", 403)
    stopped_id = stopped(ecs)
    emulator.config({"no_stock": ["cn-hangzhou-h/ecs.g7.xlarge"]})
    assert_error(ecs.error("ModifyInstanceSpec", InstanceId=stopped_id, InstanceType="ecs.g7.xlarge"),
                 "OperationDenied.NoStock", 403)
    assert_error(ecs.error("ModifyInstanceSpec", InstanceId="i-bp1nothere", InstanceType="ecs.g7.xlarge"),
                 "InvalidInstanceId.NotFound", 404)


def test_modify_instance_spec_async_lands_after_the_spec_change_delay():
    store = Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0, "SpecChange": 6}})
    iid = api(store, "CreateInstance", T0, **RUN)["InstanceId"]
    api(store, "ModifyInstanceSpec", T0 + 1, InstanceId=iid, InstanceType="ecs.g7.xlarge", Async="true")
    shown = lambda t: api(store, "DescribeInstances", t, RegionId="cn-hangzhou")["Instances"]["Instance"][0]  # noqa: E731
    assert shown(T0 + 6)["InstanceType"] == "ecs.g7.large"
    assert shown(T0 + 7.1)["InstanceType"] == "ecs.g7.xlarge"


# ------------------------------------------------------------------------- ModifyPrepayInstanceSpec


def test_prepay_upgrade_charges_the_difference_for_the_remaining_period(ecs: Ecs, emulator):
    [iid] = ecs.run(InstanceChargeType="PrePaid", Period=1)
    before = balance(emulator)
    body = ecs.call("ModifyPrepayInstanceSpec", InstanceId=iid, InstanceType="ecs.g7.xlarge", ClientToken="up-1")
    assert body["OrderId"].isdigit()
    months = (time.mktime(time.strptime(ecs.one(iid)["ExpiredTime"], "%Y-%m-%dT%H:%MZ")) - time.mktime(time.gmtime())) / (
        30 * 86400
    )
    assert before - balance(emulator) == pytest.approx((580 - 290) * months, abs=3)
    assert ecs.one(iid)["InstanceType"] == "ecs.g7.xlarge"  # fast delays: SpecChange 0
    again = ecs.call("ModifyPrepayInstanceSpec", InstanceId=iid, InstanceType="ecs.g7.xlarge", ClientToken="up-1")
    assert again["OrderId"] == body["OrderId"]


def test_prepay_downgrade_refunds_and_needs_a_stopped_instance(ecs: Ecs, emulator):
    [iid] = ecs.run(InstanceChargeType="PrePaid", Period=1, InstanceType="ecs.g7.xlarge")
    exc = ecs.error("ModifyPrepayInstanceSpec", InstanceId=iid, InstanceType="ecs.c7.large")
    assert_error(exc, "InvalidParameter", 400)  # lower type: OperatorType must be downgrade
    exc = ecs.error("ModifyPrepayInstanceSpec", InstanceId=iid, InstanceType="ecs.c7.large", OperatorType="downgrade")
    assert_error(exc, "InvalidStatus.NotStopped", 400, "Instance status must be stopped.")
    ecs.call("StopInstance", InstanceId=iid)
    ecs.wait(iid, "Stopped")
    before = balance(emulator)
    for target in ("ecs.g7.large", "ecs.c7.large", "ecs.c6.large"):
        ecs.call("ModifyPrepayInstanceSpec", InstanceId=iid, InstanceType=target, OperatorType="downgrade")
    assert balance(emulator) > before and ecs.one(iid)["InstanceType"] == "ecs.c6.large"
    exc = ecs.error("ModifyPrepayInstanceSpec", InstanceId=iid, InstanceType="ecs.t6-c1m1.large", OperatorType="downgrade")
    assert_error(exc, "InstanceDowngrade.QuotaExceed", 400)  # three downgrades at most


@pytest.mark.parametrize(
    "params,code,status",
    [
        ({"InstanceType": "ecs.nope"}, "InvalidInstanceType.ValueNotSupported", 400),
        ({"InstanceType": "ecs.g7.large"}, "InvalidInstanceType.ValueNotSupported", 400),
        ({"InstanceType": "ecs.g7.xlarge", "OperatorType": "sideways"}, "InvalidParameter", 400),
        ({"InstanceType": "ecs.g7.xlarge", "OperatorType": "downgrade"}, "InvalidParameter", 400),
        ({}, "MissingParameter", 400),
    ],
)
def test_prepay_spec_validation(ecs: Ecs, params, code, status):
    [iid] = ecs.run(InstanceChargeType="PrePaid", Period=1)
    assert_error(ecs.error("ModifyPrepayInstanceSpec", InstanceId=iid, **params), code, status)


def test_prepay_spec_billing_rules(ecs: Ecs, emulator):
    [postpaid] = ecs.run()
    exc = ecs.error("ModifyPrepayInstanceSpec", InstanceId=postpaid, InstanceType="ecs.g7.xlarge")
    assert_error(exc, "InvalidInstanceChargeType.ValueNotSupported", 400)
    [iid] = ecs.run(InstanceChargeType="PrePaid", Period=1)
    before = balance(emulator)
    ecs.call("ModifyPrepayInstanceSpec", InstanceId=iid, InstanceType="ecs.g7.xlarge", AutoPay=False)
    assert ecs.one(iid)["InstanceType"] == "ecs.g7.large" and balance(emulator) == before  # unpaid order
    emulator.config({"account_balance": 1.0})
    exc = ecs.error("ModifyPrepayInstanceSpec", InstanceId=iid, InstanceType="ecs.g7.xlarge")
    assert_error(exc, "InvalidAccountStatus.NotEnoughBalance", 403)


def test_prepay_spec_change_is_asynchronous_and_reboots_when_asked():
    store = Store({"delays": {"Pending": 0, "Starting": 1, "Stopping": 0, "SpecChange": 8}, "observe_transients": False})
    [iid] = api(store, "RunInstances", T0, InstanceChargeType="PrePaid", Period="1", **RUN)["InstanceIdSets"][
        "InstanceIdSet"
    ]
    api(store, "ModifyPrepayInstanceSpec", T0 + 10, RegionId="cn-hangzhou", InstanceId=iid,
        InstanceType="ecs.g7.xlarge", RebootWhenFinished="true")
    with pytest.raises(ApiError) as info:  # one order at a time
        api(store, "ModifyPrepayInstanceSpec", T0 + 11, RegionId="cn-hangzhou", InstanceId=iid,
            InstanceType="ecs.r7.large")
    assert info.value.code == "LastOrderProcessing"
    shown = lambda t: api(store, "DescribeInstances", t, RegionId="cn-hangzhou")["Instances"]["Instance"][0]  # noqa: E731
    assert shown(T0 + 17)["InstanceType"] == "ecs.g7.large"
    after = shown(T0 + 18.2)
    assert after["InstanceType"] == "ecs.g7.xlarge" and after["Status"] == "Starting"  # RebootWhenFinished
    assert shown(T0 + 19.5)["Status"] == "Running"


# ------------------------------------------------------------------------ ModifyInstanceNetworkSpec


def test_network_spec_from_zero_with_allocate_public_ip(ecs: Ecs):
    [iid] = ecs.run()
    assert ecs.one(iid)["PublicIpAddress"]["IpAddress"] == []
    ecs.call("ModifyInstanceNetworkSpec", InstanceId=iid, InternetMaxBandwidthOut=5)
    assert ecs.one(iid)["PublicIpAddress"]["IpAddress"] == []  # pay-as-you-go: no IP without AllocatePublicIp
    body = ecs.call("ModifyInstanceNetworkSpec", InstanceId=iid, InternetMaxBandwidthOut=8, AllocatePublicIp=True,
                    NetworkChargeType="PayByBandwidth", ClientToken="net-1")
    inst = ecs.one(iid)
    assert body["OrderId"].isdigit() and len(inst["PublicIpAddress"]["IpAddress"]) == 1
    assert inst["InternetMaxBandwidthOut"] == 8 and inst["InternetChargeType"] == "PayByBandwidth"


def test_network_spec_subscription_gets_an_ip_and_pays(ecs: Ecs, emulator):
    [iid] = ecs.run(InstanceChargeType="PrePaid", Period=1, InternetChargeType="PayByBandwidth")
    before = balance(emulator)
    ecs.call("ModifyInstanceNetworkSpec", InstanceId=iid, InternetMaxBandwidthOut=10)
    assert len(ecs.one(iid)["PublicIpAddress"]["IpAddress"]) == 1  # subscription from 0: assigned at once
    charged = before - balance(emulator)
    assert charged == pytest.approx(10 * 23.0, rel=0.1)
    ecs.call("ModifyInstanceNetworkSpec", InstanceId=iid, InternetMaxBandwidthOut=4)  # downgrade refunds
    assert balance(emulator) > before - charged


@pytest.mark.parametrize(
    "params,code,status",
    [
        ({"InternetMaxBandwidthOut": "101"}, "InvalidInternetMaxBandwidthOut.ValueNotSupported", 400),
        ({"NetworkChargeType": "PayByDay"}, "InvalidInternetChargeType.ValueNotSupported", 400),
        ({"AllocatePublicIp": "true"}, "InvalidParam.AllocatePublicIp", 400),
        ({}, "MissingParameter", 400),
        ({"InternetMaxBandwidthOut": "20", "EndTime": "2099-01-01T00Z"}, "ChargeTypeViolation", 403),
    ],
)
def test_network_spec_validation(ecs: Ecs, params, code, status):
    [iid] = ecs.run()
    assert_error(ecs.error("ModifyInstanceNetworkSpec", InstanceId=iid, **params), code, status)


def test_network_spec_temporary_upgrade_in_process():
    store = Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0}})
    [iid] = api(store, "RunInstances", T0, InstanceChargeType="PrePaid", Period="1", InternetMaxBandwidthOut="5",
                **RUN)["InstanceIdSets"]["InstanceIdSet"]
    start = T0 - T0 % 3600 + 3600
    fmt = lambda t, f: time.strftime(f, time.gmtime(t))  # noqa: E731
    with pytest.raises(ApiError) as info:  # shorter than three hours
        api(store, "ModifyInstanceNetworkSpec", T0, InstanceId=iid, InternetMaxBandwidthOut="50",
            StartTime=fmt(start, "%Y-%m-%dT%H:%MZ"), EndTime=fmt(start + 2 * 3600, "%Y-%m-%dT%HZ"))
    assert info.value.code == "InvalidStartTime.ValueNotSupported"
    api(store, "ModifyInstanceNetworkSpec", T0, InstanceId=iid, InternetMaxBandwidthOut="50",
        StartTime=fmt(start, "%Y-%m-%dT%H:%MZ"), EndTime=fmt(start + 4 * 3600, "%Y-%m-%dT%HZ"))
    out = lambda t: api(store, "DescribeInstances", t, RegionId="cn-hangzhou")["Instances"]["Instance"][0][  # noqa: E731
        "InternetMaxBandwidthOut"]
    assert out(start - 1) == 5 and out(start + 1) == 50 and out(start + 4 * 3600 + 1) == 5


def test_network_spec_refuses_an_instance_with_an_eip(ecs: Ecs):
    [iid] = ecs.run()
    eip = ecs.call("AllocateEipAddress", product="vpc")["AllocationId"]
    ecs.call("AssociateEipAddress", product="vpc", AllocationId=eip, InstanceId=iid)
    exc = ecs.error("ModifyInstanceNetworkSpec", InstanceId=iid, InternetMaxBandwidthOut=5)
    assert_error(exc, "InvalidInstance.EipNotSupport", 403)
    assert_error(ecs.error("ModifyInstanceSpec", InstanceId=iid, InternetMaxBandwidthOut=5),
                 "InvalidInstance.EipNotSupport", 403)


# ------------------------------------------------------------------------------------- ResizeDisk


def _disks(ecs: Ecs, iid: str) -> dict[str, dict]:
    return {d["Type"]: d for d in ecs.call("DescribeDisks", InstanceId=iid)["Disks"]["Disk"]}


def test_resize_disk_grows_and_never_shrinks(ecs: Ecs):
    [iid] = ecs.run(**{"DataDisk.1.Size": "100", "DataDisk.1.Category": "cloud_essd"})
    system, data = _disks(ecs, iid)["system"], _disks(ecs, iid)["data"]
    ecs.call("ResizeDisk", DiskId=data["DiskId"], NewSize=200, Type="online", ClientToken="grow-1")
    ecs.call("ResizeDisk", DiskId=system["DiskId"], NewSize=80)
    assert _disks(ecs, iid)["data"]["Size"] == 200 and _disks(ecs, iid)["system"]["Size"] == 80
    assert_error(ecs.error("ResizeDisk", DiskId=data["DiskId"], NewSize=150), "InvalidDiskSize.TooSmall", 403)
    assert_error(ecs.error("ResizeDisk", DiskId=data["DiskId"], NewSize=200), "InvalidDiskSize", 403)
    assert_error(ecs.error("ResizeDisk", DiskId=system["DiskId"], NewSize=2049), "InvalidDiskSize.TooLarge", 403)
    assert_error(ecs.error("ResizeDisk", DiskId=data["DiskId"], NewSize=32769), "InvalidDiskSize.TooLarge", 403)
    assert_error(ecs.error("ResizeDisk", DiskId="d-bp1nothere", NewSize=300), "InvalidDiskId.NotFound", 404)
    assert_error(ecs.error("ResizeDisk", DiskId=data["DiskId"], NewSize=300, Type="sideways"), "InvalidParam.Type", 400)
    assert_error(ecs.error("ResizeDisk", DiskId=data["DiskId"], NewSize="lots"), "InvalidDataDiskSize.ValueNotSupported",
                 400)


def test_resize_disk_state_rules(ecs: Ecs):
    [iid] = ecs.run(**{"DataDisk.1.Size": "100", "DataDisk.1.Category": "cloud"})
    data = _disks(ecs, iid)["data"]
    exc = ecs.error("ResizeDisk", DiskId=data["DiskId"], NewSize=200, Type="online")
    assert_error(exc, "InvalidDiskCategory.NotSupported", 403)  # basic disks resize offline only
    assert_error(ecs.error("ResizeDisk", DiskId=data["DiskId"], NewSize=2001), "InvalidDiskSize.TooLarge", 403)
    sid = stopped(ecs, **{"DataDisk.1.Size": "100"})
    exc = ecs.error("ResizeDisk", DiskId=_disks(ecs, sid)["data"]["DiskId"], NewSize=200, Type="online")
    assert_error(exc, "InvalidInstanceStatus.NotRunning", 403)
    ecs.call("ResizeDisk", DiskId=_disks(ecs, sid)["data"]["DiskId"], NewSize=200)  # offline: Stopped is fine


def test_resize_disk_refuses_a_transient_instance():
    store = Store({"delays": {"Pending": 5, "Starting": 5, "Stopping": 5}})
    [iid] = api(store, "RunInstances", T0, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    disk = store.instances[iid]["DiskIds"][0]
    with pytest.raises(ApiError) as info:
        api(store, "ResizeDisk", T0 + 1, DiskId=disk, NewSize="100")
    assert info.value.code == "IncorrectInstanceStatus"


# ------------------------------------------------------------------------------ ReplaceSystemDisk


def test_replace_system_disk(ecs: Ecs):
    iid = stopped(ecs, **{"DataDisk.1.Size": "50"})
    old = _disks(ecs, iid)
    body = ecs.call("ReplaceSystemDisk", InstanceId=iid, ImageId=UBUNTU, KeyPairName="emulator-keypair",
                    **{"SystemDisk.Size": "60"}, ClientToken="rsd-1")
    new = _disks(ecs, iid)
    assert body["DiskId"] == new["system"]["DiskId"] != old["system"]["DiskId"]
    assert new["system"]["Size"] == 60 and new["system"]["ImageId"] == UBUNTU
    assert new["data"]["DiskId"] == old["data"]["DiskId"]
    assert ecs.call("DescribeDisks", DiskIds=json.dumps([old["system"]["DiskId"]]))["Disks"]["Disk"] == []
    inst = ecs.one(iid)
    assert inst["ImageId"] == UBUNTU and inst["KeyPairName"] == "emulator-keypair"
    ecs.call("ReplaceSystemDisk", InstanceId=iid, ImageId=WINDOWS)
    assert ecs.one(iid)["KeyPairName"] == "" and _disks(ecs, iid)["system"]["Size"] == 40


@pytest.mark.parametrize(
    "params,code,status",
    [
        ({}, "MissingParameter", 400),
        ({"ImageId": "m-nope"}, "InvalidImageId.NotFound", 404),
        ({"ImageId": UBUNTU, "SystemDisk.Size": "10"}, "InvalidSystemDiskSize.LessThanImageSize", 404),
        ({"ImageId": UBUNTU, "SystemDisk.Size": "4096"}, "InvalidSystemDiskSize.MoreThanMaxSize", 404),
        ({"ImageId": UBUNTU, "KeyPairName": "nobody"}, "InvalidKeyPairName.NotFound", 400),
        ({"ImageId": UBUNTU, "Password": "short"}, "InvalidPassword.Malformed", 400),
        ({"ImageId": UBUNTU, "Password": "Secr3t!pass", "PasswordInherit": "true"}, "InvalidPasswordParam.Mismatch", 400),
    ],
)
def test_replace_system_disk_validation(ecs: Ecs, params, code, status):
    iid = stopped(ecs)
    assert_error(ecs.error("ReplaceSystemDisk", InstanceId=iid, **params), code, status)


def test_replace_system_disk_needs_a_stopped_instance(ecs: Ecs):
    [iid] = ecs.run()
    assert_error(ecs.error("ReplaceSystemDisk", InstanceId=iid, ImageId=UBUNTU), "IncorrectInstanceStatus", 403)


# ---------------------------------------------------------------------------------- RenewInstance


def test_renew_instance_moves_the_expiry_and_charges(ecs: Ecs, emulator):
    [iid] = ecs.run(InstanceChargeType="PrePaid", Period=1)
    expiry = ecs.one(iid)["ExpiredTime"]
    before = balance(emulator)
    body = ecs.call("RenewInstance", InstanceId=iid, Period=2, PeriodUnit="Month", ClientToken="renew-1")
    assert body["OrderId"].isdigit() and before - balance(emulator) == pytest.approx(580.0)
    later = ecs.one(iid)["ExpiredTime"]
    y, m = int(expiry[:4]), int(expiry[5:7]) + 2
    assert later[:7] == f"{y + (m - 1) // 12}-{(m - 1) % 12 + 1:02d}"
    ecs.call("RenewInstance", InstanceId=iid, Period=2, PeriodUnit="Month", ClientToken="renew-1")  # replay
    assert before - balance(emulator) == pytest.approx(580.0)


@pytest.mark.parametrize(
    "params,code,status",
    [
        ({}, "MissingParameter", 400),
        ({"Period": "10"}, "InvalidPeriod", 400),
        ({"Period": "1", "PeriodUnit": "Day"}, "InvalidPeriodUnit.ValueNotSupported", 400),
        ({"Period": "60"}, "InvalidPeriod.ExceededMaximumExpirationDate", 400),
    ],
)
def test_renew_instance_validation(ecs: Ecs, params, code, status):
    [iid] = ecs.run(InstanceChargeType="PrePaid", Period=1)
    assert_error(ecs.error("RenewInstance", InstanceId=iid, **params), code, status)


def test_renew_pay_as_you_go_is_a_charge_type_violation(ecs: Ecs, emulator):
    [iid] = ecs.run()
    assert_error(ecs.error("RenewInstance", InstanceId=iid, Period=1), "ChargeTypeViolation", 403)
    [prepaid] = ecs.run(InstanceChargeType="PrePaid", Period=1)
    emulator.config({"account_balance": 10.0})
    assert_error(ecs.error("RenewInstance", InstanceId=prepaid, Period=1), "InvalidAccountStatus.NotEnoughBalance", 403)


def test_an_expired_subscription_is_renewed_from_now_and_unlocked(store_clock):
    store = store_clock
    iid = api(store, "CreateInstance", T0, InstanceChargeType="PrePaid", Period="1", PeriodUnit="Week", **RUN)[
        "InstanceId"]
    later = T0 + 30 * 86400  # expired three weeks ago: Stopped with a financial lock
    view = api(store, "DescribeInstances", later, RegionId="cn-hangzhou")["Instances"]["Instance"][0]
    assert view["OperationLocks"]["LockReason"] == [{"LockReason": "financial", "LockMsg": ""}]
    api(store, "RenewInstance", later, InstanceId=iid, Period="1", PeriodUnit="Week")
    view = api(store, "DescribeInstances", later + 1, RegionId="cn-hangzhou")["Instances"]["Instance"][0]
    assert view["OperationLocks"]["LockReason"] == [] and view["Status"] == "Stopped"
    assert view["ExpiredTime"] == time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(later // 60 * 60 + 7 * 86400))
    api(store, "StartInstance", later + 2, InstanceId=iid)


@pytest.fixture
def store_clock() -> Store:
    return Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0}})


# ------------------------------------------------------------------------------- auto-renewal


def test_auto_renew_attribute_round_trip(ecs: Ecs):
    a = ecs.run(InstanceChargeType="PrePaid", Period=1)[0]
    b = ecs.run(InstanceChargeType="PrePaid", Period=1, AutoRenew=True, AutoRenewPeriod=3)[0]
    [postpaid] = ecs.run()
    rows = ecs.call("DescribeInstanceAutoRenewAttribute", InstanceId=",".join([a, b, postpaid]))
    found = {r["InstanceId"]: r for r in rows["InstanceRenewAttributes"]["InstanceRenewAttribute"]}
    assert set(found) == {a, b} and rows["TotalCount"] == 2
    assert found[a]["RenewalStatus"] == "Normal" and found[a]["AutoRenewEnabled"] is False
    assert (found[b]["RenewalStatus"], found[b]["Duration"], found[b]["PeriodUnit"]) == ("AutoRenewal", 3, "Month")
    ecs.call("ModifyInstanceAutoRenewAttribute", InstanceId=f"{a},{b}", AutoRenew=True, Duration=12, PeriodUnit="Month")
    ecs.call("ModifyInstanceAutoRenewAttribute", InstanceId=b, RenewalStatus="NotRenewal", AutoRenew=True)
    found = {r["InstanceId"]: r for r in ecs.call("DescribeInstanceAutoRenewAttribute", InstanceId=f"{a},{b}")
             ["InstanceRenewAttributes"]["InstanceRenewAttribute"]}
    assert (found[a]["RenewalStatus"], found[a]["Duration"]) == ("AutoRenewal", 12)
    assert found[b]["RenewalStatus"] == "NotRenewal"  # RenewalStatus wins over AutoRenew
    only = ecs.call("DescribeInstanceAutoRenewAttribute", RenewalStatus="NotRenewal")
    assert [r["InstanceId"] for r in only["InstanceRenewAttributes"]["InstanceRenewAttribute"]] == [b]


@pytest.mark.parametrize(
    "params,code",
    [
        ({}, "MissingParameter.InstanceId"),
        ({"InstanceId": ",".join(f"i-{n}" for n in range(101))}, "InvalidParameter.ToManyInstanceIds"),
        ({"InstanceId": "i-bp1nothere"}, "InvalidParameter.InvalidInstanceId"),
        ({"Duration": "7"}, "InvalidParameter.Duration"),
        ({"Duration": "6", "PeriodUnit": "Year"}, "InvalidParameter.Duration"),
        ({"PeriodUnit": "Day"}, "InvalidPeriodUnit.ValueNotSupported"),
        ({"RenewalStatus": "Sometimes"}, "InvalidParameter.RenewalStatus"),
    ],
)
def test_modify_auto_renew_validation(ecs: Ecs, params, code):
    [iid] = ecs.run(InstanceChargeType="PrePaid", Period=1)
    params = {"InstanceId": iid, **params} if "InstanceId" not in params and params else params or {}
    assert_error(ecs.error("ModifyInstanceAutoRenewAttribute", **params), code, 403)


def test_modify_auto_renew_of_pay_as_you_go(ecs: Ecs):
    [iid] = ecs.run()
    exc = ecs.error("ModifyInstanceAutoRenewAttribute", InstanceId=iid, AutoRenew=True)
    assert_error(exc, "ChargeTypeViolation", 403, "Pay-As-You-Go instances do not support this operation.")


def test_auto_renewal_renews_at_expiry_while_the_balance_pays(store_clock):
    store = store_clock
    iid = api(store, "CreateInstance", T0, InstanceChargeType="PrePaid", Period="1", PeriodUnit="Week", **RUN)[
        "InstanceId"]
    api(store, "ModifyInstanceAutoRenewAttribute", T0, RegionId="cn-hangzhou", InstanceId=iid,
        RenewalStatus="AutoRenewal", Duration="1", PeriodUnit="Month")
    before = store.balance
    view = api(store, "DescribeInstances", T0 + 8 * 86400, RegionId="cn-hangzhou")["Instances"]["Instance"][0]
    assert view["OperationLocks"]["LockReason"] == [] and store.balance == pytest.approx(before - 290.0)
    store.update_config({"account_balance": 1.0})  # the next renewal cannot be paid: it expires
    view = api(store, "DescribeInstances", T0 + 60 * 86400, RegionId="cn-hangzhou")["Instances"]["Instance"][0]
    assert view["Status"] == "Stopped" and view["OperationLocks"]["LockReason"][0]["LockReason"] == "financial"


# --------------------------------------------------------------- releasing expired subscriptions


def test_delete_of_subscriptions(store_clock):
    store = store_clock
    iid = api(store, "CreateInstance", T0, InstanceChargeType="PrePaid", Period="1", PeriodUnit="Week", **RUN)[
        "InstanceId"]
    with pytest.raises(ApiError) as info:  # unexpired, even with TerminateSubscription
        api(store, "DeleteInstances", T0 + 60, RegionId="cn-hangzhou", TerminateSubscription="true",
            **{"InstanceId.1": iid})
    assert info.value.code == "ChargeTypeViolation"
    later = T0 + 8 * 86400
    with pytest.raises(ApiError) as info:  # expired, without TerminateSubscription
        api(store, "DeleteInstance", later, InstanceId=iid)
    assert info.value.code == "ChargeTypeViolation"
    with pytest.raises(ApiError) as info:  # converting an expired subscription
        api(store, "ModifyInstanceChargeType", later, RegionId="cn-hangzhou", InstanceIds=json.dumps([iid]),
            InstanceChargeType="PostPaid")
    assert info.value.code == "ExpiredInstance"
    api(store, "DeleteInstances", later, RegionId="cn-hangzhou", TerminateSubscription="true", **{"InstanceId.1": iid})
    assert iid not in store.instances


def test_delete_instance_of_an_expired_subscription_over_http(ecs: Ecs, emulator):
    iid = ecs.create(InstanceChargeType="PrePaid", Period=1, PeriodUnit="Week")
    assert_error(ecs.error("DeleteInstance", InstanceId=iid, TerminateSubscription=True), "ChargeTypeViolation", 403)
    state = emulator.state()
    assert state["instances"][iid]["InstanceChargeType"] == "PrePaid" and IMAGE
