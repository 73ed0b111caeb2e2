"""Seed data: the catalog (regions, zones, images, instance types) and the
default network of every region (one VPC, one vSwitch per zone, one security
group), loaded from ``data/seed.json`` plus optional extra seed files.

Extra seed files use the same format as ``data/seed.json``; entries are merged
by id (``RegionId``, ``ImageId``, ``InstanceTypeId``, ``VpcId``, ``VSwitchId``,
``SecurityGroupId``), a later file replacing an earlier entry with the same id.
See emulator/README.md, "Seed data and actions".
"""

from __future__ import annotations

import calendar
import copy
import json
import random
import time
from pathlib import Path
from typing import Any

from . import sshkeys

SEED_FILE = Path(__file__).parent / "data" / "seed.json"

# Merge keys of the list sections of a seed file.
_LIST_KEYS = {
    "regions": "RegionId",
    "images": "ImageId",
    "instance_types": "InstanceTypeId",
    "vpcs": "VpcId",
    "vswitches": "VSwitchId",
    "security_groups": "SecurityGroupId",
    "key_pairs": "KeyPairName",
}


def parse_time(text: str) -> float:
    """``YYYY-MM-DDThh:mm[:ss]Z`` (UTC) to epoch seconds."""
    fmt = "%Y-%m-%dT%H:%M:%SZ" if text.count(":") == 2 else "%Y-%m-%dT%H:%MZ"
    return float(calendar.timegm(time.strptime(text, fmt)))


def load_raw(seed_files: list[str] | tuple[str, ...] = ()) -> dict[str, Any]:
    """The built-in seed merged with ``seed_files`` (later files win, by id)."""
    merged: dict[str, Any] = {key: {} for key in _LIST_KEYS}
    merged["default_network"] = {}
    merged["account"] = {}
    for path in [SEED_FILE, *map(Path, seed_files)]:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        for key, id_key in _LIST_KEYS.items():
            for entry in data.get(key, []):
                ident = f"{entry.get('RegionId')}/{entry[id_key]}" if key == "key_pairs" else entry[id_key]
                merged[key][ident] = entry
        merged["default_network"].update(data.get("default_network", {}))
        merged["account"].update(data.get("account", {}))
    return merged


def default_ids(region: dict[str, Any]) -> dict[str, Any]:
    """Stable, readable ids of a region's default network.

    ``vpc-<p>emudefault``, ``vsw-<p>emudefault<zone letter>``, ``sg-<p>emudefault``
    where ``<p>`` is the region's typical id prefix (``bp1`` Hangzhou, ``2ze`` Beijing ...).
    """
    prefix = region["id_prefix"]
    return {
        "vpc": f"vpc-{prefix}emudefault",
        "sg": f"sg-{prefix}emudefault",
        "sg_web": f"sg-{prefix}emuweb",
        "sg_db": f"sg-{prefix}emudb",
        "other_vpc": f"vpc-{prefix}emuother",
        "other_vswitch": f"vsw-{prefix}emuother{region['zones'][0][-1]}",
        "other_sg": f"sg-{prefix}emuother",
        "vrouter": f"vrt-{prefix}emudefault",
        "route_table": f"vtb-{prefix}emudefault",
        "vswitches": {zone: f"vsw-{prefix}emudefault{zone[-1]}" for zone in region["zones"]},
    }


