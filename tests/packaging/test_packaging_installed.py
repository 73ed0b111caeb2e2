"""The built tarball, installed into an empty collections path, works by FQCN.

Marked smoke: `make test-oldest` runs these on the oldest supported ansible-core.

Credentials reach the modules the way AWX passes them: through the
environment that extensions/awx/credential_type.yml injects, rendered here
from its injector templates as AWX renders them.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import jinja2
import pytest
import yaml

from tests.helpers.emulator import DEFAULT_KEY, Emulator
from tests.packaging.support import REPO_ROOT, ansible_env, run, tool

MODULES = sorted(path.stem for path in (REPO_ROOT / "plugins" / "modules").glob("*.py") if path.stem != "__init__")
CREDENTIAL_TYPE = REPO_ROOT / "extensions" / "awx" / "credential_type.yml"
REGION = "cn-hangzhou"

# Read-only or no-op tasks for the modules the collection is meant to have; the
# playbook runs those that exist (a module not listed here is still checked by
# ansible-doc and by the sanity gate).
SMOKE_TASKS = {
    "ecs_instance": {
        "name": "Release an instance that does not exist",
        "alicloud.ecs.ecs_instance": {"name": "test_packaging_absent", "state": "absent"},
        "register": "result",
    },
    "ecs_instance_info": {
        "name": "List instances",
        "alicloud.ecs.ecs_instance_info": {},
        "register": "result",
    },
}
SMOKE_ASSERTS = {
    "ecs_instance": "result is not changed",
    "ecs_instance_info": "result.instances is sequence",
}


def test_modules_exist():
    assert MODULES, "plugins/modules has no module to package"


@pytest.mark.smoke
@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_from_installed_collection(installed, tmp_path, module):
    env = ansible_env(installed, tmp_path)
    result = run([tool("ansible-doc"), f"alicloud.ecs.{module}"], env=env, cwd=str(tmp_path))
    assert f"alicloud.ecs.{module}" in result.stdout
    assert str(installed / "ansible_collections" / "alicloud" / "ecs" / "plugins" / "modules") in result.stdout
    json_doc = json.loads(run([tool("ansible-doc"), "--json", f"alicloud.ecs.{module}"], env=env, cwd=str(tmp_path)).stdout)
    assert json_doc[f"alicloud.ecs.{module}"]["doc"]["module"] == module


def awx_injected_env(inputs: dict[str, str]) -> dict[str, str]:
    """The environment AWX gives a job using a credential of our type with these inputs."""
    injectors = yaml.safe_load(CREDENTIAL_TYPE.read_text())["injectors"]["env"]
    return {name: jinja2.Template(template).render(**inputs) for name, template in injectors.items()}


@pytest.mark.smoke
def test_playbook_runs_by_fqcn_against_emulator(installed, tmp_path):
    smoke = [module for module in MODULES if module in SMOKE_TASKS]
    assert smoke, f"none of {sorted(SMOKE_TASKS)} exists in plugins/modules ({MODULES})"
    playbook = [
        {
            "name": "Smoke test of the installed alicloud.ecs collection",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                task
                for module in smoke
                for task in (
                    SMOKE_TASKS[module],
                    {"name": f"Check {module}", "ansible.builtin.assert": {"that": [SMOKE_ASSERTS[module]]}},
                )
            ],
        }
    ]
    (tmp_path / "smoke.yml").write_text(yaml.safe_dump(playbook, sort_keys=False))
    (tmp_path / "inventory.ini").write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n"
    )
    with Emulator("--delays", "fast") as emulator:
        env = ansible_env(
            installed,
            tmp_path,
            awx_injected_env(
                {"access_key": DEFAULT_KEY[0], "secret_key": DEFAULT_KEY[1], "region": REGION,
                 "ecs_endpoint": emulator.endpoint}
            ),
        )
        result = run(
            [tool("ansible-playbook"), "-i", "inventory.ini", "smoke.yml"],
            env=env,
            cwd=str(tmp_path),
        )
        actions = {call["action"] for call in emulator.calls()}
    assert "failed=0" in result.stdout, result.stdout
    assert actions, "the playbook made no API call to the emulator"
    assert DEFAULT_KEY[1] not in result.stdout
