"""The emulator's state: every resource, the instance lifecycle, dump/restore.

Lifecycle is lazy (INTERNALS.md): an instance records its status, the states
still to come (``_next``) and when it entered the current one (``_since``).
Every read or action first calls :meth:`Store.advance` with the call's time.
Reference 8.1: transient states last ``config["delays"][state]`` seconds and,
with ``observe_transients``, a non-zero transient state is shown to at least
one describe before the instance moves on.

Eventual consistency (reference 8.9, ``config["consistency"]``): reads see a
*view* of an instance.  A new instance has no view until ``_visible_at``
(reads omit it, per-instance operations answer not-found); with a change
delay, the view is the snapshot (``_history``) that was current
``_lag`` seconds ago; a released instance leaves a *ghost* (its last view)
that reads list until it expires.  Actions always work on the true state.

Indexes (index.py, derived, never dumped): posting lists per region and filterable field, so
that a read costs the same whatever the number of instances.  Whatever may change an indexed
field marks the instance *dirty* (handing it to an action, ``touch``, a state change); reads
``flush`` dirty instances into the indexes first.  Instances in transition (``active``), with a
timed event (``timed``: expiry, auto-release) or whose view lags their live state
(``unsettled``) are kept in small per-region sets, so a read advances and inspects only those.
"""

from __future__ import annotations

import calendar
import copy
import datetime as _dt
import heapq
import ipaddress
import random
import string
import threading
import time
import uuid
from typing import Any, Iterable

from .config import default_config, delay_range, merge_config
from .errors import ApiError
from .index import InstanceIndex
from .seed import Catalog

ID_ALPHABET = string.ascii_lowercase + string.digits
POSTPAID_EXPIRED_TIME = "2099-12-31T15:59Z"  # reference 5.3
TRANSIENT = ("Pending", "Starting", "Stopping")
STATUSES = ("Pending", "Running", "Starting", "Stopping", "Stopped")


def not_enough_private_ips() -> ApiError:
    """RunInstances/CreateInstance error table (reference 9.1)."""
    return ApiError("QuotaExceeded.PrivateIpAddress", "Don't have enough private IPs in this switch", 400)


def minute_time(ts: float | None) -> str:
    """Instance time fields are minute precision ``YYYY-MM-DDThh:mmZ`` (reference 5.3)."""
    return "" if ts is None else time.strftime("%Y-%m-%dT%H:%MZ", time.gmtime(ts))


