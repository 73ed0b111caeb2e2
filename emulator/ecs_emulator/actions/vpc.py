"""DescribeVpcs / DescribeVSwitches: the VPC product (2016-04-28) and the legacy
ECS-version actions with their reduced shape (reference 9.22).  The EIP actions of the VPC
product are in eip.py (imported here, so that loading the VPC actions registers them)."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, dry_run_passed, invalid_parameter
from ..registry import ECS_VERSION, VPC_VERSION, Call, action
from ..state import second_time
from . import common, eip  # noqa: F401  (eip: registers the EIP actions)


def _tags_vpc(tags: dict[str, str]) -> dict[str, Any]:
    # VPC answers tags as {Key, Value}, unlike ECS's {TagKey, TagValue} (reference 8.8).
    return {"Tag": [{"Key": k, "Value": v} for k, v in tags.items()]}


def _vpc_legacy(vpc: dict[str, Any]) -> dict[str, Any]:
    return {
        "VpcId": vpc["VpcId"],
        "VpcName": vpc["VpcName"],
        "RegionId": vpc["RegionId"],
        "Status": vpc["Status"],
        "CidrBlock": vpc["CidrBlock"],
        "UserCidrs": {"UserCidr": []},
        "VRouterId": vpc["VRouterId"],
        "VSwitchIds": {"VSwitchId": list(vpc["VSwitchIds"])},
        "IsDefault": vpc["IsDefault"],
        "Description": vpc["Description"],
        "CreationTime": second_time(vpc["CreationTs"]),
    }


def _vpc_full(store, vpc: dict[str, Any]) -> dict[str, Any]:
    out = _vpc_legacy(vpc)
    out.update(
        {
            "Ipv6CidrBlock": "",
            "Ipv6CidrBlocks": {"Ipv6CidrBlock": []},
            "SecondaryCidrBlocks": {"SecondaryCidrBlock": []},
            "RouterTableIds": {"RouterTableIds": [vpc["RouteTableId"]]},
            "NatGatewayIds": {"NatGatewayIds": []},
            "ResourceGroupId": vpc["ResourceGroupId"],
            "OwnerId": store.catalog.owner_id,
            "CenStatus": "Detached",
            "DhcpOptionsSetId": "",
            "DhcpOptionsSetStatus": "",
            "DnsHostnameStatus": "DISABLED",
            "EnabledIpv6": False,
            "Tags": _tags_vpc(vpc["Tags"]),
        }
    )
    return out


def _vswitch_legacy(store, vsw: dict[str, Any]) -> dict[str, Any]:
    return {
        "VSwitchId": vsw["VSwitchId"],
        "VSwitchName": vsw["VSwitchName"],
        "VpcId": vsw["VpcId"],
        "ZoneId": vsw["ZoneId"],
        "CidrBlock": vsw["CidrBlock"],
        "AvailableIpAddressCount": store.vswitch_free_ips(vsw),
        "Status": vsw["Status"],
        "IsDefault": vsw["IsDefault"],
        "Description": vsw["Description"],
        "CreationTime": second_time(vsw["CreationTs"]),
        "ResourceGroupId": vsw["ResourceGroupId"],
    }


def _vswitch_full(store, vsw: dict[str, Any]) -> dict[str, Any]:
    out = _vswitch_legacy(store, vsw)
    route_table = store.vpcs.get(vsw["VpcId"], {}).get("RouteTableId", "")
    out.update(
        {
            "Ipv6CidrBlock": "",
            "OwnerId": store.catalog.owner_id,
            "NetworkAclId": "",
            "ShareType": "",
            "EnabledIpv6": False,
            "RouteTable": {"RouteTableId": route_table, "RouteTableType": "System"},
            "Tags": _tags_vpc(vsw["Tags"]),
        }
    )
    return out


def _filter_vpcs(call: Call, region_id: str) -> list[dict[str, Any]]:
    p = call.params
    vpcs = [v for v in call.store.vpcs.values() if v["RegionId"] == region_id]
    if p.get("VpcId"):
        ids = [i.strip() for i in p.get("VpcId", "").split(",") if i.strip()]
        if len(ids) > 20:
            raise invalid_parameter("VpcId")
        vpcs = [v for v in vpcs if v["VpcId"] in ids]
    if p.get("VpcName"):
        vpcs = [v for v in vpcs if v["VpcName"] == p.get("VpcName")]
    is_default = p.bool("IsDefault")
    if is_default is not None:
        vpcs = [v for v in vpcs if v["IsDefault"] == is_default]
    if p.get("ResourceGroupId"):
        vpcs = [v for v in vpcs if v["ResourceGroupId"] == p.get("ResourceGroupId")]
    wanted = common.tag_filter(call)
    return [v for v in vpcs if common.tags_match(v["Tags"], wanted)]


def _filter_vswitches(call: Call) -> list[dict[str, Any]]:
    p = call.params
    region_id = common.region(call, required=not p.get("VpcId"))
    vpc_id = p.get("VpcId")
    if vpc_id and vpc_id not in call.store.vpcs:
        raise ApiError("InvalidVpcId.NotFound", "Specified VPC does not exist.", 404)
    region_id = region_id or call.store.vpcs[vpc_id]["RegionId"]
    switches = [v for v in call.store.vswitches.values() if v["RegionId"] == region_id]
    for name in ("VpcId", "VSwitchId", "ZoneId", "VSwitchName", "ResourceGroupId"):
        if p.get(name):
            switches = [v for v in switches if v[name] == p.get(name)]
    is_default = p.bool("IsDefault")
    if is_default is not None:
        switches = [v for v in switches if v["IsDefault"] == is_default]
    wanted = common.tag_filter(call)
    return [v for v in switches if common.tags_match(v["Tags"], wanted)]


def _describe_vpcs(call: Call, render) -> dict:
    region_id = common.region(call)
    vpcs = _filter_vpcs(call, region_id)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    page, meta = common.paginate(call, vpcs, 10, 50)
    return {**meta, "Vpcs": {"Vpc": [render(v) for v in page]}}


def _describe_vswitches(call: Call, render) -> dict:
    switches = _filter_vswitches(call)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    page, meta = common.paginate(call, switches, 10, 50)
    return {**meta, "VSwitches": {"VSwitch": [render(v) for v in page]}}


@action("DescribeVpcs", version=VPC_VERSION)
def describe_vpcs(call: Call) -> dict:
    return _describe_vpcs(call, lambda v: _vpc_full(call.store, v))


@action("DescribeVSwitches", version=VPC_VERSION)
def describe_vswitches(call: Call) -> dict:
    return _describe_vswitches(call, lambda v: _vswitch_full(call.store, v))


@action("DescribeVpcs", version=ECS_VERSION)
def describe_vpcs_legacy(call: Call) -> dict:
    return _describe_vpcs(call, _vpc_legacy)


@action("DescribeVSwitches", version=ECS_VERSION)
def describe_vswitches_legacy(call: Call) -> dict:
    return _describe_vswitches(call, lambda v: _vswitch_legacy(call.store, v))
