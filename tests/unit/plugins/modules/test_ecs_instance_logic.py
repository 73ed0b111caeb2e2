from __future__ import annotations

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError, EcsConfigError, EcsError
from ansible_collections.alicloud.ecs.plugins.module_utils._instances import InstanceRunner
from ansible_collections.alicloud.ecs.plugins.modules import ecs_instance
from ansible_collections.alicloud.ecs.tests.unit.kit import FakeClock, module_params

from .fake_ecs import FakeEcs, FakeModule

# Task arguments of every run; the module's spec adds the rest, with their defaults.
TASK = {"name": "web", "image_id": "img-1", "instance_type": "ecs.t1", "security_group_ids": ["sg-1"], "wait_timeout": 60}


def run(cloud, check_mode=False, diff=False, **params):
    mod = FakeModule(cloud, module_params(ecs_instance, **dict(TASK, **params)), check_mode=check_mode, diff=diff)
    clock = FakeClock()
    result = InstanceRunner(mod, clock=clock, sleep=clock.sleep).run()
    return result, mod


@pytest.fixture
def cloud():
    return FakeEcs()


def test_create_then_repeat_is_idempotent(cloud):
    result, _unused = run(cloud, count=3, state="running", tags={"env": "t"})
    assert result["changed"] and len(result["created_ids"]) == 3
    assert [a for a, _params in cloud.calls].count("RunInstances") == 1
    cloud.calls.clear()
    result, _unused = run(cloud, count=3, state="running", tags={"env": "t"})
    assert not result["changed"] and cloud.mutating_calls() == []
    assert result["instance_ids"] == sorted(result["instance_ids"], key=lambda i: cloud.instances[i]["CreationTime"])


def test_check_mode_makes_no_mutating_call_and_dry_runs_create(cloud):
    result, _unused = run(cloud, check_mode=True, diff=True, count=2)
    assert result["changed"] and cloud.mutating_calls() == [] and cloud.instances == {}
    dry = [p for a, p in cloud.calls if a == "RunInstances"]
    assert dry and dry[0]["DryRun"] and dry[0]["Amount"] == 2 and "ClientToken" not in dry[0]
    assert set(result["diff"]["after"]) == {"new-1", "new-2"} and result["diff"]["before"] == {}


def test_lost_response_is_replayed_not_duplicated(cloud):
    run(cloud, count=2)
    # Same task, same existing set: the token is the same, so even a blind second create replays.
    cloud.instances.clear()
    cloud.tokens_before = dict(cloud.tokens)
    result, _unused = run(cloud, count=2)
    # The replayed ids were released: the stale token is replaced and new instances are created.
    assert len(result["created_ids"]) == 2 and len(cloud.instances) == 2
    assert [a for a, _params in cloud.calls].count("RunInstances") == 3


def create_tokens(cloud):
    return [p["ClientToken"] for a, p in cloud.calls if a in ("CreateInstance", "RunInstances")]


@pytest.mark.parametrize("state,first,total", [("stopped", 2, 3), ("running", 100, 101)])
def test_a_run_joining_half_way_uses_the_other_runs_tokens(state, first, total):
    # A run creating instances call after call (CreateInstance one by one, RunInstances
    # 100 at a time), and a run that starts once the first calls' instances exist: the
    # latter must send the token of the next slots, which the first run uses (or used)
    # too, so the API replays instead of creating more.
    alone = FakeEcs()
    run(alone, state=state, count=total)
    joined = FakeEcs()
    run(joined, state=state, count=first)
    run(joined, state=state, count=total)
    assert create_tokens(joined) == create_tokens(alone)
    assert len(set(create_tokens(alone))) == len(create_tokens(alone)) == total - first + (1 if state == "running" else first)


def test_idempotent_parameter_mismatch_moves_to_next_token(cloud):
    cloud.fail_next["RunInstances"] = [EcsApiError("IdempotentParameterMismatch", "x", http_status=400)]
    result, _unused = run(cloud, count=1)
    assert len(result["created_ids"]) == 1
    tokens = [p["ClientToken"] for a, p in cloud.calls if a == "RunInstances"]
    assert len(set(tokens)) == 2


