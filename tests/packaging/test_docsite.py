"""The documentation site's sources: generated pages current, every page in the table of contents."""

from __future__ import annotations

import subprocess
import sys

import yaml

from tests.packaging.support import REPO_ROOT

DOCSITE = REPO_ROOT / "docs" / "docsite"


def test_pages_generated_from_markdown_are_current():
    """docs/guide.md, migration.md and versioning.md are the sources; their rst is generated (make docs-rst)."""
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "md2rst.py"), "--check"],
                            capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def test_every_page_is_in_the_table_of_contents():
    sections = yaml.safe_load((DOCSITE / "extra-docs.yml").read_text())["sections"]
    listed = [entry if isinstance(entry, str) else entry["ref"] for section in sections for entry in section["toctree"]]
    pages = sorted(path.stem for path in (DOCSITE / "rst").glob("*.rst"))
    assert sorted(listed) == pages


def test_every_page_has_its_label():
    """Pages link each other with :ref: to ansible_collections.alicloud.ecs.docsite.<page> (antsibull-docs' scheme)."""
    for path in (DOCSITE / "rst").glob("*.rst"):
        assert ".. _ansible_collections.alicloud.ecs.docsite.%s:\n" % path.stem in path.read_text(), path.name
