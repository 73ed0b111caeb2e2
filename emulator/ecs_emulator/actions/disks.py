"""ResizeDisk and ReplaceSystemDisk (API pages of the same names; choices in emulator/README.md)."""

from __future__ import annotations

from typing import Any

from ..errors import ApiError, missing_parameter
from ..params import parse_int
from ..registry import Call, action
from . import common
from .create import check_key_pair
from .lifecycle import check_locks

SYSTEM_MAX = {"cloud": 500}  # GiB; others 2048 (as RunInstances, create.py)
DATA_MAX = {"cloud": 2000}  # GiB; others 32768
ONLINE_CATEGORIES = ("cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry")


def _disk(call: Call) -> dict[str, Any]:
    disk_id = call.params.require("DiskId")
    disk = call.store.disks.get(disk_id)
    region_id = call.params.get("RegionId")
    if disk is None or (region_id and disk["RegionId"] != region_id):
        raise ApiError("InvalidDiskId.NotFound", "The specified disk does not exist.", 404)
    return disk


def _locks(inst: dict[str, Any]) -> None:
    if "security" in inst["Locks"]:
        raise ApiError("InstanceLockedForSecurity", "The instance is locked due to security.", 403)
    if "financial" in inst["Locks"]:
        check_locks(inst)


@action("ResizeDisk", mutating=True, client_token=True)
def resize_disk(call: Call) -> dict:
    """Grow a disk (never shrink); offline (default) or online (the instance Running)."""
    store, p = call.store, call.params
    disk = _disk(call)
    if not p.get("NewSize"):
        raise missing_parameter("NewSize")
    size = parse_int(p.get("NewSize") or "", minimum=1)
    kind = (p.get("Type") or "offline").lower()
    if kind not in ("offline", "online"):
        raise ApiError("InvalidParam.Type", "The specified type is not supported.", 400)
    inst = store.get_instance(disk["InstanceId"], call.now) if disk["InstanceId"] else None
    if inst is not None:
        _locks(inst)
        if inst["Status"] not in ("Running", "Stopped"):
            raise ApiError(
                "IncorrectInstanceStatus", "The current status of the resource does not support this operation.", 403
            )
    if kind == "online":
        if disk["Category"] not in ONLINE_CATEGORIES:
            raise ApiError(
                "InvalidDiskCategory.NotSupported", "The specified disk category does not support resize online.", 403
            )
        if inst is None:
            raise ApiError(
                "IncorrectDiskStatus", "The current status of the resource does not support resize online", 403
            )
        if inst["Status"] != "Running":
            raise ApiError(
                "InvalidInstanceStatus.NotRunning",
                "The status of instance to which the disk attachs must be running when resizing online.",
                403,
            )
    if size is None:
        code = "InvalidSystemDiskSize.ValueNotSupported" if disk["Type"] == "system" else (
            "InvalidDataDiskSize.ValueNotSupported")
        raise ApiError(code, 'The specified parameter "NewSize" is not valid.', 400)
    if size < disk["Size"]:
        raise ApiError("InvalidDiskSize.TooSmall", "Specified new disk size is less than the original disk size.", 403)
    if size == disk["Size"]:
        raise ApiError(
            "InvalidDiskSize", "Specified new disk size is less than or equal the original disk size.", 403
        )
    limits = SYSTEM_MAX if disk["Type"] == "system" else DATA_MAX
    if size > limits.get(disk["Category"], 2048 if disk["Type"] == "system" else 32768):
        raise ApiError("InvalidDiskSize.TooLarge", "Specified new disk size is beyond the permitted range.", 403)
    disk["Size"] = size
    disk["IOPS"] = min(50000, 1800 + 50 * size)
    out: dict[str, Any] = {}
    if disk["DiskChargeType"] == "PrePaid":
        out["OrderId"] = store.order_id()  # only for subscription disks (no disk prices modelled: README)
    return out


@action("ReplaceSystemDisk", mutating=True, client_token=True)
def replace_system_disk(call: Call) -> dict:
    """A new system disk from ImageId (the instance Stopped); the old one is released."""
    store, p = call.store, call.params
    inst = common.instance(call)
    _locks(inst)
    if inst["Status"] != "Stopped":
        raise ApiError("IncorrectInstanceStatus", "The current status of the resource does not support this operation.", 403)
    image_id = p.get("ImageId")
    if not image_id:
        raise missing_parameter("ImageId")
    image = store.catalog.images.get(image_id)
    if image is None:
        raise ApiError("InvalidImageId.NotFound", "The specified ImageId does not exist.", 404)
    old = next((store.disks[d] for d in inst["DiskIds"] if store.disks.get(d, {}).get("Type") == "system"), None)
    if old is None:
        raise ApiError("InvalidInstance.NotFoundSystemDisk", "The specified instance has no system disk.", 400)
    size = _system_size(call, image, old["Category"])
    password = p.get("Password") or None
    common.check_password(password)
    if password and p.bool("PasswordInherit", False):
        raise ApiError("InvalidPasswordParam.Mismatch", "The input password should be null when passwdInherit is true.", 400)
    p.enum("SecurityEnhancementStrategy", ("Active", "Deactive"))
    windows = image["OSType"] == "windows"
    key_pair = p.get("KeyPairName") or ""
    if key_pair and not windows:
        check_key_pair(call, inst["RegionId"], key_pair, status=400)
    disk_id = store.new_id("d", inst["RegionId"], store.disks)
    store.disks[disk_id] = {
        **old,
        "DiskId": disk_id,
        "Size": size,
        "ImageId": image_id,
        "IOPS": min(50000, 1800 + 50 * size),
        "SerialNumber": disk_id[2:],
        "CreationTs": call.now,
        "AttachedTs": call.now,
        "Tags": dict(old["Tags"]),
    }
    del store.disks[old["DiskId"]]
    inst["DiskIds"] = [disk_id if d == old["DiskId"] else d for d in inst["DiskIds"]]
    inst["ImageId"] = image_id
    if windows:
        inst["KeyPairName"] = ""  # key pairs are for Linux instances only
    elif key_pair:
        inst["KeyPairName"] = key_pair
    store.touch(inst, call.now)
    return {"DiskId": disk_id}


def _system_size(call: Call, image: dict[str, Any], category: str) -> int:
    value = call.params.get("SystemDisk.Size")
    if not value:
        return max(40, image["Size"])
    size = parse_int(value, minimum=1)
    if size is None:
        raise ApiError("InvalidSystemDiskSize.ValueNotSupported", "The specified parameter SystemDisk.Size is invalid.", 400)
    if size < image["Size"]:
        raise ApiError(
            "InvalidSystemDiskSize.LessThanImageSize", "The specified parameter SystemDisk.Size is less than the image size.",
            404,
        )
    if size < 20:
        raise ApiError(
            "InvalidSystemDiskSize.LessThanMinSize", "The specified parameter SystemDisk.Size is less than the min size.",
            404,
        )
    if size > SYSTEM_MAX.get(category, 2048):
        raise ApiError(
            "InvalidSystemDiskSize.MoreThanMaxSize", "The specified SystemDisk.Size parameter exceeds the maximum size.",
            404,
        )
    return size
