"""The ecs inventory plugin: host names, host variables and groups from canned DescribeInstances data."""

from __future__ import annotations

import pytest
from ansible.inventory.data import InventoryData
from ansible.parsing.dataloader import DataLoader
from ansible.plugins.inventory import Constructable
from ansible.template import Templar

from ansible_collections.alicloud.ecs.plugins.inventory.ecs import InventoryModule
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import normalize_instances
from ansible_collections.alicloud.ecs.plugins.plugin_utils._inventory import (
    DEFAULT_HOSTVARS,
    client_options,
    host_record,
    host_vars,
    hostvar_names,
    preferred_hostname,
    regions_to_query,
    set_in,
    validate_hostnames,
)
from ansible_collections.alicloud.ecs.tests.unit.kit import trust_as_template


def raw_instance(instance_id, name, zone="cn-beijing-h", public=None, private="172.16.0.10", tags=None, status="Running"):
    return {
        "InstanceId": instance_id,
        "InstanceName": name,
        "Status": status,
        "RegionId": "cn-beijing",
        "ZoneId": zone,
        "CreationTime": "2026-01-01T00:0%sZ" % instance_id[-1],
        "InstanceChargeType": "PostPaid",
        "InstanceType": "ecs.g6.large",
        "ImageId": "ubuntu_22_04_x64_20G_alibase_20240130.vhd",
        "OSType": "linux",
        "Description": "",
        "InternetMaxBandwidthOut": 5 if public else 0,
        "PublicIpAddress": {"IpAddress": [public] if public else []},
        "EipAddress": {"AllocationId": "", "IpAddress": "", "Bandwidth": 0},
        "VpcAttributes": {
            "VpcId": "vpc-2zeemudefault",
            "VSwitchId": "vsw-2zeemudefaulth",
            "NatIpAddress": "",
            "PrivateIpAddress": {"IpAddress": [private] if private else []},
        },
        "SecurityGroupIds": {"SecurityGroupId": ["sg-2zeemudefault"]},
        "InnerIpAddress": {"IpAddress": []},
        "OperationLocks": {"LockReason": []},
        "Tags": {"Tag": [{"TagKey": k, "TagValue": v} for k, v in (tags or {}).items()]},
    }


INSTANCES = normalize_instances(
    [
        raw_instance("i-2ze0000001", "web-1", public="39.96.0.1", tags={"env": "prod", "role": "web"}),
        raw_instance("i-2ze0000002", "web-2", zone="cn-beijing-i", tags={"env": "prod", "role": "web"}),
        raw_instance("i-2ze0000003", "db", private=None, tags={"env": "dev"}, status="Stopped"),
        raw_instance("i-2ze0000004", "web-1", zone="cn-beijing-i"),  # same name as the first
    ]
)
BY_ID = {i["instance_id"]: i for i in INSTANCES}
# What the plugin populates from: each instance's host variables without prefix (the default selection).
CANNED = [host_record(instance, hostvar_names([])) for instance in INSTANCES]


@pytest.mark.parametrize(
    "preferences, expected",
    [
        (["instance_id"], ["i-2ze0000001", "i-2ze0000002", "i-2ze0000003", "i-2ze0000004"]),
        (["public_ip", "private_ip", "instance_id"], ["39.96.0.1", "172.16.0.10", "i-2ze0000003", "172.16.0.10"]),
        (["private_ip"], ["172.16.0.10", "172.16.0.10", None, "172.16.0.10"]),
        (["instance_name"], ["web-1", "web-2", "db", "web-1"]),
        (["public_ip"], ["39.96.0.1", None, None, None]),
    ],
)
def test_preferred_hostname_first_non_empty_wins(preferences, expected):
    assert [preferred_hostname(i, preferences) for i in CANNED] == expected


def test_template_preference_is_rendered_with_the_instance():
    def render(template, instance):
        assert template == "{{ instance_name }}.example"
        return "%s.example" % instance["instance_name"] if instance["status"] == "Running" else ""

    names = [preferred_hostname(i, ["public_ip", "{{ instance_name }}.example", "instance_id"], render) for i in CANNED]
    assert names == ["39.96.0.1", "web-2.example", "i-2ze0000003", "web-1.example"]


def test_unknown_preference_is_rejected():
    with pytest.raises(ValueError, match="ip_address"):
        validate_hostnames(["instance_id", "ip_address"])
    assert validate_hostnames([]) == ["instance_id"]


