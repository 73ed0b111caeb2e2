"""In-process tests of the Store and the handlers: lifecycle timing with a synthetic clock,
dump/restore, seed loading and speed.  (HTTP behaviour is covered by test_actions_*.py.)"""

from __future__ import annotations

import json
import re
import time

import pytest

from ecs_emulator import registry
from ecs_emulator.errors import ApiError
from ecs_emulator.params import Params
from ecs_emulator.registry import Call
from ecs_emulator.seed import Catalog
from ecs_emulator.state import Store

T0 = 1_780_000_000.0
RUN = {
    "RegionId": "cn-hangzhou",
    "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
    "InstanceType": "ecs.g7.large",
    "SecurityGroupId": "sg-bp1emudefault",
    "VSwitchId": "vsw-bp1emudefaulth",
}


def api(store: Store, action: str, now: float = T0, version: str = "2014-05-26", **params) -> dict:
    spec = registry.lookup(version, action)
    assert spec is not None, action
    call = Call(
        version,
        action,
        Params({k: str(v) for k, v in params.items()}),
        store,
        "REQ",
        "127.0.0.1",
        "account",
        "key",
        now,
    )
    with store.lock:
        return spec.handler(call)


def status(store: Store, instance_id: str, now: float) -> str:
    return api(store, "DescribeInstances", now, RegionId="cn-hangzhou", InstanceIds=json.dumps([instance_id]))[
        "Instances"
    ]["Instance"][0]["Status"]


@pytest.fixture
def store() -> Store:
    return Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0}})


@pytest.fixture
def slow() -> Store:
    return Store({"delays": {"Pending": 1, "Starting": 2, "Stopping": 1}})


