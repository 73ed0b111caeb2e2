"""The instance logic (module_utils/_instances.py) on an in-memory ECS (fake_ecs.py) with a fake clock.

The integration and reliability suites prove the same contract against the
emulator over HTTP; here every rule runs in milliseconds, timings included.
"""

from __future__ import annotations

import math

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import (
    EcsApiError,
    EcsConfigError,
    EcsError,
    EcsVisibilityError,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._instances import InstanceRunner
from ansible_collections.alicloud.ecs.plugins.module_utils._tokens import release_token
from ansible_collections.alicloud.ecs.plugins.modules import ecs_instance
from ansible_collections.alicloud.ecs.tests.unit.kit import FakeClock, module_params

from .fake_ecs import FakeEcs, FakeModule, api_error

# Task arguments of every run; the module's spec adds the rest, with their defaults.
TASK = {"name": "web", "image_id": "img-1", "instance_type": "ecs.t1", "security_group_ids": ["sg-1"], "wait_timeout": 600}


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def cloud(clock):
    return FakeEcs(clock=clock)


def run(cloud, check_mode=False, diff=False, **params):
    mod = FakeModule(cloud, module_params(ecs_instance, **dict(TASK, **params)), check_mode=check_mode, diff=diff)
    clock = cloud.clock if isinstance(cloud.clock, FakeClock) else FakeClock()
    result = InstanceRunner(mod, clock=clock, sleep=clock.sleep).run()
    return result, mod


def creates(cloud):
    return [p for a, p in cloud.calls if a in ("RunInstances", "CreateInstance") and not p.get("DryRun")]


# ------------------------------------------------------------------ the basics


def test_create_then_repeat_is_idempotent(cloud):
    result, _unused = run(cloud, count=3, state="running", tags={"env": "t"})
    assert result["changed"] and len(result["created_ids"]) == 3
    assert cloud.actions().count("RunInstances") == 1
    cloud.calls.clear()
    result, _unused = run(cloud, count=3, state="running", tags={"env": "t"})
    assert not result["changed"] and cloud.mutating_calls() == []
    assert cloud.actions() == ["DescribeInstances"]
    assert result["instance_ids"] == sorted(result["instance_ids"], key=lambda i: cloud.instances[i]["CreationTime"])


def test_check_mode_makes_no_mutating_call_and_dry_runs_create(cloud):
    result, _unused = run(cloud, check_mode=True, diff=True, count=2)
    assert result["changed"] and cloud.mutating_calls() == [] and cloud.instances == {}
    dry = [p for a, p in cloud.calls if a == "RunInstances"]
    assert dry and dry[0]["DryRun"] and dry[0]["Amount"] == 2 and "ClientToken" not in dry[0]
    assert "DeleteInstances" not in cloud.actions()  # no release marker read in check mode
    assert set(result["diff"]["after"]) == {"new-1", "new-2"} and result["diff"]["before"] == {}


def test_lost_response_is_replayed_not_duplicated(cloud):
    cloud.fail_after["RunInstances"] = [api_error("SDK.HttpError", None, "read timed out")]
    with pytest.raises(EcsApiError):  # the fake client does not retry; a rerun does what a retry would
        run(cloud, count=2)
    result, _unused = run(cloud, count=2)
    assert len(cloud.instances) == 2 and len(result["instance_ids"]) == 2
    assert len({p["ClientToken"] for p in creates(cloud)}) == 1 and cloud.replays("RunInstances") == 0


@pytest.mark.parametrize("state,first,total", [("stopped", 2, 3), ("running", 100, 101)])
def test_a_run_joining_half_way_uses_the_other_runs_tokens(state, first, total):
    # A run that starts while another one is half-way through its creates (CreateInstance one by
    # one, RunInstances 100 at a time) sees the first calls' instances, starts at the next slot
    # and sends the token the first run uses (or used) for it, so the API replays.
    alone = FakeEcs(clock=FakeClock())
    run(alone, state=state, count=total)
    joined = FakeEcs(clock=FakeClock())
    run(joined, state=state, count=first)
    run(joined, state=state, count=total)
    assert [p["ClientToken"] for p in creates(joined)] == [p["ClientToken"] for p in creates(alone)]


def test_stopped_state_uses_create_instance_with_extra_groups(cloud):
    result, _unused = run(cloud, state="stopped", count=2, security_group_ids=["sg-1", "sg-2"])
    assert cloud.actions().count("CreateInstance") == 2 and cloud.actions().count("ModifyInstanceAttribute") == 2
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


# ----------------------------------------------------------- eventual consistency


def test_a_visibility_delay_longer_than_any_grace_creates_exactly_count(clock):
    cloud = FakeEcs(clock=clock, visibility_delay=8.0)
    result, _unused = run(cloud, count=3, state="running")
    assert len(cloud.instances) == 3 and len(creates(cloud)) == 1
    assert sorted(result["created_ids"]) == sorted(cloud.instances) and len(result["instances"]) == 3
    assert clock.elapsed >= 8.0


def test_ids_still_unlisted_after_the_visibility_wait_fail_and_nothing_more_is_created(clock):
    cloud = FakeEcs(clock=clock, blind=True)  # a RAM user who may not read instances: empty lists
    with pytest.raises(EcsVisibilityError) as info:
        run(cloud, count=2, visibility_timeout=30)
    err = info.value
    ids = sorted(cloud.instances)
    assert err.changed and err.partial["created_ids"] == ids and err.missing == ids
    assert all(i in err.message for i in ids)
    assert "propagated" in err.message and "ecs:DescribeInstances" in err.message
    assert 30 <= clock.elapsed <= 31
    # Every rerun replays the same create: never a second batch.
    for _rerun in range(3):
        with pytest.raises(EcsVisibilityError):
            run(cloud, count=2, visibility_timeout=30)
    assert len(cloud.instances) == 2 and len({p["ClientToken"] for p in creates(cloud)}) == 1


def test_a_rerun_after_a_crash_replays_the_unlisted_create(clock):
    cloud = FakeEcs(clock=clock, visibility_delay=8.0)
    cloud.fail_after["RunInstances"] = [KeyboardInterrupt()]  # the run dies right after the API created them
    with pytest.raises(KeyboardInterrupt):
        run(cloud, count=4)
    assert len(cloud.instances) == 4
    # The rerun at once: nothing is listed yet, the same token replays the 4 ids.
    result, _unused = run(cloud, count=4)
    assert len(cloud.instances) == 4 and sorted(result["instance_ids"]) == sorted(cloud.instances)
    assert cloud.replays("RunInstances") == 1


def test_a_replayed_token_whose_instances_left_the_identity_is_not_adopted(cloud):
    first, _unused = run(cloud, count=1)
    (old,) = first["created_ids"]
    # Renamed out of the identity with instance_ids, as the docs recommend.
    run(cloud, instance_ids=[old], name="web-retired")
    cloud.calls.clear()
    result, _unused = run(cloud, count=1)
    assert old not in result["instance_ids"] and len(result["instance_ids"]) == 1
    assert old not in result["created_ids"] and len(result["created_ids"]) == 1
    mutating = ("ModifyInstanceAttribute", "StartInstances", "StopInstances", "TagResources", "DeleteInstances")
    touched = [p for a, p in cloud.calls if a in mutating and old in str(p)]
    assert touched == []
    assert cloud.instances[old]["InstanceName"] == "web-retired"
    assert cloud.replays("RunInstances") == 1  # the old token replayed the renamed instance, then a linked one created
    again, _unused = run(cloud, count=1)
    assert not again["changed"] and again["instance_ids"] == result["instance_ids"]


def test_a_rerun_with_another_password_waits_for_the_earlier_create(clock):
    cloud = FakeEcs(clock=clock, visibility_delay=5.0)
    cloud.fail_after["RunInstances"] = [KeyboardInterrupt()]
    with pytest.raises(KeyboardInterrupt):
        run(cloud, count=3, password="Generated-1!")
    result, _unused = run(cloud, count=3, password="Generated-2!")  # lookup('password') gives a new one each run
    assert len(cloud.instances) == 3 and len(result["instance_ids"]) == 3
    assert not result["changed"] and result["created_ids"] == []
    assert len({p["ClientToken"] for p in creates(cloud)}) == 1


def test_concurrent_runs_with_other_passwords_make_one_batch(clock):
    cloud = FakeEcs(clock=clock, visibility_delay=5.0)
    first, _unused = run(cloud, count=3, password="Generated-1!", wait=False)
    second, _unused = run(cloud, count=3, password="Generated-2!")
    assert len(cloud.instances) == 3 and sorted(second["instance_ids"]) == sorted(first["instance_ids"])


def test_any_number_of_create_release_cycles_each_creates_exactly_count(cloud, clock):
    calls_per_cycle = []
    for _cycle in range(15):
        start = len(cloud.calls)
        created, _unused = run(cloud, count=2, state="running")
        assert len(created["created_ids"]) == 2 and len(cloud.instances) == 2
        released, _unused = run(cloud, state="absent", force_release=True)
        assert len(released["deleted_ids"]) == 2 and cloud.instances == {}
        calls_per_cycle.append(len(cloud.calls) - start)
    # What earlier cycles add is the reading of the release marker, 2*ceil(log2(n+1)) DryRun calls on each
    # side for n earlier releases -- never a replay of a released instance, never a wait.
    for cycle, calls in enumerate(calls_per_cycle):
        assert calls - calls_per_cycle[0] <= 4 * math.ceil(math.log2(cycle + 1)) + 2, calls_per_cycle
    assert cloud.replays("RunInstances") == 0
    assert clock.elapsed < 15 * 2 * 3  # no visibility wait: a couple of polls per cycle


def test_releases_use_the_next_marker_and_creates_after_them_new_tokens(cloud):
    run(cloud, count=1)
    first = creates(cloud)[-1]["ClientToken"]
    run(cloud, state="absent", force_release=True)
    deletes = [p for a, p in cloud.calls if a == "DeleteInstances" and not p.get("DryRun")]
    assert deletes[0]["ClientToken"] == release_token("cn-beijing", "web", 0)
    run(cloud, count=1)
    assert creates(cloud)[-1]["ClientToken"] != first and cloud.replays("RunInstances") == 0
    run(cloud, state="absent", force_release=True)
    deletes = [p for a, p in cloud.calls if a == "DeleteInstances" and not p.get("DryRun")]
    assert deletes[-1]["ClientToken"] == release_token("cn-beijing", "web", 1)


def test_unreadable_markers_fall_back_safely(cloud):
    # Without ecs:DeleteInstances the markers read as 0: a create after an outside release replays dead ids
    # and fails after the visibility wait -- it never creates twice.
    run(cloud, count=1)
    cloud.instances.clear()  # released outside alicloud.ecs: no marker
    with pytest.raises(EcsVisibilityError, match="not listed"):
        run(cloud, count=1, visibility_timeout=10)
    result, _unused = run(cloud, count=1, client_token_seed="after-console-release")
    assert len(result["created_ids"]) == 1 and len(cloud.instances) == 1


def test_an_absent_rerun_that_still_sees_released_instances_is_not_a_change(clock):
    cloud = FakeEcs(clock=clock, linger=20.0)
    run(cloud, count=2, state="running")
    first, _unused = run(cloud, state="absent", force_release=True, wait=False)
    assert first["changed"] and len(first["deleted_ids"]) == 2
    assert len(cloud.listed()) == 2  # still listed
    second, _unused = run(cloud, state="absent", force_release=True)
    assert not second["changed"] and second["deleted_ids"] == [] and cloud.listed() == []


def test_an_instance_that_disappears_during_a_wait_fails_it_naming_it(clock):
    cloud = FakeEcs(clock=clock)
    run(cloud, count=1, state="stopped")
    (instance_id,) = list(cloud.instances)
    original = cloud.do_StartInstances

    def start_then_vanish(params):
        original(params)
        cloud.instances[instance_id]["Status"] = "Starting"
        cloud.visible_at[instance_id] = clock() + 10_000  # gone from every read

    cloud.do_StartInstances = start_then_vanish
    with pytest.raises(EcsVisibilityError) as info:
        run(cloud, count=1, state="running", visibility_timeout=20)
    assert instance_id in info.value.message and clock.elapsed < 100


# -------------------------------------------------------------------- releases


def test_absent_stops_then_releases_and_is_idempotent(cloud):
    run(cloud, count=2, state="running")
    cloud.calls.clear()
    result, _unused = run(cloud, state="absent")
    assert len(result["deleted_ids"]) == 2 and cloud.instances == {}
    assert [a for a in cloud.actions() if a in ("StopInstances", "DeleteInstances")][:1] == ["StopInstances"]
    result, mod = run(cloud, state="absent")
    assert not result["changed"] and any("no instance matches name=web" in w for w in mod.warnings)


def test_force_release_skips_stop(cloud):
    run(cloud, count=1, state="running")
    cloud.calls.clear()
    run(cloud, state="absent", force_release=True)
    assert "StopInstances" not in cloud.actions()
    assert [p for a, p in cloud.calls if a == "DeleteInstances" and not p.get("DryRun")][0]["Force"] is True


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
    run(cloud, state="absent", convert_prepaid_on_delete=True)
    conversions = [p for a, p in cloud.calls if a == "ModifyInstanceChargeType"]
    assert conversions[0]["InstanceChargeType"] == "PostPaid" and conversions[0]["ClientToken"]
    assert cloud.instances == {}


def test_count_down_with_remove_surplus(cloud):
    run(cloud, count=3, state="running")
    result, mod = run(cloud, count=1)
    assert not result["changed"] and len(result["instances"]) == 3
    assert any("count is 1: the 2 newest" in w and "remove_surplus" in w for w in mod.warnings)
    result, _unused = run(cloud, count=1, remove_surplus=True, force_release=True)
    assert len(result["deleted_ids"]) == 2 and len(cloud.instances) == 1


# -------------------------------------------------------------------- updates


def test_updates_tags_name_and_charge_type_by_ids(cloud):
    created, _unused = run(cloud, count=1, tags={"a": "1", "b": "2"})
    ids = created["instance_ids"]
    result, _unused = run(cloud, instance_ids=ids, name="renamed", tags={"a": "9"}, instance_charge_type="PrePaid", period=1)
    assert result["modified_ids"] == ids
    (instance,) = result["instances"]
    assert instance["instance_name"] == "renamed" and instance["tags"] == {"a": "9"} and instance["instance_charge_type"] == "PrePaid"
    cloud.calls.clear()
    result, _unused = run(cloud, instance_ids=ids, name="renamed", tags={"a": "9"}, instance_charge_type="PrePaid", period=1)
    assert not result["changed"] and cloud.mutating_calls() == []


def test_a_name_selector_never_rewrites_the_tags_it_selects_by(cloud):
    run(cloud, count=1, tags={"app": "shop", "owner": "ops", "tier": "web"})
    result, _unused = run(cloud, tags={"app": "shop"}, state="stopped")
    (instance,) = result["instances"]
    assert instance["tags"] == {"app": "shop", "owner": "ops", "tier": "web"}
    assert "UntagResources" not in cloud.actions()
    result, _unused = run(cloud, tags={}, state="stopped")  # selects by name alone, changes no tag
    assert not result["changed"] and result["instances"][0]["tags"]["owner"] == "ops"
    result, _unused = run(cloud, tags={"app": "shop"}, purge_tags=True)  # explicit purge
    assert result["instances"][0]["tags"] == {"app": "shop"}


def test_tag_values_of_every_scalar_type_are_written_and_matched_alike(cloud):
    result, _unused = run(cloud, count=2, tags={"public": True, "size": 8, "ratio": 1.5})
    assert result["instances"][0]["tags"] == {"public": "true", "size": "8", "ratio": "1.5"}
    cloud.calls.clear()
    again, _unused = run(cloud, count=2, tags={"public": True, "size": 8, "ratio": 1.5})
    assert not again["changed"] and cloud.mutating_calls() == []
    gone, _unused = run(cloud, tags={"public": True}, state="absent", force_release=True)
    assert len(gone["deleted_ids"]) == 2


@pytest.mark.parametrize("tags,message", [
    ({"team": ["a", "b"]}, "tag 'team' has a list value"),
    ({"team": {"a": 1}}, "tag 'team' has a dict value"),
    ({None: "x"}, "empty key"),
])
def test_tags_the_api_cannot_store_are_refused_before_any_call(cloud, tags, message):
    with pytest.raises(EcsConfigError, match=message):
        run(cloud, count=1, tags=tags)
    assert cloud.calls == []


def test_an_empty_instance_ids_selects_nothing_and_never_creates(cloud):
    result, mod = run(cloud, instance_ids=[], name="web", count=3)
    assert not result["changed"] and cloud.calls == [] and result["instance_ids"] == []
    assert any("instance_ids is empty" in w for w in mod.warnings)


@pytest.mark.parametrize("ids", [[""], ["", " "]])
def test_instance_ids_of_blanks_select_nothing_and_say_so(cloud, ids):
    # What a lookup that found nothing gives: "" (Ansible splits it into [""]) or a list of blanks.
    result, mod = run(cloud, instance_ids=ids, name="web", count=3)
    assert not result["changed"] and cloud.calls == [] and result["instance_ids"] == []
    assert any("empty entr" in w for w in mod.warnings) and any("instance_ids is empty" in w for w in mod.warnings)


def test_blank_instance_ids_are_left_out_of_the_others(cloud):
    created, _mod = run(cloud, count=1, state="stopped")
    result, mod = run(cloud, instance_ids=created["instance_ids"] + [""], name=None, state="stopped")
    assert result["instance_ids"] == created["instance_ids"] and not result["changed"]
    assert any("1 empty entry" in w for w in mod.warnings)


def test_the_ordered_name_syntax_is_refused(cloud):
    with pytest.raises(EcsConfigError, match="ordered-name syntax"):
        run(cloud, name="web[1,3]", count=2)
    assert cloud.calls == []
    result, _unused = run(cloud, name="web*?", count=1)  # wildcards are literal characters
    assert result["instances"][0]["instance_name"] == "web*?"


def test_states_that_match_nothing_say_so(cloud):
    result, mod = run(cloud, state="restarted")
    assert cloud.mutating_calls() == [] and any("no instance matches name=web" in w and "restarted" in w for w in mod.warnings)
    result, mod = run(cloud, state="stopped", image_id=None, instance_type=None)
    assert not result["changed"] and any("nothing was stopped" in w for w in mod.warnings)
    with pytest.raises(EcsConfigError, match="no instance matches name=web tags=.*requires image_id"):
        run(cloud, state="running", image_id=None)


def test_a_create_next_to_same_named_instances_with_other_tags_warns(cloud):
    run(cloud, count=1, tags={"team": "a"})
    result, mod = run(cloud, count=1, tags={"team": "b"})
    assert len(result["created_ids"]) == 1
    assert any("named web exist with other tags" in w for w in mod.warnings)


def test_drift_warning_and_unknown_ids(cloud):
    run(cloud, count=1)
    _result, mod = run(cloud, count=1, zone_id="cn-beijing-z")
    assert any("zone_id is None but the task asks for cn-beijing-z" in w for w in mod.warnings)
    with pytest.raises(EcsVisibilityError, match="i-nope given in instance_ids are not listed"):
        run(cloud, instance_ids=["i-nope"], name=None, visibility_timeout=5)


def test_failure_after_create_reports_partial(cloud):
    cloud.fail_next["StartInstances"] = [EcsApiError("InvalidParameter", "boom", http_status=400)]
    run(cloud, count=1, state="stopped")
    with pytest.raises(EcsError) as info:
        run(cloud, count=1, state="running")
    assert info.value.code == "InvalidParameter"


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
    assert cloud.actions().count("StartInstances") == 1


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
        super().__init__(clock=FakeClock())
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
    describes = cloud.actions().count("DescribeInstances")
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
    assert not result["changed"] and cloud.actions() == ["DescribeInstances"]
    assert [i["status"] for i in result["instances"]] == ["Running"] * 3


def test_read_back_reuses_the_last_poll_and_describes_what_changed_without_wait(cloud):
    run(cloud, count=2, state="running")
    cloud.calls.clear()
    result, _unused = run(cloud, count=2, state="stopped")
    # find, one poll that sees every instance Stopped, and no separate read-back
    assert cloud.actions() == ["DescribeInstances", "StopInstances", "DescribeInstances"]
    assert [i["status"] for i in result["instances"]] == ["Stopped"] * 2
    cloud.calls.clear()
    result, _unused = run(cloud, count=2, state="running", wait=False)
    assert cloud.actions() == ["DescribeInstances", "StartInstances", "DescribeInstances"]
    assert [i["status"] for i in result["instances"]] == ["Running"] * 2


def test_the_fake_satisfies_the_client_protocol_the_logic_is_typed_by():
    from ansible_collections.alicloud.ecs.plugins.module_utils._client import ApiClient, EcsClient

    assert isinstance(FakeEcs(), ApiClient)
    assert set(ApiClient.__annotations__) <= set(vars(FakeEcs())) and callable(FakeEcs.call)
    assert hasattr(EcsClient, "call")
