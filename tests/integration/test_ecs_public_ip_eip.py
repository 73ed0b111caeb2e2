"""ecs_public_ip with address_type eip against the emulator over HTTP: real ansible-playbook runs of the
installed collection, asserting on results and on the emulator's call log (the VPC EIP actions)."""

from __future__ import annotations

import json
import re
import socket
import uuid
from pathlib import Path
from typing import Any

from aliyunsdkvpc.request.v20160428.AllocateEipAddressRequest import AllocateEipAddressRequest
from aliyunsdkvpc.request.v20160428.AssociateEipAddressRequest import AssociateEipAddressRequest
from aliyunsdkvpc.request.v20160428.ReleaseEipAddressRequest import ReleaseEipAddressRequest

from tests.helpers.ansible_cli import IMAGE, NETWORK, REGION
from tests.helpers.emulator import DEFAULT_KEY

OWNER_TAG = "alicloud-ecs-eip-for"
GENERATION_TAG = "alicloud-ecs-eip-generation"
# The calls that change something: ECS and VPC (TagResources records the EIP generation on the instance).
MUTATING = {
    "RunInstances", "CreateInstance", "StartInstances", "StopInstances", "DeleteInstances", "ModifyInstanceAttribute",
    "TagResources", "UntagResources", "AllocatePublicIpAddress", "AllocateEipAddress", "AssociateEipAddress",
    "UnassociateEipAddress", "ReleaseEipAddress",
}
PUBLIC_IP = "alicloud.ecs.ecs_public_ip"
INSTANCE = "alicloud.ecs.ecs_instance"


def mutating(calls: list[dict]) -> list[str]:
    return [c["action"] for c in calls if c["action"] in MUTATING and c["parameters"].get("DryRun", "").lower() != "true"]


def play(ansible: Any, tmp_path: Path, steps: list[tuple], env: dict | None = None,
         verbosity: int = 0) -> tuple[list[dict], Any]:
    """Run ``steps`` ``(module, args[, {"check": bool, "diff": bool}])`` in one ansible-playbook; their results."""
    tasks, files = [], []
    for number, step in enumerate(steps):
        module, args, flags = step[0], step[1], (step[2] if len(step) > 2 else {})
        files.append(tmp_path / ("result-%d-%s.json" % (number, uuid.uuid4().hex)))
        tasks.append({"name": "Step %d %s" % (number, module), module: args, "register": "result", "ignore_errors": True,
                      "check_mode": bool(flags.get("check")), "diff": bool(flags.get("diff"))})
        save = {"content": "{{ result | to_json }}", "dest": str(files[-1])}
        tasks.append({"name": "Save %d" % number, "ansible.builtin.copy": save})
    playbook = tmp_path / ("play-%s.yml" % uuid.uuid4().hex)
    playbook.write_text(json.dumps([{"name": "EIP steps", "hosts": "localhost", "gather_facts": False,
                                     "module_defaults": {"group/alicloud.ecs.ecs": {"region": REGION}},
                                     "tasks": tasks}]))
    proc = ansible.playbook(playbook, env=env, verbosity=verbosity)
    assert "Traceback" not in proc.stdout + proc.stderr, proc.stdout[-4000:]
    assert all(f.exists() for f in files), proc.stdout[-6000:] + proc.stderr[-2000:]
    return [json.loads(f.read_text()) for f in files], proc


def create(name: str, state: str = "running") -> tuple:
    return (INSTANCE, dict(name=name, state=state, internet_max_bandwidth_out=0, **IMAGE, **NETWORK))


def release(name: str) -> list[tuple]:
    return [(PUBLIC_IP, {"name": name, "address_type": "eip", "state": "absent", "release_eip": True}),
            (INSTANCE, {"name": name, "state": "absent", "force_release": True})]


def eips_of(emulator: Any, instance_id: str) -> list[dict]:
    """The emulator's truth: EIPs the module allocated for the instance, and any bound to it."""
    return [e for e in emulator.state()["eips"].values()
            if e["Tags"].get(OWNER_TAG) == instance_id or e["InstanceId"] == instance_id]


def vpc_call(emulator: Any, request: Any) -> dict:
    return json.loads(emulator.acs_client(region=REGION).do_action_with_exception(request))


