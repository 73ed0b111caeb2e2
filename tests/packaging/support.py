"""Helpers for the packaging tests (tests/packaging).

Tools are taken from the virtual environment that runs pytest (``.venv`` in
``make test``), so the tests exercise the pinned ansible-core and
ansible-builder.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = Path(sys.executable).parent
COMMAND_TIMEOUT = 300


def tool(name: str) -> str:
    """Path of a console script installed next to the running Python."""
    path = BIN_DIR / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in {BIN_DIR}: run the tests through `make test` (requirements-dev.txt)")
    return str(path)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run a command, failing the test with its whole output if it fails."""
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=COMMAND_TIMEOUT, **kwargs)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(cmd)} exited {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result


def ansible_env(collections_path: Path, home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for ansible-* commands that only sees collections_path.

    Nothing from the caller's Ansible or Alibaba Cloud settings leaks in:
    the collection must work from what the test passes.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ANSIBLE_", "ALICLOUD_", "ALIBABA_CLOUD_")) and key.lower() not in ("http_proxy", "https_proxy")
    }
    env.update(
        ANSIBLE_COLLECTIONS_PATH=str(collections_path),
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="false",
        ANSIBLE_HOME=str(home),
        ANSIBLE_LOCAL_TEMP=str(home / "tmp"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="false",
        NO_PROXY="127.0.0.1,localhost",
    )
    env.update(extra or {})
    return env
