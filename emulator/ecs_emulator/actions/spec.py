"""Configuration changes: ModifyInstanceSpec (pay-as-you-go), ModifyPrepayInstanceSpec (subscription),
ModifyInstanceNetworkSpec (public bandwidth).  Codes and messages from the API pages of the same
names (old doc repository, 2021, and the current SDK model text); choices in emulator/README.md."""

from __future__ import annotations

import calendar
import time
from typing import Any

from ..errors import ApiError, dry_run_passed, invalid_parameter, missing_parameter
from ..registry import Call, action
from . import common
from .create import bandwidth_in, not_enough_balance, sold_out
from .lifecycle import check_locks

MAX_DOWNGRADES = 3  # "a maximum of three refunds for price difference" (ModifyPrepayInstanceSpec, NetworkSpec)
MONTH_SECONDS = 30 * 86400  # a month of remaining subscription, for price differences


def security_locked(inst: dict[str, Any]) -> None:
    if "security" in inst["Locks"]:
        check_locks(inst)


def _instance_type(call: Call, name: str = "InstanceType") -> dict[str, Any] | None:
    type_id = call.params.get(name)
    if not type_id:
        return None
    itype = call.store.catalog.instance_types.get(type_id)
    if itype is None:
        raise ApiError(
            "InvalidInstanceType.ValueNotSupported",
            "The specified InstanceType does not exist or beyond the permitted range.",
            400,
        )
    return itype


def _eip_bound(inst: dict[str, Any]) -> None:
    if inst.get("Eip"):
        raise ApiError(
            "InvalidInstance.EipNotSupport",
            "The specified instance with eip is not supported, please unassociate eip first.",
            403,
        )


def _remaining_months(call: Call, inst: dict[str, Any]) -> float:
    return max(0.0, (inst["ExpiredTs"] or call.now) - call.now) / MONTH_SECONDS


def _out_bandwidth(call: Call, code: str, message: str) -> int | None:
    return call.params.int("InternetMaxBandwidthOut", None, minimum=0, maximum=100, error=ApiError(code, message, 400))


def _schedule_type(call: Call, inst: dict[str, Any], type_id: str, reboot: bool = False) -> None:
    """The new type shows after delays["SpecChange"] (asynchronous, "5 to 10 seconds" per the doc)."""
    delay = call.store.delay("SpecChange")
    if delay <= 0:
        inst["InstanceType"] = type_id
        call.store.touch(inst, call.now)
        if reboot and inst["Status"] == "Running":
            call.store.schedule(inst, ["Starting", "Running"], call.now)
        return
    inst["_spec_change"] = {"InstanceType": type_id, "due": call.now + delay, "reboot": reboot}


def _pending_change(inst: dict[str, Any]) -> None:
    if inst.get("_spec_change"):
        raise ApiError("LastOrderProcessing", "The previous order is still processing, please try again later.", 400)


# ------------------------------------------------------------------------------ ModifyInstanceSpec


@action("ModifyInstanceSpec", mutating=True, client_token=True)
def modify_instance_spec(call: Call) -> dict:
    """Pay-as-you-go: the type (instance Stopped) or the public bandwidth (Running or Stopped), one per call."""
    p = call.params
    inst = common.instance(call)
    security_locked(inst)
    if inst["InstanceChargeType"] != "PostPaid":
        raise ApiError("ChargeTypeViolation", "The operation is not permitted due to charge type of the instance.", 403)
    itype = _instance_type(call)
    out = _out_bandwidth(call, "InvalidParameter", 'The specified parameter "InternetMaxBandwidthOut" is not valid.')
    bandwidth_given = out is not None or p.get("InternetMaxBandwidthIn")
    if itype is not None and bandwidth_given:
        raise ApiError("InvalidParameter.Mismatch", "Too many parameters in one request.", 400)
    if itype is None and not bandwidth_given:
        raise missing_parameter("InstanceType")
    _migrate_flag(call)  # accepted; no effect on VPC instances of current families (the doc's notes)
    asynchronous = bool(p.bool("Async", False))
    category = p.get("SystemDisk.Category")
    if category and category not in ("cloud_efficiency", "cloud_ssd"):
        raise ApiError("InvalidParam.SystemDiskCategory", "The specified param SystemDisk.Category is not valid.", 400)
    if itype is not None:
        if inst["Status"] != "Stopped":
            raise ApiError("InvalidInstanceStatus.NotStopped", "The specified Instance status is not stopped.", 400)
        _pending_change(inst)
        if itype["InstanceTypeId"] == inst["InstanceType"]:
            raise ApiError(
                "DependencyViolation.InstanceType",
                "The current InstanceType cannot be changed to the specified InstanceType.",
                400,
            )
        if sold_out(call, inst["ZoneId"], itype["InstanceTypeId"]):
            raise ApiError("OperationDenied.NoStock", "The resource is out of usage.", 403)
    else:
        if inst["Status"] not in ("Running", "Stopped"):
            raise ApiError(
                "InvalidStatus.ValueNotSupported", "The current status of the resource does not support this operation.",
                403,
            )
        _eip_bound(inst)
    if p.bool("DryRun", False):
        raise dry_run_passed()
    if itype is not None:
        if asynchronous:
            _schedule_type(call, inst, itype["InstanceTypeId"])
        else:
            inst["InstanceType"] = itype["InstanceTypeId"]
            call.store.touch(inst, call.now)
        return {}
    new_out = inst["InternetMaxBandwidthOut"] if out is None else out
    inst["InternetMaxBandwidthIn"] = bandwidth_in(call, new_out, inst["InternetMaxBandwidthIn"])
    inst["InternetMaxBandwidthOut"] = new_out  # PostPaid: no public IP is assigned here (AllocatePublicIpAddress)
    call.store.touch(inst, call.now)
    return {}


