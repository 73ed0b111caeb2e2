# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""ecs_public_ip: find one instance, wait out transitional states, AllocatePublicIpAddress once.

AllocatePublicIpAddress has no ClientToken and ECS has no call to give the
address back, but an instance has at most one public IP (reference 9.11): a
second call after a lost answer either allocates (the first did not) or answers
``AllocatedAlready`` (it did). So after an ambiguous failure (HTTP 5xx, timeout)
the instance is read again and, when no address shows, the call is made once
more; after ``AllocatedAlready`` the address is waited for in the listing,
which may lag (reference 8.9), for up to ``visibility_timeout``.
"""

from __future__ import annotations

import time
from typing import Any, Callable

from ansible_collections.alicloud.ecs.plugins.module_utils import _ecs as ecs
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import (
    EcsApiError,
    EcsConfigError,
    EcsVisibilityError,
    EcsWaitTimeoutError,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._retries import is_ambiguous
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import normalize_instance
from ansible_collections.alicloud.ecs.plugins.module_utils._waiters import TRANSITIONAL_STATUSES, InstanceWaiter

NO_BANDWIDTH = (
    "instance %s has no outgoing public bandwidth (internet_max_bandwidth_out is 0), so ECS refuses to give it a "
    "public IP address (API error AllocateIpInvalidInstanceBandwidth). Give it an Elastic IP instead "
    "(address_type=eip, which needs no bandwidth on the instance), or raise its internet_max_bandwidth_out above 0 "
    "with alicloud.ecs.ecs_instance and run this task again"
)


def public_address(instance: dict[str, Any]) -> str | None:
    """The instance's public IP (ECS-assigned first, then an EIP), or None."""
    addresses = (instance.get("PublicIpAddress") or {}).get("IpAddress") or []
    eip = (instance.get("EipAddress") or {}).get("IpAddress") or None
    return next((a for a in addresses if a), None) or eip


def address_view(instance: dict[str, Any]) -> dict[str, Any]:
    """What diff mode compares: the kind of public address the instance has, the address and the EIP id."""
    shown = instance.get("EipAddress") or {}
    kind = "eip" if shown.get("AllocationId") else ("public_ip" if ecs_addresses(instance) else None)
    return {"instance_id": instance["InstanceId"], "address_type": kind, "ip_address": public_address(instance),
            "allocation_id": shown.get("AllocationId") or None}


def ecs_addresses(instance: dict[str, Any]) -> list[str]:
    """The public IP addresses ECS assigned to the instance (not EIPs)."""
    return [a for a in (instance.get("PublicIpAddress") or {}).get("IpAddress") or [] if a]


def find_instance(client: Any, instance_id: str | None, name: str | None) -> dict[str, Any] | None:
    """The one instance with this id (None when not listed), or the only one with exactly this name."""
    if instance_id:
        return ecs.describe_instances_by_ids(client, [instance_id]).get(instance_id)
    found = ecs.describe_instances(client, {"InstanceName": name}, "find the instance named %s" % name)
    matches = [i for i in found if i.get("InstanceName") == name]
    what = "find the instance named %s" % name
    if not matches:
        return None
    if len(matches) > 1:
        ids = ", ".join(sorted(i["InstanceId"] for i in matches))
        raise EcsConfigError(
            "%d instances are named %s (%s); give instance_id instead" % (len(matches), name, ids), operation=what
        )
    return matches[0]


