"""The emulator's own input handling: bad input gets the API's 400-class codes, never a 500
(nested keys where a scalar belongs, non-finite numbers, integers that overflow, a full vSwitch)
and the documented leniencies of reference 8.10."""

from __future__ import annotations

import json

import pytest

from ecs_emulator.state import Store
from tests.emulator.actions_support import IMAGE, SG, TYPE, VSWITCH, Ecs, assert_error
from tests.emulator.test_state import T0, api
from tests.helpers.emulator import Emulator, make_acs_client

BASE = {"ImageId": IMAGE, "InstanceType": TYPE, "SecurityGroupId": SG, "VSwitchId": VSWITCH}


# ----------------------------------------------------------------- list-shaped values (issue 10)


@pytest.mark.parametrize(
    "params,code",
    [
        ({"Tag.1.Key": "env", "Tag.1.Value.1": "prod"}, "InvalidTagValue.Malformed"),
        ({"Tag.1.Key.1": "env", "Tag.1.Value": "prod"}, "InvalidTagKey.Malformed"),
        ({"Tag.1.Key": "env", "Tag.1.Value": "a", "Tag.1.Value.2": "b"}, "InvalidTagValue.Malformed"),
        ({"DataDisk.1.Size": "40", "DataDisk.1.DiskName.1": "x"}, "InvalidParameter"),
        ({"DataDisk.1.Size.1": "40"}, "InvalidParameter"),
    ],
)
def test_nested_keys_where_a_scalar_belongs_are_malformed(ecs: Ecs, emulator, params, code):
    exc = ecs.error("RunInstances", **BASE, **params)
    assert_error(exc, code, 400)
    assert emulator.instances() == []


@pytest.mark.parametrize(
    "action,params,code",
    [
        ("TagResources", {"ResourceType": "instance", "ResourceId.1": "i-x", "Tag.1.Key": "k", "Tag.1.Value.1": "v"},
         "InvalidTagValue.Malformed"),
        ("DescribeInstances", {"Tag.1.Key.1": "k"}, "InvalidTagKey.Malformed"),
        ("DescribeInstances", {"Filter.1.Key.1": "CreationStartTime", "Filter.1.Value": "2024-01-01T00:00Z"},
         "InvalidParameter"),
        ("ListTagResources", {"ResourceType": "instance", "TagFilter.1.TagKey.1": "k"}, "InvalidParameter"),
        ("AuthorizeSecurityGroup", {"SecurityGroupId": SG, "Permissions.1.IpProtocol.1": "tcp",
                                    "Permissions.1.PortRange": "22/22", "Permissions.1.SourceCidrIp": "0.0.0.0/0"},
         "InvalidParameter"),
    ],
)
def test_nested_keys_never_reach_a_handler(ecs: Ecs, emulator, action, params, code):
    exc = ecs.error(action, **params)
    assert_error(exc, code, 400)
    assert all(c["status"] != 500 for c in emulator.calls())


def test_tag_filter_values_are_still_a_list(ecs: Ecs):
    [iid] = ecs.run(**{"Tag.1.Key": "env", "Tag.1.Value": "prod"})
    body = ecs.call(
        "ListTagResources", ResourceType="instance", **{"TagFilter.1.TagKey": "env", "TagFilter.1.TagValues.1": "pr*"}
    )
    assert [r["ResourceId"] for r in body["TagResources"]["TagResource"]] == [iid]


def test_json_looking_tag_values_are_plain_strings(ecs: Ecs):
    [iid] = ecs.run(**{"Tag.1.Key": "cfg", "Tag.1.Value": '["a", {"b": 1}]'})
    assert ecs.one(iid)["Tags"]["Tag"] == [{"TagKey": "cfg", "TagValue": '["a", {"b": 1}]'}]


