# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: ecs
short_description: Alibaba Cloud ECS instances as an inventory source
version_added: 1.0.0
description:
  - Reads the ECS instances of one or several regions with C(DescribeInstances) and makes each one a host.
  - Uses a YAML configuration file whose name ends with C(ecs.yml) or C(ecs.yaml) and that sets O(plugin) to
    V(alicloud.ecs.ecs).
  - Every key of an instance, in the shape M(alicloud.ecs.ecs_instance_info) returns (C(instance_id),
    C(instance_name), C(status), C(zone_id), C(region_id), C(tags), C(public_ip), C(private_ip), C(vpc_id),
    C(vswitch_id), C(security_group_ids), ...), becomes a host variable, prefixed with O(hostvars_prefix)
    (C(ecs_instance_id), C(ecs_tags), ... by default).
  - C(ansible_host) is set to the public address of the instance, else to its private one. O(compose) can
    override it.
  - The filters are the same as those of M(alicloud.ecs.ecs_instance_info) and apply in every region.
author:
  - alicloud.ecs contributors (@alicloud-ecs)
extends_documentation_fragment:
  - ansible.builtin.constructed
  - ansible.builtin.inventory_cache
  - alicloud.ecs.plugin_credentials
  - alicloud.ecs.filters
options:
  hostnames:
    description:
      - How hosts are named, as a list of preferences; the first one that gives a non-empty value wins.
      - V(public_ip), V(private_ip), V(instance_id) and V(instance_name) name that attribute of the instance.
        Any other entry must be a Jinja2 template, for example C({{ instance_name }}-{{ zone_id }}), which can
        use the keys of the instance without prefix.
      - An instance for which no preference gives a name is left out with a warning (an error with
        O(strict=true)). When two instances get the same name, the second one is left out with a warning.
    type: list
    elements: str
    default: [instance_id]
  hostvars_prefix:
    description:
      - Prefix of the host variables made from the attributes of the instance. C(ansible_host) never gets it.
      - With the default, the instance's C(instance_id) is the host variable C(ecs_instance_id), its C(tags) are
        C(ecs_tags), and so on.
      - An empty prefix gives the keys exactly as the modules return them, but C(tags) is a reserved variable
        name in Ansible (a warning is shown and it cannot be used in O(keyed_groups)).
    type: str
    default: ecs_
  plugin:
    description: The name of this plugin. Marks the file as an inventory source of this plugin.
    type: str
    required: true
    choices: [alicloud.ecs.ecs]
  regions:
    description:
      - Regions to read instances from. When empty, the region of O(region) (or of its environment
        variables, or of the profile) is used.
    type: list
    elements: str
    default: []
notes:
  - ECS is eventually consistent; each refresh is a snapshot of C(DescribeInstances), which may lag behind
    recent changes (an instance created moments ago may be missing from one refresh, one released moments
    ago still be in it, in its last state). The next refresh catches up.
  - With O(cache=true) and a persistent cache plugin (for example V(ansible.builtin.jsonfile)), the instances
    are read from the cache until O(cache_timeout) expires or C(--flush-cache) is given; no API call is made then.
seealso:
  - module: alicloud.ecs.ecs_instance_info
"""

EXAMPLES = r"""
# Each example is a separate inventory file.

# ecs.yml: every instance of the configured region (credentials from the environment)
plugin: alicloud.ecs.ecs

# prod.ecs.yml: running production instances of two regions, named by name, grouped by tag and zone
plugin: alicloud.ecs.ecs
regions:
  - cn-hangzhou
  - cn-beijing
status: Running
tags:
  env: prod
hostnames:
  - instance_name
  - instance_id
keyed_groups:
  - key: ecs_tags
    prefix: tag
  - key: ecs_zone_id
    prefix: zone
groups:
  web: "'web' in ecs_instance_name"
compose:
  ansible_host: ecs_private_ip

