"""Lifecycle: legal-state matrix, batch operations, DryRun codes, release rules, public IPs,
ModifyInstanceAttribute, transient states with real (short) delays."""

from __future__ import annotations

import base64
import json

import pytest

from tests.emulator.actions_support import IMAGE, SG, TYPE, VSWITCH, Ecs, assert_error, request

INCORRECT = ("IncorrectInstanceStatus", 403, "The current status of the resource does not support this operation.")


def test_classic_flow_create_allocate_start_stop_delete(ecs: Ecs):
    """The classic Alibaba example: CreateInstance -> Stopped -> AllocatePublicIpAddress -> Start -> Stop -> Delete."""
    iid = ecs.create(InternetMaxBandwidthOut=5, IoOptimized="optimized", SystemDiskCategory="cloud_ssd")
    ecs.wait(iid, "Stopped")
    ip = ecs.call("AllocatePublicIpAddress", InstanceId=iid)["IpAddress"]
    assert ecs.one(iid)["PublicIpAddress"]["IpAddress"] == [ip]
    ecs.call("StartInstance", InstanceId=iid)
    ecs.wait(iid, "Running")
    assert ecs.one(iid)["StartTime"] != ""
    ecs.call("StopInstance", InstanceId=iid)
    ecs.wait(iid, "Stopped")
    ecs.call("DeleteInstance", InstanceId=iid)
    assert ecs.describe([iid]) == []
    assert_error(
        ecs.error("StartInstance", InstanceId=iid),
        "InvalidInstanceId.NotFound",
        404,
        "The specified InstanceId does not exist.",
    )


def test_state_matrix_single_operations(ecs: Ecs):
    [running] = ecs.run()
    stopped = ecs.create()
    assert_error(ecs.error("StartInstance", InstanceId=running), *INCORRECT)
    assert_error(ecs.error("StopInstance", InstanceId=stopped), *INCORRECT)
    assert_error(ecs.error("RebootInstance", InstanceId=stopped), *INCORRECT)
    assert_error(ecs.error("DeleteInstance", InstanceId=running), *INCORRECT)  # Running needs Force
    ecs.call("RebootInstance", InstanceId=running)
    assert ecs.status(running) == "Running"
    ecs.call("DeleteInstance", InstanceId=running, Force=True)
    assert ecs.describe([running]) == []


def test_single_operation_dry_runs(ecs: Ecs):
    [running] = ecs.run()
    for action in ("StopInstance", "RebootInstance"):
        assert_error(ecs.error(action, InstanceId=running, DryRun=True), "DryRunOperation", 400)
    assert_error(ecs.error("StartInstance", InstanceId=running, DryRun=True), *INCORRECT)  # state checked first
    assert_error(ecs.error("DeleteInstance", InstanceId=running, Force=True, DryRun=True), "DryRunOperation", 400)
    assert ecs.status(running) == "Running"


def test_transient_states_seen_with_real_delays(emulator, new_sdk_client):
    """New SDK (ACS3): RunInstances -> Pending -> Starting -> Running, Stop -> Stopping -> Stopped."""
    from alibabacloud_ecs20140526 import models

    emulator.config({"delays": {"Pending": 0.15, "Starting": 0.15, "Stopping": 0.15}})
    client = new_sdk_client()
    run = client.run_instances(
        models.RunInstancesRequest(
            region_id="cn-hangzhou",
            image_id=IMAGE,
            instance_type=TYPE,
            security_group_id=SG,
            v_switch_id=VSWITCH,
            internet_max_bandwidth_out=1,
        )
    )
    [iid] = run.body.instance_id_sets.instance_id_set

    def poll_until(target: str) -> list[str]:
        import time

        seen: list[str] = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            body = client.describe_instances(
                models.DescribeInstancesRequest(region_id="cn-hangzhou", instance_ids=json.dumps([iid]))
            ).body
            status = body.instances.instance[0].status
            if not seen or seen[-1] != status:
                seen.append(status)
            if status == target:
                return seen
            time.sleep(0.01)
        raise AssertionError(seen)

    assert poll_until("Running") == ["Pending", "Starting", "Running"]
    client.stop_instance(models.StopInstanceRequest(instance_id=iid))
    assert poll_until("Stopped") == ["Stopping", "Stopped"]
    client.start_instance(models.StartInstanceRequest(instance_id=iid))
    assert poll_until("Running") == ["Starting", "Running"]
    attr = client.describe_instance_attribute(models.DescribeInstanceAttributeRequest(instance_id=iid)).body
    assert attr.io_optimized == "optimized" and attr.status == "Running"
    client.delete_instance(models.DeleteInstanceRequest(instance_id=iid, force=True))


