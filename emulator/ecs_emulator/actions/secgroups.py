"""Security groups: DescribeSecurityGroups, CreateSecurityGroup, AuthorizeSecurityGroup,
JoinSecurityGroup, LeaveSecurityGroup (reference 9.19-9.21; Join/Leave codes from the
JoinSecurityGroup/LeaveSecurityGroup API pages, see README)."""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from typing import Any

from ..errors import ApiError, dry_run_passed, incorrect_instance_status
from ..registry import Call, action
from ..state import second_time, tags_ecs
from . import common
from .lifecycle import check_locks

MAX_RULES = 200
GROUP_CAPACITY = {"normal": 2000, "enterprise": 65536}


def render_group(store, group: dict[str, Any], counts: Counter) -> dict[str, Any]:
    used = counts.get(group["SecurityGroupId"], 0)
    out = {
        "SecurityGroupId": group["SecurityGroupId"],
        "SecurityGroupName": group["SecurityGroupName"],
        "Description": group["Description"],
        "SecurityGroupType": group["SecurityGroupType"],
        "VpcId": group["VpcId"],
        "CreationTime": second_time(group["CreationTs"]),
        "ResourceGroupId": group["ResourceGroupId"],
        "ServiceManaged": False,
        "EcsCount": used,
        "AvailableInstanceAmount": GROUP_CAPACITY[group["SecurityGroupType"]] - used,
        "RuleCount": len(group["Permissions"]),
        "GroupToGroupRuleCount": sum(1 for r in group["Permissions"] if r.get("SourceGroupId")),
    }
    if group["Tags"] or store.config.get("untagged_tags_form", "omit") == "empty":
        out["Tags"] = tags_ecs(group["Tags"])
    return out


def _group_filters(call: Call, region_id: str) -> list[dict[str, Any]]:
    p = call.params
    groups = [g for g in call.store.security_groups.values() if g["RegionId"] == region_id]
    ids = common.json_ids(call, "SecurityGroupIds", 100)
    if ids is not None:
        groups = [g for g in groups if g["SecurityGroupId"] in set(ids)]
    for name in ("VpcId", "SecurityGroupId", "ResourceGroupId"):
        if p.get(name):
            groups = [g for g in groups if g[name] == p.get(name)]
    kind = p.enum("SecurityGroupType", ("normal", "enterprise"))
    if kind:
        groups = [g for g in groups if g["SecurityGroupType"] == kind]
    if p.enum("NetworkType", ("vpc", "classic")) == "classic":
        groups = []
    name = common.wildcard(p.get("SecurityGroupName"))
    if name:
        groups = [g for g in groups if name(g["SecurityGroupName"])]
    wanted = common.tag_filter(call)
    return [g for g in groups if common.tags_match(g["Tags"], wanted)]


@action("DescribeSecurityGroups")
def describe_security_groups(call: Call) -> dict:
    store = call.store
    region_id = common.region(call)
    groups = _group_filters(call, region_id)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    groups.sort(key=lambda g: -g["CreationTs"])
    store.settle(region_id, call.now)  # auto-release may remove members
    counts = Counter({g["SecurityGroupId"]: store.index.size(region_id, "SecurityGroupId", g["SecurityGroupId"])
                      for g in groups})
    if call.params.get("NextToken") or call.params.get("MaxResults"):
        page, token = common.token_page(call, groups, common.page_size(call, "MaxResults", 10, 100))
        meta: dict[str, Any] = {"RegionId": region_id, "NextToken": token}  # no TotalCount here (reference 8.4)
    else:
        page, meta = common.paginate(call, groups, 10, 50)
        meta = {"RegionId": region_id, **meta}
    return {**meta, "SecurityGroups": {"SecurityGroup": [render_group(store, g, counts) for g in page]}}


def _check_group_name(value: str | None) -> None:
    if not value:
        return
    if (
        not 2 <= len(value) <= 128
        or value.startswith(("http://", "https://"))
        or not re.fullmatch(r"[^\W\d_][\w.:\-]*", value)
    ):
        raise ApiError("InvalidSecurityGroupName.Malformed", "Specified security group name is not valid.", 400)


