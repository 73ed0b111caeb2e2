# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""One small function per ECS action, returning plain data; every API call of the collection goes through here.

Each names what it does ("start instances i-1, i-2") so that a failure reads
``Failed to start instances i-1, i-2: <Code>: <Message> (RequestId ...)``.
Batching follows the API limits (100 ids, 50 for tags, 20 for charge type).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Iterator

from ansible_collections.alicloud.ecs.plugins.module_utils._client import ApiClient
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsConfigError, EcsError

ID_BATCH = 100
TAG_BATCH = 50
CHARGE_TYPE_BATCH = 20
PAGE_SIZE = 100
MAX_PAGES = 1000  # 100,000 instances per listing: the same limit for every caller


def make_token(prefix: str, *parts: Any) -> str:
    """Deterministic ClientToken: ASCII, at most 64 characters."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()
    return (prefix + "-" + digest)[:64]


def batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def ids_text(ids: list[str]) -> str:
    return ", ".join(ids) if len(ids) <= 5 else "%s and %d more" % (", ".join(ids[:5]), len(ids) - 5)


def _call(client: ApiClient, what: str, action: str, params: dict[str, Any], **kwargs: Any) -> dict:
    try:
        return client.call(action, params, **kwargs)
    except EcsError as err:
        err.operation = err.operation or what
        raise


# ----------------------------------------------------------------- reading


def describe_instance_pages(client: ApiClient, params: dict[str, Any], what: str | None = None) -> Iterator[list[dict]]:
    """The instances matching ``params`` (DescribeInstances filters) one page at a time, as each arrives,
    following NextToken to the end (MAX_PAGES at most)."""
    what = what or "describe instances in %s" % client.region
    token = None
    for _page in range(MAX_PAGES):
        body = _call(client, what, "DescribeInstances", dict(params, MaxResults=PAGE_SIZE, NextToken=token))
        yield body.get("Instances", {}).get("Instance", [])
        token = body.get("NextToken") or None
        if not token:
            return
    raise EcsConfigError("more than %d pages of instances" % MAX_PAGES, operation=what)


def describe_instances(client: ApiClient, params: dict[str, Any], what: str | None = None) -> list[dict]:
    """Every instance matching ``params`` (DescribeInstances filters), following NextToken to the end."""
    return [item for page in describe_instance_pages(client, params, what) for item in page]


def describe_instances_by_ids(client: ApiClient, ids: list[str]) -> dict[str, dict]:
    """``{id: instance}`` for the ids that are listed; one DescribeInstances per 100 ids."""
    found: dict[str, dict] = {}
    for batch in batches(sorted(set(ids)), ID_BATCH):
        params = {"InstanceIds": json.dumps(batch), "MaxResults": PAGE_SIZE}
        body = _call(client, "describe instances %s" % ids_text(batch), "DescribeInstances", params)
        found.update((item["InstanceId"], item) for item in body.get("Instances", {}).get("Instance", []))
    return found


def describe_user_data(client: ApiClient, instance_id: str) -> str:
    """The instance's user data, Base64 as stored ("" when none)."""
    body = _call(client, "read the user data of instance %s" % instance_id, "DescribeUserData", {"InstanceId": instance_id})
    return body.get("UserData") or ""


# ---------------------------------------------------------------- creating


def _with_token(params: dict[str, Any], token: str | None) -> dict[str, Any]:
    # A DryRun goes without a token: it must not be remembered as the create's first call.
    return dict(params, ClientToken=token) if token else dict(params)


def run_instances(client: ApiClient, params: dict[str, Any], token: str | None, dry_run: bool = False) -> list[str]:
    body = _call(client, "create instances", "RunInstances", _with_token(params, token), dry_run=dry_run)
    return list(body.get("InstanceIdSets", {}).get("InstanceIdSet", []))


def create_instance(client: ApiClient, params: dict[str, Any], token: str | None, dry_run: bool = False) -> list[str]:
    body = _call(client, "create instance", "CreateInstance", _with_token(params, token), dry_run=dry_run)
    return [body["InstanceId"]] if body.get("InstanceId") else []


# ------------------------------------------------------------ power state


def start_instances(client: ApiClient, ids: list[str]) -> None:
    for batch in batches(ids, ID_BATCH):
        params = {"InstanceId": batch}
        _call(client, "start instances %s" % ids_text(batch), "StartInstances", params, idempotent=False)


def stop_instances(client: ApiClient, ids: list[str], force_stop: bool = False, stopped_mode: str | None = None) -> None:
    for batch in batches(ids, ID_BATCH):
        params = {"InstanceId": batch, "ForceStop": force_stop, "StoppedMode": stopped_mode}
        _call(client, "stop instances %s" % ids_text(batch), "StopInstances", params, idempotent=False)


