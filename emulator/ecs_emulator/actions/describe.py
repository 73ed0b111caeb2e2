"""DescribeInstances, DescribeInstanceStatus, DescribeInstanceAttribute, DescribeUserData,
DescribeDisks (reference 9.3-9.5)."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Callable

from ..errors import ApiError, dry_run_passed, invalid_parameter
from ..registry import Call, action
from ..seed import parse_time
from ..state import STATUSES, newest_first, render_disk, render_instance, render_instance_attribute
from . import common

Predicate = Callable[[dict[str, Any]], bool]

_EXACT = {  # filter parameter -> instance field (reference 9.3: exact match)
    "VpcId": "VpcId",
    "VSwitchId": "VSwitchId",
    "ZoneId": "ZoneId",
    "ImageId": "ImageId",
    "InstanceType": "InstanceType",
    "KeyPairName": "KeyPairName",
    "ResourceGroupId": "ResourceGroupId",
}
_FILTER_KEYS = {
    "CreationStartTime": ("CreationTs", 1),
    "CreationEndTime": ("CreationTs", -1),
    "ExpiredStartTime": ("ExpiredTs", 1),
    "ExpiredEndTime": ("ExpiredTs", -1),
}
LOCK_REASONS = ("financial", "security", "recycling", "dedicatedhostfinancial", "refunded")


def _not_found_404(code: str, message: str) -> ApiError:
    return ApiError(code, message, 404)


def _attribute_filters(call: Call) -> list[Predicate]:
    p, store = call.params, call.store
    preds: list[Predicate] = []
    for name, field in _EXACT.items():
        value = p.get(name)
        if value:
            preds.append(lambda i, f=field, v=value: i[f] == v)
    family = p.get("InstanceTypeFamily")
    if family:
        types = store.catalog.instance_types
        preds.append(lambda i: types.get(i["InstanceType"], {}).get("InstanceTypeFamily") == family)
    sg_id = p.get("SecurityGroupId")
    if sg_id:
        preds.append(lambda i: sg_id in i["SecurityGroupIds"])
    name = common.wildcard(p.get("InstanceName"))
    if name:
        preds.append(lambda i: name(i["InstanceName"]))
    if p.get("HpcClusterId"):
        preds.append(lambda i: False)  # no HPC clusters in the emulator
    preds += _enum_filters(call) + _address_filters(call) + _time_filters(call)
    wanted_tags = common.tag_filter(call)
    if wanted_tags:
        preds.append(lambda i: common.tags_match(i["Tags"], wanted_tags))
    io = p.bool("IoOptimized")
    if io is not None:
        preds.append(lambda i: i["IoOptimized"] == io)
    return preds


def _enum_filters(call: Call) -> list[Predicate]:
    p = call.params
    preds: list[Predicate] = []
    network = p.enum(
        "InstanceNetworkType",
        ("vpc", "classic"),
        error=_not_found_404("InvalidNetworkType.NotFound", "The specified InstanceNetworkType is not found"),
    )
    if network:
        preds.append(lambda i: network == "vpc")
    charge = p.enum(
        "InstanceChargeType",
        ("PostPaid", "PrePaid"),
        error=_not_found_404(
            "InvalidInstanceChargeType.NotFound", "The InstanceChargeType does not exist in our records"
        ),
    )
    if charge:
        preds.append(lambda i: i["InstanceChargeType"] == charge)
    internet = p.enum(
        "InternetChargeType",
        ("PayByTraffic", "PayByBandwidth"),
        error=_not_found_404(
            "InvalidInternetChargeType.ValueNotSupported", "The specified InternetChargeType is invalid."
        ),
    )
    if internet:
        preds.append(lambda i: i["InternetChargeType"] == internet)
    lock = p.enum(
        "LockReason",
        LOCK_REASONS,
        error=_not_found_404("InvalidLockReason.NotFound", "The specified LockReason is not found"),
    )
    if lock:
        preds.append(lambda i: lock in i["Locks"])
    return preds


def _address_filters(call: Call) -> list[Predicate]:
    preds: list[Predicate] = []
    for name, field in (
        ("PrivateIpAddresses", "PrivateIpAddress"),
        ("PublicIpAddresses", "PublicIpAddress"),
        ("EipAddresses", "_eip_ip"),
        ("InnerIpAddresses", None),
    ):
        values = common.json_ids(call, name, 100)
        if values is not None:
            wanted = set(values)
            preds.append(lambda i, f=field, w=wanted: f is not None and _address(i, f) in w)
    return preds


def _address(inst: dict[str, Any], field: str) -> str:
    if field == "_eip_ip":
        return (inst.get("Eip") or {}).get("IpAddress", "")
    return inst[field]


def _time_filters(call: Call) -> list[Predicate]:
    """``Filter.N.Key``/``Filter.N.Value`` time windows (reference 9.3)."""
    preds: list[Predicate] = []
    for index, row in enumerate(call.params.struct_list("Filter"), start=1):
        key, value = row.get("Key"), row.get("Value", "")
        if key not in _FILTER_KEYS:
            raise _not_found_404("InvalidFilterKey.NotFound", "The specified filter key is not found.")
        try:
            moment = parse_time(value)
        except ValueError:
            raise invalid_parameter(f"Filter.{index}.Value") from None
        field, sign = _FILTER_KEYS[key]
        preds.append(lambda i, f=field, s=sign, m=moment: i[f] is not None and (i[f] - m) * s >= 0)
    return preds


def _status_filter(call: Call) -> str | None:
    return call.params.enum(
        "Status", STATUSES, error=_not_found_404("InvalidStatus.NotFound", "The specified Status is not found")
    )


def _candidates(call: Call, region_id: str, ids: list[str] | None) -> list[dict[str, Any]]:
    store = call.store
    if ids is None:
        return store.region_instances(region_id, call.now, observe=True)
    wanted = [i for i in dict.fromkeys(ids) if store.instances.get(i, {}).get("RegionId") == region_id]
    return store.live_instances(wanted, call.now, observe=True)


def _views(call: Call, region_id: str, ids: list[str] | None) -> list[tuple[dict[str, Any] | None, dict[str, Any]]]:
    """(live instance or None for a ghost, what this read shows of it) -- reference 8.9.

    A credential whose reads are hidden (a RAM user without permission to read
    instances) gets an empty list, not an error (reference 9.3 / 8.9).
    """
    if call.blind:
        return []
    store = call.store
    views: list[tuple[dict[str, Any] | None, dict[str, Any]]] = []
    for inst in _candidates(call, region_id, ids):
        view = store.view(inst, call.now)
        if view is not None:
            views.append((inst, view))
    views += [(None, ghost) for ghost in store.ghost_views(call.now, region_id, ids)]
    return views


def _looked_at(call: Call, inst: dict[str, Any] | None, view: dict[str, Any]) -> None:
    """A describe showed ``view``: a held transient state may move on once the reader saw it."""
    if inst is not None and view["Status"] == inst["Status"]:
        call.store.mark_seen(inst, call.now)


# ------------------------------------------------------------ pagination


def _cursor_salt(call: Call) -> str:
    return hashlib.md5(f"DescribeInstances|{call.params.get('RegionId', '')}".encode()).hexdigest()[:16]


def _instance_page(call: Call, matched: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Both paging styles (reference 8.4); NextToken is a cursor (creation time, sequence) robust to inserts."""
    p = call.params
    if p.get("NextToken") or p.get("MaxResults"):
        size = common.page_size(call, "MaxResults", 10, 100)
        if call.store.config["page_size_out_of_range"] != "error":
            size = max(size, 10)  # newer doc: values below 10 are treated as 10
        token = p.get("NextToken")
        if token:
            if not re.fullmatch(r"[0-9a-f]{32}", token) or token[16:] != _cursor_salt(call):
                raise invalid_parameter("NextToken")
            cursor = (int(token[8:16], 16), int(token[:8], 16))
            matched = [i for i in matched if (i["CreationTs"], i["_seq"]) < cursor]
        page = matched[:size]
        next_token = ""
        if len(matched) > size:
            last = page[-1]
            next_token = f"{last['_seq']:08x}{int(last['CreationTs']):08x}{_cursor_salt(call)}"
        return page, {"TotalCount": len(matched), "PageNumber": 1, "PageSize": size, "NextToken": next_token}
    page, meta = common.paginate(call, matched, 10, 100)
    return page, {**meta, "NextToken": ""}


