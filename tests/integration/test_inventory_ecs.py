"""ansible-inventory with the alicloud.ecs.ecs plugin against the emulator (installed collection)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.ansible_cli import REGION, ansible_tool, target_vars
from tests.helpers.emulator import DEFAULT_KEY

OTHER_REGION = "cn-hangzhou"


def unwrap(value: Any) -> Any:
    """ansible-inventory --list marks strings from plugins as {"__ansible_unsafe": ...}."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: unwrap(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap(item) for item in value]
    return value


def role_play(path: Path, tasks_from: str, extra: dict) -> Path:
    play = [
        {
            "name": "Inventory test instances (%s)" % tasks_from,
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {
                    "name": "Run %s" % tasks_from,
                    "ansible.builtin.include_role": {"name": "inventory_ecs", "tasks_from": tasks_from},
                }
            ],
        }
    ]
    path.write_text(json.dumps(play))
    return path


@pytest.fixture(scope="module")
def suite(ansible, emulator, tmp_path_factory):
    """Four instances (three in cn-beijing, one in cn-hangzhou); released afterwards."""
    work = tmp_path_factory.mktemp("inventory")
    extra = target_vars(emulator)
    proc = ansible.playbook(role_play(work / "prepare.yml", "main", extra), extra_vars=extra)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    name = "test_inventory_ecs_%s" % extra["resource_prefix"]
    by_name = {i["InstanceName"]: i for i in emulator.instances() if i["InstanceName"].startswith(name)}
    yield {"name": name, "work": work, "instances": by_name}
    proc = ansible.playbook(role_play(work / "cleanup.yml", "cleanup", extra), extra_vars=extra)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]


def inventory(ansible, workdir: Path, config: dict, *args: str, env: dict | None = None, name: str = "test.ecs.yml"):
    path = workdir / name
    path.write_text(yaml.safe_dump(config))
    cmd = [ansible_tool("ansible-inventory"), "-i", str(path), *args]
    run_env = dict(env or ansible.env(), ANSIBLE_INVENTORY_UNPARSED_FAILED="1", ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED="1")
    return subprocess.run(cmd, env=run_env, capture_output=True, text=True, cwd=workdir, timeout=300, check=False)


def listed(proc) -> dict:
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return unwrap(json.loads(proc.stdout))


def group_hosts(data: dict, group: str) -> list[str]:
    return sorted(data.get(group, {}).get("hosts", []))


@pytest.mark.smoke
def test_list_and_graph_with_keyed_groups_compose_and_hostnames(ansible, emulator, suite):
    name, work, instances = suite["name"], suite["work"], suite["instances"]
    web1_ip = instances[name + "-web-1"]["PublicIpAddress"]["IpAddress"][0]
    config = {
        "plugin": "alicloud.ecs.ecs",
        "regions": [REGION, OTHER_REGION],
        "tags": {"suite": name},
        "hostnames": ["public_ip", "instance_name"],
        "keyed_groups": [{"key": "ecs_tags", "prefix": "tag"}, {"key": "ecs_zone_id", "prefix": "zone"}],
        "groups": {"stopped": "ecs_status == 'Stopped'"},
        "compose": {"ansible_host": "ecs_private_ip", "az": "ecs_zone_id[-1]"},
    }
    emulator.clear_calls()
    data = listed(inventory(ansible, work, config, "--list"))
    hosts = data["_meta"]["hostvars"]
    assert sorted(hosts) == sorted([web1_ip, name + "-web-2", name + "-db-1", name + "-hz-1"])
    # Both regions were asked, with the tag filter applied by the API.
    described = emulator.calls("DescribeInstances")
    assert {c["parameters"]["RegionId"] for c in described} == {REGION, OTHER_REGION}
    assert all(c["parameters"].get("Tag.1.Value") == name for c in described)
    web2 = hosts[name + "-web-2"]
    assert web2["ecs_instance_id"] == instances[name + "-web-2"]["InstanceId"]
    assert web2["ecs_tags"] == {"suite": name, "role": "web"}
    assert web2["ecs_zone_id"] == "cn-beijing-i" and web2["az"] == "i"
    # No public address: no ecs_public_ip at all (empty values are never set).
    assert "ecs_public_ip" not in web2 and web2["ansible_host"] == web2["ecs_private_ip"]
    assert hosts[web1_ip]["ecs_public_ip"] == web1_ip
    assert hosts[web1_ip]["ansible_host"] == hosts[web1_ip]["ecs_private_ip"]  # compose overrides the default
    assert hosts[name + "-hz-1"]["ecs_region_id"] == OTHER_REGION
    assert group_hosts(data, "tag_role_web") == sorted([web1_ip, name + "-web-2"])
    assert group_hosts(data, "tag_role_db") == [name + "-db-1"]
    assert group_hosts(data, "tag_role_batch") == [name + "-hz-1"]
    assert group_hosts(data, "zone_cn_beijing_h") == sorted([web1_ip, name + "-db-1"])
    assert group_hosts(data, "zone_cn_beijing_i") == [name + "-web-2"]
    assert group_hosts(data, "zone_cn_hangzhou_h") == [name + "-hz-1"]
    assert group_hosts(data, "stopped") == [name + "-db-1"]

    graph = inventory(ansible, work, config, "--graph")
    assert graph.returncode == 0, graph.stderr
    assert "@tag_role_web:" in graph.stdout and "@zone_cn_hangzhou_h:" in graph.stdout
    assert "|--%s-web-2" % name in graph.stdout and "|--%s" % web1_ip in graph.stdout


