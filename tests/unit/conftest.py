"""Make ``ansible_collections.alicloud.ecs`` importable (a temp tree with a symlink to the repo root); unit fixtures.

The shared kit (fake clock, module parameters from the real argument spec) is
tests/unit/kit.py, imported as ``ansible_collections.alicloud.ecs.tests.unit.kit``.
"""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _collection_root() -> str:
    base = Path(tempfile.mkdtemp(prefix="alicloud-ecs-units-"))
    namespace = base / "ansible_collections" / "alicloud"
    namespace.mkdir(parents=True)
    (namespace / "ecs").symlink_to(ROOT, target_is_directory=True)
    atexit.register(shutil.rmtree, base, True)
    return str(base)


if not any(Path(p, "ansible_collections", "alicloud", "ecs").exists() for p in sys.path if p):
    sys.path.insert(0, _collection_root())


@pytest.fixture
def fake_clock():
    """A FakeClock (tests/unit/kit.py): give ``clock=fake_clock, sleep=fake_clock.sleep`` to a waiter or retry loop."""
    from ansible_collections.alicloud.ecs.tests.unit.kit import FakeClock  # importable only once the tree above exists

    return FakeClock()
