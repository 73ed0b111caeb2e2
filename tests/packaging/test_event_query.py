"""extensions/audit/event_query.yml: Automation Platform's indirect node
counting turns each task result of these modules into ECS instances, named by
their instance IDs. The queries run (with the jq binary) on results shaped
as the modules document them (their RETURN samples)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
import yaml

from tests.packaging.support import REPO_ROOT

EVENT_QUERY = REPO_ROOT / "extensions" / "audit" / "event_query.yml"
MODULES = ["ecs_instance", "ecs_instance_info", "ecs_public_ip"]


def queries() -> dict:
    return yaml.safe_load(EVENT_QUERY.read_text())


def documented_result(module: str) -> dict:
    """A task result made of the samples of the module's RETURN documentation."""
    source = (REPO_ROOT / "plugins" / "modules" / f"{module}.py").read_text()
    returned = yaml.safe_load(re.search(r'^RETURN = r?"""(.*?)"""', source, re.S | re.M).group(1))
    return {key: doc["sample"] for key, doc in returned.items() if "sample" in doc} | {"changed": True}


def nodes(module: str, result: dict) -> list[dict]:
    if not shutil.which("jq"):
        pytest.skip("jq is not installed (Debian package jq)")
    run = subprocess.run(["jq", "-c", queries()[f"alicloud.ecs.{module}"]["query"]], input=json.dumps(result),
                         capture_output=True, text=True, check=False, timeout=30)
    assert run.returncode == 0, run.stderr
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_one_query_per_instance_module():
    assert set(queries()) == {f"alicloud.ecs.{module}" for module in MODULES}
    for fqcn, entry in queries().items():
        assert set(entry) == {"query"} and isinstance(entry["query"], str), fqcn
        assert (REPO_ROOT / "plugins" / "modules" / f"{fqcn.rsplit('.', 1)[1]}.py").exists(), fqcn


@pytest.mark.parametrize("module", MODULES)
def test_documented_result_gives_one_node_per_instance(module):
    result = documented_result(module)
    expected = sorted({i["instance_id"] for i in result.get("instances", [])} | set(result.get("deleted_ids", []))
                      | ({result["instance"]["instance_id"]} if "instance" in result else set()))
    assert expected, result
    found = nodes(module, result)
    assert sorted(node["name"] for node in found) == expected
    for node in found:
        assert node["canonical_facts"] == {"id": node["name"]}
        assert node["name"].startswith("i-")
        assert node["facts"]["device_type"] == "ECS Instance"


def test_released_instances_count():
    result = {"changed": True, "instances": [], "instance_ids": [], "deleted_ids": ["i-released1", "i-released2"]}
    assert [node["name"] for node in nodes("ecs_instance", result)] == ["i-released1", "i-released2"]


@pytest.mark.parametrize("module", MODULES)
def test_failed_or_empty_results_count_nothing(module):
    assert nodes(module, {"failed": True, "msg": "Failed to describe instances: Throttling"}) == []
    assert nodes(module, {"changed": False, "instances": [], "instance_ids": [], "deleted_ids": []}) == []