DEFAULT_HOSTVARS = {"ecs_image_id", "ecs_instance_charge_type", "ecs_instance_id", "ecs_instance_name", "ecs_instance_type",
                    "ecs_os_type", "ecs_private_ip", "ecs_public_ip", "ecs_region_id", "ecs_status", "ecs_tags",
                    "ecs_zone_id", "ansible_host"}


def empty(value: Any) -> bool:
    return value is None or (isinstance(value, (str, list, dict)) and not value)


@pytest.mark.smoke
def test_default_host_variables_are_the_lean_set_and_never_empty(ansible, emulator, suite):
    name, work, instances = suite["name"], suite["work"], suite["instances"]
    config = {"plugin": "alicloud.ecs.ecs", "regions": [REGION, OTHER_REGION], "tags": {"suite": name}}
    hosts = listed(inventory(ansible, work, config, "--list", name="lean.ecs.yml"))["_meta"]["hostvars"]
    assert len(hosts) == 4
    for variables in hosts.values():
        assert set(variables) <= DEFAULT_HOSTVARS, sorted(set(variables) - DEFAULT_HOSTVARS)
        assert not [key for key, value in variables.items() if empty(value)]
    web1 = hosts[instances[name + "-web-1"]["InstanceId"]]
    assert set(web1) == DEFAULT_HOSTVARS  # it has every one of them, a public address included
    assert web1["ecs_public_ip"] == instances[name + "-web-1"]["PublicIpAddress"]["IpAddress"][0]
    assert web1["ecs_instance_type"] == "ecs.n1.small" and web1["ecs_os_type"] == "linux"
    assert set(hosts[instances[name + "-web-2"]["InstanceId"]]) == DEFAULT_HOSTVARS - {"ecs_public_ip"}


def test_hostvars_include_adds_attributes_and_warns_about_unknown_names(ansible, emulator, suite):
    name, work, instances = suite["name"], suite["work"], suite["instances"]
    config = {
        "plugin": "alicloud.ecs.ecs",
        "tags": {"suite": name},
        "hostvars_include": ["vpc_id", "vswitch_id", "security_group_ids", "host_name", "key_pair_name", "no_such_thing"],
        "hostnames": ["{{ host_name }}"],  # templates see the variables that are set, these included
        "keyed_groups": [{"key": "ecs_vswitch_id", "prefix": "vsw"}],
        "groups": {"default_sg": "'sg-2zeemudefault' in ecs_security_group_ids"},
    }
    proc = inventory(ansible, work, config, "--list", name="include.ecs.yml")
    data = listed(proc)
    hosts = data["_meta"]["hostvars"]
    web2 = hosts[instances[name + "-web-2"]["HostName"]]
    assert web2["ecs_vpc_id"] == "vpc-2zeemudefault" and web2["ecs_vswitch_id"] == "vsw-2zeemudefaulti"
    assert web2["ecs_security_group_ids"] == ["sg-2zeemudefault"] and web2["ecs_host_name"]
    assert "ecs_key_pair_name" not in web2  # asked for, but empty: not set
    assert set(web2) == DEFAULT_HOSTVARS - {"ecs_public_ip"} | {"ecs_vpc_id", "ecs_vswitch_id", "ecs_security_group_ids",
                                                                "ecs_host_name"}
    assert group_hosts(data, "vsw_vsw_2zeemudefaulti") == [instances[name + "-web-2"]["HostName"]]
    assert len(group_hosts(data, "default_sg")) == 3
    # Only the unknown name is reported (key_pair_name exists, it is only empty here).
    assert "hostvars_include names no_such_thing, which no listed instance has" in " ".join(proc.stderr.split()), proc.stderr
    # Without hostvars_include the template has nothing to render: every host is left out, with a warning.
    del config["hostvars_include"], config["keyed_groups"], config["groups"]
    proc = inventory(ansible, work, config, "--list", name="include.ecs.yml")
    assert listed(proc)["_meta"]["hostvars"] == {}
    assert "has no value for any of the hostnames" in " ".join(proc.stderr.split()), proc.stderr


