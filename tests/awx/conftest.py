"""AWX-shaped runs: what AWX does for a job template and an inventory update, with ansible-runner.

AWX (awx/main/tasks/jobs.py, awx/main/models/credential/__init__.py) does, and so do these fixtures:

* a project update installs the project's ``collections/requirements.yml`` with
  ``ansible-galaxy collection install -r collections/requirements.yml -p <project>/collections``
  (here the requirement is the collection tarball built from this work tree);
* the credential's ``injectors.env`` are rendered with Jinja's ImmutableSandboxedEnvironment over the
  credential's non-empty inputs (an empty or missing field renders as ""), and written, like the job's
  environment, to ``env/envvars`` of the private data dir; survey answers go to ``env/extravars`` as strings;
* the job runs ``ansible_runner.run(private_data_dir=..., playbook=...)``; an inventory update runs
  ``ansible-inventory -i <source> --list --export --playbook-dir <project> --output <file>`` through
  ``ansible_runner.run_command``.

Every server is started here on 127.0.0.1 (the emulator serves ECS, STS and the metadata service); the
metadata endpoint goes into the environment the way an AWX admin adds variables (AWX_TASK_ENV), since
it is no field of the credential type.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tests.helpers.ansible_cli import ansible_tool
from tests.helpers.emulator import DEFAULT_KEY, REPO_ROOT, Emulator

CREDENTIAL_TYPE = REPO_ROOT / "extensions" / "awx" / "credential_type.yml"
REGION = "cn-beijing"
ADMIN_ROLE = "acs:ram::1234567890123456:role/emulator-admin"
EXTERNAL_ROLE = "acs:ram::1234567890123456:role/emulator-external"
EXTERNAL_ID = "emulator-external-id"
ECS_ROLE = "EmulatorEcsRole"
BIN = Path(sys.executable).parent


def render_injectors(inputs: dict[str, Any]) -> dict[str, str]:
    """The environment AWX injects for a credential of our type with these inputs."""
    credential_type = yaml.safe_load(CREDENTIAL_TYPE.read_text())
    fields = {field["id"] for field in credential_type["inputs"]["fields"]}
    assert set(inputs) <= fields, set(inputs) - fields
    namespace = {name: value for name, value in inputs.items() if value != ""}
    sandbox = ImmutableSandboxedEnvironment()
    return {name: sandbox.from_string(template).render(**namespace)
            for name, template in credential_type["injectors"]["env"].items()}


def credential_inputs(kind: str, emulator: Emulator) -> dict[str, str]:
    """The three ways to fill in the credential: static keys, keys + RAM role ARN, ECS RAM role name."""
    common = {"region": REGION, "ecs_endpoint": emulator.endpoint}
    if kind == "static":
        return {"access_key": DEFAULT_KEY[0], "secret_key": DEFAULT_KEY[1], **common}
    if kind == "ram_role_arn":
        return {"access_key": DEFAULT_KEY[0], "secret_key": DEFAULT_KEY[1], "assume_role_arn": ADMIN_ROLE,
                "assume_role_session_name": "awx-job", "assume_role_duration_seconds": "900",
                "sts_endpoint": emulator.endpoint, **common}
    if kind == "ecs_ram_role":
        return {"ecs_role_name": ECS_ROLE, **common}
    raise AssertionError(kind)


def task_env(emulator: Emulator) -> dict[str, str]:
    """Extra environment of the AWX instance (AWX_TASK_ENV): the emulator's metadata service."""
    return {"ALICLOUD_ECS_METADATA_ENDPOINT": emulator.endpoint + "/_emulator/metadata"}


