"""`molecule test` of extensions/molecule/default (roles ecs_provision and ecs_teardown against the emulator).

Molecule runs in a copy of the collection laid out as
ansible_collections/alicloud/ecs, so its prerun, its cache (.ansible/) and the
scenario's emulator state stay out of the work tree, and parallel runs cannot
meet. The scenario starts and stops its own emulator.

Molecule comes from requirements-molecule.txt; without it in the running
environment the test is skipped with that reason.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# Development-only parts of the repository that the scenario does not need.
LEFT_OUT = ("tests/", "emulator/", "bench/", "scripts/", ".ci/", "docs/", "changelogs/")
TIME_LIMIT = 180


def _copy_collection(dest: Path) -> None:
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO_ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = REPO_ROOT / name
        if name.startswith(LEFT_OUT) or not source.is_file():
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def test_molecule_default_scenario(tmp_path):
    # By distribution, not by import: tests/molecule itself would import as a namespace package.
    try:
        version("molecule")
    except PackageNotFoundError:
        pytest.skip(f"molecule is not installed in {sys.prefix}: pip install -r requirements-molecule.txt")
    molecule = BIN / "molecule"
    assert molecule.exists(), f"the molecule distribution is installed but {molecule} is missing"
    collection = tmp_path / "ansible_collections" / "alicloud" / "ecs"
    _copy_collection(collection)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "ALICLOUD_", "ALIBABA_CLOUD_", "MOLECULE_", "VIRTUAL_ENV"))}
    env.update(
        PATH=os.pathsep.join([str(BIN), env.get("PATH", "")]),
        ANSIBLE_COLLECTIONS_PATH=str(tmp_path),
        ANSIBLE_HOME=str(tmp_path / "ansible-home"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        NO_COLOR="1",
        ALICLOUD_CONFIG_FILE=str(tmp_path / "no-aliyun-cli-config.json"),
        NO_PROXY="127.0.0.1,localhost",
    )
    # TIME_LIMIT only stops a hang; speed is for benchmarks (make bench), never for a test.
    result = subprocess.run([str(molecule), "test"], cwd=collection, env=env, capture_output=True, text=True,
                            timeout=TIME_LIMIT + 120)
    output = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    assert result.returncode == 0, output[-20000:]
    for step in ("create", "converge", "idempotence", "verify", "destroy"):
        assert re.search(rf"default (>|\u279c) {step}: Executed: Successful", output), output[-20000:]
    assert not list(collection.glob(".ansible/tmp/**/ecs-emulator/pid")), "the emulator was left running"
