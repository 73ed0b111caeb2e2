"""Reliability fixtures: the installed collection (as for tests/integration), one emulator per test, a runner."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.helpers.ansible_cli import install_collection

from .support import Runner, new_emulator


@pytest.fixture(scope="session")
def collections_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tarball of the work tree, built and installed once per session."""
    return install_collection(tmp_path_factory.mktemp("collection"))


@pytest.fixture
def emu():
    """A private emulator: zero delays, only this test's instances and calls."""
    emulator = new_emulator()
    try:
        yield emulator
    finally:
        emulator.close()


@pytest.fixture
def runner(collections_dir: Path, emu, tmp_path: Path) -> Runner:
    return Runner(collections_dir, emu, tmp_path)


@pytest.fixture
def name(request: pytest.FixtureRequest) -> str:
    """A unique instance name (2-128 chars, starts with a letter)."""
    return "rel-%s-%s" % (request.node.originalname.replace("_", "-")[:30], uuid.uuid4().hex[:6])
