# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Pure decisions of ecs_instance: validation, creation parameters, tokens and the change set.

Nothing here calls the API, so every rule is unit-tested directly.  Instances
are raw DescribeInstances entries (CamelCase), params are the module's params.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.alicloud.ecs.plugins.module_utils._ecs import make_token
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import tags_to_dict

MAX_COUNT = 1000
RUN_BATCH = 100
PREPAID_ONLY = ("period", "period_unit", "auto_renew", "auto_renew_period")
SIMPLE_CREATE_FIELDS = {
    "auto_renew": "AutoRenew",
    "auto_renew_period": "AutoRenewPeriod",
    "deletion_protection": "DeletionProtection",
    "description": "Description",
    "host_name": "HostName",
    "image_id": "ImageId",
    "instance_charge_type": "InstanceChargeType",
    "instance_type": "InstanceType",
    "internet_charge_type": "InternetChargeType",
    "internet_max_bandwidth_out": "InternetMaxBandwidthOut",
    "key_pair_name": "KeyPairName",
    "period": "Period",
    "period_unit": "PeriodUnit",
    "resource_group_id": "ResourceGroupId",
    "spot_price_limit": "SpotPriceLimit",
    "spot_strategy": "SpotStrategy",
    "vswitch_id": "VSwitchId",
    "zone_id": "ZoneId",
}
DISK_FIELDS = {
    "category": "Category",
    "delete_with_instance": "DeleteWithInstance",
    "description": "Description",
    "disk_name": "DiskName",
    "encrypted": "Encrypted",
    "performance_level": "PerformanceLevel",
    "size": "Size",
    "snapshot_id": "SnapshotId",
}
# Options that cannot change on an existing instance: option -> how to read it from the instance.
FIXED_FIELDS = {
    "image_id": lambda i: i.get("ImageId"),
    "instance_type": lambda i: i.get("InstanceType"),
    "key_pair_name": lambda i: i.get("KeyPairName") or None,
    "vswitch_id": lambda i: (i.get("VpcAttributes") or {}).get("VSwitchId"),
    "zone_id": lambda i: i.get("ZoneId"),
}


@dataclass
class Plan:
    """What one run will do; empty means nothing changes."""

    create: int = 0
    delete: list[str] = field(default_factory=list)
    unprotect: list[str] = field(default_factory=list)
    unsubscribe: list[str] = field(default_factory=list)
    stop_before_delete: list[str] = field(default_factory=list)
    start: list[str] = field(default_factory=list)
    stop: list[str] = field(default_factory=list)
    reboot: list[str] = field(default_factory=list)
    modify: dict[str, dict[str, Any]] = field(default_factory=dict)
    tag: dict[str, dict[str, str]] = field(default_factory=dict)
    untag: dict[str, list[str]] = field(default_factory=dict)
    charge: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any((self.create, self.delete, self.start, self.stop, self.reboot, self.modify, self.tag, self.untag, self.charge))


def validate(params: dict[str, Any]) -> list[str]:
    """Errors found without calling the API (the arg spec covers the rest)."""
    errors = []
    if not params.get("instance_ids") and not params.get("name"):
        # An explicit null passes required_one_of; without this guard the identity would be "every instance".
        errors.append("one of instance_ids or name is required (and must not be empty)")
    if not 0 <= params["count"] <= MAX_COUNT:
        errors.append("count must be between 0 and %d, got %d" % (MAX_COUNT, params["count"]))
    if params.get("instance_charge_type") != "PrePaid":
        given = [name for name in PREPAID_ONLY if params.get(name) is not None]
        if given:
            errors.append("%s only apply with instance_charge_type=PrePaid" % ", ".join(given))
    if params.get("instance_charge_type") == "PrePaid" and params.get("spot_strategy") not in (None, "NoSpot"):
        errors.append("spot_strategy %s is only possible with instance_charge_type=PostPaid" % params["spot_strategy"])
    return errors


def creation_errors(params: dict[str, Any]) -> list[str]:
    missing = [name for name in ("name", "image_id", "instance_type") if not params.get(name)]
    return ["creating instances requires %s" % ", ".join(missing)] if missing else []


def identity_tags(params: dict[str, Any]) -> dict[str, str]:
    """Tags that select instances: only with a name identity (with instance_ids they are just wanted)."""
    return {} if params.get("instance_ids") else dict(params.get("tags") or {})


