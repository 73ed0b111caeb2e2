"""Subscription rules (reference 8.6), ModifyInstanceChargeType (9.14), balance and stock."""

from __future__ import annotations

import json
import re
import time

import pytest

from tests.emulator.actions_support import IMAGE, SG, TYPE, VSWITCH, Ecs, assert_error

BASE = {"ImageId": IMAGE, "InstanceType": TYPE, "SecurityGroupId": SG, "VSwitchId": VSWITCH}


def _minute(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(ts))


def test_prepaid_instance_fields(ecs: Ecs):
    before = time.time()
    body = ecs.call("RunInstances", InstanceChargeType="PrePaid", Period=1, PeriodUnit="Week", **BASE)
    assert re.fullmatch(r"\d{15}", body["OrderId"]) and body["TradePrice"] == pytest.approx(290.0 / 4)
    inst = ecs.one(body["InstanceIdSets"]["InstanceIdSet"][0])
    assert inst["InstanceChargeType"] == "PrePaid" and inst["SaleCycle"] == "week"
    assert inst["ExpiredTime"] in {_minute(before + 7 * 86400), _minute(time.time() + 7 * 86400)}
    created = ecs.call("CreateInstance", InstanceChargeType="PrePaid", Period=12, **BASE)
    assert "OrderId" in created and created["TradePrice"] == pytest.approx(12 * 290.0)
    postpaid = ecs.call("RunInstances", **BASE)
    assert "OrderId" not in postpaid and postpaid["TradePrice"] == pytest.approx(0.58)


@pytest.mark.parametrize(
    "params,code,message",
    [
        ({}, "MissingParamter", 'The specified parameter "Period" is not null.'),
        ({"Period": "10"}, "InvalidPeriod", "The specified period is not valid."),
        ({"Period": "5", "PeriodUnit": "Week"}, "InvalidPeriod", "The specified period is not valid."),
        (
            {"Period": "1", "PeriodUnit": "Day"},
            "InvalidPeriodUnit.ValueNotSupported",
            "The specified parameter PeriodUnit is not valid.",
        ),
        (
            {"Period": "1", "AutoRenew": "true", "AutoRenewPeriod": "5"},
            "InvalidAutoRenewPeriod.ValueNotSupported",
            None,
        ),
        (
            {"Period": "1", "SpotStrategy": "SpotAsPriceGo"},
            "InvalidSpotPrepaid",
            "The specified Spot type is not support PrePay Instance.",
        ),
    ],
)
def test_prepaid_validation(ecs: Ecs, params, code, message):
    exc = ecs.error("RunInstances", InstanceChargeType="PrePaid", **params, **BASE)
    assert_error(exc, code, 400, message)


def test_balance_is_checked_and_charged(ecs: Ecs, emulator):
    emulator.config({"account_balance": 500.0})
    exc = ecs.error("CreateInstance", InstanceChargeType="PrePaid", Period=2, **BASE)
    assert_error(exc, "InvalidAccountStatus.NotEnoughBalance", 403, "Your account does not have enough balance.")
    exc = ecs.error("RunInstances", InstanceChargeType="PrePaid", Period=1, Amount=2, DryRun=True, **BASE)
    assert_error(exc, "InvalidAccountStatus.NotEnoughBalance", 403)  # DryRun checks the balance too
    ecs.call("CreateInstance", InstanceChargeType="PrePaid", Period=1, **BASE)  # 290 of 500
    assert_error(
        ecs.error("CreateInstance", InstanceChargeType="PrePaid", Period=1, **BASE),
        "InvalidAccountStatus.NotEnoughBalance",
        403,
    )
    ecs.call("CreateInstance", **BASE)  # PostPaid needs no balance


@pytest.mark.parametrize("entry", ["cn-hangzhou-h", "cn-hangzhou-h/ecs.g7.large", "*/ecs.g7.large", "*"])
def test_no_stock_entries(ecs: Ecs, emulator, entry):
    emulator.config({"no_stock": [entry]})
    exc = ecs.error("RunInstances", **BASE)
    assert_error(
        exc,
        "OperationDenied.NoStock",
        403,
        "The requested resource is sold out in the specified zone; try other types of resources or other "
        "regions and zones.",
    )
    assert_error(ecs.error("RunInstances", DryRun=True, **BASE), "OperationDenied.NoStock", 403)
    zones = ecs.call("DescribeZones")["Zones"]["Zone"]
    h = next(z for z in zones if z["ZoneId"] == "cn-hangzhou-h")
    assert "ecs.g7.large" not in h["AvailableInstanceTypes"]["InstanceTypes"]


def test_stock_elsewhere_is_unaffected(ecs: Ecs, emulator):
    emulator.config({"no_stock": ["cn-hangzhou-i", "*/ecs.c7.large"]})
    assert ecs.run()  # zone h, g7


