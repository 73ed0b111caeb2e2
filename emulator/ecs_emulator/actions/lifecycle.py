"""Start/Stop/Reboot/Delete, single and batch (reference 8.1, 9.6-9.10).

Each operation is a pair: ``check`` raises the API error the instance's state
calls for (legal-state matrix, reference 8.1), ``apply`` changes it.  Single
operations, AllTogether batches (all-or-nothing) and SuccessFirst batches
(per-instance results) are built from the same pair.
"""

from __future__ import annotations

from typing import Any, Callable

from ..errors import ApiError, dry_run_passed, incorrect_instance_status
from ..registry import Call, action
from . import common
from .create import no_stock, sold_out

Check = Callable[[Call, dict[str, Any]], None]
Apply = Callable[[Call, dict[str, Any]], None]


def check_locks(inst: dict[str, Any]) -> None:
    """Reference 8.7: security locks block most operations, financial locks block start/stop/reboot."""
    if "security" in inst["Locks"]:
        raise ApiError(
            "InstanceLockedForSecurity",
            "The specified operation is denied as your instance is locked for security reasons.",
            403,
        )
    if "financial" in inst["Locks"]:
        raise ApiError(
            "InstanceExpiredOrInArrears",
            "The specified operation is denied as your prepay instance is expired (prepay mode) or in "
            "arrears (afterpay mode).",
            403,
        )


def _require(inst: dict[str, Any], *allowed: str) -> None:
    if inst["Status"] not in allowed:
        raise incorrect_instance_status()


# ----------------------------------------------------------------- start


def check_start(call: Call, inst: dict[str, Any]) -> None:
    check_locks(inst)
    _require(inst, "Stopped")
    if inst["StoppedMode"] == "StopCharging" and sold_out(call, inst["ZoneId"], inst["InstanceType"]):
        raise no_stock()  # economical mode gave the resources back (reference 9.6)


def apply_start(call: Call, inst: dict[str, Any]) -> None:
    call.store.schedule(inst, ["Starting", "Running"], call.now)


# ------------------------------------------------------------------ stop


def _stopped_mode(call: Call) -> str | None:
    return call.params.enum("StoppedMode", ("StopCharging", "KeepCharging"))


def check_stop(call: Call, inst: dict[str, Any]) -> None:
    check_locks(inst)
    _require(inst, "Running")
    _stopped_mode(call)  # a value outside the enum is still InvalidParameter


def apply_stop(call: Call, inst: dict[str, Any]) -> None:
    mode = _stopped_mode(call) or "KeepCharging"
    if mode == "StopCharging" and inst["InstanceChargeType"] == "PrePaid":
        # Reference 8.10: economical mode is not supported for subscription instances; the call does
        # not fail, the instance stops in KeepCharging mode.
        mode = "KeepCharging"
    inst["_stop_mode"] = mode
    call.store.schedule(inst, ["Stopping", "Stopped"], call.now)


# ---------------------------------------------------------------- reboot


def check_reboot(call: Call, inst: dict[str, Any]) -> None:
    check_locks(inst)
    _require(inst, "Running")


def apply_reboot(call: Call, inst: dict[str, Any]) -> None:
    call.store.schedule(inst, ["Starting", "Running"], call.now)


# ---------------------------------------------------------------- delete


def deletion_protected() -> ApiError:
    # Message documented only as %s (reference 12); wording chosen in README.
    return ApiError(
        "InvalidOperation.DeletionProtection",
        "The specified instance has deletion protection enabled and cannot be released.",
        403,
    )


def charge_type_violation() -> ApiError:
    return ApiError("ChargeTypeViolation", "The operation is not permitted due to charge type of the instance.", 403)


def check_delete(call: Call, inst: dict[str, Any]) -> None:
    if inst["Status"] == "Pending":
        raise ApiError(
            "IncorrectInstanceStatus.Initializing",
            "The specified instance status does not support this operation.",
            403,
        )
    if inst["DeletionProtection"]:
        raise deletion_protected()
    if inst["InstanceChargeType"] == "PrePaid":
        expired = inst["ExpiredTs"] is not None and call.now >= inst["ExpiredTs"]
        if not expired or not call.params.bool("TerminateSubscription", False):
            raise charge_type_violation()  # reference 8.6
    # Reference 8.7: DeleteInstance works normally on locked instances.
    if inst["Status"] == "Running" and call.params.bool("Force", False):
        return
    _require(inst, "Stopped")


