"""Eventual consistency (reference 8.9): new instances show late, released ones linger, changes lag.

Store-level tests drive the handlers with a synthetic clock (exact timings, no
sleeps); the HTTP tests check the same through the official SDK, the control
API and the command line.
"""

from __future__ import annotations

import json
import time

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest
from aliyunsdkecs.request.v20140526.RunInstancesRequest import RunInstancesRequest

from ecs_emulator import registry
from ecs_emulator.config import CONSISTENCY_PROFILES, ConfigError, merge_config
from ecs_emulator.errors import ApiError
from ecs_emulator.params import Params
from ecs_emulator.registry import Call
from ecs_emulator.state import Store
from tests.helpers.emulator import DEFAULT_KEY, Emulator, EmulatorError, make_acs_client

T0 = 1_790_000_000.0
REGION = "cn-hangzhou"
RUN = {
    "RegionId": REGION,
    "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
    "InstanceType": "ecs.g7.large",
    "SecurityGroupId": "sg-bp1emudefault",
    "VSwitchId": "vsw-bp1emudefaulth",
    "InstanceName": "web",
}
NO_DELAYS = {"Pending": 0, "Starting": 0, "Stopping": 0}
BLIND_KEY = ("LTAI5tEmulatorBlindKey", "emulator-blind-secret")


def api(store: Store, action: str, now: float, blind: bool = False, **params) -> dict:
    spec = registry.lookup("2014-05-26", action)
    assert spec is not None, action
    call = Call("2014-05-26", action, Params({k: str(v) for k, v in params.items()}), store, "REQ", "127.0.0.1",
                "account", "key", now, blind=blind)
    with store.lock:
        return spec.handler(call)


def listed(store: Store, now: float, blind: bool = False, **filters) -> list[dict]:
    body = api(store, "DescribeInstances", now, blind=blind, RegionId=REGION, PageSize=100, **filters)
    return body["Instances"]["Instance"]


def status_list(store: Store, now: float, ids: list[str]) -> list[dict]:
    params = {f"InstanceId.{n}": i for n, i in enumerate(ids, 1)}
    return api(store, "DescribeInstanceStatus", now, RegionId=REGION, **params)["InstanceStatuses"]["InstanceStatus"]


def store_with(**consistency) -> Store:
    return Store({"delays": NO_DELAYS, "consistency": consistency})


def run(store: Store, now: float, amount: int = 1, **extra) -> list[str]:
    body = api(store, "RunInstances", now, Amount=amount, **dict(RUN, **extra))
    return body["InstanceIdSets"]["InstanceIdSet"]


def error_code(func, *args, **kwargs) -> str:
    with pytest.raises(ApiError) as info:
        func(*args, **kwargs)
    return info.value.code


# ------------------------------------------------------------------ new instances


def test_new_instances_are_missing_from_reads_and_unknown_to_operations_until_visible():
    store = store_with(new_instance_delay=4.0)
    ids = run(store, T0, amount=2)
    assert len(store.instances) == 2  # they exist (the control API shows the truth)
    for moment in (T0, T0 + 3.9):
        assert listed(store, moment, InstanceIds=json.dumps(ids)) == []
        assert listed(store, moment) == []
        assert status_list(store, moment, ids) == []
        assert error_code(api, store, "DescribeInstanceAttribute", moment, InstanceId=ids[0]) == "InvalidInstanceId.NotFound"
        assert error_code(api, store, "StopInstances", moment, RegionId=REGION, **{"InstanceId.1": ids[0]}) == (
            "InvalidInstanceId.NotFound"
        )
        assert error_code(api, store, "DeleteInstances", moment, RegionId=REGION, Force="true",
                          **{"InstanceId.1": ids[0]}) == "InvalidInstanceId.NotFound"
        assert error_code(api, store, "TagResources", moment, RegionId=REGION, ResourceType="instance",
                          **{"ResourceId.1": ids[0], "Tag.1.Key": "a", "Tag.1.Value": "b"}) == "InvalidResourceId.NotFound"
    assert sorted(i["InstanceId"] for i in listed(store, T0 + 4.0, InstanceIds=json.dumps(ids))) == sorted(ids)
    assert len(status_list(store, T0 + 4.0, ids)) == 2
    api(store, "StopInstances", T0 + 4.0, RegionId=REGION, **{"InstanceId.1": ids[0]})


def test_random_delays_are_seeded_and_reproducible():
    def delays(seed: int) -> list[float]:
        store = store_with(new_instance_delay=[1.0, 6.0], seed=seed)
        for _call in range(8):
            run(store, T0, amount=2)
        ordered = sorted(store.instances.values(), key=lambda i: i["_seq"])
        pairs = [ordered[n : n + 2] for n in range(0, len(ordered), 2)]
        assert all(a["_visible_at"] == b["_visible_at"] for a, b in pairs)  # one delay per create call
        return [round(a["_visible_at"] - T0, 3) for a, _b in pairs]

    first = delays(7)
    assert first == delays(7)
    assert first != delays(8)
    assert all(1.0 <= d <= 6.0 for d in first) and len(set(first)) > 1


