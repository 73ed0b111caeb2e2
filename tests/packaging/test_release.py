"""What a release needs: the changelog shipped, and version_added naming real releases."""

from __future__ import annotations

import ast
import fnmatch
import re
from pathlib import Path

import pytest
import yaml

from tests.packaging.support import REPO_ROOT

GALAXY = yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())
CHANGELOG_FILES = ["CHANGELOG.rst", "changelogs/changelog.yaml", "changelogs/config.yaml"]


def _version(text: str) -> tuple[int, ...]:
    assert re.fullmatch(r"\d+\.\d+\.\d+", text), text
    return tuple(int(part) for part in text.split("."))


def _ignored(path: str) -> bool:
    """Whether ansible-galaxy's build leaves the path out: a build_ignore pattern matches it or a parent."""
    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in GALAXY.get("build_ignore", []))


@pytest.mark.parametrize("path", CHANGELOG_FILES)
def test_changelog_files_are_not_ignored_by_the_build(path):
    assert not _ignored(path), "galaxy.yml build_ignore would leave %s out of the tarball" % path


def test_changelog_is_shipped_once_released(tarball_members):
    """CHANGELOG.rst appears with the first `make release-changelog`; from then on the tarball carries it."""
    if not (REPO_ROOT / "CHANGELOG.rst").exists():
        pytest.skip("no release yet: make release-changelog writes CHANGELOG.rst")
    assert "CHANGELOG.rst" in tarball_members
    assert "changelogs/changelog.yaml" in tarball_members


def test_antsibull_changelog_writes_the_rst_changelog():
    config = yaml.safe_load((REPO_ROOT / "changelogs" / "config.yaml").read_text())
    assert {"file": "CHANGELOG.rst", "format": "rst"} in config["output"]
    assert config["changes_file"] == "changelog.yaml" and config["notesdir"] == "fragments"
    assert config["prelude_section_name"] == "release_summary"


def _documented_versions() -> dict[str, str]:
    """version_added of every module and plugin (its DOCUMENTATION) and of every role (its main entry point)."""
    found = {}
    for path in sorted((REPO_ROOT / "plugins").glob("*/*.py")):
        if path.parent.name in ("module_utils", "plugin_utils", "doc_fragments") or path.name == "__init__.py":
            continue
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION":
                doc = yaml.safe_load(node.value.value)
                found[str(path.relative_to(REPO_ROOT))] = str(doc.get("version_added"))
    for path in sorted((REPO_ROOT / "roles").glob("*/meta/argument_specs.yml")):
        specs = yaml.safe_load(path.read_text())["argument_specs"]
        found[str(path.relative_to(REPO_ROOT))] = str(specs["main"].get("version_added"))
    return found


def test_version_added_names_a_release_from_1_0_0_on():
    """antsibull-changelog lists a plugin or role as new in the release its version_added names; 1.0.0 is the first."""
    versions = _documented_versions()
    assert len(versions) >= 6, versions
    for path, version in versions.items():
        assert (1, 0, 0) <= _version(version) <= _version(str(GALAXY["version"])), (path, version)
