# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""One small function per VPC (2016-04-28) EIP action, like _ecs.py for ECS; every VPC call goes through here.

Each names what it does, so that a failure reads
``Failed to associate EIP eip-1 with instance i-1: <Code>: <Message> (RequestId ...)``.
``client`` is a ``_client.VpcClient`` (or anything with the ``ApiClient`` shape).
"""

from __future__ import annotations

import uuid
from typing import Any

from ansible_collections.alicloud.ecs.plugins.module_utils._client import ApiClient
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError, EcsConfigError, EcsError

EIP_PAGE_SIZE = 100  # DescribeEipAddresses: PageSize at most 100
MAX_EIP_PAGES = 100
NOT_FOUND = "InvalidAllocationId.NotFound"


def _call(client: ApiClient, what: str, action: str, params: dict[str, Any], **kwargs: Any) -> dict:
    try:
        return client.call(action, params, **kwargs)
    except EcsError as err:
        err.operation = err.operation or what
        raise


def describe_eip_addresses(client: ApiClient, params: dict[str, Any], what: str) -> list[dict]:
    """Every EIP matching ``params`` (DescribeEipAddresses filters), page by page."""
    found: list[dict] = []
    for page in range(1, MAX_EIP_PAGES + 1):
        body = _call(client, what, "DescribeEipAddresses", dict(params, PageNumber=page, PageSize=EIP_PAGE_SIZE))
        rows = body.get("EipAddresses", {}).get("EipAddress", [])
        found.extend(rows)
        if not rows or len(found) >= int(body.get("TotalCount") or 0):
            return found
    raise EcsConfigError("more than %d pages of EIPs" % MAX_EIP_PAGES, operation=what)


def describe_eips_by_ids(client: ApiClient, ids: list[str]) -> dict[str, dict]:
    """``{allocation id: EIP}`` for the ids that are listed (50 ids per call, the API's limit)."""
    found: dict[str, dict] = {}
    wanted = sorted(set(ids))
    for start in range(0, len(wanted), 50):
        batch = wanted[start : start + 50]
        rows = describe_eip_addresses(client, {"AllocationId": ",".join(batch)}, "describe EIPs %s" % ", ".join(batch))
        found.update((row["AllocationId"], row) for row in rows if row.get("AllocationId") in batch)
    return found


def allocate_eip_address(client: ApiClient, params: dict[str, Any], token: str, what: str) -> dict:
    """``{"AllocationId", "EipAddress"}`` of the new EIP; ``token`` makes repeats (the client's, a rerun's) replay it."""
    body = _call(client, what, "AllocateEipAddress", dict(params, ClientToken=token))
    return {"AllocationId": body.get("AllocationId") or "", "EipAddress": body.get("EipAddress") or ""}


def associate_eip_address(client: ApiClient, allocation_id: str, instance_id: str) -> None:
    """Starts the association (Associating, then InUse).  The random token makes the client's retries replay
    it; across runs an EIP binds to one instance and an instance to one EIP, so a repeat cannot bind twice."""
    what = "associate EIP %s with instance %s" % (allocation_id, instance_id)
    params = {"AllocationId": allocation_id, "InstanceId": instance_id, "InstanceType": "EcsInstance",
              "ClientToken": "anseipa-" + uuid.uuid4().hex}
    _call(client, what, "AssociateEipAddress", params)


def unassociate_eip_address(client: ApiClient, allocation_id: str, instance_id: str) -> None:
    what = "unassociate EIP %s from instance %s" % (allocation_id, instance_id)
    params = {"AllocationId": allocation_id, "InstanceId": instance_id, "InstanceType": "EcsInstance",
              "ClientToken": "anseipu-" + uuid.uuid4().hex}
    _call(client, what, "UnassociateEipAddress", params)


def release_eip_address(client: ApiClient, allocation_id: str) -> bool:
    """False when the EIP is not found (released already).  Releasing twice has no further effect, so a repeat
    after a lost answer is safe (it answers not-found)."""
    try:
        _call(client, "release EIP %s" % allocation_id, "ReleaseEipAddress", {"AllocationId": allocation_id})
    except EcsApiError as err:
        if err.code == NOT_FOUND:
            return False
        raise
    return True