class PublicIpRunner:
    def __init__(self, mod: Any, clock: Callable[[], float] | None = None, sleep: Callable[[float], None] | None = None):
        self.mod = mod
        self.params = mod.params
        self.client = mod.client
        self.clock = clock or time.monotonic
        self.sleep = sleep or time.sleep
        self.waiter = InstanceWaiter(self.describe, clock=self.clock, sleep=self.sleep)

    def describe(self, ids: list[str]) -> dict[str, dict]:
        return ecs.describe_instances_by_ids(self.client, ids)

    def find(self) -> dict[str, Any]:
        """The instance, waiting up to visibility_timeout for it to be listed (reference 8.9)."""
        instance_id, name = self.params.get("instance_id"), self.params.get("name")
        visibility = min(self.params["visibility_timeout"], self.params["wait_timeout"])
        deadline = self.clock() + visibility
        while True:
            instance = find_instance(self.client, instance_id, name)
            if instance is not None:
                return instance
            if self.clock() >= deadline:
                what = "instance %s" % instance_id if instance_id else "an instance named %s" % name
                raise EcsConfigError(
                    "%s is not listed by DescribeInstances in region %s after %ss: it may not exist, may not be "
                    "visible yet (ECS is eventually consistent: a new instance shows up after a while), or the "
                    "credential may not read it (ecs:DescribeInstances)" % (what, self.client.region, visibility),
                    operation="find %s" % what,
                )
            self.sleep(min(2.0, max(0.0, deadline - self.clock())))

    def run(self) -> dict[str, Any]:
        instance = self.settle(self.find())
        instance_id = instance["InstanceId"]
        address = public_address(instance)
        if address:
            return self.result(False, address, instance)
        if int(instance.get("InternetMaxBandwidthOut") or 0) <= 0:
            what = "allocate a public IP address for instance %s" % instance_id
            raise EcsConfigError(NO_BANDWIDTH % instance_id, operation=what)
        if self.mod.check_mode:
            return self.result(True, None, instance)
        address, changed = self.allocate(instance_id)
        after = self.wait_for_address(instance_id, address) or instance
        return self.result(changed, public_address(after) or address, after, before=instance)

    def allocate(self, instance_id: str) -> tuple[str | None, bool]:
        """(address or None when ECS says one exists already, whether this run allocated it)."""
        try:
            return ecs.allocate_public_ip_address(self.client, instance_id), True
        except EcsApiError as err:
            if err.code == "AllocatedAlready":
                return None, False
            if not is_ambiguous(err.code, err.http_status):
                raise
        # The answer was lost: the address may exist anyway. Read it back; if it does not show, ask again
        # (a second address is impossible: that call answers AllocatedAlready if the first one took effect).
        address = public_address(self.describe([instance_id]).get(instance_id) or {})
        if address:
            return address, True
        try:
            return ecs.allocate_public_ip_address(self.client, instance_id), True
        except EcsApiError as err:
            if err.code != "AllocatedAlready":
                raise
            return None, True

    def wait_for_address(self, instance_id: str, address: str | None) -> dict[str, Any] | None:
        """The instance once the listing shows its address (reference 8.9: it may lag), so the result and the
        next task agree; bounded by visibility_timeout. ``address``: the one AllocatePublicIpAddress answered,
        None when ECS answered AllocatedAlready (then not seeing it is an error)."""
        visibility = min(self.params["visibility_timeout"], self.params["wait_timeout"])
        try:
            found = self.waiter.wait([instance_id], "address", visibility, predicate=lambda i: bool(public_address(i)))
        except (EcsWaitTimeoutError, EcsVisibilityError):
            if address:
                return self.describe([instance_id]).get(instance_id)
            raise EcsVisibilityError(
                "ECS answers that instance %s has a public IP address already (AllocatedAlready), but "
                "DescribeInstances does not show it after %ss. ECS is eventually consistent: run the task again "
                "later, or raise visibility_timeout" % (instance_id, visibility),
                missing=[instance_id],
                operation="read the public IP address of instance %s" % instance_id,
            ) from None
        return found[instance_id]

    def settle(self, instance: dict[str, Any]) -> dict[str, Any]:
        """Wait out Pending/Starting/Stopping (not in check mode: nothing will be done then)."""
        if instance.get("Status") not in TRANSITIONAL_STATUSES or self.mod.check_mode:
            return instance
        instance_id = instance["InstanceId"]
        visibility = min(self.params["visibility_timeout"], self.params["wait_timeout"])
        settled = self.waiter.wait([instance_id], "settled", self.params["wait_timeout"], visibility=visibility)
        return settled[instance_id] or instance

    @staticmethod
    def result(
        changed: bool, address: str | None, instance: dict[str, Any], before: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """``instance`` after the run, ``before`` it (the same when omitted)."""
        shown = instance.get("EipAddress") or {}
        view = address_view(before or instance)
        after = dict(view, address_type=view["address_type"] or "public_ip", ip_address=address) if changed else view
        return {
            "changed": changed,
            "ip_address": address,
            "allocation_id": shown.get("AllocationId") or None,
            # An EIP found here is not looked up (this mode makes no VPC call): who allocated it is unknown.
            "module_allocated": False if not shown.get("AllocationId") else None,
            "eip": None,
            "released_allocation_ids": [],
            "instance": normalize_instance(instance),
            "diff": {"before": view, "after": after},
        }


def ensure_public_ip(mod: Any) -> dict[str, Any]:
    """Entry point used by the module: returns the result dict or raises EcsError."""
    return PublicIpRunner(mod).run()