def test_stopped_state_uses_create_instance_with_extra_groups(cloud):
    result, _unused = run(cloud, state="stopped", count=2, security_group_ids=["sg-1", "sg-2"])
    actions = [a for a, _params in cloud.calls]
    assert actions.count("CreateInstance") == 2 and actions.count("ModifyInstanceAttribute") == 2
    assert all(i["status"] == "Stopped" for i in result["instances"])
    assert all(i["security_group_ids"] == ["sg-1", "sg-2"] for i in result["instances"])


def test_state_transitions_and_restarted_always_changed(cloud):
    run(cloud, count=2, state="running")
    result, _unused = run(cloud, count=2, state="stopped")
    assert len(result["stopped_ids"]) == 2
    result, _unused = run(cloud, count=2, state="stopped")
    assert not result["changed"]
    result, _unused = run(cloud, count=2, state="restarted")
    assert result["changed"] and len(result["restarted_ids"]) == 2
    result, _unused = run(cloud, count=2, state="restarted")
    assert result["changed"]


def test_absent_stops_then_releases_and_is_idempotent(cloud):
    run(cloud, count=2, state="running")
    cloud.calls.clear()
    result, _unused = run(cloud, state="absent")
    assert len(result["deleted_ids"]) == 2 and cloud.instances == {}
    assert [a for a, _params in cloud.calls if a in ("StopInstances", "DeleteInstances")] == ["StopInstances", "DeleteInstances"]
    result, _unused = run(cloud, state="absent")
    assert not result["changed"]


def test_force_release_skips_stop(cloud):
    run(cloud, count=1, state="running")
    cloud.calls.clear()
    run(cloud, state="absent", force_release=True)
    assert "StopInstances" not in [a for a, _params in cloud.calls]
    assert [p for a, p in cloud.calls if a == "DeleteInstances"][0]["Force"] is True


def test_deletion_protection_blocks_then_turned_off(cloud):
    run(cloud, count=1, deletion_protection=True)
    with pytest.raises(EcsConfigError, match="deletion protection"):
        run(cloud, state="absent")
    assert cloud.mutating_calls() == ["RunInstances"]
    result, _unused = run(cloud, state="absent", deletion_protection=False)
    assert result["deleted_ids"] and cloud.instances == {}


def test_prepaid_release_requires_conversion(cloud):
    run(cloud, count=1, instance_charge_type="PrePaid", period=1)
    with pytest.raises(EcsConfigError, match="convert_prepaid_on_delete"):
        run(cloud, state="absent")
    result, _unused = run(cloud, state="absent", convert_prepaid_on_delete=True)
    conversions = [p for a, p in cloud.calls if a == "ModifyInstanceChargeType"]
    assert conversions[0]["InstanceChargeType"] == "PostPaid" and conversions[0]["ClientToken"]
    assert cloud.instances == {}


def test_updates_tags_name_and_charge_type_by_ids(cloud):
    created, _unused = run(cloud, count=1, tags={"a": "1", "b": "2"})
    ids = created["instance_ids"]
    result, _unused = run(cloud, instance_ids=ids, name="renamed", tags={"a": "9"}, purge_tags=True, instance_charge_type="PrePaid", period=1)
    assert result["modified_ids"] == ids
    (instance,) = result["instances"]
    assert instance["instance_name"] == "renamed" and instance["tags"] == {"a": "9"} and instance["instance_charge_type"] == "PrePaid"
    cloud.calls.clear()
    result, _unused = run(cloud, instance_ids=ids, name="renamed", tags={"a": "9"}, instance_charge_type="PrePaid", period=1)
    assert not result["changed"] and cloud.mutating_calls() == []


def test_count_down_with_remove_surplus(cloud):
    run(cloud, count=3, state="running")
    result, _unused = run(cloud, count=1)
    assert not result["changed"] and len(result["instances"]) == 3
    result, _unused = run(cloud, count=1, remove_surplus=True, force_release=True)
    assert len(result["deleted_ids"]) == 2 and len(cloud.instances) == 1


def test_drift_warning_and_unknown_ids(cloud):
    run(cloud, count=1)
    _result, mod = run(cloud, count=1, instance_type="ecs.t2")
    assert any("instance_type is ecs.t1 but the task asks for ecs.t2" in w for w in mod.warnings)
    with pytest.raises(EcsConfigError, match="not found: i-nope"):
        run(cloud, instance_ids=["i-nope"], name=None)


