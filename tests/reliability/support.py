"""Helpers of the reliability suite: call-log accounting, output checks, the runner.

The runner extends ``Ansible`` of tests/helpers/ansible_cli.py (the collection as built
and installed from its tarball, real ``ansible-playbook``) with one emulator per
test, so every test sees only its own instances and calls.
"""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.helpers.emulator import Emulator
from tests.helpers.ansible_cli import IMAGE, NETWORK, REGION, Ansible, ansible_tool

HERE = Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
OUTPUT = HERE.parent / "output"
CREATE_ACTIONS = ("RunInstances", "CreateInstance")
# Creation options valid against the emulator's seed network of REGION.
CREATE = dict(IMAGE, **NETWORK)


def is_dry_run(call: dict) -> bool:
    return str(call["parameters"].get("DryRun", "")).lower() == "true"


def committed(call: dict) -> bool:
    """Whether the emulator carried the call out (whatever the client got back).

    A replayed ClientToken is not a new side effect; ``reset`` and ``error``
    faults answer before processing; ``commit_then_*`` faults and timed-out
    (latency) calls are processed.
    """
    fault = call.get("fault") or ""
    if call.get("replay") or is_dry_run(call) or "reset" in fault or "error:" in fault:
        return False
    return call.get("code") is None or "commit_then_error" in fault


def instances_created(calls: list[dict]) -> int:
    """Instances the emulator really created: committed, non-replayed RunInstances/CreateInstance."""
    total = 0
    for call in calls:
        if call["action"] in CREATE_ACTIONS and committed(call):
            total += int(call["parameters"].get("Amount", 1)) if call["action"] == "RunInstances" else 1
    return total


def successful_creates(calls: list[dict]) -> list[dict]:
    return [c for c in calls if c["action"] in CREATE_ACTIONS and committed(c)]


def faults_injected(calls: list[dict]) -> int:
    return sum(1 for c in calls if c.get("fault"))


def named(instances: list[dict], name: str) -> list[dict]:
    return [i for i in instances if i.get("InstanceName") == name]


def tags_of(instance: dict) -> dict[str, str]:
    return {t["TagKey"]: t.get("TagValue", "") for t in instance.get("Tags", {}).get("Tag", [])}


def assert_no_traceback(proc: subprocess.CompletedProcess) -> None:
    text = proc.stdout + proc.stderr
    for marker in ("Traceback (most recent call last)", "MODULE FAILURE", "module_stderr"):
        assert marker not in text, "%s in the output:\n%s" % (marker, text[-6000:])


def write_output(name: str, data: dict[str, Any]) -> Path:
    """Figures of a run, kept under tests/output/ so the docs can quote them."""
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / name
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    return path


class Runner(Ansible):
    """``Ansible`` plus: playbooks of this suite, a result file, check/diff flags, background runs."""

    def env(self, credentials: bool = True, **extra: str) -> dict[str, str]:
        # Pipelining only saves the temporary-file round trips of each module run (local connection).
        return super().env(credentials, **dict({"ANSIBLE_PIPELINING": "1"}, **extra))

    def command(self, playbook: Path, extra_vars: dict | None = None, verbosity: int = 0,
                check: bool = False, diff: bool = False) -> list[str]:
        cmd = [ansible_tool("ansible-playbook"), "-i", "localhost,", "-c", "local", str(playbook)]
        variables = {"ansible_python_interpreter": sys.executable, "control": self.emu.endpoint + "/_emulator",
                     "region": REGION, **(extra_vars or {})}
        path = self.workdir / ("vars-%s.json" % uuid.uuid4().hex)
        path.write_text(json.dumps(variables))
        cmd += ["-e", "@%s" % path]
        cmd += ["-" + "v" * verbosity] if verbosity else []
        cmd += ["--check"] if check else []
        cmd += ["--diff"] if diff else []
        return cmd

    def run(self, playbook: str | Path, extra_vars: dict | None = None, env: dict | None = None,
            timeout: float = 600, **flags: Any) -> tuple[Any, subprocess.CompletedProcess]:
        """Run a playbook; returns (content of ``result_file`` or None, process)."""
        result_file = self.workdir / ("result-%s.json" % uuid.uuid4().hex)
        cmd = self.command(PLAYBOOKS / playbook, dict(extra_vars or {}, result_file=str(result_file)), **flags)
        proc = subprocess.run(cmd, env=env or self.env(), capture_output=True, text=True, cwd=self.workdir,
                              timeout=timeout)
        result = json.loads(result_file.read_text()) if result_file.exists() else None
        return result, proc

    def start(self, playbook: str | Path, extra_vars: dict | None = None, env: dict | None = None,
              **flags: Any) -> tuple[subprocess.Popen, Path]:
        result_file = self.workdir / ("result-%s.json" % uuid.uuid4().hex)
        cmd = self.command(PLAYBOOKS / playbook, dict(extra_vars or {}, result_file=str(result_file)), **flags)
        proc = subprocess.Popen(cmd, env=env or self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=self.workdir)
        return proc, result_file


def new_emulator(*args: str, **kwargs: Any) -> Emulator:
    """A private emulator with zero transition delays (unless ``args`` say otherwise)."""
    return Emulator("--quiet", *(args or ("--delays", "fast")), **kwargs).start()
