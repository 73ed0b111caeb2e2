"""playbooks/classic_flow.yml against the emulator: first run changes, the second changes nothing."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.helpers.ansible_cli import recap
from tests.helpers.emulator import REPO_ROOT


@pytest.mark.smoke
def test_classic_flow_runs_and_is_idempotent(ansible, emulator, tmp_path):
    name = "test_classic_flow_%s" % uuid.uuid4().hex[:8]
    playbook = REPO_ROOT / "playbooks" / "classic_flow.yml"
    # The seed ids of cn-hangzhou are the playbook's defaults; only the name is set here.
    extra = {"classic_flow_name": name}
    emulator.clear_calls()
    first = ansible.playbook(playbook, extra_vars=extra)
    assert first.returncode == 0, first.stdout[-6000:] + first.stderr[-3000:]
    assert recap(first.stdout)["changed"] == 3 and recap(first.stdout)["failed"] == 0
    actions = [c["action"] for c in emulator.calls() if c["code"] is None]
    assert actions.index("CreateInstance") < actions.index("AllocatePublicIpAddress") < actions.index("StartInstances")
    assert "RunInstances" not in actions
    instance = next(i for i in emulator.instances() if i["InstanceName"] == name)
    address = instance["PublicIpAddress"]["IpAddress"][0]
    assert instance["Status"] == "Running" and instance["InstanceChargeType"] == "PostPaid"
    assert "%s Running %s" % (instance["InstanceId"], address) in first.stdout

    emulator.clear_calls()
    second = ansible.playbook(playbook, extra_vars=extra)
    assert second.returncode == 0, second.stdout[-6000:] + second.stderr[-3000:]
    assert recap(second.stdout)["changed"] == 0 and recap(second.stdout)["failed"] == 0
    mutating = [c["action"] for c in emulator.calls() if c["action"] != "DescribeInstances"]
    assert mutating == []
    assert "%s Running %s" % (instance["InstanceId"], address) in second.stdout

    cleanup = tmp_path / "cleanup.yml"
    cleanup.write_text(
        json.dumps(
            [
                {
                    "name": "Release the classic-flow instance",
                    "hosts": "localhost",
                    "gather_facts": False,
                    "tasks": [
                        {
                            "name": "Release",
                            "alicloud.ecs.ecs_instance": {
                                "instance_ids": [instance["InstanceId"]],
                                "region": "cn-hangzhou",
                                "state": "absent",
                                "force_release": True,
                            },
                        }
                    ],
                }
            ]
        )
    )
    assert ansible.playbook(cleanup).returncode == 0