def reboot_instances(client: ApiClient, ids: list[str], force_stop: bool = False) -> None:
    for batch in batches(ids, ID_BATCH):
        params = {"InstanceId": batch, "ForceReboot": force_stop}
        _call(client, "reboot instances %s" % ids_text(batch), "RebootInstances", params, idempotent=False)


# --------------------------------------------------------------- releasing


def delete_instances(client: ApiClient, ids: list[str], force: bool, token: str, terminate: bool = False) -> None:
    """Release up to 100 instances in one call carrying ``token`` (the client's retries reuse it)."""
    if len(ids) > ID_BATCH:
        raise ValueError("at most %d instances per DeleteInstances" % ID_BATCH)
    params: dict[str, Any] = {"InstanceId": sorted(ids), "Force": force, "ClientToken": token}
    if terminate:
        params["TerminateSubscription"] = True
    _call(client, "release instances %s" % ids_text(sorted(ids)), "DeleteInstances", params)


def token_is_used(client: ApiClient, action: str, token: str, params: dict[str, Any]) -> bool | None:
    """Whether the API remembers ClientToken ``token`` of ``action`` -- without side effects.

    ``params`` must be a DryRun request that fails validation (for example an
    instance id that cannot exist): an unused token then gets that validation
    error and is not remembered; a used one gets IdempotentParameterMismatch
    (its parameters differ from the first call's) or LastTokenProcessing.
    None when the answer says neither (for example no permission).
    """
    try:
        client.call(action, dict(params, ClientToken=token, DryRun=True))
    except EcsError as err:
        code = getattr(err, "code", None)
        if code in ("IdempotentParameterMismatch", "LastTokenProcessing", "IdempotentProcessing", "IdempotentFailed"):
            return True
        if code in ("InvalidInstanceId.NotFound", "DryRunOperation", "DRYRUN.SUCCESS"):
            return False
        return None
    return False


# --------------------------------------------------------------- changing


def modify_instance_attribute(client: ApiClient, instance_id: str, attributes: dict[str, Any]) -> None:
    """Sets absolute values, so repeating it is harmless (retried like a read)."""
    _call(client, "modify instance %s" % instance_id, "ModifyInstanceAttribute", dict(attributes, InstanceId=instance_id))


def tag_resources(client: ApiClient, ids: list[str], tags: dict[str, str]) -> None:
    tag_list = [{"Key": key, "Value": value} for key, value in sorted(tags.items())]
    for batch in batches(sorted(ids), TAG_BATCH):
        params = {"ResourceType": "instance", "ResourceId": batch, "Tag": tag_list}
        _call(client, "tag instances %s" % ids_text(batch), "TagResources", params)


def untag_resources(client: ApiClient, ids: list[str], keys: list[str]) -> None:
    for batch in batches(sorted(ids), TAG_BATCH):
        params = {"ResourceType": "instance", "ResourceId": batch, "TagKey": sorted(keys)}
        _call(client, "untag instances %s" % ids_text(batch), "UntagResources", params)


def modify_instance_charge_type(client: ApiClient, ids: list[str], charge: dict[str, Any], dry_run: bool = False) -> None:
    """``charge``: InstanceChargeType and, for PrePaid, Period/PeriodUnit/AutoPay.

    The token is random per call (the client's retries reuse it): conversions can
    go back and forth with identical parameters, so a derived token could replay
    an old conversion; across runs the charge type is re-read before acting.
    """
    for batch in batches(sorted(ids), CHARGE_TYPE_BATCH):
        params = dict(charge, InstanceIds=json.dumps(batch), ClientToken="anschg-" + uuid.uuid4().hex)
        what = "change the charge type of instances %s to %s" % (ids_text(batch), charge["InstanceChargeType"])
        _call(client, what, "ModifyInstanceChargeType", params, dry_run=dry_run)


def allocate_public_ip_address(client: ApiClient, instance_id: str) -> str | None:
    """The new address.  No ClientToken and no way to give an address back: never repeated blindly."""
    what = "allocate a public IP address for instance %s" % instance_id
    body = _call(client, what, "AllocatePublicIpAddress", {"InstanceId": instance_id}, idempotent=False)
    return body.get("IpAddress") or None


# ------------------------------------------------------- in-place changes


def describe_disks(client: ApiClient, instance_id: str) -> list[dict]:
    """Every disk attached to the instance (system disk first), following NextToken."""
    what = "read the disks of instance %s" % instance_id
    disks: list[dict] = []
    token = None
    for _page in range(MAX_PAGES):
        params = {"InstanceId": instance_id, "MaxResults": PAGE_SIZE, "NextToken": token}
        body = _call(client, what, "DescribeDisks", params)
        disks.extend(body.get("Disks", {}).get("Disk", []))
        token = body.get("NextToken") or None
        if not token:
            break
    return sorted(disks, key=lambda d: (d.get("Type") != "system", d.get("Device") or "", d.get("DiskId") or ""))