def creation_params(params: dict[str, Any], stopped: bool) -> dict[str, Any]:
    """API parameters of RunInstances (or CreateInstance when ``stopped``), without Password/Amount/token."""
    api: dict[str, Any] = {api_name: params.get(name) for name, api_name in SIMPLE_CREATE_FIELDS.items()}
    api["InstanceName"] = params["name"]
    groups = params.get("security_group_ids") or []
    if stopped or len(groups) == 1:
        api["SecurityGroupId"] = groups[0] if groups else None
    else:
        api["SecurityGroupIds"] = groups or None
    api["UserData"] = encoded_user_data(params)
    api["SystemDisk"] = _disk(params.get("system_disk")) or None
    api["DataDisk"] = [_disk(disk) for disk in params.get("data_disks") or []] or None
    api["Tag"] = [{"Key": k, "Value": v} for k, v in sorted((params.get("tags") or {}).items())] or None
    return {key: value for key, value in api.items() if value is not None}


def _disk(disk: dict[str, Any] | None) -> dict[str, Any]:
    return {api: disk[name] for name, api in DISK_FIELDS.items() if disk and disk.get(name) is not None}


def creation_token(region: str, api_params: dict[str, Any], first_slot: int, amount: int, stale: list[str]) -> str:
    """ClientToken of one create call.

    It covers the identity and wanted parameters (both in ``api_params``), the
    slots the call fills (``first_slot``: how many matching instances exist
    before it, counting those this run already made; ``amount``: how many it
    makes), and the ids that a previous token replayed although they were
    released or already counted (``stale``).  Numbering slots rather than
    hashing the set of existing ids keeps concurrent runs on the same tokens:
    a run that starts while another is half-way through a sequence of creates
    sees the first instances, starts at the next slot and replays the other
    run's token for it instead of creating a duplicate.  The API remembers
    tokens for a while, so after a delete the same token would only replay
    dead ids -- the stale list moves to a fresh token.
    """
    return make_token("ans", region, api_params, first_slot, amount, sorted(stale))


def run_batches(missing: int) -> list[int]:
    """Amounts of the RunInstances calls that create ``missing`` instances."""
    return [min(RUN_BATCH, missing - start) for start in range(0, missing, RUN_BATCH)]


def newest_first(instances: list[dict]) -> list[dict]:
    return sorted(instances, key=lambda i: (i.get("CreationTime") or "", i["InstanceId"]), reverse=True)


