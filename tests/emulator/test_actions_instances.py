"""RunInstances / CreateInstance validation and the instance describes, through aliyunsdkcore over HTTP."""

from __future__ import annotations

import base64
import json
import re

import pytest

from tests.emulator.actions_support import (
    IMAGE,
    REGION,
    SG,
    TYPE,
    VPC,
    VSWITCH,
    VSWITCH_I,
    Ecs,
    assert_error,
    request,
)


def test_run_instances_response_and_instance_shape(ecs: Ecs):
    [iid] = ecs.run(InternetMaxBandwidthOut=5, InstanceName="web-1", HostName="web-1", Description="demo host")
    assert re.fullmatch(r"i-bp1[a-z0-9]{17}", iid)
    inst = ecs.one(iid)
    assert inst["Status"] == "Running"
    assert inst["InstanceName"] == "web-1" and inst["HostName"] == "web-1"
    assert re.fullmatch(r"47\.\d+\.\d+\.\d+", inst["PublicIpAddress"]["IpAddress"][0])
    keys = list(inst)
    assert keys.index("EipAddress") < keys.index("PublicIpAddress")
    assert inst["EipAddress"]["IpAddress"] == ""
    assert inst["InnerIpAddress"] == {"IpAddress": []}
    assert inst["ExpiredTime"] == "2099-12-31T15:59Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ", inst["CreationTime"])
    assert inst["StoppedMode"] == "Not-applicable" and inst["IoOptimized"] is True
    assert inst["VpcAttributes"]["VpcId"] == VPC and inst["VpcAttributes"]["VSwitchId"] == VSWITCH
    assert inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0].startswith("172.16.")
    assert inst["Cpu"] == 2 and inst["Memory"] == 8192 and inst["InstanceTypeFamily"] == "ecs.g7"
    assert "Tags" not in inst


def test_create_instance_is_stopped_without_public_ip(ecs: Ecs):
    iid = ecs.create(InternetMaxBandwidthOut=10)
    inst = ecs.one(iid)
    assert inst["Status"] == "Stopped"
    assert inst["PublicIpAddress"] == {"IpAddress": []}
    assert inst["HostName"] == f"iZ{iid[2:]}Z" and inst["InstanceName"] == iid
    assert inst["StoppedMode"] == "KeepCharging" and inst["StartTime"] == ""


