# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""DescribeInstances filters shared by ecs_instance_info and the ecs inventory plugin.

FILTER_SPEC is paired with doc_fragments/filters.py.  ``describe_filtered``
sends the filters server-side, splits more than 100 ids into chunks and
follows every page with NextToken/MaxResults (reference 8.4, 9.3).
"""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.alicloud.ecs.plugins.module_utils._ecs import ID_BATCH, PAGE_SIZE, batches
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsConfigError, EcsError

MAX_PAGES = 1000
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
    params = {key: value for key, value in raw.items() if value is not None}
    for option, parameter in PARAMETERS.items():
        if options.get(option) not in (None, ""):
            params[parameter] = options[option]
    tags = options.get("tags") or {}
    if len(tags) > MAX_TAGS:
        raise EcsConfigError("at most %d tags can be used as a filter" % MAX_TAGS, operation="validate the filters")
    if tags:
        # A tag given without a value (null) matches any value of that key (reference 8.8).
        params["Tag"] = [{"Key": key, "Value": tags[key]} for key in sorted(tags)]
    return params


def describe_pages(client: Any, params: dict[str, Any], what: str) -> list[dict]:
    """Every instance matching ``params``, following NextToken until it comes back empty."""
    found: list[dict] = []
    token = None
    for _page in range(MAX_PAGES):
        page = dict(params, MaxResults=PAGE_SIZE, NextToken=token)
        try:
            body = client.call("DescribeInstances", page)
        except EcsError as err:
            err.operation = err.operation or what
            raise
        found.extend(body.get("Instances", {}).get("Instance", []))
        token = body.get("NextToken") or None
        if not token:
            return found
    raise EcsConfigError("more than %d pages of instances" % MAX_PAGES, operation=what)


def describe_filtered(client: Any, options: dict[str, Any]) -> list[dict]:
    """Raw DescribeInstances entries matching the filter options, each instance once."""
    params = filter_params(options)
    ids = options.get("instance_ids")
    if ids is not None and not ids:
        return []
    chunks = [None] if ids is None else list(batches(sorted(set(ids)), ID_BATCH))
    found: dict[str, dict] = {}
    for chunk in chunks:
        chunk_params = params if chunk is None else dict(params, InstanceIds=json.dumps(chunk))
        what = "describe instances in %s" % getattr(client, "region", "the region")
        for item in describe_pages(client, chunk_params, what):
            found.setdefault(item["InstanceId"], item)
    return list(found.values())