@action("DescribeInstances")
def describe_instances(call: Call) -> dict:
    store = call.store
    region_id = common.region(call)
    ids = common.json_ids(call, "InstanceIds", 100)
    preds = _attribute_filters(call)
    status = _status_filter(call)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    matched = []
    for inst, view in _views(call, region_id, ids):
        if all(pred(view) for pred in preds):
            _looked_at(call, inst, view)  # looked at: a held transient state may move on next time
            if status is None or view["Status"] == status:
                matched.append(view)
    page, meta = _instance_page(call, newest_first(matched))
    return {**meta, "Instances": {"Instance": [render_instance(store, view) for view in page]}}


@action("DescribeInstanceStatus")
def describe_instance_status(call: Call) -> dict:
    region_id = common.region(call)
    ids = [i for i in call.params.repeat_list("InstanceId") if i]
    if len(ids) > 100:
        raise invalid_parameter("InstanceId")
    zone = call.params.get("ZoneId")
    matched = []
    for inst, view in _views(call, region_id, ids or None):
        if not zone or view["ZoneId"] == zone:
            _looked_at(call, inst, view)
            matched.append(view)
    page, meta = common.paginate(call, newest_first(matched), 10, 50)
    statuses = [{"InstanceId": i["InstanceId"], "Status": i["Status"]} for i in page]
    return {**meta, "InstanceStatuses": {"InstanceStatus": statuses}}


