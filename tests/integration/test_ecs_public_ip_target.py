"""Runs the ecs_public_ip target against the emulator, then checks which allocations were made."""

from __future__ import annotations

import json

import pytest

from tests.helpers.ansible_cli import (
    IMAGE,
    NETWORK,
    REGION,
    Ansible,
    emulator_delays,
    target_playbook,
    target_vars,
)
from tests.helpers.emulator import Emulator

OWNER_TAG = "alicloud-ecs-eip-for"


@pytest.fixture(scope="module")
def realistic(collections_dir, tmp_path_factory):
    """An emulator of its own in the realistic eventual-consistency profile (reference 8.9)."""
    with Emulator("--quiet", "--delays", "fast", "--consistency", "realistic", "--consistency-seed", "11") as emu:
        yield Ansible(collections_dir, emu, tmp_path_factory.mktemp("realistic"))


def test_target_ecs_public_ip(ansible, emulator, tmp_path):
    run_target(ansible, emulator, tmp_path)


def test_target_ecs_public_ip_in_the_realistic_consistency_profile(realistic, tmp_path):
    """The same target, every idempotence assertion included, with new instances listed late and changes
    (an address, an EIP, the instance's generation tag) shown late."""
    assert realistic.emu.config()["consistency"]["profile"] == "realistic"
    run_target(realistic, realistic.emu, tmp_path)


def run_target(ansible, emulator, tmp_path):
    emulator.clear_calls()
    proc = ansible.playbook(
        target_playbook(tmp_path, "ecs_public_ip"), extra_vars=target_vars(emulator), env=ansible.env(credentials=False)
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr and "failed=0" in proc.stdout
    allocations = emulator.calls("AllocatePublicIpAddress")
    # Exactly two real allocations (stopped and started instance): none in check mode, none on a repeat,
    # none for an instance without bandwidth, an unknown id or an ambiguous name.
    assert len(allocations) == 2, allocations
    assert all(c["code"] is None for c in allocations)
    assert len({c["parameters"]["InstanceId"] for c in allocations}) == 2
    # EIPs: three allocations (the stopped instance twice, around a release, and the running one), each with its
    # own ClientToken; none in check mode or on a repeat; a kept EIP is bound again, not replaced. (A replay
    # answers the same EIP: with a lagging listing the allocation after the release may replay the old token
    # once before the instance shows the next generation.)
    eips = [c for c in emulator.calls("AllocateEipAddress") if c["code"] is None and not c["replay"]]
    assert len(eips) == 3 and len({c["parameters"]["ClientToken"] for c in eips}) == 3, eips
    assert len([c for c in emulator.calls("AssociateEipAddress") if c["code"] is None]) == 4
    assert len([c for c in emulator.calls("ReleaseEipAddress") if c["code"] is None]) == 3
    owners = {c["parameters"]["Tag.1.Value"] for c in eips}
    assert len(owners) == 2 and not [e for e in emulator.state()["eips"].values() if e["Tags"].get(OWNER_TAG) in owners]


def test_public_ip_waits_out_starting(ansible, emulator, tmp_path, name):
    create = dict(name=name, state="stopped", internet_max_bandwidth_out=5, **IMAGE, **NETWORK)
    play = [
        {
            "name": "Allocate while the instance is starting",
            "hosts": "localhost",
            "gather_facts": False,
            "module_defaults": {"group/alicloud.ecs.ecs": {"region": REGION}},
            "tasks": [
                {"name": "Create stopped", "alicloud.ecs.ecs_instance": create, "register": "created"},
                {"name": "Start, no wait", "alicloud.ecs.ecs_instance": {"name": name, "state": "running", "wait": False}},
                {"name": "Allocate", "alicloud.ecs.ecs_public_ip": {"name": name, "wait_timeout": 60}, "register": "result"},
                {"name": "Release", "alicloud.ecs.ecs_instance": {"name": name, "state": "absent", "force_release": True}},
                {
                    "name": "Check",
                    "ansible.builtin.assert": {
                        "that": ["result is changed", "result.instance.status == 'Running'", "result.ip_address is truthy"]
                    },
                },
            ],
        }
    ]
    path = tmp_path / "starting.yml"
    path.write_text(json.dumps(play))
    with emulator_delays(emulator, {"Pending": 0, "Starting": 2, "Stopping": 0}):
        emulator.clear_calls()
        proc = ansible.playbook(path)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    calls = emulator.calls()
    start = next(i for i, c in enumerate(calls) if c["action"] == "StartInstances")
    allocate = next(i for i, c in enumerate(calls) if c["action"] == "AllocatePublicIpAddress")
    # Between starting and allocating, the module polled until the instance was no longer Starting.
    assert any(c["action"] == "DescribeInstances" for c in calls[start + 1 : allocate])
    assert calls[allocate]["code"] is None
