"""ansible-doc renders the new modules and the inventory plugin from the installed collection."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.helpers.ansible_cli import ansible_tool


def ansible_doc(ansible, *args):
    cmd = [ansible_tool("ansible-doc"), *args]
    proc = subprocess.run(
        cmd, env=ansible.env(), capture_output=True, text=True, cwd=ansible.workdir, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "WARNING" not in proc.stderr, proc.stderr
    return proc.stdout


INFO_OPTIONS = ["instance_ids", "name", "tags", "status", "zone_id", "vpc_id", "vswitch_id", "instance_type",
                "instance_charge_type", "security_group_id", "filters", "access_key", "region", "endpoint"]
PUBLIC_IP_OPTIONS = ["instance_id", "name", "wait_timeout", "access_key", "region", "endpoint"]
INVENTORY_OPTIONS = ["plugin", "regions", "hostnames", "hostvars_prefix", "compose", "groups", "keyed_groups",
                     "strict", "cache", "access_key", "secret_key", "region", "endpoint", "tags", "status", "filters"]


@pytest.mark.parametrize(
    "plugin_type, name, options",
    [
        ("module", "ecs_instance_info", INFO_OPTIONS),
        ("module", "ecs_public_ip", PUBLIC_IP_OPTIONS),
        ("inventory", "ecs", INVENTORY_OPTIONS),
    ],
)
def test_ansible_doc_renders(ansible, plugin_type, name, options):
    fqcn = "alicloud.ecs.%s" % name
    text = ansible_doc(ansible, "-t", plugin_type, fqcn)
    assert fqcn in text
    doc = json.loads(ansible_doc(ansible, "-t", plugin_type, "--json", fqcn))[fqcn]["doc"]
    assert set(options) <= set(doc["options"]), sorted(set(options) - set(doc["options"]))
    if plugin_type == "inventory":
        env = {e["name"] for e in doc["options"]["access_key"].get("env", [])}
        assert env == {"ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID"}
        assert doc["options"]["endpoint"]["env"] == [{"name": "ALICLOUD_ECS_ENDPOINT"}]
    else:
        assert doc["attributes"]["check_mode"]["support"] == "full"
