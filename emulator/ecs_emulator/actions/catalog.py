"""DescribeRegions, DescribeZones, DescribeImages, DescribeInstanceTypes (reference 9.15-9.18)."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, dry_run_passed
from ..registry import Call, action
from . import common
from .create import DISK_CATEGORIES, sold_out

LANGUAGES = ("zh-CN", "en-US", "ja")


def _language(call: Call) -> str:
    return (
        call.params.enum(
            "AcceptLanguage",
            LANGUAGES,
            "zh-CN",
            ApiError(
                "InvalidAcceptLanguage.NotFound",
                "Only Chinese (zh-CN), English (en-US), and Japanese (ja) are allowed.",
                404,
            ),
        )
        or "zh-CN"
    )


def _localized(names: dict[str, str], language: str) -> str:
    return names.get(language) or names.get("zh-CN") or next(iter(names.values()), "")


@action("DescribeRegions")
def describe_regions(call: Call) -> dict:
    language = _language(call)
    call.params.enum(
        "InstanceChargeType",
        ("PostPaid", "PrePaid", "SpotWithPriceLimit", "SpotAsPriceGo"),
        error=ApiError(
            "InvalidInstanceChargeType.NotFound", "The InstanceChargeType does not exist in our records", 404
        ),
    )
    call.params.enum(
        "ResourceType",
        ("instance", "disk", "reservedinstance", "scu"),
        error=ApiError("InvalidResourceType.NotFound", "The ResourceType provided does not exist in our records.", 404),
    )
    regions = [
        {
            "RegionId": r["RegionId"],
            "LocalName": _localized(r["LocalName"], language),
            "RegionEndpoint": r.get("RegionEndpoint", f"ecs.{r['RegionId']}.aliyuncs.com"),
            "Status": r.get("Status", "available"),
        }
        for r in call.store.catalog.regions.values()
    ]
    return {"Regions": {"Region": regions}}


def _zone_resources(call: Call, zone_id: str) -> dict[str, Any]:
    types = [t for t in call.store.catalog.instance_types.values() if not sold_out(call, zone_id, t["InstanceTypeId"])]
    type_ids = [t["InstanceTypeId"] for t in types]
    families = list(dict.fromkeys(t["InstanceTypeFamily"] for t in types))
    categories = [c for c in DISK_CATEGORIES if c != "cloud"]
    return {
        "AvailableResourceCreation": {"ResourceTypes": ["VSwitch", "IoOptimized", "Instance", "Disk", "DedicatedHost"]},
        "AvailableDiskCategories": {"DiskCategories": categories},
        "AvailableInstanceTypes": {"InstanceTypes": type_ids},
        "AvailableVolumeCategories": {"VolumeCategories": []},
        "AvailableDedicatedHostTypes": {"DedicatedHostType": []},
        "DedicatedHostGenerations": {"DedicatedHostGeneration": []},
        "AvailableResources": {
            "ResourcesInfo": [
                {
                    "IoOptimized": True,
                    "InstanceGenerations": {"supportedInstanceGeneration": ["ecs-1", "ecs-2", "ecs-3", "ecs-4"]},
                    "InstanceTypeFamilies": {"supportedInstanceTypeFamily": families},
                    "InstanceTypes": {"supportedInstanceType": type_ids},
                    "NetworkTypes": {"supportedNetworkCategory": ["vpc"]},
                    "SystemDiskCategories": {"supportedSystemDiskCategory": categories},
                    "DataDiskCategories": {"supportedDataDiskCategory": categories},
                }
            ]
        },
    }


@action("DescribeZones")
def describe_zones(call: Call) -> dict:
    region_id = common.region(call)
    language = _language(call)
    call.params.enum(
        "InstanceChargeType",
        ("PostPaid", "PrePaid"),
        error=ApiError(
            "InvalidInstanceChargeType.NotFound", "The InstanceChargeType does not exist in our records", 404
        ),
    )
    call.params.enum(
        "SpotStrategy",
        ("NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"),
        error=ApiError("InvalidSpotStrategy", "The specified SpotStrategy is not valid.", 400),
    )
    verbose = call.params.bool("Verbose", True)  # default true (reference 9.16)
    zones = []
    for zone_id in call.store.catalog.regions[region_id]["zones"]:
        zone = call.store.catalog.zones[zone_id]
        entry: dict[str, Any] = {
            "ZoneId": zone_id,
            "LocalName": _localized(zone["LocalName"], language),
            "ZoneType": "AvailabilityZone",
        }
        if verbose:
            entry.update(_zone_resources(call, zone_id))
        zones.append(entry)
    return {"Zones": {"Zone": zones}}


# ------------------------------------------------------------ DescribeImages

IMAGE_STATUSES = ("Creating", "Waiting", "Available", "UnAvailable", "CreateFailed", "Deprecated")


def render_image(image: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "ImageId",
        "ImageName",
        "ImageFamily",
        "ImageVersion",
        "ImageOwnerAlias",
        "Description",
        "Status",
        "Progress",
        "Size",
        "OSType",
        "OSName",
        "OSNameEn",
        "Platform",
        "Architecture",
        "BootMode",
        "CreationTime",
        "IsSupportIoOptimized",
        "IsSupportCloudinit",
        "IsPublic",
        "IsCopied",
        "IsSubscribed",
        "IsSelfShared",
        "Usage",
        "ProductCode",
        "ResourceGroupId",
        "LoginAsNonRootSupported",
    )
    out = {k: image[k] for k in keys if k in image}
    out["ImageOwnerId"] = 0
    out["DiskDeviceMappings"] = {
        "DiskDeviceMapping": [
            {
                "Device": "/dev/xvda",
                "Size": str(image["Size"]),
                "SnapshotId": "",
                "Type": "system",
                "Format": "",
                "ImportOSSBucket": "",
                "ImportOSSObject": "",
                "Progress": "100%",
                "RemainTime": 0,
                "Encrypted": "false",
            }
        ]
    }
    out["Features"] = {"NvmeSupport": "supported", "ImdsSupport": "v2"}
    out["Tags"] = {"Tag": []}
    return out


def _image_filters(call: Call) -> list:
    p = call.params
    preds = []
    if p.get("ImageId"):
        wanted = {i.strip() for i in p.get("ImageId", "").split(",") if i.strip()}
        preds.append(lambda im: im["ImageId"] in wanted)
    name = common.wildcard(p.get("ImageName"))
    if name:
        preds.append(lambda im: name(im["ImageName"]) or (p.get("ImageName", "") in im["ImageName"]))
    if p.get("ImageFamily"):
        preds.append(lambda im: im["ImageFamily"] == p.get("ImageFamily"))
    owner = p.enum(
        "ImageOwnerAlias",
        ("system", "self", "others", "marketplace"),
        error=ApiError(
            "InvalidImageOwnerAlias.ValueNotSupported", 'The specified parameter "ImageOwnerAlias" is not valid.', 400
        ),
    )
    if owner:
        preds.append(lambda im: im["ImageOwnerAlias"] == owner)
    os_type = p.enum(
        "OSType", ("linux", "windows"), error=ApiError("InvalidOSType", "The specified OSType is not valid.", 404)
    )
    if os_type:
        preds.append(lambda im: im["OSType"] == os_type)
    arch = p.enum(
        "Architecture",
        ("i386", "x86_64", "arm64"),
        error=ApiError("InvalidArchitecture", "The specified Architecture is not valid.", 404),
    )
    if arch:
        preds.append(lambda im: im["Architecture"] == arch)
    usage = p.enum(
        "Usage", ("instance", "none"), error=ApiError("InvalidUsage", "The specified Usage is not valid.", 404)
    )
    if usage:
        preds.append(lambda im: im["Usage"] == usage)
    preds.append(_status_filter(call))
    if p.get("InstanceType") and p.get("InstanceType") not in call.store.catalog.instance_types:
        raise ApiError(
            "InvalidInstanceType.ValueNotSupported",
            "The specified InstanceType does not exist or beyond the permitted range.",
            400,
        )
    if p.get("ImageOwnerId") or p.get("SnapshotId"):
        preds.append(lambda im: False)  # only public system images exist here
    return preds


def _status_filter(call: Call):
    raw = call.params.get("Status") or "Available"
    if raw.upper() == "ALL":
        return lambda im: True
    statuses = {s.strip() for s in raw.split(",")}
    if not statuses <= set(IMAGE_STATUSES):
        raise common.invalid_parameter("Status")
    return lambda im: im["Status"] in statuses


@action("DescribeImages")
def describe_images(call: Call) -> dict:
    region_id = common.region(call)
    preds = _image_filters(call)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    images = [im for im in call.store.catalog.images.values() if all(pred(im) for pred in preds)]
    images.sort(key=lambda im: im["CreationTime"], reverse=True)
    page, meta = common.paginate(call, images, 10, 100)
    return {"RegionId": region_id, **meta, "Images": {"Image": [render_image(im) for im in page]}}


# ---------------------------------------------------- DescribeInstanceTypes

_RANGES = {
    "CpuCoreCount": "CpuCoreCount",
    "MemorySize": "MemorySize",
    "GPUAmount": "GPUAmount",
    "EniQuantity": "EniQuantity",
}


def _type_filters(call: Call) -> list:
    p = call.params
    preds = []
    wanted = [t for t in p.repeat_list("InstanceTypes") if t]
    if len(wanted) > 10:
        raise common.invalid_parameter("InstanceTypes")
    if wanted:
        preds.append(lambda t: t["InstanceTypeId"] in wanted)
    families = [f for f in p.repeat_list("InstanceTypeFamilies") if f] + (
        [p.get("InstanceTypeFamily")] if p.get("InstanceTypeFamily") else []
    )
    if families:
        preds.append(lambda t: t["InstanceTypeFamily"] in families)
    for name in ("InstanceFamilyLevel", "CpuArchitecture", "InstanceCategory"):
        if p.get(name):
            preds.append(lambda t, n=name: t.get(n) == p.get(n))
    for name, field in _RANGES.items():
        low = p.float("Minimum" + name)
        high = p.float("Maximum" + name)
        if low is not None:
            preds.append(lambda t, f=field, v=low: float(t.get(f, 0)) >= v)
        if high is not None:
            preds.append(lambda t, f=field, v=high: float(t.get(f, 0)) <= v)
    return preds


@action("DescribeInstanceTypes")
def describe_instance_types(call: Call) -> dict:
    preds = _type_filters(call)
    size = common.page_size(call, "MaxResults", 1600, 1600)
    types = [t for t in call.store.catalog.instance_types.values() if all(pred(t) for pred in preds)]
    page, token = common.token_page(call, types, size)
    rendered = [{k: v for k, v in t.items() if not k.startswith("price_")} for t in page]
    return {"NextToken": token, "InstanceTypes": {"InstanceType": rendered}}
