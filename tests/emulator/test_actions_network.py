"""Security groups, join/leave, VPC describes (both versions), tags, and the catalog describes."""

from __future__ import annotations

import json

import pytest

from tests.emulator.actions_support import REGION, SG, VPC, VSWITCH, Ecs, assert_error, request


# ---------------------------------------------------------------- security groups


def test_create_and_describe_security_groups(ecs: Ecs):
    sg = ecs.call(
        "CreateSecurityGroup",
        VpcId=VPC,
        SecurityGroupName="web-sg",
        Description="web tier",
        ClientToken="sg-token-1",
        **{"Tag.1.Key": "env", "Tag.1.Value": "prod"},
    )["SecurityGroupId"]
    again = ecs.call(
        "CreateSecurityGroup",
        VpcId=VPC,
        SecurityGroupName="web-sg",
        Description="web tier",
        ClientToken="sg-token-1",
        **{"Tag.1.Key": "env", "Tag.1.Value": "prod"},
    )["SecurityGroupId"]
    assert again == sg  # ClientToken replay (transport)
    body = ecs.call("DescribeSecurityGroups", SecurityGroupIds=json.dumps([sg, SG]))
    groups = {g["SecurityGroupId"]: g for g in body["SecurityGroups"]["SecurityGroup"]}
    assert set(groups) == {sg, SG} and body["TotalCount"] == 2 and body["RegionId"] == REGION
    assert groups[sg]["SecurityGroupName"] == "web-sg" and groups[sg]["VpcId"] == VPC
    assert groups[sg]["Tags"]["Tag"] == [{"TagKey": "env", "TagValue": "prod"}]
    assert groups[SG]["RuleCount"] == 3 and groups[sg]["RuleCount"] == 0
    assert len(groups[sg]["CreationTime"]) == len("2024-01-01T00:00:00Z")
    assert [
        g["SecurityGroupId"]
        for g in ecs.call("DescribeSecurityGroups", SecurityGroupName="web-sg")["SecurityGroups"]["SecurityGroup"]
    ] == [sg]
    assert ecs.call("DescribeSecurityGroups", **{"Tag.1.Key": "env"})["TotalCount"] == 1
    total = len(ecs.call("DescribeSecurityGroups", PageSize=50)["SecurityGroups"]["SecurityGroup"])
    assert total == 5  # the new one and the four seed groups of cn-hangzhou
    token_page = ecs.call("DescribeSecurityGroups", MaxResults=total - 1)
    assert "TotalCount" not in token_page and len(token_page["NextToken"]) == 32
    rest = ecs.call("DescribeSecurityGroups", MaxResults=total - 1, NextToken=token_page["NextToken"])
    assert rest["NextToken"] == "" and len(rest["SecurityGroups"]["SecurityGroup"]) == 1


@pytest.mark.parametrize(
    "params,code,status",
    [
        ({}, "InvalidVpcId.NotFound", 403),
        ({"VpcId": "vpc-nope"}, "InvalidVpcId.NotFound", 404),
        ({"VpcId": VPC, "SecurityGroupName": "1sg"}, "InvalidSecurityGroupName.Malformed", 400),
        ({"VpcId": VPC, "Description": "x"}, "InvalidDescription.Malformed", 400),
        ({"VpcId": VPC, "Tag.1.Key": "acs:x"}, "InvalidTagKey.Malformed", 400),
    ],
)
def test_create_security_group_errors(ecs: Ecs, params, code, status):
    assert_error(ecs.error("CreateSecurityGroup", **params), code, status)


