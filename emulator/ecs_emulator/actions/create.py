"""RunInstances and CreateInstance (reference 9.1, 9.2, 8.6)."""

from __future__ import annotations

import base64
import calendar
import binascii
import ipaddress
import re
import time
from typing import Any

from ..errors import ApiError, dry_run_passed, invalid_parameter
from ..params import parse_int
from ..registry import Call, action
from ..state import add_period, not_enough_private_ips, renew_attribute
from . import common

DISK_CATEGORIES = ("cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry")
PERFORMANCE_LEVELS = ("PL0", "PL1", "PL2", "PL3")
# Reference 8.6 / 12: sources disagree; the wider RunInstances sets are accepted for both operations.
MONTH_PERIODS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 24, 36, 48, 60)
WEEK_PERIODS = (1, 2, 3, 4)
AUTO_RENEW_MONTHS = (1, 2, 3, 6, 12, 24, 36, 48, 60)
AUTO_RENEW_WEEKS = (1, 2, 3)
USER_DATA_MAX = 32 * 1024  # raw bytes, current doc (reference 12)


def missing_create_param(name: str) -> ApiError:
    # RunInstances/CreateInstance quote this variant without quotation marks (reference 9.1).
    return ApiError(
        "MissingParameter",
        f"The input parameter {name} that is mandatory for processing this request is not supplied.",
        400,
    )


def no_stock() -> ApiError:
    return ApiError(
        "OperationDenied.NoStock",
        "The requested resource is sold out in the specified zone; try other types of resources "
        "or other regions and zones.",
        403,
    )


def not_enough_balance() -> ApiError:
    return ApiError("InvalidAccountStatus.NotEnoughBalance", "Your account does not have enough balance.", 403)


def sold_out(call: Call, zone_id: str, instance_type: str) -> bool:
    """config ``no_stock`` entries: "ZONE", "ZONE/TYPE", "*/TYPE" or "*"."""
    entries = set(call.store.config.get("no_stock") or ())
    return bool(entries & {"*", zone_id, f"{zone_id}/{instance_type}", f"*/{instance_type}"})


def prepaid_terms(
    call: Call, charge_type: str, periods=MONTH_PERIODS, renew_months=AUTO_RENEW_MONTHS
) -> dict[str, Any] | None:
    """Period, PeriodUnit, AutoRenew, AutoRenewPeriod of a subscription (reference 8.6)."""
    if charge_type != "PrePaid":
        return None
    p = call.params
    unit = p.enum(
        "PeriodUnit",
        ("Month", "Week"),
        "Month",
        ApiError("InvalidPeriodUnit.ValueNotSupported", "The specified parameter PeriodUnit is not valid.", 400),
    )
    if not p.get("Period"):
        raise ApiError("MissingParamter", 'The specified parameter "Period" is not null.', 400)
    invalid_period = ApiError("InvalidPeriod", "The specified period is not valid.", 400)
    period = p.int("Period", error=invalid_period)
    if period not in (WEEK_PERIODS if unit == "Week" else periods):
        raise invalid_period
    bad_renew = ApiError(
        "InvalidAutoRenewPeriod.ValueNotSupported", "The specified parameter AutoRenewPeriod is not valid.", 400
    )
    renew_period = p.int("AutoRenewPeriod", 1, error=bad_renew)
    if renew_period not in (AUTO_RENEW_WEEKS if unit == "Week" else renew_months):
        raise bad_renew
    return {
        "Period": period,
        "PeriodUnit": unit,
        "AutoRenew": bool(p.bool("AutoRenew", False)),
        "AutoRenewPeriod": renew_period,
    }


# ------------------------------------------------------------------ plan


def _image_and_type(call: Call) -> tuple[dict[str, Any], dict[str, Any]]:
    p = call.params
    image_id, type_id = p.get("ImageId"), p.get("InstanceType")
    if not image_id:
        raise missing_create_param("ImageId")
    if not type_id:
        raise missing_create_param("InstanceType")
    image = call.store.catalog.images.get(image_id)
    if image is None:
        raise ApiError("InvalidImageId.NotFound", "The specified ImageId does not exist.", 404)
    itype = call.store.catalog.instance_types.get(type_id)
    if itype is None:
        raise ApiError(
            "InvalidInstanceType.ValueNotSupported",
            "The specified InstanceType does not exist or beyond the permitted range.",
            400,
        )
    return image, itype


