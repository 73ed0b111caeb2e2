"""Elastic IP addresses (VPC 2016-04-28): AllocateEipAddress, AssociateEipAddress,
UnassociateEipAddress, ReleaseEipAddress, DescribeEipAddresses.  Codes and messages from the
API pages of the same names (AlibabaCloudDocs/eip and the current SDK model text); the EIP FAQ
"Why am I unable to associate an EIP with an ECS instance?" gives the association rules.
An associated EIP shows in DescribeInstances / DescribeInstanceAttribute ``EipAddress``."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, dry_run_passed
from ..registry import VPC_VERSION, Call, action
from ..state import minute_time, second_time
from . import common

INSTANCE_TYPES = ("EcsInstance", "SlbInstance", "Nat", "NetworkInterface", "HaVip", "IpAddress")
STATUSES = ("Associating", "Unassociating", "InUse", "Available")
ISPS = ("BGP", "BGP_PRO", "ChinaTelecom", "ChinaUnicom", "ChinaMobile", "ChinaTelecom_L2", "ChinaUnicom_L2",
        "ChinaMobile_L2", "BGP_FinanceCloud")


def _param_error(name: str) -> ApiError:
    return ApiError("InvalidParameter", f'Specified value of "{name}" is not valid.', 400)


def _not_found() -> ApiError:
    return ApiError("InvalidAllocationId.NotFound", "Specified allocation ID is not found", 404)


def _eip(call: Call, region_id: str) -> dict[str, Any]:
    eip = call.store.eips.get(call.params.require("AllocationId"))
    if eip is None or eip["RegionId"] != region_id:
        raise _not_found()
    return call.store.advance_eip(eip, call.now)


def _incorrect_status() -> ApiError:
    return ApiError("IncorrectEipStatus", "Current elastic IP status does not support this operation.", 400)


# ---------------------------------------------------------------------------------------- allocate


def _bandwidth(call: Call, charge: str, internet: str) -> int:
    ceiling = 1000 if charge == "PrePaid" else (500 if internet == "PayByBandwidth" else 200)
    return call.params.int("Bandwidth", 5, minimum=1, maximum=ceiling, error=_param_error("Bandwidth"))


def _text(call: Call, name: str, maximum: int) -> str:
    value = call.params.get(name) or ""
    if len(value) > maximum or value.startswith(("http://", "https://")):
        raise _param_error(name)
    return value


@action("AllocateEipAddress", version=VPC_VERSION, mutating=True, client_token=True)
def allocate_eip_address(call: Call) -> dict:
    p, store = call.params, call.store
    region_id = common.region(call)
    assert region_id is not None
    charge = p.enum("InstanceChargeType", ("PostPaid", "PrePaid"), "PostPaid", _param_error("InstanceChargeType"))
    internet = p.enum("InternetChargeType", ("PayByBandwidth", "PayByTraffic"), "PayByBandwidth",
                      _param_error("InternetChargeType"))
    assert charge is not None and internet is not None
    if charge == "PrePaid" and internet != "PayByBandwidth":
        raise _param_error("InternetChargeType")  # subscriptions are pay-by-bandwidth
    bandwidth = _bandwidth(call, charge, internet)
    p.enum("ISP", ISPS, "BGP", _param_error("ISP"))
    p.enum("Netmode", ("public",), "public", _param_error("Netmode"))
    name, description = _text(call, "Name", 128), _text(call, "Description", 256)
    common.check_resource_group(p.get("ResourceGroupId"))
    tags = common.validate_tags(p.tags())
    months = 0
    if charge == "PrePaid":
        unit = p.enum("PricingCycle", ("Month", "Year"), "Month", _param_error("PricingCycle"))
        period = p.int("Period", None, minimum=1, maximum=9 if unit == "Month" else 5, error=_param_error("Period"))
        if period is None:
            raise _param_error("Period")
        months = period * (12 if unit == "Year" else 1)
    if sum(1 for e in store.eips.values() if e["RegionId"] == region_id) >= int(store.config["eip_quota"]):
        raise ApiError("QuotaExceeded.Eip", "Elastic IP address quota exceeded", 400)
    price = round(bandwidth * float(store.config["bandwidth_price_monthly"]) * months, 2)
    if charge == "PrePaid" and price > store.balance:
        raise ApiError("InsufficientBalance", "Your account does not have enough balance.", 400)
    if p.bool("DryRun", False):
        raise dry_run_passed()
    out: dict[str, Any] = {"ResourceGroupId": p.get("ResourceGroupId") or ""}
    if charge == "PrePaid":
        out["OrderId"] = store.order_id()
        if not p.bool("AutoPay", False):  # the order waits for payment: no EIP yet (README)
            return {"AllocationId": "", "EipAddress": "", **out}
        store.balance = round(store.balance - price, 2)
    allocation_id = store.new_id("eip", region_id, store.eips)
    address = store.allocate_public_ip(region_id)
    store.eips[allocation_id] = {
        "AllocationId": allocation_id,
        "RegionId": region_id,
        "IpAddress": address,
        "Bandwidth": bandwidth,
        "InternetChargeType": internet,
        "ChargeType": charge,
        "ISP": p.get("ISP") or "BGP",
        "Name": name,
        "Description": description,
        "ResourceGroupId": p.get("ResourceGroupId") or "",
        "Tags": tags,
        "CreationTs": float(int(call.now)),
        "ExpiredTs": _expiry(call.now, months) if charge == "PrePaid" else None,
        "Status": "Available",
        "InstanceId": "",
        "InstanceType": "",
        "_since": call.now,
        "_next": [],
    }
    return {"AllocationId": allocation_id, "EipAddress": address, **out}


def _expiry(now: float, months: int) -> float:
    from ..state import add_period

    return add_period(now, months, "Month")


# -------------------------------------------------------------------------------------- associate


def _instance_type(call: Call) -> str:
    kind = call.params.enum(
        "InstanceType",
        INSTANCE_TYPES,
        "EcsInstance",
        ApiError("InvalidInstanceType.ValueNotSupported", "The specified value of InstanceType is not supported.", 400),
    )
    assert kind is not None
    return kind


def _ecs_instance(call: Call, region_id: str, not_found: ApiError) -> dict[str, Any]:
    inst = call.store.get_instance(call.params.require("InstanceId"), call.now)
    if inst is None or not call.store.is_visible(inst, call.now):
        raise not_found
    if inst["RegionId"] != region_id:
        raise ApiError(
            "InvalidParameter.Mismatch", "Specified elastic IP address and ECS instance are not in the same region.", 400
        )
    return inst


@action("AssociateEipAddress", version=VPC_VERSION, mutating=True, client_token=True)
def associate_eip_address(call: Call) -> dict:
    """Associating -> InUse after delays["Associating"]; the instance shows the EIP at once."""
    region_id = common.region(call)
    assert region_id is not None
    eip = _eip(call, region_id)
    kind = _instance_type(call)
    missing = ApiError("InvalidInstanId.NotFound", "Specified instance does not exist.", 404)  # sic (the doc)
    if kind != "EcsInstance":
        raise missing  # no NAT gateways, SLB instances, ENIs, HaVips here
    if eip["Status"] != "Available":
        raise _incorrect_status()
    inst = _ecs_instance(call, region_id, missing)
    if inst["Status"] not in ("Running", "Stopped"):
        raise ApiError("IncorrectInstanceStatus", "Current instance status does not support this operation.", 400)
    if inst.get("Eip") or inst["PublicIpAddress"]:
        # The FAQ: an instance that already has a public IP address or an EIP cannot get another one.
        raise ApiError("InvalidAssociation.Duplicated", "Specified instance already is associated.", 400)
    eip.update(Status="Associating", InstanceId=inst["InstanceId"], InstanceType=kind, _since=call.now,
               _next=["InUse"])
    call.store.advance_eip(eip, call.now)
    inst["Eip"] = {k: eip[k] for k in ("AllocationId", "IpAddress", "Bandwidth", "InternetChargeType")}
    call.store.touch(inst, call.now)
    return {}


@action("UnassociateEipAddress", version=VPC_VERSION, mutating=True, client_token=True)
def unassociate_eip_address(call: Call) -> dict:
    """Unassociating -> Available after delays["Unassociating"]."""
    store, p = call.store, call.params
    region_id = common.region(call)
    assert region_id is not None
    eip = _eip(call, region_id)
    kind = _instance_type(call) if p.get("InstanceType") else "EcsInstance"
    if eip["Status"] != "InUse":
        raise _incorrect_status()
    if p.get("InstanceId"):
        missing = ApiError("InvalidInstanceId.NotFound", "Specified instance does not exist.", 400)
        if kind != "EcsInstance":
            raise missing
        given = _ecs_instance(call, region_id, missing)
        if given["InstanceId"] != eip["InstanceId"]:
            raise ApiError("InvalidBindingStatus", "The eip binding status invalid.", 400)
    inst = store.get_instance(eip["InstanceId"], call.now)
    if inst is not None:
        if inst["Status"] not in ("Running", "Stopped"):
            raise ApiError("IncorrectInstanceStatus", "The current status of instance does not support this operation.",
                           400)
        inst["Eip"] = None
        store.touch(inst, call.now)
    eip.update(Status="Unassociating", InstanceId="", InstanceType="", _since=call.now, _next=["Available"])
    store.advance_eip(eip, call.now)
    return {}


@action("ReleaseEipAddress", version=VPC_VERSION, mutating=True)
def release_eip_address(call: Call) -> dict:
    """Only an Available, pay-as-you-go EIP can be released."""
    region_id = common.region(call)
    assert region_id is not None
    eip = _eip(call, region_id)
    if eip["ChargeType"] == "PrePaid":
        raise ApiError("Forbidden.ChargeTypeIsPrepaid", "It's forbidden to release a prepaid EIP", 400)
    if eip["Status"] != "Available":
        raise _incorrect_status()
    del call.store.eips[eip["AllocationId"]]
    call.store.public_ips.discard(eip["IpAddress"])
    return {}


# --------------------------------------------------------------------------------------- describe


def _render(eip: dict[str, Any]) -> dict[str, Any]:
    return {
        "AllocationId": eip["AllocationId"],
        "AllocationTime": second_time(eip["CreationTs"]),
        "IpAddress": eip["IpAddress"],
        "RegionId": eip["RegionId"],
        "Status": eip["Status"],
        "Bandwidth": str(eip["Bandwidth"]),
        "EipBandwidth": str(eip["Bandwidth"]),
        "InternetChargeType": eip["InternetChargeType"],
        "ChargeType": eip["ChargeType"],
        "ExpiredTime": minute_time(eip["ExpiredTs"]),
        "InstanceId": eip["InstanceId"],
        "InstanceType": eip["InstanceType"],
        "InstanceRegionId": eip["RegionId"] if eip["InstanceId"] else "",
        "PrivateIpAddress": "",
        "Name": eip["Name"],
        "Description": eip["Description"],
        "Descritpion": eip["Description"],  # sic: the old response carries this spelling as well
        "ISP": eip["ISP"],
        "Netmode": "public",
        "Mode": "NAT",
        "ResourceGroupId": eip["ResourceGroupId"],
        "BusinessStatus": "Normal",
        "DeletionProtection": False,
        "HDMonitorStatus": "false",
        "HasReservationData": "false",
        "SecondLimited": False,
        "ServiceManaged": 0,
        "BandwidthPackageId": "",
        "BandwidthPackageType": "",
        "BandwidthPackageBandwidth": "",
        "SegmentInstanceId": "",
        "OperationLocks": {"LockReason": []},
        "AvailableRegions": {"AvailableRegion": [eip["RegionId"]]},
        "Tags": {"Tag": [{"Key": k, "Value": v} for k, v in eip["Tags"].items()]},
    }


def _list(value: str | None, name: str) -> list[str] | None:
    if not value:
        return None
    items = [i.strip() for i in value.split(",") if i.strip()]
    if len(items) > 50:
        raise ApiError("InvalidParameter", f'The specified parameter "{name}" is not valid.', 400)
    return items


@action("DescribeEipAddresses", version=VPC_VERSION)
def describe_eip_addresses(call: Call) -> dict:
    p, store = call.params, call.store
    region_id = common.region(call)
    ids, addresses = _list(p.get("AllocationId"), "AllocationId"), _list(p.get("EipAddress"), "EipAddress")
    status = p.enum("Status", STATUSES, error=ApiError("InvalidParameter", 'The specified parameter "Status" is not valid.'))
    charge = p.enum("ChargeType", ("PostPaid", "PrePaid"),
                    error=ApiError("InvalidParameter", 'The specified parameter "ChargeType" is not valid.'))
    kind = p.enum("AssociatedInstanceType", INSTANCE_TYPES,
                  error=ApiError("InvalidInstanceType.ValueNotSupported",
                                 "The specified value of InstanceType is not supported.", 400))
    p.enum("LockReason", ("financial", "security"),
           error=ApiError("InvalidLockReason.NotFound", "The specified LockReason is not found", 404))
    if p.bool("DryRun", False):
        raise dry_run_passed()
    eips = [store.advance_eip(e, call.now) for e in store.eips.values() if e["RegionId"] == region_id]
    checks = [
        (ids, lambda e: e["AllocationId"] in ids),
        (addresses, lambda e: e["IpAddress"] in addresses),
        (status, lambda e: e["Status"] == status),
        (charge, lambda e: e["ChargeType"] == charge),
        (kind, lambda e: e["InstanceType"] == kind),
        (p.get("AssociatedInstanceId"), lambda e: e["InstanceId"] == p.get("AssociatedInstanceId")),
        (p.get("ISP"), lambda e: e["ISP"] == p.get("ISP")),
        (p.get("EipName"), lambda e: e["Name"] == p.get("EipName")),
        (p.get("ResourceGroupId"), lambda e: e["ResourceGroupId"] == p.get("ResourceGroupId")),
        (p.get("LockReason"), lambda e: False),  # no EIP is ever locked here
    ]
    for given, check in checks:
        if given:
            eips = [e for e in eips if check(e)]
    wanted = common.tag_filter(call)
    eips = [e for e in eips if common.tags_match(e["Tags"], wanted)]
    eips.sort(key=lambda e: (-e["CreationTs"], e["AllocationId"]))
    page, meta = common.paginate(call, eips, 10, 100)
    return {**meta, "EipAddresses": {"EipAddress": [_render(e) for e in page]}}

