"""The inventory plugin reads the regions listed in its configuration without a default region.

Its documentation: ``regions`` are the regions to read; only "when empty, the
region of ``region`` (or of its environment variables, or of the profile) is
used". A configuration with ``regions`` and no ``region`` must work.
"""

from __future__ import annotations

import json
import subprocess

from tests.helpers.emulator import DEFAULT_KEY
from tests.helpers.ansible_cli import ansible_tool

from .support import CREATE, REGION


def test_regions_list_needs_no_default_region(runner, emu, tmp_path):
    _, created = runner.run("one_task.yml", {"args": dict(CREATE, name="rel-inventory-regions", count=1)})
    assert created.returncode == 0, created.stdout[-4000:]
    config = tmp_path / "regions.ecs.yml"
    config.write_text(json.dumps({"plugin": "alicloud.ecs.ecs", "regions": [REGION], "endpoint": emu.endpoint,
                                  "access_key": DEFAULT_KEY[0], "secret_key": DEFAULT_KEY[1]}))
    env = {k: v for k, v in runner.env(credentials=False).items() if k != "ALICLOUD_REGION"}
    proc = subprocess.run([ansible_tool("ansible-inventory"), "-i", str(config), "--list"], env=env,
                          capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0 and "rel-inventory-regions" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