def _security_groups(call: Call, region_id: str, run: bool) -> list[dict[str, Any]]:
    p = call.params
    single = p.get("SecurityGroupId")
    many = [sg for sg in p.repeat_list("SecurityGroupIds") if sg] if run else []
    if single and many:
        # Reference 9.1: mutually exclusive; code not documented (README).
        raise ApiError(
            "InvalidParameter.Conflict",
            "The specified parameter SecurityGroupId and SecurityGroupIds.N are conflict.",
            400,
        )
    ids = [single] if single else many
    if not ids:
        raise common.missing_parameter("SecurityGroupId")
    common.check_security_group_ids(ids)
    groups = [common.security_group(call, sg_id, region_id) for sg_id in ids]
    if len({g["VpcId"] for g in groups}) > 1:
        raise ApiError("InvalidParameter.Mismatch", "Specified security groups are not in the same VPC.", 400)
    return groups


def _network(call: Call, region_id: str, groups: list[dict[str, Any]]) -> dict[str, Any]:
    """VSwitchId, ZoneId and their consistency with the security group (reference 9.1)."""
    p, store = call.params, call.store
    zone_id = p.get("ZoneId") or None
    if zone_id and store.catalog.zones.get(zone_id, {}).get("RegionId") != region_id:
        raise ApiError("InvalidZoneId.NotFound", "The specified zoneId does not exist.", 404)
    vpc_id = groups[0]["VpcId"]
    vsw_id = p.get("VSwitchId")
    if vsw_id:
        vsw = store.vswitches.get(vsw_id)
        if vsw is None or vsw["RegionId"] != region_id:
            raise ApiError("InvalidVSwitchId.NotFound", "Specified virtual switch does not exist.", 404)
    elif store.config.get("implicit_vswitch"):
        candidates = [
            v for v in store.vswitches.values() if v["VpcId"] == vpc_id and (zone_id is None or v["ZoneId"] == zone_id)
        ]
        if not candidates:
            raise common.missing_parameter("VSwitchId")
        vsw = candidates[0]
    else:
        raise common.missing_parameter("VSwitchId")
    if vsw["VpcId"] != vpc_id:
        raise ApiError(
            "InvalidParameter.Mismatch", "Specified security group and virtual switch are not in the same VPC.", 400
        )
    if zone_id and vsw["ZoneId"] != zone_id:
        raise ApiError("InvalidParameter.Mismatch", "Specified virtual switch is not in the specified zone.", 400)
    return vsw


def _names(call: Call, image: dict[str, Any], amount: int, run: bool) -> dict[str, Any]:
    p = call.params
    name = p.get("InstanceName") or None
    if name is not None:
        common.check_name(
            re.sub(r"\[\d+,\d+\]", "", name) if run else name, "InvalidInstanceName.Malformed", "InstanceName"
        )
    windows = image["OSType"] == "windows"
    hostname = p.get("HostName") or None
    hostnames = [h for h in p.repeat_list("HostNames") if h] if run else []
    if hostname and hostnames or len(hostnames) > amount:
        raise invalid_parameter("HostNames")
    for value in [hostname, *hostnames]:
        if value is not None:
            common.check_hostname(re.sub(r"\[\d+,\d+\]", "", value), windows)
    common.check_description(p.get("Description"))
    password = p.get("Password") or None
    common.check_password(password)
    if password and p.bool("PasswordInherit", False):
        raise ApiError(
            "InvalidPasswordParam.Mismatch",
            "The specified parameter Password and PasswordInherit cannot be specified at the same time.",
            400,
        )
    key_pair = p.get("KeyPairName") or ""
    if key_pair and not 2 <= len(key_pair) <= 128:
        raise ApiError("InvalidKeyPairName.Malformed", 'The specified parameter "KeyPairName" is not valid.', 400)
    if key_pair and not windows:  # ignored for Windows images (reference 9.1)
        check_key_pair(call, p.get("RegionId") or "", key_pair)
    return {
        "InstanceName": name,
        "HostName": hostname,
        "HostNames": hostnames,
        "Description": p.get("Description") or "",
        "Password": bool(password),
        "KeyPairName": "" if windows else key_pair,
        "UniqueSuffix": bool(p.bool("UniqueSuffix", False)),
    }


