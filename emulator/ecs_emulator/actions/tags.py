"""TagResources, UntagResources, ListTagResources (reference 9.13, 8.8)."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError
from ..registry import Call, action
from . import common

RESOURCE_TYPES = (
    "instance",
    "disk",
    "snapshot",
    "image",
    "securitygroup",
    "volume",
    "eni",
    "ddh",
    "ddhcluster",
    "keypair",
    "launchtemplate",
    "reservedinstance",
    "snapshotpolicy",
    "elasticityassurance",
    "capacityreservation",
    "command",
    "invocation",
    "activation",
    "managedinstance",
)
MAX_TAGS_PER_RESOURCE = 20
LIST_PAGE_ROWS = 50  # ListTagResources page size is undocumented (reference 8.4); README


def _region(call: Call) -> str:
    if not call.params.get("RegionId"):
        raise ApiError("MissingParameter.RegionId", "The parameter - RegionId should not be null", 404)
    region_id = common.region(call)
    assert region_id is not None
    return region_id


def _resource_type(call: Call) -> str:
    value = call.params.get("ResourceType")
    if not value:
        raise ApiError("MissingParameter.ResourceType", "The parameter - ResourceType should not be null", 404)
    if value.lower() not in RESOURCE_TYPES:
        raise ApiError("InvalidResourceType.NotFound", "The ResourceType provided does not exist in our records.", 404)
    return value.lower()


def _table(
    call: Call, region_id: str, resource_type: str, ids: list[str] | None = None,
    exact: list[tuple[str, str | None]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Taggable resources of one type in one region (only instances, disks, security groups exist here).

    Instances: only those named by ``ids`` when given, else those in the smallest tag posting list
    of the ``exact`` filters (index.py), else all of the region's, oldest first.
    """
    store = call.store
    if resource_type == "instance":
        if ids:
            wanted = [i for i in ids if store.instances.get(i, {}).get("RegionId") == region_id]
        else:
            store.settle(region_id, call.now)
            lists = [
                store.index.ids(region_id, "TagKey", key) if value is None else store.index.ids(region_id, "Tag", (key, value))
                for key, value in exact or ()
            ]
            wanted = min(lists, key=len) if lists else store.index.ids(region_id)
        # Per-resource operations do not find an instance that is not visible yet (reference 8.9).
        alive = store.live_instances(wanted, call.now, observe=True)
        return {i["InstanceId"]: i for i in alive if store.is_visible(i, call.now)}
    if resource_type == "keypair":  # a key pair's ResourceId is its name
        return {k["KeyPairName"]: k for k in store.key_pairs.values() if k["RegionId"] == region_id}
    source = {"disk": store.disks, "securitygroup": store.security_groups}.get(resource_type, {})
    return {k: v for k, v in source.items() if v["RegionId"] == region_id}


def _resource_ids(call: Call, required: bool) -> list[str]:
    ids = [i for i in call.params.repeat_list("ResourceId") if i]
    if required and not ids:
        raise ApiError("MissingParameter.ResourceIds", "The parameter - ResourceIds should not be null", 404)
    if len(ids) > 50:
        raise ApiError("NumberExceed.ResourceIds", "The ResourceIds parameter's number is exceed , Valid : 50", 400)
    return list(dict.fromkeys(ids))


def _resources(call: Call, region_id: str, resource_type: str, ids: list[str]) -> list[dict[str, Any]]:
    table = _table(call, region_id, resource_type, ids)
    if any(i not in table for i in ids):
        raise ApiError("InvalidResourceId.NotFound", "The specified ResourceIds are not found in our records.", 404)
    return [table[i] for i in ids]


def _tag_count_error() -> ApiError:
    return ApiError("NumberExceed.Tags", "The Tags parameter's number is exceed , Valid : 20", 400)


@action("TagResources", mutating=True)
def tag_resources(call: Call) -> dict:
    region_id = _region(call)
    resource_type = _resource_type(call)
    ids = _resource_ids(call, required=True)
    rows = call.params.tags()
    if not rows:
        raise ApiError("MissingParameter.Tags", "The parameter - Tags should not be null", 404)
    tags = common.validate_tags(rows, _tag_count_error())
    resources = _resources(call, region_id, resource_type, ids)
    for resource in resources:
        if len({**resource["Tags"], **tags}) > MAX_TAGS_PER_RESOURCE:
            raise ApiError(
                "OperationDenied.QuotaExceed", "The quota of tags on resource is beyond permitted range.", 400
            )
    for resource in resources:
        resource["Tags"].update(tags)  # an existing key is overwritten (reference 9.13)
        _touched(call, resource_type, resource)
    return {}


def _touched(call: Call, resource_type: str, resource: dict[str, Any]) -> None:
    if resource_type == "instance":
        call.store.touch(resource, call.now)


@action("UntagResources", mutating=True)
def untag_resources(call: Call) -> dict:
    region_id = _region(call)
    resource_type = _resource_type(call)
    ids = _resource_ids(call, required=True)
    keys = [k for k in call.params.repeat_list("TagKey") if k]
    if len(keys) > 20:
        raise _tag_count_error()
    remove_all = bool(call.params.bool("All", False)) and not keys
    for resource in _resources(call, region_id, resource_type, ids):
        if remove_all:
            resource["Tags"].clear()
        for key in keys:
            resource["Tags"].pop(key, None)  # absent keys are not an error (reference 9.13 [uncertain])
        _touched(call, resource_type, resource)
    return {}


def _tag_filters(call: Call) -> tuple[list[tuple[str, str | None]], list[tuple[str, list[str]]]]:
    exact = []
    rows = call.params.tags()
    if len(rows) > 20:
        raise _tag_count_error()
    for row in rows:
        if not row.get("Key"):
            raise ApiError("InvalidParameter.TagValue", "The specified parameter Tag.N.Value requires Tag.N.Key.", 400)
        exact.append((row["Key"], row.get("Value")))
    fuzzy = []
    for row in call.params.struct_list("TagFilter", lists=("TagValues",)):
        values = row.get("TagValues") or []
        fuzzy.append((row.get("TagKey", ""), values if isinstance(values, list) else [values]))
    return exact, fuzzy


def _fuzzy_match(tags: dict[str, str], fuzzy: list[tuple[str, list[str]]]) -> bool:
    for key, values in fuzzy:
        if key not in tags:
            return False
        matchers = [common.wildcard(v) for v in values if v]
        if matchers and not any(m(tags[key]) for m in matchers if m):
            return False
    return True


@action("ListTagResources")
def list_tag_resources(call: Call) -> dict:
    region_id = _region(call)
    resource_type = _resource_type(call)
    ids = _resource_ids(call, required=False)
    exact, fuzzy = _tag_filters(call)
    if not ids and not exact and not fuzzy:
        raise common.missing_parameter("ResourceId.1")
    table = _table(call, region_id, resource_type, ids, exact)
    resources = [table[i] for i in ids if i in table] if ids else list(table.values())
    id_field = {
        "instance": "InstanceId",
        "disk": "DiskId",
        "securitygroup": "SecurityGroupId",
        "keypair": "KeyPairName",
    }.get(resource_type)
    rows = [
        {"ResourceId": r[id_field], "ResourceType": resource_type, "TagKey": k, "TagValue": v}
        for r in resources
        if common.tags_match(r["Tags"], exact) and _fuzzy_match(r["Tags"], fuzzy)
        for k, v in r["Tags"].items()
    ]
    page, token = common.token_page(call, rows, LIST_PAGE_ROWS)
    return {"NextToken": token, "TagResources": {"TagResource": page}}
