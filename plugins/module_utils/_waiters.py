# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Waiting for sets of instances: pure predicates plus one bounded polling loop.

A predicate takes the raw DescribeInstances entry of one instance, or ``None``
when the instance is not listed (released, or not yet visible), and says
whether it has arrived.  The loop polls only the instances still pending,
through a ``describe`` callable that batches 100 ids per call.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterable

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsWaitTimeoutError

Instance = dict[str, Any]
Predicate = Callable[["Instance | None"], bool]

TRANSITIONAL_STATUSES = frozenset({"Pending", "Starting", "Stopping"})
FIRST_INTERVAL = 0.5
INTERVAL_GROWTH = 0.1  # next poll after 10% of the time waited so far: overshoot stays small
EARLY_CAP, LATE_CAP, EARLY_PERIOD = 2.0, 5.0, 60.0


def status_in(*statuses: str) -> Predicate:
    """Arrived when listed with one of ``statuses``."""
    wanted = frozenset(statuses)
    return lambda instance: instance is not None and instance.get("Status") in wanted


def is_gone(instance: Instance | None) -> bool:
    """Arrived when no longer listed (released)."""
    return instance is None


def is_settled(instance: Instance | None) -> bool:
    """Arrived when not in a transitional state (or gone)."""
    return instance is None or instance.get("Status") not in TRANSITIONAL_STATUSES


PREDICATES: dict[str, Predicate] = {
    "running": status_in("Running"),
    "stopped": status_in("Stopped"),
    "absent": is_gone,
    "settled": is_settled,
}


def poll_interval(elapsed: float) -> float:
    """Fast first polls, then growing slowly; capped at 2 s for a minute and 5 s after."""
    cap = EARLY_CAP if elapsed < EARLY_PERIOD else LATE_CAP
    return min(cap, max(FIRST_INTERVAL, elapsed * INTERVAL_GROWTH))


def describe_status(instance: Instance | None) -> str:
    return "not found" if instance is None else str(instance.get("Status"))


class InstanceWaiter:
    """Polls ``describe(ids) -> {id: instance}`` until every id satisfies a predicate."""

    def __init__(
        self,
        describe: Callable[[list[str]], dict[str, Instance]],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._describe = describe
        self._clock = clock
        self._sleep = sleep

    def wait(self, ids: Iterable[str], target: str, timeout: float) -> dict[str, Instance | None]:
        """Last seen entry of every id once all have arrived at ``target`` (a key of PREDICATES)."""
        predicate = PREDICATES[target]
        start = self._clock()
        pending = sorted(set(ids))
        seen: dict[str, Instance | None] = {}
        while pending:
            found = self._describe(pending)
            seen.update((instance_id, found.get(instance_id)) for instance_id in pending)
            pending = [instance_id for instance_id in pending if not predicate(seen[instance_id])]
            elapsed = self._clock() - start
            if pending and elapsed >= timeout:
                raise _timeout_error(pending, seen, target, timeout)
            if pending:
                self._sleep(min(poll_interval(elapsed), timeout - elapsed))
        return seen


def _timeout_error(pending: list[str], seen: dict[str, Instance | None], target: str, timeout: float) -> EcsWaitTimeoutError:
    states = {instance_id: describe_status(seen.get(instance_id)) for instance_id in pending}
    listing = ", ".join("%s (%s)" % item for item in sorted(states.items()))
    return EcsWaitTimeoutError(
        "timed out after %ss; %d instance(s) not %s yet: %s" % (timeout, len(pending), target, listing),
        pending=states,
        operation="wait for instances to be %s" % target,
    )
