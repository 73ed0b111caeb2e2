"""ModifyInstanceAttribute, ModifyInstanceChargeType, AllocatePublicIpAddress (reference 9.11, 9.12, 9.14)."""

from __future__ import annotations

import ipaddress
from typing import Any

from ..errors import ApiError, dry_run_passed, incorrect_instance_status
from ..registry import Call, action
from ..state import add_period, renew_attribute
from . import common
from .create import _user_data, not_enough_balance, prepaid_terms
from .lifecycle import check_locks

# ModifyInstanceChargeType periods, current intl doc (reference 9.14): Month 1-9, 12.
CONVERSION_MONTHS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12)


def _security_lock(inst: dict[str, Any]) -> None:
    if "security" in inst["Locks"]:
        check_locks(inst)


def _sg_replacement(call: Call, inst: dict[str, Any]) -> list[str] | None:
    """``SecurityGroupIds.N``: the full new list; groups not listed are left (reference 9.12)."""
    ids = [sg for sg in call.params.repeat_list("SecurityGroupIds") if sg]
    if not ids:
        return None
    common.check_security_group_ids(ids)
    for sg_id in ids:
        if common.security_group(call, sg_id, inst["RegionId"])["VpcId"] != inst["VpcId"]:
            raise ApiError(
                "InvalidInstanceId.Mismatch", "Specified instance and security group are not in the same VPC.", 400
            )
    return ids


def _attribute_changes(call: Call, inst: dict[str, Any]) -> dict[str, Any]:
    """Validate every given attribute against the instance's state; returns the changes."""
    p = call.params
    changes: dict[str, Any] = {}
    windows = call.store.catalog.images.get(inst["ImageId"], {}).get("OSType") == "windows"
    if p.get("InstanceName"):
        common.check_name(p.get("InstanceName"), "InvalidInstanceName.Malformed", "InstanceName")
        changes["InstanceName"] = p.get("InstanceName")
    if p.get("Description"):
        common.check_description(p.get("Description"))
        changes["Description"] = p.get("Description")
    if p.get("HostName"):
        common.check_hostname(p.get("HostName"), windows)
        if inst["Status"] in ("Pending", "Starting"):
            raise incorrect_instance_status()
        changes["HostName"] = p.get("HostName")
    if p.get("Password"):
        common.check_password(p.get("Password"))
        if inst["Status"] == "Starting":
            raise incorrect_instance_status()
    if p.get("UserData") is not None and p.get("UserData") != "":
        changes["UserData"] = _user_data(call)
        if inst["Status"] != "Stopped":
            raise incorrect_instance_status()
    if p.get("NetworkInterfaceQueueNumber") and inst["Status"] != "Stopped":
        raise incorrect_instance_status()
    groups = _sg_replacement(call, inst)
    if groups is not None:
        changes["SecurityGroupIds"] = groups
    protection = p.bool("DeletionProtection")
    if protection is not None:
        if protection and inst["InstanceChargeType"] != "PostPaid":
            # PostPaid only (reference 8.6); the real answer is undocumented (README).
            raise ApiError(
                "ChargeTypeViolation", "The operation is not permitted due to charge type of the instance.", 403
            )
        changes["DeletionProtection"] = protection
    credit = p.enum("CreditSpecification", ("Standard", "Unlimited"))
    if credit:
        itype = call.store.catalog.instance_types.get(inst["InstanceType"], {})
        if itype.get("InstanceFamilyLevel") != "CreditEntryLevel":
            raise ApiError(
                "InvalidParameter.CreditSpecification",
                "The specified instance type does not support CreditSpecification.",
                400,
            )
        changes["CreditSpecification"] = credit
    return changes


@action("ModifyInstanceAttribute", mutating=True)
def modify_instance_attribute(call: Call) -> dict:
    inst = common.instance(call)
    _security_lock(inst)
    changes = _attribute_changes(call, inst)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    inst.update(changes)
    call.store.touch(inst, call.now)
    return {}


@action("AllocatePublicIpAddress", mutating=True)
def allocate_public_ip_address(call: Call) -> dict:
    inst = common.instance(call)
    check_locks(inst)
    if inst["Status"] not in ("Running", "Stopped"):
        raise incorrect_instance_status()
    if inst["PublicIpAddress"]:
        raise ApiError("AllocatedAlready", "There is an IpAddress allocated already for the specified instance.", 403)
    if inst.get("Eip"):  # a VPC instance with an EIP (reference 9.11)
        raise ApiError("OperationDenied", "Specified operation is denied as your instance is in VPC.", 400)
    if inst["InternetMaxBandwidthOut"] <= 0:
        raise ApiError(
            "AllocateIpInvalidInstanceBandwidth",
            "OperationDenied The InternetMaxBandwidthOut of the specified instance cannot be less than 0.",
            400,
        )
    wanted = call.params.get("IpAddress")
    if wanted:
        try:
            ipaddress.IPv4Address(wanted)
        except ValueError:
            raise ApiError(
                "InvalidIpAddress.Malformed", 'The specified parameter "IpAddress" is not valid.', 400
            ) from None
        if wanted in call.store.public_ips:
            raise ApiError("IpInUse", "The specified IP is already in use.", 403)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    if wanted:
        call.store.public_ips.add(wanted)
    inst["PublicIpAddress"] = wanted or call.store.allocate_public_ip(inst["RegionId"])
    call.store.touch(inst, call.now)
    return {"IpAddress": inst["PublicIpAddress"]}


