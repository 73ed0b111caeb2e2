"""Real ansible-* commands against the emulator, with the collection as built and installed from its tarball.

Shared by tests/integration (its conftest.py makes the fixtures), tests/reliability
(``Runner`` extends ``Ansible``) and any suite that runs the installed collection:

    collections = install_collection(work_dir)          # ansible-galaxy collection build + install
    ansible = Ansible(collections, emulator, work_dir)
    result, proc = ansible.module({"name": "web", **IMAGE, **NETWORK})
    with emulator_delays(emulator, {"Pending": 1.0, "Starting": 1.0, "Stopping": 0}):
        ...
    mutating_calls(emulator.calls())                     # the calls that changed something (no dry runs)
    recap(proc.stdout)                                   # {"ok": 5, "changed": 2, ...} of the play recap
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from tests.helpers.emulator import DEFAULT_KEY, REPO_ROOT, Emulator

BIN = Path(sys.executable).parent
TARGETS = REPO_ROOT / "tests" / "integration" / "targets"
# The emulator's seed network and image of REGION: valid creation options for ecs_instance.
REGION = "cn-beijing"
NETWORK = {"vswitch_id": "vsw-2zeemudefaulth", "security_group_ids": ["sg-2zeemudefault"]}
IMAGE = {"image_id": "ubuntu_22_04_x64_20G_alibase_20240130.vhd", "instance_type": "ecs.n1.small"}
NO_DELAYS = {"Pending": 0, "Starting": 0, "Stopping": 0}
MUTATING = {
    "RunInstances", "CreateInstance", "StartInstances", "StopInstances", "RebootInstances", "DeleteInstances",
    "StartInstance", "StopInstance", "RebootInstance", "DeleteInstance", "ModifyInstanceAttribute",
    "TagResources", "UntagResources", "ModifyInstanceChargeType", "JoinSecurityGroup", "LeaveSecurityGroup",
    "ModifyInstanceSpec", "ModifyPrepayInstanceSpec", "ModifyInstanceNetworkSpec", "ResizeDisk", "ReplaceSystemDisk",
    "RenewInstance", "ModifyInstanceAutoRenewAttribute", "AllocatePublicIpAddress", "AllocateEipAddress",
    "AssociateEipAddress", "UnassociateEipAddress", "ReleaseEipAddress",
}
RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def ansible_tool(name: str) -> str:
    """An ansible-* command of the virtual environment running the tests (else from PATH)."""
    return str(BIN / name) if (BIN / name).exists() else name


def install_collection(work: Path) -> Path:
    """Build the tarball of the work tree into ``work`` and install it there; returns the collections path."""
    build = [ansible_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work), str(REPO_ROOT)]
    subprocess.run(build, check=True, capture_output=True, text=True)
    tarball = next(work.glob("alicloud-ecs-*.tar.gz"))
    install = [ansible_tool("ansible-galaxy"), "collection", "install", "--force", "-p", str(work / "collections"), str(tarball)]
    subprocess.run(install, check=True, capture_output=True, text=True)
    return work / "collections"


@contextmanager
def emulator_delays(emu: Emulator, delays: dict[str, float]) -> Iterator[None]:
    """Transition delays for the block, then back to none."""
    emu.control("POST", "config", {"delays": delays})
    try:
        yield
    finally:
        emu.control("POST", "config", {"delays": NO_DELAYS})


def mutating_calls(calls: list[dict]) -> list[dict]:
    return [c for c in calls if c["action"] in MUTATING and c["parameters"].get("DryRun", "").lower() != "true"]


def recap(stdout: str) -> dict[str, int]:
    """The counts of the one ``localhost`` line of the play recap."""
    found = RECAP.findall(stdout)
    assert len(found) == 1, stdout[-3000:]
    ok, changed, unreachable, failed = (int(n) for n in found[0])
    return {"ok": ok, "changed": changed, "unreachable": unreachable, "failed": failed}


def target_playbook(tmp_path: Path, role: str) -> Path:
    """A playbook that runs the integration target ``role`` (tests/integration/targets/ROLE) on localhost."""
    playbook = tmp_path / ("%s.yml" % role)
    playbook.write_text(
        "- name: Target %s\n  hosts: localhost\n  gather_facts: false\n  roles:\n    - %s\n" % (role, role)
    )
    return playbook


def target_vars(emulator: Emulator) -> dict[str, str]:
    """What ansible-test would give a target from integration_config.yml, for ``emulator``; a fresh prefix."""
    return {
        "alicloud_access_key": DEFAULT_KEY[0],
        "alicloud_secret_key": DEFAULT_KEY[1],
        "alicloud_region": REGION,
        "alicloud_endpoint": emulator.endpoint,
        "resource_prefix": uuid.uuid4().hex[:8],
    }


class Ansible:
    """Runs ansible-playbook against the installed collection and the emulator."""

    def __init__(self, collections: Path, emu: Emulator, workdir: Path) -> None:
        self.collections, self.emu, self.workdir = collections, emu, workdir

    def env(self, credentials: bool = True, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ALICLOUD_", "ALIBABA_CLOUD_"))}
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(self.collections),
            ANSIBLE_ROLES_PATH=str(TARGETS),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_FORCE_COLOR="0",
            ANSIBLE_RETRY_FILES_ENABLED="0",
            ANSIBLE_LOCALHOST_WARNING="0",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
            ALICLOUD_ECS_ENDPOINT=self.emu.endpoint,
            ALICLOUD_REGION=REGION,
            ALICLOUD_CONFIG_FILE=str(self.workdir / "no-such-config.json"),
            HOME=str(self.workdir),
        )
        if credentials:
            env.update(ALICLOUD_ACCESS_KEY=DEFAULT_KEY[0], ALICLOUD_SECRET_KEY=DEFAULT_KEY[1])
        env.update(extra)
        return env

    def playbook(self, path: Path, extra_vars: dict | None = None, env: dict | None = None, verbosity: int = 0) -> subprocess.CompletedProcess:
        cmd = [ansible_tool("ansible-playbook"), "-i", "localhost,", "-c", "local", str(path)]
        cmd += ["-e", json.dumps({"ansible_python_interpreter": sys.executable, **(extra_vars or {})})]
        cmd += ["-" + "v" * verbosity] if verbosity else []
        return subprocess.run(cmd, env=env or self.env(), capture_output=True, text=True, cwd=self.workdir, timeout=900, check=False)

    def module(self, args: dict[str, Any], check: bool = False, diff: bool = False, env: dict | None = None, verbosity: int = 0):
        """Run ecs_instance once; returns (result dict, completed process)."""
        results, proc = self.modules([args], check=check, diff=diff, env=env, verbosity=verbosity)
        return results[0], proc

    def modules(self, args_list: list[dict[str, Any]], check: bool = False, diff: bool = False, env: dict | None = None,
                verbosity: int = 0, module: str = "alicloud.ecs.ecs_instance"):
        """Run several tasks in one ansible-playbook process (saves its start-up time); returns (results, process)."""
        return self.steps([{"args": args, "check": check, "diff": diff} for args in args_list], env=env,
                          verbosity=verbosity, module=module)

    def steps(self, steps: list[dict[str, Any]], env: dict | None = None, verbosity: int = 0,
              module: str = "alicloud.ecs.ecs_instance"):
        """Like ``modules``, each task with its own ``check`` and ``diff`` (``{"args", "check", "diff"}``)."""
        tasks, files = [], []
        for number, step in enumerate(steps):
            files.append(self.workdir / ("result-%s.json" % uuid.uuid4().hex))
            tasks.append({"name": "Run %s %d" % (module, number), module: step["args"], "register": "result",
                          "ignore_errors": True, "check_mode": bool(step.get("check")), "diff": bool(step.get("diff"))})
            tasks.append({"name": "Save result %d" % number,
                          "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(files[-1])}})
        play = [{"name": "Module run", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
        path = self.workdir / ("play-%s.yml" % uuid.uuid4().hex)
        path.write_text(json.dumps(play))
        proc = self.playbook(path, env=env, verbosity=verbosity)
        assert all(f.exists() for f in files), proc.stdout + proc.stderr
        return [json.loads(f.read_text()) for f in files], proc
