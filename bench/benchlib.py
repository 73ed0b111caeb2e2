"""Helpers shared by bench/quota_bench.py and bench/old_modules_bench.py: install the collection as
users get it, run ansible-playbook against an emulator, read the play recap, count calls."""

from __future__ import annotations

import collections
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.helpers.emulator import DEFAULT_KEY, Emulator  # noqa: E402

BIN = Path(sys.executable).parent


def tool(name: str, bindir: Path = BIN) -> str:
    return str(bindir / name) if (bindir / name).exists() else name


def log(prefix: str, message: str) -> None:
    print("[%s %s] %s" % (prefix, time.strftime("%H:%M:%S"), message), file=sys.stderr, flush=True)


def install_collection(work: Path) -> Path:
    """Build the tarball from the working tree and install it (as tests/integration and bench/run.py do)."""
    build = [tool("ansible-galaxy"), "collection", "build", "--force", "--output-path", str(work), str(ROOT)]
    subprocess.run(build, check=True, capture_output=True, text=True)
    tarball = next(work.glob("alicloud-ecs-*.tar.gz"))
    target = work / "collections"
    install = [tool("ansible-galaxy"), "collection", "install", "--force", "-p", str(target), str(tarball)]
    subprocess.run(install, check=True, capture_output=True, text=True)
    return target


def ansible_env(emu: Emulator, region: str, home: Path, collections_path: Path | None = None,
                extra: dict[str, str] | None = None) -> dict[str, str]:
    """A clean environment: no ALICLOUD_/ALIBABA_CLOUD_/ANSIBLE_ variable of the caller leaks in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALICLOUD_", "ALIBABA_CLOUD_", "ANSIBLE_"))}
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        env.pop(name, None)
    env.update(
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        ANSIBLE_LOCALHOST_WARNING="0",
        ANSIBLE_INVENTORY_UNPARSED_WARNING="0",
        ANSIBLE_DEPRECATION_WARNINGS="0",
        ALICLOUD_REGION=region,
        ALICLOUD_ACCESS_KEY=DEFAULT_KEY[0],
        ALICLOUD_SECRET_KEY=DEFAULT_KEY[1],
        ALICLOUD_ECS_ENDPOINT=emu.endpoint,
        ALICLOUD_CONFIG_FILE=str(home / "no-such-config.json"),
        HOME=str(home),
    )
    if collections_path is not None:
        env["ANSIBLE_COLLECTIONS_PATH"] = str(collections_path)
    env.update(extra or {})
    home.mkdir(parents=True, exist_ok=True)
    return env


def playbook_command(playbook: Path, python: str, extra_vars: dict[str, Any], bindir: Path = BIN) -> list[str]:
    return [tool("ansible-playbook", bindir), "-i", "localhost,", "-c", "local", str(playbook),
            "-e", json.dumps({"ansible_python_interpreter": python, **extra_vars})]


RECAP = re.compile(r"^localhost\s*:\s*(.*)$", re.M)


def recap(stdout: str) -> dict[str, int]:
    """The PLAY RECAP counters of localhost (ok, changed, failed, ...); {} when there is none."""
    found = RECAP.findall(stdout)
    if not found:
        return {}
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", found[-1])}


def count_calls(calls: list[dict]) -> dict[str, Any]:
    by_action = collections.Counter(c["action"] for c in calls)
    codes = collections.Counter(c.get("code") for c in calls if c.get("code"))
    return {"total": len(calls), "by_action": dict(sorted(by_action.items())), "errors": dict(sorted(codes.items()))}


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"
