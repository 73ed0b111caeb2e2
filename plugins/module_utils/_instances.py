# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""ecs_instance: find, plan (see _instance_plan), apply, wait, read back.

Crash safety: every create carries a ClientToken derived from the identity, the
wanted parameters, the instances that already matched and the batch; a rerun
after a crash or a lost response either finds the instances (the matched set
changed, nothing to create) or replays the same token (the API returns the
same ids).  Releases carry a token derived from the ids.  Start/stop have no
token: after an ambiguous failure the state is re-read and only what is still
needed is repeated.
"""

from __future__ import annotations

import time
from typing import Any

from ansible_collections.alicloud.ecs.plugins.module_utils import _ecs as ecs
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError, EcsConfigError, EcsError
from ansible_collections.alicloud.ecs.plugins.module_utils._instance_plan import (
    Plan,
    compute_plan,
    creation_errors,
    creation_params,
    creation_token,
    identity_tags,
    run_batches,
    validate,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._retries import is_ambiguous
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import normalize_instances
from ansible_collections.alicloud.ecs.plugins.module_utils._waiters import TRANSITIONAL_STATUSES, InstanceWaiter

MAX_TOKEN_GENERATIONS = 10
STALE_GRACE = 3.0  # seconds a replayed id may take to become visible before it counts as released
CONVERGE_ROUNDS = 3
RECHECK_CODES = frozenset({"IncorrectInstanceStatus", "InvalidInstanceId.NotFound"})
SUMMARY_KEYS = (
    "instance_name",
    "status",
    "description",
    "host_name",
    "tags",
    "security_group_ids",
    "deletion_protection",
    "instance_charge_type",
)
RESULT_IDS = ("created_ids", "deleted_ids", "modified_ids", "restarted_ids", "started_ids", "stopped_ids")


def ensure_instances(mod: Any) -> dict[str, Any]:
    """Entry point used by the module: returns the result dict or raises EcsError."""
    return InstanceRunner(mod).run()


class InstanceRunner:
    def __init__(self, mod: Any, clock: Any = None, sleep: Any = None) -> None:
        self.mod = mod
        self.params = mod.params
        self.client = mod.client
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.waiter = InstanceWaiter(self.describe, clock=self.clock, sleep=self.sleep)
        self.done: dict[str, list[str]] = {key: [] for key in RESULT_IDS}
        # The last DescribeInstances entry of every instance not acted on since: the read-back
        # at the end describes only the others (a no-change run makes a single DescribeInstances).
        self.fresh: dict[str, dict] = {}

    def describe(self, ids: list[str]) -> dict[str, dict]:
        found = ecs.describe_instances_by_ids(self.client, ids)
        self.fresh.update(found)
        return found

    def touched(self, ids: Any) -> None:
        """``ids`` were (or may have been) changed: their last entries are stale."""
        for instance_id in ids:
            self.fresh.pop(instance_id, None)

    # -- find ---------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        errors = validate(self.params)
        if errors:
            raise EcsConfigError("; ".join(errors), operation="validate the task")
        before = self.with_user_data(self.find())
        plan, errors = compute_plan(self.params, before)
        if self.must_settle(plan, before):
            before = self.settle(before)
            plan, errors = compute_plan(self.params, before)
        errors += creation_errors(self.params) if plan.create else []
        if errors:
            raise EcsConfigError("; ".join(errors), operation="plan the change")
        for warning in plan.warnings:
            self.mod.warn(warning)
        if self.mod.check_mode:
            return self.check(plan, before)
        try:
            after_ids = self.apply(plan, before)
        except EcsError as err:
            err.changed = any(self.done.values())  # type: ignore[attr-defined]
            err.partial = dict(self.done)  # type: ignore[attr-defined]
            raise
        return self.result(plan, before, self.read_back(after_ids))

    def find(self) -> list[dict]:
        ids = self.params.get("instance_ids")
        if not ids:
            named = ecs.describe_instances(self.client, self.params["name"], identity_tags(self.params))
            self.fresh.update((i["InstanceId"], i) for i in named)
            return named
        found = self.describe(ids)
        missing = sorted(set(ids) - set(found))
        if missing and self.params["state"] != "absent":
            raise EcsConfigError("instance(s) not found: %s" % ", ".join(missing), operation="find instances")
        return list(found.values())

    def with_user_data(self, instances: list[dict]) -> list[dict]:
        """Attach ``UserData`` (not in DescribeInstances) when the task manages it; never returned."""
        if self.params.get("user_data") is None or self.params["state"] == "absent":
            return instances
        return [dict(i, UserData=ecs.describe_user_data(self.client, i["InstanceId"])) for i in instances]

    def must_settle(self, plan: Plan, instances: list[dict]) -> bool:
        """Acting on a transitional instance waits first; present leaves untouched ones alone."""
        busy = {i["InstanceId"] for i in instances if i.get("Status") in TRANSITIONAL_STATUSES}
        if not busy:
            return False
        if self.params["state"] != "present" or plan.delete:
            return True
        return bool(busy & (set(plan.modify) | set(plan.tag) | set(plan.untag) | set(plan.charge)))

    def settle(self, instances: list[dict]) -> list[dict]:
        """Wait until no instance is Pending/Starting/Stopping; released ones drop out."""
        busy = [i["InstanceId"] for i in instances if i.get("Status") in TRANSITIONAL_STATUSES]
        seen = self.waiter.wait(busy, "settled", self.params["wait_timeout"])
        settled = [seen.get(i["InstanceId"], i) for i in instances]
        return [i for i in settled if i is not None]

    # -- apply --------------------------------------------------------------
    def apply(self, plan: Plan, before: list[dict]) -> list[str]:
        self.release(plan)
        kept = [i["InstanceId"] for i in before if i["InstanceId"] not in plan.delete]
        created = self.create(plan.create, kept) if plan.create else []
        self.update(plan)
        self.transition(plan)
        self.touched(created + plan.start + plan.stop + plan.reboot + list(plan.modify) + list(plan.tag)
                     + list(plan.untag) + list(plan.charge))
        self.wait_for_targets(created)
        return kept + created

    def release(self, plan: Plan) -> None:
        if not plan.delete:
            return
        for instance_id in plan.unprotect:
            ecs.modify_instance_attribute(self.client, instance_id, {"DeletionProtection": False})
        if plan.unsubscribe:
            ecs.modify_instance_charge_type(self.client, plan.unsubscribe, {"InstanceChargeType": "PostPaid"})
        if plan.stop_before_delete:
            self.converge(self.stop_call, plan.stop_before_delete, "Running")
            self.waiter.wait(plan.stop_before_delete, "stopped", self.params["wait_timeout"])
        ecs.delete_instances(self.client, plan.delete, force=bool(self.params.get("force_release")))
        self.done["deleted_ids"] = list(plan.delete)
        if self.params["wait"]:
            self.waiter.wait(plan.delete, "absent", self.params["wait_timeout"])

    def create(self, missing: int, existing: list[str]) -> list[str]:
        stopped = self.params["state"] == "stopped"
        api = creation_params(self.params, stopped)
        known = list(existing)
        amounts = [1] * missing if stopped else run_batches(missing)
        for amount in amounts:
            ids = self.create_with_token(api, known, amount, self.create_one_call if stopped else self.run_call)
            if stopped:
                self.join_extra_groups(ids)
            self.done["created_ids"].extend(ids)
            known.extend(ids)
        return list(self.done["created_ids"])

    def run_call(self, api: dict[str, Any], amount: int, token: str | None, dry_run: bool = False) -> list[str]:
        return ecs.run_instances(self.client, dict(api, Amount=amount, **self.secrets()), token, dry_run)

    def create_one_call(self, api: dict[str, Any], amount: int, token: str | None, dry_run: bool = False) -> list[str]:
        instance_id = ecs.create_instance(self.client, dict(api, **self.secrets()), token, dry_run)
        return [instance_id] if instance_id else []

    def secrets(self) -> dict[str, str]:
        # The password is sent but kept out of the token, so it never shapes anything visible.
        return {"Password": self.params["password"]} if self.params.get("password") else {}

    def create_with_token(self, api: dict[str, Any], known: list[str], amount: int, call: Any) -> list[str]:
        """Create the instances of the next slots (see creation_token).

        A token whose replay only gives back released or already counted
        instances is replaced by the next one of its chain.
        """
        stale: list[str] = []
        for _generation in range(MAX_TOKEN_GENERATIONS):
            token = creation_token(self.client.region, api, len(known), amount, stale)
            try:
                ids = call(api, amount, token)
            except EcsApiError as err:
                if err.code != "IdempotentParameterMismatch":
                    raise
                stale.append("mismatch-%d" % len(stale))
                continue
            if ids and not set(ids) & set(known) and not self.all_released(ids):
                return ids
            stale.extend(sorted(ids))
        raise EcsError("every ClientToken replayed released instances", operation="create instances")

    def all_released(self, ids: list[str]) -> bool:
        """True when none of ``ids`` shows up within STALE_GRACE seconds."""
        deadline = self.clock() + STALE_GRACE
        while not self.describe(ids):
            if self.clock() >= deadline:
                return True
            self.sleep(0.5)
        return False

    def join_extra_groups(self, ids: list[str]) -> None:
        # CreateInstance takes one security group; the others are set right after.
        groups = self.params.get("security_group_ids") or []
        for instance_id in ids if len(groups) > 1 else []:
            ecs.modify_instance_attribute(self.client, instance_id, {"SecurityGroupIds": list(groups)})

    def update(self, plan: Plan) -> None:
        for instance_id, changes in sorted(plan.modify.items()):
            ecs.modify_instance_attribute(self.client, instance_id, changes)
        for tags, ids in _group(plan.tag).items():
            ecs.tag_resources(self.client, ids, dict(tags))
        for keys, ids in _group(plan.untag).items():
            ecs.untag_resources(self.client, ids, list(keys))
        if plan.charge:
            ecs.modify_instance_charge_type(self.client, plan.charge, charge_params(self.params))
        self.done["modified_ids"] = sorted(set(plan.modify) | set(plan.tag) | set(plan.untag) | set(plan.charge))

    def transition(self, plan: Plan) -> None:
        if plan.stop:
            self.converge(self.stop_call, plan.stop, "Running")
        if plan.start:
            self.converge(lambda ids: ecs.start_instances(self.client, ids), plan.start, "Stopped")
        if plan.reboot:
            ecs.reboot_instances(self.client, plan.reboot, bool(self.params.get("force_stop")))
        self.done["stopped_ids"] = list(plan.stop)
        key = "restarted_ids" if self.params["state"] == "restarted" else "started_ids"
        self.done[key] = sorted(plan.start + plan.reboot)

    def stop_call(self, ids: list[str]) -> None:
        ecs.stop_instances(self.client, ids, bool(self.params.get("force_stop")), self.params.get("stopped_mode"))

    def converge(self, call: Any, ids: list[str], source_status: str) -> None:
        """Call; after an ambiguous failure, or a state changed by someone else meanwhile
        (IncorrectInstanceStatus), re-read, wait out transitions and repeat only for
        instances still in ``source_status``."""
        remaining = list(ids)
        for attempt in range(CONVERGE_ROUNDS):
            try:
                return call(remaining)
            except EcsApiError as err:
                recheck = is_ambiguous(err.code, err.http_status) or err.code in RECHECK_CODES
                if not recheck or attempt == CONVERGE_ROUNDS - 1:
                    raise
            found = self.waiter.wait(remaining, "settled", self.params["wait_timeout"])
            remaining = [i for i in remaining if (found.get(i) or {}).get("Status") == source_status]
            if not remaining:
                return None
        return None

    def wait_for_targets(self, created: list[str]) -> None:
        if not self.params["wait"]:
            return
        stopped_state = self.params["state"] == "stopped"
        running = [] if stopped_state else created
        stopped = created if stopped_state else []
        running = running + self.done["started_ids"] + self.done["restarted_ids"]
        stopped = stopped + self.done["stopped_ids"]
        for target, ids in (("running", running), ("stopped", stopped)):
            if ids:
                self.waiter.wait(ids, target, self.params["wait_timeout"])

    def read_back(self, ids: list[str]) -> list[dict]:
        """The instances after the run: entries seen since the last change, the others described again."""
        stale = [i for i in ids if (self.fresh.get(i) or {}).get("Status", "Pending") in TRANSITIONAL_STATUSES]
        if stale:
            self.describe(stale)
        return normalize_instances([self.fresh[i] for i in ids if i in self.fresh])

    # -- results ------------------------------------------------------------
    def check(self, plan: Plan, before: list[dict]) -> dict[str, Any]:
        if plan.create:
            stopped = self.params["state"] == "stopped"
            api = creation_params(self.params, stopped)
            call = self.create_one_call if stopped else self.run_call
            call(api, min(plan.create, 100), None, dry_run=True)
        predicted = predict(plan, self.params, normalize_instances(before))
        self.done.update(
            deleted_ids=list(plan.delete),
            modified_ids=sorted(set(plan.modify) | set(plan.tag) | set(plan.untag) | set(plan.charge)),
            stopped_ids=list(plan.stop),
            **{"restarted_ids" if self.params["state"] == "restarted" else "started_ids": sorted(plan.start + plan.reboot)},
        )
        return self.result(plan, before, predicted)

    def result(self, plan: Plan, before: list[dict], after: list[dict]) -> dict[str, Any]:
        changed = plan.changed or self.params["state"] == "restarted"
        real = [i for i in after if i.get("instance_id")]
        result: dict[str, Any] = dict(changed=changed, instances=real, instance_ids=[i["instance_id"] for i in real])
        result.update((key, sorted(ids)) for key, ids in self.done.items())
        if self.mod.module._diff:
            result["diff"] = {"before": summarize(normalize_instances(before)), "after": summarize(after)}
        return result


def charge_params(params: dict[str, Any]) -> dict[str, Any]:
    charge: dict[str, Any] = {"InstanceChargeType": params["instance_charge_type"]}
    if params["instance_charge_type"] == "PrePaid":
        charge.update(Period=params.get("period"), PeriodUnit=params.get("period_unit"), AutoPay=True)
    return {key: value for key, value in charge.items() if value is not None}


def _group(changes: dict[str, Any]) -> dict[tuple, list[str]]:
    """Instances that need the same tag change, so one call covers many of them."""
    grouped: dict[tuple, list[str]] = {}
    for instance_id, change in sorted(changes.items()):
        key = tuple(sorted(change.items())) if isinstance(change, dict) else tuple(change)
        grouped.setdefault(key, []).append(instance_id)
    return grouped


def summarize(instances: list[dict]) -> dict[str, dict]:
    """Managed attributes by instance id (planned instances get ``new-N`` keys)."""
    return {i.get("instance_id") or i["planned_id"]: {k: i.get(k) for k in SUMMARY_KEYS} for i in instances}


def predict(plan: Plan, params: dict[str, Any], before: list[dict]) -> list[dict]:
    """The normalized instances as they would be after ``plan`` (check mode)."""
    after = []
    for instance in before:
        if instance["instance_id"] in plan.delete:
            continue
        after.append(_predict_one(plan, params, dict(instance)))
    status = "Stopped" if params["state"] == "stopped" else "Running"
    for number in range(1, plan.create + 1):
        after.append(
            dict(planned_id="new-%d" % number, instance_name=params.get("name"), status=status, tags=dict(params.get("tags") or {}))
        )
    return after


def _predict_one(plan: Plan, params: dict[str, Any], instance: dict[str, Any]) -> dict[str, Any]:
    instance_id = instance["instance_id"]
    if instance_id in plan.start + plan.reboot:
        instance["status"] = "Running"
    if instance_id in plan.stop:
        instance["status"] = "Stopped"
    names = {"InstanceName": "instance_name", "Description": "description", "HostName": "host_name"}
    for api, value in plan.modify.get(instance_id, {}).items():
        key = names.get(api) or {"DeletionProtection": "deletion_protection", "SecurityGroupIds": "security_group_ids"}.get(api)
        if key:
            instance[key] = value
    tags = dict(instance.get("tags") or {}, **plan.tag.get(instance_id, {}))
    instance["tags"] = {k: v for k, v in tags.items() if k not in plan.untag.get(instance_id, [])}
    if instance_id in plan.charge:
        instance["instance_charge_type"] = params["instance_charge_type"]
    return instance