@action("CreateSecurityGroup", mutating=True, client_token=True)
def create_security_group(call: Call) -> dict:
    store, p = call.store, call.params
    region_id = common.region(call)
    vpc_id = p.get("VpcId")
    if not vpc_id:
        raise ApiError("InvalidVpcId.NotFound", "vpc id must not empty when only support vpc vm.", 403)
    vpc = store.vpcs.get(vpc_id)
    if vpc is None or vpc["RegionId"] != region_id:
        raise ApiError("InvalidVpcId.NotFound", "Specified VPC does not exist.", 404)
    _check_group_name(p.get("SecurityGroupName"))
    common.check_description(p.get("Description"))
    kind = p.enum("SecurityGroupType", ("normal", "enterprise"), "normal")
    common.check_resource_group(p.get("ResourceGroupId"))
    tags = common.validate_tags(p.tags())
    if p.bool("DryRun", False):
        raise dry_run_passed()
    sg_id = store.new_id("sg", region_id, store.security_groups)
    store.security_groups[sg_id] = {
        "SecurityGroupId": sg_id,
        "VpcId": vpc_id,
        "RegionId": region_id,
        "SecurityGroupName": p.get("SecurityGroupName") or "",
        "Description": p.get("Description") or "",
        "SecurityGroupType": kind,
        "CreationTs": float(int(call.now)),
        "ResourceGroupId": p.get("ResourceGroupId") or "",
        "Tags": tags,
        "Permissions": [],
    }
    return {"SecurityGroupId": sg_id}


# --------------------------------------------------------- AuthorizeSecurityGroup

_RULE_FIELDS = (
    "IpProtocol",
    "PortRange",
    "SourceCidrIp",
    "Ipv6SourceCidrIp",
    "SourceGroupId",
    "SourcePrefixListId",
    "SourceGroupOwnerAccount",
    "SourceGroupOwnerId",
    "DestCidrIp",
    "Ipv6DestCidrIp",
    "SourcePortRange",
    "Policy",
    "Priority",
    "NicType",
    "Description",
    "PortRangeListId",
)


def _raw_rules(call: Call) -> list[dict[str, str]]:
    """``Permissions.N.*`` (current SDKs) or the deprecated flat top-level fields (reference 9.21)."""
    rows = call.params.struct_list("Permissions")
    if rows:
        if len(rows) > 100:
            raise common.invalid_parameter("Permissions")
        return rows
    flat = {f: call.params.get(f) for f in _RULE_FIELDS if call.params.get(f) is not None}
    return [flat]


def _port_range(protocol: str, value: str | None) -> str:
    malformed = ApiError("InvalidIpProtocol.Malformed", 'The specified parameter "PortRange" is not valid.', 400)
    mismatch = ApiError(
        "OperationDenied", "The specified IpProtocol does not exist or IpProtocol and PortRange do not match.", 400
    )
    match = re.fullmatch(r"(-?\d+)/(-?\d+)", value or "")
    if not match:
        raise malformed
    low, high = int(match.group(1)), int(match.group(2))
    if protocol in ("TCP", "UDP"):
        if not 1 <= low <= high <= 65535:
            raise mismatch
    elif (low, high) != (-1, -1):
        raise mismatch
    return f"{low}/{high}"


def _source(call: Call, row: dict[str, str], group: dict[str, Any]) -> dict[str, str]:
    cidr, cidr6 = row.get("SourceCidrIp", ""), row.get("Ipv6SourceCidrIp", "")
    source_group, prefix_list = row.get("SourceGroupId", ""), row.get("SourcePrefixListId", "")
    if not (cidr or cidr6 or source_group or prefix_list):
        raise ApiError(
            "MissingParameter", 'The input parameter "SourceGroupId" or "SourceCidrIp" cannot be both blank.', 403
        )
    for value, version in ((cidr, 4), (cidr6, 6)):
        try:
            if value and ipaddress.ip_network(value, strict=False).version != version:
                raise ValueError
        except ValueError:
            raise ApiError(
                "InvalidSourceCidrIp.Malformed", 'The specified parameter "SourceCidrIp" is not valid.', 400
            ) from None
    if source_group:
        other = call.store.security_groups.get(source_group)
        if other is None or other["RegionId"] != group["RegionId"]:
            raise ApiError(
                "InvalidSourceGroupId.NotFound", "The SourceGroupId provided does not exist in our records.", 404
            )
    return {
        "SourceCidrIp": cidr,
        "Ipv6SourceCidrIp": cidr6,
        "SourceGroupId": source_group,
        "SourcePrefixListId": prefix_list,
    }