def check_key_pair(call: Call, region_id: str, name: str, status: int = 404) -> None:
    """KeyPairName must name a key pair of the region (setting ``check_key_pairs``).

    RunInstances/CreateInstance document 404 with this message; ReplaceSystemDisk 400 with
    "The specified KeyPairName does not exist." (callers pass theirs).
    """
    if not call.store.config.get("check_key_pairs", True):
        return
    if f"{region_id}/{name}" not in call.store.key_pairs:
        message = (
            'The specified parameter "KeyPairName" does not exist in our records.'
            if status == 404
            else "The specified KeyPairName does not exist."
        )
        raise ApiError("InvalidKeyPairName.NotFound", message, status)


def _internet(call: Call) -> dict[str, Any]:
    p = call.params
    charge = common.enum_or(
        call,
        "InternetChargeType",
        ("PayByTraffic", "PayByBandwidth"),
        "InvalidInternetChargeType.ValueNotSupported",
        "The specified InternetChargeType is invalid.",
        default="PayByTraffic",
    )
    out = p.int("InternetMaxBandwidthOut", 0, minimum=0, maximum=100)
    assert out is not None
    bw_in = bandwidth_in(call, out)
    io = common.enum_or(
        call,
        "IoOptimized",
        ("optimized", "none"),
        "InvalidIoOptimizedValue.ValueNotSupported",
        "IoOptimized value not supported.",
        default="optimized",
    )
    return {
        "InternetChargeType": charge,
        "InternetMaxBandwidthOut": out,
        "InternetMaxBandwidthIn": bw_in,
        "IoOptimized": io == "optimized",
    }


def bandwidth_in(call: Call, out: int, current: int | None = None) -> int:
    """InternetMaxBandwidthIn: documented range 1-10 (Out <= 10) or 1-Out, default the top of it.

    Reference 8.10: a value outside the range is accepted and has no effect (the default, or the
    instance's ``current`` value on a modification, is kept).  A value that is not an integer at
    all is still InvalidParameter.
    """
    ceiling = 10 if out <= 10 else out
    default = ceiling if current is None else current
    value = call.params.int("InternetMaxBandwidthIn", None, minimum=-(2**31))
    if value is None:
        return default
    return value if 1 <= value <= ceiling else default


def _performance_level(value: str | None, category: str, label: str) -> str:
    if category != "cloud_essd":
        return ""
    if value in (None, ""):
        return "PL1"
    if value not in PERFORMANCE_LEVELS:
        raise ApiError(
            f"Invalid{label}PerformanceLevel.ValueNotSupported",
            f"The specified parameter {label}.PerformanceLevel is not valid.",
            400,
        )
    return value


def _int_or(value: str | None, error: ApiError) -> int | None:
    if value in (None, ""):
        return None
    number = parse_int(value, minimum=0)
    if number is None:
        raise error
    return number


