"""Fixtures for the role and playbook tests: the collection installed from its
tarball, one emulator (no transition delays), and ansible-playbook by FQCN."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.emulator import DEFAULT_KEY, Emulator

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REGION = "cn-hangzhou"
# Emulator seed ids of cn-hangzhou (zone h).
NETWORK_VARS = {
    "ecs_provision_image_id": "aliyun_3_x64_20G_alibase_20240528.vhd",
    "ecs_provision_instance_type": "ecs.g6.large",
    "ecs_provision_vswitch_id": "vsw-bp1emudefaulth",
    "ecs_provision_security_group_ids": ["sg-bp1emudefault"],
}


def _tool(name: str) -> str:
    return str(BIN / name) if (BIN / name).exists() else name


@pytest.fixture(scope="session")
def installed_collection(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("roles-collection")
    subprocess.run([_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work), str(REPO_ROOT)],
                   check=True, capture_output=True, text=True)
    tarball = next(work.glob("alicloud-ecs-*.tar.gz"))
    subprocess.run([_tool("ansible-galaxy"), "collection", "install", "--offline", "--force", "-p", str(work / "collections"),
                    str(tarball)], check=True, capture_output=True, text=True)
    return work / "collections"


@pytest.fixture(scope="session")
def roles_emulator():
    with Emulator("--quiet", "--delays", "fast") as emu:
        yield emu


@pytest.fixture
def emulator(roles_emulator: Emulator) -> Emulator:
    roles_emulator.reset()
    return roles_emulator


class Runner:
    def __init__(self, collections: Path, emu: Emulator, workdir: Path) -> None:
        self.collections, self.emu, self.workdir = collections, emu, workdir

    def env(self, credentials_in_env: bool = True) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "ALICLOUD_", "ALIBABA_CLOUD_"))}
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(self.collections),
            ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
            ANSIBLE_HOME=str(self.workdir / "ansible-home"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ALICLOUD_CONFIG_FILE=str(self.workdir / "no-such-config.json"),
            NO_PROXY="127.0.0.1,localhost",
        )
        if credentials_in_env:
            env.update(ALICLOUD_ACCESS_KEY=DEFAULT_KEY[0], ALICLOUD_SECRET_KEY=DEFAULT_KEY[1], ALICLOUD_REGION=REGION,
                       ALICLOUD_ECS_ENDPOINT=self.emu.endpoint)
        return env

    def playbook(self, name: str, extra_vars: dict | None = None, credentials_in_env: bool = True) -> subprocess.CompletedProcess:
        cmd = [_tool("ansible-playbook"), name if name.endswith(".yml") else f"alicloud.ecs.{name}"]
        cmd += ["-e", json.dumps(extra_vars or {})]
        return self._run(cmd, credentials_in_env)

    def playbook_strings(self, name: str, values: dict[str, str], form: str,
                         credentials_in_env: bool = True) -> subprocess.CompletedProcess:
        """Every value a string, passed the way users pass them: one ``-e name=value`` each (form "cli", the
        README's commands), or one JSON dict of strings (form "awx": how AWX hands over survey answers)."""
        assert all(isinstance(value, str) for value in values.values()), values
        cmd = [_tool("ansible-playbook"), name if name.endswith(".yml") else f"alicloud.ecs.{name}"]
        if form == "cli":
            for key, value in values.items():
                assert " " not in value, f"{key}: -e name=value splits on spaces"
                cmd += ["-e", f"{key}={value}"]
        elif form == "awx":
            cmd += ["-e", json.dumps(values)]
        else:
            raise ValueError(form)
        return self._run(cmd, credentials_in_env)

    def _run(self, cmd: list[str], credentials_in_env: bool) -> subprocess.CompletedProcess:
        return subprocess.run(cmd, capture_output=True, text=True, env=self.env(credentials_in_env), cwd=self.workdir,
                              timeout=300)


@pytest.fixture
def runner(installed_collection: Path, emulator: Emulator, tmp_path: Path) -> Runner:
    return Runner(installed_collection, emulator, tmp_path)