def _rule(call: Call, row: dict[str, str], group: dict[str, Any]) -> dict[str, Any]:
    protocol = (row.get("IpProtocol") or "").upper()
    if protocol not in ("TCP", "UDP", "ICMP", "GRE", "ALL", "ICMPV6"):
        raise ApiError(
            "InvalidIpProtocol.ValueNotSupported",
            "The parameter IpProtocol must be specified with case insensitive TCP, UDP, ICMP, GRE or All.",
            400,
        )
    policy = (row.get("Policy") or "accept").lower()
    if policy not in ("accept", "drop"):
        raise ApiError("InvalidPolicy.Malformed", 'The specified parameter "Policy" is not valid.', 400)
    priority = row.get("Priority") or "1"
    if not priority.isdigit() or not 1 <= int(priority) <= 100:
        raise ApiError("InvalidPriority.Malformed", 'The specified parameter "Priority" is not valid.', 400)
    nic = (row.get("NicType") or "intranet").lower()
    if nic not in ("internet", "intranet"):
        raise ApiError("InvalidNicType.ValueNotSupported", 'The specified parameter "NicType" is not valid.', 400)
    if len(row.get("Description", "")) > 512:
        raise common.invalid_parameter("Description")
    return {
        "IpProtocol": protocol,
        "PortRange": _port_range(protocol, row.get("PortRange")),
        **_source(call, row, group),
        "Policy": policy.capitalize(),
        "Priority": int(priority),
        "NicType": nic,
        "Description": row.get("Description", ""),
        "Direction": "ingress",
        "DestCidrIp": row.get("DestCidrIp", ""),
        "CreateTime": call.now,
    }


def _same_rule(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = (
        "IpProtocol",
        "PortRange",
        "SourceCidrIp",
        "Ipv6SourceCidrIp",
        "SourceGroupId",
        "SourcePrefixListId",
        "Policy",
        "Priority",
        "NicType",
        "DestCidrIp",
    )
    return all(a.get(k, "") == b.get(k, "") for k in keys)


@action("AuthorizeSecurityGroup", mutating=True, client_token=True)
def authorize_security_group(call: Call) -> dict:
    region_id = common.region(call)
    group = common.security_group(call, call.params.require("SecurityGroupId"), region_id)
    rules = [_rule(call, row, group) for row in _raw_rules(call)]
    new = [r for r in rules if not any(_same_rule(r, old) for old in group["Permissions"])]
    if len(group["Permissions"]) + len(new) > MAX_RULES:
        raise ApiError(
            "AuthorizationLimitExceed", "The limit of authorization records in the security group reaches.", 403
        )
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    group["Permissions"].extend(new)  # an identical rule again is a no-op success (reference 9.21)
    return {}


# ------------------------------------------------------------ Join / Leave


def _membership(call: Call) -> tuple[dict[str, Any], dict[str, Any]]:
    inst = common.instance(call)
    group = common.security_group(call, call.params.require("SecurityGroupId"), inst["RegionId"])
    if "security" in inst["Locks"]:
        check_locks(inst)
    if inst["Status"] not in ("Running", "Stopped"):
        raise incorrect_instance_status()
    return inst, group


@action("JoinSecurityGroup", mutating=True)
def join_security_group(call: Call) -> dict:
    inst, group = _membership(call)
    if group["VpcId"] != inst["VpcId"]:
        raise ApiError(
            "InvalidInstanceId.Mismatch", "Specified instance and security group are not in the same VPC.", 400
        )
    if group["SecurityGroupId"] in inst["SecurityGroupIds"]:
        raise ApiError(
            "InvalidInstanceId.AlreadyExists",
            "The specified instance already exists in the specified security group.",
            403,
        )
    if len(inst["SecurityGroupIds"]) >= common.MAX_SECURITY_GROUPS:
        raise common.security_group_limit()
    inst["SecurityGroupIds"].append(group["SecurityGroupId"])
    call.store.touch(inst, call.now)
    return {}


@action("LeaveSecurityGroup", mutating=True)
def leave_security_group(call: Call) -> dict:
    inst, group = _membership(call)
    if group["SecurityGroupId"] not in inst["SecurityGroupIds"]:
        raise ApiError("InstanceNotInSecurityGroup", "The instance not in the group.", 403)
    if len(inst["SecurityGroupIds"]) == 1:
        raise ApiError(
            "InstanceLastSecurityGroup",
            "The specified security group is the last security group for the instance.",
            403,
        )
    inst["SecurityGroupIds"].remove(group["SecurityGroupId"])
    call.store.touch(inst, call.now)
    return {}