def test_new_sdk_nested_tag_value_is_a_client_error(new_sdk_client):
    from alibabacloud_tea_openapi.exceptions import ClientException

    from tests.helpers.emulator import sdk_call

    with pytest.raises(ClientException) as info:
        sdk_call(new_sdk_client(), "RunInstances", {**BASE, "RegionId": "cn-hangzhou", "Tag.1.Key": "k",
                                                     "Tag.1.Value.1": "v"})
    assert info.value.code == "InvalidTagValue.Malformed"


def test_deeply_nested_json_list_is_invalid(ecs: Ecs):
    exc = ecs.error("DescribeInstances", InstanceIds="[" * 3000 + "]" * 3000)
    assert_error(exc, "InvalidParameter", 400)


# ----------------------------------------------------- non-finite and overflowing numbers (issue 11)


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "Infinity", "1e999"])
def test_non_finite_spot_price_limit(ecs: Ecs, emulator, value):
    exc = ecs.error("RunInstances", SpotStrategy="SpotWithPriceLimit", SpotPriceLimit=value, **BASE)
    assert_error(exc, "InvalidSpotPriceLimit", 400)
    assert emulator.instances() == []


@pytest.mark.parametrize(
    "params,code",
    [
        ({"Amount": "9" * 5000}, "InvalidParameter"),
        ({"Amount": str(2**64)}, "InvalidParameter"),
        ({"InternetMaxBandwidthOut": str(2**31)}, "InvalidParameter"),
        ({"SystemDisk.Size": "9" * 5000}, "InvalidSystemDiskSize.ValueNotSupported"),
        ({"DataDisk.1.Size": "9" * 30}, "InvalidDataDiskSize.ValueNotSupported"),
        ({"InstanceChargeType": "PrePaid", "Period": "9" * 5000}, "InvalidPeriod"),
    ],
)
def test_overflowing_integers(ecs: Ecs, params, code):
    assert_error(ecs.error("RunInstances", **BASE, **params), code, 400)


def test_overflowing_page_number(ecs: Ecs):
    assert_error(ecs.error("DescribeInstances", PageNumber="9" * 4400), "InvalidParameter", 400)


# --------------------------------------------------------------------- a full vSwitch (issue 12)

TINY = {
    "vpcs": [{"VpcId": "vpc-bp1tiny", "RegionId": "cn-hangzhou", "CidrBlock": "10.9.0.0/16"}],
    "vswitches": [{"VSwitchId": "vsw-bp1tiny", "VpcId": "vpc-bp1tiny", "ZoneId": "cn-hangzhou-h",
                   "CidrBlock": "10.9.0.0/29"}],
    "security_groups": [{"SecurityGroupId": "sg-bp1tiny", "VpcId": "vpc-bp1tiny"}],
}
TINY_RUN = {"ImageId": IMAGE, "InstanceType": TYPE, "SecurityGroupId": "sg-bp1tiny", "VSwitchId": "vsw-bp1tiny"}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("seed") / "tiny.json"
    path.write_text(json.dumps(TINY))
    with Emulator("--delays", "fast", "--seed", str(path)) as emu:
        yield emu


def _free(ecs: Ecs) -> int:
    body = ecs.call("DescribeVSwitches", product="vpc", VSwitchId="vsw-bp1tiny")
    return body["VSwitches"]["VSwitch"][0]["AvailableIpAddressCount"]


