"""Runs the ecs_instance target (tasks/main.yml) as one playbook against the emulator."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers.ansible_cli import REGION, TARGETS, mutating_calls
from tests.helpers.emulator import DEFAULT_KEY


@pytest.mark.smoke
def test_target_ecs_instance(ansible, emulator, tmp_path):
    playbook = tmp_path / "target.yml"
    playbook.write_text(
        "- name: Target ecs_instance\n  hosts: localhost\n  gather_facts: false\n  roles:\n    - ecs_instance\n"
    )
    extra = {
        "alicloud_access_key": DEFAULT_KEY[0],
        "alicloud_secret_key": DEFAULT_KEY[1],
        "alicloud_region": REGION,
        "alicloud_endpoint": emulator.endpoint,
        "resource_prefix": uuid.uuid4().hex[:8],
    }
    emulator.clear_calls()
    proc = ansible.playbook(playbook, extra_vars=extra, env=ansible.env(credentials=False))
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "failed=0" in proc.stdout
    assert (TARGETS / "ecs_instance" / "tasks" / "test.yml").exists()
    # Every create in the target carried a ClientToken.
    creates = [c for c in mutating_calls(emulator.calls()) if c["action"] in ("RunInstances", "CreateInstance")]
    assert creates and all(c["parameters"].get("ClientToken") for c in creates)
