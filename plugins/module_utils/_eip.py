# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""ecs_public_ip with ``address_type: eip``: an Elastic IP for an instance, allocated at most once.

present: an EIP bound to the instance (by anyone) is the answer; else an EIP this module allocated for the
instance and left unbound (a crashed run) is associated; else one is allocated (AllocateEipAddress) and
associated (AssociateEipAddress), and the run waits until it is InUse.  absent: the bound EIP is unassociated;
with ``release_eip`` the EIPs this module allocated for the instance are released, never others.

Why an EIP is never allocated twice: AllocateEipAddress carries a ClientToken derived from the region, the
instance and a *generation*, so a retry after a lost answer, a rerun after a crash and a concurrent identical
run replay the same allocation even while DescribeEipAddresses does not list it yet (reference 8.9: "not
listed" never means "does not exist").  Every EIP the module allocates carries two tags, the instance id
(OWNER_TAG: that is how ``release_eip`` knows it may release it) and its generation.  Before releasing one,
the module records generation + 1 on the instance (tag GENERATION_TAG), so the next allocation for that
instance uses a new token instead of replaying the released EIP.  Without that record (tag removed,
permission refused, an EIP released by someone else) a replayed EIP that stays unlisted for
``visibility_timeout`` counts as released and the next generation is used: slower, never a second EIP.
"""

from __future__ import annotations

from typing import Any, Callable

from ansible_collections.alicloud.ecs.plugins.module_utils import _ecs as ecs
from ansible_collections.alicloud.ecs.plugins.module_utils import _vpc as vpc
from ansible_collections.alicloud.ecs.plugins.module_utils._client import vpc_client
from ansible_collections.alicloud.ecs.plugins.module_utils._ecs import make_token
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import (
    EcsApiError,
    EcsConfigError,
    EcsError,
    EcsVisibilityError,
    EcsWaitTimeoutError,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._public_ip import (
    PublicIpRunner,
    address_view,
    ecs_addresses,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import (
    normalize_instance,
    snake_key,
    tags_to_dict,
    unwrap_lists,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._waiters import InstanceWaiter, poll_interval

OWNER_TAG = "alicloud-ecs-eip-for"
GENERATION_TAG = "alicloud-ecs-eip-generation"
DESCRIPTION = "Allocated by alicloud.ecs.ecs_public_ip for instance %s"
# The API's defaults (AllocateEipAddress): what an omitted option means, for comparisons and check mode.
DEFAULT_BANDWIDTH = 5
DEFAULT_INTERNET_CHARGE_TYPE = "PayByBandwidth"
# Pay-as-you-go EIP bandwidth ranges by metering method (AllocateEipAddress, Bandwidth).
BANDWIDTH_RANGE = {"PayByBandwidth": (1, 500), "PayByTraffic": (1, 200)}
BOUND = ("Associating", "InUse")
HAS_PUBLIC_IP = (
    "instance %s has the public IP address %s assigned by ECS (AllocatePublicIpAddress, or a bandwidth above 0 "
    "at creation). An instance with such an address cannot get an EIP (AssociateEipAddress would answer "
    "InvalidAssociation.Duplicated), and ECS cannot take the address back: use address_type=public_ip to keep "
    "it, or convert it to an EIP (ConvertNatPublicIpToEip)"
)
EIP_OPTIONS = ("eip_bandwidth", "eip_internet_charge_type")


def eip_token(region: str, instance_id: str, generation: int) -> str:
    """The ClientToken of the generation-th AllocateEipAddress for an instance.

    Only the identity (region, instance, generation), not the EIP options: a rerun with another bandwidth
    after a lost answer replays the same token, and the API answers IdempotentParameterMismatch instead of
    allocating a second EIP.
    """
    return make_token("anseip", region, instance_id, generation)


def generation_of(tags: dict[str, str]) -> int:
    try:
        return max(0, int(tags.get(GENERATION_TAG) or 0))
    except ValueError:
        return 0


def is_module_allocated(eip: dict[str, Any] | None, instance_id: str) -> bool:
    """Whether this module allocated ``eip`` for that instance (its owner tag names the instance)."""
    return bool(eip) and tags_to_dict((eip or {}).get("Tags")).get(OWNER_TAG) == instance_id


def normalize_eip(raw: dict[str, Any] | None, instance_id: str) -> dict[str, Any] | None:
    """One DescribeEipAddresses entry in snake_case, tags as a dict, bandwidth as a number."""
    if not raw:
        return None
    skip = ("Tags", "Descritpion")  # sic: the old response repeats Description with this spelling
    result = {snake_key(key): unwrap_lists(value) for key, value in raw.items() if key not in skip}
    result["tags"] = tags_to_dict(raw.get("Tags"))
    for key in ("bandwidth", "eip_bandwidth"):
        if str(result.get(key) or "").isdigit():
            result[key] = int(result[key])
    result["module_allocated"] = is_module_allocated(raw, instance_id)
    return result


def check_options(params: dict[str, Any]) -> None:
    """Combinations the argument spec cannot express, refused before any API call, naming the option."""
    what = "check the options of ecs_public_ip"
    eip = params.get("address_type") == "eip"
    for name in ("instance_id", "name"):
        if params.get(name) is not None and not str(params[name]).strip():
            raise EcsConfigError(
                "%s is empty (a lookup that found nothing?); give the ID or the name of one instance" % name,
                operation=what)
    if params.get("state") == "absent" and not eip:
        raise EcsConfigError(
            "state=absent needs address_type=eip: ECS has no API to take back a public IP address it assigned "
            "(AllocatePublicIpAddress); it goes away with the instance",
            operation=what,
        )
    if params.get("release_eip") and params.get("state") != "absent":
        raise EcsConfigError("release_eip is only used with state=absent", operation=what)
    for name in EIP_OPTIONS:
        if params.get(name) is not None and not eip:
            raise EcsConfigError("%s is only used with address_type=eip" % name, operation=what)
    bandwidth = params.get("eip_bandwidth")
    metering = params.get("eip_internet_charge_type") or DEFAULT_INTERNET_CHARGE_TYPE
    low, high = BANDWIDTH_RANGE[metering]
    if bandwidth is not None and not low <= bandwidth <= high:
        raise EcsConfigError(
            "eip_bandwidth must be %d to %d Mbit/s with eip_internet_charge_type=%s, got %s" % (low, high, metering, bandwidth),
            operation=what,
        )


class EipRunner(PublicIpRunner):
    """The EIP flows; ``vpc`` (a VpcClient, or a test double) is built from the ECS client when not given."""

    def __init__(
        self,
        mod: Any,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        vpc_client: Any = None,
    ) -> None:
        super().__init__(mod, clock=clock, sleep=sleep)
        self._vpc = vpc_client
        self.eip_waiter = InstanceWaiter(self.describe_eips, clock=self.clock, sleep=self.sleep)
        self.changed = False
        self.partial: dict[str, Any] = {}

    @property
    def vpc(self) -> Any:
        if self._vpc is None:
            self._vpc = vpc_client(self.client, self.params)
        return self._vpc

    @property
    def visibility(self) -> float:
        return min(self.params["visibility_timeout"], self.params["wait_timeout"])

    def run(self) -> dict[str, Any]:
        try:
            return self.present() if self.params["state"] == "present" else self.absent()
        except EcsError as err:
            # The failure reports what this run did before it (an allocation, an association).
            err.changed = err.changed or self.changed
            err.partial = dict(self.partial, **err.partial)
            raise

    # ------------------------------------------------------------------ reading

    def describe_eips(self, ids: list[str]) -> dict[str, dict]:
        return vpc.describe_eips_by_ids(self.vpc, ids)

    def bound_eip(self, instance: dict[str, Any]) -> dict[str, Any] | None:
        """The EIP associated (or associating) with the instance, whoever bound it.

        DescribeEipAddresses is the EIP service's own view and wins when it lists the EIP; an EIP the instance
        shows but DescribeEipAddresses does not list (yet) is taken from the instance's view.
        """
        instance_id = instance["InstanceId"]
        params = {"AssociatedInstanceType": "EcsInstance", "AssociatedInstanceId": instance_id}
        rows = vpc.describe_eip_addresses(self.vpc, params, "find the EIP of instance %s" % instance_id)
        rows = [r for r in rows if r.get("InstanceId") == instance_id and r.get("Status") in BOUND]
        if rows:
            return sorted(rows, key=lambda r: r.get("AllocationId") or "")[0]
        shown = instance.get("EipAddress") or {}
        allocation_id = shown.get("AllocationId")
        if not allocation_id:
            return None
        listed = self.describe_eips([allocation_id]).get(allocation_id)
        if listed is not None:
            return listed if listed.get("InstanceId") == instance_id and listed.get("Status") in BOUND else None
        return {"AllocationId": allocation_id, "IpAddress": shown.get("IpAddress") or "", "Status": "InUse",
                "InstanceId": instance_id, "InstanceType": "EcsInstance"}

    def spares(self, instance_id: str) -> list[dict[str, Any]]:
        """EIPs this module allocated for the instance that are bound to nothing (left by an interrupted run)."""
        params = {"Tag": [{"Key": OWNER_TAG, "Value": instance_id}]}
        rows = vpc.describe_eip_addresses(self.vpc, params, "find the EIPs allocated for instance %s" % instance_id)
        spare = [r for r in rows if is_module_allocated(r, instance_id) and r.get("Status") == "Available"]
        return sorted(spare, key=lambda r: (r.get("AllocationTime") or "", r.get("AllocationId") or ""))

    def reread(self, instance_id: str) -> dict[str, Any] | None:
        return self.describe([instance_id]).get(instance_id)

    # ------------------------------------------------------------------ present

    def present(self) -> dict[str, Any]:
        instance = self.settle(self.find())
        instance_id = instance["InstanceId"]
        bound = self.bound_eip(instance)
        if bound is not None:
            self.warn_on_drift(bound, instance_id)
            if bound.get("Status") == "Associating" and not self.mod.check_mode:
                bound = self.wait_eip(bound["AllocationId"], "InUse")
            return self.eip_result(False, instance, bound, instance, bound.get("IpAddress") or None)
        addresses = ecs_addresses(instance)
        if addresses:
            raise EcsConfigError(HAS_PUBLIC_IP % (instance_id, addresses[0]),
                                 operation="associate an EIP with instance %s" % instance_id)
        spares = self.spares(instance_id)
        if self.mod.check_mode:
            spare = spares[0] if spares else None
            return self.eip_result(True, instance, spare, instance, (spare or {}).get("IpAddress") or None)
        if spares:
            self.warn_on_drift(spares[0], instance_id)
        eip = spares[0] if spares else self.allocate_eip(instance)
        bound = self.associate(eip, instance_id)
        after = self.wait_instance(instance_id, lambda i: (i.get("EipAddress") or {}).get("AllocationId")
                                   == bound["AllocationId"]) or instance
        return self.eip_result(True, instance, bound, after, bound.get("IpAddress") or None)

    def allocate_params(self, instance_id: str, generation: int) -> dict[str, Any]:
        params: dict[str, Any] = {
            "InstanceChargeType": "PostPaid",
            "Bandwidth": self.params.get("eip_bandwidth"),
            "InternetChargeType": self.params.get("eip_internet_charge_type"),
            "Description": DESCRIPTION % instance_id,
            "Tag": [{"Key": OWNER_TAG, "Value": instance_id}, {"Key": GENERATION_TAG, "Value": str(generation)}],
        }
        return {key: value for key, value in params.items() if value is not None}

    def allocate_eip(self, instance: dict[str, Any]) -> dict[str, Any]:
        """The EIP of the current generation's token, listed; generations known to be used up are skipped."""
        instance_id = instance["InstanceId"]
        generation = generation_of(tags_to_dict(instance.get("Tags")))
        deadline = self.clock() + self.params["wait_timeout"]
        what = "allocate an EIP for instance %s" % instance_id
        while True:
            token = eip_token(self.client.region, instance_id, generation)
            answer: dict[str, Any] | None = None
            try:
                answer = vpc.allocate_eip_address(self.vpc, self.allocate_params(instance_id, generation), token, what)
                self.changed = True
                self.partial["allocation_id"] = answer["AllocationId"] or None
            except EcsApiError as err:
                if err.code != "IdempotentParameterMismatch":
                    raise
                # An earlier run used this token with other EIP options: find its EIP instead of a new one.
            found, later = self.await_allocation(instance_id, generation, answer)
            if found is not None:
                return found
            recorded = max(later, generation_of(tags_to_dict(instance.get("Tags"))))
            generation = max(generation + 1, later)
            self.record_generation(instance_id, generation, recorded)  # unless the instance says so already
            if self.clock() >= deadline:
                raise EcsWaitTimeoutError(
                    "no usable EIP for instance %s after %ss: the EIPs its ClientTokens replay are not listed "
                    "(released?). Run the task again later, or raise wait_timeout"
                    % (instance_id, self.params["wait_timeout"]),
                    pending={instance_id: "no EIP"}, operation=what,
                )

    def await_allocation(
        self, instance_id: str, generation: int, answer: dict[str, Any] | None
    ) -> tuple[dict[str, Any] | None, int]:
        """(the allocated EIP once listed, 0), or (None, n) once it counts as used up: n is the later generation
        the instance records (this module released that EIP), 0 when the EIP a replay answered is bound to
        another instance or stays unlisted for visibility_timeout (released by someone else, or its release
        was not recorded)."""
        allocation_id = (answer or {}).get("AllocationId") or None
        start = self.clock()
        while True:
            if allocation_id:
                eip = self.describe_eips([allocation_id]).get(allocation_id)
            else:
                eips = [e for e in self.tagged(instance_id) if generation_of(tags_to_dict(e.get("Tags"))) == generation]
                eip = eips[0] if eips else None
            if eip is not None:
                if eip.get("InstanceId") in ("", None, instance_id):
                    return eip, 0
                return None, 0  # someone bound this EIP to another instance: leave it there
            current = self.reread(instance_id)
            recorded = generation_of(tags_to_dict((current or {}).get("Tags")))
            if recorded > generation:
                return None, recorded
            elapsed = self.clock() - start
            if elapsed >= self.visibility:
                return None, 0
            self.sleep(min(poll_interval(elapsed), max(0.0, self.visibility - elapsed)))

    def tagged(self, instance_id: str) -> list[dict[str, Any]]:
        params = {"Tag": [{"Key": OWNER_TAG, "Value": instance_id}]}
        rows = vpc.describe_eip_addresses(self.vpc, params, "find the EIPs allocated for instance %s" % instance_id)
        return [r for r in rows if is_module_allocated(r, instance_id)]

    def record_generation(self, instance_id: str, generation: int, recorded: int) -> None:
        """Tag the instance with the first generation not used up, so the next allocation skips the ones before.

        Best effort: without the tag the next run finds the same by waiting (see the module docstring)."""
        if generation <= recorded:
            return
        try:
            ecs.tag_resources(self.client, [instance_id], {GENERATION_TAG: str(generation)})
        except EcsApiError as err:
            self.mod.warn(
                "could not tag instance %s with %s=%d (%s: %s); the next EIP allocation for it may wait up to "
                "visibility_timeout" % (instance_id, GENERATION_TAG, generation, err.code, err.message)
            )

    def associate(self, eip: dict[str, Any], instance_id: str) -> dict[str, Any]:
        """Associate ``eip`` (unless it is on its way already) and wait until the instance's EIP is InUse."""
        allocation_id = eip["AllocationId"]
        if not (eip.get("InstanceId") == instance_id and eip.get("Status") in BOUND):
            try:
                vpc.associate_eip_address(self.vpc, allocation_id, instance_id)
                self.changed = True
            except EcsApiError as err:
                if err.code not in ("IncorrectEipStatus", "InvalidAssociation.Duplicated"):
                    raise
                # A concurrent run (or an earlier one whose answer was lost) may have bound an EIP already.
                bound = self.await_bound(instance_id)
                if bound is None:
                    raise
                allocation_id = bound["AllocationId"]
        self.partial["allocation_id"] = allocation_id
        return self.wait_eip(allocation_id, "InUse")

    def await_bound(self, instance_id: str) -> dict[str, Any] | None:
        """The instance's bound EIP, read until it shows (bounded by visibility_timeout), else None."""
        start = self.clock()
        while True:
            instance = self.reread(instance_id)
            bound = self.bound_eip(instance) if instance is not None else None
            elapsed = self.clock() - start
            if bound is not None or elapsed >= self.visibility:
                return bound
            self.sleep(min(poll_interval(elapsed), max(0.0, self.visibility - elapsed)))

    # ------------------------------------------------------------------- absent

    def absent(self) -> dict[str, Any]:
        instance = self.settle(self.find())
        instance_id = instance["InstanceId"]
        bound = self.bound_eip(instance)
        release = bool(self.params["release_eip"])
        releasable = self.spares(instance_id) if release else []
        if bound is not None and release:
            if is_module_allocated(bound, instance_id):
                releasable.insert(0, bound)
            else:
                self.mod.warn("EIP %s of instance %s was not allocated by alicloud.ecs.ecs_public_ip: it is "
                              "unassociated, not released" % (bound["AllocationId"], instance_id))
        address = next(iter(ecs_addresses(instance)), None)
        if bound is None and not releasable:
            return self.eip_result(False, instance, None, instance, address)
        ids = [e["AllocationId"] for e in releasable]
        if self.mod.check_mode:
            kept = bound if bound is not None and bound["AllocationId"] not in ids else None
            return self.eip_result(True, instance, kept, instance, address, released=ids)
        detached = self.unassociate(bound, instance_id) if bound is not None else None
        released = self.release(instance, releasable)
        after = self.wait_instance(instance_id, lambda i: not (i.get("EipAddress") or {}).get("AllocationId")) or instance
        kept = detached if detached is not None and detached["AllocationId"] not in released else None
        return self.eip_result(True, instance, kept, after, address, released=released)

    def unassociate(self, bound: dict[str, Any], instance_id: str) -> dict[str, Any]:
        allocation_id = bound["AllocationId"]
        if bound.get("Status") == "Associating":
            self.wait_eip(allocation_id, "InUse")  # only an InUse EIP can be unassociated
        try:
            vpc.unassociate_eip_address(self.vpc, allocation_id, instance_id)
            self.changed = True
        except EcsApiError as err:
            # Unassociated meanwhile (a concurrent run, or an earlier one whose answer was lost)?
            if err.code not in ("IncorrectEipStatus", "InvalidBindingStatus"):
                raise
            listed = self.describe_eips([allocation_id]).get(allocation_id)
            if listed is not None and listed.get("InstanceId") == instance_id:
                raise
        return self.wait_eip(allocation_id, "Available")

    def release(self, instance: dict[str, Any], eips: list[dict[str, Any]]) -> list[str]:
        """Release the module's EIPs of the instance, after recording the generation that follows theirs."""
        if not eips:
            return []
        instance_id = instance["InstanceId"]
        following = max(generation_of(tags_to_dict(e.get("Tags"))) for e in eips) + 1
        self.record_generation(instance_id, following, generation_of(tags_to_dict(instance.get("Tags"))))
        released = []
        for eip in eips:
            vpc.release_eip_address(self.vpc, eip["AllocationId"])  # False: released already
            self.changed = True
            released.append(eip["AllocationId"])
            self.partial["released_allocation_ids"] = list(released)
        return released

    # ------------------------------------------------------------------- common

    def wait_eip(self, allocation_id: str, status: str) -> dict[str, Any]:
        """The EIP once DescribeEipAddresses shows ``status`` (bounded by wait_timeout)."""
        timeout = self.params["wait_timeout"]
        operation = "wait for EIP %s to be %s" % (allocation_id, status)
        try:
            found = self.eip_waiter.wait([allocation_id], status, timeout, visibility=self.visibility,
                                         predicate=lambda e: e.get("Status") == status)
        except EcsWaitTimeoutError as err:
            raise EcsWaitTimeoutError(
                "EIP %s is still %s after %ss" % (allocation_id, err.pending.get(allocation_id), timeout),
                pending=err.pending, operation=operation,
            ) from None
        except EcsVisibilityError:
            raise EcsVisibilityError(
                "EIP %s is not listed by DescribeEipAddresses after %ss; the EIP service may lag behind (run the "
                "task again later), or the credential may not read it (vpc:DescribeEipAddresses)"
                % (allocation_id, self.visibility),
                missing=[allocation_id], operation=operation,
            ) from None
        return found[allocation_id] or {}

    def wait_instance(self, instance_id: str, shows: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """The instance once DescribeInstances shows the change (it may lag, reference 8.9), so the result and
        the next task agree; after visibility_timeout the last read, whatever it shows."""
        try:
            return self.waiter.wait([instance_id], "updated", self.visibility, predicate=shows)[instance_id]
        except (EcsWaitTimeoutError, EcsVisibilityError):
            return self.reread(instance_id)

    def warn_on_drift(self, eip: dict[str, Any], instance_id: str) -> None:
        if not is_module_allocated(eip, instance_id):
            return
        wanted = {"Bandwidth": self.params.get("eip_bandwidth"),
                  "InternetChargeType": self.params.get("eip_internet_charge_type")}
        for key, value in wanted.items():
            if value is not None and str(eip.get(key)) != str(value):
                self.mod.warn("EIP %s has %s %s, not %s: this module does not change an existing EIP"
                              % (eip["AllocationId"], key, eip.get(key), value))

    def eip_result(
        self,
        changed: bool,
        before: dict[str, Any],
        eip: dict[str, Any] | None,
        after: dict[str, Any],
        address: str | None = None,
        released: list[str] | None = None,
    ) -> dict[str, Any]:
        """``eip``: the EIP the result is about (present: bound, or the spare a check-mode run would bind;
        absent: the one unassociated and kept); ``address``: the instance's public IP after the run."""
        instance_id = before["InstanceId"]
        if self.params["state"] == "present":
            planned = {"instance_id": instance_id, "address_type": "eip", "ip_address": address,
                       "allocation_id": (eip or {}).get("AllocationId") or None}
        else:
            planned = address_view(after) if not self.mod.check_mode else dict(
                address_view(before), address_type=None, ip_address=None, allocation_id=None)
        return {
            "changed": changed,
            "ip_address": address,
            "allocation_id": (eip or {}).get("AllocationId") or None,
            "module_allocated": is_module_allocated(eip, instance_id),
            "eip": normalize_eip(eip, instance_id),
            "released_allocation_ids": list(released or []),
            "instance": normalize_instance(after),
            "diff": {"before": address_view(before), "after": planned if changed else address_view(before)},
        }


def ensure_address(mod: Any) -> dict[str, Any]:
    """Entry point of the module: checks the options, then the public IP or the EIP flow."""
    check_options(mod.params)
    if mod.params["address_type"] == "eip":
        return EipRunner(mod).run()
    return PublicIpRunner(mod).run()