def _system_disk(call: Call, image: dict[str, Any]) -> dict[str, Any]:
    spec = call.params.struct("SystemDisk")
    category = spec.get("Category") or "cloud_efficiency"
    if category not in DISK_CATEGORIES:
        raise ApiError(
            "InvalidSystemDiskCategory.ValueNotSupported",
            "The specified parameter SystemDisk.Category is not valid.",
            400,
        )
    bad_size = ApiError(
        "InvalidSystemDiskSize.ValueNotSupported", "The specified parameter SystemDisk.Size is not valid.", 400
    )
    size = _int_or(spec.get("Size"), bad_size)
    if size is None:
        size = max(40, image["Size"])
    if size < image["Size"]:
        raise ApiError(
            "InvalidSystemDiskSize.LessThanImageSize",
            "The specified parameter SystemDisk.Size is less than the image size.",
            404,
        )
    if size < 20:
        raise ApiError(
            "InvalidSystemDiskSize.LessThanMinSize",
            "The specified parameter SystemDisk.Size is less than the min size.",
            404,
        )
    if size > (500 if category == "cloud" else 2048):
        raise bad_size
    if spec.get("DiskName"):
        common.check_name(spec["DiskName"], "InvalidSystemDiskName.Malformed", "SystemDisk.DiskName")
    return {
        "Category": category,
        "Size": size,
        "DiskName": spec.get("DiskName", ""),
        "Description": spec.get("Description", ""),
        "PerformanceLevel": _performance_level(spec.get("PerformanceLevel"), category, "SystemDisk"),
        "DeleteWithInstance": True,
        "Encrypted": False,
        "SnapshotId": "",
    }


def _data_disks(call: Call) -> list[dict[str, Any]]:
    rows = call.params.struct_list("DataDisk")
    if len(rows) > 16:
        raise invalid_parameter("DataDisk")
    disks = []
    for row in rows:
        category = row.get("Category") or "cloud_efficiency"
        if category not in DISK_CATEGORIES:
            raise ApiError(
                "InvalidDataDiskCategory.ValueNotSupported",
                "The specified parameter DataDisk.n.Category is not valid.",
                400,
            )
        bad_size = ApiError(
            "InvalidDataDiskSize.ValueNotSupported", "The specified parameter DataDisk.n.Size is not valid.", 400
        )
        if row.get("SnapshotId"):
            raise ApiError("InvalidSnapshotId.NotFound", "The specified SnapshotId does not exist.", 404)
        size = _int_or(row.get("Size"), bad_size)
        low, high = (5, 2000) if category == "cloud" else (20, 32768)
        if size is None or not low <= size <= high:
            raise bad_size
        disks.append(
            {
                "Category": category,
                "Size": size,
                "DiskName": row.get("DiskName", ""),
                "Description": row.get("Description", ""),
                "PerformanceLevel": _performance_level(row.get("PerformanceLevel"), category, "DataDisk"),
                "DeleteWithInstance": str(row.get("DeleteWithInstance", "true")).lower() != "false",
                "Encrypted": str(row.get("Encrypted", "false")).lower() == "true",
                "SnapshotId": "",
            }
        )
    return disks


def _user_data(call: Call) -> str:
    data = call.params.get("UserData") or ""
    if not data:
        return ""
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(
            "InvalidUserData.Base64FormatInvalid", "The specified UserData is not valid Base64.", 400
        ) from None
    if len(raw) > USER_DATA_MAX:
        raise ApiError("InvalidUserData.SizeExceeded", "The specified parameter UserData exceeds the size.", 400)
    return data


def _spot(call: Call, charge_type: str) -> dict[str, Any]:
    p = call.params
    strategy = common.enum_or(
        call,
        "SpotStrategy",
        ("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"),
        "InvalidSpotStrategy",
        "The specified SpotStrategy is not valid.",
        default="NoSpot",
    )
    if strategy != "NoSpot" and charge_type == "PrePaid":
        raise ApiError("InvalidSpotPrepaid", "The specified Spot type is not support PrePay Instance.", 400)
    bad_limit = ApiError("InvalidSpotPriceLimit", "The specified SpotPriceLimitis not valid.", 400)
    limit = p.float("SpotPriceLimit", 0.0, error=bad_limit)
    raw_limit = p.get("SpotPriceLimit") or ""
    if limit < 0 or ("." in raw_limit and len(raw_limit.split(".")[1]) > 3):
        raise bad_limit
    if strategy == "SpotWithPriceLimit" and not limit:
        raise bad_limit
    duration = p.int(
        "SpotDuration",
        1,
        minimum=0,
        maximum=6,
        error=ApiError("InvalidSpotDuration", "The specified SpotDuration is not valid.", 400),
    )
    behaviour = p.enum("SpotInterruptionBehavior", ("Terminate", "Stop"), "Terminate")
    return {
        "SpotStrategy": strategy,
        "SpotPriceLimit": limit if strategy == "SpotWithPriceLimit" else 0.0,
        "SpotDuration": duration if strategy != "NoSpot" else 0,
        "SpotInterruptionBehavior": behaviour,
    }


