from __future__ import annotations

import base64

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils import _instance_plan as p
from ansible_collections.alicloud.ecs.plugins.modules import ecs_instance
from ansible_collections.alicloud.ecs.tests.unit.kit import module_params


def params(**kwargs):
    """ecs_instance's parameters for a task naming ``web`` plus ``kwargs``."""
    return module_params(ecs_instance, **dict({"name": "web"}, **kwargs))


def inst(instance_id, status="Running", created="2026-01-01T00:00Z", **extra):
    return dict({"InstanceId": instance_id, "Status": status, "CreationTime": created, "InstanceName": "web"}, **extra)


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"count": -1}, "count must be between 0 and 1000"),
        ({"name": None}, "one of instance_ids or name is required"),
        ({"name": ""}, "one of instance_ids or name is required"),
        ({"name": "web[1,3]"}, "ordered-name syntax"),
        ({"spot_price_limit": float("nan")}, "spot_price_limit must be a positive number"),
        ({"count": 1001}, "count must be between 0 and 1000"),
        ({"period": 1}, "period only apply with instance_charge_type=PrePaid"),
        ({"instance_charge_type": "PostPaid", "auto_renew": True}, "auto_renew only apply"),
        ({"instance_charge_type": "PrePaid", "period": 1, "spot_strategy": "SpotAsPriceGo"}, "spot_strategy"),
    ],
)
def test_validate_rejects(kwargs, fragment):
    assert any(fragment in e for e in p.validate(params(**kwargs)))


def test_validate_accepts():
    assert p.validate(params(count=1000, instance_charge_type="PrePaid", period=1, auto_renew=True)) == []


def test_creation_errors():
    assert p.creation_errors(params(image_id="img", instance_type="t")) == []
    assert p.creation_errors(params(name=None)) == ["creating instances requires name, image_id, instance_type"]


