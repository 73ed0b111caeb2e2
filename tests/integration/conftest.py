"""Integration fixtures: the collection as installed from its tarball, one emulator, real ansible-playbook.

The emulator runs with zero transition delays unless a test asks for delays
(``emulator_delays``).  Extra emulator arguments can be given in
``ALICLOUD_TEST_EMULATOR_ARGS`` (split on spaces).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.emulator import DEFAULT_KEY, Emulator

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TARGETS = Path(__file__).resolve().parent / "targets"
REGION = "cn-beijing"
NETWORK = {"vswitch_id": "vsw-2zeemudefaulth", "security_group_ids": ["sg-2zeemudefault"]}
IMAGE = {"image_id": "ubuntu_22_04_x64_20G_alibase_20240130.vhd", "instance_type": "ecs.n1.small"}
NO_DELAYS = {"Pending": 0, "Starting": 0, "Stopping": 0}
MUTATING = {
    "RunInstances", "CreateInstance", "StartInstances", "StopInstances", "RebootInstances", "DeleteInstances",
    "StartInstance", "StopInstance", "RebootInstance", "DeleteInstance", "ModifyInstanceAttribute",
    "TagResources", "UntagResources", "ModifyInstanceChargeType", "JoinSecurityGroup", "LeaveSecurityGroup",
}


def _ansible_tool(name: str) -> str:
    return str(BIN / name) if (BIN / name).exists() else name


@pytest.fixture(scope="session")
def collections_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the tarball and install it, so modules run exactly as users get them."""
    work = tmp_path_factory.mktemp("collection")
    build = [_ansible_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work), str(ROOT)]
    subprocess.run(build, check=True, capture_output=True, text=True)
    tarball = next(work.glob("alicloud-ecs-*.tar.gz"))
    install = [_ansible_tool("ansible-galaxy"), "collection", "install", "--force", "-p", str(work / "collections"), str(tarball)]
    subprocess.run(install, check=True, capture_output=True, text=True)
    return work / "collections"


@pytest.fixture(scope="session")
def emulator() -> Any:
    extra = os.environ.get("ALICLOUD_TEST_EMULATOR_ARGS", "").split()
    with Emulator("--quiet", *extra) as emu:
        emu.control("POST", "config", {"delays": NO_DELAYS})
        yield emu


@contextmanager
def emulator_delays(emu: Emulator, delays: dict[str, float]):
    emu.control("POST", "config", {"delays": delays})
    try:
        yield
    finally:
        emu.control("POST", "config", {"delays": NO_DELAYS})


def mutating_calls(calls: list[dict]) -> list[dict]:
    return [c for c in calls if c["action"] in MUTATING and c["parameters"].get("DryRun", "").lower() != "true"]


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
        cmd = [_ansible_tool("ansible-playbook"), "-i", "localhost,", "-c", "local", str(path)]
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
        tasks, files = [], []
        for number, args in enumerate(args_list):
            files.append(self.workdir / ("result-%s.json" % uuid.uuid4().hex))
            tasks.append({"name": "Run %s %d" % (module, number), module: args, "register": "result",
                          "ignore_errors": True, "check_mode": check, "diff": diff})
            tasks.append({"name": "Save result %d" % number,
                          "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": str(files[-1])}})
        play = [{"name": "Module run", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
        path = self.workdir / ("play-%s.yml" % uuid.uuid4().hex)
        path.write_text(json.dumps(play))
        proc = self.playbook(path, env=env, verbosity=verbosity)
        assert all(f.exists() for f in files), proc.stdout + proc.stderr
        return [json.loads(f.read_text()) for f in files], proc


@pytest.fixture(scope="session")
def ansible(collections_dir: Path, emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Ansible:
    return Ansible(collections_dir, emulator, tmp_path_factory.mktemp("ansible"))


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A unique instance name per test (2-128 chars, starts with a letter)."""
    return "test_%s_%s" % (request.node.name[:40].replace("[", "_").replace("]", ""), uuid.uuid4().hex[:6])


@pytest.fixture
def create_args(name: str) -> dict[str, Any]:
    return dict(name=name, **IMAGE, **NETWORK)
