from __future__ import annotations

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsWaitTimeoutError
from ansible_collections.alicloud.ecs.plugins.module_utils._waiters import (
    InstanceWaiter,
    is_gone,
    is_settled,
    poll_interval,
    status_in,
)


class FakeCloud:
    """Instances that reach a status some seconds after the clock's start; records every describe batch."""

    def __init__(self, clock, arrivals, before="Pending", after="Running"):
        self.clock, self.arrivals, self.before, self.after = clock, arrivals, before, after
        self.calls = []

    def describe(self, ids):
        self.calls.append(list(ids))
        result = {}
        for i in ids:
            if i not in self.arrivals:
                continue
            arrived = self.clock.elapsed >= self.arrivals[i]
            if self.after is None and arrived:
                continue
            result[i] = {"InstanceId": i, "Status": self.after if arrived else self.before}
        return result


@pytest.mark.parametrize(
    "instance,running,gone,settled",
    [
        (None, False, True, True),
        ({"Status": "Running"}, True, False, True),
        ({"Status": "Starting"}, False, False, False),
        ({"Status": "Stopping"}, False, False, False),
        ({"Status": "Pending"}, False, False, False),
        ({"Status": "Stopped"}, False, False, True),
    ],
)
def test_predicates_are_pure(instance, running, gone, settled):
    assert status_in("Running")(instance) is running
    assert is_gone(instance) is gone
    assert is_settled(instance) is settled


@pytest.mark.parametrize("elapsed,expected", [(0, 0.5), (3, 0.5), (10, 1.0), (20, 2.0), (59, 2.0), (61, 5.0), (600, 5.0)])
def test_poll_interval(elapsed, expected):
    assert poll_interval(elapsed) == pytest.approx(expected)


def test_wait_returns_when_all_arrive_and_polls_only_pending(fake_clock):
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-a": 1.0, "i-b": 3.0})
    seen = InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep).wait(["i-b", "i-a"], "running", 600)
    assert {k: v["Status"] for k, v in seen.items()} == {"i-a": "Running", "i-b": "Running"}
    assert cloud.calls[0] == ["i-a", "i-b"]
    assert cloud.calls[-1] == ["i-b"]


@pytest.mark.parametrize("floor", [5.0, 10.0, 30.0, 45.0])
def test_overshoot_is_small(floor, fake_clock):
    """The benchmark target: done within 1.2x of the transition time."""
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-%d" % n: floor for n in range(100)})
    InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep).wait(list(cloud.arrivals), "running", 600)
    assert clock.elapsed <= floor * 1.2
    assert all(len(call) == 100 for call in cloud.calls)


def test_timeout_names_each_late_instance(fake_clock):
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-a": 1.0, "i-b": 9_900.0})
    waiter = InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep)
    with pytest.raises(EcsWaitTimeoutError) as info:
        waiter.wait(["i-a", "i-b", "i-c"], "running", 30)
    assert info.value.pending == {"i-b": "Pending", "i-c": "not found"}
    assert "i-b (Pending)" in info.value.message and "i-c (not found)" in info.value.message
    assert clock.elapsed == pytest.approx(30.0)
    assert max(clock.sleeps) <= 2.0


def test_wait_for_absent(fake_clock):
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-a": 2.0}, before="Stopped", after=None)
    seen = InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep).wait(["i-a"], "absent", 60)
    assert seen == {"i-a": None}


def test_zero_timeout_checks_once(fake_clock):
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-a": 0.0})
    InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep).wait(["i-a"], "running", 0)
    assert len(cloud.calls) == 1 and clock.sleeps == []