def test_creation_params_run_and_create():
    given = params(
        image_id="img", instance_type="ecs.t", security_group_ids=["sg-1", "sg-2"], user_data="#!/bin/sh\necho hi",
        system_disk={"category": "cloud_essd", "size": 40},  # performance_level: None, filled in by the spec
        data_disks=[{"size": 100, "category": "cloud_ssd", "encrypted": True}], tags={"b": "2", "a": "1"},
        internet_max_bandwidth_out=5, password="P@ssw0rd!",
    )
    run = p.creation_params(given, stopped=False)
    assert run["SecurityGroupIds"] == ["sg-1", "sg-2"] and "SecurityGroupId" not in run
    assert run["SystemDisk"] == {"Category": "cloud_essd", "Size": 40}
    assert run["DataDisk"] == [{"Category": "cloud_ssd", "Encrypted": True, "Size": 100}]
    assert run["Tag"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert base64.b64decode(run["UserData"]).decode() == "#!/bin/sh\necho hi"
    assert run["InstanceName"] == "web" and "Password" not in run
    create = p.creation_params(given, stopped=True)
    assert create["SecurityGroupId"] == "sg-1" and "SecurityGroupIds" not in create


def test_create_token_is_deterministic_and_sensitive():
    from ansible_collections.alicloud.ecs.plugins.module_utils._tokens import create_token

    api = p.creation_params(params(image_id="img", instance_type="t", description="d", password="pw-secret"), stopped=False)
    shape = p.shape(api)

    def token(**change):
        args = dict(region="cn-beijing", name="web", tags={"a": "1"}, action="RunInstances", first_slot=0, amount=2,
                    generation=0, shape=shape)
        args.update(change)
        return create_token(**args)

    first = token()
    assert first == token() and len(first) <= 64 and first.isascii()
    others = {
        token(region="cn-shanghai"), token(name="db"), token(tags={"a": "2"}), token(action="CreateInstance"),
        token(first_slot=1), token(amount=3), token(generation=1), token(shape=dict(shape, InstanceType="t2")),
        token(seed="x"), token(link="lnk-1"),
    }
    assert first not in others and len(others) == 10
    # What does not change what the instances are does not change the token.
    assert "Description" not in shape and "Password" not in shape and "SecurityGroupIds" not in shape
    assert p.shape(dict(api, Description="other", HostName="h")) == shape


@pytest.mark.parametrize("missing,expected", [(0, []), (1, [1]), (100, [100]), (101, [100, 1]), (250, [100, 100, 50])])
def test_run_batches(missing, expected):
    assert p.run_batches(missing) == expected


@pytest.mark.parametrize(
    "wanted,purge,current,expected",
    [
        (None, True, {"a": "1"}, ({}, [])),
        ({"a": "1"}, True, {"a": "1", "b": "2"}, ({}, ["b"])),
        ({"a": "1"}, False, {"a": "1", "b": "2"}, ({}, [])),
        ({"a": "2", "c": None}, True, {"a": "1"}, ({"a": "2", "c": ""}, [])),
        ({"on": True, "n": 8, "r": 1.5}, False, {"on": "true", "n": "8"}, ({"r": "1.5"}, [])),
        ({}, True, {"a": "1"}, ({}, ["a"])),
    ],
)
def test_tag_changes(wanted, purge, current, expected):
    assert p.tag_changes(wanted, purge, current) == expected


def test_attribute_changes():
    instance = inst("i-1", Description="old", HostName="h", DeletionProtection=True, SecurityGroupIds={"SecurityGroupId": ["sg-1"]})
    assert p.attribute_changes(params(description="old", host_name="h", deletion_protection=True, security_group_ids=["sg-1"]), instance) == {}
    changes = p.attribute_changes(
        params(
            instance_ids=["i-1"], name="new", description="d", deletion_protection=False,
            security_group_ids=["sg-2"], password="x", update_password="always",
        ),
        instance,
    )
    assert changes == {"InstanceName": "new", "Description": "d", "DeletionProtection": False, "SecurityGroupIds": ["sg-2"], "Password": "x"}
    assert "Password" not in p.attribute_changes(params(password="x"), instance)


def test_drift_warnings_name_the_drift():
    instance = inst("i-1", ImageId="img-a", InstanceType="t1", ZoneId="z1", VpcAttributes={"VSwitchId": "vsw-1"})
    warnings = p.drift_warnings(params(image_id="img-b", instance_type="t1", zone_id="z2", vswitch_id="vsw-1"), instance)
    assert warnings == ["i-1: zone_id is z1 but the task asks for z2; it cannot be changed in place and was left as is"]
    # A different image warns through the rebuild rule, naming the way to change it.
    plan, errors = p.compute_plan(params(instance_ids=["i-1"], image_id="img-b"), [instance])
    assert errors == [] and plan.rebuild == {}
    assert any("image_id is img-a but the task asks for img-b; set rebuild: true" in w for w in plan.warnings)


@pytest.mark.parametrize(
    "state,expected",
    [
        ("present", ([], [], [])),
        ("running", (["i-s"], [], [])),
        ("stopped", ([], ["i-r"], [])),
        ("restarted", (["i-s"], [], ["i-r"])),
    ],
)
def test_state_actions(state, expected):
    assert p.state_actions(p.STATES[state], [inst("i-r"), inst("i-s", "Stopped")]) == expected


def test_plan_count_up_and_nothing_to_do():
    plan, errors = p.compute_plan(params(count=3), [inst("i-1")])
    assert (plan.create, errors, plan.changed) == (2, [], True)
    plan, _unused = p.compute_plan(params(count=1), [inst("i-1")])
    assert not plan.changed


def test_plan_surplus_kept_unless_asked_newest_first():
    instances = [
        inst("i-old", created="2026-01-01T00:00Z"),
        inst("i-new", created="2026-02-01T00:00Z", Status="Stopped"),
        inst("i-mid", created="2026-01-15T00:00Z"),
    ]
    plan, _unused = p.compute_plan(params(count=1), instances)
    assert not plan.changed
    plan, _unused = p.compute_plan(params(count=1, remove_surplus=True), instances)
    assert plan.delete == ["i-mid", "i-new"] and plan.stop_before_delete == ["i-mid"]


def test_plan_absent_and_blockers():
    instances = [inst("i-1", DeletionProtection=True), inst("i-2", InstanceChargeType="PrePaid", ExpiredTime="2099-12-01T00:00Z")]
    plan, errors = p.compute_plan(params(state="absent"), instances)
    assert len(errors) == 2
    assert "deletion_protection: false" in errors[0]
    assert "i-2 (paid until 2099-12-01T00:00Z) have not expired yet" in errors[1] and "convert_prepaid_on_delete" in errors[1]
    plan, errors = p.compute_plan(params(state="absent", deletion_protection=False, convert_prepaid_on_delete=True, force_release=True), instances)
    assert errors == [] and plan.unprotect == ["i-1"] and plan.unsubscribe == ["i-2"] and plan.stop_before_delete == []
    plan, errors = p.compute_plan(params(state="absent"), [])
    assert not plan.changed and errors == []


def test_plan_updates_and_charge():
    instances = [inst("i-1", Tags={"Tag": [{"TagKey": "x", "TagValue": "1"}]}, InstanceChargeType="PostPaid")]
    plan, _unused = p.compute_plan(params(instance_ids=["i-1"], name="web", tags={"y": "2"}, instance_charge_type="PrePaid", period=1), instances)
    assert plan.tag == {"i-1": {"y": "2"}} and plan.untag == {"i-1": ["x"]} and plan.charge == ["i-1"]
    assert plan.create == 0


def test_user_data_only_changed_while_stopped():
    wanted = p.encoded_user_data(params(user_data="hello"))
    stopped = inst("i-1", "Stopped", UserData="")
    running = inst("i-2", "Running", UserData="")
    same = inst("i-3", "Stopped", UserData=wanted)
    plan, errors = p.compute_plan(params(instance_ids=["i-1", "i-2", "i-3"], user_data="hello"), [stopped, running, same])
    assert errors == [] and plan.modify == {"i-1": {"UserData": wanted}} and plan.stop_for_change == []
    assert any("i-2: user_data differs but can only be changed while the instance is stopped" in w and "allow_stop" in w
               for w in plan.warnings)
    # With allow_stop the running one is stopped, changed and started again, in one run.
    plan, errors = p.compute_plan(params(instance_ids=["i-1", "i-2", "i-3"], user_data="hello", allow_stop=True),
                                  [stopped, running, same])
    assert errors == [] and sorted(plan.modify) == ["i-1", "i-2"]
    assert plan.stop_for_change == ["i-2"] and plan.start_after_change == ["i-2"] and plan.needs_stopped == ["i-1", "i-2"]
    assert plan.planned_ids()["stopped_ids"] == ["i-2"] and plan.planned_ids()["started_ids"] == ["i-2"]
    # state stopped stops it anyway: no allow_stop needed, and it is not started again.
    plan, errors = p.compute_plan(params(instance_ids=["i-2"], user_data="hello", state="stopped"), [running])
    assert errors == [] and plan.stop == ["i-2"] and plan.modify == {"i-2": {"UserData": wanted}}
    assert plan.start_after_change == [] and plan.needs_stopped == ["i-2"]
    plan, _errors = p.compute_plan(params(instance_ids=["i-1"], user_data=None), [stopped])
    assert plan.modify == {}


def test_one_definition_of_modified_ids():
    plan = p.Plan(p.STATES["present"], modify={"i-2": {"Description": "d"}}, tag={"i-1": {"a": "1"}},
                  untag={"i-3": ["b"]}, charge=["i-1", "i-4"])
    assert plan.modified_ids == ["i-1", "i-2", "i-3", "i-4"]
    assert plan.planned_ids()["modified_ids"] == plan.modified_ids


@pytest.mark.parametrize("state,key", [("running", "started_ids"), ("restarted", "restarted_ids")])
def test_the_state_says_what_it_means(state, key):
    spec = p.STATES[state]
    plan, _unused = p.compute_plan(params(state=state, count=2), [inst("i-r"), inst("i-s", "Stopped")])
    assert plan.planned_ids()[key] == sorted(plan.start + plan.reboot) and plan.start == ["i-s"]
    assert spec.always_changed is (state == "restarted") and plan.changed


def test_name_selectors_keep_other_tags_and_instance_ids_purge_by_default():
    tagged = [inst("i-1", Tags={"Tag": [{"TagKey": "app", "TagValue": "shop"}, {"TagKey": "owner", "TagValue": "ops"}]})]
    plan, _unused = p.compute_plan(p.convert_params(params(tags={"app": "shop"}, state="stopped")), tagged)
    assert plan.untag == {} and plan.tag == {}
    plan, _unused = p.compute_plan(p.convert_params(params(tags={"app": "shop"}, purge_tags=True)), tagged)
    assert plan.untag == {"i-1": ["owner"]}
    plan, _unused = p.compute_plan(p.convert_params(params(instance_ids=["i-1"], tags={"app": "shop"})), tagged)
    assert plan.untag == {"i-1": ["owner"]}
    plan, _unused = p.compute_plan(p.convert_params(params(instance_ids=["i-1"], tags={"app": "shop"}, purge_tags=False)), tagged)
    assert plan.untag == {}


def test_identity_matches_exact_names_and_converted_tags():
    ident = p.identity(p.convert_params(params(name="web*", tags={"n": 1, "on": True, "e": None})))
    tags = {"Tag": [{"TagKey": "n", "TagValue": "1"}, {"TagKey": "on", "TagValue": "true"}, {"TagKey": "e", "TagValue": ""}]}
    assert ident.matches({"InstanceName": "web*", "Tags": tags})
    assert not ident.matches({"InstanceName": "web1", "Tags": tags})
    assert not ident.matches({"InstanceName": "web*", "Tags": {"Tag": tags["Tag"][:2]}})
    assert not p.identity(p.convert_params(params(name="web", tags={"on": True}))).matches(
        {"InstanceName": "web", "Tags": {"Tag": [{"TagKey": "on", "TagValue": "True"}]}})


def test_warnings_for_surplus_and_for_states_that_match_nothing():
    plan, _unused = p.compute_plan(params(count=1), [inst("i-1", created="2026-01-01T00:00Z"), inst("i-2", created="2026-01-02T00:00Z")])
    assert "the 1 newest (i-2) are kept; set remove_surplus: true" in plan.warnings[0]
    plan, _unused = p.compute_plan(params(state="restarted"), [])
    assert plan.create == 0 and "no instance matches name=web tags={}; nothing was restarted" in plan.warnings[0]
    plan, _unused = p.compute_plan(params(state="absent"), [])
    assert "nothing to release" in plan.warnings[0]