def test_consistent_profile_is_the_default_and_shows_everything_at_once():
    store = Store({"delays": NO_DELAYS})
    assert store.config["consistency"]["profile"] == "consistent"
    ids = run(store, T0)
    assert [i["InstanceId"] for i in listed(store, T0)] == ids
    api(store, "StopInstances", T0, RegionId=REGION, **{"InstanceId.1": ids[0]})
    assert listed(store, T0)[0]["Status"] == "Stopped"
    api(store, "DeleteInstances", T0, RegionId=REGION, **{"InstanceId.1": ids[0]})
    assert listed(store, T0) == []


# ------------------------------------------------------------ released instances


def test_released_instances_stay_listed_in_their_last_state_then_vanish():
    store = store_with(released_instance_delay=3.0)
    ids = run(store, T0)
    api(store, "StopInstances", T0 + 1, RegionId=REGION, **{"InstanceId.1": ids[0]})
    api(store, "DeleteInstances", T0 + 2, RegionId=REGION, **{"InstanceId.1": ids[0]})
    assert ids[0] not in store.instances  # released for real
    for moment in (T0 + 2, T0 + 4.9):
        ghost = listed(store, moment, InstanceIds=json.dumps(ids))
        assert [(i["InstanceId"], i["Status"]) for i in ghost] == [(ids[0], "Stopped")]
        assert [i["InstanceId"] for i in listed(store, moment, InstanceName="web")] == ids
        assert [s["Status"] for s in status_list(store, moment, ids)] == ["Stopped"]
        # Operations on it: the instance is gone.
        assert error_code(api, store, "DeleteInstances", moment, RegionId=REGION, **{"InstanceId.1": ids[0]}) == (
            "InvalidInstanceId.NotFound"
        )
    assert listed(store, T0 + 5.0, InstanceIds=json.dumps(ids)) == []
    assert store.ghosts == {}


# --------------------------------------------------------------- changes show late


def test_status_and_attribute_changes_show_after_the_change_delay():
    store = Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 1.0}, "observe_transients": False,
                   "consistency": {"change_delay": 2.0}})
    ids = run(store, T0)
    assert listed(store, T0)[0]["Status"] == "Pending"  # a new instance shows its first state
    assert listed(store, T0 + 2)[0]["Status"] == "Running"
    api(store, "StopInstances", T0 + 10, RegionId=REGION, **{"InstanceId.1": ids[0]})
    api(store, "ModifyInstanceAttribute", T0 + 10, InstanceId=ids[0], InstanceName="renamed")
    api(store, "TagResources", T0 + 10, RegionId=REGION, ResourceType="instance",
        **{"ResourceId.1": ids[0], "Tag.1.Key": "team", "Tag.1.Value": "blue"})
    # The true state moved on at once; reads show the old one for 2 s.
    assert store.instances[ids[0]]["InstanceName"] == "renamed"
    old = listed(store, T0 + 11.9)[0]
    assert (old["Status"], old["InstanceName"], "Tags" in old) == ("Running", "web", False)
    assert [i["InstanceId"] for i in listed(store, T0 + 11.9, InstanceName="web")] == ids
    assert listed(store, T0 + 11.9, InstanceName="renamed") == []
    new = listed(store, T0 + 12.0)[0]
    assert (new["Status"], new["InstanceName"]) == ("Stopping", "renamed")
    assert new["Tags"]["Tag"] == [{"TagKey": "team", "TagValue": "blue"}]
    assert listed(store, T0 + 13.0)[0]["Status"] == "Stopped"  # Stopped at T0+11, shown from T0+13
    attribute = api(store, "DescribeInstanceAttribute", T0 + 12.5, InstanceId=ids[0])
    assert (attribute["Status"], attribute["InstanceName"]) == ("Stopping", "renamed")


# ---------------------------------------------------------------- blind credential


def test_a_credential_that_may_not_read_instances_gets_empty_lists():
    store = Store({"delays": NO_DELAYS})
    ids = run(store, T0)
    assert listed(store, T0, blind=True) == []
    assert listed(store, T0, blind=True, InstanceIds=json.dumps(ids)) == []
    body = api(store, "DescribeInstanceStatus", T0, blind=True, RegionId=REGION)
    assert body["InstanceStatuses"]["InstanceStatus"] == [] and body["TotalCount"] == 0
    assert error_code(api, store, "DescribeInstanceAttribute", T0, blind=True, InstanceId=ids[0]) == "Forbidden.RAM"
    assert [i["InstanceId"] for i in listed(store, T0)] == ids


# --------------------------------------------------------------------- settings


