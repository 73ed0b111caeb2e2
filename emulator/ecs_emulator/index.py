"""Indexes over the instances: a DescribeInstances page costs the same at 100 and at 100,000 instances.

Every instance is in a few *posting lists* per region, one per (field, value) a read can filter
on, plus one list of all the region's instances.  A posting list holds order keys
``(CreationTs, _seq, InstanceId)`` in ascending order, so walking it backwards is
DescribeInstances' own order (newest ``CreationTime`` first, ties by creation sequence, reference
9.3) and a NextToken cursor is one bisection away.

The lists follow the *live* state of the instances (what actions work on).  What a read shows may
differ from it under eventual consistency (reference 8.9): an instance not visible yet, or shown as
it was ``change_delay`` ago.  The store keeps those instances in a small *unsettled* set until their
view catches up with the live state; a :class:`Selection` skips them in the posting lists and
evaluates their views one by one, as it does for the ghosts of released instances.  In the default
``consistent`` profile the set is empty once a read has looked past the moment of the last change.

Cost of one read: the page, plus the instances in the smallest posting list among its filters when
it combines several filters or uses one without an index (a wildcard name, a time window, ...),
plus the unsettled and in-transition instances of the region -- never the size of the store.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, insort
from itertools import islice
from typing import Any, Callable, Iterable, Iterator

OrderKey = tuple  # (CreationTs, _seq, InstanceId)
Extract = Callable[[dict[str, Any], dict[str, Any]], Iterable[Any]]
Predicate = Callable[[dict[str, Any]], bool]
ALL = "*"


def _field(name: str) -> Extract:
    return lambda inst, types: (inst[name],)


def _eip_ip(inst: dict[str, Any], types: dict[str, Any]) -> Iterable[str]:
    return ((inst.get("Eip") or {}).get("IpAddress", ""),)


def _family(inst: dict[str, Any], types: dict[str, Any]) -> Iterable[str]:
    return (types.get(inst["InstanceType"], {}).get("InstanceTypeFamily"),)


# Indexed fields: name -> the values an instance (or a view of one) has for it.
FIELDS: dict[str, Extract] = {
    "Status": _field("Status"),
    "InstanceName": _field("InstanceName"),
    "VpcId": _field("VpcId"),
    "VSwitchId": _field("VSwitchId"),
    "ZoneId": _field("ZoneId"),
    "ImageId": _field("ImageId"),
    "InstanceType": _field("InstanceType"),
    "InstanceTypeFamily": _family,
    "KeyPairName": _field("KeyPairName"),
    "ResourceGroupId": _field("ResourceGroupId"),
    "InstanceChargeType": _field("InstanceChargeType"),
    "InternetChargeType": _field("InternetChargeType"),
    "PrivateIpAddress": _field("PrivateIpAddress"),
    "PublicIpAddress": _field("PublicIpAddress"),
    "EipAddress": _eip_ip,
    "SecurityGroupId": lambda inst, types: inst["SecurityGroupIds"],
    "TagKey": lambda inst, types: tuple(inst["Tags"]),
    "Tag": lambda inst, types: tuple(inst["Tags"].items()),
}

# A filter on an indexed field: (field, allowed values); an instance matches when one of its values is allowed.
Group = tuple[str, frozenset]


def order_key(inst: dict[str, Any]) -> OrderKey:
    return (inst["CreationTs"], inst["_seq"], inst["InstanceId"])


class InstanceIndex:
    """Posting lists of one store (derived data: never dumped, rebuilt on restore)."""

    def __init__(self, types: dict[str, Any]):
        self.types = types  # catalog.instance_types (InstanceTypeFamily)
        self.postings: dict[tuple, list[OrderKey]] = {}  # (region, field, value) / (region, ALL)
        self.keys: dict[str, tuple] = {}  # InstanceId -> the posting keys it is in
        self.order: dict[str, OrderKey] = {}
        self._intern: dict[tuple, tuple] = {}  # one tuple object per posting key

    def posting_keys(self, inst: dict[str, Any]) -> tuple:
        region = inst["RegionId"]
        keys = {(region, ALL): None}
        for name, extract in FIELDS.items():
            for value in extract(inst, self.types):
                keys[(region, name, value)] = None
        intern = self._intern
        return tuple(intern.setdefault(k, k) for k in keys)

    def update(self, inst: dict[str, Any]) -> None:
        """Bring the instance's posting lists in line with its live state."""
        iid = inst["InstanceId"]
        okey = self.order.get(iid)
        if okey is None:
            okey = self.order[iid] = order_key(inst)
        new = self.posting_keys(inst)
        old = self.keys.get(iid, ())
        if new == old:
            return
        gone, added = set(old), set(new)
        gone, added = gone - added, added - gone
        for key in gone:
            self._discard(key, okey)
        for key in added:
            postings = self.postings.get(key)
            if postings is None:
                self.postings[key] = [okey]
            elif postings[-1] < okey:
                postings.append(okey)  # the usual case: the newest instance
            else:
                insort(postings, okey)
        self.keys[iid] = new

    def remove(self, iid: str) -> None:
        okey = self.order.pop(iid, None)
        for key in self.keys.pop(iid, ()):
            self._discard(key, okey)

    def _discard(self, key: tuple, okey: OrderKey | None) -> None:
        postings = self.postings.get(key)
        if postings is None or okey is None:
            return
        pos = bisect_left(postings, okey)
        if pos < len(postings) and postings[pos] == okey:
            del postings[pos]
        if not postings:
            del self.postings[key]
            self._intern.pop(key, None)

    def size(self, region: str, field: str, value: Any) -> int:
        return len(self.postings.get((region, field, value), ()))

    def ids(self, region: str, field: str | None = None, value: Any = None) -> list[str]:
        """InstanceIds of one posting list (oldest first)."""
        key = (region, ALL) if field is None else (region, field, value)
        return [okey[2] for okey in self.postings.get(key, ())]


