# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Waiting for sets of instances: pure predicates plus one bounded polling loop.

A predicate takes the raw DescribeInstances entry of one instance and says
whether it has arrived.  ECS is eventually consistent (reference 8.9): an
instance that is not listed may simply not be visible yet, so "not listed"
only counts as arrived for the ``absent`` target; for every other target an
unlisted instance is tolerated for ``visibility`` seconds and then fails the
wait, naming it, instead of being taken for released.  The loop polls only the
instances still pending, through a ``describe`` callable that batches 100 ids
per call.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsVisibilityError, EcsWaitTimeoutError

Instance = dict[str, Any]
Predicate = Callable[[Instance], bool]

TRANSITIONAL_STATUSES = frozenset({"Pending", "Starting", "Stopping"})
# Polling schedule, measured from the action (see bench/README.md for the figures behind it).
# The API's transitions take seconds: Pending "a few seconds", Starting and Stopping usually
# 10-60 s (reference 8.1), and no transition ends right after its call, so a poll then only sees
# the state the call just entered.  The first poll comes QUIET seconds after the action (it
# confirms the instances are listed and sees their transitional state, which must be seen once);
# then every SPARSE seconds until DENSE_FROM, when the fastest transitions can end; from then
# on every RATIO of the time waited (at least FINE, at most the cap), so a wait returns within
# FINE seconds or RATIO of the time it took, whichever is longer, after the instances arrive.
QUIET = 1.5
SPARSE = 1.0
DENSE_FROM = 3.5
FINE = 0.5
RATIO = 0.1
EARLY_CAP, LATE_CAP, EARLY_PERIOD = 2.0, 5.0, 60.0


def status_in(*statuses: str) -> Predicate:
    """Arrived when listed with one of ``statuses``."""
    wanted = frozenset(statuses)
    return lambda instance: instance.get("Status") in wanted


def is_settled(instance: Instance) -> bool:
    """Arrived when not in a transitional state."""
    return instance.get("Status") not in TRANSITIONAL_STATUSES


PREDICATES: dict[str, Predicate] = {
    "running": status_in("Running"),
    "stopped": status_in("Stopped"),
    "settled": is_settled,
    "listed": lambda instance: True,
}


def poll_interval(elapsed: float) -> float:
    """Seconds until the next poll, ``elapsed`` seconds after the action (a pure function of time)."""
    if elapsed < DENSE_FROM:
        return max(FINE, min(SPARSE, DENSE_FROM - elapsed))
    cap = EARLY_CAP if elapsed < EARLY_PERIOD else LATE_CAP
    return min(cap, max(FINE, RATIO * elapsed))


def describe_status(instance: Instance | None) -> str:
    return "not listed" if instance is None else str(instance.get("Status"))


class InstanceWaiter:
    """Polls ``describe(ids) -> {id: instance}`` until every id satisfies a target."""

    def __init__(
        self,
        describe: Callable[[list[str]], dict[str, Instance]],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._describe = describe
        self._clock = clock
        self._sleep = sleep
        self.polls = 0

    def wait(
        self,
        ids: Iterable[str],
        target: str,
        timeout: float,
        *,
        visibility: float | None = None,
        seen: dict[str, Instance | None] | None = None,
        first_delay: float = 0.0,
        missing_ok: bool = False,
        predicate: Predicate | None = None,
        since: float | None = None,
    ) -> dict[str, Instance | None]:
        """Last seen entry of every id once all have arrived at ``target``.

        ``target`` is a key of PREDICATES, or ``absent`` (arrived when no longer
        listed).  ``seen``: entries already read at the start (that read is the
        first poll); ``first_delay``: seconds before the first poll otherwise (an
        action's new state takes that long anyway).  An unlisted id is allowed
        ``visibility`` seconds (default: ``timeout``) -- from the start for ids
        not seen yet, from when it disappeared otherwise -- then the wait fails
        with EcsVisibilityError; with ``missing_ok`` an unlisted id has arrived.
        ``since``: the clock time of the action waited for (default: now); the
        polling schedule and ``first_delay`` count from it, so a wait that follows
        another one for the same action continues its schedule.
        """
        arrived = predicate or (None if target == "absent" else PREDICATES[target])
        start = self._clock()
        origin = start if since is None else min(since, start)
        visibility = timeout if visibility is None else min(visibility, timeout)
        pending = sorted(set(ids))
        last: dict[str, Instance | None] = {}
        missing_since: dict[str, float] = {}
        ever_seen: set[str] = set()
        observed = dict(seen) if seen is not None else None
        if observed is None and first_delay > 0 and pending:
            self._sleep(max(0.0, min(origin + first_delay - start, timeout)))
            first_delay = 0.0
        while pending:
            if observed is None:
                self.polls += 1
                found = self._describe(pending)
                observed = {i: found.get(i) for i in pending}
            now = self._clock()
            for instance_id in pending:
                entry = observed.get(instance_id)
                last[instance_id] = entry
                if entry is None:
                    missing_since.setdefault(instance_id, start if instance_id not in ever_seen else now)
                else:
                    ever_seen.add(instance_id)
                    missing_since.pop(instance_id, None)
            observed = None
            pending = [i for i in pending if not self._arrived(last[i], arrived, missing_ok)]
            elapsed = now - start
            unlisted = sorted(i for i in pending if last.get(i) is None and now - missing_since[i] >= visibility)
            if unlisted:
                raise _visibility_error(unlisted, ever_seen, target, visibility)
            if pending and elapsed >= timeout:
                raise _timeout_error(pending, last, target, timeout)
            if pending:
                # After the entries given in ``seen``, the first poll still waits ``first_delay``.
                interval = max(poll_interval(now - origin), origin + first_delay - now)
                first_delay = 0.0
                self._sleep(max(0.0, min(interval, timeout - elapsed)))
        return last

    @staticmethod
    def _arrived(entry: Instance | None, arrived: Predicate | None, missing_ok: bool) -> bool:
        if entry is None:
            return arrived is None or missing_ok
        return arrived is not None and arrived(entry)


def _visibility_error(unlisted: list[str], ever_seen: set[str], target: str, visibility: float) -> EcsVisibilityError:
    vanished = [i for i in unlisted if i in ever_seen]
    never = [i for i in unlisted if i not in ever_seen]
    parts = []
    if never:
        parts.append(
            "%s not listed by DescribeInstances after %ss" % (", ".join(never), _seconds(visibility))
        )
    if vanished:
        parts.append(
            "%s no longer listed for %ss (released by someone else?)" % (", ".join(vanished), _seconds(visibility))
        )
    return EcsVisibilityError(
        "; ".join(parts) + ". ECS is eventually consistent, so this does not mean they do not exist: either the "
        "change has not propagated yet (run the task again later; visibility_timeout waits longer), or the "
        "credential may not read these instances (a RAM policy without ecs:DescribeInstances on them answers an "
        "empty list). Nothing more was created",
        missing=unlisted,
        operation="wait for instances to be %s" % target,
    )


def _seconds(value: float) -> str:
    return ("%d" % value) if float(value).is_integer() else ("%.1f" % value)


def _timeout_error(pending: list[str], seen: dict[str, Instance | None], target: str, timeout: float) -> EcsWaitTimeoutError:
    states = {instance_id: describe_status(seen.get(instance_id)) for instance_id in pending}
    listing = ", ".join("%s (%s)" % item for item in sorted(states.items()))
    return EcsWaitTimeoutError(
        "timed out after %ss; %d instance(s) not %s yet: %s" % (timeout, len(pending), target, listing),
        pending=states,
        operation="wait for instances to be %s" % target,
    )