def _auto_release(call: Call, charge_type: str) -> float | None:
    value = call.params.get("AutoReleaseTime")
    if not value:
        return None
    bad = ApiError("InvalidAutoReleaseTime.Malformed", "The specified parameter AutoReleaseTime is not valid.", 400)
    try:
        fmt = "%Y-%m-%dT%H:%M:%SZ" if value.count(":") == 2 else "%Y-%m-%dT%H:%MZ"
        moment = float(calendar.timegm(time.strptime(value, fmt)) // 60 * 60)
    except ValueError:
        raise bad from None
    if charge_type != "PostPaid" or not call.now + 1800 <= moment + 60 <= call.now + 3 * 366 * 86400:
        raise bad
    return moment


def _private_ip(call: Call, vsw: dict[str, Any], amount: int) -> list[str] | None:
    wanted = call.params.get("PrivateIpAddress")
    if not wanted:
        return None
    try:
        first = ipaddress.ip_address(wanted)
    except ValueError:
        raise ApiError(
            "InvalidPrivateIpAddress.Malformed", 'The specified parameter "PrivateIpAddress" is not valid.', 400
        ) from None
    net = ipaddress.ip_network(vsw["CidrBlock"])
    addresses = [str(first + k) for k in range(amount)]
    used = call.store.private_ips.get(vsw["VSwitchId"], set())
    for address in addresses:
        host = ipaddress.ip_address(address)
        if host not in net or int(host) < int(net.network_address) + 3 or host >= net.broadcast_address:
            raise ApiError(
                "InvalidPrivateIpAddress",
                "Specified private IP address is not in the CIDR block of virtual switch.",
                400,
            )
        if address in used:
            raise ApiError("InvalidPrivateIpAddress.Duplicated", "Specified private IP address is duplicated.", 400)
    return addresses


def _misc(call: Call, charge_type: str) -> dict[str, Any]:
    p = call.params
    protection = bool(p.bool("DeletionProtection", False))
    if protection and charge_type != "PostPaid":
        raise invalid_parameter("DeletionProtection")  # PostPaid only (reference 8.6)
    common.check_resource_group(p.get("ResourceGroupId"))
    credit = p.enum("CreditSpecification", ("Standard", "Unlimited"), "")
    return {
        "DeletionProtection": protection,
        "ResourceGroupId": p.get("ResourceGroupId") or "",
        "CreditSpecification": credit,
        "HttpEndpoint": p.enum("HttpEndpoint", ("enabled", "disabled"), "enabled"),
        "HttpTokens": p.enum("HttpTokens", ("optional", "required"), "optional"),
        "HttpPutResponseHopLimit": p.int("HttpPutResponseHopLimit", 1, minimum=1, maximum=64),
    }


def build_plan(call: Call, run: bool) -> dict[str, Any]:
    """Validate every parameter of a create call; nothing changes yet."""
    p = call.params
    region_id = common.region(call)
    amount = p.int("Amount", 1, minimum=1, maximum=100) if run else 1
    min_amount = p.int("MinAmount", None, minimum=1, maximum=100) if run else None
    if min_amount is not None and min_amount > amount:
        raise invalid_parameter("MinAmount")
    charge_type = common.enum_or(
        call,
        "InstanceChargeType",
        ("PostPaid", "PrePaid"),
        "InvalidInstanceChargeType.ValueNotSupported",
        "The specified InstanceChargeType is not valid.",
        default="PostPaid",
    )
    terms = prepaid_terms(call, charge_type, MONTH_PERIODS, AUTO_RENEW_MONTHS if run else (1, 2, 3, 6, 12))
    spot = _spot(call, charge_type)
    image, itype = _image_and_type(call)
    groups = _security_groups(call, region_id, run)
    vsw = _network(call, region_id, groups)
    plan = {
        "run": run,
        "RegionId": region_id,
        "Amount": amount,
        "InstanceChargeType": charge_type,
        "terms": terms,
        "image": image,
        "itype": itype,
        "SecurityGroupIds": [g["SecurityGroupId"] for g in groups],
        "vsw": vsw,
        "names": _names(call, image, amount, run),
        "internet": _internet(call),
        "spot": spot,
        "system_disk": _system_disk(call, image),
        "data_disks": _data_disks(call),
        "tags": common.validate_tags(p.tags()),
        "UserData": _user_data(call),
        "misc": _misc(call, charge_type),
        "AutoReleaseTs": _auto_release(call, charge_type) if run else None,
    }
    plan["private_ips"] = _private_ip(call, vsw, amount)
    if sold_out(call, vsw["ZoneId"], itype["InstanceTypeId"]):
        raise no_stock()
    free = call.store.vswitch_free_ips(vsw)  # O(1): a full vSwitch fails before anything is created
    if free < amount:
        if min_amount is None or free < min_amount or plan["private_ips"]:
            raise not_enough_private_ips()
        plan["Amount"] = amount = free  # MinAmount: create as many as the vSwitch allows (reference 9.1)
    plan["price"] = _trade_price(call, plan)
    if charge_type == "PrePaid" and plan["price"] > call.store.balance:
        raise not_enough_balance()
    return plan


def _trade_price(call: Call, plan: dict[str, Any]) -> float:
    terms = plan["terms"] or {}
    unit_price = call.store.price(
        plan["itype"]["InstanceTypeId"],
        plan["InstanceChargeType"],
        terms.get("Period", 1),
        terms.get("PeriodUnit", "Month"),
    )
    return round(unit_price * plan["Amount"], 2)


# ---------------------------------------------------------------- create


def _expand(pattern: str | None, index: int, amount: int, unique: bool) -> str | None:
    """``name[begin,bits]suffix`` numbering, else UniqueSuffix ``001``... when Amount > 1 (reference 9.1)."""
    if pattern is None:
        return None
    match = re.search(r"\[(\d+),(\d+)\]", pattern)
    if match:
        number = str(int(match.group(1)) + index).zfill(int(match.group(2)))
        return pattern[: match.start()] + number + pattern[match.end() :]
    if unique and amount > 1:
        return f"{pattern}{index + 1:03d}"
    return pattern


def _new_instance(call: Call, plan: dict[str, Any], index: int, instance_id: str) -> dict[str, Any]:
    store, names, terms = call.store, plan["names"], plan["terms"]
    vsw = plan["vsw"]
    if index < len(names["HostNames"]):
        hostname = names["HostNames"][index]  # one name per instance: no numbering
    else:
        hostname = _expand(names["HostName"], index, plan["Amount"], names["UniqueSuffix"])
    default_hostname = "iZ" + instance_id[2:] + "Z"
    if plan["image"]["OSType"] == "windows":
        default_hostname = default_hostname[:15]
    wanted_ip = plan["private_ips"][index] if plan["private_ips"] else None
    inst: dict[str, Any] = {
        "InstanceId": instance_id,
        "RegionId": plan["RegionId"],
        "ZoneId": vsw["ZoneId"],
        "InstanceName": _expand(names["InstanceName"], index, plan["Amount"], names["UniqueSuffix"]) or instance_id,
        "Description": names["Description"],
        "HostName": (hostname or default_hostname).replace("${instance_id}", instance_id),
        "ImageId": plan["image"]["ImageId"],
        "InstanceType": plan["itype"]["InstanceTypeId"],
        "InstanceChargeType": plan["InstanceChargeType"],
        "CreationTs": float(int(call.now)),
        "StartTs": None,
        "ExpiredTs": None,
        "AutoReleaseTs": plan["AutoReleaseTs"],
        "SaleCycle": "",
        "SecurityGroupIds": list(plan["SecurityGroupIds"]),
        "VpcId": vsw["VpcId"],
        "VSwitchId": vsw["VSwitchId"],
        "PrivateIpAddress": store.allocate_private_ip(vsw, wanted_ip),
        "PublicIpAddress": "",
        "NetworkInterfaceId": store.new_id("eni", plan["RegionId"], set()),
        "MacAddress": store.mac_address(),
        "SerialNumber": store.serial_number(),
        "KeyPairName": names["KeyPairName"],
        "Locks": [],
        "Tags": dict(plan["tags"]),
        "UserData": plan["UserData"],
        "DiskIds": [],
        "_seq": store.next_seq(),
        "_stop_mode": None,
        "Status": "Pending",
        "_next": [],
        "_since": call.now,
        "_seen": False,
        "_seen_at": 0.0,
        "StoppedMode": "Not-applicable",
        "Terms": terms,
        **plan["internet"],
        **plan["spot"],
        **plan["misc"],
    }
    if terms:
        inst["ExpiredTs"] = add_period(call.now, terms["Period"], terms["PeriodUnit"])
        inst["SaleCycle"] = terms["PeriodUnit"].lower()
        inst["AutoRenewAttribute"] = renew_attribute(terms)
    return inst


def _new_disks(call: Call, plan: dict[str, Any], inst: dict[str, Any]) -> None:
    store = call.store
    specs = [("system", plan["system_disk"])] + [("data", d) for d in plan["data_disks"]]
    for number, (kind, spec) in enumerate(specs):
        disk_id = store.new_id("d", inst["RegionId"], store.disks)
        store.disks[disk_id] = {
            "DiskId": disk_id,
            "RegionId": inst["RegionId"],
            "ZoneId": inst["ZoneId"],
            "InstanceId": inst["InstanceId"],
            "Type": kind,
            "Status": "In_use",
            "Device": "/dev/xvd" + "abcdefghijklmnopq"[number],
            "ImageId": inst["ImageId"] if kind == "system" else "",
            "DiskChargeType": inst["InstanceChargeType"],
            "IOPS": min(50000, 1800 + 50 * spec["Size"]),
            "SerialNumber": disk_id[2:],
            "CreationTs": call.now,
            "AttachedTs": call.now,
            "Tags": dict(plan["tags"]),
            **spec,
        }
        inst["DiskIds"].append(disk_id)


def create_instances(call: Call, plan: dict[str, Any], chain: list[str]) -> list[str]:
    store = call.store
    ids = []
    visible_after = None
    for index in range(plan["Amount"]):
        instance_id = store.new_id("i", plan["RegionId"], store.instances)
        inst = _new_instance(call, plan, index, instance_id)
        store.instances[instance_id] = inst
        store._index(inst)
        _new_disks(call, plan, inst)
        if visible_after is None:  # one delay per call: the instances of one create show up together
            visible_after = store.consistency_delay("new_instance_delay", inst["_seq"])
        store.on_create(inst, call.now, visible_after)
        if plan["run"] and inst["InternetMaxBandwidthOut"] > 0:
            # RunInstances assigns a public IPv4 address when bandwidth > 0; CreateInstance never does.
            inst["PublicIpAddress"] = store.allocate_public_ip(inst["RegionId"])
        store.schedule(inst, chain, call.now)
        ids.append(instance_id)
    if plan["InstanceChargeType"] == "PrePaid":
        store.balance = round(store.balance - plan["price"], 2)
    return ids


def _billing(call: Call, plan: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"TradePrice": plan["price"]}
    if plan["InstanceChargeType"] == "PrePaid":
        out["OrderId"] = call.store.order_id()
    return out


@action("RunInstances", mutating=True, client_token=True)
def run_instances(call: Call) -> dict:
    plan = build_plan(call, run=True)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    ids = create_instances(call, plan, ["Pending", "Starting", "Running"])
    billing = _billing(call, plan)
    return {"InstanceIdSets": {"InstanceIdSet": ids}, **billing}


@action("CreateInstance", mutating=True, client_token=True)
def create_instance(call: Call) -> dict:
    plan = build_plan(call, run=False)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    ids = create_instances(call, plan, ["Pending", "Stopped"])
    return {"InstanceId": ids[0], **_billing(call, plan)}