def test_eip_rerun_check_mode_and_diff_make_no_mutating_call(ansible, emulator, tmp_path, name):
    eip = {"name": name, "address_type": "eip"}
    emulator.clear_calls()
    (created, first), _proc = play(ansible, tmp_path, [create(name), (PUBLIC_IP, eip, {"diff": True})])
    assert first["changed"] and first["module_allocated"] and first["eip"]["status"] == "InUse", first
    instance_id = created["instance_ids"][0]
    assert mutating(emulator.calls()).count("AllocateEipAddress") == 1
    emulator.clear_calls()
    results, proc = play(ansible, tmp_path, [
        (PUBLIC_IP, eip), (PUBLIC_IP, eip, {"check": True}), (PUBLIC_IP, eip, {"check": True, "diff": True}),
        (PUBLIC_IP, dict(eip, state="absent"), {"check": True, "diff": True}),
        (PUBLIC_IP, dict(eip, state="absent", release_eip=True), {"check": True}),
    ])
    again, check_again, diff_again, check_absent, check_release = results
    assert mutating(emulator.calls()) == [], emulator.calls()
    assert not again["changed"] and again["allocation_id"] == first["allocation_id"]
    assert not check_again["changed"] and not diff_again["changed"]
    assert check_absent["changed"] and check_absent["diff"]["after"]["address_type"] is None
    assert check_release["released_allocation_ids"] == [first["allocation_id"]]
    # --diff shows the change of the check-mode absent run: the EIP before, none after.
    assert '-    "address_type": "eip",' in proc.stdout and '+    "address_type": null,' in proc.stdout, proc.stdout
    (kept, released, *_rest), _proc = play(ansible, tmp_path, [
        (PUBLIC_IP, dict(eip, state="absent")), (PUBLIC_IP, dict(eip, state="absent", release_eip=True)),
        *release(name)])
    assert kept["changed"] and kept["eip"]["status"] == "Available" and released["released_allocation_ids"] == [
        first["allocation_id"]]
    assert eips_of(emulator, instance_id) == []


def test_an_eip_bound_by_someone_else_is_reported_not_replaced(ansible, emulator, tmp_path, name):
    (created,), _proc = play(ansible, tmp_path, [create(name, state="stopped")])
    instance_id = created["instance_ids"][0]
    allocate = AllocateEipAddressRequest()
    allocate.set_Name("theirs")
    theirs = vpc_call(emulator, allocate)["AllocationId"]
    associate = AssociateEipAddressRequest()
    associate.set_AllocationId(theirs)
    associate.set_InstanceId(instance_id)
    vpc_call(emulator, associate)
    emulator.clear_calls()
    eip = {"instance_id": instance_id, "address_type": "eip"}
    (present, absent), _proc = play(ansible, tmp_path, [
        (PUBLIC_IP, dict(eip, eip_bandwidth=20)), (PUBLIC_IP, dict(eip, state="absent", release_eip=True))])
    assert not present["changed"] and present["allocation_id"] == theirs and present["module_allocated"] is False
    assert present["eip"]["name"] == "theirs" and present["ip_address"] == present["instance"]["public_ip"]
    assert [c["action"] for c in emulator.calls() if c["action"] in MUTATING][:1] == ["UnassociateEipAddress"]
    assert absent["changed"] and absent["released_allocation_ids"] == [] and absent["allocation_id"] == theirs
    assert any("not allocated by alicloud.ecs.ecs_public_ip" in w for w in absent["warnings"])
    assert [e["Status"] for e in eips_of(emulator, instance_id)] == [] and theirs in emulator.state()["eips"]
    release_request = ReleaseEipAddressRequest()
    release_request.set_AllocationId(theirs)
    vpc_call(emulator, release_request)
    play(ansible, tmp_path, release(name))


def test_a_lost_allocate_answer_creates_no_second_eip(ansible, emulator, tmp_path, name):
    (created,), _proc = play(ansible, tmp_path, [create(name)])
    instance_id = created["instance_ids"][0]
    emulator.clear_calls()
    # The first answer is lost after the EIP was allocated: the client's retry replays the ClientToken.
    emulator.faults([{"action": "AllocateEipAddress", "kind": "commit_then_drop", "count": 1},
                     {"action": "AssociateEipAddress", "kind": "commit_then_error", "count": 1}])
    try:
        (result,), _proc = play(ansible, tmp_path, [(PUBLIC_IP, {"name": name, "address_type": "eip"})])
    finally:
        emulator.clear_faults()
    assert result["changed"] and result["eip"]["status"] == "InUse", result
    allocations = emulator.calls("AllocateEipAddress")
    assert len(allocations) == 2 and len({c["parameters"]["ClientToken"] for c in allocations}) == 1
    assert allocations[0]["status"] is None and allocations[1]["replay"]
    assert len(eips_of(emulator, instance_id)) == 1
    play(ansible, tmp_path, release(name))


