"""Runs the ecs_instance target (tasks/main.yml) as one playbook against the emulator."""

from __future__ import annotations

import pytest
import yaml

from tests.helpers.ansible_cli import TARGETS, Ansible, mutating_calls, target_playbook, target_vars
from tests.helpers.emulator import Emulator


@pytest.fixture(scope="module")
def realistic(collections_dir, tmp_path_factory):
    """An emulator of its own in the realistic eventual-consistency profile (reference 8.9)."""
    with Emulator("--quiet", "--delays", "fast", "--consistency", "realistic", "--consistency-seed", "7") as emu:
        yield Ansible(collections_dir, emu, tmp_path_factory.mktemp("realistic"))


@pytest.mark.smoke
def test_target_ecs_instance(ansible, emulator, tmp_path):
    run_target(ansible, emulator, tmp_path)


def test_target_ecs_instance_in_the_realistic_consistency_profile(realistic, tmp_path):
    """The same target, every idempotence assertion included, with new instances listed late, released ones
    still listed and changes shown late."""
    assert realistic.emu.config()["consistency"]["profile"] == "realistic"
    run_target(realistic, realistic.emu, tmp_path)


def run_target(ansible, emulator, tmp_path):
    extra = target_vars(emulator)
    emulator.clear_calls()
    proc = ansible.playbook(target_playbook(tmp_path, "ecs_instance"), extra_vars=extra, env=ansible.env(credentials=False))
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "failed=0" in proc.stdout
    # The target really ran its pay-as-you-go lifecycle: a task header for every task of tasks/test.yml.
    test_tasks = [task["name"] for task in yaml.safe_load((TARGETS / "ecs_instance" / "tasks" / "test.yml").read_text())]
    not_run = [name for name in test_tasks if "TASK [ecs_instance : %s]" % name not in proc.stdout]
    assert len(test_tasks) > 20 and not_run == [], not_run
    # Every create in the target carried a ClientToken.
    creates = [c for c in mutating_calls(emulator.calls()) if c["action"] in ("RunInstances", "CreateInstance")]
    assert creates and all(c["parameters"].get("ClientToken") for c in creates)
    # It released what it created: instances were deleted and none of its own is left.
    assert [c for c in mutating_calls(emulator.calls()) if c["action"] == "DeleteInstances" and c["code"] is None]
    assert [i["InstanceName"] for i in emulator.instances() if extra["resource_prefix"] in i["InstanceName"]] == []