def test_host_vars_are_the_default_set_prefixed_without_empty_ones_and_ansible_host():
    variables = host_vars(host_record(BY_ID["i-2ze0000002"], hostvar_names([])), "ecs_")
    assert variables["ecs_instance_id"] == "i-2ze0000002"
    assert variables["ecs_tags"] == {"env": "prod", "role": "web"}
    assert variables["ecs_zone_id"] == "cn-beijing-i"
    assert variables["ansible_host"] == "172.16.0.10"
    # No public address: no ecs_public_ip (an empty value is never set).
    assert set(variables) == {"ecs_" + key for key in DEFAULT_HOSTVARS if key != "public_ip"} | {"ansible_host"}
    assert "ansible_host" not in host_vars(host_record(BY_ID["i-2ze0000003"], hostvar_names([])))
    assert host_vars(host_record(BY_ID["i-2ze0000001"], hostvar_names([])))["ansible_host"] == "39.96.0.1"
    # Every attribute, empty ones too: the variables of earlier versions.
    everything = host_vars(host_record(BY_ID["i-2ze0000002"], hostvar_names(["all"]), keep_empty=True), "ecs_")
    assert set(everything) == {"ecs_" + key for key in BY_ID["i-2ze0000002"]} | {"ansible_host"}
    assert everything["ecs_public_ip"] is None


def test_client_options_leave_environment_values_to_the_client():
    options = client_options(
        {
            "access_key": ("AK", "env: ALICLOUD_ACCESS_KEY"),
            "secret_key": ("SK", "/tmp/x.ecs.yml"),
            "region": ("cn-beijing", "env: ALICLOUD_REGION"),
            "retry_timeout": (120.0, "default"),
        }
    )
    assert options["access_key"] is None and options["region"] is None
    assert options["secret_key"] == "SK" and options["retry_timeout"] == 120.0
    assert options["profile"] is None


def test_set_in_recognizes_options_and_their_old_names_in_the_configuration():
    config = {"plugin": "alicloud.ecs.ecs", "access_key": "AK", "alicloud_secret_key": "SK"}
    assert set_in(config, "access_key") and set_in(config, "secret_key")
    assert not set_in(config, "region") and not set_in(config, "security_token")


def test_regions_to_query():
    assert regions_to_query(["cn-beijing", "cn-hangzhou", "cn-beijing"], "cn-shanghai") == ["cn-beijing", "cn-hangzhou"]
    assert regions_to_query([], "cn-shanghai") == ["cn-shanghai"]
    assert regions_to_query(None, None) == []


class Plugin(InventoryModule):
    """The plugin with options given directly and no display output."""

    def __init__(self, options):
        super().__init__()
        self.inventory = InventoryData()
        self.templar = Templar(loader=DataLoader())
        self._vars = {}
        self.display = Recorder()
        self._test_options = dict(
            {"compose": {}, "groups": {}, "keyed_groups": [], "strict": False, "hostvars_prefix": "ecs_",
             "leading_separator": True, "use_extra_vars": False},
            **options,
        )

    def get_option(self, option, hostvars=None):
        return self._test_options[option]


class Recorder:
    def __init__(self):
        self.warnings = []

    def warning(self, message, *args, **kwargs):
        self.warnings.append(message)

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


def trusted(value):
    """Expressions read from an inventory file are trusted templates (ansible-core 2.19 data tagging)."""
    if isinstance(value, str):
        return trust_as_template(value)
    if isinstance(value, dict):
        return {key: trusted(item) for key, item in value.items()}
    if isinstance(value, list):
        return [trusted(item) for item in value]
    return value


class TemplatingPlugin(Plugin):
    """The plugin with ansible-core's own _compose: every expression templated."""

    def _compose(self, template, variables, *args, **kwargs):
        return Constructable._compose(self, template, variables, *args, **kwargs)


def build(records=None, plugin_class=Plugin, **options):
    plugin = plugin_class({key: trusted(value) for key, value in options.items()})
    plugin._populate(CANNED if records is None else records, validate_hostnames(options.get("hostnames", ["instance_id"])))
    return plugin


def test_bare_names_in_keyed_groups_and_compose_give_what_templating_gives():
    records = [host_record(instance, hostvar_names(["security_group_ids", "cpu"])) for instance in INSTANCES]
    options = dict(
        keyed_groups=[{"key": "ecs_tags", "prefix": "tag"}, {"key": " ecs_zone_id ", "prefix": "zone"},
                      {"key": "ecs_security_group_ids", "prefix": "sg"}, {"key": "ecs_no_such_var", "prefix": "x"},
                      {"key": "ecs_tags.role", "prefix": "role"}],
        compose={"ansible_host": "ecs_private_ip", "zone_copy": "ecs_zone_id", "tags_copy": "ecs_tags", "az": "ecs_zone_id[-1]"},
        groups={"web": "'web' in ecs_instance_name"},
    )
    fast, slow = build(records, **options), build(records, TemplatingPlugin, **options)
    assert sorted(fast.inventory.groups) == sorted(slow.inventory.groups)
    assert "sg_sg_2zeemudefault" in fast.inventory.groups and "tag_env_prod" in fast.inventory.groups
    for group in slow.inventory.groups:
        assert members(fast, group) == members(slow, group), group
    for name in slow.inventory.hosts:
        assert fast.inventory.get_host(name).get_vars() == slow.inventory.get_host(name).get_vars()