def _no_read_permission() -> ApiError:
    return ApiError(
        "Forbidden.RAM",
        "User not authorized to operate on the specified resource, or this API doesn't support RAM.",
        403,
    )


@action("DescribeInstanceAttribute")
def describe_instance_attribute(call: Call) -> dict:
    if call.blind:
        raise _no_read_permission()
    inst = common.instance(call, observe=True)
    view = call.store.view(inst, call.now) or inst
    _looked_at(call, inst, view)
    return render_instance_attribute(call.store, view)


@action("DescribeUserData")
def describe_user_data(call: Call) -> dict:
    if call.blind:
        raise _no_read_permission()
    inst = common.instance(call, observe=True)
    view = call.store.view(inst, call.now) or inst
    return {"RegionId": view["RegionId"], "InstanceId": view["InstanceId"], "UserData": view["UserData"]}


DISK_STATUSES = ("In_use", "Available", "Attaching", "Detaching", "Creating", "ReIniting", "All")


def _disk_filters(call: Call) -> list[Predicate]:
    p = call.params
    preds: list[Predicate] = []
    instance_id, zone = p.get("InstanceId"), p.get("ZoneId")
    if instance_id:
        preds.append(lambda d: d["InstanceId"] == instance_id)
    if zone:
        preds.append(lambda d: d["ZoneId"] == zone)
    ids = common.json_ids(call, "DiskIds", 100)
    if ids is not None:
        wanted = set(ids)
        preds.append(lambda d: d["DiskId"] in wanted)
    kind = p.enum(
        "DiskType",
        ("all", "system", "data"),
        "all",
        ApiError("InvalidDiskType.ValueNotSupported", "The specified disk type is not supported.", 400),
    )
    if kind != "all":
        preds.append(lambda d: d["Type"] == kind)
    category = p.enum(
        "Category",
        (
            "all",
            "cloud",
            "cloud_efficiency",
            "cloud_ssd",
            "cloud_essd",
            "cloud_auto",
            "cloud_essd_entry",
            "ephemeral_ssd",
        ),
        "all",
        ApiError("InvalidCategory.ValueNotSupported", "The specified disk category is not supported.", 400),
    )
    if category != "all":
        preds.append(lambda d: d["Category"] == category)
    status = p.enum("Status", DISK_STATUSES, "All")
    if status != "All":
        preds.append(lambda d: d["Status"] == status)
    wanted_tags = common.tag_filter(call)
    if wanted_tags:
        preds.append(lambda d: common.tags_match(d["Tags"], wanted_tags))
    return preds


@action("DescribeDisks")
def describe_disks(call: Call) -> dict:
    store = call.store
    region_id = common.region(call)
    preds = _disk_filters(call)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    store.region_instances(region_id, call.now, observe=True)  # auto-release may remove disks
    disks = [d for d in store.disks.values() if d["RegionId"] == region_id and all(pred(d) for pred in preds)]
    disks.sort(key=lambda d: -d["CreationTs"])
    if call.params.get("NextToken") or call.params.get("MaxResults"):
        page, token = common.token_page(call, disks, common.page_size(call, "MaxResults", 10, 500))
        meta = {"TotalCount": len(disks), "PageNumber": 1, "PageSize": len(page), "NextToken": token}
    else:
        page, meta = common.paginate(call, disks, 10, 100)
        meta["NextToken"] = ""
    return {**meta, "Disks": {"Disk": [render_disk(d) for d in page]}}