def _migrate_flag(call: Call) -> bool:
    try:
        return bool(call.params.bool("AllowMigrateAcrossZone", False))
    except ApiError:
        raise ApiError(
            "InvalidParameter.AllowMigrateAcrossZone", "The specified parameter CanMigrateAcrossZone is not valid.", 400
        ) from None


# ------------------------------------------------------------------------- ModifyPrepayInstanceSpec


def _price(call: Call, type_id: str) -> float:
    return float(call.store.catalog.instance_types[type_id].get("price_monthly", 0.0))


@action("ModifyPrepayInstanceSpec", mutating=True, client_token=True)
def modify_prepay_instance_spec(call: Call) -> dict:
    """Subscription type change: upgrade (Running or Stopped, charged) or downgrade (Stopped, refunded)."""
    p = call.params
    common.region(call)
    inst = common.instance(call)
    security_locked(inst)
    if inst["InstanceChargeType"] != "PrePaid":
        raise ApiError(
            "InvalidInstanceChargeType.ValueNotSupported", "The specified instance is not a subscription instance.", 400
        )
    if "financial" in inst["Locks"]:  # "renew an expired instance first"
        check_locks(inst)
    if not p.get("InstanceType"):
        raise missing_parameter("InstanceType")
    itype = _instance_type(call)
    assert itype is not None
    operator = p.enum("OperatorType", ("upgrade", "downgrade"), "upgrade",
                      invalid_parameter("OperatorType"))
    auto_pay = bool(p.bool("AutoPay", True))
    reboot = bool(p.bool("RebootWhenFinished", False))
    p.bool("MigrateAcrossZone", False)
    if p.get("RebootTime"):
        _time(call, "RebootTime", ApiError("InvalidRebootTime.MalFormed", "The specified rebootTime is not valid.", 400))
    _pending_change(inst)
    if itype["InstanceTypeId"] == inst["InstanceType"]:
        raise ApiError("InvalidInstanceType.ValueNotSupported", "The specified InstanceType is the current one.", 400)
    difference = _price(call, itype["InstanceTypeId"]) - _price(call, inst["InstanceType"])
    if operator == "upgrade" and difference < 0:
        raise ApiError("InvalidParameter", "The OperatorType must be downgrade for a lower InstanceType.", 400)
    if operator == "downgrade" and difference > 0:
        raise ApiError("InvalidParameter", "The OperatorType must be upgrade for a higher InstanceType.", 400)
    if operator == "downgrade":
        if inst["Status"] != "Stopped":
            raise ApiError("InvalidStatus.NotStopped", "Instance status must be stopped.", 400)
        if inst.get("_downgrades", 0) >= MAX_DOWNGRADES:
            raise ApiError("InstanceDowngrade.QuotaExceed", "Quota of instance downgrade is exceed.", 400)
    elif inst["Status"] not in ("Running", "Stopped"):
        raise ApiError("IncorrectInstanceStatus", "The current status of the resource does not support this operation.", 403)
    if sold_out(call, inst["ZoneId"], itype["InstanceTypeId"]):
        raise ApiError(
            "OperationDenied.NoStock",
            "The resource is out of stock in the specified zone. Please try other types, or choose other regions "
            "and zones.",
            403,
        )
    amount = round(abs(difference) * _remaining_months(call, inst), 2)
    order = call.store.order_id()
    if operator == "upgrade":
        if not auto_pay:
            return {"OrderId": order}  # an unpaid order: nothing changes until it is paid (README)
        if amount > call.store.balance:
            raise not_enough_balance()
        call.store.balance = round(call.store.balance - amount, 2)
    else:  # AutoPay is ignored for downgrades; the difference is refunded
        call.store.balance = round(call.store.balance + amount, 2)
        inst["_downgrades"] = inst.get("_downgrades", 0) + 1
    _schedule_type(call, inst, itype["InstanceTypeId"], reboot)
    return {"OrderId": order}