class Catalog:
    """Immutable seed: regions, zones, images, instance types and the seeded network."""

    def __init__(self, seed_files: list[str] | tuple[str, ...] = ()):
        raw = load_raw(seed_files)
        self.owner_id: int = int(raw["account"].get("OwnerId", 1234567890123456))
        self.default_network = raw["default_network"]
        self.regions: dict[str, dict[str, Any]] = {}
        self.zones: dict[str, dict[str, Any]] = {}
        for region in raw["regions"].values():
            self._add_region(region)
        self.images: dict[str, dict[str, Any]] = {k: _image_defaults(v) for k, v in raw["images"].items()}
        self.instance_types: dict[str, dict[str, Any]] = {
            k: _instance_type_defaults(v) for k, v in raw["instance_types"].items()
        }
        self.vpcs, self.vswitches, self.security_groups = self._network(raw)
        self.key_pairs = self._key_pairs(raw)

    def _key_pairs(self, raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """One key pair ``DEFAULT_KEY_PAIR`` per region (README), plus ``key_pairs`` of seed files."""
        created = parse_time(self.default_network.get("creation_time", "2024-03-01T08:00:00Z"))
        pairs: dict[str, dict[str, Any]] = {}
        for region_id in self.regions:
            rng = random.Random(f"key-pair:{region_id}")
            pairs[key_pair_key(region_id, DEFAULT_KEY_PAIR)] = key_pair_record(
                region_id, DEFAULT_KEY_PAIR, sshkeys.dummy_public_key(rng, "emulator"), created, rng
            )
        for entry in raw["key_pairs"].values():
            rng = random.Random(f"key-pair:{entry['RegionId']}:{entry['KeyPairName']}")
            body = entry.get("PublicKeyBody") or sshkeys.dummy_public_key(rng)
            record = key_pair_record(entry["RegionId"], entry["KeyPairName"], body, created, rng)
            pairs[key_pair_key(entry["RegionId"], entry["KeyPairName"])] = record
        return pairs

    def _add_region(self, region: dict[str, Any]) -> None:
        region = copy.deepcopy(region)
        self.regions[region["RegionId"]] = region
        zone_name = region.get("ZoneName", {})
        for zone_id in region["zones"]:
            letter = zone_id[-1].upper()
            names = {lang: f"{text} {letter}" for lang, text in zone_name.items()} or {"zh-CN": zone_id}
            self.zones[zone_id] = {"ZoneId": zone_id, "RegionId": region["RegionId"], "LocalName": names}

    def _network(self, raw: dict[str, Any]):
        net = self.default_network
        created = parse_time(net.get("creation_time", "2024-03-01T08:00:00Z"))
        vpcs: dict[str, dict[str, Any]] = {}
        vswitches: dict[str, dict[str, Any]] = {}
        groups: dict[str, dict[str, Any]] = {}
        for region_id, region in self.regions.items():
            ids = default_ids(region)
            vpcs[ids["vpc"]] = _vpc(
                ids["vpc"],
                region_id,
                net.get("vpc_cidr", "172.16.0.0/12"),
                True,
                created,
                ids["vrouter"],
                ids["route_table"],
            )
            cidrs = net.get("vswitch_cidrs", [])
            for index, (zone_id, vsw_id) in enumerate(ids["vswitches"].items()):
                cidr = cidrs[index] if index < len(cidrs) else f"172.16.{16 * index}.0/20"
                vswitches[vsw_id] = _vswitch(vsw_id, ids["vpc"], region_id, zone_id, cidr, True, created)
            groups[ids["sg"]] = _security_group(
                ids["sg"], ids["vpc"], region_id, created, net.get("security_group_rules", [])
            )
            _catalog_extra_network(self, ids, region_id, region, created, vpcs, vswitches, groups)
        for vpc in raw["vpcs"].values():
            vpcs[vpc["VpcId"]] = _vpc(
                vpc["VpcId"],
                vpc["RegionId"],
                vpc.get("CidrBlock", "192.168.0.0/16"),
                bool(vpc.get("IsDefault", False)),
                created,
                vpc.get("VRouterId", "vrt-" + vpc["VpcId"][4:]),
                vpc.get("RouteTableId", "vtb-" + vpc["VpcId"][4:]),
                vpc.get("VpcName", ""),
                vpc.get("Description", ""),
            )
        for vsw in raw["vswitches"].values():
            region_id = vpcs[vsw["VpcId"]]["RegionId"]
            vswitches[vsw["VSwitchId"]] = _vswitch(
                vsw["VSwitchId"],
                vsw["VpcId"],
                region_id,
                vsw["ZoneId"],
                vsw["CidrBlock"],
                bool(vsw.get("IsDefault", False)),
                created,
                vsw.get("VSwitchName", ""),
                vsw.get("Description", ""),
            )
        for sg in raw["security_groups"].values():
            region_id = vpcs[sg["VpcId"]]["RegionId"]
            group = _security_group(sg["SecurityGroupId"], sg["VpcId"], region_id, created, sg.get("Permissions", []))
            group["SecurityGroupName"] = sg.get("SecurityGroupName", "")
            group["Description"] = sg.get("Description", "")
            groups[sg["SecurityGroupId"]] = group
        for vsw in vswitches.values():
            vpcs[vsw["VpcId"]]["VSwitchIds"].append(vsw["VSwitchId"])
        return vpcs, vswitches, groups


def _catalog_extra_network(self, ids, region_id, region, created, vpcs, vswitches, groups) -> None:
        """Two more groups in the default VPC and a second VPC (README "Seed ids"), so that
        security-group changes and VPC mismatches can be tested without an extra seed file."""
        net = self.default_network
        for key, name, rules in (
            ("sg_web", "emulator-web", net.get("web_security_group_rules", [])),
            ("sg_db", "emulator-db", net.get("db_security_group_rules", [])),
        ):
            group = _security_group(ids[key], ids["vpc"], region_id, created, rules)
            group.update(SecurityGroupName=name, Description=f"Emulator seed group {name}.")
            groups[ids[key]] = group
        other = net.get("other_vpc", {})
        vpcs[ids["other_vpc"]] = _vpc(
            ids["other_vpc"],
            region_id,
            other.get("vpc_cidr", "192.168.0.0/16"),
            False,
            created,
            "vrt-" + ids["other_vpc"][4:],
            "vtb-" + ids["other_vpc"][4:],
            "emulator-other",
            "A second VPC of the emulator seed.",
        )
        vswitches[ids["other_vswitch"]] = _vswitch(
            ids["other_vswitch"],
            ids["other_vpc"],
            region_id,
            region["zones"][0],
            other.get("vswitch_cidr", "192.168.0.0/24"),
            False,
            created,
            "emulator-other",
        )
        group = _security_group(ids["other_sg"], ids["other_vpc"], region_id, created, [])
        group.update(SecurityGroupName="emulator-other", Description="Emulator seed group of the second VPC.")
        groups[ids["other_sg"]] = group


DEFAULT_KEY_PAIR = "emulator-keypair"


def key_pair_key(region_id: str, name: str) -> str:
    return f"{region_id}/{name}"


def key_pair_record(region_id: str, name: str, public_key: str, created: float, rng: random.Random) -> dict:
    blob = sshkeys.parse_public_key(public_key)
    if blob is None:
        raise ValueError(f"key pair {name}: not an OpenSSH public key line")
    return {
        "KeyPairName": name,
        "KeyPairId": "skp-" + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(20)),
        "RegionId": region_id,
        "PublicKey": public_key.strip(),
        "KeyPairFingerPrint": sshkeys.fingerprint(blob),
        "CreationTs": created,
        "ResourceGroupId": "",
        "Tags": {},
    }


