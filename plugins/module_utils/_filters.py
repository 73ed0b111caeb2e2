# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""DescribeInstances filters shared by ecs_instance_info and the ecs inventory plugin.

FILTER_SPEC is paired with doc_fragments/filters.py.  ``filtered_pages`` (and ``describe_filtered``)
sends the filters server-side, splits more than 100 ids into chunks and
follows every page with NextToken/MaxResults (reference 8.4, 9.3) through
the one pager in _ecs.py.
"""

from __future__ import annotations

import json
from typing import Any, Iterator

from ansible_collections.alicloud.ecs.plugins.module_utils._ecs import ID_BATCH, batches, describe_instance_pages
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsConfigError
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import TagError, clean_ids, tag_value, tags_to_api

MAX_TAGS = 20
STATUSES = ["Pending", "Running", "Starting", "Stopped", "Stopping"]
CHARGE_TYPES = ["PostPaid", "PrePaid"]

FILTER_SPEC: dict[str, dict[str, Any]] = {
    "filters": {"type": "dict"},
    "instance_charge_type": {"type": "str", "choices": CHARGE_TYPES},
    "instance_ids": {"type": "list", "elements": "str"},
    "instance_type": {"type": "str"},
    "name": {"type": "str"},
    "security_group_id": {"type": "str"},
    "status": {"type": "str", "choices": STATUSES},
    "tags": {"type": "dict"},
    "vpc_id": {"type": "str"},
    "vswitch_id": {"type": "str"},
    "zone_id": {"type": "str"},
}

# option -> DescribeInstances parameter (exact match, except InstanceName which takes '*' wildcards)
PARAMETERS = {
    "instance_charge_type": "InstanceChargeType",
    "instance_type": "InstanceType",
    "name": "InstanceName",
    "security_group_id": "SecurityGroupId",
    "status": "Status",
    "vpc_id": "VpcId",
    "vswitch_id": "VSwitchId",
    "zone_id": "ZoneId",
}
# Parameters the paging and chunking own; a raw filter may not set them.
RESERVED = frozenset({"InstanceIds", "MaxResults", "NextToken", "PageNumber", "PageSize", "RegionId"})
# The DescribeInstances parameters that take several values, and their wire forms (reference 9.3);
# every other parameter takes one value, so a list or dictionary for it is refused, never sent.
JSON_ARRAYS = frozenset({"PrivateIpAddresses", "PublicIpAddresses", "EipAddresses", "InnerIpAddresses", "RdmaIpAddresses"})
REPEAT_LISTS = frozenset({"AdditionalAttributes", "Ipv6Address"})
STRUCT_LISTS = {"Filter": ("Key", "Value"), "Tag": ("Key", "Value")}


def _raw_filter(key: str, value: Any) -> Any:
    """One raw ``filters`` entry in the form the API takes, or EcsConfigError naming it."""
    what = "validate the filters"
    if isinstance(value, dict):
        raise EcsConfigError("filters.%s is a dictionary; DescribeInstances takes a single value for %s" % (key, key),
                             operation=what)
    if not isinstance(value, (list, tuple)):
        return value
    many = ", ".join(sorted(JSON_ARRAYS | REPEAT_LISTS | set(STRUCT_LISTS)))
    if key in STRUCT_LISTS:
        fields = STRUCT_LISTS[key]
        if not all(isinstance(item, dict) and set(item) <= set(fields) for item in value):
            raise EcsConfigError("filters.%s must be a list of {%s} dictionaries" % (key, ", ".join(fields)),
                                 operation=what)
        return [dict(item) for item in value]
    if any(isinstance(item, (dict, list, tuple)) or item is None for item in value):
        raise EcsConfigError("filters.%s must be a list of plain values" % key, operation=what)
    if key in JSON_ARRAYS:
        return json.dumps([str(item) for item in value])  # a JSON array string, as the API takes these
    if key in REPEAT_LISTS:
        return [str(item) for item in value]
    raise EcsConfigError(
        "filters.%s is a list, but DescribeInstances takes a single value for %s (sending a list would be ignored "
        "by the API and match every instance). Parameters that take several values: %s" % (key, key, many),
        operation=what,
    )


def filter_params(options: dict[str, Any]) -> dict[str, Any]:
    """DescribeInstances parameters (without ids and paging) from the filter options.

    Raw ``filters`` come first; a named option for the same parameter wins.
    """
    raw = dict(options.get("filters") or {})
    reserved = sorted(RESERVED.intersection(raw))
    if reserved:
        raise EcsConfigError(
            "filters cannot set %s: use instance_ids and region, paging is automatic" % ", ".join(reserved),
            operation="validate the filters",
        )
    params = {key: _raw_filter(key, value) for key, value in raw.items() if value is not None}
    for option, parameter in PARAMETERS.items():
        if options.get(option) not in (None, ""):
            params[parameter] = options[option]
    tags = options.get("tags") or {}
    if len(tags) > MAX_TAGS:
        raise EcsConfigError("at most %d tags can be used as a filter" % MAX_TAGS, operation="validate the filters")
    if tags:
        # A tag given without a value (null) matches any value of that key (reference 8.8); the others are
        # converted to the API's string as ecs_instance writes them (true, 8, 1.5).
        try:
            converted = {key: (None if value is None else tag_value(key, value)) for key, value in tags.items()}
            keys = tags_to_api({key: "" for key in tags}, "tags")
        except TagError as err:
            raise EcsConfigError(str(err), operation="validate the filters") from None
        values = dict(zip(keys, converted.values()))
        params["Tag"] = [{"Key": key, "Value": values[key]} for key in sorted(values)]
    return params


def filtered_pages(client: Any, options: dict[str, Any]) -> Iterator[list[dict]]:
    """Raw DescribeInstances entries matching the filter options, one page at a time as it arrives:
    server-side filters, blank ids left out (none left: no call), ids in chunks of 100, NextToken to
    the end. The inventory reads a region with it, so its raw listing is never held whole."""
    params = filter_params(options)
    ids = None if options.get("instance_ids") is None else clean_ids(options["instance_ids"])[0]
    if ids is not None and not ids:
        return
    for chunk in [None] if ids is None else list(batches(sorted(set(ids)), ID_BATCH)):
        chunk_params = params if chunk is None else dict(params, InstanceIds=json.dumps(chunk))
        yield from describe_instance_pages(client, chunk_params)


def describe_filtered(client: Any, options: dict[str, Any]) -> list[dict]:
    """Raw DescribeInstances entries matching the filter options, each instance once."""
    found: dict[str, dict] = {}
    for page in filtered_pages(client, options):
        for item in page:
            found.setdefault(item["InstanceId"], item)
    return list(found.values())
