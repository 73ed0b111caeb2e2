"""ansible-builder accepts the execution environment definitions."""

from __future__ import annotations

import yaml

from tests.packaging.support import REPO_ROOT, run, tool


def _requirement_lines(path):
    lines = (REPO_ROOT / path).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def test_collection_meta_points_at_shipped_dependency_files():
    meta = yaml.safe_load((REPO_ROOT / "meta" / "execution-environment.yml").read_text())
    assert meta["version"] == 1
    assert meta["dependencies"] == {"python": "requirements.txt", "system": "bindep.txt"}
    assert _requirement_lines("requirements.txt"), "requirements.txt lists no package"


def test_ansible_builder_create(tmp_path):
    context = tmp_path / "context"
    run(
        [tool("ansible-builder"), "create", "-f", "execution-environment.yml", "--context", str(context),
         "--output-filename", "Containerfile"],
        cwd=str(REPO_ROOT),
    )
    containerfile = (context / "Containerfile").read_text()
    for needle in ("_build/requirements.txt", "_build/bindep.txt", "requirements.yml", "ansible-core", "ansible-runner"):
        assert needle in containerfile, needle

    build = context / "_build"
    for requirement in _requirement_lines("requirements.txt"):
        assert requirement in (build / "requirements.txt").read_text()
    for package in _requirement_lines("bindep.txt"):
        assert package in (build / "bindep.txt").read_text()
    galaxy = yaml.safe_load((build / "requirements.yml").read_text())
    assert {"name": "alicloud.ecs"} in galaxy["collections"]