@pytest.mark.smoke
def test_every_attribute_with_empty_ones_gives_the_earlier_variables(ansible, emulator, suite):
    name, work, instances = suite["name"], suite["work"], suite["instances"]
    config = {"plugin": "alicloud.ecs.ecs", "tags": {"suite": name}, "hostvars_include": ["all"], "hostvars_keep_empty": True}
    hosts = listed(inventory(ansible, work, config, "--list", name="all.ecs.yml"))["_meta"]["hostvars"]
    web2 = hosts[instances[name + "-web-2"]["InstanceId"]]
    assert len(web2) == 69, sorted(web2)  # 68 attributes of ecs_instance_info's shape, and ansible_host
    assert web2["ecs_public_ip"] is None and web2["ecs_description"] == "" and web2["ecs_operation_locks"] == []
    assert web2["ecs_vpc_id"] == "vpc-2zeemudefault" and web2["ecs_cpu"] == 1
    # "all" alone: the same attributes but the empty ones.
    config["hostvars_keep_empty"] = False
    lean_all = listed(inventory(ansible, work, config, "--list", name="all.ecs.yml"))["_meta"]["hostvars"]
    web2_lean = lean_all[instances[name + "-web-2"]["InstanceId"]]
    assert web2_lean == {key: value for key, value in web2.items() if not empty(value)}


def test_templated_credentials_filters_and_hostname_template(ansible, emulator, suite):
    name, work = suite["name"], suite["work"]
    config = {
        "plugin": "alicloud.ecs.ecs",
        "access_key": "{{ test_access_key }}",
        "secret_key": "{{ test_secret_key }}",
        "endpoint": "{{ test_endpoint }}",
        "region": REGION,
        "name": name + "-web-*",
        "status": "Running",
        "hostnames": ["{{ instance_name }}.{{ zone_id }}.test"],
    }
    extra = json.dumps({"test_access_key": DEFAULT_KEY[0], "test_secret_key": DEFAULT_KEY[1], "test_endpoint": emulator.endpoint})
    env = ansible.env(credentials=False)
    del env["ALICLOUD_ECS_ENDPOINT"]
    data = listed(inventory(ansible, work, config, "--list", "-e", extra, env=env, name="templated.ecs.yml"))
    assert sorted(data["_meta"]["hostvars"]) == ["%s-web-1.cn-beijing-h.test" % name, "%s-web-2.cn-beijing-i.test" % name]


def test_cache_avoids_describe_calls(ansible, emulator, suite):
    name, work = suite["name"], suite["work"]
    config = {
        "plugin": "alicloud.ecs.ecs",
        "tags": {"suite": name},
        "cache": True,
        "cache_plugin": "ansible.builtin.jsonfile",
        "cache_connection": str(work / "cache"),
        "cache_timeout": 3600,
    }
    emulator.clear_calls()
    first = listed(inventory(ansible, work, config, "--list", name="cached.ecs.yml"))
    assert emulator.calls("DescribeInstances"), "the first run must read the API"
    emulator.clear_calls()
    second = listed(inventory(ansible, work, config, "--list", name="cached.ecs.yml"))
    assert emulator.calls("DescribeInstances") == []
    assert second["_meta"]["hostvars"] == first["_meta"]["hostvars"] and len(first["_meta"]["hostvars"]) == 3
    emulator.clear_calls()
    listed(inventory(ansible, work, config, "--list", "--flush-cache", name="cached.ecs.yml"))
    assert emulator.calls("DescribeInstances"), "--flush-cache must read the API again"
    # The cache holds the variables of one selection: asking for more reads the API again, then the cache.
    config["hostvars_include"] = ["vpc_id"]
    emulator.clear_calls()
    more = listed(inventory(ansible, work, config, "--list", name="cached.ecs.yml"))["_meta"]["hostvars"]
    assert emulator.calls("DescribeInstances") and all(v["ecs_vpc_id"] == "vpc-2zeemudefault" for v in more.values())
    emulator.clear_calls()
    again = listed(inventory(ansible, work, config, "--list", name="cached.ecs.yml"))["_meta"]["hostvars"]
    assert emulator.calls("DescribeInstances") == [] and again == more


def test_errors_name_the_api_code_and_hide_the_secret(ansible, emulator, suite):
    work = suite["work"]
    env = ansible.env(ALICLOUD_SECRET_KEY="not-the-secret-xyz")
    proc = inventory(ansible, work, {"plugin": "alicloud.ecs.ecs"}, "--list", env=env, name="badkey.ecs.yml")
    assert proc.returncode != 0
    assert "Failed to describe instances" in proc.stderr and "RequestId" in proc.stderr, proc.stderr
    assert "not-the-secret-xyz" not in proc.stdout + proc.stderr
    proc = inventory(ansible, work, {"plugin": "alicloud.ecs.ecs", "hostnames": ["ip_address"]}, "--list", name="badname.ecs.yml")
    assert proc.returncode != 0 and "neither one of" in proc.stderr, proc.stderr
