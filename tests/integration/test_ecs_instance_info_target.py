"""Runs the ecs_instance_info target against the emulator, then checks the calls it made."""

from __future__ import annotations

import json

from tests.helpers.ansible_cli import REGION, target_playbook, target_vars

MUTATING_INFO = {"AllocatePublicIpAddress"}


def test_target_ecs_instance_info(ansible, emulator, tmp_path):
    extra = target_vars(emulator)
    emulator.clear_calls()
    proc = ansible.playbook(target_playbook(tmp_path, "ecs_instance_info"), extra_vars=extra, env=ansible.env(credentials=False))
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "Traceback" not in output and "failed=0" in proc.stdout
    describes = [c["parameters"] for c in emulator.calls("DescribeInstances")]
    # Paging: NextToken/MaxResults=100, and a follow-up page was requested.
    assert any(p.get("MaxResults") == "100" and p.get("NextToken") for p in describes)
    # Chunking: no call with more than 100 ids, and the 130 bulk ids went as 100 + 30.
    sizes = [len(json.loads(p["InstanceIds"])) for p in describes if "InstanceIds" in p]
    assert max(sizes) == 100 and 30 in sizes
    # Wildcards and tags are applied by the API.
    assert any(p.get("InstanceName", "").endswith("-web-*") for p in describes)
    assert any(p.get("Tag.2.Key") == "suite" and p.get("Tag.1.Key") == "role" for p in describes)


def test_info_makes_only_describe_calls(ansible, emulator, tmp_path):
    play = [
        {
            "name": "Info only",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {"name": "Everything", "alicloud.ecs.ecs_instance_info": {}, "register": "everything"},
                {
                    "name": "Filtered, check mode",
                    "alicloud.ecs.ecs_instance_info": {"status": "Running", "filters": {"InstanceNetworkType": "vpc"}},
                    "check_mode": True,
                },
                {
                    "name": "A bad raw filter fails with the API's error",
                    "alicloud.ecs.ecs_instance_info": {"filters": {"InstanceChargeType": "Monthly"}},
                    "register": "bad",
                    "ignore_errors": True,
                },
                {
                    "name": "Check",
                    "ansible.builtin.assert": {
                        "that": [
                            "everything.instances is sequence",
                            "bad is failed",
                            "bad.failure.code == 'InvalidInstanceChargeType.NotFound'",
                            "bad.failure.request_id is truthy",
                            "'Failed to describe instances in ' ~ region in bad.msg",
                        ]
                    },
                },
            ],
        }
    ]
    path = tmp_path / "info.yml"
    path.write_text(json.dumps(play))
    emulator.clear_calls()
    proc = ansible.playbook(path, extra_vars={"region": REGION})
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "failed=0" in proc.stdout
    actions = {c["action"] for c in emulator.calls()}
    assert actions == {"DescribeInstances"}