def test_transient_states_block_operations(ecs: Ecs, emulator):
    emulator.config({"delays": {"Pending": 5, "Starting": 5, "Stopping": 5}})
    iid = ecs.create()
    assert ecs.status(iid) == "Pending"
    assert_error(
        ecs.error("DeleteInstance", InstanceId=iid),
        "IncorrectInstanceStatus.Initializing",
        403,
        "The specified instance status does not support this operation.",
    )
    assert_error(ecs.error("StartInstance", InstanceId=iid), *INCORRECT)
    assert_error(ecs.error("AllocatePublicIpAddress", InstanceId=iid), *INCORRECT)
    assert_error(
        ecs.error("ModifyInstanceChargeType", InstanceIds=json.dumps([iid]), Period=1),
        "InvalidStatus.ValueNotSupported",
        400,
    )
    assert_error(ecs.error("JoinSecurityGroup", InstanceId=iid, SecurityGroupId=SG), *INCORRECT)


# ------------------------------------------------------------------ batches


def _batch(ecs: Ecs, action: str, ids: list[str], **params) -> dict:
    req = request(action, **params)
    req.set_InstanceIds(ids)
    return ecs.send(req)


def _batch_error(ecs: Ecs, action: str, ids: list[str], **params):
    from aliyunsdkcore.acs_exception.exceptions import ServerException

    with pytest.raises(ServerException) as info:
        _batch(ecs, action, ids, **params)
    return info.value


def test_batch_all_together_is_all_or_nothing(ecs: Ecs):
    [running] = ecs.run()
    stopped = ecs.create()
    exc = _batch_error(ecs, "StartInstances", [stopped, running])
    assert_error(exc, *INCORRECT)
    assert ecs.status(stopped) == "Stopped"
    body = _batch(ecs, "StopInstances", [running])
    assert body["InstanceResponses"]["InstanceResponse"] == [
        {
            "InstanceId": running,
            "Code": "200",
            "Message": "success",
            "PreviousStatus": "Running",
            "CurrentStatus": "Stopping",
        }
    ]
    assert ecs.status(running) == "Stopped"


def test_batch_success_first_reports_per_instance(ecs: Ecs):
    [running] = ecs.run()
    stopped = ecs.create()
    body = _batch(ecs, "StartInstances", [stopped, running, "i-bp1unknown000000000"], BatchOptimization="SuccessFirst")
    rows = {r["InstanceId"]: r for r in body["InstanceResponses"]["InstanceResponse"]}
    assert rows[stopped]["Code"] == "200" and rows[stopped]["CurrentStatus"] == "Starting"
    assert rows[running]["Code"] == "IncorrectInstanceStatus"
    assert rows[running]["PreviousStatus"] == rows[running]["CurrentStatus"] == "Running"
    assert rows["i-bp1unknown000000000"]["Code"] == "InvalidInstanceId.NotFound"
    assert ecs.status(stopped) == "Running"
    body = _batch(ecs, "RebootInstances", [stopped, running], BatchOptimization="SuccessFirst", ForceReboot=True)
    assert [r["Code"] for r in body["InstanceResponses"]["InstanceResponse"]] == ["200", "200"]


