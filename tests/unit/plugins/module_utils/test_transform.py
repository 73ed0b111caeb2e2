from __future__ import annotations

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils._transform import (
    clean_ids,
    normalize_instance,
    normalize_instances,
    tags_to_dict,
    unwrap_lists,
)

RAW = {
    "InstanceId": "i-abc",
    "InstanceName": "web",
    "Status": "Running",
    "CreationTime": "2026-01-01T10:00Z",
    "SecurityGroupIds": {"SecurityGroupId": ["sg-1", "sg-2"]},
    "PublicIpAddress": {"IpAddress": ["47.0.0.1"]},
    "InnerIpAddress": {"IpAddress": []},
    "VpcAttributes": {"VpcId": "vpc-1", "VSwitchId": "vsw-1", "NatIpAddress": "", "PrivateIpAddress": {"IpAddress": ["172.16.0.5"]}},
    "EipAddress": {"AllocationId": "", "IpAddress": "", "Bandwidth": 0},
    "OperationLocks": {"LockReason": [{"LockReason": "financial"}]},
    "Tags": {"Tag": [{"TagKey": "Env", "TagValue": "prod"}, {"TagKey": "CamelKey", "TagValue": ""}]},
    "NetworkInterfaces": {"NetworkInterface": [{"NetworkInterfaceId": "eni-1", "Type": "Primary"}]},
    "DeletionProtection": False,
}


def test_normalize_instance():
    result = normalize_instance(RAW)
    assert result["instance_id"] == "i-abc"
    assert result["security_group_ids"] == ["sg-1", "sg-2"]
    assert result["public_ip_address"] == ["47.0.0.1"] and result["public_ip"] == "47.0.0.1"
    assert result["private_ip_address"] == ["172.16.0.5"] and result["private_ip"] == "172.16.0.5"
    assert (result["vpc_id"], result["vswitch_id"]) == ("vpc-1", "vsw-1")
    assert result["tags"] == {"Env": "prod", "CamelKey": ""}
    assert result["operation_locks"] == ["financial"]
    assert result["network_interfaces"] == [{"network_interface_id": "eni-1", "type": "Primary"}]
    assert "vpc_attributes" not in result and "v_switch_id" not in str(result)


def test_eip_used_as_public_ip_and_missing_fields():
    raw = {"InstanceId": "i-x", "EipAddress": {"IpAddress": "8.8.8.8"}, "PublicIpAddress": {"IpAddress": []}}
    result = normalize_instance(raw)
    assert result["public_ip"] == "8.8.8.8" and result["private_ip"] is None and result["tags"] == {}


def test_tags_to_dict_vpc_style():
    assert tags_to_dict({"Tag": [{"Key": "a", "Value": "b"}]}) == {"a": "b"}
    assert tags_to_dict(None) == {}


def test_unwrap_keeps_real_single_key_dicts():
    assert unwrap_lists({"A": {"B": 1}}) == {"A": {"B": 1}}
    assert unwrap_lists({"A": {"B": [{"C": {"D": []}}]}}) == {"A": [{"C": []}]}


def test_sorted_stably():
    raws = [dict(RAW, InstanceId="i-2"), dict(RAW, InstanceId="i-1"), dict(RAW, InstanceId="i-0", CreationTime="2026-01-02T00:00Z")]
    assert [i["instance_id"] for i in normalize_instances(raws)] == ["i-1", "i-2", "i-0"]


@pytest.mark.parametrize("value,text", [(True, "true"), (False, "false"), (8, "8"), (1.5, "1.5"), (None, ""), ("x", "x")])
def test_tag_values_are_converted_once_the_same_way(value, text):
    from ansible_collections.alicloud.ecs.plugins.module_utils._transform import tags_to_api

    assert tags_to_api({"k": value}) == {"k": text}
    assert tags_to_api({1: "one"}) == {"1": "one"} and tags_to_api({True: "yes"}) == {"true": "yes"}


@pytest.mark.parametrize("tags,fragment", [
    ({"k": [1]}, "tag 'k' has a list value"), ({"k": {"a": 1}}, "dict value"),
    ({None: "v"}, "empty key"), ({" ": "v"}, "empty key"), (["k"], "must be a dictionary"),
])
def test_tags_the_api_cannot_store_are_refused(tags, fragment):
    from ansible_collections.alicloud.ecs.plugins.module_utils._transform import TagError, tags_to_api

    with pytest.raises(TagError, match=fragment):
        tags_to_api(tags)


def test_cached_key_conversion_matches_camel_dict_to_snake_dict():
    from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

    raw = dict(RAW, IoOptimized=True, GPUAmount=0, OSNameEn="Ubuntu", ISP="", VSwitchId="vsw-1",
               MetadataOptions={"HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1}, CPUOptions={"CoreCount": 1})
    reference = camel_dict_to_snake_dict(unwrap_lists({k: v for k, v in raw.items() if k != "Tags"}))
    result = normalize_instance(raw)
    shortcuts = {"vpc_attributes", "private_ip_address", "public_ip_address", "security_group_ids", "operation_locks", "v_switch_id"}
    assert {k: v for k, v in reference.items() if k not in shortcuts} == {k: result[k] for k in reference if k not in shortcuts}


@pytest.mark.parametrize("values,expected", [
    (None, ([], 0)), ([], ([], 0)), ([""], ([], 1)), (["i-1", " i-2 ", "i-1", "", None], (["i-1", "i-2"], 2)),
])
def test_clean_ids(values, expected):
    assert clean_ids(values) == expected