def test_authorize_security_group(ecs: Ecs):
    sg = ecs.call("CreateSecurityGroup", VpcId=VPC)["SecurityGroupId"]
    req = request("AuthorizeSecurityGroup", SecurityGroupId=sg)
    req.set_Permissions(
        [
            {"IpProtocol": "tcp", "PortRange": "22/22", "SourceCidrIp": "0.0.0.0/0"},
            {"IpProtocol": "ICMP", "PortRange": "-1/-1", "SourceGroupId": SG},
        ]
    )
    ecs.send(req)
    ecs.call(
        "AuthorizeSecurityGroup", SecurityGroupId=sg, IpProtocol="TCP", PortRange="22/22", SourceCidrIp="0.0.0.0/0"
    )  # identical rule: no-op success
    group = ecs.call("DescribeSecurityGroups", SecurityGroupId=sg)["SecurityGroups"]["SecurityGroup"][0]
    assert group["RuleCount"] == 2
    cases = [
        (
            {"IpProtocol": "SCTP", "PortRange": "1/2", "SourceCidrIp": "0.0.0.0/0"},
            "InvalidIpProtocol.ValueNotSupported",
            400,
        ),
        ({"IpProtocol": "TCP", "PortRange": "0/70000", "SourceCidrIp": "0.0.0.0/0"}, "OperationDenied", 400),
        ({"IpProtocol": "ICMP", "PortRange": "22/22", "SourceCidrIp": "0.0.0.0/0"}, "OperationDenied", 400),
        ({"IpProtocol": "TCP", "PortRange": "22"}, "InvalidIpProtocol.Malformed", 400),
        ({"IpProtocol": "TCP", "PortRange": "22/22"}, "MissingParameter", 403),
        (
            {"IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "1.2.3.4/99"},
            "InvalidSourceCidrIp.Malformed",
            400,
        ),
        ({"IpProtocol": "TCP", "PortRange": "22/22", "SourceGroupId": "sg-nope"}, "InvalidSourceGroupId.NotFound", 404),
        (
            {"IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "0.0.0.0/0", "Policy": "maybe"},
            "InvalidPolicy.Malformed",
            400,
        ),
        (
            {"IpProtocol": "TCP", "PortRange": "22/22", "SourceCidrIp": "0.0.0.0/0", "Priority": "101"},
            "InvalidPriority.Malformed",
            400,
        ),
    ]
    for params, code, status in cases:
        assert_error(ecs.error("AuthorizeSecurityGroup", SecurityGroupId=sg, **params), code, status)
    assert_error(
        ecs.error(
            "AuthorizeSecurityGroup",
            SecurityGroupId="sg-bp1missing",
            IpProtocol="TCP",
            PortRange="22/22",
            SourceCidrIp="0.0.0.0/0",
        ),
        "InvalidSecurityGroupId.NotFound",
        404,
    )


def test_join_and_leave_security_group(ecs: Ecs):
    [iid] = ecs.run()
    sg2 = ecs.call("CreateSecurityGroup", VpcId=VPC)["SecurityGroupId"]
    ecs.call("JoinSecurityGroup", InstanceId=iid, SecurityGroupId=sg2)
    assert ecs.one(iid)["SecurityGroupIds"]["SecurityGroupId"] == [SG, sg2]
    assert_error(
        ecs.error("JoinSecurityGroup", InstanceId=iid, SecurityGroupId=sg2),
        "InvalidInstanceId.AlreadyExists",
        403,
        "The specified instance already exists in the specified security group.",
    )
    assert ecs.describe(SecurityGroupId=sg2)[0]["InstanceId"] == iid
    group = ecs.call("DescribeSecurityGroups", SecurityGroupId=sg2)["SecurityGroups"]["SecurityGroup"][0]
    assert group["EcsCount"] == 1
    ecs.call("LeaveSecurityGroup", InstanceId=iid, SecurityGroupId=SG)
    assert ecs.one(iid)["SecurityGroupIds"]["SecurityGroupId"] == [sg2]
    assert_error(
        ecs.error("LeaveSecurityGroup", InstanceId=iid, SecurityGroupId=sg2),
        "InstanceLastSecurityGroup",
        403,
        "The specified security group is the last security group for the instance.",
    )
    assert_error(ecs.error("LeaveSecurityGroup", InstanceId=iid, SecurityGroupId=SG), "InstanceNotInSecurityGroup", 403)
    assert_error(
        ecs.error("JoinSecurityGroup", InstanceId="i-bp1unknown000000000", SecurityGroupId=SG),
        "InvalidInstanceId.NotFound",
        404,
    )
    assert_error(
        ecs.error("JoinSecurityGroup", InstanceId=iid, SecurityGroupId="sg-bp1missing"),
        "InvalidSecurityGroupId.NotFound",
        404,
    )
    for _ in range(4):
        extra = ecs.call("CreateSecurityGroup", VpcId=VPC)["SecurityGroupId"]
        ecs.call("JoinSecurityGroup", InstanceId=iid, SecurityGroupId=extra)
    sixth = ecs.call("CreateSecurityGroup", VpcId=VPC)["SecurityGroupId"]
    assert_error(
        ecs.error("JoinSecurityGroup", InstanceId=iid, SecurityGroupId=sixth), "InstanceSecurityGroupLimitExceeded", 400
    )


def test_join_security_group_of_another_vpc(ecs: Ecs, tmp_path):
    """A second VPC in the same region comes from an extra seed file (in-process store)."""
    from ecs_emulator.errors import ApiError
    from ecs_emulator.state import Store
    from tests.emulator.test_state import RUN, T0, api

    seed = tmp_path / "seed.json"
    seed.write_text(
        json.dumps(
            {
                "vpcs": [{"VpcId": "vpc-bp1other", "RegionId": REGION, "CidrBlock": "10.0.0.0/8"}],
                "security_groups": [{"SecurityGroupId": "sg-bp1other", "VpcId": "vpc-bp1other"}],
            }
        )
    )
    store = Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0}}, seed_files=[str(seed)])
    [iid] = api(store, "RunInstances", T0, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    with pytest.raises(ApiError) as info:
        api(store, "JoinSecurityGroup", T0 + 1, InstanceId=iid, SecurityGroupId="sg-bp1other")
    assert (info.value.code, info.value.status) == ("InvalidInstanceId.Mismatch", 400)


# ------------------------------------------------------------------------ VPC


def test_vpc_product_describes(ecs: Ecs):
    body = ecs.call("DescribeVpcs", product="vpc", IsDefault=True)
    [vpc] = body["Vpcs"]["Vpc"]
    assert (vpc["VpcId"], vpc["CidrBlock"], vpc["IsDefault"], vpc["Status"]) == (
        VPC,
        "172.16.0.0/12",
        True,
        "Available",
    )
    assert vpc["Tags"] == {"Tag": []} and "OwnerId" in vpc
    assert set(vpc["VSwitchIds"]["VSwitchId"]) == {"vsw-bp1emudefaulth", "vsw-bp1emudefaulti", "vsw-bp1emudefaultj"}
    switches = ecs.call("DescribeVSwitches", product="vpc", VpcId=VPC)["VSwitches"]["VSwitch"]
    assert {s["ZoneId"] for s in switches} == {"cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"}
    h = next(s for s in switches if s["VSwitchId"] == VSWITCH)
    before = h["AvailableIpAddressCount"]
    ecs.run()
    h = ecs.call("DescribeVSwitches", product="vpc", VSwitchId=VSWITCH)["VSwitches"]["VSwitch"][0]
    assert h["AvailableIpAddressCount"] == before - 1 and h["RouteTable"]["RouteTableType"] == "System"
    assert ecs.call("DescribeVSwitches", product="vpc", ZoneId="cn-hangzhou-i")["TotalCount"] == 1
    assert (
        ecs.call("DescribeVpcs", product="vpc", RegionId="eu-central-1")["Vpcs"]["Vpc"][0]["VpcId"]
        == "vpc-gw8emudefault"
    )
    [other] = ecs.call("DescribeVpcs", product="vpc", IsDefault=False)["Vpcs"]["Vpc"]  # the second seed VPC
    assert other["VpcId"] == "vpc-bp1emuother" and other["VSwitchIds"]["VSwitchId"] == ["vsw-bp1emuotherh"]
    assert_error(ecs.error("DescribeVpcs", product="vpc", RegionId="mars-1"), "InvalidRegionId.NotFound", 404)
    assert ecs.call("DescribeVSwitches", product="vpc", PageSize=51)["PageSize"] == 50  # clamped (default policy)


def test_legacy_ecs_vpc_describes_have_reduced_shape(ecs: Ecs):
    [vpc] = ecs.call("DescribeVpcs", IsDefault=True)["Vpcs"]["Vpc"]
    assert set(vpc) == {
        "VpcId",
        "VpcName",
        "RegionId",
        "Status",
        "CidrBlock",
        "UserCidrs",
        "VRouterId",
        "VSwitchIds",
        "IsDefault",
        "Description",
        "CreationTime",
    }
    switches = ecs.call("DescribeVSwitches", VpcId=VPC, ZoneId="cn-hangzhou-h")["VSwitches"]["VSwitch"]
    assert [s["VSwitchId"] for s in switches] == [VSWITCH]
    assert "Tags" not in switches[0] and "ResourceGroupId" in switches[0]


# ----------------------------------------------------------------------- tags


def test_tag_untag_list(ecs: Ecs):
    ids = ecs.run(amount=2, **{"Tag.1.Key": "env", "Tag.1.Value": "dev"})
    req = request("TagResources", ResourceType="instance")
    req.set_ResourceIds(ids)
    req.set_Tags([{"Key": "owner", "Value": "ops"}, {"Key": "env", "Value": "prod"}])
    ecs.send(req)
    assert ecs.one(ids[0])["Tags"]["Tag"] == [
        {"TagKey": "env", "TagValue": "prod"},
        {"TagKey": "owner", "TagValue": "ops"},
    ]
    req = request("ListTagResources", ResourceType="instance")
    req.set_ResourceIds(ids)
    rows = ecs.send(req)["TagResources"]["TagResource"]
    assert len(rows) == 4 and rows[0] == {
        "ResourceId": ids[0],
        "ResourceType": "instance",
        "TagKey": "env",
        "TagValue": "prod",
    }
    rows = ecs.call("ListTagResources", ResourceType="instance", **{"Tag.1.Key": "owner", "Tag.1.Value": "ops"})
    assert {r["ResourceId"] for r in rows["TagResources"]["TagResource"]} == set(ids)
    req = request("UntagResources", ResourceType="instance")
    req.set_ResourceIds([ids[0]])
    req.set_TagKeys(["owner", "not-there"])
    ecs.send(req)
    assert ecs.one(ids[0])["Tags"]["Tag"] == [{"TagKey": "env", "TagValue": "prod"}]
    ecs.call("UntagResources", ResourceType="instance", All=True, **{"ResourceId.1": ids[0]})
    assert "Tags" not in ecs.one(ids[0])


def test_tag_disks_and_security_groups(ecs: Ecs):
    [iid] = ecs.run()
    disk = ecs.call("DescribeDisks", InstanceId=iid)["Disks"]["Disk"][0]["DiskId"]
    ecs.call("TagResources", ResourceType="disk", **{"ResourceId.1": disk, "Tag.1.Key": "k", "Tag.1.Value": "v"})
    assert ecs.call("DescribeDisks", **{"Tag.1.Key": "k"})["Disks"]["Disk"][0]["DiskId"] == disk
    ecs.call("TagResources", ResourceType="securitygroup", **{"ResourceId.1": SG, "Tag.1.Key": "k"})
    rows = ecs.call("ListTagResources", ResourceType="securitygroup", **{"ResourceId.1": SG})
    assert rows["TagResources"]["TagResource"] == [
        {"ResourceId": SG, "ResourceType": "securitygroup", "TagKey": "k", "TagValue": ""}
    ]


def test_tag_errors_and_quota(ecs: Ecs):
    [iid] = ecs.run()
    one = {"ResourceId.1": iid}
    cases = [
        ({"ResourceType": "instance", **one}, "MissingParameter.Tags", 404, "The parameter - Tags should not be null"),
        (
            {**one, "Tag.1.Key": "a"},
            "MissingParameter.ResourceType",
            404,
            "The parameter - ResourceType should not be null",
        ),
        ({"ResourceType": "volcano", **one, "Tag.1.Key": "a"}, "InvalidResourceType.NotFound", 404, None),
        (
            {"ResourceType": "instance", "ResourceId.1": "i-bp1unknown000000000", "Tag.1.Key": "a"},
            "InvalidResourceId.NotFound",
            404,
            "The specified ResourceIds are not found in our records.",
        ),
        (
            {"ResourceType": "instance", **one, **{f"Tag.{n}.Key": f"k{n}" for n in range(1, 22)}},
            "NumberExceed.Tags",
            400,
            "The Tags parameter's number is exceed , Valid : 20",
        ),
        (
            {"ResourceType": "instance", **{f"ResourceId.{n}": iid for n in range(1, 52)}, "Tag.1.Key": "a"},
            "NumberExceed.ResourceIds",
            400,
            None,
        ),
        ({"ResourceType": "instance", **one, "Tag.1.Key": "a", "Tag.2.Key": "a"}, "Duplicate.TagKey", 400, None),
        ({"ResourceType": "instance", **one, "Tag.1.Key": "http://x"}, "InvalidTagKey.Malformed", 400, None),
    ]
    for params, code, status, message in cases:
        assert_error(ecs.error("TagResources", **params), code, status, message)
    ecs.call("TagResources", ResourceType="instance", **one, **{f"Tag.{n}.Key": f"k{n}" for n in range(1, 21)})
    assert_error(
        ecs.error("TagResources", ResourceType="instance", **one, **{"Tag.1.Key": "one-more"}),
        "OperationDenied.QuotaExceed",
        400,
        "The quota of tags on resource is beyond permitted range.",
    )
    ecs.call("TagResources", ResourceType="instance", **one, **{"Tag.1.Key": "k1", "Tag.1.Value": "overwritten"})


def test_list_tag_resources_next_token(ecs: Ecs):
    ids = ecs.run(amount=30, **{"Tag.1.Key": "a", "Tag.2.Key": "b"})
    rows, token = [], None
    while True:
        params = {"ResourceType": "instance", "Tag.1.Key": "a"}
        if token:
            params["NextToken"] = token
        body = ecs.call("ListTagResources", **params)
        rows += body["TagResources"]["TagResource"]
        token = body["NextToken"]
        if not token:
            break
    assert len(rows) == 60 and {r["ResourceId"] for r in rows} == set(ids)


# -------------------------------------------------------------------- catalog


def test_describe_regions_localized(ecs: Ecs):
    regions = {r["RegionId"]: r for r in ecs.call("DescribeRegions")["Regions"]["Region"]}
    assert {"cn-hangzhou", "cn-beijing", "cn-shanghai", "eu-central-1", "ap-southeast-1", "us-west-1"} <= set(regions)
    assert regions["cn-hangzhou"]["LocalName"] == "华东1（杭州）"
    english = {
        r["RegionId"]: r["LocalName"] for r in ecs.call("DescribeRegions", AcceptLanguage="en-US")["Regions"]["Region"]
    }
    assert english["cn-hangzhou"] == "China (Hangzhou)" and english["eu-central-1"] == "Germany (Frankfurt)"
    japanese = {
        r["RegionId"]: r["LocalName"] for r in ecs.call("DescribeRegions", AcceptLanguage="ja")["Regions"]["Region"]
    }
    assert japanese["ap-southeast-1"] == "シンガポール"
    assert_error(
        ecs.error("DescribeRegions", AcceptLanguage="fr"),
        "InvalidAcceptLanguage.NotFound",
        404,
        "Only Chinese (zh-CN), English (en-US), and Japanese (ja) are allowed.",
    )


def test_describe_zones(ecs: Ecs):
    zones = ecs.call("DescribeZones", AcceptLanguage="en-US")["Zones"]["Zone"]
    assert [z["ZoneId"] for z in zones] == ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j"]
    assert zones[0]["LocalName"] == "Hangzhou Zone H"
    info = zones[0]["AvailableResources"]["ResourcesInfo"][0]
    assert "ecs.g7.large" in info["InstanceTypes"]["supportedInstanceType"]
    assert "cloud_essd" in info["SystemDiskCategories"]["supportedSystemDiskCategory"]
    brief = ecs.call("DescribeZones", Verbose=False)["Zones"]["Zone"][0]
    assert "AvailableResources" not in brief and brief["LocalName"] == "杭州 可用区 H"
    assert_error(ecs.error("DescribeZones", RegionId="mars-1"), "InvalidRegionId.NotFound", 404)


def test_describe_images(ecs: Ecs):
    body = ecs.call("DescribeImages", PageSize=100)
    ids = {i["ImageId"] for i in body["Images"]["Image"]}
    assert {
        "ubuntu_22_04_x64_20G_alibase_20240130.vhd",
        "ubuntu_24_04_x64_20G_alibase_20240812.vhd",
        "aliyun_3_x64_20G_alibase_20240528.vhd",
        "ubuntu1404_64_40G_cloudinit_20160727.raw",
    } <= ids
    assert any(i.startswith("centos_7_9") for i in ids)
    one = ecs.call("DescribeImages", ImageId="ubuntu1404_64_40G_cloudinit_20160727.raw", RegionId="cn-beijing")
    image = one["Images"]["Image"][0]
    assert (one["TotalCount"], image["Size"], image["ImageOwnerAlias"], one["RegionId"]) == (
        1,
        40,
        "system",
        "cn-beijing",
    )
    assert ecs.call("DescribeImages", OSType="windows")["TotalCount"] == 1
    assert ecs.call("DescribeImages", ImageName="ubuntu*")["TotalCount"] == 3
    assert ecs.call("DescribeImages", PageSize=2)["PageSize"] == 2
    assert_error(ecs.error("DescribeImages", ImageOwnerAlias="mine"), "InvalidImageOwnerAlias.ValueNotSupported", 400)
    assert_error(ecs.error("DescribeImages", DryRun=True), "DryRunOperation", 400)


def test_describe_instance_types(ecs: Ecs):
    types = {t["InstanceTypeId"]: t for t in ecs.call("DescribeInstanceTypes")["InstanceTypes"]["InstanceType"]}
    for name in ("ecs.n1.small", "ecs.s2.large", "ecs.g7.large", "ecs.g6.large", "ecs.c7.large", "ecs.t6-c1m1.large"):
        assert name in types
    assert (types["ecs.g7.large"]["CpuCoreCount"], types["ecs.g7.large"]["MemorySize"]) == (2, 8.0)
    assert types["ecs.g7.large"]["InstanceTypeFamily"] == "ecs.g7" and "price_hourly" not in types["ecs.g7.large"]
    req = request("DescribeInstanceTypes")
    req.set_InstanceTypess(["ecs.c7.large", "ecs.g6.large"])
    assert {t["InstanceTypeId"] for t in ecs.send(req)["InstanceTypes"]["InstanceType"]} == {
        "ecs.c7.large",
        "ecs.g6.large",
    }
    small = ecs.call("DescribeInstanceTypes", MaximumCpuCoreCount=1)["InstanceTypes"]["InstanceType"]
    assert [t["InstanceTypeId"] for t in small] == ["ecs.n1.small"]
    page = ecs.call("DescribeInstanceTypes", MaxResults=3)
    assert len(page["InstanceTypes"]["InstanceType"]) == 3 and page["NextToken"]