def tag_changes(wanted: dict[str, str] | None, purge: bool, current: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove); ``wanted`` None means tags are not managed."""
    if wanted is None:
        return {}, []
    wanted = {key: "" if value is None else str(value) for key, value in wanted.items()}
    add = {key: value for key, value in wanted.items() if current.get(key) != value}
    remove = sorted(key for key in current if key not in wanted) if purge else []
    return add, remove


def attribute_changes(params: dict[str, Any], instance: dict[str, Any]) -> dict[str, Any]:
    """ModifyInstanceAttribute parameters that differ from the instance."""
    changes: dict[str, Any] = {}
    if params.get("instance_ids") and params.get("name") and params["name"] != instance.get("InstanceName"):
        changes["InstanceName"] = params["name"]
    for name, api in (("description", "Description"), ("host_name", "HostName")):
        if params.get(name) is not None and params[name] != instance.get(api):
            changes[api] = params[name]
    protection = params.get("deletion_protection")
    if protection is not None and protection != bool(instance.get("DeletionProtection")):
        changes["DeletionProtection"] = protection
    groups = params.get("security_group_ids")
    current_groups = instance.get("SecurityGroupIds", {}).get("SecurityGroupId", [])
    if groups and set(groups) != set(current_groups):
        changes["SecurityGroupIds"] = list(groups)
    if params.get("password") and params.get("update_password") == "always":
        changes["Password"] = params["password"]
    wanted_user_data = encoded_user_data(params)
    # "UserData" is read separately (DescribeUserData); it can only change while Stopped.
    if wanted_user_data is not None and "UserData" in instance and instance["UserData"] != wanted_user_data:
        if instance.get("Status") == "Stopped":
            changes["UserData"] = wanted_user_data
    return changes


def encoded_user_data(params: dict[str, Any]) -> str | None:
    if params.get("user_data") is None:
        return None
    return base64.b64encode(params["user_data"].encode("utf-8")).decode("ascii")


def user_data_warnings(params: dict[str, Any], instance: dict[str, Any]) -> list[str]:
    wanted = encoded_user_data(params)
    if wanted is None or "UserData" not in instance or instance["UserData"] == wanted or instance.get("Status") == "Stopped":
        return []
    return [
        "%s: user_data differs but can only be changed while the instance is stopped; it was left as is"
        % instance["InstanceId"]
    ]


def drift_warnings(params: dict[str, Any], instance: dict[str, Any]) -> list[str]:
    """One warning per option that differs but cannot be changed in place."""
    warnings = []
    for name, read in FIXED_FIELDS.items():
        wanted, actual = params.get(name), read(instance)
        if wanted is not None and wanted != actual:
            warnings.append(
                "%s: %s is %s but the task asks for %s; it cannot be changed in place and was left as is"
                % (instance["InstanceId"], name, actual, wanted)
            )
    return warnings


def state_actions(state: str, instances: list[dict]) -> tuple[list[str], list[str], list[str]]:
    """(start, stop, reboot) ids for settled instances."""
    running = [i["InstanceId"] for i in instances if i.get("Status") == "Running"]
    stopped = [i["InstanceId"] for i in instances if i.get("Status") == "Stopped"]
    if state == "running":
        return stopped, [], []
    if state == "stopped":
        return [], running, []
    if state == "restarted":
        return stopped, [], running
    return [], [], []


def release_blockers(params: dict[str, Any], instances: list[dict]) -> tuple[list[str], list[str], list[str]]:
    """(ids to unprotect, ids to convert to PostPaid, errors) before instances can be released."""
    errors = []
    protected = sorted(i["InstanceId"] for i in instances if i.get("DeletionProtection"))
    if protected and params.get("deletion_protection") is not False:
        errors.append(
            "instance(s) %s have deletion protection enabled; set deletion_protection: false in the task "
            "to turn it off and release them" % ", ".join(protected)
        )
    prepaid = [i for i in instances if i.get("InstanceChargeType") == "PrePaid"]
    if prepaid and not params.get("convert_prepaid_on_delete"):
        errors.append(_prepaid_message(prepaid))
    return protected, sorted(i["InstanceId"] for i in prepaid), errors


def _prepaid_message(prepaid: list[dict]) -> str:
    listing = ", ".join("%s (paid until %s)" % (i["InstanceId"], i.get("ExpiredTime") or "?") for i in prepaid)
    return (
        "subscription (PrePaid) instance(s) %s cannot be released before they expire (the API answers "
        "ChargeTypeViolation). Set convert_prepaid_on_delete: true to convert them to pay-as-you-go "
        "(ModifyInstanceChargeType; the unused subscription is refunded subject to the monthly refund quota, "
        "and the instance is billed by the hour until it is released) and release them, or let them expire" % listing
    )


def compute_plan(params: dict[str, Any], instances: list[dict]) -> tuple[Plan, list[str]]:
    """The change set for settled ``instances`` (those matching the identity), and blocking errors."""
    plan = Plan()
    if params["state"] == "absent":
        return _plan_release(plan, params, instances)
    keep = instances
    if not params.get("instance_ids"):
        missing = params["count"] - len(instances)
        plan.create = max(0, missing)
        if missing < 0 and params.get("remove_surplus"):
            surplus = newest_first(instances)[: -missing]
            keep = [i for i in instances if i not in surplus]
            plan, errors = _plan_release(plan, params, surplus)
            if errors:
                return plan, errors
    _plan_updates(plan, params, keep)
    plan.start, plan.stop, plan.reboot = state_actions(params["state"], keep)
    return plan, []


def _plan_release(plan: Plan, params: dict[str, Any], instances: list[dict]) -> tuple[Plan, list[str]]:
    plan.delete = sorted(i["InstanceId"] for i in instances)
    plan.unprotect, plan.unsubscribe, errors = release_blockers(params, instances)
    if not params.get("force_release"):
        plan.stop_before_delete = sorted(i["InstanceId"] for i in instances if i.get("Status") != "Stopped")
    return plan, errors


def _plan_updates(plan: Plan, params: dict[str, Any], instances: list[dict]) -> None:
    wanted_charge = params.get("instance_charge_type")
    for instance in instances:
        instance_id = instance["InstanceId"]
        changes = attribute_changes(params, instance)
        if changes:
            plan.modify[instance_id] = changes
        add, remove = tag_changes(params.get("tags"), params["purge_tags"], tags_to_dict(instance.get("Tags")))
        if add:
            plan.tag[instance_id] = add
        if remove:
            plan.untag[instance_id] = remove
        if wanted_charge and wanted_charge != instance.get("InstanceChargeType"):
            plan.charge.append(instance_id)
        plan.warnings.extend(drift_warnings(params, instance) + user_data_warnings(params, instance))