def matches(obj: dict[str, Any], groups: Iterable[Group], residual: Iterable[Predicate], types: dict[str, Any]) -> bool:
    """Does an instance or a view pass every filter?"""
    for name, allowed in groups:
        if not any(value in allowed for value in FIELDS[name](obj, types)):
            return False
    return all(pred(obj) for pred in residual)


class Selection:
    """The instances of one region that a read selects, newest first.

    ``groups``: filters on indexed fields (AND), ``residual``: other predicates, ``ids``: the
    instances asked for by id (then only those are looked at).  ``special``: (order key, view)
    of everything whose view may differ from the live state (unsettled instances, ghosts of
    released ones, every candidate when ``ids`` is given), already filtered and sorted.
    """

    def __init__(self, store: Any, region: str, now: float, groups: list[Group], residual: list[Predicate],
                 ids: list[str] | None = None):
        self.store = store
        self.index: InstanceIndex = store.index
        self.types = self.index.types
        self.region, self.now = region, now
        self.groups, self.residual = groups, residual
        special: list[tuple[OrderKey, dict[str, Any]]] = []
        if ids is not None:
            wanted = [i for i in dict.fromkeys(ids) if store.instances.get(i, {}).get("RegionId") == region]
            candidates: Iterable[str] = wanted
            self.skip: set[str] | dict[str, Any] = set()
            self.base: list[OrderKey] = []
            self.base_key: tuple | None = None
            self.others: list[Group] = []
        else:
            candidates = store.unsettled_ids(region, now)
            self.skip = candidates
            self._choose_base()
        for iid in candidates:
            inst = store.instances.get(iid)
            view = store.view(inst, now) if inst is not None else None
            if view is not None and matches(view, groups, residual, self.types):
                special.append((self.index.order.get(iid) or order_key(inst), view))
        for ghost in store.ghost_views(now, region, ids):
            if matches(ghost, groups, residual, self.types):
                special.append((order_key(ghost), ghost))
        special.sort(key=lambda item: item[0], reverse=True)
        self.special = special

    # -- the indexed part ------------------------------------------------------------
    def _choose_base(self) -> None:
        """Walk the smallest posting list (or union of lists) among the filters; check the others."""
        region, postings = self.region, self.index.postings
        best: tuple[int, int] | None = None
        for n, (name, allowed) in enumerate(self.groups):
            size = sum(len(postings.get((region, name, value), ())) for value in allowed)
            if best is None or size < best[0]:
                best = (size, n)
        if best is None:
            self.base_key = (region, ALL)
            self.base = postings.get(self.base_key, [])
            self.others = []
            return
        name, allowed = self.groups[best[1]]
        self.others = self.groups[: best[1]] + self.groups[best[1] + 1 :]
        lists = [postings[(region, name, v)] for v in allowed if (region, name, v) in postings]
        if len(lists) == 1 and len(allowed) == 1:
            self.base_key = (region, name, next(iter(allowed)))
            self.base = lists[0]
        else:
            self.base_key = None  # a union: materialised (the lists are small: ids, addresses)
            self.base = sorted(set().union(*lists)) if lists else []

    @property
    def _plain(self) -> bool:
        """The base list is exactly the indexed answer (no other filter to check)."""
        return self.base_key is not None and not self.others and not self.residual

    def _main(self, before: tuple | None = None) -> Iterator[OrderKey]:
        """Live instances of the base list that pass the filters, newest first (before ``before``)."""
        base, skip, instances = self.base, self.skip, self.store.instances
        others, residual, types = self.others, self.residual, self.types
        check = bool(others or residual)
        top = len(base) if before is None else bisect_left(base, before)
        for pos in range(top - 1, -1, -1):
            okey = base[pos]
            iid = okey[2]
            if iid in skip:
                continue
            if check and not matches(instances[iid], others, residual, types):
                continue
            yield okey

    def _skipped_in_base(self, before: tuple | None) -> int:
        keys, order, base_key = self.index.keys, self.index.order, self.base_key
        return sum(
            1
            for iid in self.skip
            if base_key in keys.get(iid, ()) and (before is None or order[iid] < before)
        )

    # -- answers ---------------------------------------------------------------------
    def count(self, before: tuple | None = None) -> int:
        """How many instances match (those before the cursor ``before``, when given)."""
        special = sum(1 for okey, _ in self.special if before is None or okey < before)
        if self._plain:
            top = len(self.base) if before is None else bisect_left(self.base, before)
            return top - self._skipped_in_base(before) + special
        return sum(1 for _ in self._main(before)) + special

    def _stream(self, before: tuple | None = None) -> Iterator[tuple[OrderKey, dict[str, Any] | None]]:
        main = ((okey, None) for okey in self._main(before))
        special = [item for item in self.special if before is None or item[0] < before]
        if not special:
            return main
        return heapq.merge(main, special, key=lambda item: item[0], reverse=True)

    def _shown(self, item: tuple[OrderKey, dict[str, Any] | None]) -> dict[str, Any]:
        okey, view = item
        return view if view is not None else self.store.instances[okey[2]]

    def page(self, offset: int, size: int) -> list[dict[str, Any]]:
        """PageNumber paging: ``size`` entries after the first ``offset``."""
        if self._plain and not self.special and not self._skipped_in_base(None):
            top = len(self.base) - offset
            chosen = self.base[max(0, top - size) : max(0, top)]
            return [self.store.instances[okey[2]] for okey in reversed(chosen)]
        return [self._shown(item) for item in islice(self._stream(), offset, offset + size)]

    def after(self, before: tuple | None, size: int) -> tuple[list[tuple[OrderKey, dict[str, Any]]], bool]:
        """NextToken paging: up to ``size`` entries older than the cursor, and whether more follow."""
        items = list(islice(self._stream(before), size + 1))
        return [(okey, self._shown((okey, view))) for okey, view in items[:size]], len(items) > size

    def all(self) -> list[dict[str, Any]]:
        return [self._shown(item) for item in self._stream()]