def test_full_vswitch_answers_the_documented_code(tiny):
    tiny.reset()
    ecs = Ecs(make_acs_client(tiny.hostport))
    assert _free(ecs) == 4  # a /29: first three and the last address are reserved
    exc = ecs.error("RunInstances", Amount=5, **TINY_RUN)  # all or nothing: nothing is created
    assert_error(exc, "QuotaExceeded.PrivateIpAddress", 400, "Don't have enough private IPs in this switch")
    assert tiny.instances() == [] and _free(ecs) == 4
    ids = ecs.call("RunInstances", Amount=3, **TINY_RUN)["InstanceIdSets"]["InstanceIdSet"]
    assert _free(ecs) == 1
    ecs.call("CreateInstance", **TINY_RUN)
    assert _free(ecs) == 0
    assert_error(ecs.error("CreateInstance", **TINY_RUN), "QuotaExceeded.PrivateIpAddress", 400)
    assert_error(ecs.error("RunInstances", DryRun=True, **TINY_RUN), "QuotaExceeded.PrivateIpAddress", 400)
    ecs.call("DeleteInstance", InstanceId=ids[0], Force=True)
    assert _free(ecs) == 1
    ecs.call("RunInstances", **TINY_RUN)
    addresses = {i["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0] for i in tiny.instances()}
    assert addresses == {"10.9.0.3", "10.9.0.4", "10.9.0.5", "10.9.0.6"}
    assert all(c["status"] != 500 for c in tiny.calls())


def test_min_amount_takes_what_the_vswitch_has(tiny):
    tiny.reset()
    ecs = Ecs(make_acs_client(tiny.hostport))
    ids = ecs.call("RunInstances", Amount=6, MinAmount=2, **TINY_RUN)["InstanceIdSets"]["InstanceIdSet"]
    assert len(ids) == 4 and _free(ecs) == 0
    tiny.reset()
    assert_error(ecs.error("RunInstances", Amount=6, MinAmount=5, **TINY_RUN), "QuotaExceeded.PrivateIpAddress", 400)


def test_allocation_finds_the_last_free_address_in_a_large_vswitch(tmp_path):
    """In-process: a nearly full /24 still hands out its last address (random probing falls back to a scan)."""
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"vswitches": [{"VSwitchId": "vsw-bp1mid", "VpcId": "vpc-bp1emudefault",
                                               "ZoneId": "cn-hangzhou-h", "CidrBlock": "172.31.255.0/24"}]}))
    store = Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0}}, seed_files=[str(seed)])
    vsw = store.vswitches["vsw-bp1mid"]
    store.private_ips["vsw-bp1mid"] = {f"172.31.255.{n}" for n in range(3, 255) if n != 77}
    assert store.vswitch_free_ips(vsw) == 1
    run = {"RegionId": "cn-hangzhou", "ImageId": IMAGE, "InstanceType": TYPE, "SecurityGroupId": SG,
           "VSwitchId": "vsw-bp1mid"}
    api(store, "RunInstances", T0, **run)
    assert "172.31.255.77" in store.private_ips["vsw-bp1mid"] and store.vswitch_free_ips(vsw) == 0


# ------------------------------------------------------------------ leniencies (reference 8.10)


@pytest.mark.parametrize("value,shown", [("200", 10), ("0", 10), ("-5", 10), ("7", 7)])
def test_bandwidth_in_outside_the_range_is_accepted_and_has_no_effect(ecs: Ecs, value, shown):
    [iid] = ecs.run(InternetMaxBandwidthOut=5, InternetMaxBandwidthIn=value)
    assert ecs.one(iid)["InternetMaxBandwidthIn"] == shown


def test_bandwidth_in_that_is_no_integer_is_still_invalid(ecs: Ecs):
    assert_error(ecs.error("RunInstances", InternetMaxBandwidthIn="lots", **BASE), "InvalidParameter", 400)


@pytest.mark.parametrize("action", ["StopInstance", "StopInstances"])
def test_stop_charging_on_a_subscription_stops_in_keep_charging_mode(ecs: Ecs, action):
    [iid] = ecs.run(InstanceChargeType="PrePaid", Period=1)
    ids = {"InstanceId": iid} if action == "StopInstance" else {"InstanceId.1": iid}
    ecs.call(action, StoppedMode="StopCharging", **ids)
    ecs.wait(iid, "Stopped")
    assert ecs.one(iid)["StoppedMode"] == "KeepCharging"


def test_stop_charging_still_applies_to_pay_as_you_go(ecs: Ecs):
    [iid] = ecs.run()
    ecs.call("StopInstance", InstanceId=iid, StoppedMode="StopCharging")
    ecs.wait(iid, "Stopped")
    assert ecs.one(iid)["StoppedMode"] == "StopCharging"