# vault.ecs.yml: credentials from a vault, host names from a template, cached for an hour
plugin: alicloud.ecs.ecs
access_key: "{{ vault_alicloud_access_key }}"
secret_key: "{{ vault_alicloud_secret_key }}"
region: cn-shanghai
hostnames:
  - "{{ instance_name }}.{{ region_id }}.example.com"
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/ansible-ecs-inventory
cache_timeout: 3600
"""

from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.vars import combine_vars

from ansible_collections.alicloud.ecs.plugins.module_utils._client import HAS_ALIYUN_SDK, build_client, resolve_credentials
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsError, failure_message, redact
from ansible_collections.alicloud.ecs.plugins.module_utils._filters import FILTER_SPEC, describe_filtered
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import normalize_instances
from ansible_collections.alicloud.ecs.plugins.plugin_utils._inventory import (
    CREDENTIAL_OPTIONS,
    client_options,
    deprecated_names,
    filter_options,
    host_vars,
    preferred_hostname,
    regions_to_query,
    set_in,
    validate_hostnames,
)


class InventoryModule(BaseInventoryPlugin, Constructable, Cacheable):
    NAME = "alicloud.ecs.ecs"

    def verify_file(self, path: str) -> bool:
        return super().verify_file(path) and path.endswith(("ecs.yml", "ecs.yaml"))

    def parse(self, inventory: Any, loader: Any, path: str, cache: bool = True) -> None:
        super().parse(inventory, loader, path, cache)
        if not HAS_ALIYUN_SDK:
            raise AnsibleError("the alicloud.ecs.ecs inventory plugin needs aliyun-python-sdk-core and aliyun-python-sdk-ecs")
        self.templar.available_variables = self._vars
        config = self._read_config_data(path)
        for message in deprecated_names(config or {}):
            self.display.deprecated(message, version="2.0.0", collection_name="alicloud.ecs")
        try:
            preferences = validate_hostnames(self.get_option("hostnames"))
        except ValueError as exc:
            raise AnsibleError(str(exc)) from exc
        instances, cached = self._get_cached_result(path, cache)
        if not cached:
            instances = self._fetch_instances(config or {})
        self._populate(instances, preferences)
        self._update_cached_result(path, cache, instances)

    # -- reading ---------------------------------------------------------------
    def _client_options(self, config: dict[str, Any]) -> dict[str, Any]:
        values = {}
        for name in CREDENTIAL_OPTIONS:
            value = self.get_option(name)
            if isinstance(value, str) and self.templar.is_template(value):
                value = self.templar.template(value)
            # ansible-core 2.16's get_option_and_origin does not see the configuration file (only ansible.cfg,
            # the environment and defaults), so an option set in the file is recognized from its data.
            origin = "configuration file" if set_in(config, name) else self.get_option_and_origin(name)[1]
            values[name] = (value, origin)
        return client_options(values)

    def _fetch_instances(self, config: dict[str, Any]) -> list[dict[str, Any]]:
        options = self._client_options(config)
        secrets = [options.get("secret_key"), options.get("security_token"), options.get("assume_role_external_id")]
        filters = filter_options(self.get_option, FILTER_SPEC)
        instances: list[dict[str, Any]] = []
        credentials: dict[str, Any] = {}
        try:
            regions = regions_to_query(self.get_option("regions"), None)
            # With regions listed, the region option (or env) is not needed: the first one stands in.
            credentials = resolve_credentials(dict(options, region=options.get("region") or next(iter(regions), None)))
            for message in credentials["deprecations"]:
                self.display.deprecated(message, version="2.0.0", collection_name="alicloud.ecs")
            # One set of credentials (one AssumeRole, one metadata request) for every region's client.
            for region in regions or [credentials["region"]]:
                client = build_client(dict(options, region=region), provider=credentials["provider"])
                instances += normalize_instances(describe_filtered(client, filters))
        except EcsError as err:
            if credentials:
                secrets += credentials["provider"].secrets()
            raise AnsibleError(redact("alicloud.ecs.ecs inventory: %s" % failure_message(err), secrets)) from None
        return instances

    def _get_cached_result(self, path: str, cache: bool) -> tuple[list[dict[str, Any]], bool]:
        # cache is False with --flush-cache or meta: refresh_inventory
        if not cache or not self.get_option("cache"):
            return [], False
        try:
            return self._cache[self.get_cache_key(path)], True
        except KeyError:  # expired or never written
            return [], False

    def _update_cached_result(self, path: str, cache: bool, result: list[dict[str, Any]]) -> None:
        if not self.get_option("cache"):
            return
        key = self.get_cache_key(path)
        # A result that came from the cache is not written back: that would extend its timeout.
        if cache and key in self._cache:
            return
        self._cache[key] = result

    # -- building hosts --------------------------------------------------------
    def _render(self, template: str, instance: dict[str, Any]) -> Any:
        self.templar.available_variables = combine_vars(self._vars, instance)
        try:
            return self.templar.template(template)
        except Exception as exc:  # noqa: BLE001 - a bad template is the user's, not ours
            if self.get_option("strict"):
                raise AnsibleError("hostnames: cannot render %r for %s: %s" % (template, instance.get("instance_id"), exc))
            return None

    def _populate(self, instances: list[dict[str, Any]], preferences: list[str]) -> None:
        strict = self.get_option("strict")
        prefix = self.get_option("hostvars_prefix") or ""
        owners: dict[str, str] = {}
        for instance in instances:
            hostname = preferred_hostname(instance, preferences, self._render)
            instance_id = instance.get("instance_id")
            if not hostname:
                message = "instance %s has no value for any of the hostnames %s" % (instance_id, preferences)
                if strict:
                    raise AnsibleError(message)
                self.display.warning("alicloud.ecs.ecs inventory: %s; it is left out" % message)
                continue
            if hostname in owners:
                self.display.warning(
                    "alicloud.ecs.ecs inventory: instances %s and %s are both named %s; %s is left out"
                    % (owners[hostname], instance_id, hostname, instance_id)
                )
                continue
            owners[hostname] = instance_id
            self._add_host(hostname, host_vars(instance, prefix), strict)

    def _add_host(self, hostname: str, variables: dict[str, Any], strict: bool) -> None:
        self.inventory.add_host(hostname)
        for key, value in variables.items():
            self.inventory.set_variable(hostname, key, value)
        # The constructed helpers add the host's own variables (and what compose set) to these.
        self._set_composite_vars(self.get_option("compose"), variables, hostname, strict=strict)
        self._add_host_to_composed_groups(self.get_option("groups"), {}, hostname, strict=strict)
        self._add_host_to_keyed_groups(self.get_option("keyed_groups"), {}, hostname, strict=strict)