def test_compose_of_a_bare_name_falls_back_to_templating_when_it_must():
    plugin = Plugin({"use_extra_vars": False})
    assert plugin._compose("ecs_tags", {"ecs_tags": {"a": "b"}}) == {"a": "b"}
    assert plugin._compose(trust_as_template("ecs_cpu"), {"ecs_cpu": 2}) == 2  # not a string, list or dict: templated
    with_extra = Plugin({"use_extra_vars": True})
    with_extra._vars = {"ecs_zone_id": "from-extra-vars"}
    assert with_extra._compose(trust_as_template("ecs_zone_id"), {"ecs_zone_id": "cn-beijing-h"}) == "from-extra-vars"


def members(plugin, group):
    return sorted(h.name for h in plugin.inventory.groups[group].get_hosts())


def test_populate_groups_by_tag_and_zone():
    plugin = build(
        keyed_groups=[{"key": "ecs_tags", "prefix": "tag"}, {"key": "ecs_zone_id", "prefix": "zone"}],
        groups={"stopped": "ecs_status == 'Stopped'"},
    )
    assert members(plugin, "tag_env_prod") == ["i-2ze0000001", "i-2ze0000002"]
    assert members(plugin, "tag_role_web") == ["i-2ze0000001", "i-2ze0000002"]
    assert members(plugin, "tag_env_dev") == ["i-2ze0000003"]
    assert members(plugin, "zone_cn_beijing_h") == ["i-2ze0000001", "i-2ze0000003"]
    assert members(plugin, "zone_cn_beijing_i") == ["i-2ze0000002", "i-2ze0000004"]
    assert members(plugin, "stopped") == ["i-2ze0000003"]


def test_groups_see_what_compose_set():
    plugin = build(compose={"az": "ecs_zone_id[-1]"}, groups={"zone_i": "az == 'i'"},
                   keyed_groups=[{"key": "az", "prefix": "az"}])
    assert members(plugin, "zone_i") == ["i-2ze0000002", "i-2ze0000004"]
    assert members(plugin, "az_h") == ["i-2ze0000001", "i-2ze0000003"]


def test_populate_compose_and_duplicate_names():
    plugin = build(hostnames=["instance_name"], compose={"ansible_host": "ecs_private_ip", "az": "ecs_zone_id[-1]"})
    assert sorted(plugin.inventory.hosts) == ["db", "web-1", "web-2"]
    web1 = plugin.inventory.get_host("web-1").get_vars()
    assert web1["ecs_instance_id"] == "i-2ze0000001" and web1["ansible_host"] == "172.16.0.10" and web1["az"] == "h"
    assert len(plugin.display.warnings) == 1 and "i-2ze0000004" in plugin.display.warnings[0]


def test_populate_skips_instances_without_a_name_or_fails_when_strict():
    plugin = build(hostnames=["public_ip"])
    assert list(plugin.inventory.hosts) == ["39.96.0.1"]
    assert len(plugin.display.warnings) == 3
    with pytest.raises(Exception, match="i-2ze0000002 has no value"):
        build(hostnames=["public_ip"], strict=True)


def test_verify_file_suffix(tmp_path):
    for name, expected in (("test.ecs.yml", True), ("ecs.yaml", True), ("hosts.yml", False), ("ecs.yml.bak", False)):
        path = tmp_path / name
        path.write_text("plugin: alicloud.ecs.ecs\n")
        assert InventoryModule().verify_file(str(path)) is expected


def test_instance_text_is_never_templated():
    # A tag or name that looks like a template stays text, in host variables and through compose, on every
    # ansible-core (2.16-2.18 need the values marked unsafe; 2.19 and later leave plugin values untrusted).
    instance = raw_instance("i-2ze0000009", "{{ 6 * 7 }}", tags={"note": "{{ lookup('env', 'HOME') }}"})
    plugin = build([host_record(normalize_instances([instance])[0], hostvar_names([]))],
                   hostnames=["instance_id"], compose={"note_copy": "ecs_tags.note", "name_copy": "ecs_instance_name"})
    host = plugin.inventory.get_host("i-2ze0000009").get_vars()
    templar = Templar(loader=DataLoader(), variables=host)
    assert templar.template(trust_as_template("{{ ecs_instance_name }}")) == "{{ 6 * 7 }}"
    assert templar.template(trust_as_template("{{ ecs_tags.note }}")) == "{{ lookup('env', 'HOME') }}"
    assert templar.template(trust_as_template("{{ note_copy }}")) == "{{ lookup('env', 'HOME') }}"
    assert templar.template(trust_as_template("{{ name_copy }}")) == "{{ 6 * 7 }}"
