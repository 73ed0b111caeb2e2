"""Integration fixtures: the collection as installed from its tarball, one emulator, real ansible-playbook.

The emulator runs with zero transition delays unless a test asks for delays
(``emulator_delays``).  Extra emulator arguments can be given in
``ALICLOUD_TEST_EMULATOR_ARGS`` (split on spaces).  The runner, constants and
call-log helpers are in tests/helpers/ansible_cli.py.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.ansible_cli import IMAGE, NETWORK, NO_DELAYS, Ansible, install_collection
from tests.helpers.emulator import Emulator


@pytest.fixture(scope="session")
def collections_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the tarball and install it, so modules run exactly as users get them."""
    return install_collection(tmp_path_factory.mktemp("collection"))


@pytest.fixture(scope="session")
def emulator() -> Any:
    extra = os.environ.get("ALICLOUD_TEST_EMULATOR_ARGS", "").split()
    with Emulator("--quiet", *extra) as emu:
        emu.control("POST", "config", {"delays": NO_DELAYS})
        yield emu


@pytest.fixture(scope="session")
def ansible(collections_dir: Path, emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Ansible:
    return Ansible(collections_dir, emulator, tmp_path_factory.mktemp("ansible"))


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A unique instance name per test (2-128 chars, starts with a letter)."""
    return "test_%s_%s" % (request.node.name[:40].replace("[", "_").replace("]", ""), uuid.uuid4().hex[:6])


@pytest.fixture
def create_args(name: str) -> dict[str, Any]:
    return dict(name=name, **IMAGE, **NETWORK)