def test_failure_after_create_reports_partial(cloud):
    cloud.fail_next["StartInstances"] = [EcsApiError("InternalError", "boom", http_status=500)] * 3
    run(cloud, count=1, state="stopped")
    with pytest.raises(EcsError) as info:
        run(cloud, count=1, state="running")
    assert info.value.code == "InternalError"


def test_ambiguous_start_converges_by_rereading(cloud):
    run(cloud, count=1, state="stopped")
    instance_id = next(iter(cloud.instances))
    original = cloud.do_StartInstances

    def start_then_fail(params):
        original(params)
        raise EcsApiError("InternalError", "lost", http_status=500)

    cloud.do_StartInstances = start_then_fail
    result, _unused = run(cloud, count=1, state="running")
    assert result["started_ids"] == [instance_id]
    assert [a for a, _params in cloud.calls].count("StartInstances") == 1


def test_bad_input_fails_before_any_call(cloud):
    with pytest.raises(EcsConfigError, match="count must be between"):
        run(cloud, count=5000)
    with pytest.raises(EcsConfigError, match="requires image_id"):
        run(cloud, image_id=None)
    assert cloud.mutating_calls() == []


def test_user_data_compared_and_never_returned(cloud):
    result, _unused = run(cloud, count=1, state="stopped", user_data="one")
    instance_id = result["instance_ids"][0]
    assert "user_data" not in result["instances"][0]
    result, _unused = run(cloud, count=1, state="stopped", user_data="one")
    assert not result["changed"]
    result, _unused = run(cloud, count=1, state="stopped", user_data="two")
    assert result["modified_ids"] == [instance_id]
    run(cloud, count=1, state="running", user_data="two")
    result, mod = run(cloud, count=1, state="running", user_data="three")
    assert not result["changed"] and any("user_data differs" in w for w in mod.warnings)


class SlowCloud(FakeEcs):
    """Instances stay Starting for the first describe calls."""

    def __init__(self):
        super().__init__()
        self.busy_reads = 0

    def do_DescribeInstances(self, params):
        body = super().do_DescribeInstances(params)
        if self.busy_reads > 0:
            self.busy_reads -= 1
            for instance in body["Instances"]["Instance"]:
                instance["Status"] = "Starting"
        return body


@pytest.mark.parametrize(
    "extra,settles",
    [
        ({}, False),
        ({"description": "new"}, True),
        ({"state": "stopped"}, True),
        ({"state": "absent", "force_release": True}, True),
    ],
)
def test_transitional_instances_are_waited_out_only_when_acted_on(extra, settles):
    cloud = SlowCloud()
    run(cloud, count=1)
    cloud.busy_reads = 2
    cloud.calls.clear()
    run(cloud, count=1, **extra)
    describes = [a for a, _params in cloud.calls].count("DescribeInstances")
    assert (describes >= 3) is settles


def test_stop_raced_by_another_run_converges(cloud):
    run(cloud, count=1, state="running")
    original = cloud.do_StopInstances

    def someone_else_stopped_first(params):
        original(params)
        raise EcsApiError("IncorrectInstanceStatus", "already stopping", http_status=403)

    cloud.do_StopInstances = someone_else_stopped_first
    result, _unused = run(cloud, count=1, state="stopped")
    assert not result.get("failed") and result["instances"][0]["status"] == "Stopped"


def test_no_change_run_makes_a_single_describe(cloud):
    run(cloud, count=3, state="running")
    cloud.calls.clear()
    result, _unused = run(cloud, count=3, state="running")
    assert not result["changed"] and [a for a, _params in cloud.calls] == ["DescribeInstances"]
    assert [i["status"] for i in result["instances"]] == ["Running"] * 3


def test_read_back_reuses_the_last_poll_and_describes_what_changed_without_wait(cloud):
    run(cloud, count=2, state="running")
    cloud.calls.clear()
    result, _unused = run(cloud, count=2, state="stopped")
    # find, one poll that sees every instance Stopped, and no separate read-back
    assert [a for a, _params in cloud.calls] == ["DescribeInstances", "StopInstances", "DescribeInstances"]
    assert [i["status"] for i in result["instances"]] == ["Stopped"] * 2
    cloud.calls.clear()
    result, _unused = run(cloud, count=2, state="running", wait=False)
    assert [a for a, _params in cloud.calls] == ["DescribeInstances", "StartInstances", "DescribeInstances"]
    assert [i["status"] for i in result["instances"]] == ["Running"] * 2
