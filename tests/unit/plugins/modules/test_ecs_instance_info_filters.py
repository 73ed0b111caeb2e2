"""ecs_instance_info / inventory filters: parameters, id chunks and NextToken paging, with a fake client."""

from __future__ import annotations

import json

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsConfigError
from ansible_collections.alicloud.ecs.plugins.module_utils._filters import describe_filtered, filter_params
from ansible_collections.alicloud.ecs.plugins.modules import ecs_instance_info
from ansible_collections.alicloud.ecs.tests.unit.kit import module_params


class PagingEcs:
    """DescribeInstances over ``count`` instances, MaxResults/NextToken paging, InstanceIds honoured."""

    region = "cn-beijing"

    def __init__(self, count: int) -> None:
        self.instances = [{"InstanceId": "i-%04d" % n, "CreationTime": "2026-01-01T00:00Z"} for n in range(count)]
        self.calls: list[dict] = []

    def call(self, action, params, **kwargs):
        assert action == "DescribeInstances"
        self.calls.append(dict(params))
        items = self.instances
        if "InstanceIds" in params:
            wanted = json.loads(params["InstanceIds"])
            assert len(wanted) <= 100
            items = [i for i in items if i["InstanceId"] in wanted]
        start = int(params.get("NextToken") or 0)
        size = params["MaxResults"]
        page = items[start : start + size]
        token = str(start + size) if start + size < len(items) else ""
        return {"Instances": {"Instance": page}, "NextToken": token, "TotalCount": len(items)}


def info_params(**values):
    """ecs_instance_info's parameters for the task arguments ``values``."""
    return module_params(ecs_instance_info, **values)


def test_every_option_becomes_its_api_parameter():
    options = info_params(
        name="web-*",
        tags={"role": "web", "env": None},
        status="Running",
        zone_id="cn-beijing-h",
        vpc_id="vpc-1",
        vswitch_id="vsw-1",
        instance_type="ecs.g6.large",
        instance_charge_type="PostPaid",
        security_group_id="sg-1",
        filters={"ImageId": "img-1", "ZoneId": "overridden"},
        instance_ids=None,
    )
    assert filter_params(options) == {
        "InstanceName": "web-*",
        "Tag": [{"Key": "env", "Value": None}, {"Key": "role", "Value": "web"}],
        "Status": "Running",
        "ZoneId": "cn-beijing-h",
        "VpcId": "vpc-1",
        "VSwitchId": "vsw-1",
        "InstanceType": "ecs.g6.large",
        "InstanceChargeType": "PostPaid",
        "SecurityGroupId": "sg-1",
        "ImageId": "img-1",
    }


@pytest.mark.parametrize("key", ["InstanceIds", "NextToken", "PageSize", "RegionId"])
def test_raw_filters_cannot_take_over_paging_or_ids(key):
    with pytest.raises(EcsConfigError, match=key):
        filter_params(info_params(filters={key: "x"}))


def test_too_many_tags():
    with pytest.raises(EcsConfigError, match="at most 20"):
        filter_params(info_params(tags={"k%d" % n: "v" for n in range(21)}))


def test_every_page_is_read():
    client = PagingEcs(250)
    found = describe_filtered(client, info_params(status="Running"))
    assert len(found) == 250
    assert [c.get("NextToken") for c in client.calls] == [None, "100", "200"]
    assert all(c["MaxResults"] == 100 and c["Status"] == "Running" for c in client.calls)


def test_more_than_100_ids_are_chunked_and_deduplicated():
    client = PagingEcs(300)
    ids = ["i-%04d" % n for n in range(0, 260)] + ["i-0001", "i-9999"]
    found = describe_filtered(client, info_params(instance_ids=ids, zone_id="cn-beijing-h"))
    assert sorted(i["InstanceId"] for i in found) == ids[:260]
    chunks = [json.loads(c["InstanceIds"]) for c in client.calls]
    assert [len(c) for c in chunks] == [100, 100, 61]
    assert all(c["ZoneId"] == "cn-beijing-h" for c in client.calls)


def test_empty_id_list_makes_no_call():
    client = PagingEcs(3)
    assert describe_filtered(client, info_params(instance_ids=[])) == []
    assert client.calls == []
