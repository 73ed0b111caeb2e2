"""DescribeInstances, DescribeInstanceStatus, DescribeInstanceAttribute, DescribeUserData,
DescribeDisks (reference 9.3-9.5)."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from ..errors import ApiError, dry_run_passed, invalid_parameter
from ..registry import Call, action
from ..seed import parse_time
from ..index import Group, Predicate, Selection, matches
from ..state import STATUSES, render_disk, render_instance, render_instance_attribute
from . import common

_EXACT = (  # filter parameters on indexed fields of the same name (reference 9.3: exact match)
    "VpcId",
    "VSwitchId",
    "ZoneId",
    "ImageId",
    "InstanceType",
    "KeyPairName",
    "ResourceGroupId",
)
_FILTER_KEYS = {
    "CreationStartTime": ("CreationTs", 1),
    "CreationEndTime": ("CreationTs", -1),
    "ExpiredStartTime": ("ExpiredTs", 1),
    "ExpiredEndTime": ("ExpiredTs", -1),
}
LOCK_REASONS = ("financial", "security", "recycling", "dedicatedhostfinancial", "refunded")


def _not_found_404(code: str, message: str) -> ApiError:
    return ApiError(code, message, 404)


def _group(field: str, *values: Any) -> Group:
    return (field, frozenset(values))


def _nothing(inst: dict[str, Any]) -> bool:
    return False


def _attribute_filters(call: Call) -> tuple[list[Group], list[Predicate]]:
    """The filters of DescribeInstances except Status: on indexed fields (groups), and the rest."""
    p = call.params
    groups: list[Group] = []
    residual: list[Predicate] = []
    for name in _EXACT:
        value = p.get(name)
        if value:
            groups.append(_group(name, value))
    family = p.get("InstanceTypeFamily")
    if family:
        groups.append(_group("InstanceTypeFamily", family))
    sg_id = p.get("SecurityGroupId")
    if sg_id:
        groups.append(_group("SecurityGroupId", sg_id))
    name = p.get("InstanceName")
    if name and "*" not in name:
        groups.append(_group("InstanceName", name))
    elif name:
        fuzzy = common.wildcard(name)
        assert fuzzy is not None
        residual.append(lambda i: fuzzy(i["InstanceName"]))
    if p.get("HpcClusterId"):
        residual.append(_nothing)  # no HPC clusters in the emulator
    _enum_filters(call, groups, residual)
    _address_filters(call, groups, residual)
    residual += _time_filters(call)
    for key, value in common.tag_filter(call):
        groups.append(_group("TagKey", key) if value is None else _group("Tag", (key, value)))
    io = p.bool("IoOptimized")
    if io is not None:
        residual.append(lambda i: i["IoOptimized"] == io)
    return groups, residual


def _enum_filters(call: Call, groups: list[Group], residual: list[Predicate]) -> None:
    p = call.params
    network = p.enum(
        "InstanceNetworkType",
        ("vpc", "classic"),
        error=_not_found_404("InvalidNetworkType.NotFound", "The specified InstanceNetworkType is not found"),
    )
    if network and network != "vpc":
        residual.append(_nothing)  # every instance here is a VPC instance
    charge = p.enum(
        "InstanceChargeType",
        ("PostPaid", "PrePaid"),
        error=_not_found_404(
            "InvalidInstanceChargeType.NotFound", "The InstanceChargeType does not exist in our records"
        ),
    )
    if charge:
        groups.append(_group("InstanceChargeType", charge))
    internet = p.enum(
        "InternetChargeType",
        ("PayByTraffic", "PayByBandwidth"),
        error=_not_found_404(
            "InvalidInternetChargeType.ValueNotSupported", "The specified InternetChargeType is invalid."
        ),
    )
    if internet:
        groups.append(_group("InternetChargeType", internet))
    lock = p.enum(
        "LockReason",
        LOCK_REASONS,
        error=_not_found_404("InvalidLockReason.NotFound", "The specified LockReason is not found"),
    )
    if lock:
        residual.append(lambda i: lock in i["Locks"])


def _address_filters(call: Call, groups: list[Group], residual: list[Predicate]) -> None:
    for name, field in (
        ("PrivateIpAddresses", "PrivateIpAddress"),
        ("PublicIpAddresses", "PublicIpAddress"),
        ("EipAddresses", "EipAddress"),
        ("InnerIpAddresses", None),
    ):
        values = common.json_ids(call, name, 100)
        if values is None:
            continue
        if field is None:
            residual.append(_nothing)  # no classic-network instances
        else:
            groups.append((field, frozenset(values)))


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


class _Nothing:
    """What a credential whose reads are hidden selects (reference 9.3 / 8.9): an empty list, not an error."""

    @staticmethod
    def count(before: tuple | None = None) -> int:
        return 0

    @staticmethod
    def page(offset: int, size: int) -> list[dict[str, Any]]:
        return []

    @staticmethod
    def after(before: tuple | None, size: int) -> tuple[list, bool]:
        return [], False

    @staticmethod
    def all() -> list[dict[str, Any]]:
        return []


def select(
    call: Call,
    region_id: str,
    ids: list[str] | None,
    groups: list[Group] = (),  # type: ignore[assignment]
    residual: list[Predicate] = (),  # type: ignore[assignment]
    status: str | None = None,
    look: bool = True,
) -> Selection | _Nothing:
    """What a read of the region shows (reference 8.9 views), filtered; the instances it looked at
    may leave a held transient state next time (reference 8.1).

    Only instances in transition can be held, so only those are looked at: an instance "looked at"
    passes every filter except ``Status``, so a poller filtering by Status cannot starve.
    A credential whose reads are hidden gets an empty list (reference 9.3 / 8.9).  ``look=False``:
    a read that does not show the status (it consumes no sighting).
    """
    if call.blind:
        return _Nothing()
    store = call.store
    groups, residual = list(groups), list(residual)
    store.settle(region_id, call.now)
    wanted = set(ids) if ids is not None else None
    for inst in store.in_transition(region_id) if look else ():
        if inst["_seen"] or (wanted is not None and inst["InstanceId"] not in wanted):
            continue
        view = store.view(inst, call.now)
        if view is not None and matches(view, groups, residual, store.index.types):
            _looked_at(call, inst, view)
    if status is not None:
        groups.append(_group("Status", status))
    return Selection(store, region_id, call.now, groups, residual, ids)


def _looked_at(call: Call, inst: dict[str, Any] | None, view: dict[str, Any]) -> None:
    """A describe showed ``view``: a held transient state may move on once the reader saw it."""
    if inst is not None and view["Status"] == inst["Status"]:
        call.store.mark_seen(inst, call.now)


# ------------------------------------------------------------ pagination


def _cursor_salt(call: Call) -> str:
    return hashlib.md5(f"DescribeInstances|{call.params.get('RegionId', '')}".encode()).hexdigest()[:16]


def _instance_page(call: Call, chosen: Selection | _Nothing) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Both paging styles (reference 8.4); NextToken is a cursor (creation time, sequence) robust to inserts.

    TotalCount counts what matches after the cursor in NextToken mode, everything in PageNumber mode.
    """
    p = call.params
    if p.get("NextToken") or p.get("MaxResults"):
        size = common.page_size(call, "MaxResults", 10, 100)
        if call.store.config["page_size_out_of_range"] != "error":
            size = max(size, 10)  # newer doc: values below 10 are treated as 10
        token = p.get("NextToken")
        cursor = None
        if token:
            if not re.fullmatch(r"[0-9a-f]{32}", token) or token[16:] != _cursor_salt(call):
                raise invalid_parameter("NextToken")
            cursor = (int(token[8:16], 16), int(token[:8], 16))
        items, more = chosen.after(cursor, size)
        next_token = ""
        if more:
            last = items[-1][1]
            next_token = f"{last['_seq']:08x}{int(last['CreationTs']):08x}{_cursor_salt(call)}"
        meta = {"TotalCount": chosen.count(cursor), "PageNumber": 1, "PageSize": size, "NextToken": next_token}
        return [view for _okey, view in items], meta
    size = common.page_size(call, "PageSize", 10, 100)
    number = common.page_number(call)
    page = chosen.page((number - 1) * size, size)
    return page, {"TotalCount": chosen.count(), "PageNumber": number, "PageSize": size, "NextToken": ""}


