from __future__ import annotations

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsVisibilityError, EcsWaitTimeoutError
from ansible_collections.alicloud.ecs.plugins.module_utils._waiters import (
    QUIET,
    InstanceWaiter,
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
            if (self.after is None and arrived) or (self.before is None and not arrived):
                continue
            result[i] = {"InstanceId": i, "Status": self.after if arrived else self.before}
        return result


@pytest.mark.parametrize(
    "instance,running,settled",
    [
        ({"Status": "Running"}, True, True),
        ({"Status": "Starting"}, False, False),
        ({"Status": "Stopping"}, False, False),
        ({"Status": "Pending"}, False, False),
        ({"Status": "Stopped"}, False, True),
    ],
)
def test_predicates_are_pure(instance, running, settled):
    assert status_in("Running")(instance) is running
    assert is_settled(instance) is settled


@pytest.mark.parametrize("elapsed,expected", [
    (0, 1.0), (1.5, 1.0), (2.5, 1.0), (3.0, 0.5), (3.5, 0.5), (5.0, 0.5), (5.5, 0.55), (10, 1.0), (20, 2.0),
    (59, 2.0), (61, 5.0), (600, 5.0),
])
def test_poll_interval(elapsed, expected):
    assert poll_interval(elapsed) == pytest.approx(expected)


def test_the_schedule_of_a_five_second_create_polls_seven_times_and_ends_within_half_a_second():
    # QUIET after the action, then the schedule: what bench/README.md explains.
    polls, now = [], QUIET
    while now < 6.0:
        polls.append(round(now, 2))
        now += poll_interval(now)
    assert polls == [1.5, 2.5, 3.5, 4.0, 4.5, 5.0, 5.5]


def test_since_continues_the_schedule_of_an_earlier_wait(fake_clock):
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-a": 5.0})
    action = clock()
    waiter = InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep)
    seen = waiter.wait(["i-a"], "listed", 60, first_delay=QUIET, since=action)
    assert clock() - action == pytest.approx(QUIET)
    waiter.wait(["i-a"], "running", 60, first_delay=QUIET, since=action, seen=seen)
    # Polls at 2.5, 3.5, 4.0, 4.5, 5.0 (the instance is Running from 5.0) after the action.
    assert clock() - action == pytest.approx(5.0) and waiter.polls == 6


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
    cloud = FakeCloud(clock, {"i-a": 1.0, "i-b": 9_900.0, "i-c": 0.0})
    waiter = InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep)
    with pytest.raises(EcsWaitTimeoutError) as info:
        waiter.wait(["i-a", "i-b"], "running", 30)
    assert info.value.pending == {"i-b": "Pending"}
    assert "i-b (Pending)" in info.value.message
    assert clock.elapsed == pytest.approx(30.0)
    assert max(clock.sleeps) <= 2.0


def test_an_unlisted_instance_is_not_taken_for_released(fake_clock):
    """Reference 8.9: not listed may be "not visible yet"; it is waited for up to the visibility bound."""
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-late": 8.0}, before=None)
    seen = InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep).wait(["i-late"], "running", 600, visibility=20)
    assert seen["i-late"]["Status"] == "Running" and 8.0 <= clock.elapsed <= 9.0


def test_an_instance_never_listed_fails_after_the_visibility_wait_naming_both_causes(fake_clock):
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-a": 0.0})
    waiter = InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep)
    with pytest.raises(EcsVisibilityError) as info:
        waiter.wait(["i-a", "i-ghost"], "running", 600, visibility=15)
    assert info.value.missing == ["i-ghost"] and 15 <= clock.elapsed <= 16
    assert "i-ghost not listed by DescribeInstances after 15s" in info.value.message
    assert "propagated" in info.value.message and "ecs:DescribeInstances" in info.value.message


def test_an_instance_that_disappears_fails_after_the_visibility_wait(fake_clock):
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-a": 5.0}, before="Starting", after=None)  # listed Starting, then gone
    with pytest.raises(EcsVisibilityError, match="i-a no longer listed for 10s"):
        InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep).wait(["i-a"], "running", 600, visibility=10)
    assert clock.elapsed <= 17


def test_wait_for_absent(fake_clock):
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-a": 2.0}, before="Stopped", after=None)
    seen = InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep).wait(["i-a"], "absent", 60)
    assert seen == {"i-a": None}


def test_seen_entries_are_the_first_poll_and_first_delay_spaces_the_next(fake_clock):
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-a": 4.0})
    waiter = InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep)
    waiter.wait(["i-a"], "running", 600, seen={"i-a": {"InstanceId": "i-a", "Status": "Pending"}}, first_delay=3.0)
    assert clock.sleeps[0] == pytest.approx(3.0) and len(cloud.calls) == 3  # at 3.0, 3.5 and 4.0 s


def test_zero_timeout_checks_once(fake_clock):
    clock = fake_clock
    cloud = FakeCloud(clock, {"i-a": 0.0})
    InstanceWaiter(cloud.describe, clock=clock, sleep=clock.sleep).wait(["i-a"], "running", 0)
    assert len(cloud.calls) == 1 and clock.sleeps == []