def _time(call: Call, name: str, error: ApiError, fmts: tuple[str, ...] = ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%MZ")) -> float:
    value = call.params.get(name) or ""
    for fmt in fmts:
        try:
            return float(calendar.timegm(time.strptime(value, fmt)))
        except ValueError:
            continue
    raise error


# ------------------------------------------------------------------------ ModifyInstanceNetworkSpec


@action("ModifyInstanceNetworkSpec", mutating=True, client_token=True)
def modify_instance_network_spec(call: Call) -> dict:
    """Public bandwidth of an instance; a temporary upgrade with StartTime/EndTime (subscriptions)."""
    p, store = call.params, call.store
    inst = common.instance(call)
    check_locks(inst)  # security: InstanceLockedForSecurity; expired: InstanceExpiredOrInArrears
    if inst["Status"] not in ("Running", "Stopped"):
        raise ApiError("IncorrectInstanceStatus", "The current status of the instance does not support this operation.", 403)
    _eip_bound(inst)
    out = _out_bandwidth(
        call,
        "InvalidInternetMaxBandwidthOut.ValueNotSupported",
        "The specified InternetMaxBandwidthOut is beyond the permitted range.",
    )
    charge = common.enum_or(
        call,
        "NetworkChargeType",
        ("PayByBandwidth", "PayByTraffic"),
        "InvalidInternetChargeType.ValueNotSupported",
        "The specified InternetChargeType is invalid.",
    )
    allocate = bool(p.bool("AllocatePublicIp", False))
    auto_pay = bool(p.bool("AutoPay", True))
    if out is None and charge is None and not p.get("InternetMaxBandwidthIn") and not allocate:
        raise missing_parameter("InternetMaxBandwidthOut")
    old_out = inst["InternetMaxBandwidthOut"]
    new_out = old_out if out is None else out
    temporary = _temporary_window(call, inst, new_out) if (p.get("StartTime") or p.get("EndTime")) else None
    if allocate and new_out <= 0:
        raise ApiError("InvalidParam.AllocatePublicIp", "The specified param AllocatePublicIp is invalid.", 400)
    prepaid = inst["InstanceChargeType"] == "PrePaid"
    downgrade = prepaid and temporary is None and new_out < old_out
    if downgrade and inst.get("_downgrades", 0) >= MAX_DOWNGRADES:
        raise ApiError("InstanceDowngrade.QuotaExceed", "Quota of instance downgrade is exceed.", 400)
    new_charge = charge or inst["InternetChargeType"]
    amount = 0.0
    if prepaid and new_charge == "PayByBandwidth":  # subscription bandwidth is paid for the remaining period
        months = _remaining_months(call, inst)
        if temporary is not None:
            months = (temporary["end"] - temporary["start"]) / MONTH_SECONDS
        amount = round((new_out - old_out) * float(store.config["bandwidth_price_monthly"]) * months, 2)
    order = store.order_id()
    if amount > 0:
        if not auto_pay:
            return {"OrderId": order}  # unpaid order: nothing changes (README)
        if amount > store.balance:
            raise not_enough_balance()
    store.balance = round(store.balance - amount, 2)  # a downgrade refunds (amount < 0)
    if downgrade:
        inst["_downgrades"] = inst.get("_downgrades", 0) + 1
    inst["InternetChargeType"] = new_charge
    inst["InternetMaxBandwidthIn"] = bandwidth_in(call, new_out, inst["InternetMaxBandwidthIn"])
    if temporary is not None:
        inst["_temporary_bandwidth"] = {**temporary, "out": new_out, "base": old_out, "applied": False}
        store.advance(inst, call.now)
    else:
        inst["InternetMaxBandwidthOut"] = new_out
    # From 0 Mbit/s: a subscription gets a public IP at once, pay-as-you-go only with AllocatePublicIp.
    if not inst["PublicIpAddress"] and new_out > 0 and (allocate or (prepaid and old_out == 0)):
        inst["PublicIpAddress"] = store.allocate_public_ip(inst["RegionId"])
    store.touch(inst, call.now)
    return {"OrderId": order}


def _temporary_window(call: Call, inst: dict[str, Any], new_out: int) -> dict[str, float]:
    """StartTime ``yyyy-MM-ddThh:mmZ`` (default now), EndTime ``yyyy-MM-ddThhZ``, at least three hours apart."""
    bad = ApiError("InvalidStartTime.ValueNotSupported", "The specified StartTime or EndTime is not valid.", 400)
    if inst["InstanceChargeType"] != "PrePaid":
        raise ApiError("ChargeTypeViolation", "The operation is not permitted due to billing method of the instance.", 403)
    if not call.params.get("EndTime"):
        raise missing_parameter("EndTime")
    start = _time(call, "StartTime", bad, ("%Y-%m-%dT%H:%MZ",)) if call.params.get("StartTime") else call.now
    end = _time(call, "EndTime", bad, ("%Y-%m-%dT%HZ", "%Y-%m-%dT%H:%MZ"))
    if end - start < 3 * 3600 or end <= call.now:
        raise bad
    if new_out <= inst["InternetMaxBandwidthOut"]:
        raise ApiError(
            "InvalidBandwidth.ValueNotSupported", "Instance upgrade bandwidth of temporary not allow less then existed.", 400
        )
    return {"start": max(start, call.now), "end": end}
