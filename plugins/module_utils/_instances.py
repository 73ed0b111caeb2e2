# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""ecs_instance: find, plan (see _instance_plan), apply, wait, read back.

The contract this implements is written down in docs/ecs_instance.md
("Correct on an eventually consistent ECS").  In short: every create carries a
ClientToken (see _tokens.py) that retries, reruns after a crash or a lost
answer, and concurrent identical runs all compute alike, so the API replays
one create instead of making a second batch; the ids a create returns are
waited for until they are listed (at most ``visibility_timeout``), never taken
for released; ids a replay returns that no longer belong to the identity are
left alone; releases are sent with the next release marker, so the next
create of that name gets fresh tokens.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, Callable

from ansible_collections.alicloud.ecs.plugins.module_utils import _ecs as ecs
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import (
    EcsApiError,
    EcsConfigError,
    EcsError,
    EcsVisibilityError,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._instance_changes import Facts
from ansible_collections.alicloud.ecs.plugins.module_utils._instance_plan import (
    RESULT_IDS,
    STATES,
    Plan,
    TagError,
    apply_changes,
    charge_params,
    compute_plan,
    convert_params,
    creation_errors,
    creation_params,
    group,
    identity,
    predict,
    reflects,
    shape,
    summarize,
    user_data_digest,
    validate,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._retries import is_ambiguous
from ansible_collections.alicloud.ecs.plugins.module_utils._tokens import ReleaseMarkers, create_token, link_token
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import clean_ids, normalize_instances
from ansible_collections.alicloud.ecs.plugins.module_utils._waiters import QUIET, TRANSITIONAL_STATUSES, InstanceWaiter

CONVERGE_ROUNDS = 3
MARKER_ATTEMPTS = 8
MAX_CREATE_ROUNDS = 50
REBOOT_CONFIRM = 2 * QUIET
# After a start or stop that failed without saying whether it was carried out: how long reads may take to
# show the transition before the call is repeated. Repeating it is harmless: an instance the first call did
# move answers IncorrectInstanceStatus, and that gets the whole visibility wait.
AMBIGUOUS_SETTLE = 2 * QUIET
RECHECK_CODES = frozenset({"IncorrectInstanceStatus", "InvalidInstanceId.NotFound"})
NOT_FOUND = "InvalidInstanceId.NotFound"


def ensure_instances(mod: Any) -> dict[str, Any]:
    """Entry point used by the module: returns the result dict or raises EcsError."""
    return InstanceRunner(mod).run()


class InstanceRunner:
    def __init__(self, mod: Any, clock: Callable[[], float] | None = None, sleep: Callable[[float], None] | None = None) -> None:
        self.mod = mod
        try:
            self.params = convert_params(mod.params)
        except TagError as err:
            raise EcsConfigError(str(err), operation="validate the task") from None
        self.spec = STATES[self.params["state"]]
        self.ident = identity(self.params)
        blanks = clean_ids(self.params.get("instance_ids"))[1]
        if blanks:
            mod.warn("instance_ids has %d empty entr%s (a lookup that found nothing?); %s left out" % (
                blanks, "y" if blanks == 1 else "ies", "it was" if blanks == 1 else "they were"))
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.visibility = float(min(self.params["visibility_timeout"], self.params["wait_timeout"]))
        self.done: dict[str, list[str]] = {key: [] for key in RESULT_IDS}
        # The last DescribeInstances entry of every instance not acted on since: the read-back
        # at the end describes only the others (a no-change run makes a single DescribeInstances).
        self.fresh: dict[str, dict] = {}
        # What DescribeInstances does not give, read when the task manages it, by instance id: UserData
        # (compared, never returned), Disks, AutoRenewAttribute (returned with the instance).
        self.extras: dict[str, dict[str, Any]] = {}
        self.facts = Facts()
        # Clock time of the last create, stop, start and reboot call: waits poll on a schedule counted from it.
        self.acted: dict[str, float] = {}
        self.others: list[dict] = []
        self._client: Any = None
        self._waiter: InstanceWaiter | None = None
        self._markers: ReleaseMarkers | None = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = self.mod.client
        return self._client

    @property
    def waiter(self) -> InstanceWaiter:
        if self._waiter is None:
            self._waiter = InstanceWaiter(self.describe, clock=self.clock, sleep=self.sleep)
        return self._waiter

    @property
    def markers(self) -> ReleaseMarkers:
        if self._markers is None:
            self._markers = ReleaseMarkers(self.client)
        return self._markers

    def describe(self, ids: list[str]) -> dict[str, dict]:
        found = ecs.describe_instances_by_ids(self.client, ids)
        self.fresh.update(found)
        return found

    def touched(self, ids: Any) -> None:
        """``ids`` were (or may have been) changed: their last entries are stale."""
        for instance_id in ids:
            self.fresh.pop(instance_id, None)

    # -- run ------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        errors = validate(self.params)
        if errors:
            raise EcsConfigError("; ".join(errors), operation="validate the task")
        if self.ident.by_ids and not self.ident.ids:
            plan, _unused = compute_plan(self.params, [])
            self.warn(plan)
            return self.finish(plan, [], [])
        before = self.find()
        self.gather(before)
        before = self.enrich(before)
        plan, errors = compute_plan(self.params, before, facts=self.facts)
        if self.must_settle(plan, before):
            before = self.enrich(self.settle(before))
            plan, errors = compute_plan(self.params, before, facts=self.facts)
        if plan.create:
            others = self.same_name_others()
            if others:
                plan, errors = compute_plan(self.params, before, others, facts=self.facts)
            errors += ["no instance matches %s; %s" % (self.ident.describe(), e) for e in creation_errors(self.params)]
        if errors:
            raise EcsConfigError("; ".join(errors), operation="plan the change")
        self.warn(plan)
        if self.mod.check_mode:
            return self.check(plan, before)
        try:
            after_ids = self.apply(plan, before)
        except EcsError as err:
            err.changed = any(self.done.values())
            err.partial = dict(self.done)
            raise
        return self.finish(plan, before, self.read_back(after_ids, plan))

    # -- find -----------------------------------------------------------------
    def find(self) -> list[dict]:
        if not self.ident.by_ids:
            members = self.find_identity()
            self.fresh.update((i["InstanceId"], i) for i in members)
            return members
        ids = list(self.ident.ids or ())
        found = self.describe(ids)
        missing = sorted(set(ids) - set(found))
        if missing and self.spec.releases:
            self.mod.warn(
                "instance(s) %s are not listed: already released, or not visible yet (ECS is eventually "
                "consistent); nothing was done for them" % ", ".join(missing)
            )
        elif missing:
            # Not listed is not "does not exist" (reference 8.9): give them the visibility wait.
            try:
                seen = self.waiter.wait(missing, "listed", self.visibility, visibility=self.visibility,
                                        first_delay=min(QUIET, self.visibility))
            except EcsVisibilityError as err:
                raise EcsVisibilityError(
                    "instance(s) %s given in instance_ids are not listed by DescribeInstances after %ss: they may "
                    "not exist in region %s, may not be visible yet (ECS is eventually consistent), or the "
                    "credential may not read them (ecs:DescribeInstances)" % (
                        ", ".join(err.missing), int(self.visibility), self.client.region),
                    missing=err.missing, operation="find instances") from None
            found.update((i, e) for i, e in seen.items() if e is not None)
        return [found[i] for i in ids if i in found]

    def find_identity(self) -> list[dict]:
        """The instances of the identity. One listing by name (the tags are matched here), so the same read
        also gives the instances with the name but other tags, for the warning a create owes about them."""
        found = ecs.describe_instances(self.client, {"InstanceName": self.ident.name},
                                       "find the instances named %s" % self.ident.name)
        # The API treats '*' in InstanceName as a wildcard; identity is the exact name and every tag.
        self.others = [i for i in found if i.get("InstanceName") == self.ident.name and not self.ident.matches(i)]
        return [item for item in found if self.ident.matches(item)]

    def same_name_others(self) -> list[dict]:
        """Instances with the task's name but not all its tags (from the listing that found the identity)."""
        return self.others if self.ident.tags else []

    def gather(self, instances: list[dict]) -> None:
        """Read what the plan compares beyond DescribeInstances, only when the task manages it."""
        if self.spec.releases or not instances:
            return
        ids = [i["InstanceId"] for i in instances]
        params = self.params
        if params.get("user_data") is not None:
            for instance_id in ids:
                self.set_user_data(instance_id, ecs.describe_user_data(self.client, instance_id))
        if self.manages_disks():
            for instance_id in ids:
                self.extras.setdefault(instance_id, {})["Disks"] = ecs.describe_disks(self.client, instance_id)
        charges = {i["InstanceId"]: params.get("instance_charge_type") or i.get("InstanceChargeType") for i in instances}
        subscriptions = [i for i in ids if charges[i] == "PrePaid"]
        if subscriptions and (params.get("auto_renew") is not None or params.get("auto_renew_period") is not None):
            found = ecs.describe_auto_renew(self.client, subscriptions)
            for instance_id, attribute in found.items():
                self.extras.setdefault(instance_id, {})["AutoRenewAttribute"] = attribute
        wanted_type = params.get("instance_type")
        other_types = {str(i.get("InstanceType")) for i in instances
                       if charges[i["InstanceId"]] == "PrePaid" and wanted_type and i.get("InstanceType") != wanted_type}
        if wanted_type and other_types:
            # Whether a subscription type change is an upgrade or a downgrade (which needs Stopped).
            self.facts.instance_types = ecs.describe_instance_types(self.client, sorted(other_types | {wanted_type}))

    def set_user_data(self, instance_id: str, encoded: str) -> None:
        # Compared as it is; shown in diffs only as a digest (it may hold secrets), never returned.
        self.extras.setdefault(instance_id, {}).update(UserData=encoded, UserDataDigest=user_data_digest(encoded))

    def manages_disks(self) -> bool:
        params = self.params
        return bool(params.get("system_disk") or params.get("data_disks") is not None
                    or (params.get("rebuild") and params.get("image_id")))

    def enrich(self, instances: list[dict]) -> list[dict]:
        """DescribeInstances entries with their extras (user data, disks, auto-renewal) attached."""
        return [dict(i, **self.extras[i["InstanceId"]]) if i["InstanceId"] in self.extras else i for i in instances]

    def must_settle(self, plan: Plan, instances: list[dict]) -> bool:
        """Acting on a transitional instance waits first; present leaves untouched ones alone."""
        busy = {i["InstanceId"] for i in instances if i.get("Status") in TRANSITIONAL_STATUSES}
        if not busy:
            return False
        if self.spec.name != "present" or plan.delete:
            return True
        return bool(busy & set(plan.modified_ids))

    def settle(self, instances: list[dict]) -> list[dict]:
        """Wait until no instance is Pending/Starting/Stopping; for a release, released ones drop out."""
        busy = [i["InstanceId"] for i in instances if i.get("Status") in TRANSITIONAL_STATUSES]
        seen = self.waiter.wait(busy, "settled", self.params["wait_timeout"], visibility=self.visibility,
                                missing_ok=self.spec.releases, first_delay=min(QUIET, self.visibility))
        settled = [seen.get(i["InstanceId"], i) if i["InstanceId"] in seen else i for i in instances]
        return [i for i in settled if i is not None]

    # -- apply ----------------------------------------------------------------
    def apply(self, plan: Plan, before: list[dict]) -> list[str]:
        """Release, create, stop, change, start, reboot, wait: in that order, so that a change that needs
        a Stopped instance finds it stopped and a started instance starts with its changes made."""
        self.release(plan)
        kept = [i["InstanceId"] for i in before if i["InstanceId"] not in plan.delete]
        members = self.create(plan.create, kept) if plan.create else kept
        self.stop_phase(plan)
        self.update(plan)
        self.start_phase(plan)
        self.touched(plan.touched)
        # New members: created by this run, or by the earlier run whose create this one found.
        self.wait_for_targets([i for i in members if i not in kept], plan)
        return members

    # -- release --------------------------------------------------------------
    def release(self, plan: Plan) -> None:
        if not plan.delete:
            return
        for instance_id in plan.unprotect:
            ecs.modify_instance_attribute(self.client, instance_id, {"DeletionProtection": False})
        if plan.unsubscribe:
            ecs.modify_instance_charge_type(self.client, plan.unsubscribe, {"InstanceChargeType": "PostPaid"})
            self.done["modified_ids"] = sorted(plan.unsubscribe)
        gone: list[str] = []
        if plan.stop_before_delete:
            gone += self.converge(self.stop_call, plan.stop_before_delete, "Running", "stopped")
            left = [i for i in plan.stop_before_delete if i not in gone]
            if left:
                seen = self.waiter.wait(left, "stopped", self.params["wait_timeout"], missing_ok=True,
                                        first_delay=min(QUIET, self.params["wait_timeout"]))
                gone += [i for i, entry in seen.items() if entry is None]
        names = {i: (self.fresh.get(i) or {}).get("InstanceName") or self.ident.name or "" for i in plan.delete}
        for name in sorted(set(names.values())):
            ids = sorted(i for i in plan.delete if names[i] == name and i not in gone)
            for batch in ecs.batches(ids, ecs.ID_BATCH):
                gone += self.delete_batch(name, batch, terminate=bool(set(batch) & set(plan.terminate)))
        self.touched(plan.delete)
        released = [i for i in plan.delete if i not in gone]
        self.done["deleted_ids"] = released
        if gone:
            self.confirm_gone(sorted(set(gone)))
        if self.params["wait"] and released:
            self.waiter.wait(released, "absent", self.params["wait_timeout"], first_delay=0.0)

    def delete_batch(self, name: str, batch: list[str], terminate: bool = False) -> list[str]:
        """Release ``batch`` with the next release marker of ``name``; returns the ids that were already gone.

        ``terminate``: the batch holds expired subscriptions (TerminateSubscription releases them)."""
        force = bool(self.params.get("force_release"))
        for _attempt in range(MARKER_ATTEMPTS):
            token = self.markers.next_release_token(name)
            if not self.markers.readable:
                # Markers cannot be read (no permission, or a read kept failing): release anyway, with a
                # token of this call only; the next create may then replay these ids and fail safely.
                token = "ansdel-" + uuid.uuid4().hex
            try:
                ecs.delete_instances(self.client, batch, force, token, terminate)
            except EcsApiError as err:
                if err.code == "IdempotentParameterMismatch":
                    self.markers.forget(name)  # another run's release took this marker meanwhile: read again
                    continue
                if err.code != NOT_FOUND:
                    raise
                if len(batch) == 1:
                    return list(batch)
                # All or nothing: find out one by one which ones are already gone.
                return [i for one in batch for i in self.delete_batch(name, [one], terminate)]
            self.markers.advance(name)
            return []
        raise EcsError("every release marker of %s was taken by concurrent releases" % name, operation="release instances")

    def confirm_gone(self, ids: list[str]) -> None:
        """A not-found answer to a release is success once a read no longer lists them (8.9)."""
        self.waiter.wait(ids, "absent", self.visibility, first_delay=0.0)

    # -- create ---------------------------------------------------------------
    def create(self, missing: int, existing: list[str]) -> list[str]:
        """Create until the identity has ``len(existing) + missing`` instances; returns all of them.

        ``done["created_ids"]`` gets the ones this run's creates returned (a replay's included)."""
        stopped = self.spec.creates_stopped
        action = "CreateInstance" if stopped else "RunInstances"
        api = creation_params(self.params, stopped)
        count = len(existing) + missing
        batch = 1 if stopped else ecs.ID_BATCH
        known = list(existing)
        created: list[str] = []
        link: str | None = None
        rounds = 0
        generation = self.markers.generation(self.ident.name or "")
        while len(known) < count:
            rounds += 1
            if rounds > MAX_CREATE_ROUNDS:
                raise EcsError("%d rounds of ClientToken replays did not reach count %d" % (MAX_CREATE_ROUNDS, count),
                               operation="create instances")
            calls: list[tuple[str, list[str]]] = []
            slot = len(known)
            mismatch = None
            while slot < count:
                amount = min(batch, count - slot)
                token = create_token(self.client.region, self.ident.name or "", self.ident.tags, action, slot, amount,
                                     generation, shape(api), self.params.get("client_token_seed"),
                                     link if not calls else None)
                try:
                    ids = self.create_call(action, api, amount, token)
                except EcsApiError as err:
                    if err.code != "IdempotentParameterMismatch":
                        raise
                    mismatch = (slot, amount, token)
                    break
                calls.append((token, ids))
                # Reported as created if the run fails before they are classified (they may be ours).
                self.done["created_ids"] = created + [i for _t, call_ids in calls for i in call_ids if i not in known]
                slot += amount
            returned = [i for _token, ids in calls for i in ids]
            seen = self.wait_listed(returned) if returned else {}
            mine = [i for i in returned if i not in known and self.ident.matches(seen[i])]
            foreign = sorted(set(returned) - set(mine) - set(known))
            self.done["created_ids"] = created + mine
            if stopped:
                self.join_extra_groups(mine)
            created += mine
            known += mine
            if mismatch is not None:
                known = self.wait_for_earlier_create(*mismatch, count=count, known=known)
                link = None
            elif mine:
                link = None
            elif calls:
                # No progress: every instance these tokens gave back left the identity (renamed, retagged).
                link = link_token(calls[0][0], foreign or sorted(set(returned)))
        return known

    def create_call(self, action: str, api: dict[str, Any], amount: int, token: str | None, dry_run: bool = False) -> list[str]:
        secrets = {"Password": self.params["password"]} if self.params.get("password") else {}
        # The password is sent but kept out of the token, so it never shapes anything visible.
        if action == "CreateInstance":
            return ecs.create_instance(self.client, dict(api, **secrets), token, dry_run)
        return ecs.run_instances(self.client, dict(api, Amount=amount, **secrets), token, dry_run)

    def wait_listed(self, ids: list[str]) -> dict[str, dict]:
        """Entries of ids the API just returned, once all are listed (8.9: never "not listed = released").

        The first read comes QUIET seconds after the create (a read right after it would only show Pending),
        and it is also the first poll of the wait for the target status."""
        self.acted["create"] = self.clock()
        try:
            seen = self.waiter.wait(ids, "listed", self.visibility, visibility=self.visibility,
                                    first_delay=min(QUIET, self.visibility), since=self.acted["create"])
        except EcsVisibilityError as err:
            err.operation = "confirm that the instances created are listed"
            err.message = "the create returned %s; %s" % (ecs.ids_text(sorted(ids)), err.message)
            raise
        return {i: e for i, e in seen.items() if e is not None}

    def wait_for_earlier_create(self, slot: int, amount: int, token: str, count: int, known: list[str]) -> list[str]:
        """IdempotentParameterMismatch: this ClientToken was already used by a create with other parameters
        (another password, description ...).  Its instances exist (or existed): wait until the identity lists
        them instead of creating a second batch."""
        wanted = min(count, slot + amount)
        deadline = self.clock() + self.visibility
        listing = known
        while True:
            listing = [i["InstanceId"] for i in self.find_identity()]
            if len(listing) >= wanted or self.clock() >= deadline:
                break
            self.sleep(max(0.0, min(2.0, deadline - self.clock())))
        if len(listing) < wanted:
            raise EcsVisibilityError(
                "the ClientToken %s of this create was already used by an earlier create of the same task with other "
                "parameters (for example another password); its instances are still not listed after %ss (%d of %d "
                "listed). ECS is eventually consistent: they may not have propagated yet (run the task again later), "
                "the credential may not read them (ecs:DescribeInstances), or they left the identity (renamed, "
                "retagged) or were released outside alicloud.ecs -- then set client_token_seed to a new value to "
                "start new tokens. Nothing more was created" % (token, int(self.visibility), len(listing), wanted),
                missing=[], operation="create instances")
        return listing

    def join_extra_groups(self, ids: list[str]) -> None:
        # CreateInstance takes one security group; the others are set right after (only on this task's instances).
        groups = self.params.get("security_group_ids") or []
        for instance_id in ids if len(groups) > 1 else []:
            ecs.modify_instance_attribute(self.client, instance_id, {"SecurityGroupIds": list(groups)})
            self.touched([instance_id])

    # -- update, transition, wait ---------------------------------------------
    def stop_phase(self, plan: Plan) -> None:
        """Stop what the state stops and what a change needs stopped; wait for the latter to be Stopped."""
        if plan.stopping:
            self.converge(self.stop_call, plan.stopping, "Running", "stopped")
            self.acted["stop"] = self.clock()
            self.done["stopped_ids"] = plan.stopping
        waiting = sorted(set(plan.needs_stopped) & set(plan.stopping))
        if waiting:
            self.touched(waiting)
            self.waiter.wait(waiting, "stopped", self.params["wait_timeout"], visibility=self.visibility,
                             first_delay=min(QUIET, self.params["wait_timeout"]), since=self.acted.get("stop"))

    def update(self, plan: Plan) -> None:
        """Attributes, tags, charge type, then the in-place changes (reference: docs/ecs_instance.md)."""
        for instance_id, changes in sorted(plan.modify.items()):
            ecs.modify_instance_attribute(self.client, instance_id, changes)
            if "UserData" in changes:
                self.set_user_data(instance_id, changes["UserData"])
        for tags, ids in group(plan.tag).items():
            ecs.tag_resources(self.client, ids, dict(tags))
        for keys, ids in group(plan.untag).items():
            ecs.untag_resources(self.client, ids, list(keys))
        if plan.charge:
            ecs.modify_instance_charge_type(self.client, plan.charge, charge_params(self.params))
        done = set(self.done["modified_ids"]) | set(plan.modify) | set(plan.tag) | set(plan.untag) | set(plan.charge)
        self.done["modified_ids"] = sorted(done)
        # A renewal first: an expired subscription accepts no other change.
        for instance_id, renew in sorted(plan.renew.items()):
            token = ecs.make_token("ansrnw", instance_id, renew["ExpiredTime"], renew["Period"], renew["PeriodUnit"])
            ecs.renew_instance(self.client, instance_id, renew["Period"], renew["PeriodUnit"], token)
            self.mark_modified(instance_id)
        for attribute, ids in group(plan.auto_renew).items():
            ecs.modify_auto_renew(self.client, ids, dict(attribute))
            for instance_id in ids:
                self.mark_modified(instance_id)
        for instance_id, change in sorted(plan.spec.items()):
            self.change_type(instance_id, change)
        for instance_id, network in sorted(plan.network.items()):
            ecs.modify_instance_network_spec(self.client, instance_id, {k: v for k, v in network.items() if k != "From"})
            self.mark_modified(instance_id)
        for instance_id, resize in sorted(plan.resize.items()):
            ecs.resize_disk(self.client, resize["DiskId"], resize["NewSize"], resize["Type"])
            self.mark_modified(instance_id)
        for instance_id, rebuild in sorted(plan.rebuild.items()):
            self.replace_system_disk(instance_id, rebuild)

    def mark_modified(self, instance_id: str) -> None:
        self.done["modified_ids"] = sorted(set(self.done["modified_ids"]) | {instance_id})
        self.touched([instance_id])

    def change_type(self, instance_id: str, change: dict[str, Any]) -> None:
        if change["action"] == "ModifyInstanceSpec":
            ecs.modify_instance_spec(self.client, instance_id, change["InstanceType"])
            self.mark_modified(instance_id)
            return
        try:
            ecs.modify_prepay_instance_spec(self.client, instance_id, change["InstanceType"], change["OperatorType"])
        except EcsApiError as err:
            # Same size, or more of one and less of the other: ECS decides by price, and says so.
            if not change.get("Ambiguous") or err.code != "InvalidParameter" or "OperatorType" not in err.message:
                raise
            status = (self.fresh.get(instance_id) or {}).get("Status")
            if status not in (None, "Stopped") and instance_id not in self.done["stopped_ids"]:
                raise EcsConfigError(
                    "ECS treats the change of %s from %s to %s as a downgrade (%s: %s), and a subscription is "
                    "downgraded only while Stopped; set allow_stop: true to let the module stop it and start it "
                    "again, or stop it first (state: stopped)" % (
                        instance_id, change["From"], change["InstanceType"], err.code, err.message),
                    operation="change the instance type of %s" % instance_id) from None
            ecs.modify_prepay_instance_spec(self.client, instance_id, change["InstanceType"], "downgrade")
        self.mark_modified(instance_id)

    def replace_system_disk(self, instance_id: str, rebuild: dict[str, Any]) -> None:
        api = {k: v for k, v in rebuild.items() if k not in ("From", "SystemDiskId")}
        if self.params.get("password"):
            api["Password"] = self.params["password"]
        if self.params.get("key_pair_name"):
            api["KeyPairName"] = self.params["key_pair_name"]
        # Derived from the disk being replaced: a repeat after a lost answer replays, a later rebuild is new.
        token = ecs.make_token("ansrbd", instance_id, rebuild["SystemDiskId"], rebuild["ImageId"])
        ecs.replace_system_disk(self.client, instance_id, api, token)
        self.mark_modified(instance_id)

    def start_phase(self, plan: Plan) -> None:
        """Start what the state starts and what was stopped for a change; then reboot."""
        starting = plan.starting
        # An asynchronous subscription type change must have landed before the start makes it take effect.
        landing = sorted(i for i in starting if (plan.spec.get(i) or {}).get("action") == "ModifyPrepayInstanceSpec")
        if landing:
            self.touched(landing)
            self.waiter.wait(landing, "listed", self.params["wait_timeout"], visibility=self.visibility,
                             first_delay=min(QUIET, self.params["wait_timeout"]),
                             predicate=lambda entry: entry.get("InstanceType") == plan.spec[entry["InstanceId"]]["InstanceType"])
        if starting:
            self.converge(lambda ids: ecs.start_instances(self.client, ids), starting, "Stopped", "running")
            self.acted["start"] = self.clock()
        if plan.reboot:
            ecs.reboot_instances(self.client, plan.reboot, bool(self.params.get("force_stop")))
            self.acted["reboot"] = self.clock()
        self.done[plan.state.started_key] = sorted(starting + plan.reboot)

    def stop_call(self, ids: list[str]) -> None:
        ecs.stop_instances(self.client, ids, bool(self.params.get("force_stop")), self.params.get("stopped_mode"))

    def converge(self, call: Callable[[list[str]], None], ids: list[str], source: str, target: str) -> list[str]:
        """Call; after an ambiguous failure, or a state changed meanwhile (IncorrectInstanceStatus, or a
        read that lagged behind), re-read and repeat only for instances still in ``source``.  Returns the
        ids that turned out not to exist any more (not found by the call, not listed by a read)."""
        remaining = list(ids)
        gone: list[str] = []
        for attempt in range(CONVERGE_ROUNDS):
            try:
                call(remaining)
                return gone
            except EcsApiError as err:
                ambiguous = is_ambiguous(err.code, err.http_status) and err.code not in RECHECK_CODES
                if not (ambiguous or err.code in RECHECK_CODES) or attempt == CONVERGE_ROUNDS - 1:
                    raise
                if err.code == NOT_FOUND:
                    gone += self.not_found_among(call, remaining)
                    remaining = [i for i in remaining if i not in gone]
                    if not remaining:
                        return gone
            # Someone else (or our own earlier call) moved them: wait until they are at the target, or
            # have settled elsewhere; a read that still shows the source state may lag (8.9), so it gets
            # the visibility wait before the call is repeated. After an ambiguous failure only a short one:
            # if the call was carried out, its repetition answers IncorrectInstanceStatus.
            found = self._settle_for(remaining, source, target, AMBIGUOUS_SETTLE if ambiguous else None)
            remaining = [i for i in remaining if (found.get(i) or {}).get("Status") == source]
            if not remaining:
                return gone
        return gone

    def not_found_among(self, call: Callable[[list[str]], None], ids: list[str]) -> list[str]:
        """After a batch answered not-found: call one by one; the ids still not found are gone."""
        gone = []
        for instance_id in ids if len(ids) > 1 else []:
            try:
                call([instance_id])
            except EcsApiError as err:
                if err.code != NOT_FOUND:
                    raise
                gone.append(instance_id)
        return gone if len(ids) > 1 else list(ids)

    def _settle_for(self, ids: list[str], source: str, target: str, window: float | None = None) -> dict[str, dict | None]:
        def arrived(entry: dict) -> bool:
            status = entry.get("Status")
            return status == target.capitalize() or (status not in TRANSITIONAL_STATUSES and status != source)

        timeout = min(self.visibility, self.params["wait_timeout"], window if window is not None else self.visibility)
        try:
            return self.waiter.wait(ids, target, timeout, predicate=arrived, missing_ok=True,
                                    first_delay=min(QUIET, timeout))
        except EcsError:
            return {i: self.fresh.get(i) for i in ids}

    def wait_for_targets(self, created: list[str], plan: Plan) -> None:
        if not self.params["wait"]:
            return
        if plan.reboot:
            self.wait_for_reboot(plan.reboot)
        running = ([] if plan.state.creates_stopped else created) + plan.starting
        stopped = (created if plan.state.creates_stopped else []) + [i for i in plan.stop if i not in plan.starting]
        for target, ids, actions in (("running", running, ("create", "start")), ("stopped", stopped, ("create", "stop"))):
            if not ids:
                continue
            # The read that confirmed the new instances are listed is the wait's first poll for them; the
            # schedule counts from the earliest action waited for.
            seen: dict[str, dict | None] | None = {i: self.fresh[i] for i in ids if i in created and i in self.fresh}
            times = [self.acted[a] for a in actions if a in self.acted]
            self.waiter.wait(ids, target, self.params["wait_timeout"], visibility=self.visibility, seen=seen or None,
                             first_delay=min(QUIET, self.params["wait_timeout"]), since=min(times) if times else None)

    def wait_for_reboot(self, ids: list[str]) -> None:
        """A reboot goes Running -> Starting -> Running, so a read that lags behind it (8.9) still shows
        Running: an instance counts as back only once a read showed it leave Running, or after
        REBOOT_CONFIRM seconds in which no read did (a reboot too quick to be seen)."""
        start = self.acted.get("reboot", self.clock())
        left: set[str] = set()

        def back(entry: dict) -> bool:
            if entry.get("Status") != "Running":
                left.add(entry["InstanceId"])
                return False
            return entry["InstanceId"] in left or self.clock() - start >= REBOOT_CONFIRM

        self.waiter.wait(ids, "running", self.params["wait_timeout"], visibility=self.visibility, predicate=back,
                         first_delay=min(QUIET, self.params["wait_timeout"]), since=self.acted.get("reboot"))

    def read_back(self, ids: list[str], plan: Plan) -> list[dict]:
        """The instances after the run: entries seen since the last change, the others described again.

        Reads lag behind changes (8.9): with ``wait``, modified instances are read until they show this
        run's changes (at most ``visibility_timeout``), so that the result, and the next task's read, is
        what the run did; changes a read still does not show are overlaid on it."""
        stale = [i for i in ids if (self.fresh.get(i) or {}).get("Status", "Pending") in TRANSITIONAL_STATUSES
                 or i not in self.fresh]
        modified = [i for i in plan.modified_ids if i in ids]
        if modified and self.params["wait"]:
            try:
                self.waiter.wait(modified, "listed", self.visibility, visibility=self.visibility,
                                 predicate=lambda entry: reflects(plan, self.params, entry))
            except EcsError:
                pass  # still lagging: the overlay below reports what the run did
            stale = [i for i in stale if i not in modified]
        if stale:
            self.describe(stale)
        self.refresh_extras([i for i in ids if i in self.fresh], plan)
        lagging = {i for i in plan.modified_ids if i in self.fresh and not reflects(plan, self.params, self.fresh[i])}
        after = normalize_instances(self.enrich([self.fresh[i] for i in ids if i in self.fresh]))
        return [apply_changes(plan, self.params, i, self.facts.now) if i["instance_id"] in lagging else i for i in after]

    def refresh_extras(self, ids: list[str], plan: Plan) -> None:
        """Disks and auto-renewal of the result, read again where this run changed them or created the instance."""
        changed_disks = [i for i in ids if self.manages_disks() and (
            i not in self.extras or "Disks" not in self.extras[i] or i in plan.resize or i in plan.rebuild)]
        for instance_id in changed_disks:
            self.extras.setdefault(instance_id, {})["Disks"] = ecs.describe_disks(self.client, instance_id)
        if self.params.get("auto_renew") is None and self.params.get("auto_renew_period") is None:
            return
        subscriptions = [i for i in ids if self.fresh[i].get("InstanceChargeType") == "PrePaid" and (
            i in plan.auto_renew or "AutoRenewAttribute" not in self.extras.get(i, {}))]
        if subscriptions:
            for instance_id, attribute in ecs.describe_auto_renew(self.client, subscriptions).items():
                self.extras.setdefault(instance_id, {})["AutoRenewAttribute"] = attribute

    # -- results --------------------------------------------------------------
    def check(self, plan: Plan, before: list[dict]) -> dict[str, Any]:
        if plan.create:
            stopped = plan.state.creates_stopped
            api = creation_params(self.params, stopped)
            self.create_call("CreateInstance" if stopped else "RunInstances", api, min(plan.create, ecs.ID_BATCH),
                             None, dry_run=True)
        self.done.update(plan.planned_ids())
        return self.finish(plan, before, predict(plan, self.params, normalize_instances(before)))

    def warn(self, plan: Plan) -> None:
        for warning in plan.warnings:
            self.mod.warn(warning)

    def finish(self, plan: Plan, before: list[dict], after: list[dict]) -> dict[str, Any]:
        real = [i for i in after if i.get("instance_id")]
        # In check mode the plan says what would change; otherwise what this run did.
        changed = plan.changed if self.mod.check_mode else plan.state.always_changed or any(self.done.values())
        result: dict[str, Any] = dict(changed=changed, instances=real, instance_ids=[i["instance_id"] for i in real])
        result.update((key, sorted(ids)) for key, ids in self.done.items())
        if self.mod.module._diff:
            result["diff"] = {"before": summarize(normalize_instances(before)), "after": summarize(after)}
        return result
