"""Make ``tests.helpers`` and the emulator package importable from every test suite."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT, ROOT / "emulator"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
