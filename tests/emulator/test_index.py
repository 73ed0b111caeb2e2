"""The emulator's instance indexes (ecs_emulator/index.py) answer what a scan of every instance answers.

A seeded random sequence of creates, state changes, renames, tag and security-group changes,
releases and reclaims runs against a store with a synthetic clock, in the consistent and in the
realistic eventual-consistency profile (reference 8.9: late new instances, lagging changes,
lingering released ones); after each step DescribeInstances and DescribeInstanceStatus, with
every indexed filter, both paging styles and a cursor, must list exactly what a brute-force scan
of the store's views lists.  No timing here: bench/emulator_bench.py measures the cost.
"""

from __future__ import annotations

import json
import random

import pytest

from ecs_emulator import registry
from ecs_emulator.errors import ApiError
from ecs_emulator.params import Params
from ecs_emulator.registry import Call
from ecs_emulator.state import Store, newest_first

T0 = 1_800_000_000.0
REGION = "cn-hangzhou"
RUN = {
    "RegionId": REGION,
    "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
    "InstanceType": "ecs.g7.large",
    "SecurityGroupId": "sg-bp1emudefault",
    "InternetMaxBandwidthOut": "1",
}
VSWITCHES = ("vsw-bp1emudefaulth", "vsw-bp1emudefaulti")
NAMES = ("web", "db", "cache")


def api(store: Store, action: str, now: float, **params) -> dict:
    spec = registry.lookup("2014-05-26", action)
    assert spec is not None, action
    call = Call("2014-05-26", action, Params({k: str(v) for k, v in params.items()}), store, "REQ", "127.0.0.1",
                "account", "key", now)
    with store.lock:
        return spec.handler(call)


# ------------------------------------------------------------------ the reference: a scan


def scan(store: Store, now: float) -> list[dict]:
    """Every view a read of the region shows at ``now``, newest first (what the store did before indexes)."""
    views = [store.view(i, now) for i in store.instances.values() if i["RegionId"] == REGION]
    views = [v for v in views if v is not None] + store.ghost_views(now, REGION)
    return newest_first(views)


def passes(view: dict, filters: dict) -> bool:
    for key, value in filters.items():
        if key == "InstanceName":
            if value.endswith("*") and not view["InstanceName"].startswith(value[:-1]):
                return False
            if not value.endswith("*") and view["InstanceName"] != value:
                return False
        elif key == "Tag":
            tag_key, tag_value = value
            if tag_key not in view["Tags"] or (tag_value is not None and view["Tags"][tag_key] != tag_value):
                return False
        elif key == "SecurityGroupId":
            if value not in view["SecurityGroupIds"]:
                return False
        elif key == "PrivateIpAddresses":
            if view["PrivateIpAddress"] not in value:
                return False
        elif view[key] != value:
            return False
    return True


def request(filters: dict) -> dict:
    params = {}
    for key, value in filters.items():
        if key == "Tag":
            params["Tag.1.Key"] = value[0]
            if value[1] is not None:
                params["Tag.1.Value"] = value[1]
        elif key == "PrivateIpAddresses":
            params[key] = json.dumps(sorted(value))
        else:
            params[key] = value
    return params


def listing(store: Store, now: float, filters: dict, **paging) -> dict:
    return api(store, "DescribeInstances", now, RegionId=REGION, **request(filters), **paging)


def ids_of(body: dict) -> list[str]:
    return [i["InstanceId"] for i in body["Instances"]["Instance"]]


def check(store: Store, now: float, rng: random.Random) -> None:
    instances = list(store.instances.values())
    some = rng.choice(instances) if instances else None
    cases: list[dict] = [{}, {"Status": "Running"}, {"Status": "Stopped"}, {"VSwitchId": VSWITCHES[1]},
                         {"InstanceName": rng.choice(NAMES)}, {"InstanceName": "we*"},
                         {"Tag": ("team", None)}, {"Tag": ("team", rng.choice(("red", "blue")))},
                         {"SecurityGroupId": "sg-bp1emuweb"}, {"ZoneId": "cn-hangzhou-i"},
                         {"InstanceName": "web", "Tag": ("team", "red"), "Status": "Running"}]
    if some is not None:
        cases.append({"PrivateIpAddresses": {some["PrivateIpAddress"], "172.16.99.99"}})
        cases.append({"InstanceName": some["InstanceName"], "VSwitchId": some["VSwitchId"]})
    for filters in cases:
        body = listing(store, now, filters, PageSize=100)
        expected = [v["InstanceId"] for v in scan(store, now) if passes(v, filters)]
        assert (ids_of(body), body["TotalCount"]) == (expected[:100], len(expected)), filters
        # Second page, PageNumber style.
        body = listing(store, now, filters, PageSize=7, PageNumber=2)
        assert (ids_of(body), body["TotalCount"]) == (expected[7:14], len(expected)), filters
        # NextToken style: the whole chain, and what is left after the first page.
        seen, token, first_rest = [], None, None
        while True:
            body = listing(store, now, filters, MaxResults=10, **({"NextToken": token} if token else {}))
            if token and first_rest is None:
                first_rest = body["TotalCount"]
            seen += ids_of(body)
            token = body["NextToken"]
            if not token:
                break
        assert seen == expected, filters
        if len(expected) > 10:
            assert first_rest == len(expected) - 10
    # By ids (what the collection's waiter does), with a filter.
    wanted = [i["InstanceId"] for i in rng.sample(instances, min(len(instances), 5))] + ["i-bp1unknown0000000000"]
    body = api(store, "DescribeInstances", now, RegionId=REGION, InstanceIds=json.dumps(wanted), Status="Running")
    expected = [v["InstanceId"] for v in scan(store, now) if v["InstanceId"] in wanted and v["Status"] == "Running"]
    assert ids_of(body) == expected[:10] and body["TotalCount"] == len(expected)
    body = api(store, "DescribeInstanceStatus", now, RegionId=REGION, ZoneId="cn-hangzhou-h", PageSize=50)
    expected = [v["InstanceId"] for v in scan(store, now) if v["ZoneId"] == "cn-hangzhou-h"]
    assert [s["InstanceId"] for s in body["InstanceStatuses"]["InstanceStatus"]] == expected[:50]
    assert body["TotalCount"] == len(expected)


