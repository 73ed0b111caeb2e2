"""`make demo` end to end: scripts/demo.py builds and installs the collection,
runs the provisioning playbooks by FQCN against the emulator, shows what was
created, tears it down, stops the emulator, and prints commands that point
your own playbooks at an emulator (which must work when pasted).

`make demo` runs the script with .venv-demo (runtime packages only); here it
runs with the Python running the tests, which has the same packages and more:
test_demo_imports_only_the_standard_library keeps the script runnable there."""

from __future__ import annotations

import ast
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / "scripts" / "demo.py"
INSTANCE_ROW = re.compile(
    r"^\s+(i-\w+)\s+(postpaid|prepaid)\s+Running\s+(PostPaid|PrePaid)\s+(\S+(?: \(pay-as-you-go\))?)\s+(\d+\.\d+\.\d+\.\d+)\s",
    re.MULTILINE,
)
NEXT_STEPS = "Your own playbooks against the emulator"
SECRET = "emulator-secret"
EXPECTED_EXPORTS = {
    "ALICLOUD_ECS_ENDPOINT": "http://127.0.0.1:8080",
    "ALICLOUD_ACCESS_KEY": "LTAI5tEmulatorDefaultKey",
    "ALICLOUD_SECRET_KEY": SECRET,
    "ALICLOUD_REGION": "cn-hangzhou",
}


def _environment() -> dict[str, str]:
    # The demo must not depend on the caller's Ansible or Alibaba Cloud settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "ALICLOUD_", "ALIBABA_CLOUD_"))}
    env["ALICLOUD_SECRET_KEY"] = "must-not-be-used"
    return env


@pytest.fixture(scope="module")
def demo_run() -> tuple[subprocess.CompletedProcess, None]:
    # How long the demo takes is measured by scripts/demo.py's own report and the README figures, not here;
    # the timeout only stops a hang.
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, timeout=300,
                            env=_environment(), cwd=str(REPO_ROOT))
    return result, None


def _next_steps(stdout: str) -> list[str]:
    assert NEXT_STEPS in stdout, stdout
    return stdout.split(NEXT_STEPS, 1)[1].splitlines()


def test_demo_provisions_shows_and_tears_down(demo_run):
    result, _unused = demo_run
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "DEMO FAILED" not in output

    for playbook in ("provision_postpaid", "provision_prepaid", "teardown"):
        assert f"ansible-playbook alicloud.ecs.{playbook}" in output, output

    rows = {match.group(2): match.groups() for match in INSTANCE_ROW.finditer(result.stdout)}
    assert set(rows) == {"postpaid", "prepaid"}, output
    assert rows["postpaid"][2] == "PostPaid" and rows["postpaid"][3] == "- (pay-as-you-go)"
    assert rows["prepaid"][2] == "PrePaid" and re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\dZ$", rows["prepaid"][3]), output

    # The re-run of provision_postpaid is idempotent; the teardown releases both instances.
    assert "second run changed nothing" in output
    assert re.search(r"Released 2 instance\(s\): i-\w+, i-\w+", output), output
    assert {rows["postpaid"][0], rows["prepaid"][0]} <= set(re.findall(r"i-\w+", output.split("Released", 1)[1]))
    assert "no instance left" in output
    assert re.search(r"RunInstances 2\b", output), output
    assert "Emulator stopped" in output


def test_demo_prints_how_to_point_playbooks_at_an_emulator(demo_run):
    result, _ = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    steps = _next_steps(result.stdout)
    exports = dict(re.findall(r"^\s*export (\w+)=(\S+)$", "\n".join(steps), re.MULTILINE))
    assert exports == EXPECTED_EXPORTS, steps
    assert any(re.search(r"\bbin/ecs-emulator --port 8080\b", line) for line in steps), steps
    assert any("make emulator" in line for line in steps), steps
    # The emulator's public default secret is printed once, in its export line, and nowhere
    # else: not by the playbooks, not in the demo's own report.
    output = result.stdout + result.stderr
    assert output.count(SECRET) == 1, [line for line in output.splitlines() if SECRET in line]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_printed_commands_work_when_pasted(demo_run, tmp_path):
    """Start the emulator and run each printed command as printed (only the port is a free one)."""
    result, _ = demo_run
    assert result.returncode == 0, result.stdout + result.stderr
    port = str(_free_port())
    commands = [shlex.split(line.replace("8080", port), comments=True) for line in _next_steps(result.stdout)
                if line.startswith("    ")]
    start_emulator, *rest = commands
    assert "ecs-emulator" in start_emulator[0], commands

    env = _environment()
    env.pop("ALICLOUD_SECRET_KEY")
    # Keep the installed collection and Ansible's files out of the home directory.
    env.update(ANSIBLE_COLLECTIONS_PATH=str(tmp_path / "collections"), ANSIBLE_HOME=str(tmp_path / "home"),
               ALICLOUD_CONFIG_FILE=str(tmp_path / "no-aliyun-cli-config.json"), NO_PROXY="127.0.0.1,localhost")
    emulator = subprocess.Popen(start_emulator, cwd=str(REPO_ROOT), env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
    try:
        assert emulator.stdout.readline().startswith(f"ECS emulator listening on http://127.0.0.1:{port}")
        outputs = []
        for command in rest:
            if command[0] == "export":
                name, _, value = command[1].partition("=")
                env[name] = value
                continue
            run = subprocess.run(command, cwd=str(REPO_ROOT), env=env, capture_output=True, text=True, timeout=300)
            assert run.returncode == 0, f"{command}\n{run.stdout}\n{run.stderr}"
            outputs.append(run.stdout)
        assert env["ALICLOUD_ECS_ENDPOINT"] == f"http://127.0.0.1:{port}"
        assert re.search(r"^localhost\s*:.*changed=1", outputs[-2], re.MULTILINE), outputs[-2]
        assert re.search(r"Released 1 instance\(s\): i-\w+", outputs[-1]), outputs[-1]
    finally:
        emulator.terminate()
        emulator.wait(10)


def test_demo_imports_only_the_standard_library():
    """So that .venv-demo (ansible-core, the SDKs, the emulator: requirements-demo.txt) runs it."""
    tree = ast.parse(DEMO.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module and not node.level}
    assert imported - {"__future__"} <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