def test_batch_dry_run_codes(ecs: Ecs, emulator):
    ids = ecs.run(amount=2)
    for action in ("StopInstances", "RebootInstances"):
        assert_error(
            _batch_error(ecs, action, ids, DryRun=True),
            "DRYRUN.SUCCESS",
            400,
            "Request validation has been passed with DryRun flag set.",
        )
    assert_error(_batch_error(ecs, "StartInstances", ids, DryRun=True), *INCORRECT)
    assert_error(
        _batch_error(ecs, "StartInstances", ids, DryRun=True, BatchOptimization="SuccessFirst"), "DRYRUN.SUCCESS", 400
    )
    assert_error(_batch_error(ecs, "DeleteInstances", ids, DryRun=True, Force=True), "DRYRUN.SUCCESS", 400)
    emulator.config({"batch_dry_run_code": "DryRunOperation"})
    assert_error(_batch_error(ecs, "StopInstances", ids, DryRun=True), "DryRunOperation", 400)
    assert [ecs.status(i) for i in ids] == ["Running", "Running"]


def test_delete_instances_batch(ecs: Ecs):
    ids = ecs.run(amount=3)
    assert_error(_batch_error(ecs, "DeleteInstances", ids), *INCORRECT)
    assert len(ecs.describe(ids)) == 3
    assert_error(
        _batch_error(ecs, "DeleteInstances", ids + ["i-bp1unknown000000000"], Force=True),
        "InvalidInstanceId.NotFound",
        404,
    )
    body = _batch(ecs, "DeleteInstances", ids, Force=True, ClientToken="delete-batch-1")
    assert set(body) == {"RequestId"}
    assert ecs.describe(ids) == []
    assert_error(ecs.error("DeleteInstances"), "MissingParameter", 400)


def test_stopped_mode_stop_charging(ecs: Ecs, emulator):
    [iid] = ecs.run()
    ecs.call("StopInstance", InstanceId=iid, StoppedMode="StopCharging")
    assert ecs.one(iid)["StoppedMode"] == "StopCharging"
    emulator.config({"no_stock": ["cn-hangzhou-h/ecs.g7.large"]})
    assert_error(ecs.error("StartInstance", InstanceId=iid), "OperationDenied.NoStock", 403)
    emulator.config({"no_stock": []})
    ecs.call("StartInstance", InstanceId=iid)
    assert ecs.one(iid)["StoppedMode"] == "Not-applicable"


# ------------------------------------------------------------ release rules


def test_deletion_protection(ecs: Ecs):
    [iid] = ecs.run(DeletionProtection=True)
    assert ecs.one(iid)["DeletionProtection"] is True
    exc = ecs.error("DeleteInstance", InstanceId=iid, Force=True)
    assert_error(exc, "InvalidOperation.DeletionProtection", 403)
    req = request("DeleteInstances", Force=True)
    req.set_InstanceIds([iid])
    from aliyunsdkcore.acs_exception.exceptions import ServerException

    with pytest.raises(ServerException) as info:
        ecs.send(req)
    assert info.value.get_error_code() == "InvalidOperation.DeletionProtection"
    ecs.call("ModifyInstanceAttribute", InstanceId=iid, DeletionProtection=False)
    ecs.call("DeleteInstance", InstanceId=iid, Force=True)
    assert ecs.describe([iid]) == []


def test_deletion_protection_is_postpaid_only(ecs: Ecs):
    exc = ecs.error(
        "RunInstances",
        ImageId=IMAGE,
        InstanceType=TYPE,
        SecurityGroupId=SG,
        VSwitchId=VSWITCH,
        InstanceChargeType="PrePaid",
        Period=1,
        DeletionProtection=True,
    )
    assert_error(exc, "InvalidParameter", 400)
    iid = ecs.create(InstanceChargeType="PrePaid", Period=1)
    assert_error(
        ecs.error("ModifyInstanceAttribute", InstanceId=iid, DeletionProtection=True), "ChargeTypeViolation", 403
    )


def test_prepaid_cannot_be_deleted_before_expiry(ecs: Ecs):
    iid = ecs.create(InstanceChargeType="PrePaid", Period=1)
    assert_error(
        ecs.error("DeleteInstance", InstanceId=iid),
        "ChargeTypeViolation",
        403,
        "The operation is not permitted due to charge type of the instance.",
    )
    ecs.call("ModifyInstanceChargeType", InstanceIds=json.dumps([iid]), InstanceChargeType="PostPaid")
    ecs.call("DeleteInstance", InstanceId=iid)
    assert ecs.describe([iid]) == []


# ------------------------------------------------------- AllocatePublicIpAddress