# ------------------------------------------------------------------ the random walk


def step(store: Store, now: float, rng: random.Random) -> None:
    live = [i for i in store.instances.values() if store.is_visible(i, now)]
    choice = rng.random()
    try:
        if choice < 0.25 or not live:
            extra = {"Tag.1.Key": "team", "Tag.1.Value": rng.choice(("red", "blue"))} if rng.random() < 0.6 else {}
            api(store, "RunInstances", now, Amount=rng.randint(1, 4), InstanceName=rng.choice(NAMES),
                VSwitchId=rng.choice(VSWITCHES), **RUN, **extra)
            return
        inst = rng.choice(live)
        iid = inst["InstanceId"]
        if choice < 0.4:
            api(store, "StopInstance" if inst["Status"] == "Running" else "StartInstance", now, InstanceId=iid)
        elif choice < 0.5:
            api(store, "ModifyInstanceAttribute", now, InstanceId=iid, InstanceName=rng.choice(NAMES))
        elif choice < 0.6:
            api(store, "TagResources", now, RegionId=REGION, ResourceType="instance",
                **{"ResourceId.1": iid, "Tag.1.Key": "team", "Tag.1.Value": rng.choice(("red", "blue"))})
        elif choice < 0.65:
            api(store, "UntagResources", now, RegionId=REGION, ResourceType="instance",
                **{"ResourceId.1": iid, "TagKey.1": "team"})
        elif choice < 0.75:
            action = "LeaveSecurityGroup" if "sg-bp1emuweb" in inst["SecurityGroupIds"] else "JoinSecurityGroup"
            api(store, action, now, InstanceId=iid, SecurityGroupId="sg-bp1emuweb")
        elif choice < 0.9:
            api(store, "DeleteInstance", now, InstanceId=iid, Force="true")
        else:
            with store.lock:
                store.release(inst, now)  # reclaimed (POST /_emulator/release)
    except ApiError:
        pass  # a state that does not allow the operation (e.g. Pending): as on the real service


@pytest.mark.parametrize("profile", ["consistent", "realistic"])
def test_indexed_reads_list_what_a_scan_lists(profile):
    rng = random.Random(f"index-{profile}")
    store = Store({"delays": {"Pending": 0.5, "Starting": 1.0, "Stopping": 0.5},
                   "consistency": {"profile": profile, "seed": 3}})
    now = T0
    for number in range(120):
        step(store, now, rng)
        now += rng.choice((0.0, 0.3, 1.0, 2.5))
        if number % 4 == 3:
            check(store, now, rng)
    check(store, now + 30, rng)  # everything settled


def test_restore_rebuilds_the_indexes():
    store = Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0}})
    api(store, "RunInstances", T0, Amount=3, InstanceName="web", VSwitchId=VSWITCHES[0], **RUN,
        **{"Tag.1.Key": "team", "Tag.1.Value": "red"})
    other = Store()
    other.restore(json.loads(json.dumps(store.dump())))
    for filters in ({}, {"InstanceName": "web"}, {"Tag": ("team", "red")}, {"Status": "Running"}):
        assert ids_of(listing(other, T0 + 1, filters)) == ids_of(listing(store, T0 + 1, filters)) != []


def test_delete_key_pairs_and_security_group_counts_use_the_index():
    store = Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0}})
    [iid] = api(store, "RunInstances", T0, KeyPairName="emulator-keypair", VSwitchId=VSWITCHES[0],
                **RUN)["InstanceIdSets"]["InstanceIdSet"]
    with pytest.raises(ApiError) as info:
        api(store, "DeleteKeyPairs", T0, RegionId=REGION, KeyPairNames=json.dumps(["emulator-keypair"]))
    assert info.value.code == "InvalidParameter.KeypairAlreadyAttachedInstance"
    groups = api(store, "DescribeSecurityGroups", T0, RegionId=REGION, SecurityGroupId="sg-bp1emudefault")
    [group] = groups["SecurityGroups"]["SecurityGroup"]
    assert group["EcsCount"] == 1
    api(store, "DeleteInstance", T0 + 1, InstanceId=iid, Force="true")
    api(store, "DeleteKeyPairs", T0 + 1, RegionId=REGION, KeyPairNames=json.dumps(["emulator-keypair"]))
    assert api(store, "DescribeKeyPairs", T0 + 1, RegionId=REGION, KeyPairName="emulator-keypair")["TotalCount"] == 0
