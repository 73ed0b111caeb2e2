"""Make ``ansible_collections.alicloud.ecs`` importable: a temp tree with a symlink to the repo root."""

from __future__ import annotations

import atexit
import shutil
import sys
import tempfile
from pathlib import Path

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