@pytest.mark.parametrize("update", [
    {"consistency": {"new_instance_delay": -1}},
    {"consistency": {"new_instance_delay": [5, 1]}},
    {"consistency": {"new_instance_delay": "soon"}},
    {"consistency": {"change_delay": float("nan")}},
    {"consistency": {"profile": "eventual"}},
    {"consistency": {"seed": 1.5}},
    {"consistency": {"lag": 1}},
    {"delays": {"Pending": "fast"}},
    {"delays": {"Booting": 1}},
    {"observe_transients": "yes"},
    {"account_balance": float("inf")},
    {"no_stock": "cn-hangzhou-h"},
    {"page_size_out_of_range": "wrap"},
])
def test_ill_typed_settings_are_refused_and_change_nothing(update):
    store = Store({"delays": NO_DELAYS})
    before = json.dumps(store.config, sort_keys=True)
    with pytest.raises(ConfigError):
        store.update_config(update)
    assert json.dumps(store.config, sort_keys=True) == before


def test_a_named_profile_sets_its_values_and_explicit_keys_win():
    merged = merge_config(Store().config, {"consistency": {"profile": "realistic", "change_delay": 0}})
    assert merged["consistency"]["new_instance_delay"] == CONSISTENCY_PROFILES["realistic"]["new_instance_delay"]
    assert merged["consistency"]["change_delay"] == 0
    custom = merge_config(Store().config, {"consistency": {"new_instance_delay": 1}})
    assert custom["consistency"]["profile"] == "custom"


# ------------------------------------------------------------------------ HTTP


def run_request(amount: int = 1) -> RunInstancesRequest:
    request = RunInstancesRequest()
    for key, value in RUN.items():
        request.add_query_param(key, value)
    request.set_Amount(amount)
    return request


def describe_ids(client, ids: list[str]) -> list[dict]:
    request = DescribeInstancesRequest()
    request.set_InstanceIds(json.dumps(ids))
    return json.loads(client.do_action_with_exception(request))["Instances"]["Instance"]


def test_realistic_profile_on_the_command_line_delays_new_instances_over_http():
    with Emulator("--quiet", "--delays", "fast", "--consistency", "realistic", "--consistency-seed", "3") as emu:
        config = emu.config()
        assert config["consistency"]["profile"] == "realistic"
        client = make_acs_client(emu.hostport, DEFAULT_KEY, REGION)
        ids = json.loads(client.do_action_with_exception(run_request()))["InstanceIdSets"]["InstanceIdSet"]
        assert describe_ids(client, ids) == []
        assert [i["InstanceId"] for i in emu.instances()] == ids  # the control API shows the truth
        visible_at = emu.state()["instances"][ids[0]]["_visible_at"]
        time.sleep(max(0.0, visible_at - time.time()) + 0.2)
        assert [i["InstanceId"] for i in describe_ids(client, ids)] == ids


def test_control_api_refuses_ill_typed_consistency_and_keeps_the_settings():
    with Emulator("--quiet", "--delays", "fast") as emu:
        before = emu.config()
        with pytest.raises(EmulatorError, match="400"):
            emu.config({"consistency": {"new_instance_delay": "later"}})
        assert emu.config() == before
        emu.config({"consistency": {"profile": "realistic"}})
        assert emu.config()["consistency"]["new_instance_delay"] == CONSISTENCY_PROFILES["realistic"]["new_instance_delay"]


def test_blind_key_over_http_and_ghosts_survive_a_restart(tmp_path):
    with Emulator("--quiet", "--delays", "fast", state_file=tmp_path / "state.json") as emu:
        emu.config({"consistency": {"released_instance_delay": 30}})
        client = make_acs_client(emu.hostport, DEFAULT_KEY, REGION)
        blind = make_acs_client(emu.hostport, BLIND_KEY, REGION)
        ids = json.loads(blind.do_action_with_exception(run_request()))["InstanceIdSets"]["InstanceIdSet"]
        assert describe_ids(blind, ids) == []
        assert [i["InstanceId"] for i in describe_ids(client, ids)] == ids
        with pytest.raises(ServerException) as info:
            from aliyunsdkecs.request.v20140526.DescribeInstanceAttributeRequest import (
                DescribeInstanceAttributeRequest,
            )

            request = DescribeInstanceAttributeRequest()
            request.set_InstanceId(ids[0])
            blind.do_action_with_exception(request)
        assert info.value.get_error_code() == "Forbidden.RAM"
        from aliyunsdkecs.request.v20140526.DeleteInstancesRequest import DeleteInstancesRequest

        delete = DeleteInstancesRequest()
        delete.set_InstanceIds(ids)
        delete.set_Force(True)
        client.do_action_with_exception(delete)
        assert [i["InstanceId"] for i in describe_ids(client, ids)] == ids  # still listed
        emu.kill()
        emu.restart()
        client = make_acs_client(emu.hostport, DEFAULT_KEY, REGION)
        assert [i["InstanceId"] for i in describe_ids(client, ids)] == ids
        assert emu.instances() == []