def test_a_run_that_fails_after_allocating_is_completed_by_the_rerun(ansible, emulator, tmp_path, name):
    (created,), _proc = play(ansible, tmp_path, [create(name)])
    instance_id = created["instance_ids"][0]
    eip = {"name": name, "address_type": "eip", "retry_timeout": 0}
    emulator.faults({"action": "AllocateEipAddress", "kind": "commit_then_drop", "count": 1})
    try:
        (failed,), _proc = play(ansible, tmp_path, [(PUBLIC_IP, eip)])
    finally:
        emulator.clear_faults()
    assert failed["failed"] and "Failed to allocate an EIP for instance %s" % instance_id in failed["msg"]
    assert failed["failure"]["code"] == "SDK.HttpError"
    [spare] = eips_of(emulator, instance_id)  # allocated, tagged, bound to nothing
    assert spare["Status"] == "Available"
    (rerun, again), _proc = play(ansible, tmp_path, [(PUBLIC_IP, eip), (PUBLIC_IP, eip)])
    assert rerun["changed"] and rerun["allocation_id"] == spare["AllocationId"]
    assert not again["changed"]
    assert len(eips_of(emulator, instance_id)) == 1 and len(emulator.calls("AllocateEipAddress")) >= 1
    play(ansible, tmp_path, release(name))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_vpc_endpoint_option_and_environment(ansible, emulator, tmp_path, name):
    play(ansible, tmp_path, [create(name, state="stopped")])
    nowhere = "http://127.0.0.1:%d" % closed_port()
    env = ansible.env(ALICLOUD_VPC_ENDPOINT=nowhere)
    eip = {"name": name, "address_type": "eip", "retry_timeout": 0}
    (from_env, option_wins), proc = play(ansible, tmp_path, [
        (PUBLIC_IP, eip), (PUBLIC_IP, dict(eip, vpc_endpoint=emulator.endpoint))], env=env, verbosity=4)
    # ECS calls went to ALICLOUD_ECS_ENDPOINT (the instance was found), VPC calls to ALICLOUD_VPC_ENDPOINT.
    assert from_env["failed"] and from_env["failure"]["code"] == "SDK.HttpError", from_env
    assert from_env["msg"].startswith("Failed to find the EIP of instance i-")
    assert option_wins["changed"] and option_wins["eip"]["status"] == "InUse", option_wins
    # No secret and no signed query in -vvvv output, the failure's transport message included.
    assert DEFAULT_KEY[1] not in proc.stdout + proc.stderr and "Signature=" not in proc.stdout + proc.stderr
    play(ansible, tmp_path, release(name))


def test_an_api_refusal_fails_naming_the_operation_code_and_request_id(ansible, emulator, tmp_path, name):
    play(ansible, tmp_path, [create(name, state="stopped")])
    emulator.config({"eip_quota": 0})
    try:
        (refused,), _proc = play(ansible, tmp_path, [(PUBLIC_IP, {"name": name, "address_type": "eip"})])
    finally:
        emulator.config({"eip_quota": 20})
    assert refused["failed"] and not refused["changed"]
    assert re.match(r"Failed to allocate an EIP for instance i-\w+: QuotaExceeded.Eip: .+ \(RequestId [0-9A-F-]{36}\)$",
                    refused["msg"]), refused["msg"]
    assert refused["failure"]["code"] == "QuotaExceeded.Eip" and refused["failure"]["http_status"] == 400
    play(ansible, tmp_path, release(name))


def test_eip_life_in_the_realistic_consistency_profile(ansible, emulator, tmp_path, name):
    """Listings lag (new instances 2-6 s, changes 0.5-2 s): one EIP per allocation, results that show it."""
    eip = {"name": name, "address_type": "eip"}
    emulator.config({"consistency": {"profile": "realistic"}})
    try:
        emulator.clear_calls()
        results, proc = play(ansible, tmp_path, [
            create(name), (PUBLIC_IP, eip), (PUBLIC_IP, eip),
            (PUBLIC_IP, dict(eip, state="absent", release_eip=True)),
            (PUBLIC_IP, eip),  # right after the release: the instance's generation tag may still show the old value
            (PUBLIC_IP, dict(eip, state="absent", release_eip=True)),
            (INSTANCE, {"name": name, "state": "absent", "force_release": True}),
        ])
    finally:
        emulator.config({"consistency": {"profile": "consistent"}})
    created, first, again, released, second, released_again, _gone = results
    assert not any(r.get("failed") for r in results), [r.get("msg") for r in results]
    instance_id = created["instance_ids"][0]
    assert first["changed"] and first["instance"]["public_ip"] == first["ip_address"]
    assert not again["changed"] and again["allocation_id"] == first["allocation_id"]
    assert released["released_allocation_ids"] == [first["allocation_id"]]
    assert second["changed"] and second["allocation_id"] != first["allocation_id"]
    assert released_again["released_allocation_ids"] == [second["allocation_id"]]
    tokens = [c["parameters"]["ClientToken"] for c in emulator.calls("AllocateEipAddress") if c["code"] is None]
    successful = [c for c in emulator.calls("AllocateEipAddress") if c["code"] is None and not c["replay"]]
    assert len(successful) == 2 and len(set(tokens)) == 2, tokens
    assert eips_of(emulator, instance_id) == []
    assert "failed=0" in proc.stdout