@action("DescribeInstances")
def describe_instances(call: Call) -> dict:
    store = call.store
    region_id = common.region(call)
    assert region_id is not None
    ids = common.json_ids(call, "InstanceIds", 100)
    groups, residual = _attribute_filters(call)
    status = _status_filter(call)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    chosen = select(call, region_id, ids, groups, residual, status)
    page, meta = _instance_page(call, chosen)
    return {**meta, "Instances": {"Instance": [render_instance(store, view) for view in page]}}


@action("DescribeInstanceStatus")
def describe_instance_status(call: Call) -> dict:
    region_id = common.region(call)
    assert region_id is not None
    ids = [i for i in call.params.repeat_list("InstanceId") if i]
    if len(ids) > 100:
        raise invalid_parameter("InstanceId")
    zone = call.params.get("ZoneId")
    chosen = select(call, region_id, ids or None, [_group("ZoneId", zone)] if zone else [])
    size = common.page_size(call, "PageSize", 10, 50)
    number = common.page_number(call)
    page = chosen.page((number - 1) * size, size)
    meta = {"TotalCount": chosen.count(), "PageNumber": number, "PageSize": size}
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
    store.settle(region_id, call.now)  # auto-release may remove disks
    disks = [d for d in store.disks.values() if d["RegionId"] == region_id and all(pred(d) for pred in preds)]
    disks.sort(key=lambda d: -d["CreationTs"])
    if call.params.get("NextToken") or call.params.get("MaxResults"):
        page, token = common.token_page(call, disks, common.page_size(call, "MaxResults", 10, 500))
        meta = {"TotalCount": len(disks), "PageNumber": 1, "PageSize": len(page), "NextToken": token}
    else:
        page, meta = common.paginate(call, disks, 10, 100)
        meta["NextToken"] = ""
    return {**meta, "Disks": {"Disk": [render_disk(d) for d in page]}}