# --------------------------------------------------- ModifyInstanceChargeType


def _conversion_ids(call: Call) -> list[str]:
    bad = ApiError("InvalidParameter.InstanceIds", "The specified InstanceIds are invalid.", 400)
    if not call.params.get("InstanceIds"):
        raise common.missing_parameter("InstanceIds")
    ids = common.json_ids(call, "InstanceIds", 10_000, error=bad)
    if not ids:
        raise bad
    if len(ids) > 20:
        raise ApiError("InstancesIdQuotaExceed", "The maximum number of Instances is exceeded.", 400)
    return list(dict.fromkeys(ids))


def _check_conversion(call: Call, inst: dict[str, Any], target: str) -> None:
    if "financial" in inst["Locks"]:
        raise ApiError("ExpiredInstance", "The specified instance has expired.", 400)
    if inst["Status"] not in ("Running", "Stopped"):
        raise ApiError(
            "InvalidStatus.ValueNotSupported",
            "The current status of the instance does not support this operation.",
            400,
        )
    if inst["InstanceChargeType"] == target:
        raise ApiError("InvalidInstanceChargeType.ValueNotSupported", f"The instance is already {target}.", 400)
    if target == "PrePaid" and inst.get("AutoReleaseTs") is not None:
        raise ApiError("ReleaseTimeHaveBeenSet", "The specified instance has been set released time.", 400)
    if target == "PrePaid" and inst["SpotStrategy"] != "NoSpot":
        raise ApiError("InvalidSpotPrepaid", "The specified Spot type is not support PrePay Instance.", 400)


def _convert(call: Call, inst: dict[str, Any], target: str, terms: dict[str, Any] | None, data_disks: bool) -> None:
    inst["InstanceChargeType"] = target
    inst["Terms"] = terms
    if terms:
        inst["ExpiredTs"] = add_period(call.now, terms["Period"], terms["PeriodUnit"])
        inst["SaleCycle"] = terms["PeriodUnit"].lower()
    else:
        inst["ExpiredTs"], inst["SaleCycle"] = None, ""
    inst["AutoRenewAttribute"] = renew_attribute(terms)
    for disk_id in inst["DiskIds"]:
        disk = call.store.disks.get(disk_id)
        if disk and (disk["Type"] == "system" or data_disks or target == "PostPaid"):
            disk["DiskChargeType"] = target
    call.store.touch(inst, call.now)


@action("ModifyInstanceChargeType", mutating=True, client_token=True)
def modify_instance_charge_type(call: Call) -> dict:
    common.region(call)
    ids = _conversion_ids(call)
    target = common.enum_or(
        call,
        "InstanceChargeType",
        ("PrePaid", "PostPaid"),
        "InvalidInstanceChargeType.ValueNotSupported",
        "The specified InstanceChargeType is not supported.",
        default="PrePaid",
    )
    terms = prepaid_terms(call, target, CONVERSION_MONTHS)
    auto_pay = call.params.bool("AutoPay", True)
    instances = [common.find_instance(call, instance_id) for instance_id in ids]
    for inst in instances:
        _check_conversion(call, inst, target)
    fees = {
        i["InstanceId"]: (
            call.store.price(i["InstanceType"], "PrePaid", terms["Period"], terms["PeriodUnit"]) if terms else 0.0
        )
        for i in instances
    }
    total = round(sum(fees.values()), 2)
    if auto_pay and total > call.store.balance:
        raise not_enough_balance()
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    if auto_pay:  # AutoPay=false leaves an unpaid order: nothing converts until it is paid (README)
        call.store.balance = round(call.store.balance - total, 2)
        for inst in instances:
            _convert(call, inst, target, terms, bool(call.params.bool("IncludeDataDisks", False)))
    return {
        "OrderId": call.store.order_id(),
        "FeeOfInstances": {
            "FeeOfInstance": [{"InstanceId": k, "Fee": f"{v:.2f}", "Currency": "CNY"} for k, v in fees.items()]
        },
    }