def _vpc(vpc_id, region_id, cidr, is_default, created, vrouter, route_table, name="", description=""):
    return {
        "VpcId": vpc_id,
        "RegionId": region_id,
        "CidrBlock": cidr,
        "IsDefault": is_default,
        "VpcName": name,
        "Description": description,
        "Status": "Available",
        "CreationTs": created,
        "VRouterId": vrouter,
        "RouteTableId": route_table,
        "ResourceGroupId": "",
        "VSwitchIds": [],
        "Tags": {},
    }


def _vswitch(vsw_id, vpc_id, region_id, zone_id, cidr, is_default, created, name="", description=""):
    return {
        "VSwitchId": vsw_id,
        "VpcId": vpc_id,
        "RegionId": region_id,
        "ZoneId": zone_id,
        "CidrBlock": cidr,
        "IsDefault": is_default,
        "VSwitchName": name,
        "Description": description,
        "Status": "Available",
        "CreationTs": created,
        "ResourceGroupId": "",
        "Tags": {},
    }


def _security_group(sg_id, vpc_id, region_id, created, rules):
    permissions = []
    for rule in rules:
        permission = {
            "IpProtocol": "TCP",
            "PortRange": "-1/-1",
            "SourceCidrIp": "",
            "Policy": "Accept",
            "Priority": 1,
            "NicType": "intranet",
            "Description": "",
            "Direction": "ingress",
            "SourceGroupId": "",
            "DestCidrIp": "",
            "CreateTime": created,
        }
        permission.update(rule)
        permissions.append(permission)
    return {
        "SecurityGroupId": sg_id,
        "VpcId": vpc_id,
        "RegionId": region_id,
        "SecurityGroupName": "default",
        "Description": "System created security group.",
        "SecurityGroupType": "normal",
        "CreationTs": created,
        "ResourceGroupId": "",
        "Tags": {},
        "Permissions": permissions,
    }


def _image_defaults(image: dict[str, Any]) -> dict[str, Any]:
    image = {
        "ImageOwnerAlias": "system",
        "Status": "Available",
        "Progress": "100%",
        "IsSupportIoOptimized": True,
        "IsSupportCloudinit": True,
        "IsPublic": True,
        "IsCopied": False,
        "IsSubscribed": False,
        "IsSelfShared": "",
        "Usage": "instance",
        "ProductCode": "",
        "BootMode": "BIOS",
        "ResourceGroupId": "",
        "Description": "",
        "ImageFamily": "",
        "LoginAsNonRootSupported": False,
        **image,
    }
    image["Size"] = int(image["Size"])
    return image


def _instance_type_defaults(itype: dict[str, Any]) -> dict[str, Any]:
    family = itype["InstanceTypeId"].rsplit(".", 1)[0]
    cpus = int(itype["CpuCoreCount"])
    return {
        "InstanceTypeFamily": family,
        "GPUAmount": 0,
        "GPUSpec": "",
        "GPUMemorySize": 0.0,
        "LocalStorageCategory": "",
        "LocalStorageAmount": 0,
        "LocalStorageCapacity": 0,
        "EniQuantity": 2,
        "EniPrivateIpAddressQuantity": 6,
        "EniIpv6AddressQuantity": 1,
        "EniTrunkSupported": True,
        "CpuArchitecture": "X86",
        "InstanceCategory": "General-purpose",
        "InstanceBandwidthRx": 1024000 * cpus // 2,
        "InstanceBandwidthTx": 1024000 * cpus // 2,
        "InstancePpsRx": 300000 * cpus // 2,
        "InstancePpsTx": 300000 * cpus // 2,
        "PrimaryEniQueueNumber": cpus,
        "SecondaryEniQueueNumber": cpus,
        "MaximumQueueNumberPerEni": cpus,
        "TotalEniQueueQuantity": 4 * cpus,
        "DiskQuantity": 17,
        "NvmeSupport": "unsupported",
        "BaselineCredit": 0,
        "InitialCredit": 0,
        "PhysicalProcessorModel": "Intel Xeon (Ice Lake) Platinum 8369B",
        **itype,
        "EniTotalQuantity": int(itype.get("EniQuantity", 2)) + 8,
        "MemorySize": float(itype["MemorySize"]),
    }
