# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Pure rules of the changes ecs_instance makes to existing instances in place.

Instance type (ModifyInstanceSpec / ModifyPrepayInstanceSpec), public bandwidth
(ModifyInstanceNetworkSpec), system disk size (ResizeDisk), image (ReplaceSystemDisk,
only with ``rebuild``), renewal (RenewInstance) and auto-renewal
(ModifyInstanceAutoRenewAttribute) of subscriptions, and when a subscription has expired.
Each rule takes the task's params and one raw DescribeInstances entry (with the
``Disks`` and ``AutoRenewAttribute`` the runner attached when the task manages them)
and returns a :class:`Change`: the API parameters, whether the instance must be
Stopped for it, and the warnings and errors it owes the user.  Nothing here calls the
API; _instance_plan decides what to do with the answers.
"""

from __future__ import annotations

import calendar
import time
from dataclasses import dataclass, field
from typing import Any

DAY = 86400.0
# The shortest a renewal period can be, in days, so that renew.within_days can be checked.
SHORTEST_PERIOD_DAYS = {"Month": 28, "Week": 7}
TIME_FORMATS = ("%Y-%m-%dT%H:%MZ", "%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Facts:
    """What the planner knows besides the task and the instances: the time and instance type sizes."""

    now: float = field(default_factory=time.time)  # wall clock, seconds since the epoch (ExpiredTime is UTC)
    instance_types: dict[str, dict[str, Any]] = field(default_factory=dict)  # DescribeInstanceTypes entries by id


@dataclass
class Change:
    """One in-place change of one instance (``api`` None: nothing to do)."""

    api: dict[str, Any] | None = None
    needs_stopped: bool = False  # the API accepts it only while the instance is Stopped
    why_stopped: str = ""  # for the error when the task does not allow a stop
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def parse_time(text: Any) -> float | None:
    """``2026-12-02T00:00Z`` (the API's UTC times) as seconds since the epoch, or None."""
    for fmt in TIME_FORMATS:
        try:
            return float(calendar.timegm(time.strptime(str(text), fmt)))
        except ValueError:
            continue
    return None


def renewed_expiry(instance: dict[str, Any], period: int, unit: str, now: float) -> str | None:
    """The ExpiredTime a renewal by ``period`` ``unit`` gives (from the old expiry, or from now when
    it has passed), in the API's format; calendar months, as the subscription terms count them."""
    expiry = parse_time(instance.get("expired_time") or instance.get("ExpiredTime"))
    start = now if expiry is None or expiry <= now else expiry
    moment = time.gmtime(start)
    if unit == "Week":
        end = time.gmtime(start + period * 7 * DAY)
    else:
        year, month = divmod(moment.tm_mon - 1 + period, 12)
        year += moment.tm_year
        day = min(moment.tm_mday, calendar.monthrange(year, month + 1)[1])
        end = time.struct_time((year, month + 1, day, moment.tm_hour, moment.tm_min, 0, 0, 0, 0))
    return time.strftime("%Y-%m-%dT%H:%MZ", end)


def locks(instance: dict[str, Any]) -> list[str]:
    return [lock.get("LockReason") for lock in (instance.get("OperationLocks") or {}).get("LockReason", [])]


def is_expired(instance: dict[str, Any], now: float) -> bool:
    """A subscription past its ExpiredTime (or locked for it: reference 8.6)."""
    if instance.get("InstanceChargeType") != "PrePaid":
        return False
    if "financial" in locks(instance):
        return True
    expiry = parse_time(instance.get("ExpiredTime"))
    return expiry is not None and expiry <= now


def subscription_text(instance: dict[str, Any], now: float) -> str:
    expiry = instance.get("ExpiredTime") or "?"
    return "%s (expired %s)" % (instance["InstanceId"], expiry) if is_expired(instance, now) else (
        "%s (paid until %s)" % (instance["InstanceId"], expiry))


# ------------------------------------------------------------------ instance type


def type_direction(current: str, wanted: str, types: dict[str, dict[str, Any]]) -> str | None:
    """``upgrade`` when ``wanted`` has at least the vCPUs and memory of ``current`` and more of one,
    ``downgrade`` when it has at most both and less of one, None when that does not decide it
    (sizes unknown, equal, or more of one and less of the other: ECS then decides by price)."""
    if current not in types or wanted not in types:
        return None
    old, new = types[current], types[wanted]
    cpu = float(new.get("CpuCoreCount") or 0) - float(old.get("CpuCoreCount") or 0)
    memory = float(new.get("MemorySize") or 0) - float(old.get("MemorySize") or 0)
    if cpu >= 0 and memory >= 0 and (cpu or memory):
        return "upgrade"
    if cpu <= 0 and memory <= 0 and (cpu or memory):
        return "downgrade"
    return None


def spec_change(params: dict[str, Any], instance: dict[str, Any], charge: str, facts: Facts) -> Change:
    """The instance type: ModifyInstanceSpec (pay-as-you-go, Stopped) or ModifyPrepayInstanceSpec
    (subscription: an upgrade while Running or Stopped, a downgrade only while Stopped)."""
    wanted, current = params.get("instance_type"), instance.get("InstanceType")
    if not wanted or wanted == current:
        return Change()
    instance_id = instance["InstanceId"]
    if charge == "PostPaid":
        return Change(
            {"action": "ModifyInstanceSpec", "InstanceType": wanted, "From": current},
            needs_stopped=True,
            why_stopped="changing the instance type of a pay-as-you-go instance from %s to %s (ModifyInstanceSpec "
                        "accepts only Stopped instances)" % (current, wanted),
        )
    api: dict[str, Any] = {"action": "ModifyPrepayInstanceSpec", "InstanceType": wanted, "From": current}
    change = Change(api)
    if is_expired(instance, facts.now) and not params.get("renew"):
        change.errors.append(
            "%s: the subscription has expired, so its instance type cannot change (the API answers "
            "InstanceExpiredOrInArrears); renew it first (the renew option)" % instance_id)
        return change
    direction = type_direction(current or "", wanted, facts.instance_types)
    api["OperatorType"] = direction or "upgrade"
    if direction == "downgrade":
        change.needs_stopped = True
        change.why_stopped = (
            "downgrading the subscription instance type from %s to %s (ModifyPrepayInstanceSpec downgrades only "
            "Stopped instances)" % (current, wanted))
    elif direction is None:
        # Same size, or more of one and less of the other: ECS decides by price whether this is a downgrade,
        # which needs Stopped. Stopped first when the task allows it; else tried as an upgrade.
        api["Ambiguous"] = True
        change.needs_stopped = bool(params.get("allow_stop"))
        change.why_stopped = "changing the subscription instance type from %s to %s" % (current, wanted)
    if not change.needs_stopped and instance.get("Status") == "Running":
        change.warnings.append(
            "%s: the instance type changes from %s to %s while the instance runs; the new type takes effect "
            "after its next restart (state: restarted, or allow_stop: true to stop and start it)" % (
                instance_id, current, wanted))
    return change


# ---------------------------------------------------------------------- bandwidth


def network_change(params: dict[str, Any], instance: dict[str, Any]) -> Change:
    """Public bandwidth and its billing through ModifyInstanceNetworkSpec (Running or Stopped)."""
    wanted = params.get("internet_max_bandwidth_out")
    charge = params.get("internet_charge_type")
    current = int(instance.get("InternetMaxBandwidthOut") or 0)
    api: dict[str, Any] = {}
    if wanted is not None and wanted != current:
        api["InternetMaxBandwidthOut"] = wanted
    if charge and instance.get("InternetChargeType") and charge != instance.get("InternetChargeType"):
        api["NetworkChargeType"] = charge
    if not api:
        return Change()
    eip = (instance.get("EipAddress") or {}).get("IpAddress")
    if eip:
        return Change(warnings=[
            "%s: its public bandwidth is that of its EIP %s (ModifyInstanceNetworkSpec answers "
            "InvalidInstance.EipNotSupport); internet_max_bandwidth_out and internet_charge_type were left as they "
            "are" % (instance["InstanceId"], eip)])
    has_address = bool((instance.get("PublicIpAddress") or {}).get("IpAddress"))
    if current == 0 and (wanted or 0) > 0 and not has_address:
        api["AllocatePublicIp"] = True  # raising from 0 also gives the instance a public IP address
    api["From"] = current
    return Change(api)


# ----------------------------------------------------------------------- disks


def system_disk(instance: dict[str, Any]) -> dict[str, Any] | None:
    return next((d for d in instance.get("Disks") or [] if d.get("Type") == "system"), None)


def data_disks(instance: dict[str, Any]) -> list[dict[str, Any]]:
    return [d for d in instance.get("Disks") or [] if d.get("Type") == "data"]


def resize_change(params: dict[str, Any], instance: dict[str, Any]) -> Change:
    """Growing the system disk through ResizeDisk; it never shrinks (a clear error instead)."""
    wanted = (params.get("system_disk") or {}).get("size")
    disk = system_disk(instance)
    if wanted is None or disk is None:
        return Change()
    instance_id, current = instance["InstanceId"], int(disk.get("Size") or 0)
    change = Change()
    category = (params.get("system_disk") or {}).get("category")
    if category and category != disk.get("Category"):
        change.warnings.append(
            "%s: the system disk is %s but the task asks for %s; a disk category cannot be changed in place and "
            "was left as is" % (instance_id, disk.get("Category"), category))
    if wanted < current:
        change.errors.append(
            "%s: system_disk.size %d GiB is smaller than the system disk's %d GiB; a disk can only grow "
            "(ResizeDisk), never shrink" % (instance_id, wanted, current))
        return change
    if wanted == current:
        return change
    # Online resizing needs a Running instance and not a basic ("cloud") disk; else offline, which takes
    # effect when the instance next starts.
    online = instance.get("Status") == "Running" and disk.get("Category") != "cloud"
    change.api = {"DiskId": disk["DiskId"], "NewSize": wanted, "Type": "online" if online else "offline",
                  "From": current}
    if not online and instance.get("Status") == "Running":
        if params.get("allow_stop"):
            change.needs_stopped = True
            change.why_stopped = "resizing its basic (cloud) system disk"
        else:
            change.warnings.append(
                "%s: its basic (cloud) system disk is resized offline; the new size takes effect after the "
                "instance restarts (state: restarted, or allow_stop: true)" % instance_id)
    return change


def data_disk_warnings(params: dict[str, Any], instance: dict[str, Any]) -> list[str]:
    """Data disks are created with an instance and not changed in place: say when they differ."""
    wanted = params.get("data_disks")
    if wanted is None or instance.get("Disks") is None:
        return []
    actual = data_disks(instance)

    def shapes(disks: list[dict[str, Any]], size: str, category: str) -> list[tuple]:
        return sorted((int(d.get(size) or 0), d.get(category) or "") for d in disks)

    want = shapes([dict(d, category=d.get("category") or "") for d in wanted], "size", "category")
    have = shapes(actual, "Size", "Category")
    if [size for size, _c in want] == [size for size, _c in have] and all(
            not w or w == h for (_s, w), (_t, h) in zip(want, have)):
        return []
    text = ", ".join("%d GiB %s" % (size, category) for size, category in have) or "none"
    return ["%s: its data disks (%s) differ from data_disks; data disks are created with an instance and are not "
            "changed in place" % (instance["InstanceId"], text)]


# ------------------------------------------------------------------------- image


def rebuild_change(params: dict[str, Any], instance: dict[str, Any]) -> Change:
    """A different image: ReplaceSystemDisk with ``rebuild`` (Stopped; the system disk's data is lost),
    else a warning."""
    wanted, current = params.get("image_id"), instance.get("ImageId")
    if not wanted or wanted == current:
        return Change()
    instance_id = instance["InstanceId"]
    if not params.get("rebuild"):
        return Change(warnings=[
            "%s: image_id is %s but the task asks for %s; set rebuild: true to replace the system disk with the new "
            "image (ReplaceSystemDisk; everything on the system disk is lost), else it is left as is" % (
                instance_id, current, wanted)])
    disk = system_disk(instance) or {}
    api: dict[str, Any] = {"ImageId": wanted, "From": current, "SystemDiskId": disk.get("DiskId") or ""}
    size = (params.get("system_disk") or {}).get("size")
    if size is not None:
        api["SystemDisk.Size"] = size
    return Change(api, needs_stopped=True,
                  why_stopped="rebuilding it from image %s (ReplaceSystemDisk needs a Stopped instance)" % wanted)


# ------------------------------------------------------------------ subscriptions


def renew_change(params: dict[str, Any], instance: dict[str, Any], facts: Facts) -> Change:
    """RenewInstance when the subscription ends within ``renew.within_days`` days (or has ended)."""
    renew = params.get("renew")
    if not renew:
        return Change()
    instance_id = instance["InstanceId"]
    if instance.get("InstanceChargeType") != "PrePaid":
        return Change(warnings=["%s: renew applies to subscription (PrePaid) instances; it is pay-as-you-go" % instance_id])
    expiry = parse_time(instance.get("ExpiredTime"))
    within = float(renew.get("within_days") or 0)
    if not is_expired(instance, facts.now) and expiry is not None and expiry - facts.now > within * DAY:
        return Change()
    return Change({"Period": renew["period"], "PeriodUnit": renew.get("period_unit") or "Month",
                   "ExpiredTime": instance.get("ExpiredTime") or ""})


def auto_renew_change(params: dict[str, Any], instance: dict[str, Any]) -> Change:
    """ModifyInstanceAutoRenewAttribute when the subscription's auto-renewal differs from the task's."""
    wanted, duration = params.get("auto_renew"), params.get("auto_renew_period")
    if (wanted is None and duration is None) or instance.get("InstanceChargeType") != "PrePaid":
        return Change()
    current = instance.get("AutoRenewAttribute")
    unit = params.get("period_unit") or "Month"
    enabled = wanted if wanted is not None else bool((current or {}).get("AutoRenewEnabled"))
    api: dict[str, Any] = {"AutoRenew": enabled, "PeriodUnit": unit}
    if enabled:
        api["Duration"] = duration or (current or {}).get("Duration") or 1
    if current is not None:
        same = bool(current.get("AutoRenewEnabled")) == enabled and (
            not enabled or (int(current.get("Duration") or 0) == api["Duration"]
                            and (current.get("PeriodUnit") or "Month") == unit))
        if same:
            return Change()
    return Change(api)


def renew_errors(params: dict[str, Any]) -> list[str]:
    renew = params.get("renew")
    if not renew:
        return []
    errors = []
    unit = renew.get("period_unit") or "Month"
    if renew.get("within_days") is not None and renew["within_days"] < 0:
        errors.append("renew.within_days must not be negative")
    elif (renew.get("within_days") or 0) >= renew["period"] * SHORTEST_PERIOD_DAYS[unit]:
        errors.append(
            "renew.period (%d %s) must last longer than renew.within_days (%d days), or every run would renew "
            "again" % (renew["period"], unit, renew["within_days"]))
    return errors
