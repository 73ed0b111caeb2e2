"""`make demo` end to end: scripts/demo.py builds and installs the collection,
runs the provisioning playbooks by FQCN against the emulator, shows what was
created, tears it down and stops the emulator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / "scripts" / "demo.py"
INSTANCE_ROW = re.compile(
    r"^\s+(i-\w+)\s+(postpaid|prepaid)\s+Running\s+(PostPaid|PrePaid)\s+(\S+(?: \(pay-as-you-go\))?)\s+(\d+\.\d+\.\d+\.\d+)\s",
    re.MULTILINE,
)


def _environment() -> dict[str, str]:
    # The demo must not depend on the caller's Ansible or Alibaba Cloud settings.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "ALICLOUD_", "ALIBABA_CLOUD_"))}
    env["ALICLOUD_SECRET_KEY"] = "must-not-be-used"
    return env


def test_demo_provisions_shows_and_tears_down():
    start = time.monotonic()
    result = subprocess.run([sys.executable, str(DEMO)], capture_output=True, text=True, timeout=300,
                            env=_environment(), cwd=str(REPO_ROOT))
    elapsed = time.monotonic() - start
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
    assert "emulator-secret" not in output
    assert elapsed < 120, f"the demo took {elapsed:.0f} s"
