# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Pure decisions of ecs_instance: what a state means, the identity, validation, creation
parameters, the change set, its preview and its summary.

Nothing here calls the API, so every rule is unit-tested directly.  Instances
are raw DescribeInstances entries (CamelCase) unless a name says "normalized";
params are the module's params (every key present, as AnsibleModule gives them).
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.alicloud.ecs.plugins.module_utils._instance_changes import (
    Change,
    Facts,
    auto_renew_change,
    data_disk_warnings,
    is_expired,
    network_change,
    rebuild_change,
    renew_change,
    renewed_expiry,
    renew_errors,
    resize_change,
    spec_change,
    subscription_text,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import (
    TagError,
    clean_ids,
    tag_value,
    tags_to_api,
    tags_to_dict,
)

MAX_COUNT = 1000
RUN_BATCH = 100
PREPAID_ONLY = ("period", "period_unit", "auto_renew", "auto_renew_period")
# RunInstances expands "name[begin,bits]suffix" into numbered names (reference 9.1).
ORDERED_NAME = re.compile(r"\[\s*\d+\s*,\s*\d+\s*\]")
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
# Creation parameters that say what an instance *is*; they shape the ClientToken (see _tokens.py).
SHAPE_FIELDS = (
    "ImageId", "InstanceType", "ZoneId", "VSwitchId", "InstanceChargeType", "Period", "PeriodUnit",
    "SpotStrategy", "SpotPriceLimit", "InternetChargeType", "InternetMaxBandwidthOut", "ResourceGroupId",
    "SystemDisk", "DataDisk",
)
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
# (instance_type, internet_max_bandwidth_out, system_disk.size and image_id change in place:
# _instance_changes.py.)
FIXED_FIELDS = {
    "key_pair_name": lambda i: i.get("KeyPairName") or None,
    "vswitch_id": lambda i: (i.get("VpcAttributes") or {}).get("VSwitchId"),
    "zone_id": lambda i: i.get("ZoneId"),
}
SUMMARY_KEYS = (
    "instance_name",
    "status",
    "description",
    "host_name",
    "tags",
    "security_group_ids",
    "deletion_protection",
    "instance_charge_type",
    "period",
    "period_unit",
    "expired_time",
    "auto_renew",
    "image_id",
    "instance_type",
    "zone_id",
    "vswitch_id",
    "key_pair_name",
    "internet_max_bandwidth_out",
    "internet_charge_type",
    "system_disk",
    "data_disks",
    "user_data_digest",
)
RESULT_IDS = ("created_ids", "deleted_ids", "modified_ids", "restarted_ids", "started_ids", "stopped_ids")


# ------------------------------------------------------------------ states


@dataclass(frozen=True)
class StateSpec:
    """What one value of ``state`` means, so the applier never re-reads ``params["state"]``."""

    name: str
    target: str | None  # status every kept instance must reach: "running", "stopped" or None (left as is)
    creates: bool  # missing instances are created
    creates_stopped: bool  # ... with CreateInstance, left Stopped (no public IP)
    reboots: bool  # running instances are rebooted
    releases: bool  # every matched instance is released
    always_changed: bool  # the run reports a change even when nothing needed doing
    started_key: str  # the result key of instances started (or rebooted) by this state
    verb: str  # for "nothing matched" warnings


STATES: dict[str, StateSpec] = {
    "present": StateSpec("present", None, True, False, False, False, False, "started_ids", "found"),
    "running": StateSpec("running", "running", True, False, False, False, False, "started_ids", "started"),
    "stopped": StateSpec("stopped", "stopped", True, True, False, False, False, "started_ids", "stopped"),
    "restarted": StateSpec("restarted", "running", False, False, True, False, True, "restarted_ids", "restarted"),
    "absent": StateSpec("absent", None, False, False, False, True, False, "started_ids", "released"),
}


# ---------------------------------------------------------------- identity


@dataclass(frozen=True)
class Identity:
    """Which instances a task manages: ``ids``, or an exact ``name`` with all of ``tags`` (a selector)."""

    name: str | None
    tags: dict[str, str]
    ids: tuple[str, ...] | None

    @property
    def by_ids(self) -> bool:
        return self.ids is not None

    def matches(self, instance: dict[str, Any]) -> bool:
        """Whether a DescribeInstances entry belongs to the identity (tag values compared as the API stores them)."""
        if self.by_ids:
            return instance.get("InstanceId") in (self.ids or ())
        if instance.get("InstanceName") != self.name:
            return False
        actual = tags_to_dict(instance.get("Tags"))
        return all(actual.get(key) == value for key, value in self.tags.items())

    def describe(self) -> str:
        if self.by_ids:
            return "instance_ids %s" % ", ".join(self.ids or ()) if self.ids else "an empty instance_ids"
        return "name=%s tags=%s" % (self.name, _tags_text(self.tags))


def _tags_text(tags: dict[str, str]) -> str:
    return "{%s}" % ", ".join("%s: %s" % (k, v) for k, v in sorted(tags.items()))


def identity(params: dict[str, Any]) -> Identity:
    """The identity of a validated task (``converted_tags`` already applied)."""
    if params.get("instance_ids") is not None:
        return Identity(params.get("name"), {}, tuple(clean_ids(params["instance_ids"])[0]))
    return Identity(params["name"], dict(params.get("tags") or {}), None)


# -------------------------------------------------------------- validation


def convert_params(params: dict[str, Any]) -> dict[str, Any]:
    """The task's params with tags converted once (tag values as the API stores them).

    Raises TagError naming the tag when a tag cannot be stored (list or dict value, null key).
    """
    converted = dict(params)
    if params.get("tags") is not None:
        converted["tags"] = tags_to_api(params["tags"])
    return converted


def validate(params: dict[str, Any]) -> list[str]:
    """Errors found without calling the API (the arg spec covers the rest)."""
    errors = []
    if params.get("instance_ids") is None and not params.get("name"):
        # An explicit null passes required_one_of; without this guard the identity would be "every instance".
        errors.append("one of instance_ids or name is required (and name must not be empty)")
    if params.get("instance_ids") is None and params.get("name") and ORDERED_NAME.search(params["name"]):
        errors.append(
            "name %r uses the API's ordered-name syntax name[begin,digits]: RunInstances would number the instances "
            "(for example web001, web002), so the task could never find them by name again. Use a plain name "
            "and count" % params["name"]
        )
    if not 0 <= params["count"] <= MAX_COUNT:
        errors.append("count must be between 0 and %d, got %d" % (MAX_COUNT, params["count"]))
    if params.get("instance_charge_type") != "PrePaid":
        given = [name for name in PREPAID_ONLY if params.get(name) is not None]
        if given:
            errors.append("%s only apply with instance_charge_type=PrePaid" % ", ".join(given))
    if params.get("instance_charge_type") == "PrePaid" and params.get("spot_strategy") not in (None, "NoSpot"):
        errors.append("spot_strategy %s is only possible with instance_charge_type=PostPaid" % params["spot_strategy"])
    limit = params.get("spot_price_limit")
    if limit is not None and not (0 < limit < float("inf")):
        errors.append("spot_price_limit must be a positive number, got %s" % limit)
    if params.get("visibility_timeout") is not None and params["visibility_timeout"] < 0:
        errors.append("visibility_timeout must not be negative")
    errors += renew_errors(params)
    return errors


def creation_errors(params: dict[str, Any]) -> list[str]:
    missing = [name for name in ("name", "image_id", "instance_type") if not params.get(name)]
    return ["creating instances requires %s" % ", ".join(missing)] if missing else []


# ------------------------------------------------------- creation parameters


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


def shape(api: dict[str, Any]) -> dict[str, Any]:
    """The part of the creation parameters that says what the instances are (shapes the ClientToken)."""
    return {key: api[key] for key in SHAPE_FIELDS if key in api}


def _disk(disk: dict[str, Any] | None) -> dict[str, Any]:
    return {api: disk[name] for name, api in DISK_FIELDS.items() if disk and disk.get(name) is not None}


def run_batches(missing: int) -> list[int]:
    """Amounts of the RunInstances calls that create ``missing`` instances."""
    return [min(RUN_BATCH, missing - start) for start in range(0, missing, RUN_BATCH)]


def encoded_user_data(params: dict[str, Any]) -> str | None:
    if params.get("user_data") is None:
        return None
    return base64.b64encode(params["user_data"].encode("utf-8")).decode("ascii")


def user_data_digest(encoded: str) -> str:
    """What the diff shows of user data (which may hold secrets): a short digest of its Base64 text."""
    return "sha256:" + hashlib.sha256(encoded.encode("ascii")).hexdigest()[:16]


def charge_params(params: dict[str, Any]) -> dict[str, Any]:
    charge: dict[str, Any] = {"InstanceChargeType": params["instance_charge_type"]}
    if params["instance_charge_type"] == "PrePaid":
        charge.update(Period=params.get("period"), PeriodUnit=params.get("period_unit"), AutoPay=True)
    return {key: value for key, value in charge.items() if value is not None}


# --------------------------------------------------------------------- plan


@dataclass
class Plan:
    """What one run will do; empty means nothing changes."""

    state: StateSpec
    create: int = 0
    delete: list[str] = field(default_factory=list)
    unprotect: list[str] = field(default_factory=list)
    unsubscribe: list[str] = field(default_factory=list)  # unexpired subscriptions converted before release
    terminate: list[str] = field(default_factory=list)  # expired subscriptions (TerminateSubscription)
    stop_before_delete: list[str] = field(default_factory=list)
    start: list[str] = field(default_factory=list)
    stop: list[str] = field(default_factory=list)
    reboot: list[str] = field(default_factory=list)
    modify: dict[str, dict[str, Any]] = field(default_factory=dict)
    tag: dict[str, dict[str, str]] = field(default_factory=dict)
    untag: dict[str, list[str]] = field(default_factory=dict)
    charge: list[str] = field(default_factory=list)
    # In-place changes (_instance_changes.py), by instance id.
    spec: dict[str, dict[str, Any]] = field(default_factory=dict)
    network: dict[str, dict[str, Any]] = field(default_factory=dict)
    resize: dict[str, dict[str, Any]] = field(default_factory=dict)
    rebuild: dict[str, dict[str, Any]] = field(default_factory=dict)
    renew: dict[str, dict[str, Any]] = field(default_factory=dict)
    auto_renew: dict[str, dict[str, Any]] = field(default_factory=dict)
    needs_stopped: list[str] = field(default_factory=list)  # changes of these are made only once they are Stopped
    stop_for_change: list[str] = field(default_factory=list)  # running: stopped for the change (allow_stop) ...
    start_after_change: list[str] = field(default_factory=list)  # ... and started again afterwards
    warnings: list[str] = field(default_factory=list)

    @property
    def modified_ids(self) -> list[str]:
        """The one definition of "modified": attributes, tags, charge type, type, bandwidth, disks, image or
        subscription changed (a conversion before a release included)."""
        changes = (self.modify, self.tag, self.untag, self.charge, self.unsubscribe, self.spec, self.network,
                   self.resize, self.rebuild, self.renew, self.auto_renew)
        return sorted(set().union(*(set(change) for change in changes)))

    @property
    def changed(self) -> bool:
        return self.state.always_changed or any(
            (self.create, self.delete, self.start, self.stop, self.reboot, self.modified_ids, self.stop_for_change)
        )

    @property
    def touched(self) -> list[str]:
        """Existing instances this plan acts on (their last read is stale afterwards)."""
        return sorted(set(self.start + self.stop + self.reboot + self.modified_ids + self.stop_for_change))

    @property
    def stopping(self) -> list[str]:
        """Every instance the stop phase stops."""
        return sorted(set(self.stop + self.stop_for_change))

    @property
    def starting(self) -> list[str]:
        """Every instance the start phase starts (a reboot is separate)."""
        return sorted(set(self.start + self.start_after_change))

    def planned_ids(self) -> dict[str, list[str]]:
        """The result keys as the plan predicts them (check mode)."""
        ids: dict[str, list[str]] = {key: [] for key in RESULT_IDS}
        ids.update(deleted_ids=sorted(self.delete), modified_ids=self.modified_ids, stopped_ids=self.stopping)
        ids[self.state.started_key] = sorted(self.starting + self.reboot)
        return ids


def tag_changes(wanted: dict[str, str] | None, purge: bool, current: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """(tags to set, keys to remove); ``wanted`` None means tags are not managed."""
    if wanted is None:
        return {}, []
    wanted = {key: tag_value(key, value) for key, value in wanted.items()}
    add = {key: value for key, value in wanted.items() if current.get(key) != value}
    remove = sorted(key for key in current if key not in wanted) if purge else []
    return add, remove


def purges(params: dict[str, Any], ident: Identity) -> bool:
    """Whether tags not listed are removed: by default with instance_ids, never by default with a name selector."""
    if params.get("purge_tags") is not None:
        return bool(params["purge_tags"])
    return ident.by_ids


def attribute_changes(params: dict[str, Any], instance: dict[str, Any]) -> dict[str, Any]:
    """ModifyInstanceAttribute parameters that differ from the instance."""
    changes: dict[str, Any] = {}
    if params.get("instance_ids") is not None and params.get("name") and params["name"] != instance.get("InstanceName"):
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
    return changes


def user_data_change(params: dict[str, Any], instance: dict[str, Any]) -> Change:
    """User data (read separately with DescribeUserData) can only be set while the instance is Stopped."""
    wanted = encoded_user_data(params)
    if wanted is None or "UserData" not in instance or instance["UserData"] == wanted:
        return Change()
    return Change({"UserData": wanted}, needs_stopped=True,
                  why_stopped="changing its user data (ModifyInstanceAttribute sets UserData only while Stopped)")


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


def state_actions(spec: StateSpec, instances: list[dict]) -> tuple[list[str], list[str], list[str]]:
    """(start, stop, reboot) ids for settled instances."""
    running = [i["InstanceId"] for i in instances if i.get("Status") == "Running"]
    stopped = [i["InstanceId"] for i in instances if i.get("Status") == "Stopped"]
    if spec.target == "stopped":
        return [], running, []
    if spec.target == "running":
        return stopped, [], (running if spec.reboots else [])
    return [], [], []


def release_blockers(params: dict[str, Any], instances: list[dict], facts: Facts | None = None
                     ) -> tuple[list[str], list[str], list[str], list[str]]:
    """(ids to unprotect, ids to convert to PostPaid, expired subscriptions, errors) before a release.

    An expired subscription is released as it is (DeleteInstances with TerminateSubscription); an
    unexpired one only after a conversion to pay-as-you-go, which the task must allow."""
    facts = facts or Facts()
    errors = []
    protected = sorted(i["InstanceId"] for i in instances if i.get("DeletionProtection"))
    if protected and params.get("deletion_protection") is not False:
        errors.append(
            "instance(s) %s have deletion protection enabled; set deletion_protection: false in the task "
            "to turn it off and release them" % ", ".join(protected)
        )
    prepaid = [i for i in instances if i.get("InstanceChargeType") == "PrePaid"]
    expired = sorted(i["InstanceId"] for i in prepaid if is_expired(i, facts.now))
    unexpired = [i for i in prepaid if i["InstanceId"] not in expired]
    if unexpired and not params.get("convert_prepaid_on_delete"):
        errors.append(_prepaid_message(unexpired, facts))
    return protected, sorted(i["InstanceId"] for i in unexpired), expired, errors


def _prepaid_message(prepaid: list[dict], facts: Facts) -> str:
    listing = ", ".join(subscription_text(i, facts.now) for i in prepaid)
    return (
        "subscription (PrePaid) instance(s) %s have not expired yet and cannot be released before they do (the API "
        "answers ChargeTypeViolation). Set convert_prepaid_on_delete: true to convert them to pay-as-you-go "
        "(ModifyInstanceChargeType; the unused subscription is refunded subject to the monthly refund quota, "
        "and the instance is billed by the hour until it is released) and release them, or let them expire "
        "(expired subscriptions are released without a conversion)" % listing
    )


def newest_first(instances: list[dict]) -> list[dict]:
    return sorted(instances, key=lambda i: (i.get("CreationTime") or "", i["InstanceId"]), reverse=True)


def compute_plan(params: dict[str, Any], instances: list[dict], others: list[dict] | None = None,
                 facts: Facts | None = None) -> tuple[Plan, list[str]]:
    """The change set for settled ``instances`` (those matching the identity), and blocking errors.

    ``others``: instances with the task's name but not its tags (read only when a
    create is planned), for the warning that a create happens next to them.
    ``facts``: the time (expiry) and the sizes of instance types (subscription type changes).
    """
    facts = facts or Facts()
    spec = STATES[params["state"]]
    ident = identity(params)
    plan = Plan(spec)
    if ident.by_ids and not ident.ids:
        plan.warnings.append("instance_ids is empty: no instance was selected and nothing was changed")
        return plan, []
    if spec.releases:
        if not instances:
            plan.warnings.append("no instance matches %s; nothing to release" % ident.describe())
        return _plan_release(plan, params, instances, facts)
    keep = instances
    errors: list[str] = []
    if not ident.by_ids:
        missing = params["count"] - len(instances)
        if missing > 0 and spec.creates and (instances or not _cannot_create_quietly(spec, params)):
            plan.create = missing
        elif missing > 0 and not instances:
            plan.warnings.append(
                "no instance matches %s; nothing was %s%s" % (
                    ident.describe(), spec.verb,
                    " (restarted creates no instance)" if not spec.creates else
                    " (give image_id and instance_type to create %d)" % params["count"]))
        elif missing > 0:
            plan.warnings.append("%d instance(s) match %s but count is %d; state %s does not create the %d missing" % (
                len(instances), ident.describe(), params["count"], spec.name, missing))
        if missing < 0:
            surplus = newest_first(instances)[:-missing]
            if params.get("remove_surplus"):
                keep = [i for i in instances if i not in surplus]
                plan, errors = _plan_release(plan, params, surplus, facts)
                if errors:
                    return plan, errors
            else:
                plan.warnings.append(
                    "%d instance(s) match %s but count is %d: the %d newest (%s) are kept; set remove_surplus: true "
                    "to release them" % (len(instances), ident.describe(), params["count"], -missing,
                                         ", ".join(sorted(i["InstanceId"] for i in surplus))))
        if plan.create and others:
            plan.warnings.append(
                "%d instance(s) named %s exist with other tags (%s); this task creates %d more because its tags "
                "%s select only instances that carry all of them" % (
                    len(others), ident.name, ", ".join(sorted(i["InstanceId"] for i in others)), plan.create,
                    _tags_text(ident.tags)))
    plan.start, plan.stop, plan.reboot = state_actions(spec, keep)
    errors += _plan_updates(plan, params, ident, keep, facts)
    return plan, errors


def _cannot_create_quietly(spec: StateSpec, params: dict[str, Any]) -> bool:
    """``stopped`` with nothing matched and no creation options: say so instead of failing (like ``restarted``)."""
    return spec.name == "stopped" and bool(creation_errors(params))


def _plan_release(plan: Plan, params: dict[str, Any], instances: list[dict], facts: Facts) -> tuple[Plan, list[str]]:
    plan.delete = sorted(i["InstanceId"] for i in instances)
    plan.unprotect, plan.unsubscribe, plan.terminate, errors = release_blockers(params, instances, facts)
    if not params.get("force_release"):
        plan.stop_before_delete = sorted(i["InstanceId"] for i in instances if i.get("Status") != "Stopped")
    return plan, errors


def _plan_updates(plan: Plan, params: dict[str, Any], ident: Identity, instances: list[dict], facts: Facts) -> list[str]:
    """Attribute, tag, charge and in-place changes of the kept instances; the errors that block them."""
    wanted_charge = params.get("instance_charge_type")
    # With a name, tags select instances (they already carry them): only an explicit purge changes tags.
    wanted_tags = params.get("tags") if ident.by_ids or params.get("purge_tags") else None
    purge = purges(params, ident)
    errors: list[str] = []
    for instance in instances:
        instance_id = instance["InstanceId"]
        changes = attribute_changes(params, instance)
        add, remove = tag_changes(wanted_tags, purge, tags_to_dict(instance.get("Tags")))
        if add:
            plan.tag[instance_id] = add
        if remove:
            plan.untag[instance_id] = remove
        charge = instance.get("InstanceChargeType")
        if wanted_charge and wanted_charge != charge:
            plan.charge.append(instance_id)
            charge = wanted_charge
        # The subscription rules see the instance as it is after a conversion of this run.
        subscription = dict(instance, InstanceChargeType=charge)
        in_place = {
            "spec": spec_change(params, instance, charge or "PostPaid", facts),
            "network": network_change(params, instance),
            "resize": resize_change(params, instance),
            "rebuild": rebuild_change(params, instance),
            "renew": Change() if instance_id in plan.charge else renew_change(params, instance, facts),
            "auto_renew": auto_renew_change(params, subscription),
            "user_data": user_data_change(params, instance),
        }
        plan.warnings.extend(drift_warnings(params, instance) + data_disk_warnings(params, instance))
        for change in in_place.values():
            plan.warnings.extend(change.warnings)
            errors.extend(change.errors)
        stopped_for = [c.why_stopped for c in in_place.values() if c.api is not None and c.needs_stopped]
        if stopped_for and instance.get("Status") == "Running" and instance_id not in plan.stop:
            if params.get("allow_stop"):
                plan.stop_for_change.append(instance_id)
                if plan.state.target != "stopped":
                    plan.start_after_change.append(instance_id)
                if instance_id in plan.reboot:
                    plan.reboot.remove(instance_id)  # the stop and start restart it
            elif in_place["user_data"].api is not None and len(stopped_for) == 1:
                # Changing only the user data: as before allow_stop existed, a warning, not an error.
                plan.warnings.append(
                    "%s: user_data differs but can only be changed while the instance is stopped; it was left as "
                    "is (allow_stop: true lets the module stop the instance, change it and start it again)" % instance_id)
                in_place["user_data"] = Change()
                stopped_for = []
            else:
                errors.append(
                    "%s is running, and %s needs it stopped; set allow_stop: true to let the module stop it, make the "
                    "change and start it again, or stop it first (state: stopped). Nothing was changed" % (
                        instance_id, " and ".join(stopped_for)))
        if stopped_for:
            plan.needs_stopped.append(instance_id)
        if in_place["user_data"].api is not None:
            changes.update(in_place["user_data"].api)
        if changes:
            plan.modify[instance_id] = changes
        for name in ("spec", "network", "resize", "rebuild", "renew", "auto_renew"):
            api = in_place[name].api
            if api is not None:
                getattr(plan, name)[instance_id] = dict(api)
        if instance_id in plan.resize and instance_id in plan.stopping:
            plan.resize[instance_id]["Type"] = "offline"  # it will be Stopped by then
    return errors


def group(changes: dict[str, Any]) -> dict[tuple, list[str]]:
    """Instances that need the same tag change, so one call covers many of them."""
    grouped: dict[tuple, list[str]] = {}
    for instance_id, change in sorted(changes.items()):
        key = tuple(sorted(change.items())) if isinstance(change, dict) else tuple(change)
        grouped.setdefault(key, []).append(instance_id)
    return grouped


# ------------------------------------------------------------ preview, diff


def summarize(instances: list[dict]) -> dict[str, dict]:
    """Managed attributes of normalized instances by id (planned instances get ``new-N`` keys); attributes
    the API does not give (disks not read, a period of an existing instance) are left out."""
    summary = {}
    for instance in instances:
        entry = dict(instance, **disk_summary(instance))
        renewal = instance.get("auto_renew_attribute")
        if renewal is not None and "auto_renew" not in instance:
            entry["auto_renew"] = bool(renewal.get("auto_renew_enabled"))
        key = instance.get("instance_id") or instance["planned_id"]
        summary[key] = {k: entry[k] for k in SUMMARY_KEYS if entry.get(k) is not None}
    return summary


def disk_summary(instance: dict[str, Any]) -> dict[str, Any]:
    """``system_disk`` and ``data_disks`` (category and size) of a normalized instance whose disks were read."""
    if instance.get("disks") is None:
        return {}
    disks = instance["disks"]
    system = next(({"category": d.get("category"), "size": d.get("size")} for d in disks if d.get("type") == "system"),
                  None)
    data = [{"category": d.get("category"), "size": d.get("size")} for d in disks if d.get("type") == "data"]
    return {"system_disk": system, "data_disks": data}


def planned_instance(params: dict[str, Any], number: int, status: str) -> dict[str, Any]:
    """What a create of this task makes, as far as the task says (the preview of check and diff mode)."""
    charge = params.get("instance_charge_type") or "PostPaid"
    planned: dict[str, Any] = dict(
        planned_id="new-%d" % number, instance_name=params.get("name"), status=status,
        tags=dict(params.get("tags") or {}), image_id=params.get("image_id"), instance_type=params.get("instance_type"),
        vswitch_id=params.get("vswitch_id"), zone_id=params.get("zone_id"), instance_charge_type=charge,
        security_group_ids=list(params.get("security_group_ids") or []), description=params.get("description"),
        host_name=params.get("host_name"), key_pair_name=params.get("key_pair_name"),
        deletion_protection=params.get("deletion_protection"),
        internet_max_bandwidth_out=params.get("internet_max_bandwidth_out") or 0,
        internet_charge_type=params.get("internet_charge_type"),
    )
    if charge == "PrePaid":
        planned.update(period=params.get("period"), period_unit=params.get("period_unit") or "Month",
                       auto_renew=bool(params.get("auto_renew")))
    system = {k: v for k, v in (params.get("system_disk") or {}).items() if v is not None}
    if system:
        planned["system_disk"] = system
    if params.get("data_disks"):
        planned["data_disks"] = [{k: v for k, v in disk.items() if v is not None} for disk in params["data_disks"]]
    return planned


def predict(plan: Plan, params: dict[str, Any], before: list[dict]) -> list[dict]:
    """The normalized instances as they will be after ``plan`` (check mode, and reads that lag)."""
    after = []
    for instance in before:
        if instance["instance_id"] in plan.delete:
            continue
        after.append(apply_changes(plan, params, dict(instance)))
    status = "Stopped" if plan.state.creates_stopped else "Running"
    for number in range(1, plan.create + 1):
        after.append(planned_instance(params, number, status))
    return after


def reflects(plan: Plan, params: dict[str, Any], instance: dict[str, Any]) -> bool:
    """Whether a DescribeInstances entry already shows every attribute, tag, charge and in-place change of
    ``plan``.

    Reads lag behind changes (reference 8.9): the module reads until they show, so that what it returns,
    and what the next task reads, is what it did.  Password, user data, disks and auto-renewal are not in
    DescribeInstances.
    """
    instance_id = instance["InstanceId"]
    readable = {"InstanceName": "InstanceName", "Description": "Description", "HostName": "HostName",
                "DeletionProtection": "DeletionProtection"}
    for api, value in plan.modify.get(instance_id, {}).items():
        if api in readable and instance.get(readable[api]) != value:
            return False
        groups = instance.get("SecurityGroupIds", {}).get("SecurityGroupId", [])
        if api == "SecurityGroupIds" and set(groups) != set(value):
            return False
    tags = tags_to_dict(instance.get("Tags"))
    if any(tags.get(k) != v for k, v in plan.tag.get(instance_id, {}).items()):
        return False
    if any(k in tags for k in plan.untag.get(instance_id, [])):
        return False
    if instance_id in plan.charge and instance.get("InstanceChargeType") != params["instance_charge_type"]:
        return False
    if instance_id in plan.spec and instance.get("InstanceType") != plan.spec[instance_id]["InstanceType"]:
        return False
    network = plan.network.get(instance_id, {})
    if "InternetMaxBandwidthOut" in network and instance.get("InternetMaxBandwidthOut") != network["InternetMaxBandwidthOut"]:
        return False
    if "NetworkChargeType" in network and instance.get("InternetChargeType") != network["NetworkChargeType"]:
        return False
    if instance_id in plan.rebuild and instance.get("ImageId") != plan.rebuild[instance_id]["ImageId"]:
        return False
    if instance_id in plan.renew and instance.get("ExpiredTime") == plan.renew[instance_id]["ExpiredTime"]:
        return False
    return True


def apply_changes(plan: Plan, params: dict[str, Any], instance: dict[str, Any], now: float | None = None) -> dict[str, Any]:
    """A normalized instance with the changes of ``plan`` applied (what check mode predicts, and what a
    read that still lags is overlaid with)."""
    instance_id = instance["instance_id"]
    if instance_id in plan.starting + plan.reboot:
        instance["status"] = "Running"
    if instance_id in plan.stop:
        instance["status"] = "Stopped"
    names = {"InstanceName": "instance_name", "Description": "description", "HostName": "host_name",
             "DeletionProtection": "deletion_protection", "SecurityGroupIds": "security_group_ids"}
    for api, value in plan.modify.get(instance_id, {}).items():
        if api in names:
            instance[names[api]] = value
    tags = dict(instance.get("tags") or {}, **plan.tag.get(instance_id, {}))
    instance["tags"] = {k: v for k, v in tags.items() if k not in plan.untag.get(instance_id, [])}
    if instance_id in plan.charge:
        instance["instance_charge_type"] = params["instance_charge_type"]
    if instance_id in plan.spec:
        instance["instance_type"] = plan.spec[instance_id]["InstanceType"]
    network = plan.network.get(instance_id, {})
    if "InternetMaxBandwidthOut" in network:
        instance["internet_max_bandwidth_out"] = network["InternetMaxBandwidthOut"]
    if "NetworkChargeType" in network:
        instance["internet_charge_type"] = network["NetworkChargeType"]
    if instance_id in plan.rebuild:
        instance["image_id"] = plan.rebuild[instance_id]["ImageId"]
    if "UserData" in plan.modify.get(instance_id, {}):
        instance["user_data_digest"] = user_data_digest(plan.modify[instance_id]["UserData"])
    if instance_id in plan.resize and instance.get("disks") is not None:
        size = plan.resize[instance_id]["NewSize"]
        instance["disks"] = [dict(d, size=size) if d.get("type") == "system" else d for d in instance["disks"]]
    if instance_id in plan.auto_renew:
        wanted = plan.auto_renew[instance_id]
        instance["auto_renew_attribute"] = dict(
            instance.get("auto_renew_attribute") or {}, auto_renew_enabled=wanted["AutoRenew"],
            duration=wanted.get("Duration", 0), period_unit=wanted["PeriodUnit"],
            renewal_status="AutoRenewal" if wanted["AutoRenew"] else "Normal")
    if instance_id in plan.renew:
        renew = plan.renew[instance_id]
        instance["expired_time"] = renewed_expiry(instance, renew["Period"], renew["PeriodUnit"], now or time.time())
    return instance


__all__ = ["TagError"]
