"""`ansible-galaxy collection build` ships the collection and nothing else."""

from __future__ import annotations

import json
import subprocess
import tarfile

import pytest
import yaml

from tests.packaging.support import REPO_ROOT

# Everything allowed at the top of the tarball. A new top-level file or
# directory must be added here (shipped) or to build_ignore in galaxy.yml.
SHIPPED_TOP_LEVEL = {
    "CHANGELOG.rst",
    "COPYING",
    "FILES.json",
    "MANIFEST.json",
    "README.md",
    "bindep.txt",
    "changelogs",
    "docs",
    "execution-environment.yml",
    "extensions",
    "meta",
    "playbooks",
    "plugins",
    "requirements.txt",
    "roles",
}
REQUIRED = [
    "COPYING",
    "README.md",
    "bindep.txt",
    "extensions/audit/event_query.yml",
    "extensions/awx/credential_type.yml",
    "meta/execution-environment.yml",
    "meta/runtime.yml",
    "plugins",
    "requirements.txt",
]
# Development-only paths, named explicitly so that a failure says which leaked.
NEVER_SHIPPED = [
    ".ansible-lint",
    ".cache",
    ".ci",
    ".git",
    ".ansible",
    ".gitignore",
    ".tmp",
    ".venv",
    ".venv-demo",
    ".venv-importer",
    ".venv-lint",
    ".venv-oldest",
    ".yamllint",
    "CONTRIBUTING.md",
    "Makefile",
    "bench",
    "changelogs/fragments",
    "context",
    "emulator",
    "extensions/molecule",
    "pyproject.toml",
    "requirements-demo.txt",
    "requirements-dev.txt",
    "requirements-importer.txt",
    "requirements-lint.txt",
    "requirements-molecule.txt",
    "requirements-oldest.txt",
    "requirements-test.txt",
    "scripts",
    "tests",
]


def _tracked(*paths: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", "--", *paths], cwd=REPO_ROOT, capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if (REPO_ROOT / line).exists()]


def test_only_collection_content_at_top_level(tarball_members):
    top_level = {name.split("/", 1)[0] for name in tarball_members}
    assert top_level <= SHIPPED_TOP_LEVEL, f"not collection content, add to build_ignore: {top_level - SHIPPED_TOP_LEVEL}"


@pytest.mark.parametrize("path", NEVER_SHIPPED)
def test_development_files_are_not_shipped(tarball_members, path):
    leaked = [name for name in tarball_members if name == path or name.startswith(path + "/")]
    assert not leaked, leaked


def test_no_build_litter(tarball_members):
    litter = [
        name
        for name in tarball_members
        if "__pycache__" in name.split("/") or name.endswith((".pyc", ".tar.gz", ".retry")) or ".egg-info" in name
    ]
    assert not litter, litter


@pytest.mark.parametrize("path", REQUIRED)
def test_required_files_are_shipped(tarball_members, path):
    assert path in tarball_members


def test_every_tracked_plugin_role_and_playbook_file_is_shipped(tarball_members):
    tracked = _tracked("plugins", "roles", "playbooks", "docs/docsite", "meta", "extensions/audit", "extensions/awx")
    assert tracked, "git ls-files found no collection content"
    missing = sorted(set(tracked) - set(tarball_members))
    assert not missing, missing


def test_manifest_names_the_collection(built_tarball):
    galaxy = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
    with tarfile.open(built_tarball) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))
    info = manifest["collection_info"]
    assert (info["namespace"], info["name"], info["version"]) == (galaxy["namespace"], galaxy["name"], galaxy["version"])
    assert built_tarball.name == f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
