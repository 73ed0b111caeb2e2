# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""One small function per ECS action, returning plain data.

Each names what it does ("start instances i-1, i-2") so that a failure reads
``Failed to start instances i-1, i-2: <Code>: <Message> (RequestId ...)``.
Batching follows the API limits (100 ids, 50 for tags, 20 for charge type).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Iterator

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsError

ID_BATCH = 100
TAG_BATCH = 50
CHARGE_TYPE_BATCH = 20
PAGE_SIZE = 100
MAX_PAGES = 1000


def make_token(prefix: str, *parts: Any) -> str:
    """Deterministic ClientToken: ASCII, at most 64 characters."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return (prefix + "-" + digest)[:64]


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _ids_text(ids: list[str]) -> str:
    return ", ".join(ids) if len(ids) <= 5 else "%s and %d more" % (", ".join(ids[:5]), len(ids) - 5)


def _call(client: Any, what: str, action: str, params: dict[str, Any], **kwargs: Any) -> dict:
    try:
        return client.call(action, params, **kwargs)
    except EcsError as err:
        err.operation = err.operation or what
        raise


def describe_instances(client: Any, name: str | None = None, tags: dict[str, str] | None = None) -> list[dict]:
    """Every instance of the region with this exact name and all these tags."""
    params: dict[str, Any] = {"PageSize": PAGE_SIZE, "InstanceName": name}
    params["Tag"] = [{"Key": key, "Value": value} for key, value in sorted((tags or {}).items())] or None
    found: list[dict] = []
    for page in range(1, MAX_PAGES + 1):
        body = _call(client, "describe instances", "DescribeInstances", dict(params, PageNumber=page))
        items = body.get("Instances", {}).get("Instance", [])
        found.extend(items)
        if len(items) < PAGE_SIZE or len(found) >= int(body.get("TotalCount") or 0):
            break
    return [item for item in found if _matches(item, name, tags)]


def _matches(instance: dict, name: str | None, tags: dict[str, str] | None) -> bool:
    # The API treats '*' in InstanceName as a wildcard; identity is the exact name.
    if name is not None and instance.get("InstanceName") != name:
        return False
    actual = {t.get("TagKey"): t.get("TagValue") or "" for t in instance.get("Tags", {}).get("Tag", [])}
    return all(actual.get(key) == ("" if value is None else str(value)) for key, value in (tags or {}).items())


def describe_instances_by_ids(client: Any, ids: list[str]) -> dict[str, dict]:
    """``{id: instance}`` for the ids that exist; one DescribeInstances per 100 ids."""
    found: dict[str, dict] = {}
    for batch in batches(sorted(set(ids)), ID_BATCH):
        params = {"InstanceIds": json.dumps(batch), "PageSize": PAGE_SIZE}
        body = _call(client, "describe instances %s" % _ids_text(batch), "DescribeInstances", params)
        found.update((item["InstanceId"], item) for item in body.get("Instances", {}).get("Instance", []))
    return found


def _with_token(params: dict[str, Any], token: str | None) -> dict[str, Any]:
    # A DryRun goes without a token: it must not be remembered as the create's first call.
    return dict(params, ClientToken=token) if token else dict(params)


def run_instances(client: Any, params: dict[str, Any], token: str | None, dry_run: bool = False) -> list[str]:
    body = _call(client, "create instances", "RunInstances", _with_token(params, token), dry_run=dry_run)
    return list(body.get("InstanceIdSets", {}).get("InstanceIdSet", []))


def create_instance(client: Any, params: dict[str, Any], token: str | None, dry_run: bool = False) -> str | None:
    body = _call(client, "create instance", "CreateInstance", _with_token(params, token), dry_run=dry_run)
    return body.get("InstanceId")


def start_instances(client: Any, ids: list[str]) -> None:
    for batch in batches(ids, ID_BATCH):
        params = {"InstanceId": batch}
        _call(client, "start instances %s" % _ids_text(batch), "StartInstances", params, idempotent=False)


def stop_instances(client: Any, ids: list[str], force_stop: bool = False, stopped_mode: str | None = None) -> None:
    for batch in batches(ids, ID_BATCH):
        params = {"InstanceId": batch, "ForceStop": force_stop, "StoppedMode": stopped_mode}
        _call(client, "stop instances %s" % _ids_text(batch), "StopInstances", params, idempotent=False)


def reboot_instances(client: Any, ids: list[str], force_stop: bool = False) -> None:
    for batch in batches(ids, ID_BATCH):
        params = {"InstanceId": batch, "ForceReboot": force_stop}
        _call(client, "reboot instances %s" % _ids_text(batch), "RebootInstances", params, idempotent=False)


def delete_instances(client: Any, ids: list[str], force: bool = False) -> None:
    """Release instances; the ClientToken depends on the batch, so a retry cannot act twice."""
    for batch in batches(sorted(ids), ID_BATCH):
        params = {"InstanceId": batch, "Force": force, "ClientToken": make_token("ansdel", batch, force)}
        _call(client, "release instances %s" % _ids_text(batch), "DeleteInstances", params)


def describe_user_data(client: Any, instance_id: str) -> str:
    """The instance's user data, Base64 as stored ("" when none)."""
    body = _call(client, "read the user data of instance %s" % instance_id, "DescribeUserData", {"InstanceId": instance_id})
    return body.get("UserData") or ""


def modify_instance_attribute(client: Any, instance_id: str, attributes: dict[str, Any]) -> None:
    """Sets absolute values, so repeating it is harmless (retried like a read)."""
    _call(client, "modify instance %s" % instance_id, "ModifyInstanceAttribute", dict(attributes, InstanceId=instance_id))


def tag_resources(client: Any, ids: list[str], tags: dict[str, str]) -> None:
    tag_list = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
    for batch in batches(sorted(ids), TAG_BATCH):
        params = {"ResourceType": "instance", "ResourceId": batch, "Tag": tag_list}
        _call(client, "tag instances %s" % _ids_text(batch), "TagResources", params)


def untag_resources(client: Any, ids: list[str], keys: list[str]) -> None:
    for batch in batches(sorted(ids), TAG_BATCH):
        params = {"ResourceType": "instance", "ResourceId": batch, "TagKey": sorted(keys)}
        _call(client, "untag instances %s" % _ids_text(batch), "UntagResources", params)


def modify_instance_charge_type(client: Any, ids: list[str], charge: dict[str, Any], dry_run: bool = False) -> None:
    """``charge``: InstanceChargeType and, for PrePaid, Period/PeriodUnit/AutoPay.

    The token is random per call (the client's retries reuse it): conversions can
    go back and forth with identical parameters, so a derived token could replay
    an old conversion; across runs the charge type is re-read before acting.
    """
    for batch in batches(sorted(ids), CHARGE_TYPE_BATCH):
        params = dict(charge, InstanceIds=json.dumps(batch), ClientToken="anschg-" + uuid.uuid4().hex)
        what = "change the charge type of instances %s to %s" % (_ids_text(batch), charge["InstanceChargeType"])
        _call(client, what, "ModifyInstanceChargeType", params, dry_run=dry_run)
