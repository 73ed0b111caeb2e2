"""Subscription renewal: RenewInstance, ModifyInstanceAutoRenewAttribute,
DescribeInstanceAutoRenewAttribute (API pages of the same names; reference 8.6)."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, missing_parameter
from ..registry import Call, action
from ..state import add_period
from . import common
from .create import MONTH_PERIODS, WEEK_PERIODS, not_enough_balance
from .describe import select
from .lifecycle import charge_type_violation

MAX_SUBSCRIPTION_SECONDS = 5 * 366 * 86400  # InvalidPeriod.ExceededMaximumExpirationDate past five years
RENEW_DURATIONS = {"Month": (1, 2, 3, 6, 12, 24, 36, 48, 60), "Year": (1, 2, 3, 4, 5), "Week": (1, 2, 3, 4)}


@action("RenewInstance", mutating=True, client_token=True)
def renew_instance(call: Call) -> dict:
    """Extend a subscription by Period; an expired one is renewed from now and its financial lock lifted."""
    p, store = call.params, call.store
    inst = common.instance(call)
    if "security" in inst["Locks"]:
        raise ApiError(
            "InstanceLockedForSecurity",
            "The specified operation is denied as your instance is locked for security reasons.",
            403,
        )
    if inst["InstanceChargeType"] != "PrePaid":
        raise charge_type_violation()
    unit = p.enum(
        "PeriodUnit",
        ("Month", "Week"),
        "Month",
        ApiError("InvalidPeriodUnit.ValueNotSupported", "The specified parameter PeriodUnit is not valid.", 400),
    )
    if p.get("ExpectedRenewDay"):
        # A unified expiration date is not modelled: there is none to match (README).
        raise ApiError("InvalidParameter", 'The specified parameter "ExpectedRenewDay" is not valid.', 400)
    if not p.get("Period"):
        raise missing_parameter("Period")
    invalid = ApiError("InvalidPeriod", "The specified period is not valid.", 400)
    period = p.int("Period", error=invalid)
    if period not in (WEEK_PERIODS if unit == "Week" else MONTH_PERIODS):
        raise invalid
    expired = "financial" in inst["Locks"] or (inst["ExpiredTs"] is not None and call.now >= inst["ExpiredTs"])
    start = call.now if expired else inst["ExpiredTs"]
    new_expiry = add_period(start, period, unit)
    if new_expiry - call.now > MAX_SUBSCRIPTION_SECONDS:
        raise ApiError(
            "InvalidPeriod.ExceededMaximumExpirationDate",
            "The specified renewal period cannot exceed the maximum expiration date. We recommend you try shortening "
            "the renewal period at next attempt.",
            400,
        )
    price = store.price(inst["InstanceType"], "PrePaid", period, unit)
    if price > store.balance:
        raise not_enough_balance()
    store.balance = round(store.balance - price, 2)
    inst["ExpiredTs"] = new_expiry
    if "financial" in inst["Locks"]:
        inst["Locks"].remove("financial")  # the instance stays Stopped: start it again (README)
    store.touch(inst, call.now)
    return {"OrderId": store.order_id()}


def _ids(call: Call, required: bool) -> list[str]:
    raw = call.params.get("InstanceId") or ""
    ids = list(dict.fromkeys(i.strip() for i in raw.split(",") if i.strip()))
    if required and not ids:
        raise ApiError("MissingParameter.InstanceId", "InstanceId should not be null.", 403)
    if len(ids) > 100:
        raise ApiError("InvalidParameter.ToManyInstanceIds", "InstanceId should be less than 100.", 403)
    return ids


@action("ModifyInstanceAutoRenewAttribute", mutating=True)
def modify_instance_auto_renew_attribute(call: Call) -> dict:
    p = call.params
    region_id = common.region(call)
    ids = _ids(call, required=True)
    status = p.enum(
        "RenewalStatus",
        ("AutoRenewal", "Normal", "NotRenewal"),
        error=ApiError("InvalidParameter.RenewalStatus", "The specified RenewalStatus is not valid.", 403),
    )
    auto = p.bool("AutoRenew")
    unit = p.enum(
        "PeriodUnit",
        tuple(RENEW_DURATIONS),
        "Month",
        ApiError("InvalidPeriodUnit.ValueNotSupported", "The specified parameter PeriodUnit is not valid.", 403),
    )
    assert unit is not None
    bad_duration = ApiError("InvalidParameter.Duration", "The specified Duration is not valid.", 403)
    duration = p.int("Duration", None, error=bad_duration)
    if duration is not None and duration not in RENEW_DURATIONS[unit]:
        raise bad_duration
    if status is None:  # RenewalStatus wins over AutoRenew (the doc)
        status = None if auto is None else ("AutoRenewal" if auto else "Normal")
    instances = []
    for instance_id in ids:
        inst = call.store.get_instance(instance_id, call.now)
        if inst is None or inst["RegionId"] != region_id or not call.store.is_visible(inst, call.now):
            raise ApiError("InvalidParameter.InvalidInstanceId", f"The specified InstanceId {instance_id} does not exist.",
                           403)
        if inst["InstanceChargeType"] != "PrePaid":
            raise ApiError("ChargeTypeViolation", "Pay-As-You-Go instances do not support this operation.", 403)
        instances.append(inst)
    for inst in instances:
        attribute = dict(inst.get("AutoRenewAttribute") or {"RenewalStatus": "Normal", "Duration": 0, "PeriodUnit": unit})
        if status is not None:
            attribute["RenewalStatus"] = status
        if duration is not None:
            attribute["Duration"], attribute["PeriodUnit"] = duration, unit
        if attribute["RenewalStatus"] == "AutoRenewal" and not attribute["Duration"]:
            attribute["Duration"], attribute["PeriodUnit"] = 1, unit  # enabling without a Duration: one period
        inst["AutoRenewAttribute"] = attribute
        call.store.touch(inst, call.now)
    return {}


def render_renew(view: dict[str, Any]) -> dict[str, Any]:
    attribute = view.get("AutoRenewAttribute") or {"RenewalStatus": "Normal", "Duration": 0, "PeriodUnit": "Month"}
    return {
        "InstanceId": view["InstanceId"],
        "AutoRenewEnabled": attribute["RenewalStatus"] == "AutoRenewal",
        "Duration": attribute["Duration"],
        "PeriodUnit": attribute["PeriodUnit"],
        "RenewalStatus": attribute["RenewalStatus"],
        "EnableExpectedRenewDay": False,
    }


@action("DescribeInstanceAutoRenewAttribute")
def describe_instance_auto_renew_attribute(call: Call) -> dict:
    """Subscription instances only; ids that are unknown or pay-as-you-go are left out (README)."""
    p = call.params
    region_id = common.region(call)
    assert region_id is not None
    ids = _ids(call, required=False)
    status = p.enum(
        "RenewalStatus",
        ("AutoRenewal", "Normal", "NotRenewal"),
        error=ApiError("InvalidParameter.RenewalStatus", "The specified RenewalStatus is not valid.", 403),
    )
    if not ids and status is None:
        raise ApiError("MissingParameter.InstanceId", "InstanceId should not be null.", 403)
    prepaid = [("InstanceChargeType", frozenset({"PrePaid"}))]
    rows = [render_renew(v) for v in select(call, region_id, ids or None, prepaid, look=False).all()]
    if status is not None:
        rows = [r for r in rows if r["RenewalStatus"] == status]
    page, meta = common.paginate(call, rows, 10, 100)
    return {**meta, "InstanceRenewAttributes": {"InstanceRenewAttribute": page}}
