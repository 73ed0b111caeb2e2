"""The inventory's host variable selection, trimmed normalization, paging, concurrent regions and cache entries."""

from __future__ import annotations

import copy
import json
import threading

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import normalize_instance
from ansible_collections.alicloud.ecs.plugins.plugin_utils._inventory import (
    ALWAYS_READ,
    DEFAULT_HOSTVARS,
    DERIVED_FROM,
    RegionListing,
    SharedProvider,
    Trimmer,
    cache_entry,
    cached_records,
    fetch_records,
    host_record,
    hostvar_names,
    instance_pages,
    is_empty,
    selection_key,
)

# A DescribeInstances entry as the API gives it (every field of the 2014-05-26 answer the emulator returns).
FULL_ENTRY = {
    "AutoReleaseTime": "", "ClusterId": "", "Cpu": 2, "CpuOptions": {"CoreCount": 1, "Numa": "", "ThreadsPerCore": 2},
    "CreationTime": "2026-12-02T07:08Z", "CreditSpecification": "",
    "DedicatedHostAttribute": {"DedicatedHostClusterId": "", "DedicatedHostId": "", "DedicatedHostName": ""},
    "DedicatedInstanceAttribute": {"Affinity": "", "Tenancy": ""}, "DeletionProtection": False,
    "DeploymentSetGroupNo": 0, "DeploymentSetId": "", "Description": "", "DeviceAvailable": True,
    "EcsCapacityReservationAttr": {"CapacityReservationId": "", "CapacityReservationPreference": ""},
    "EipAddress": {"AllocationId": "", "Bandwidth": 0, "InternetChargeType": "", "IpAddress": "", "IsSupportUnassociate": False},
    "ExpiredTime": "2099-12-31T15:59Z", "GPUAmount": 0, "GPUSpec": "", "HibernationOptions": {"Configured": False},
    "HostName": "iZbp1hrtyw2lpetppy6g9cZ", "HpcClusterId": "", "ISP": "", "ImageId": "ubuntu_22_04_x64_20G_alibase_20240130.vhd",
    "InnerIpAddress": {"IpAddress": []}, "InstanceChargeType": "PostPaid", "InstanceId": "i-bp1hrtyw2lpetppy6g9c",
    "InstanceName": "bench-49", "InstanceNetworkType": "vpc", "InstanceType": "ecs.g6.large", "InstanceTypeFamily": "ecs.g6",
    "InternetChargeType": "PayByTraffic", "InternetMaxBandwidthIn": 10, "InternetMaxBandwidthOut": 5, "IoOptimized": True,
    "KeyPairName": "", "LocalStorageAmount": 0, "LocalStorageCapacity": 0, "Memory": 8192,
    "MetadataOptions": {"HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1, "HttpTokens": "optional"},
    "NetworkInterfaces": {"NetworkInterface": [{"MacAddress": "00:16:3e:3a:1d:dd", "NetworkInterfaceId": "eni-bp11hfb5aft8cqmrvm15",
                                                "PrimaryIpAddress": "172.16.22.51", "Type": "Primary",
                                                "PrivateIpSets": {"PrivateIpSet": [{"Primary": True, "PrivateIpAddress": "172.16.22.51"}]}}]},
    "OSName": "Ubuntu  22.04 64\u4f4d", "OSNameEn": "Ubuntu  22.04 64 bit", "OSType": "linux",
    "OperationLocks": {"LockReason": []}, "PublicIpAddress": {"IpAddress": ["47.96.107.145"]},
    "RdmaIpAddress": {"IpAddress": []}, "Recyclable": False, "RegionId": "cn-hangzhou", "ResourceGroupId": "", "SaleCycle": "",
    "SecurityGroupIds": {"SecurityGroupId": ["sg-bp1emudefault"]}, "SerialNumber": "cfd45249-692d-4b54-b39a-11365e30b9bc",
    "SpotDuration": 0, "SpotInterruptionBehavior": "Terminate", "SpotPriceLimit": 0.0, "SpotStrategy": "NoSpot",
    "StartTime": "2026-12-02T07:08Z", "Status": "Running", "StoppedMode": "Not-applicable",
    "Tags": {"Tag": [{"TagKey": "role", "TagValue": "web"}]}, "VlanId": "",
    "VpcAttributes": {"NatIpAddress": "", "PrivateIpAddress": {"IpAddress": ["172.16.22.51"]}, "VSwitchId": "vsw-bp1emudefaulti",
                      "VpcId": "vpc-bp1emudefault"},
    "ZoneId": "cn-hangzhou-i",
}


def variant(**changes):
    entry = copy.deepcopy(FULL_ENTRY)
    entry.update(changes)
    return entry


ENTRIES = [
    FULL_ENTRY,
    # An EIP instead of a public IP, no tags, a lock.
    variant(InstanceId="i-bp1eip", PublicIpAddress={"IpAddress": []}, Tags={"Tag": []},
            EipAddress={"AllocationId": "eip-1", "Bandwidth": 5, "InternetChargeType": "PayByTraffic",
                        "IpAddress": "47.96.1.2", "IsSupportUnassociate": True},
            OperationLocks={"LockReason": [{"LockReason": "financial"}]}),
    # A classic-network instance: an inner address and no VPC attributes at all; no Tags key.
    {key: value for key, value in variant(InstanceId="i-bp1classic", InnerIpAddress={"IpAddress": ["10.1.2.3"]},
                                          InstanceNetworkType="classic").items() if key not in ("VpcAttributes", "Tags")},
]


# --------------------------------------------------------------------------- selection


def test_hostvar_names_default_set_plus_include_or_all():
    assert hostvar_names([]) == frozenset(DEFAULT_HOSTVARS)
    assert hostvar_names(None) == frozenset(DEFAULT_HOSTVARS)
    assert hostvar_names(["vpc_id", " host_name "]) == frozenset(DEFAULT_HOSTVARS) | {"vpc_id", "host_name"}
    assert hostvar_names(["vpc_id", "all"]) is None


@pytest.mark.parametrize("bad", ["", "  ", "{{ x }}", None, 3, ["vpc_id"]])
def test_hostvar_names_refuses_what_is_not_a_name(bad):
    with pytest.raises(ValueError, match="hostvars_include"):
        hostvar_names([bad])


@pytest.mark.parametrize("value, empty", [(None, True), ("", True), ([], True), ({}, True), (0, False), (False, False),
                                          ("x", False), ([""], False), (0.0, False)])
def test_is_empty(value, empty):
    assert is_empty(value) is empty


def test_host_record_default_set_leaves_out_empty_values_keeps_zero_and_false():
    instance = normalize_instance(ENTRIES[1])  # EIP, no tags
    record = host_record(instance, hostvar_names(["deletion_protection", "internet_max_bandwidth_out", "description"]))
    assert record["public_ip"] == "47.96.1.2" and "tags" not in record and "description" not in record
    assert record["deletion_protection"] is False
    assert set(record) <= set(DEFAULT_HOSTVARS) | {"deletion_protection", "internet_max_bandwidth_out"}
    assert not any(is_empty(value) for value in record.values())
    kept = host_record(instance, hostvar_names(["description"]), keep_empty=True)
    assert kept["tags"] == {} and kept["description"] == ""


def test_host_record_all_is_every_attribute():
    instance = normalize_instance(FULL_ENTRY)
    assert host_record(instance, None, keep_empty=True) == instance
    lean_all = host_record(instance, None)
    assert set(lean_all) == {key for key, value in instance.items() if not is_empty(value)}
    assert len(instance) == 68 and len(instance) - len(lean_all) == 16  # what the issue counted: 16 always empty


# --------------------------------------------------------------------------- trimming


SELECTIONS = [hostvar_names([])] + [frozenset({name}) for name in normalize_instance(FULL_ENTRY)]


@pytest.mark.parametrize("entry", ENTRIES, ids=["vpc", "eip", "classic"])
@pytest.mark.parametrize("names", SELECTIONS, ids=lambda names: ",".join(sorted(names)) if len(names) < 3 else "default")
def test_a_trimmed_entry_normalizes_to_the_same_selected_values(entry, names):
    full = normalize_instance(entry)
    trimmed = normalize_instance(Trimmer(names)(entry))
    assert {k: full[k] for k in names if k in full} == {k: trimmed[k] for k in names if k in trimmed}
    assert trimmed["instance_id"] == full["instance_id"] and trimmed.get("creation_time") == full.get("creation_time")


def test_trimmer_keeps_only_the_fields_of_the_selection_and_learns_the_attribute_names():
    trim = Trimmer(hostvar_names([]))
    kept = trim(FULL_ENTRY)
    wanted_sources = {field for name in DEFAULT_HOSTVARS for field in DERIVED_FROM.get(name, ())}
    assert set(kept) == {"ImageId", "InstanceChargeType", "InstanceId", "InstanceName", "InstanceType", "OSType",
                         "RegionId", "Status", "ZoneId"} | wanted_sources | set(ALWAYS_READ)
    assert trim.attribute_names == set(normalize_instance(FULL_ENTRY))
    # An entry with a field not seen before: learnt on the spot.
    trim(variant(InstanceId="i-new", NewField="x"))
    assert "new_field" in trim.attribute_names
    assert Trimmer(None)(FULL_ENTRY) is FULL_ENTRY


def test_region_listing_orders_by_creation_time_then_id_and_lists_an_id_once():
    listing = RegionListing(hostvar_names([]), False)
    listing.add_page([variant(InstanceId="i-b", CreationTime="2026-01-02T00:00Z"),
                      variant(InstanceId="i-c", CreationTime="2026-01-01T00:00Z")])
    listing.add_page([variant(InstanceId="i-a", CreationTime="2026-01-02T00:00Z"), variant(InstanceId="i-c")])
    assert [r["instance_id"] for r in listing.records()] == ["i-c", "i-a", "i-b"]


# --------------------------------------------------------------------------- paging and regions


class PagedRegion:
    """DescribeInstances of one region: ``count`` instances, NextToken paging, a call log."""

    def __init__(self, region, count, meet=None, fail=None):
        self.region, self.count, self.meet, self.fail = region, count, meet, fail
        self.calls = []

    def call(self, action, params, *, idempotent=True, dry_run=False):
        assert action == "DescribeInstances"
        self.calls.append(dict(params))
        if self.meet is not None and len(self.calls) == 1:
            self.meet.wait()  # every region's first call must be in flight at once, else this times out
        if self.fail:
            raise EcsApiError(self.fail, "denied", request_id="R-" + self.region)
        ids = sorted(json.loads(params["InstanceIds"])) if "InstanceIds" in params else None
        everything = ["i-%s-%05d" % (self.region, n) for n in range(self.count)]
        wanted = [i for i in everything if ids is None or i in ids]
        start = int(params.get("NextToken") or 0)
        page = wanted[start:start + params["MaxResults"]]
        more = start + len(page) < len(wanted)
        return {"Instances": {"Instance": [variant(InstanceId=i, RegionId=self.region) for i in page]},
                "NextToken": str(start + len(page)) if more else ""}


def test_instance_pages_follow_next_token_and_send_the_filters():
    region = PagedRegion("cn-beijing", 250)
    pages = list(instance_pages(region, {"status": "Running", "tags": {"env": "prod"}}))
    assert [len(page) for page in pages] == [100, 100, 50]
    assert [c.get("NextToken") for c in region.calls] == [None, "100", "200"]
    assert all(c["Status"] == "Running" and c["MaxResults"] == 100 for c in region.calls)
    assert region.calls[0]["Tag"] == [{"Key": "env", "Value": "prod"}]


def test_instance_pages_chunk_ids_by_100_and_no_call_for_an_empty_list():
    region = PagedRegion("cn-beijing", 300)
    ids = ["i-cn-beijing-%05d" % n for n in range(150)]
    pages = list(instance_pages(region, {"instance_ids": ids}))
    assert [len(json.loads(c["InstanceIds"])) for c in region.calls] == [100, 50]
    assert sum(len(page) for page in pages) == 150
    empty = PagedRegion("cn-beijing", 10)
    assert list(instance_pages(empty, {"instance_ids": []})) == [] and empty.calls == []
    # Blank ids (what a lookup that found nothing gives) select nothing, as in ecs_instance_info.
    assert list(instance_pages(empty, {"instance_ids": ["", " "]})) == [] and empty.calls == []
    blanks = PagedRegion("cn-beijing", 10)
    list(instance_pages(blanks, {"instance_ids": ["", "i-cn-beijing-00003", "i-cn-beijing-00003"]}))
    assert [json.loads(c["InstanceIds"]) for c in blanks.calls] == [["i-cn-beijing-00003"]]


def test_regions_are_read_at_the_same_time_and_kept_in_the_order_given():
    meet = threading.Barrier(2, timeout=30)
    regions = [PagedRegion("cn-hangzhou", 120, meet), PagedRegion("cn-beijing", 30, meet)]
    records, attributes = fetch_records(regions, {}, hostvar_names([]), False)
    assert not meet.broken
    assert [r["region_id"] for r in records] == ["cn-hangzhou"] * 120 + ["cn-beijing"] * 30
    assert len({r["instance_id"] for r in records}) == 150
    assert "host_name" in attributes and "vpc_attributes" not in attributes


def test_a_failing_region_fails_the_inventory_with_the_first_region_in_order():
    regions = [PagedRegion("cn-hangzhou", 10), PagedRegion("cn-beijing", 10, fail="Forbidden.RAM"),
               PagedRegion("cn-shanghai", 10, fail="InvalidAccessKeyId.NotFound")]
    with pytest.raises(EcsApiError) as caught:
        fetch_records(regions, {}, hostvar_names([]), False)
    assert caught.value.code == "Forbidden.RAM" and caught.value.operation == "describe instances in cn-beijing"
    assert all(region.calls for region in regions)  # every region was asked


def test_one_region_needs_no_thread():
    records = fetch_records([PagedRegion("cn-beijing", 3)], {}, None, True)[0]
    assert len(records) == 3 and records[0]["description"] == ""


# --------------------------------------------------------------------------- cache entries


def test_cache_entry_is_read_back_only_for_the_same_selection():
    selection = selection_key(hostvar_names(["vpc_id"]), False)
    records = [{"instance_id": "i-1", "vpc_id": "vpc-1"}]
    entry = json.loads(json.dumps(cache_entry(records, selection)))  # as a JSON cache plugin stores it
    assert cached_records(entry, selection) == records
    assert cached_records(entry, selection_key(hostvar_names([]), False)) is None
    assert cached_records(entry, selection_key(hostvar_names(["vpc_id"]), True)) is None
    assert cached_records(entry, selection_key(None, False)) is None
    assert selection_key(None, True) == {"include": "all", "keep_empty": True}


@pytest.mark.parametrize("entry", [[{"instance_id": "i-1"}], {"format": 1, "hosts": []}, None, "x",
                                   {"format": 2, "hostvars": {}, "hosts": "x"}])
def test_other_cache_entries_are_a_miss(entry):
    assert cached_records(entry, {}) is None


# --------------------------------------------------------------------------- shared credentials


class CountingProvider:
    refreshable = True
    source = "RAM role"

    def __init__(self):
        self.inside = 0
        self.most_inside = 0
        self.refreshes = 0
        self.listeners = []

    def credentials(self):
        self.inside += 1
        self.most_inside = max(self.most_inside, self.inside)
        try:
            for _turn in range(1000):  # long enough for another thread to come in if nothing stops it
                pass
            return "creds"
        finally:
            self.inside -= 1

    def refresh(self, keep_valid=False):
        self.refreshes += 1

    def secrets(self):
        return ["s3cret"]

    def on_secret(self, listener):
        self.listeners.append(listener)


def test_shared_provider_serializes_the_threads_and_delegates():
    inner = CountingProvider()
    shared = SharedProvider(inner)
    assert shared.refreshable is True and shared.source == "RAM role"
    threads = [threading.Thread(target=lambda: [shared.credentials() for _call in range(200)]) for _thread in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert inner.most_inside == 1
    shared.refresh(keep_valid=True)
    shared.on_secret(print)
    assert inner.refreshes == 1 and shared.secrets() == ["s3cret"] and inner.listeners == [print]