def test_convert_postpaid_to_prepaid_and_back(ecs: Ecs, emulator):
    emulator.config({"account_balance": 1000.0})
    iid = ecs.create()
    body = ecs.call("ModifyInstanceChargeType", InstanceIds=json.dumps([iid]), Period=2, ClientToken="conv-1")
    assert body["FeeOfInstances"]["FeeOfInstance"] == [{"InstanceId": iid, "Fee": "580.00", "Currency": "CNY"}]
    assert re.fullmatch(r"\d{15}", body["OrderId"])
    inst = ecs.one(iid)
    assert inst["InstanceChargeType"] == "PrePaid" and inst["ExpiredTime"] != "2099-12-31T15:59Z"
    disks = ecs.call("DescribeDisks", InstanceId=iid, DiskType="system")["Disks"]["Disk"]
    assert disks[0]["DiskChargeType"] == "PrePaid"
    other = ecs.create()
    assert_error(
        ecs.error("ModifyInstanceChargeType", InstanceIds=json.dumps([other]), Period=2),
        "InvalidAccountStatus.NotEnoughBalance",
        403,
    )  # 580 wanted, 420 left
    assert_error(
        ecs.error("ModifyInstanceChargeType", InstanceIds=json.dumps([iid]), Period=1),
        "InvalidInstanceChargeType.ValueNotSupported",
        400,
    )  # already PrePaid
    ecs.call("ModifyInstanceChargeType", InstanceIds=json.dumps([iid]), InstanceChargeType="PostPaid")
    inst = ecs.one(iid)
    assert inst["InstanceChargeType"] == "PostPaid" and inst["ExpiredTime"] == "2099-12-31T15:59Z"


def test_conversion_errors(ecs: Ecs):
    [iid] = ecs.run()
    release = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 7200))
    [timed] = ecs.run(AutoReleaseTime=release)
    ids = json.dumps([iid])
    cases = [
        ({"InstanceIds": json.dumps([f"i-{n}" for n in range(21)]), "Period": 1}, "InstancesIdQuotaExceed", 400),
        ({"InstanceIds": "[oops", "Period": 1}, "InvalidParameter.InstanceIds", 400),
        ({"InstanceIds": json.dumps(["i-bp1unknown000000000"]), "Period": 1}, "InvalidInstanceId.NotFound", 404),
        ({"InstanceIds": ids}, "MissingParamter", 400),
        ({"InstanceIds": ids, "Period": 24}, "InvalidPeriod", 400),
        ({"InstanceIds": ids, "InstanceChargeType": "PostPaid"}, "InvalidInstanceChargeType.ValueNotSupported", 400),
        ({"InstanceIds": ids, "InstanceChargeType": "Weekly"}, "InvalidInstanceChargeType.ValueNotSupported", 400),
        ({"InstanceIds": json.dumps([timed]), "Period": 1}, "ReleaseTimeHaveBeenSet", 400),
    ]
    for params, code, status in cases:
        assert_error(ecs.error("ModifyInstanceChargeType", **params), code, status)
    assert_error(ecs.error("ModifyInstanceChargeType", InstanceIds=ids, Period=1, DryRun=True), "DryRunOperation", 400)
    assert ecs.one(iid)["InstanceChargeType"] == "PostPaid"
    assert ecs.one(timed)["AutoReleaseTime"] != ""


def test_auto_pay_false_leaves_an_unpaid_order(ecs: Ecs):
    iid = ecs.create()
    body = ecs.call("ModifyInstanceChargeType", InstanceIds=json.dumps([iid]), Period=1, AutoPay=False)
    assert body["OrderId"]
    assert ecs.one(iid)["InstanceChargeType"] == "PostPaid"


def test_expire_control_ends_a_subscription_as_time_would(ecs: Ecs, emulator):
    (prepaid,) = ecs.run(InstanceChargeType="PrePaid", Period=1)
    (postpaid,) = ecs.run()
    answer = emulator.control("POST", "expire", {"instance_ids": [prepaid, postpaid, "i-unknown"]})
    assert answer == {"expired": [prepaid]}
    inst = ecs.one(prepaid)
    # Reference 8.6: Stopped with a financial lock; ExpiredTime not after now.
    assert inst["Status"] == "Stopped" and [lock["LockReason"] for lock in inst["OperationLocks"]["LockReason"]] == ["financial"]
    assert inst["ExpiredTime"] <= _minute(time.time())
    assert ecs.one(postpaid)["Status"] == "Running"
    # An expired subscription is released only with TerminateSubscription (reference 9.9), and renewed from now.
    assert_error(ecs.error("DeleteInstance", InstanceId=prepaid), "ChargeTypeViolation", 403)
    renewed = ecs.call("RenewInstance", InstanceId=prepaid, Period=1)
    assert renewed["OrderId"] and ecs.one(prepaid)["ExpiredTime"] > _minute(time.time() + 27 * 86400)
    emulator.control("POST", "expire", {"instance_ids": [prepaid]})
    ecs.call("DeleteInstance", InstanceId=prepaid, TerminateSubscription="true")
    assert ecs.describe([prepaid]) == []


def test_expire_control_refuses_bad_input(emulator):
    from tests.helpers.emulator import EmulatorError

    with pytest.raises(EmulatorError, match="400"):
        emulator.control("POST", "expire", {"instance_ids": "i-1"})