def test_run_instances_goes_pending_starting_running_with_delays(slow):
    [iid] = api(slow, "RunInstances", T0, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    assert status(slow, iid, T0 + 0.5) == "Pending"
    assert status(slow, iid, T0 + 1.5) == "Starting"
    assert status(slow, iid, T0 + 3.6) == "Running"


def test_transient_state_is_shown_once_even_when_polled_late(slow):
    [iid] = api(slow, "RunInstances", T0, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    # First look long after every delay: each transient state is still shown once.
    assert status(slow, iid, T0 + 100) == "Pending"
    assert status(slow, iid, T0 + 100.1) == "Starting"
    assert status(slow, iid, T0 + 102.2) == "Running"


def test_other_reads_do_not_consume_a_sighting(slow):
    [iid] = api(slow, "RunInstances", T0, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    assert slow.instances_view(T0 + 100)[0]["Status"] == "Pending"
    api(slow, "DescribeDisks", T0 + 100, RegionId="cn-hangzhou")
    api(slow, "ListTagResources", T0 + 100, RegionId="cn-hangzhou", ResourceType="instance", **{"ResourceId.1": iid})
    assert status(slow, iid, T0 + 100) == "Pending"


def test_observe_transients_off_jumps_to_the_due_state(slow):
    slow.update_config({"observe_transients": False})
    [iid] = api(slow, "RunInstances", T0, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    assert status(slow, iid, T0 + 100) == "Running"


def test_zero_delays_never_show_transients(store):
    iid = api(store, "CreateInstance", T0, **RUN)["InstanceId"]
    assert status(store, iid, T0) == "Stopped"


def test_actions_advance_without_a_describe(slow):
    [iid] = api(slow, "RunInstances", T0, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    api(slow, "StopInstance", T0 + 10, InstanceId=iid)  # no describe in between: still legal
    assert status(slow, iid, T0 + 10.1) == "Stopping"


def test_start_time_follows_each_start(store):
    [iid] = api(store, "RunInstances", T0, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    first = api(store, "DescribeInstances", T0, RegionId="cn-hangzhou")["Instances"]["Instance"][0]["StartTime"]
    api(store, "StopInstance", T0 + 1, InstanceId=iid)
    api(store, "StartInstance", T0 + 600, InstanceId=iid)
    later = api(store, "DescribeInstances", T0 + 601, RegionId="cn-hangzhou")["Instances"]["Instance"][0]
    assert later["StartTime"] != first and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", later["StartTime"])


def test_prepaid_expiry_stops_with_financial_lock(store):
    iid = api(store, "CreateInstance", T0, InstanceChargeType="PrePaid", Period=1, PeriodUnit="Week", **RUN)[
        "InstanceId"
    ]
    api(store, "StartInstance", T0 + 1, InstanceId=iid)
    inst = api(store, "DescribeInstances", T0 + 8 * 86400, RegionId="cn-hangzhou")["Instances"]["Instance"][0]
    assert inst["Status"] == "Stopped"
    assert inst["OperationLocks"]["LockReason"] == [{"LockReason": "financial", "LockMsg": ""}]
    with pytest.raises(ApiError) as info:
        api(store, "StartInstance", T0 + 8 * 86400, InstanceId=iid)
    assert info.value.code == "InstanceExpiredOrInArrears"
    with pytest.raises(ApiError) as info:
        api(store, "DeleteInstance", T0 + 8 * 86400, InstanceId=iid)
    assert info.value.code == "ChargeTypeViolation"
    api(store, "DeleteInstance", T0 + 8 * 86400, InstanceId=iid, TerminateSubscription="true")
    assert iid not in store.instances


def test_auto_release_time_removes_the_instance(store):
    release = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(T0 + 3600))
    [iid] = api(store, "RunInstances", T0, AutoReleaseTime=release, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    assert api(store, "DescribeInstances", T0 + 60, RegionId="cn-hangzhou")["TotalCount"] == 1
    assert api(store, "DescribeInstances", T0 + 3601, RegionId="cn-hangzhou")["TotalCount"] == 0
    assert not [d for d in store.disks.values() if d["InstanceId"] == iid]


def test_dump_restore_round_trip_is_json(store):
    ids = api(store, "RunInstances", T0, Amount=3, InternetMaxBandwidthOut=5, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    store.tokens["k"] = {"state": "done"}
    data = json.loads(json.dumps(store.dump()))
    other = Store()
    other.restore(data)
    assert sorted(other.instances) == sorted(ids)
    assert other.tokens == {"k": {"state": "done"}}
    assert other.public_ips == store.public_ips
    assert [i["InstanceId"] for i in other.instances_view(T0)] == [i["InstanceId"] for i in store.instances_view(T0)]


def test_reset_returns_to_seed_and_keeps_config(store):
    api(store, "RunInstances", T0, **RUN)
    api(store, "CreateSecurityGroup", T0, RegionId="cn-hangzhou", VpcId="vpc-bp1emudefault")
    store.update_config({"no_stock": ["*"]})
    store.reset()
    assert store.instances == {} and len(store.security_groups) == len(store.catalog.security_groups)
    assert store.config["no_stock"] == ["*"]


def test_balance_follows_config_and_is_charged(store):
    store.update_config({"account_balance": 1000.0})
    api(store, "CreateInstance", T0, InstanceChargeType="PrePaid", Period=2, **RUN)
    assert store.balance == pytest.approx(1000.0 - 2 * 290.0)
    store.update_config({"account_balance": 5.0})
    assert store.balance == 5.0


def test_instance_ids_are_region_typed():
    store = Store()
    beijing = dict(RUN, RegionId="cn-beijing", SecurityGroupId="sg-2zeemudefault", VSwitchId="vsw-2zeemudefaulth")
    [iid] = api(store, "RunInstances", T0, **beijing)["InstanceIdSets"]["InstanceIdSet"]
    assert re.fullmatch(r"i-2ze[a-z0-9]{17}", iid)
    disk_ids = [d["DiskId"] for d in store.disks.values()]
    assert all(re.fullmatch(r"d-2ze[a-z0-9]{17}", d) for d in disk_ids)


def test_seed_has_default_network_per_region():
    catalog = Catalog()
    for region_id, region in catalog.regions.items():
        prefix = region["id_prefix"]
        assert catalog.vpcs[f"vpc-{prefix}emudefault"]["CidrBlock"] == "172.16.0.0/12"
        assert catalog.security_groups[f"sg-{prefix}emudefault"]["RegionId"] == region_id
        for zone in region["zones"]:
            assert catalog.vswitches[f"vsw-{prefix}emudefault{zone[-1]}"]["ZoneId"] == zone
    assert len(catalog.regions) >= 6


def test_extra_seed_file_is_merged(tmp_path):
    extra = tmp_path / "extra.json"
    extra.write_text(
        json.dumps(
            {
                "instance_types": [
                    {
                        "InstanceTypeId": "ecs.test.tiny",
                        "CpuCoreCount": 1,
                        "MemorySize": 0.5,
                        "price_hourly": 0.01,
                        "price_monthly": 3,
                    }
                ],
                "vpcs": [{"VpcId": "vpc-bp1custom", "RegionId": "cn-hangzhou", "CidrBlock": "10.0.0.0/8"}],
                "vswitches": [
                    {
                        "VSwitchId": "vsw-bp1custom",
                        "VpcId": "vpc-bp1custom",
                        "ZoneId": "cn-hangzhou-i",
                        "CidrBlock": "10.1.0.0/24",
                    }
                ],
                "security_groups": [{"SecurityGroupId": "sg-bp1custom", "VpcId": "vpc-bp1custom"}],
            }
        )
    )
    store = Store(seed_files=[str(extra)])
    params = dict(RUN, InstanceType="ecs.test.tiny", SecurityGroupId="sg-bp1custom", VSwitchId="vsw-bp1custom")
    [iid] = api(store, "RunInstances", T0, **params)["InstanceIdSets"]["InstanceIdSet"]
    assert store.instances[iid]["PrivateIpAddress"].startswith("10.1.0.")
    assert "ecs.g7.large" in store.catalog.instance_types  # built-in seed kept
    with pytest.raises(ApiError) as info:  # default vSwitch, custom VPC's group
        api(store, "RunInstances", T0, **dict(params, VSwitchId="vsw-bp1emudefaulth"))
    assert (info.value.code, info.value.status, info.value.message) == (
        "InvalidParameter.Mismatch",
        400,
        "Specified security group and virtual switch are not in the same VPC.",
    )


def test_describe_100_of_1000_by_ids_and_by_status():
    # Speed is measured by bench/emulator_bench.py, not here: this checks the answers at that size.
    store = Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0}})
    ids = []
    for n in range(10):
        ids += api(store, "RunInstances", T0 + n, Amount=100, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    assert len(store.instances) == 1000
    wanted = ids[::10]
    result = api(store, "DescribeInstances", T0 + 21, RegionId="cn-hangzhou", InstanceIds=json.dumps(wanted), PageSize=100)
    assert sorted(i["InstanceId"] for i in result["Instances"]["Instance"]) == sorted(wanted)
    page = api(store, "DescribeInstances", T0 + 22, RegionId="cn-hangzhou", PageSize=100, Status="Running")
    assert page["TotalCount"] == 1000 and len(page["Instances"]["Instance"]) == 100


def test_implicit_vswitch_serves_the_classic_example(store):
    classic = {
        "RegionId": "cn-beijing",
        "ImageId": "ubuntu1404_64_40G_cloudinit_20160727.raw",
        "InstanceType": "ecs.s2.large",
        "SecurityGroupId": "sg-2zeemudefault",
        "IoOptimized": "optimized",
        "SystemDisk.Category": "cloud_ssd",
    }
    with pytest.raises(ApiError) as info:
        api(store, "CreateInstance", T0, **classic)
    assert (info.value.code, info.value.message) == (
        "MissingParameter",
        'The input parameter "VSwitchId" that is mandatory for processing this request is not supplied.',
    )
    store.update_config({"implicit_vswitch": True})
    iid = api(store, "CreateInstance", T0, **classic)["InstanceId"]
    assert store.instances[iid]["VSwitchId"] == "vsw-2zeemudefaulth"
    iid = api(store, "CreateInstance", T0, ZoneId="cn-beijing-k", **classic)["InstanceId"]
    assert store.instances[iid]["VSwitchId"] == "vsw-2zeemudefaultk"
    assert store.disks[store.instances[iid]["DiskIds"][0]]["Size"] == 40


def test_instances_view_is_describe_shaped(store):
    api(store, "RunInstances", T0, **RUN)
    [view] = store.instances_view(T0 + 1)
    keys = list(view)
    assert keys.index("EipAddress") < keys.index("PublicIpAddress")
    assert view["Status"] == "Running" and view["ExpiredTime"] == "2099-12-31T15:59Z"


def _code(store: Store, action: str, **params) -> str:
    with pytest.raises(ApiError) as info:
        api(store, action, T0, **params)
    return info.value.code


def test_create_options_private_ip_hostnames_suffix_spot(store):
    ids = api(
        store,
        "RunInstances",
        T0,
        Amount=2,
        PrivateIpAddress="172.16.1.10",
        UniqueSuffix="true",
        InstanceName="node",
        **{"HostNames.1": "alpha", "HostNames.2": "beta"},
        SpotStrategy="SpotWithPriceLimit",
        SpotPriceLimit="0.25",
        **RUN,
    )["InstanceIdSets"]["InstanceIdSet"]
    got = [
        (store.instances[i]["InstanceName"], store.instances[i]["HostName"], store.instances[i]["PrivateIpAddress"])
        for i in ids
    ]
    assert got == [("node001", "alpha", "172.16.1.10"), ("node002", "beta", "172.16.1.11")]
    view = api(store, "DescribeInstances", T0, RegionId="cn-hangzhou", InstanceIds=json.dumps(ids[:1]))
    inst = view["Instances"]["Instance"][0]
    assert (inst["SpotStrategy"], inst["SpotPriceLimit"]) == ("SpotWithPriceLimit", 0.25)
    assert _code(store, "RunInstances", PrivateIpAddress="172.16.1.10", **RUN) == "InvalidPrivateIpAddress.Duplicated"
    assert _code(store, "RunInstances", PrivateIpAddress="10.0.0.5", **RUN) == "InvalidPrivateIpAddress"
    assert _code(store, "RunInstances", PrivateIpAddress="nope", **RUN) == "InvalidPrivateIpAddress.Malformed"


@pytest.mark.parametrize(
    "params,code",
    [
        ({"AutoReleaseTime": "tomorrow"}, "InvalidAutoReleaseTime.Malformed"),
        ({"AutoReleaseTime": "2000-01-01T00:00:00Z"}, "InvalidAutoReleaseTime.Malformed"),
        ({"Password": "Secr3t!pass", "PasswordInherit": "true"}, "InvalidPasswordParam.Mismatch"),
        ({"HostName": "a", "HostNames.1": "b"}, "InvalidParameter"),
        ({"UserData": "not base64!"}, "InvalidUserData.Base64FormatInvalid"),
        ({"SpotStrategy": "SpotWithPriceLimit"}, "InvalidSpotPriceLimit"),
        ({"SpotDuration": "7", "SpotStrategy": "SpotAsPriceGo"}, "InvalidSpotDuration"),
        ({"IoOptimized": "maybe"}, "InvalidIoOptimizedValue.ValueNotSupported"),
        ({"DataDisk.1.Size": "40", "DataDisk.1.SnapshotId": "s-1"}, "InvalidSnapshotId.NotFound"),
        (
            {"InstanceChargeType": "PrePaid", "Period": "1", "AutoReleaseTime": "2099-01-01T00:00:00Z"},
            "InvalidAutoReleaseTime.Malformed",
        ),
    ],
)
def test_more_create_validation(store, params, code):
    assert _code(store, "RunInstances", **{**RUN, **params}) == code
    assert store.instances == {}


def test_describe_instances_lock_and_io_filters(store):
    [iid] = api(store, "RunInstances", T0, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    store.instances[iid]["Locks"].append("security")
    found = api(store, "DescribeInstances", T0, RegionId="cn-hangzhou", LockReason="security")
    assert found["TotalCount"] == 1
    assert api(store, "DescribeInstances", T0, RegionId="cn-hangzhou", IoOptimized="false")["TotalCount"] == 0
    assert _code(store, "DescribeInstances", RegionId="cn-hangzhou", LockReason="angry") == "InvalidLockReason.NotFound"
    assert _code(store, "StopInstance", InstanceId=iid) == "InstanceLockedForSecurity"
    assert _code(store, "AllocatePublicIpAddress", InstanceId=iid) == "InstanceLockedForSecurity"
    api(store, "DeleteInstance", T0, InstanceId=iid, Force="true")  # reference 8.7: delete still works
