"""README.md is shipped: it is the collection's page on Galaxy. Its top is for
someone who installs the collection, and its links work there: relative ones
only to files in the tarball, absolute ones into the source repository for
files it does not ship (CONTRIBUTING.md, emulator/, bench/, ...)."""

from __future__ import annotations

import re

from tests.packaging.support import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
REPOSITORY = "https://github.com/alicloud-ecs/alicloud.ecs"
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _links() -> list[str]:
    return LINK.findall(README)


def test_opens_with_what_a_galaxy_user_needs():
    first_section = README.split("\n## ", 2)[:2]
    opening = "\n## ".join(first_section)
    assert REPOSITORY in opening
    assert "make " not in README.split("\n## Use\n", 1)[0], "install and requirements come before any make command"
    headings = re.findall(r"^## (.+)$", README, re.MULTILINE)
    assert headings.index("Requirements") < headings.index("Install") < headings.index("Use")
    assert headings.index("Use") < min(i for i, h in enumerate(headings) if "make demo" in h)
    assert "ansible-galaxy collection install alicloud.ecs" in README


def test_pip_line_is_requirements_txt():
    wanted = [line.strip() for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    pip_line = re.search(r"^\$ pip install (.+)$", README, re.MULTILINE).group(1)
    assert [word.strip("'\"") for word in pip_line.split()] == wanted


def test_relative_links_point_into_the_tarball(tarball_members):
    relative = [link for link in _links() if not re.match(r"[a-z]+:", link) and not link.startswith("#")]
    assert relative, "no relative link left: fine, but then drop this test"
    missing = [link for link in relative if link.split("#", 1)[0] not in tarball_members]
    assert not missing, f"not in the tarball (link them as {REPOSITORY}/blob/main/...): {missing}"


def test_repository_links_name_existing_files():
    prefix = re.compile(re.escape(REPOSITORY) + r"/(?:blob|tree)/main/([^#)]+)")
    paths = [match.group(1) for link in _links() if (match := prefix.match(link))]
    assert {"CONTRIBUTING.md", "emulator/README.md", "bench/README.md"} <= set(paths)
    assert [path for path in paths if not (REPO_ROOT / path).exists()] == []


def test_anchors_exist():
    slugs = {re.sub(r"[^\w\- ]", "", heading).strip().lower().replace(" ", "-")
             for heading in re.findall(r"^#+ (.+)$", README, re.MULTILINE)}
    anchors = [link[1:] for link in _links() if link.startswith("#")]
    assert [anchor for anchor in anchors if anchor not in slugs] == []


def test_the_commands_ci_and_design_rely_on_are_shown():
    for command in ("make demo", "make test", "make bench", "make emulator"):
        assert command in README, command