def test_allocate_public_ip_rules(ecs: Ecs):
    iid = ecs.create(InternetMaxBandwidthOut=2)
    ip = ecs.call("AllocatePublicIpAddress", InstanceId=iid)["IpAddress"]
    assert ip.startswith("47.")
    assert_error(
        ecs.error("AllocatePublicIpAddress", InstanceId=iid),
        "AllocatedAlready",
        403,
        "There is an IpAddress allocated already for the specified instance.",
    )
    no_bandwidth = ecs.create()
    assert_error(
        ecs.error("AllocatePublicIpAddress", InstanceId=no_bandwidth),
        "AllocateIpInvalidInstanceBandwidth",
        400,
        "OperationDenied The InternetMaxBandwidthOut of the specified instance cannot be less than 0.",
    )
    [running] = ecs.run()
    assert_error(ecs.error("AllocatePublicIpAddress", InstanceId=running), "AllocateIpInvalidInstanceBandwidth", 400)
    [with_ip] = ecs.run(InternetMaxBandwidthOut=1)
    assert_error(ecs.error("AllocatePublicIpAddress", InstanceId=with_ip), "AllocatedAlready", 403)
    assert_error(
        ecs.error("AllocatePublicIpAddress", InstanceId="i-bp1unknown000000000"), "InvalidInstanceId.NotFound", 404
    )
    found = ecs.describe(PublicIpAddresses=json.dumps([ip]))
    assert [i["InstanceId"] for i in found] == [iid]


# ------------------------------------------------------- ModifyInstanceAttribute


def test_modify_instance_attribute(ecs: Ecs):
    iid = ecs.create()
    sg2 = ecs.call("CreateSecurityGroup", VpcId="vpc-bp1emudefault")["SecurityGroupId"]
    data = base64.b64encode(b"echo new").decode()
    req = request(
        "ModifyInstanceAttribute",
        InstanceId=iid,
        InstanceName="renamed",
        Description="new description",
        HostName="new-host",
        Password="Secr3t!pass",
        UserData=data,
    )
    req.set_SecurityGroupIdss([sg2])
    ecs.send(req)
    inst = ecs.one(iid)
    assert (inst["InstanceName"], inst["Description"], inst["HostName"]) == ("renamed", "new description", "new-host")
    assert inst["SecurityGroupIds"]["SecurityGroupId"] == [sg2]
    assert ecs.call("DescribeUserData", InstanceId=iid)["UserData"] == data
    ecs.call("StartInstance", InstanceId=iid)
    assert_error(ecs.error("ModifyInstanceAttribute", InstanceId=iid, UserData=data), *INCORRECT)  # Stopped only
    for params, code in [
        ({"InstanceName": "9lives"}, "InvalidInstanceName.Malformed"),
        ({"HostName": "-bad"}, "InvalidHostName.Malformed"),
        ({"Password": "short"}, "InvalidPassword.Malformed"),
        ({"SecurityGroupIds.1": "sg-bp1missing"}, "InvalidSecurityGroupId.NotFound"),
        ({"CreditSpecification": "Unlimited"}, "InvalidParameter.CreditSpecification"),
    ]:
        assert ecs.error("ModifyInstanceAttribute", InstanceId=iid, **params).get_error_code() == code
    assert_error(
        ecs.error("ModifyInstanceAttribute", InstanceId="i-bp1unknown000000000", InstanceName="abc"),
        "InvalidInstanceId.NotFound",
        404,
    )


def test_modify_attribute_state_rules_with_delays(ecs: Ecs, emulator):
    [iid] = ecs.run(amount=1)
    assert ecs.status(iid) == "Running"  # settle under zero delays: delays apply lazily, when a state is left
    emulator.config({"delays": {"Starting": 5, "Stopping": 5}})
    ecs.call("RebootInstance", InstanceId=iid)
    assert ecs.status(iid) == "Starting"
    assert_error(ecs.error("ModifyInstanceAttribute", InstanceId=iid, Password="Secr3t!pass"), *INCORRECT)
    assert_error(ecs.error("ModifyInstanceAttribute", InstanceId=iid, HostName="host-two"), *INCORRECT)
    ecs.call("ModifyInstanceAttribute", InstanceId=iid, InstanceName="still-fine")
