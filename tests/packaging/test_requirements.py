"""The requirement files of the extra venvs repeat pins of the tested ones; they must agree.

.venv-demo (requirements-demo.txt) runs `make demo` with what .venv tests;
.venv-importer (requirements-importer.txt) runs galaxy-importer with the
ansible-core of .venv and the ansible-lint of .venv-lint; .venv-docs
(requirements-docs.txt) builds the docsite with the ansible-core and
antsibull-docs of .venv-lint.
"""

from __future__ import annotations

import re

import pytest

from tests.packaging.support import REPO_ROOT

PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")
# Test tools that have no place in the demo's runtime-only venv.
TEST_TOOLS = {"pytest", "pytest-xdist", "ansible-builder", "molecule", "ansible-lint", "mypy"}


def pins(name: str) -> dict[str, str]:
    """Exact pins of a requirement file, following its -r includes."""
    result: dict[str, str] = {}
    for line in (REPO_ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            result.update(pins(line[3:].strip()))
        elif match := PIN.match(line):
            result[match.group(1).lower()] = match.group(2)
    return result


def requirement_names(name: str) -> set[str]:
    names = set()
    for line in (REPO_ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("-r "):
            names |= requirement_names(line[3:].strip())
        elif line:
            names.add(re.split(r"[<>=!~\[; ]", line, maxsplit=1)[0].lower())
    return names


@pytest.mark.parametrize(("extra", "tested"), [
    ("requirements-demo.txt", "requirements-dev.txt"),
    ("requirements-importer.txt", "requirements-dev.txt"),
    ("requirements-importer.txt", "requirements-lint.txt"),
    ("requirements-docs.txt", "requirements-lint.txt"),
])
def test_shared_pins_agree(extra, tested):
    extra_pins, tested_pins = pins(extra), pins(tested)
    shared = set(extra_pins) & set(tested_pins)
    assert shared, f"{extra} and {tested} share no pin"
    assert {name: extra_pins[name] for name in shared} == {name: tested_pins[name] for name in shared}


def test_demo_venv_is_runtime_only():
    names = requirement_names("requirements-demo.txt")
    assert requirement_names("requirements.txt") <= names
    assert "ansible-core" in names
    assert not names & TEST_TOOLS, names & TEST_TOOLS
    # Everything the demo installs is pinned to the version the tests run.
    assert names <= set(pins("requirements-demo.txt")), names - set(pins("requirements-demo.txt"))