def apply_delete(call: Call, inst: dict[str, Any]) -> None:
    call.store.release(inst, call.now)


# ----------------------------------------------------------------- glue


def _single(call: Call, check: Check, apply: Apply) -> dict:
    inst = common.instance(call)
    check(call, inst)
    if call.params.bool("DryRun", False):
        raise dry_run_passed()
    apply(call, inst)
    return {}


def _batch_ids(call: Call) -> list[str]:
    common.region(call)
    return list(dict.fromkeys(common.repeat_ids(call)))


def _response(inst_id: str, previous: str, current: str, code: str = "200", message: str = "success") -> dict:
    return {
        "InstanceId": inst_id,
        "Code": code,
        "Message": message,
        "PreviousStatus": previous,
        "CurrentStatus": current,
    }


def _batch(call: Call, check: Check, apply: Apply) -> dict:
    """Start/Stop/RebootInstances: BatchOptimization AllTogether (default) or SuccessFirst (reference 9.6)."""
    ids = _batch_ids(call)
    mode = call.params.enum("BatchOptimization", ("AllTogether", "SuccessFirst"), "AllTogether")
    dry_code = call.store.config["batch_dry_run_code"]
    if mode == "SuccessFirst":
        if call.params.bool("DryRun", False):
            raise dry_run_passed(dry_code)  # returned regardless of the per-instance checks (reference 8.3)
        return {"InstanceResponses": {"InstanceResponse": [_one_of_batch(call, i, check, apply) for i in ids]}}
    instances = [common.find_instance(call, instance_id) for instance_id in ids]
    for inst in instances:
        check(call, inst)
    if call.params.bool("DryRun", False):
        raise dry_run_passed(dry_code)
    responses = []
    for inst in instances:
        previous = inst["Status"]
        apply(call, inst)
        responses.append(_response(inst["InstanceId"], previous, inst["Status"]))
    return {"InstanceResponses": {"InstanceResponse": responses}}


def _one_of_batch(call: Call, instance_id: str, check: Check, apply: Apply) -> dict:
    previous = ""
    try:
        inst = common.find_instance(call, instance_id)
        previous = inst["Status"]
        check(call, inst)
        apply(call, inst)
        return _response(instance_id, previous, inst["Status"])
    except ApiError as error:
        return _response(instance_id, previous, previous, error.code, error.message)


@action("StartInstance", mutating=True)
def start_instance(call: Call) -> dict:
    return _single(call, check_start, apply_start)


@action("StopInstance", mutating=True)
def stop_instance(call: Call) -> dict:
    return _single(call, check_stop, apply_stop)


@action("RebootInstance", mutating=True)
def reboot_instance(call: Call) -> dict:
    return _single(call, check_reboot, apply_reboot)


@action("DeleteInstance", mutating=True)
def delete_instance(call: Call) -> dict:
    return _single(call, check_delete, apply_delete)


@action("StartInstances", mutating=True, dry_run_code="DRYRUN.SUCCESS")
def start_instances(call: Call) -> dict:
    return _batch(call, check_start, apply_start)


@action("StopInstances", mutating=True, dry_run_code="DRYRUN.SUCCESS")
def stop_instances(call: Call) -> dict:
    return _batch(call, check_stop, apply_stop)


@action("RebootInstances", mutating=True, dry_run_code="DRYRUN.SUCCESS")
def reboot_instances(call: Call) -> dict:
    return _batch(call, check_reboot, apply_reboot)


@action("DeleteInstances", mutating=True, client_token=True, dry_run_code="DRYRUN.SUCCESS")
def delete_instances(call: Call) -> dict:
    """All-or-nothing (reference 9.10 [uncertain]); the answer is only a RequestId."""
    ids = _batch_ids(call)
    instances = [common.find_instance(call, instance_id) for instance_id in ids]
    for inst in instances:
        check_delete(call, inst)
    if call.params.bool("DryRun", False):
        raise dry_run_passed(call.store.config["batch_dry_run_code"])
    for inst in instances:
        apply_delete(call, inst)
    return {}