def describe_instance_types(client: ApiClient, type_ids: list[str]) -> dict[str, dict]:
    """``{id: DescribeInstanceTypes entry}`` (vCPUs, memory ...) of the given types; 10 per call."""
    found: dict[str, dict] = {}
    for batch in batches(sorted(set(type_ids)), 10):
        body = _call(client, "describe instance types %s" % ", ".join(batch), "DescribeInstanceTypes",
                     {"InstanceTypes": batch})
        found.update((t["InstanceTypeId"], t) for t in body.get("InstanceTypes", {}).get("InstanceType", []))
    return found


def describe_auto_renew(client: ApiClient, ids: list[str]) -> dict[str, dict]:
    """``{id: InstanceRenewAttribute}`` of subscription instances (pay-as-you-go ones are not listed)."""
    found: dict[str, dict] = {}
    for batch in batches(sorted(set(ids)), ID_BATCH):
        what = "read the auto-renewal of instances %s" % ids_text(batch)
        params = {"InstanceId": ",".join(batch), "PageSize": ID_BATCH}
        body = _call(client, what, "DescribeInstanceAutoRenewAttribute", params)
        rows = body.get("InstanceRenewAttributes", {}).get("InstanceRenewAttribute", [])
        found.update((row["InstanceId"], row) for row in rows)
    return found


def modify_auto_renew(client: ApiClient, ids: list[str], attribute: dict[str, Any]) -> None:
    """Sets absolute values (AutoRenew, Duration, PeriodUnit), so repeating it is harmless."""
    for batch in batches(sorted(ids), ID_BATCH):
        what = "change the auto-renewal of instances %s" % ids_text(batch)
        _call(client, what, "ModifyInstanceAutoRenewAttribute", dict(attribute, InstanceId=",".join(batch)))


def renew_instance(client: ApiClient, instance_id: str, period: int, unit: str, token: str) -> None:
    """``token`` is derived from the expiry being extended, so a repeat after a lost answer replays it."""
    what = "renew instance %s by %d %s" % (instance_id, period, unit)
    _call(client, what, "RenewInstance",
          {"InstanceId": instance_id, "Period": period, "PeriodUnit": unit, "ClientToken": token})


def modify_instance_spec(client: ApiClient, instance_id: str, instance_type: str) -> None:
    """Pay-as-you-go type change (Stopped); the random token makes the client's retries replay it."""
    what = "change the instance type of %s to %s" % (instance_id, instance_type)
    params = {"InstanceId": instance_id, "InstanceType": instance_type, "ClientToken": "ansspc-" + uuid.uuid4().hex}
    _call(client, what, "ModifyInstanceSpec", params)


def modify_prepay_instance_spec(client: ApiClient, instance_id: str, instance_type: str, operator: str) -> None:
    """Subscription type change, paid from the balance (AutoPay); asynchronous (shows after 5-10 s)."""
    what = "%s the instance type of %s to %s" % (operator, instance_id, instance_type)
    params = {"InstanceId": instance_id, "InstanceType": instance_type, "OperatorType": operator, "AutoPay": True,
              "ClientToken": "ansspc-" + uuid.uuid4().hex}
    _call(client, what, "ModifyPrepayInstanceSpec", params)


def modify_instance_network_spec(client: ApiClient, instance_id: str, network: dict[str, Any]) -> None:
    """Public bandwidth (InternetMaxBandwidthOut, NetworkChargeType, AllocatePublicIp), paid from the balance."""
    what = "change the public bandwidth of instance %s" % instance_id
    params = dict(network, InstanceId=instance_id, AutoPay=True, ClientToken="ansnet-" + uuid.uuid4().hex)
    _call(client, what, "ModifyInstanceNetworkSpec", params)


def resize_disk(client: ApiClient, disk_id: str, size: int, kind: str) -> None:
    what = "resize disk %s to %d GiB (%s)" % (disk_id, size, kind)
    params = {"DiskId": disk_id, "NewSize": size, "Type": kind, "ClientToken": "ansrsz-" + uuid.uuid4().hex}
    _call(client, what, "ResizeDisk", params)


def replace_system_disk(client: ApiClient, instance_id: str, params: dict[str, Any], token: str) -> str | None:
    """The new system disk's id. ``token`` is derived from the disk being replaced: a repeat replays."""
    what = "replace the system disk of instance %s with image %s" % (instance_id, params.get("ImageId"))
    body = _call(client, what, "ReplaceSystemDisk", dict(params, InstanceId=instance_id, ClientToken=token))
    return body.get("DiskId") or None