def test_run_instances_with_sdk_setter_quirks(ecs: Ecs):
    req = request(
        "RunInstances",
        ImageId=IMAGE,
        InstanceType=TYPE,
        VSwitchId=VSWITCH,
        Amount=2,
        InstanceName="app[1,3]",
        HostName="app[1,3]",
    )
    req.set_SecurityGroupIdss([SG])
    req.set_Tags([{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": ""}])
    req.set_DataDisks([{"Size": 40, "Category": "cloud_essd", "PerformanceLevel": "PL2"}])
    req.set_SystemDiskCategory("cloud_essd")
    req.set_SystemDiskSize(60)
    ids = ecs.send(req)["InstanceIdSets"]["InstanceIdSet"]
    found = {i["InstanceName"]: i for i in ecs.describe(ids)}
    assert sorted(found) == ["app001", "app002"]
    assert found["app001"]["Tags"]["Tag"] == [{"TagKey": "env", "TagValue": "dev"}, {"TagKey": "team", "TagValue": ""}]
    disks = ecs.call("DescribeDisks", InstanceId=ids[0])["Disks"]["Disk"]
    assert [(d["Type"], d["Category"], d["Size"], d["PerformanceLevel"]) for d in disks] == [
        ("system", "cloud_essd", 60, "PL1"),
        ("data", "cloud_essd", 40, "PL2"),
    ]
    assert all(d["Tags"]["Tag"][0] == {"TagKey": "env", "TagValue": "dev"} for d in disks)
    assert all(d["Status"] == "In_use" and d["InstanceId"] == ids[0] and d["DiskId"].startswith("d-") for d in disks)


BAD_CREATE = [
    (
        {"ImageId": ""},
        "MissingParameter",
        400,
        "The input parameter ImageId that is mandatory for processing this request is not supplied.",
    ),
    ({"ImageId": "nope.vhd"}, "InvalidImageId.NotFound", 404, "The specified ImageId does not exist."),
    (
        {"InstanceType": "ecs.nope.large"},
        "InvalidInstanceType.ValueNotSupported",
        400,
        "The specified InstanceType does not exist or beyond the permitted range.",
    ),
    (
        {"SecurityGroupId": "sg-missing"},
        "InvalidSecurityGroupId.NotFound",
        404,
        "The specified SecurityGroupId does not exist.",
    ),
    ({"VSwitchId": "vsw-missing"}, "InvalidVSwitchId.NotFound", 404, "Specified virtual switch does not exist."),
    ({"VSwitchId": ""}, "MissingParameter", 400, None),
    ({"ZoneId": "cn-hangzhou-z"}, "InvalidZoneId.NotFound", 404, "The specified zoneId does not exist."),
    (
        {"ZoneId": "cn-hangzhou-i"},
        "InvalidParameter.Mismatch",
        400,
        "Specified virtual switch is not in the specified zone.",
    ),
    ({"InstanceName": "1bad"}, "InvalidInstanceName.Malformed", 400, None),
    ({"InstanceName": "http://x"}, "InvalidInstanceName.Malformed", 400, None),
    ({"HostName": "bad..host"}, "InvalidHostName.Malformed", 400, None),
    ({"Description": "x"}, "InvalidDescription.Malformed", 400, None),
    ({"Password": "weakpassword"}, "InvalidPassword.Malformed", 400, None),
    ({"InternetChargeType": "PayByDay"}, "InvalidInternetChargeType.ValueNotSupported", 400, None),
    (
        {"InternetMaxBandwidthOut": "101"},
        "InvalidParameter",
        400,
        'The specified parameter "InternetMaxBandwidthOut" is not valid.',
    ),
    ({"SystemDisk.Category": "floppy"}, "InvalidSystemDiskCategory.ValueNotSupported", 400, None),
    ({"SystemDisk.Size": "10"}, "InvalidSystemDiskSize.LessThanImageSize", 404, None),
    ({"SystemDisk.Size": "5000"}, "InvalidSystemDiskSize.ValueNotSupported", 400, None),
    (
        {"SystemDisk.Category": "cloud_essd", "SystemDisk.PerformanceLevel": "PL9"},
        "InvalidSystemDiskPerformanceLevel.ValueNotSupported",
        400,
        None,
    ),
    ({"DataDisk.1.Size": "1"}, "InvalidDataDiskSize.ValueNotSupported", 400, None),
    ({"DataDisk.1.Size": "40", "DataDisk.1.Category": "tape"}, "InvalidDataDiskCategory.ValueNotSupported", 400, None),
    ({f"DataDisk.{n}.Size": "20" for n in range(1, 18)}, "InvalidParameter", 400, None),
    ({"Amount": "101"}, "InvalidParameter", 400, None),
    ({"Amount": "2", "MinAmount": "3"}, "InvalidParameter", 400, None),
    (
        {"Tag.1.Key": "aliyun-x", "Tag.1.Value": "v"},
        "InvalidTagKey.Malformed",
        400,
        "The specified Tag.n.Key is not valid.",
    ),
    ({"Tag.1.Key": "k", "Tag.1.Value": "acs:v"}, "InvalidTagValue.Malformed", 400, None),
    ({"Tag.1.Key": "k", "Tag.2.Key": "k"}, "Duplicate.TagKey", 400, "The Tag.N.Key contain duplicate key."),
    ({f"Tag.{n}.Key": f"k{n}" for n in range(1, 22)}, "InvalidTagCount", 400, None),
    ({"UserData": base64.b64encode(b"x" * (32 * 1024 + 1)).decode()}, "InvalidUserData.SizeExceeded", 400, None),
    ({"SpotStrategy": "Cheap"}, "InvalidSpotStrategy", 400, "The specified SpotStrategy is not valid."),
    (
        {"SpotStrategy": "SpotWithPriceLimit", "SpotPriceLimit": "0.1234"},
        "InvalidSpotPriceLimit",
        400,
        "The specified SpotPriceLimitis not valid.",
    ),
    ({"InstanceChargeType": "Monthly"}, "InvalidInstanceChargeType.ValueNotSupported", 400, None),
    ({"ResourceGroupId": "group"}, "InvalidResourceGroup.NotFound", 404, None),
    ({"SecurityGroupIds.1": SG}, "InvalidParameter.Conflict", 400, None),
]


@pytest.mark.parametrize("extra,code,status,message", BAD_CREATE)
def test_run_instances_validation(ecs: Ecs, extra, code, status, message):
    params = {"ImageId": IMAGE, "InstanceType": TYPE, "SecurityGroupId": SG, "VSwitchId": VSWITCH, **extra}
    params = {k: v for k, v in params.items() if v != ""}
    assert_error(ecs.error("RunInstances", **params), code, status, message)
    assert ecs.describe() == []


def test_network_resources_must_be_in_the_request_region(ecs: Ecs):
    sg = ecs.call("CreateSecurityGroup", VpcId="vpc-2zeemudefault", RegionId="cn-beijing")["SecurityGroupId"]
    assert sg.startswith("sg-2ze")
    exc = ecs.error("RunInstances", ImageId=IMAGE, InstanceType=TYPE, SecurityGroupId=sg, VSwitchId=VSWITCH)
    assert_error(exc, "InvalidSecurityGroupId.NotFound", 404)
    exc = ecs.error(
        "RunInstances", ImageId=IMAGE, InstanceType=TYPE, SecurityGroupId=SG, VSwitchId="vsw-2zeemudefaulth"
    )
    assert_error(exc, "InvalidVSwitchId.NotFound", 404)


def test_windows_hostname_rules(ecs: Ecs):
    win = "win2022_21H2_x64_dtc_en-us_40G_alibase_20240515.vhd"
    exc = ecs.error(
        "RunInstances",
        ImageId=win,
        InstanceType=TYPE,
        SecurityGroupId=SG,
        VSwitchId=VSWITCH,
        HostName="a-very-long-windows-name",
    )
    assert_error(exc, "InvalidHostName.Malformed", 400, 'The specified parameter "HostName" is not valid.')
    [iid] = ecs.run(ImageId=win)
    assert len(ecs.one(iid)["HostName"]) <= 15


def test_dry_run_validates_then_answers_dry_run_operation(ecs: Ecs):
    exc = ecs.error(
        "RunInstances", ImageId=IMAGE, InstanceType=TYPE, SecurityGroupId=SG, VSwitchId=VSWITCH, DryRun=True
    )
    assert_error(exc, "DryRunOperation", 400, "Request validation has been passed with DryRun flag set.")
    exc = ecs.error(
        "CreateInstance", ImageId="nope", InstanceType=TYPE, SecurityGroupId=SG, VSwitchId=VSWITCH, DryRun=True
    )
    assert_error(exc, "InvalidImageId.NotFound", 404)
    assert ecs.describe() == []


def test_user_data_round_trip(ecs: Ecs):
    data = base64.b64encode(b"#!/bin/sh\necho hi\n").decode()
    [iid] = ecs.run(UserData=data)
    body = ecs.call("DescribeUserData", InstanceId=iid)
    assert (body["RegionId"], body["InstanceId"], body["UserData"]) == (REGION, iid, data)
    assert_error(ecs.error("DescribeUserData", InstanceId="i-bp1nothere000000000"), "InvalidInstanceId.NotFound", 404)


# ------------------------------------------------------------------ DescribeInstances filters


@pytest.fixture
def fleet(ecs: Ecs) -> dict[str, str]:
    sg2 = ecs.call("CreateSecurityGroup", VpcId=VPC, SecurityGroupName="extra")["SecurityGroupId"]
    ecs.call("CreateKeyPair", KeyPairName="kp1")  # KeyPairName must name a key pair of the region
    a = ecs.run(
        InstanceName="alpha-web",
        InternetMaxBandwidthOut=1,
        KeyPairName="kp1",
        **{"Tag.1.Key": "env", "Tag.1.Value": "prod", "Tag.2.Key": "team", "Tag.2.Value": "a"},
    )[0]
    b = ecs.run(
        InstanceName="beta-web",
        VSwitchId=VSWITCH_I,
        InstanceType="ecs.c7.large",
        ResourceGroupId="rg-acfmzabc123",
        SecurityGroupId="",
        **{"SecurityGroupIds.1": sg2, "Tag.1.Key": "env", "Tag.1.Value": "dev"},
    )[0]
    c = ecs.create(
        InstanceName="gamma-db",
        ImageId="ubuntu_22_04_x64_20G_alibase_20240130.vhd",
        InstanceChargeType="PrePaid",
        Period=1,
        **{"Tag.1.Key": "team", "Tag.1.Value": "b"},
    )
    return {"a": a, "b": b, "c": c, "sg2": sg2}


def _names(ecs: Ecs, **params) -> list[str]:
    return sorted(i["InstanceName"] for i in ecs.describe(**params))


FILTERS = [
    ({"InstanceName": "alpha-web"}, ["alpha-web"]),
    ({"InstanceName": "*-web"}, ["alpha-web", "beta-web"]),
    ({"InstanceName": "g*"}, ["gamma-db"]),
    ({"Status": "Stopped"}, ["gamma-db"]),
    ({"Status": "Running"}, ["alpha-web", "beta-web"]),
    ({"VpcId": VPC}, ["alpha-web", "beta-web", "gamma-db"]),
    ({"VSwitchId": VSWITCH_I}, ["beta-web"]),
    ({"ZoneId": "cn-hangzhou-h"}, ["alpha-web", "gamma-db"]),
    ({"InstanceType": "ecs.c7.large"}, ["beta-web"]),
    ({"InstanceTypeFamily": "ecs.g7"}, ["alpha-web", "gamma-db"]),
    ({"InstanceChargeType": "PrePaid"}, ["gamma-db"]),
    ({"SecurityGroupId": SG}, ["alpha-web", "gamma-db"]),
    ({"ImageId": "ubuntu_22_04_x64_20G_alibase_20240130.vhd"}, ["gamma-db"]),
    ({"KeyPairName": "kp1"}, ["alpha-web"]),
    ({"ResourceGroupId": "rg-acfmzabc123"}, ["beta-web"]),
    ({"Tag.1.Key": "env"}, ["alpha-web", "beta-web"]),
    ({"Tag.1.Key": "env", "Tag.1.Value": "prod"}, ["alpha-web"]),
    ({"Tag.1.Key": "env", "Tag.2.Key": "team"}, ["alpha-web"]),
    ({"Tag.1.Key": "team", "Tag.1.Value": "b"}, ["gamma-db"]),
    ({"Tag.1.Key": "nope"}, []),
    ({"InstanceNetworkType": "vpc"}, ["alpha-web", "beta-web", "gamma-db"]),
    ({"InternetChargeType": "PayByTraffic"}, ["alpha-web", "beta-web", "gamma-db"]),
]


@pytest.mark.parametrize("params,expected", FILTERS)
def test_describe_instances_filters(ecs: Ecs, fleet, params, expected):
    assert _names(ecs, **params) == expected


def test_describe_instances_by_ids_and_addresses(ecs: Ecs, fleet):
    a, b = fleet["a"], fleet["b"]
    req = request("DescribeInstances")
    req.set_InstanceIds(json.dumps([a, "i-bp1doesnotexist0000", b]))
    found = ecs.send(req)["Instances"]["Instance"]
    assert sorted(i["InstanceId"] for i in found) == sorted([a, b])  # unknown ids silently omitted
    inst_a = ecs.one(a)
    private = inst_a["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0]
    public = inst_a["PublicIpAddress"]["IpAddress"][0]
    assert [i["InstanceId"] for i in ecs.describe(PrivateIpAddresses=json.dumps([private]))] == [a]
    assert [i["InstanceId"] for i in ecs.describe(PublicIpAddresses=json.dumps([public]))] == [a]
    assert ecs.describe(RegionId="cn-beijing") == []


@pytest.mark.parametrize(
    "params,code,status,message",
    [
        ({"Status": "Sleeping"}, "InvalidStatus.NotFound", 404, "The specified Status is not found"),
        (
            {"InstanceChargeType": "Free"},
            "InvalidInstanceChargeType.NotFound",
            404,
            "The InstanceChargeType does not exist in our records",
        ),
        ({"InstanceIds": json.dumps([f"i-{n}" for n in range(101)])}, "InvalidParameter", 400, None),
        ({"InstanceIds": "not-json"}, "InvalidParameter", 400, None),
        ({"Tag.1.Value": "v"}, "InvalidTag.Mismatch", 400, "The specified Tag.n.Key and Tag.n.Value are not match."),
        ({"RegionId": "mars-1"}, "InvalidRegionId.NotFound", 404, "The specified RegionId does not exist."),
        ({"Filter.1.Key": "Bogus", "Filter.1.Value": "2024-01-01T00:00Z"}, "InvalidFilterKey.NotFound", 404, None),
    ],
)
def test_describe_instances_errors(ecs: Ecs, params, code, status, message):
    assert_error(ecs.error("DescribeInstances", **params), code, status, message)


def test_describe_instances_dry_run(ecs: Ecs):
    assert_error(ecs.error("DescribeInstances", DryRun=True), "DryRunOperation", 400)


def test_describe_instances_creation_time_filter(ecs: Ecs, fleet):
    assert len(ecs.describe(**{"Filter.1.Key": "CreationStartTime", "Filter.1.Value": "2000-01-01T00:00Z"})) == 3
    assert ecs.describe(**{"Filter.1.Key": "CreationEndTime", "Filter.1.Value": "2000-01-01T00:00Z"}) == []


def test_pagination_both_styles_over_150_instances(ecs: Ecs, emulator):
    first = ecs.run(amount=100)
    second = ecs.run(amount=50)
    every = set(first + second)
    body = ecs.call("DescribeInstances")
    assert (body["TotalCount"], body["PageNumber"], body["PageSize"], body["NextToken"]) == (150, 1, 10, "")
    assert len(body["Instances"]["Instance"]) == 10
    pages = [ecs.call("DescribeInstances", PageNumber=n, PageSize=100)["Instances"]["Instance"] for n in (1, 2, 3)]
    assert [len(p) for p in pages] == [100, 50, 0]
    listed = [i["InstanceId"] for p in pages for i in p]
    assert set(listed) == every and len(listed) == 150
    # newest first: the second RunInstances batch (created later or with a higher sequence) leads
    assert set(listed[:50]) == set(second) or listed[0] in every
    seen, token = [], None
    while True:
        params = {"MaxResults": 40}
        if token:
            params["NextToken"] = token
        body = ecs.call("DescribeInstances", **params)
        seen += [i["InstanceId"] for i in body["Instances"]["Instance"]]
        token = body["NextToken"]
        if not token:
            break
        assert re.fullmatch(r"[0-9a-f]{32}", token)
    assert seen == listed
    assert ecs.call("DescribeInstances", PageSize=500)["PageSize"] == 100  # clamp (default policy)
    emulator.config({"page_size_out_of_range": "error"})
    assert_error(ecs.error("DescribeInstances", PageSize=500), "InvalidParameter", 400)
    assert_error(ecs.error("DescribeInstances", NextToken="abc"), "InvalidParameter", 400)


def test_newest_first_ordering(ecs: Ecs):
    ids = ecs.run(amount=3)
    later = ecs.run()
    listed = [i["InstanceId"] for i in ecs.describe()]
    assert listed[0] == later[0]
    assert listed[1:] == list(reversed(ids))


def test_describe_instance_status_and_attribute(ecs: Ecs, fleet):
    req = request("DescribeInstanceStatus", PageSize=50)
    req.set_InstanceIds([fleet["a"], fleet["c"]])
    statuses = {s["InstanceId"]: s["Status"] for s in ecs.send(req)["InstanceStatuses"]["InstanceStatus"]}
    assert statuses == {fleet["a"]: "Running", fleet["c"]: "Stopped"}
    assert ecs.call("DescribeInstanceStatus")["TotalCount"] == 3
    attr = ecs.call("DescribeInstanceAttribute", InstanceId=fleet["a"])
    assert attr["IoOptimized"] == "optimized" and attr["InstanceId"] == fleet["a"]
    assert attr["ExpiredTime"] == "2099-12-31T15:59Z"
    assert "Tags" not in attr and "StartTime" not in attr and "KeyPairName" not in attr
    assert attr["OperationLocks"] == {"LockReason": []}
    assert_error(
        ecs.error("DescribeInstanceAttribute", InstanceId="i-bp1nothere000000000"),
        "InvalidInstanceId.NotFound",
        404,
        "The specified InstanceId does not exist.",
    )


def test_describe_disks_filters_and_paging(ecs: Ecs):
    [iid] = ecs.run(
        **{
            "DataDisk.1.Size": "50",
            "DataDisk.2.Size": "60",
            "DataDisk.2.Category": "cloud_ssd",
            "DataDisk.2.DeleteWithInstance": "false",
        }
    )
    ecs.run()
    assert ecs.call("DescribeDisks")["TotalCount"] == 4
    mine = ecs.call("DescribeDisks", InstanceId=iid)["Disks"]["Disk"]
    assert [d["Type"] for d in mine] == ["system", "data", "data"]
    assert ecs.call("DescribeDisks", DiskType="data")["TotalCount"] == 2
    assert ecs.call("DescribeDisks", Category="cloud_ssd")["Disks"]["Disk"][0]["Size"] == 60
    ids = [mine[1]["DiskId"]]
    assert [d["DiskId"] for d in ecs.call("DescribeDisks", DiskIds=json.dumps(ids))["Disks"]["Disk"]] == ids
    page = ecs.call("DescribeDisks", PageSize=3, PageNumber=2)
    assert (page["TotalCount"], len(page["Disks"]["Disk"])) == (4, 1)
    ecs.call("DeleteInstance", InstanceId=iid, Force=True)
    left = ecs.call("DescribeDisks", Category="cloud_ssd")["Disks"]["Disk"]
    assert left[0]["Status"] == "Available" and left[0]["InstanceId"] == ""
    assert ecs.call("DescribeDisks")["TotalCount"] == 2  # the other instance's system disk + the detached one


def test_describe_instances_renders_as_xml(ecs: Ecs, emulator):
    import xml.etree.ElementTree as ET

    from tests.helpers.emulator import v1_call

    ids = ecs.run(amount=2, InternetMaxBandwidthOut=1, **{"Tag.1.Key": "env", "Tag.1.Value": "dev"})
    status, headers, raw = v1_call(emulator, "DescribeInstances", {"RegionId": REGION}, Format="XML")
    assert status == 200 and headers["content-type"].startswith("text/xml")
    root = ET.fromstring(raw)
    assert root.tag == "DescribeInstancesResponse"
    assert sorted(e.text for e in root.findall("./Instances/Instance/InstanceId")) == sorted(ids)
    assert len(root.findall("./Instances/Instance/PublicIpAddress/IpAddress")) == 2
    assert root.find("./Instances/Instance/Tags/Tag/TagKey").text == "env"