def second_time(ts: float | None) -> str:
    """Security group, image and disk times carry seconds (reference 5.3)."""
    return "" if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def add_period(ts: float, period: int, unit: str) -> float:
    """``ts`` plus a subscription period (calendar months / weeks / years), minute precision."""
    start = _dt.datetime.fromtimestamp(int(ts) // 60 * 60, _dt.timezone.utc)
    if unit == "Week":
        end = start + _dt.timedelta(weeks=period)
    else:
        months = period * 12 if unit == "Year" else period
        year, month = divmod(start.month - 1 + months, 12)
        year += start.year
        day = min(start.day, calendar.monthrange(year, month + 1)[1])
        end = start.replace(year=year, month=month + 1, day=day)
    return end.timestamp()


class Store:
    """All emulator state behind one lock (contract: emulator/INTERNALS.md)."""

    def __init__(self, config: dict | None = None, seed_files: Iterable[str] = ()):
        self.lock = threading.RLock()
        self.config: dict[str, Any] = merge_config(default_config(), config or {})
        self.seed_files = list(seed_files)
        self.catalog = Catalog(self.seed_files)
        self.tokens: dict[str, Any] = {}
        self._rng = random.Random()
        self._load_seed_state()

    # ------------------------------------------------------ consistency (8.9)
    def consistency_delay(self, kind: str, seq: int) -> float:
        """Seconds of ``kind`` for the instance created with sequence number ``seq`` (seeded)."""
        settings = self.config["consistency"]
        low, high = delay_range(settings.get(kind, 0.0), kind)
        if high <= 0:
            return 0.0
        if low == high:
            return low
        rng = random.Random(f"{settings.get('seed', 0)}:{kind}:{seq}")
        return round(rng.uniform(low, high), 3)

    def on_create(self, inst: dict[str, Any], now: float, visible_after: float | None = None) -> None:
        """Consistency fields of a new instance (before its first state is entered).

        ``visible_after``: the new-instance delay drawn for the whole create call (every
        instance of one RunInstances shows up at the same time), else drawn for this one.
        """
        if visible_after is None:
            visible_after = self.consistency_delay("new_instance_delay", inst["_seq"])
        inst["_visible_at"] = now + visible_after
        inst["_lag"] = self.consistency_delay("change_delay", inst["_seq"])
        inst["_history"] = []

    @staticmethod
    def is_visible(inst: dict[str, Any], now: float) -> bool:
        return now >= inst.get("_visible_at", 0.0)

    def snapshot(self, inst: dict[str, Any], at: float) -> None:
        """Record what reads will show ``_lag`` seconds after ``at`` (only with a change delay)."""
        lag = inst.get("_lag") or 0.0
        if lag <= 0:
            return
        history = inst.setdefault("_history", [])
        view = copy.deepcopy({k: v for k, v in inst.items() if k != "_history"})
        history.append([at, view])
        # Keep what a read can still ask for: everything newer than `at - lag`, and the one before.
        cutoff = at - lag
        while len(history) > 1 and history[1][0] <= cutoff:
            history.pop(0)

    def touch(self, inst: dict[str, Any], now: float) -> None:
        """A handler changed attributes of ``inst`` (status changes are recorded by the lifecycle)."""
        self.snapshot(inst, now)
        self._dirty[inst["InstanceId"]] = None

    def view(self, inst: dict[str, Any], now: float) -> dict[str, Any] | None:
        """What a read at ``now`` shows of ``inst``: None before it is visible, else the lagged view."""
        if not self.is_visible(inst, now):
            return None
        lag = inst.get("_lag") or 0.0
        history = inst.get("_history") or []
        if lag <= 0 or not history:
            return inst
        moment = now - lag
        chosen = history[0][1]
        for at, view in history:
            if at > moment:
                break
            chosen = view
        if chosen.get("Status") == inst["Status"] and chosen is history[-1][1]:
            return inst  # up to date: the live record (cheaper, and sightings count)
        return chosen

    def ghost_views(self, now: float, region_id: str | None = None, ids: Iterable[str] | None = None) -> list[dict]:
        """Released instances that reads still list (reference 8.9), in their last view."""
        expired = [k for k, g in self.ghosts.items() if g["until"] <= now]
        for key in expired:
            del self.ghosts[key]
        wanted = set(ids) if ids is not None else None
        return [
            g["view"]
            for key, g in self.ghosts.items()
            if (wanted is None or key in wanted) and (region_id is None or g["view"]["RegionId"] == region_id)
        ]

    # ----------------------------------------------------------- config/seed
    def update_config(self, update: dict[str, Any]) -> None:
        with self.lock:
            self.config = merge_config(self.config, update)
            if "account_balance" in update:
                self.balance = float(self.config["account_balance"])

    def reset(self) -> None:
        """Back to the seed; config (and credentials, owned by the transport) kept."""
        with self.lock:
            self.tokens.clear()
            self._load_seed_state()

    def _load_seed_state(self) -> None:
        self.vpcs = copy.deepcopy(self.catalog.vpcs)
        self.vswitches = copy.deepcopy(self.catalog.vswitches)
        self.security_groups = copy.deepcopy(self.catalog.security_groups)
        self.instances: dict[str, dict[str, Any]] = {}
        self.ghosts: dict[str, dict[str, Any]] = {}
        self.disks: dict[str, dict[str, Any]] = {}
        self.key_pairs: dict[str, dict[str, Any]] = copy.deepcopy(self.catalog.key_pairs)  # "region/name"
        self.eips: dict[str, dict[str, Any]] = {}  # AllocationId -> EIP (VPC 2016-04-28)
        self.balance = float(self.config["account_balance"])
        self.seq = 0
        self._reindex()

    def _reindex(self) -> None:
        """Derived indexes (not dumped): instances per region, IPs in use, posting lists, work sets."""
        self.by_region: dict[str, dict[str, None]] = {r: {} for r in self.catalog.regions}
        self.private_ips: dict[str, set[str]] = {}
        self.public_ips: set[str] = set()
        self.index = InstanceIndex(self.catalog.instance_types)
        self.active: dict[str, dict[str, None]] = {}  # region -> instances with states or changes to come
        self.timed: dict[str, list[tuple[float, str]]] = {}  # region -> heap of (due, id): expiry, auto-release
        self._event_at: dict[str, float] = {}  # id -> the due time of its live heap entry
        self.unsettled: dict[str, dict[str, float]] = {}  # region -> id -> when its view equals its live state
        self._dirty: dict[str, None] = {}
        for inst in sorted(self.instances.values(), key=lambda i: i["_seq"]):
            self._index(inst)
        self.public_ips.update(e["IpAddress"] for e in self.eips.values())
        self.flush()

    def _index(self, inst: dict[str, Any]) -> None:
        self.by_region.setdefault(inst["RegionId"], {})[inst["InstanceId"]] = None
        self.private_ips.setdefault(inst["VSwitchId"], set()).add(inst["PrivateIpAddress"])
        if inst["PublicIpAddress"]:
            self.public_ips.add(inst["PublicIpAddress"])
        self._dirty[inst["InstanceId"]] = None

    # -------------------------------------------------------- indexes, work sets
    def flush(self) -> None:
        """Bring the indexes and work sets in line with every instance changed since the last flush."""
        dirty, instances = self._dirty, self.instances
        while dirty:
            iid = next(iter(dirty))
            del dirty[iid]
            inst = instances.get(iid)
            if inst is None:
                continue
            self.index.update(inst)
            region = inst["RegionId"]
            if inst["_next"] or inst.get("_spec_change") or inst.get("_temporary_bandwidth"):
                self.active.setdefault(region, {})[iid] = None
            else:
                self.active.get(region, {}).pop(iid, None)
            due = self._next_event(inst)
            if due is None:
                self._event_at.pop(iid, None)
            elif self._event_at.get(iid) != due:
                self._event_at[iid] = due
                heapq.heappush(self.timed.setdefault(region, []), (due, iid))
            self.unsettled.setdefault(region, {})[iid] = self._settles_at(inst)

    @staticmethod
    def _next_event(inst: dict[str, Any]) -> float | None:
        """When time alone changes the instance next: a subscription's expiry, an auto-release time."""
        moments = []
        if inst["InstanceChargeType"] == "PrePaid" and inst["ExpiredTs"] is not None and "financial" not in inst["Locks"]:
            moments.append(inst["ExpiredTs"])
        if inst.get("AutoReleaseTs") is not None:
            moments.append(inst["AutoReleaseTs"])
        return min(moments) if moments else None

    @staticmethod
    def _settles_at(inst: dict[str, Any]) -> float:
        """From when reads show the live state: visible, and no change newer than the change delay."""
        until = float(inst.get("_visible_at", 0.0))
        lag = inst.get("_lag") or 0.0
        if lag > 0:
            for at, _view in inst.get("_history") or ():
                until = max(until, at + lag)
        return until

    def settle(self, region_id: str, now: float) -> None:
        """Advance (as a read does) the region's instances that time may have changed, then flush.

        Only instances in transition or with a due timed event are touched: what a read of any
        size must bring up to date (lazy lifecycle, INTERNALS.md).  Advancing early is harmless:
        the lifecycle dates every state from its due time, not from when it is computed.
        """
        self.flush()
        gone = []
        for iid in list(self.active.get(region_id, ())):
            inst = self.instances.get(iid)
            if inst is None:
                self.active[region_id].pop(iid, None)
                continue
            if self.advance(inst, now, observe=True):
                self._dirty[iid] = None
            else:
                gone.append(inst)
        heap = self.timed.get(region_id)
        while heap and heap[0][0] <= now:
            due, iid = heapq.heappop(heap)
            inst = self.instances.get(iid)
            if inst is None or self._event_at.get(iid) != due:
                continue  # released, or the event moved (a renewal, a new auto-release time)
            del self._event_at[iid]
            self._dirty[iid] = None
            if not self.advance(inst, now, observe=True):
                gone.append(inst)
        for inst in gone:
            if inst["InstanceId"] in self.instances:
                self.release(inst, now)
        self.flush()

    def settle_all(self, now: float) -> None:
        for region_id in list(self.by_region):
            self.settle(region_id, now)

    def unsettled_ids(self, region_id: str, now: float) -> dict[str, float]:
        """Instances of the region whose view may differ from their live state at ``now`` (reference 8.9)."""
        pending = self.unsettled.get(region_id)
        if not pending:
            return {}
        for iid in [i for i, until in pending.items() if until <= now]:
            del pending[iid]
        return pending

    def in_transition(self, region_id: str) -> list[dict[str, Any]]:
        """The region's instances with states still to come (those a describe may hold or move on)."""
        return [self.instances[i] for i in self.active.get(region_id, ()) if i in self.instances]

    # ---------------------------------------------------------- dump/restore
    def dump(self) -> dict[str, Any]:
        """The full state, JSON-serialisable.  Live structures, not a copy (INTERNALS.md: callers
        serialise it while holding ``store.lock``); ``restore`` copies what it is given."""
        with self.lock:
            return {
                "version": 1,
                "config": self.config,
                "tokens": self.tokens,
                "vpcs": self.vpcs,
                "vswitches": self.vswitches,
                "security_groups": self.security_groups,
                "instances": self.instances,
                "ghosts": self.ghosts,
                "disks": self.disks,
                "key_pairs": self.key_pairs,
                "eips": self.eips,
                "balance": self.balance,
                "seq": self.seq,
            }

    def restore(self, data: dict[str, Any]) -> None:
        with self.lock:
            data = copy.deepcopy(data)
            self.config = merge_config(default_config(), data.get("config", {}))
            self.tokens = data.get("tokens", {})
            for name in ("vpcs", "vswitches", "security_groups", "instances", "ghosts", "disks", "eips"):
                setattr(self, name, data.get(name, {}))
            self.key_pairs = data.get("key_pairs", copy.deepcopy(self.catalog.key_pairs))
            self.balance = float(data.get("balance", self.config["account_balance"]))
            self.seq = int(data.get("seq", 0))
            self._reindex()

    # ------------------------------------------------------------------- ids
    def new_id(self, kind: str, region_id: str, taken: dict | set) -> str:
        """``i-`` + 20 lower-case alphanumerics starting with the region's typical prefix (reference 5.3)."""
        prefix = self.catalog.regions[region_id]["id_prefix"]
        while True:
            tail = "".join(self._rng.choice(ID_ALPHABET) for _ in range(20 - len(prefix)))
            new = f"{kind}-{prefix}{tail}"
            if new not in taken:
                return new

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq

    def order_id(self) -> str:
        return str(self._rng.randrange(200000000000000, 299999999999999))

    def serial_number(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def mac_address(self) -> str:
        return "00:16:3e:" + ":".join(f"{self._rng.randrange(256):02x}" for _ in range(3))

    # ------------------------------------------------------------------- IPs
    def allocate_private_ip(self, vsw: dict[str, Any], wanted: str | None = None) -> str:
        """A free address of the vSwitch (``wanted`` if given, already checked by the caller).

        Random probing first (cheap while the vSwitch has room); when that keeps hitting used
        addresses, one scan of the vSwitch range from a random start.  Cost is bounded by the
        vSwitch size, never by the number of instances in the store.  A full vSwitch answers the
        RunInstances code (callers check :meth:`vswitch_free_ips` first, so this is a backstop).
        """
        used = self.private_ips.setdefault(vsw["VSwitchId"], set())
        if wanted:
            used.add(wanted)
            return wanted
        if self.vswitch_free_ips(vsw) <= 0:
            raise not_enough_private_ips()
        net = ipaddress.ip_network(vsw["CidrBlock"])
        # Alibaba Cloud reserves the first three and the last address of a vSwitch CIDR.
        first, last = int(net.network_address) + 3, int(net.broadcast_address) - 1
        for _ in range(64):
            candidate = str(ipaddress.ip_address(self._rng.randint(first, last)))
            if candidate not in used:
                used.add(candidate)
                return candidate
        span = last - first + 1
        start = self._rng.randrange(span)
        for offset in range(span):
            candidate = str(ipaddress.ip_address(first + (start + offset) % span))
            if candidate not in used:
                used.add(candidate)
                return candidate
        raise not_enough_private_ips()

    def vswitch_free_ips(self, vsw: dict[str, Any]) -> int:
        """Free addresses of a vSwitch (its AvailableIpAddressCount): O(1), a set size."""
        size = ipaddress.ip_network(vsw["CidrBlock"]).num_addresses - 4
        return max(0, size - len(self.private_ips.get(vsw["VSwitchId"], ())))

    def allocate_public_ip(self, region_id: str) -> str:
        """A realistic public address from the region's pool (47.x is an Alibaba range; never routed)."""
        net = ipaddress.ip_network(self.catalog.regions[region_id].get("public_ip_pool", "47.96.0.0/13"))
        first, last = int(net.network_address) + 1, int(net.broadcast_address) - 1
        while True:
            candidate = str(ipaddress.ip_address(self._rng.randint(first, last)))
            if not candidate.endswith((".0", ".255")) and candidate not in self.public_ips:
                self.public_ips.add(candidate)
                return candidate

    # ------------------------------------------------------------- lifecycle
    def delay(self, status: str) -> float:
        return float(self.config["delays"].get(status, 0) or 0)

    def schedule(self, inst: dict[str, Any], chain: list[str], now: float) -> None:
        """Enter ``chain[0]`` now; the rest follow lazily after the configured delays."""
        self._enter(inst, chain[0], now)
        inst["_next"] = list(chain[1:])

    def _enter(self, inst: dict[str, Any], status: str, at: float) -> None:
        self._dirty[inst["InstanceId"]] = None
        inst["Status"] = status
        inst["_since"] = at
        inst["_seen"] = False
        inst["_seen_at"] = 0.0
        if status == "Running":
            inst["StartTs"] = at  # StartTime follows every start (reference 10.6)
        if status == "Stopped":
            inst["StoppedMode"] = inst.get("_stop_mode") or "KeepCharging"
        else:
            inst["StoppedMode"] = "Not-applicable"
        self.snapshot(inst, at)

    def advance(self, inst: dict[str, Any], now: float, observe: bool = False) -> bool:
        """Bring ``inst`` to ``now``; returns False if it was auto-released.

        ``observe`` is True for every read: it holds a transient state that was never
        shown (reference 8.1: pollers see each non-zero transient once).  Status-showing
        describes then call :meth:`mark_seen` for the instances they looked at; actions
        pass False and move on regardless.
        """
        self._instance_events(inst, now)
        hold = self.config["observe_transients"]
        while inst["_next"]:
            delay = self.delay(inst["Status"])
            due = inst["_since"] + delay
            if now < due:
                break
            if observe and hold and delay > 0 and not inst["_seen"]:
                break
            entered = max(due, inst["_seen_at"]) if inst["_seen"] else due
            self._enter(inst, inst["_next"].pop(0), entered)
        return self._apply_time_events(inst, now)

    def _instance_events(self, inst: dict[str, Any], now: float) -> None:
        """Timed attribute changes: an asynchronous instance type change (ModifyPrepayInstanceSpec,
        ModifyInstanceSpec Async) lands ``delays["SpecChange"]`` after the call, rebooting a Running
        instance when RebootWhenFinished asked for it; a temporary bandwidth upgrade
        (ModifyInstanceNetworkSpec StartTime/EndTime) applies and ends on time."""
        change = inst.get("_spec_change")
        if change and now >= change["due"]:
            self._dirty[inst["InstanceId"]] = None
            inst["_spec_change"] = None
            inst["InstanceType"] = change["InstanceType"]
            self.snapshot(inst, change["due"])
            if change.get("reboot") and inst["Status"] == "Running" and not inst["_next"]:
                self._enter(inst, "Starting", change["due"])
                inst["_next"] = ["Running"]
        temporary = inst.get("_temporary_bandwidth")
        if temporary:
            self._dirty[inst["InstanceId"]] = None
            if not temporary.get("applied") and now >= temporary["start"]:
                temporary["applied"] = True
                inst["InternetMaxBandwidthOut"] = temporary["out"]
                self.snapshot(inst, temporary["start"])
            if now >= temporary["end"]:
                inst["_temporary_bandwidth"] = None
                inst["InternetMaxBandwidthOut"] = temporary["base"]
                self.snapshot(inst, temporary["end"])

    def advance_eip(self, eip: dict[str, Any], now: float) -> dict[str, Any]:
        """Associating -> InUse, Unassociating -> Available after ``delays[state]`` (lazy, like instances)."""
        while eip["_next"] and now >= eip["_since"] + self.delay(eip["Status"]):
            eip["_since"] += self.delay(eip["Status"])
            eip["Status"] = eip["_next"].pop(0)
        return eip

    @staticmethod
    def mark_seen(inst: dict[str, Any], now: float) -> None:
        """A describe call showed ``inst``: a held transient state may now move on."""
        if inst["_next"] and not inst["_seen"]:
            inst["_seen"], inst["_seen_at"] = True, now

    def _apply_time_events(self, inst: dict[str, Any], now: float) -> bool:
        # Reference 8.6: an expired subscription is stopped with a `financial` lock.
        expired = inst["ExpiredTs"]
        if inst["InstanceChargeType"] == "PrePaid" and expired is not None and now >= expired:
            expired = self._auto_renew(inst, now)
        if inst["InstanceChargeType"] == "PrePaid" and expired is not None and now >= expired:
            if "financial" not in inst["Locks"]:
                inst["Locks"].append("financial")
                inst["_next"] = []
                self._enter(inst, "Stopped", expired)
        release = inst.get("AutoReleaseTs")
        return release is None or now < release

    def _auto_renew(self, inst: dict[str, Any], now: float) -> float:
        """RenewalStatus AutoRenewal (ModifyInstanceAutoRenewAttribute): at expiry the subscription is
        renewed by its Duration while the balance pays for it; otherwise it expires (reference 8.6)."""
        renew = inst.get("AutoRenewAttribute") or {}
        while renew.get("RenewalStatus") == "AutoRenewal" and now >= inst["ExpiredTs"] and renew.get("Duration"):
            price = self.price(inst["InstanceType"], "PrePaid", renew["Duration"], renew["PeriodUnit"])
            if price > self.balance:
                break
            self.balance = round(self.balance - price, 2)
            inst["ExpiredTs"] = add_period(inst["ExpiredTs"], renew["Duration"], renew["PeriodUnit"])
            self._dirty[inst["InstanceId"]] = None
            self.snapshot(inst, now)
        return inst["ExpiredTs"]

    def live_instances(self, ids: Iterable[str], now: float, observe: bool = False) -> list[dict[str, Any]]:
        """Advance the given instances to ``now``; auto-released ones disappear.

        Without ``observe`` (an action, which may change what it is handed) the instances are
        marked dirty, so the indexes catch up with whatever the action does to them.
        """
        alive, gone = [], []
        for instance_id in ids:
            inst = self.instances.get(instance_id)
            if inst is None:
                continue
            if not observe:
                self._dirty[instance_id] = None
            (alive if self.advance(inst, now, observe) else gone).append(inst)
        for inst in gone:
            self.release(inst, now)
        return alive

    def region_instances(self, region_id: str, now: float, observe: bool = False) -> list[dict[str, Any]]:
        return self.live_instances(list(self.by_region.get(region_id, ())), now, observe)

    def get_instance(self, instance_id: str, now: float, observe: bool = False) -> dict[str, Any] | None:
        found = self.live_instances([instance_id], now, observe)
        return found[0] if found else None

    def release(self, inst: dict[str, Any], now: float | None = None) -> None:
        """Remove an instance; disks with DeleteWithInstance go too, others detach (reference 9.9).

        With a released-instance delay, reads keep listing its last view for a while (8.9).
        """
        instance_id = inst["InstanceId"]
        if now is not None:
            linger = self.consistency_delay("released_instance_delay", inst["_seq"])
            last = self.view(inst, now) if linger > 0 else None
            if last is not None:
                ghost = copy.deepcopy({k: v for k, v in last.items() if k != "_history"})
                self.ghosts[instance_id] = {"view": ghost, "until": now + linger}
        self.instances.pop(instance_id, None)
        self.by_region.get(inst["RegionId"], {}).pop(instance_id, None)
        self.index.remove(instance_id)
        self.active.get(inst["RegionId"], {}).pop(instance_id, None)
        self.unsettled.get(inst["RegionId"], {}).pop(instance_id, None)
        self._event_at.pop(instance_id, None)
        self._dirty.pop(instance_id, None)
        self.private_ips.get(inst["VSwitchId"], set()).discard(inst["PrivateIpAddress"])
        self.public_ips.discard(inst["PublicIpAddress"])
        eip = self.eips.get((inst.get("Eip") or {}).get("AllocationId", ""))
        if eip is not None and eip["InstanceId"] == instance_id:
            # The EIP of a released instance is disassociated and stays with the account (Available).
            eip.update(Status="Available", InstanceId="", InstanceType="", _next=[], _since=now or eip["_since"])
        for disk_id in inst["DiskIds"]:
            disk = self.disks.get(disk_id)
            if disk is None:
                continue
            if disk["DeleteWithInstance"]:
                del self.disks[disk_id]
            else:
                disk.update(InstanceId="", Status="Available", Device="", AttachedTs=None)

    # ----------------------------------------------------------------- views
    def instances_view(self, now: float) -> list[dict[str, Any]]:
        """Every instance, DescribeInstances-shaped, newest first (for GET /_emulator/instances)."""
        with self.lock:
            alive = self.live_instances(list(self.instances), now, observe=True)  # a peek: consumes no sighting
            return [render_instance(self, inst) for inst in newest_first(alive)]

    def price(self, instance_type: str, charge_type: str, period: int = 1, unit: str = "Month") -> float:
        """PostPaid: the hourly price; PrePaid: the monthly price times the period (weeks = 1/4 month)."""
        itype = self.catalog.instance_types[instance_type]
        if charge_type != "PrePaid":
            return round(float(itype.get("price_hourly", 0.0)), 3)
        months = {"Week": period / 4, "Year": period * 12}.get(unit, period)
        return round(float(itype.get("price_monthly", 0.0)) * months, 2)


def newest_first(instances: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """DescribeInstances ordering (reference 9.3, undocumented): newest CreationTime first, stable."""
    return sorted(instances, key=lambda i: (i["CreationTs"], i["_seq"]), reverse=True)


def tags_ecs(tags: dict[str, str]) -> dict[str, Any]:
    return {"Tag": [{"TagKey": k, "TagValue": v} for k, v in tags.items()]}


def _ip_list(address: str) -> dict[str, list[str]]:
    return {"IpAddress": [address] if address else []}


def _eip(inst: dict[str, Any], attribute: bool = False) -> dict[str, Any]:
    """``EipAddress`` of DescribeInstances (all empty without an EIP); DescribeInstanceAttribute has no
    IsSupportUnassociate (reference 9.3, 9.5)."""
    eip = inst.get("Eip") or {}
    out = {
        "AllocationId": eip.get("AllocationId", ""),
        "IpAddress": eip.get("IpAddress", ""),
        "Bandwidth": int(eip.get("Bandwidth", 0)),
        "InternetChargeType": eip.get("InternetChargeType", ""),
    }
    if not attribute:
        out["IsSupportUnassociate"] = bool(eip)
    return out


def renew_attribute(terms: dict[str, Any] | None) -> dict[str, Any] | None:
    """The auto-renewal state of a subscription (DescribeInstanceAutoRenewAttribute) from its terms."""
    if not terms:
        return None
    auto = bool(terms.get("AutoRenew"))
    return {
        "RenewalStatus": "AutoRenewal" if auto else "Normal",
        "Duration": int(terms.get("AutoRenewPeriod") or 1) if auto else 0,
        "PeriodUnit": terms.get("PeriodUnit", "Month"),
    }


def render_instance(store: Store, inst: dict[str, Any]) -> dict[str, Any]:
    """One ``Instances.Instance[]`` entry of DescribeInstances (reference 9.3), key order as the real service.

    ``EipAddress`` comes before ``PublicIpAddress``: some clients depend on the order seen live.
    """
    itype = store.catalog.instance_types.get(inst["InstanceType"], {})
    image = store.catalog.images.get(inst["ImageId"], {})
    expired = POSTPAID_EXPIRED_TIME if inst["InstanceChargeType"] == "PostPaid" else minute_time(inst["ExpiredTs"])
    out: dict[str, Any] = {
        "ResourceGroupId": inst["ResourceGroupId"],
        "Memory": int(float(itype.get("MemorySize", 0)) * 1024),
        "InstanceChargeType": inst["InstanceChargeType"],
        "Cpu": int(itype.get("CpuCoreCount", 0)),
        "OSName": image.get("OSName", ""),
        "InstanceNetworkType": "vpc",
        "InnerIpAddress": {"IpAddress": []},
        "ExpiredTime": expired,
        "ImageId": inst["ImageId"],
        "EipAddress": _eip(inst),
        "HostName": inst["HostName"],
        "VlanId": "",
        "Status": inst["Status"],
        "HibernationOptions": {"Configured": False},
        "MetadataOptions": {
            "HttpEndpoint": inst["HttpEndpoint"],
            "HttpTokens": inst["HttpTokens"],
            "HttpPutResponseHopLimit": inst["HttpPutResponseHopLimit"],
        },
        "InstanceId": inst["InstanceId"],
        "StoppedMode": inst["StoppedMode"],
        "CpuOptions": {"CoreCount": max(1, int(itype.get("CpuCoreCount", 2)) // 2), "ThreadsPerCore": 2, "Numa": ""},
        "StartTime": minute_time(inst["StartTs"]),
        "DeletionProtection": inst["DeletionProtection"],
        "SecurityGroupIds": {"SecurityGroupId": list(inst["SecurityGroupIds"])},
        "VpcAttributes": {
            "VpcId": inst["VpcId"],
            "VSwitchId": inst["VSwitchId"],
            "NatIpAddress": "",
            "PrivateIpAddress": _ip_list(inst["PrivateIpAddress"]),
        },
        "InternetChargeType": inst["InternetChargeType"],
        "InstanceName": inst["InstanceName"],
        "DeploymentSetId": "",
        "InternetMaxBandwidthOut": inst["InternetMaxBandwidthOut"],
        "SerialNumber": inst["SerialNumber"],
        "OSType": image.get("OSType", "linux"),
        "CreationTime": minute_time(inst["CreationTs"]),
        "AutoReleaseTime": minute_time(inst.get("AutoReleaseTs")),
        "Description": inst["Description"],
        "InstanceTypeFamily": itype.get("InstanceTypeFamily", ""),
        "DedicatedInstanceAttribute": {"Tenancy": "", "Affinity": ""},
        "PublicIpAddress": _ip_list(inst["PublicIpAddress"]),
        "GPUSpec": "",
        "NetworkInterfaces": {
            "NetworkInterface": [
                {
                    "Type": "Primary",
                    "MacAddress": inst["MacAddress"],
                    "PrimaryIpAddress": inst["PrivateIpAddress"],
                    "NetworkInterfaceId": inst["NetworkInterfaceId"],
                    "PrivateIpSets": {
                        "PrivateIpSet": [{"PrivateIpAddress": inst["PrivateIpAddress"], "Primary": True}]
                    },
                }
            ]
        },
        "SpotPriceLimit": inst["SpotPriceLimit"],
        "DeviceAvailable": True,
        "SaleCycle": inst["SaleCycle"],
        "InstanceType": inst["InstanceType"],
        "SpotStrategy": inst["SpotStrategy"],
        "OSNameEn": image.get("OSNameEn", ""),
        "KeyPairName": inst["KeyPairName"],
        "IoOptimized": inst["IoOptimized"],
        "ZoneId": inst["ZoneId"],
        "ClusterId": "",
        "EcsCapacityReservationAttr": {"CapacityReservationId": "", "CapacityReservationPreference": ""},
        "DedicatedHostAttribute": {"DedicatedHostId": "", "DedicatedHostName": "", "DedicatedHostClusterId": ""},
        "GPUAmount": 0,
        "OperationLocks": {"LockReason": [{"LockReason": r, "LockMsg": ""} for r in inst["Locks"]]},
        "InternetMaxBandwidthIn": inst["InternetMaxBandwidthIn"],
        "Recyclable": False,
        "RegionId": inst["RegionId"],
        "CreditSpecification": inst["CreditSpecification"],
        "SpotDuration": inst["SpotDuration"],
        "SpotInterruptionBehavior": inst["SpotInterruptionBehavior"],
        "LocalStorageAmount": 0,
        "LocalStorageCapacity": 0,
        "RdmaIpAddress": {"IpAddress": []},
        "HpcClusterId": "",
        "ISP": "",
        "DeploymentSetGroupNo": 0,
    }
    if inst["Tags"] or store.config.get("untagged_tags_form", "omit") == "empty":
        out["Tags"] = tags_ecs(inst["Tags"])
    return out


def render_instance_attribute(store: Store, inst: dict[str, Any]) -> dict[str, Any]:
    """DescribeInstanceAttribute (reference 9.5): flat; IoOptimized is a string; no Tags/KeyPairName/StartTime."""
    itype = store.catalog.instance_types.get(inst["InstanceType"], {})
    expired = POSTPAID_EXPIRED_TIME if inst["InstanceChargeType"] == "PostPaid" else minute_time(inst["ExpiredTs"])
    return {
        "InstanceId": inst["InstanceId"],
        "InstanceName": inst["InstanceName"],
        "Description": inst["Description"],
        "HostName": inst["HostName"],
        "Status": inst["Status"],
        "RegionId": inst["RegionId"],
        "ZoneId": inst["ZoneId"],
        "ImageId": inst["ImageId"],
        "InstanceType": inst["InstanceType"],
        "Cpu": int(itype.get("CpuCoreCount", 0)),
        "Memory": int(float(itype.get("MemorySize", 0)) * 1024),
        "InstanceNetworkType": "vpc",
        "InstanceChargeType": inst["InstanceChargeType"],
        "InternetChargeType": inst["InternetChargeType"],
        "InternetMaxBandwidthIn": inst["InternetMaxBandwidthIn"],
        "InternetMaxBandwidthOut": inst["InternetMaxBandwidthOut"],
        "IoOptimized": "optimized" if inst["IoOptimized"] else "none",
        "CreationTime": minute_time(inst["CreationTs"]),
        "ExpiredTime": expired,
        "StoppedMode": inst["StoppedMode"],
        "SerialNumber": inst["SerialNumber"],
        "CreditSpecification": inst["CreditSpecification"],
        "ClusterId": "",
        "VlanId": "",
        "EnableJumboFrame": False,
        "SecurityGroupIds": {"SecurityGroupId": list(inst["SecurityGroupIds"])},
        "PublicIpAddress": _ip_list(inst["PublicIpAddress"]),
        "InnerIpAddress": {"IpAddress": []},
        "VpcAttributes": {
            "VpcId": inst["VpcId"],
            "VSwitchId": inst["VSwitchId"],
            "NatIpAddress": "",
            "PrivateIpAddress": _ip_list(inst["PrivateIpAddress"]),
        },
        "EipAddress": _eip(inst, attribute=True),
        "DedicatedHostAttribute": {"DedicatedHostId": "", "DedicatedHostName": ""},
        "OperationLocks": {"LockReason": [{"LockReason": r} for r in inst["Locks"]]},
    }


def render_disk(disk: dict[str, Any]) -> dict[str, Any]:
    """One ``Disks.Disk[]`` entry of DescribeDisks."""
    attached = disk["InstanceId"] != ""
    return {
        "DiskId": disk["DiskId"],
        "DiskName": disk["DiskName"],
        "Description": disk["Description"],
        "RegionId": disk["RegionId"],
        "ZoneId": disk["ZoneId"],
        "InstanceId": disk["InstanceId"],
        "Type": disk["Type"],
        "Category": disk["Category"],
        "Size": disk["Size"],
        "PerformanceLevel": disk["PerformanceLevel"],
        "Status": disk["Status"],
        "Device": disk["Device"],
        "DeleteWithInstance": disk["DeleteWithInstance"],
        "DeleteAutoSnapshot": True,
        "EnableAutoSnapshot": False,
        "Encrypted": disk["Encrypted"],
        "KMSKeyId": "",
        "Portable": disk["Type"] == "data",
        "DiskChargeType": disk["DiskChargeType"],
        "ImageId": disk["ImageId"],
        "SourceSnapshotId": disk["SnapshotId"],
        "IOPS": disk["IOPS"],
        "BurstingEnabled": False,
        "SerialNumber": disk["SerialNumber"],
        "ResourceGroupId": "",
        "CreationTime": second_time(disk["CreationTs"]),
        "AttachedTime": second_time(disk.get("AttachedTs")),
        "DetachedTime": "",
        "ExpiredTime": "2999-09-08T16:00Z" if disk["DiskChargeType"] == "PostPaid" else "",
        "MultiAttach": "Disabled",
        "OperationLocks": {"OperationLock": []},
        "Attachments": {
            "Attachment": (
                [
                    {
                        "InstanceId": disk["InstanceId"],
                        "Device": disk["Device"],
                        "AttachedTime": second_time(disk.get("AttachedTs")),
                    }
                ]
                if attached
                else []
            )
        },
        "Tags": tags_ecs(disk["Tags"]),
    }