@pytest.fixture(scope="session")
def collection_tarball(tmp_path_factory) -> Path:
    """The collection as Galaxy would ship it, built from this work tree once per session."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([ansible_tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(out), str(REPO_ROOT)],
                   check=True, capture_output=True, text=True)
    return next(out.glob("alicloud-ecs-*.tar.gz"))


@pytest.fixture(scope="session")
def emulator():
    with Emulator("--delays", "fast", "--quiet") as emu:
        emu.baseline_config = emu.config()
        yield emu


@pytest.fixture(autouse=True)
def _clean(request, monkeypatch, tmp_path):
    """Nothing of the caller's Alibaba Cloud or Ansible settings reaches a run; the emulator starts afresh."""
    for name in list(os.environ):
        if name.startswith(("ALICLOUD_", "ALIBABA_CLOUD_", "ANSIBLE_")) or name.lower() in ("http_proxy", "https_proxy"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", "%s%s%s" % (BIN, os.pathsep, os.environ.get("PATH", "")))
    (tmp_path / "home").mkdir()
    if "emulator" in request.fixturenames:
        emu = request.getfixturevalue("emulator")
        emu.reset()
        emu.config(emu.baseline_config)
    yield


class AwxJob:
    """A private data dir laid out as AWX lays it out for one job or inventory update."""

    def __init__(self, root: Path, tarball: Path) -> None:
        self.root = root
        self.project = root / "project"
        (self.project / "collections").mkdir(parents=True)
        (root / "env").mkdir()
        (root / "inventory").mkdir()
        requirements = {"collections": [{"name": str(tarball), "type": "file"}]}
        (self.project / "collections" / "requirements.yml").write_text(yaml.safe_dump(requirements))

    def project_update(self) -> None:
        """What AWX's project update runs for collections/requirements.yml."""
        cmd = [ansible_tool("ansible-galaxy"), "collection", "install", "-r", "collections/requirements.yml",
               "-p", str(self.project / "collections")]
        proc = subprocess.run(cmd, cwd=self.project, capture_output=True, text=True, timeout=300, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert (self.project / "collections" / "ansible_collections" / "alicloud" / "ecs" / "MANIFEST.json").is_file()

    def write_env(self, envvars: dict[str, str], extravars: dict[str, str] | None = None) -> None:
        (self.root / "env" / "envvars").write_text(yaml.safe_dump(envvars))
        if extravars is not None:
            assert all(isinstance(value, str) for value in extravars.values()), "survey answers are strings"
            (self.root / "env" / "extravars").write_text(yaml.safe_dump(extravars))

    def run_playbook(self, name: str, playbook: list[dict[str, Any]]):
        import ansible_runner

        (self.project / name).write_text(yaml.safe_dump(playbook, sort_keys=False))
        (self.root / "inventory" / "hosts").write_text(
            "localhost ansible_connection=local ansible_python_interpreter=%s\n" % sys.executable
        )
        return ansible_runner.run(private_data_dir=str(self.root), playbook=name, quiet=True, timeout=600,
                                  suppress_env_files=True)

    def inventory_update(self, source: dict[str, Any], name: str = "awx.ecs.yml"):
        """``ansible-inventory`` as AWX runs an inventory source from the project; returns (data, rc, output)."""
        import ansible_runner

        (self.project / "inventories").mkdir(exist_ok=True)
        path = self.project / "inventories" / name
        path.write_text(yaml.safe_dump(source))
        output = self.root / "artifacts" / "inventory.json"
        output.parent.mkdir(exist_ok=True)
        envvars = yaml.safe_load((self.root / "env" / "envvars").read_text())
        envvars.update(INVENTORY_UPDATE_ID="1", ANSIBLE_INVENTORY_UNPARSED_FAILED="True")
        out, err, rc = ansible_runner.run_command(
            executable_cmd="ansible-inventory",
            cmdline_args=["-i", str(path), "--list", "--export", "--playbook-dir", str(self.project),
                          "--output", str(output), "-v"],
            envvars=envvars,
            host_cwd=str(self.project),
            suppress_env_files=True,
            runner_mode="subprocess",
            quiet=True,
            private_data_dir=str(self.root),
            timeout=300,
        )
        data = json.loads(output.read_text()) if output.exists() else None
        return data, rc, (out or "") + (err or "")

    def artifacts_text(self) -> str:
        """What AWX shows and keeps of the runs: stdout and every job event.

        Left out: ``artifacts/<id>/command``, ansible-runner's record (mode 0600) of the environment it
        was given, i.e. the credential as injected; AWX keeps its own copy of that with secrets replaced.
        """
        parts = []
        for path in sorted((self.root / "artifacts").rglob("*")):
            if path.is_file() and (path.name == "stdout" or path.parent.name == "job_events"):
                parts.append(path.read_text(errors="replace"))
        return "\n".join(parts)


@pytest.fixture
def awx_job(tmp_path, collection_tarball) -> AwxJob:
    job = AwxJob(tmp_path / "pdd", collection_tarball)
    job.project_update()
    return job
