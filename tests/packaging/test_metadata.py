"""galaxy.yml carries what Galaxy and Automation Hub require, and the files
that repeat it agree with it (the full check is `make galaxy-importer`)."""

from __future__ import annotations

import ast
import re

import yaml

from tests.packaging.support import REPO_ROOT

HOME = "https://github.com/alicloud-ecs/alicloud.ecs"
# Automation Hub certification: at least one of these tags (galaxy-importer's list).
CERTIFICATION_TAGS = {"application", "cloud", "database", "infrastructure", "linux", "monitoring", "networking",
                      "security", "storage", "tools", "windows"}


def _galaxy() -> dict:
    return yaml.safe_load((REPO_ROOT / "galaxy.yml").read_text())


def _collection_version_constant() -> str:
    tree = ast.parse((REPO_ROOT / "plugins" / "module_utils" / "_client.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "COLLECTION_VERSION" for t in node.targets):
            return ast.literal_eval(node.value)
    raise AssertionError("plugins/module_utils/_client.py has no COLLECTION_VERSION")


def test_project_links():
    galaxy = _galaxy()
    assert galaxy["repository"] == HOME
    assert galaxy["homepage"] == HOME
    assert galaxy["issues"] == HOME + "/issues"
    assert galaxy["documentation"].startswith("https://")


def test_version_is_what_automation_hub_accepts():
    version = _galaxy()["version"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), version
    assert tuple(int(part) for part in version.split(".")) >= (1, 0, 0), version


def test_user_agent_version_is_the_galaxy_version():
    assert _collection_version_constant() == _galaxy()["version"]


def test_a_certification_tag():
    assert CERTIFICATION_TAGS & set(_galaxy()["tags"])


def test_docsite_links_point_at_the_repository():
    links = yaml.safe_load((REPO_ROOT / "docs" / "docsite" / "links.yml").read_text())
    assert links["edit_on_github"]["repository"] == HOME.removeprefix("https://github.com/")
    assert links["issue_tracker"] == _galaxy()["issues"]
