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
  - Each host gets a lean set of host variables, prefixed with O(hostvars_prefix), from the attributes of its
    instance in the shape M(alicloud.ecs.ecs_instance_info) returns them. By default these are C(ecs_image_id),
    C(ecs_instance_charge_type), C(ecs_instance_id), C(ecs_instance_name), C(ecs_instance_type), C(ecs_os_type),
    C(ecs_private_ip), C(ecs_public_ip), C(ecs_region_id), C(ecs_status), C(ecs_tags) and C(ecs_zone_id).
    O(hostvars_include) adds other attributes, or all of them.
  - A variable whose value is empty (null, an empty string, list or dictionary) is not set, unless
    O(hostvars_keep_empty=true). So C(ecs_public_ip) exists only on instances with a public address and
    C(ecs_tags) only on tagged ones. With O(strict=true), expressions in O(compose), O(groups) and O(keyed_groups)
    that use such a variable need the C(default) filter (see the examples).
  - C(ansible_host) is set to the public address of the instance, else to its private one. O(compose) can
    override it.
  - The filters are the same as those of M(alicloud.ecs.ecs_instance_info) and apply in every region.
  - The regions are read at the same time (up to eight at once), each with its own client and all with the
    same credentials (one C(AssumeRole) for all of them).
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
        use the host's variables without prefix (the default set and those of O(hostvars_include)).
      - An instance for which no preference gives a name is left out with a warning (an error with
        O(strict=true)). When two instances get the same name, the second one is left out with a warning.
    type: list
    elements: str
    default: [instance_id]
  hostvars_include:
    description:
      - Attributes of the instance to set as host variables besides the default ones (see the description), by
        the names M(alicloud.ecs.ecs_instance_info) returns them with, without O(hostvars_prefix). For example
        V(vpc_id), V(vswitch_id), V(security_group_ids), V(host_name), V(creation_time), V(expired_time),
        V(key_pair_name), V(internet_max_bandwidth_out), V(cpu) or V(memory).
      - V(all) sets every attribute of the instance.
      - A name that no listed instance has is reported with a warning.
      - Templates in O(hostnames), O(compose), O(groups) and O(keyed_groups) see only the variables that are
        set, so an attribute they use must be in the default set or here.
    type: list
    elements: str
    default: []
    version_added: 1.0.0
  hostvars_keep_empty:
    description:
      - Also set the host variables whose value is empty (null, an empty string, list or dictionary).
      - With O(hostvars_include=[all]) this gives every attribute of the instance as a host variable, as earlier
        versions of this plugin did (69 variables per host, 16 of them usually empty).
    type: bool
    default: false
    version_added: 1.0.0
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
  - With O(cache=true) and a persistent cache plugin (for example V(ansible.builtin.jsonfile)), the hosts'
    attributes are read from the cache until O(cache_timeout) expires or C(--flush-cache) is given; no API call
    is made then. The cache holds only the attributes that become host variables; after a change of
    O(hostvars_include) or O(hostvars_keep_empty) the instances are read from the API again.
seealso:
  - module: alicloud.ecs.ecs_instance_info
"""

EXAMPLES = r"""
# Each example is a separate inventory file. The first is YAML as it stands; the others are
# commented out here (one YAML document cannot hold several files): remove the leading "# ".

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
hostvars_include:
  - vpc_id
  - security_group_ids
keyed_groups:
  - key: ecs_tags
    prefix: tag
  - key: ecs_zone_id
    prefix: zone
  - key: ecs_vpc_id
    prefix: vpc
groups:
  web: "'web' in ecs_instance_name"
  ssh_open: "'sg-bp1abcdefghijk' in ecs_security_group_ids | default([])"
compose:
  ansible_host: ecs_private_ip

# ecs.yml: every instance of the configured region (credentials from the environment)
# plugin: alicloud.ecs.ecs

# full.ecs.yml: every attribute of every instance as a host variable, empty ones too (the earlier default)
# plugin: alicloud.ecs.ecs
# hostvars_include:
#   - all
# hostvars_keep_empty: true

# vault.ecs.yml: credentials from a vault, host names from a template, cached for an hour
# plugin: alicloud.ecs.ecs
# access_key: "{{ vault_alicloud_access_key }}"
# secret_key: "{{ vault_alicloud_secret_key }}"
# region: cn-shanghai
# hostnames:
#   - "{{ instance_name }}.{{ region_id }}.example.com"
# cache: true
# cache_plugin: ansible.builtin.jsonfile
# cache_connection: ~/.cache/ansible-ecs-inventory
# cache_timeout: 3600
"""

import re
from collections.abc import Mapping
from typing import Any

from ansible.errors import AnsibleError
from ansible.plugins.inventory import BaseInventoryPlugin, Cacheable, Constructable
from ansible.utils.unsafe_proxy import wrap_var
from ansible.utils.vars import combine_vars

from ansible_collections.alicloud.ecs.plugins.module_utils._client import HAS_ALIYUN_SDK, build_client, resolve_credentials
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsError, failure_message, redact
from ansible_collections.alicloud.ecs.plugins.module_utils._filters import FILTER_SPEC
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import clean_ids
from ansible_collections.alicloud.ecs.plugins.plugin_utils._inventory import (
    CREDENTIAL_OPTIONS,
    DEFAULT_HOSTVARS,
    SharedProvider,
    cache_entry,
    cached_records,
    client_options,
    deprecated_names,
    fetch_records,
    filter_options,
    host_vars,
    hostvar_names,
    preferred_hostname,
    regions_to_query,
    selection_key,
    set_in,
    validate_hostnames,
)

# Instance names and tags are anyone's text: "{{ ... }}" in them must never be templated. ansible-core 2.19
# and later leave what a plugin sets untrusted (data tagging; wrap_var then returns its input); before, the
# values must be marked unsafe.
MARK_UNSAFE = wrap_var("").__class__ is not str


IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


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
            names = hostvar_names(self.get_option("hostvars_include"))
        except ValueError as exc:
            raise AnsibleError(str(exc)) from exc
        keep_empty = bool(self.get_option("hostvars_keep_empty"))
        selection = selection_key(names, keep_empty)
        records = self._get_cached_result(path, cache, selection)
        fetched = records is None
        if records is None:
            records = self._fetch_records(config or {}, names, keep_empty)
        self._populate(records, preferences)
        if fetched:
            self._update_cached_result(path, records, selection)

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

    def _fetch_records(
        self, config: dict[str, Any], names: frozenset[str] | None, keep_empty: bool
    ) -> list[dict[str, Any]]:
        options = self._client_options(config)
        secrets = [options.get("secret_key"), options.get("security_token"), options.get("assume_role_external_id")]
        filters = filter_options(self.get_option, FILTER_SPEC)
        blanks = clean_ids(filters["instance_ids"])[1] if filters.get("instance_ids") is not None else 0
        if blanks:
            # What a lookup that found nothing gives ("" or [""]): it selects nothing, as in ecs_instance_info.
            self.display.warning("alicloud.ecs.ecs inventory: instance_ids has %d blank entries; they are left out" % blanks)
        credentials: dict[str, Any] = {}
        try:
            regions = regions_to_query(self.get_option("regions"), None)
            # With regions listed, the region option (or env) is not needed: the first one stands in.
            credentials = resolve_credentials(dict(options, region=options.get("region") or next(iter(regions), None)))
            for message in credentials["deprecations"]:
                self.display.deprecated(message, version="2.0.0", collection_name="alicloud.ecs")
            # One set of credentials (one AssumeRole, one metadata request) for every region's client.
            provider = SharedProvider(credentials["provider"])
            regions = regions or [credentials["region"]]
            clients = [build_client(dict(options, region=region), provider=provider) for region in regions]
            records, attributes = fetch_records(clients, filters, names, keep_empty)
        except EcsError as err:
            if credentials:
                secrets += credentials["provider"].secrets()
            raise AnsibleError(redact("alicloud.ecs.ecs inventory: %s" % failure_message(err), secrets)) from None
        unknown = sorted(set(names or ()) - set(DEFAULT_HOSTVARS) - attributes) if records else []
        if unknown:
            self.display.warning(
                "alicloud.ecs.ecs inventory: hostvars_include names %s, which no listed instance has (the names are "
                "those of alicloud.ecs.ecs_instance_info's instances, without hostvars_prefix)" % ", ".join(unknown)
            )
        return records

    def _get_cached_result(self, path: str, cache: bool, selection: dict[str, Any]) -> list[dict[str, Any]] | None:
        # cache is False with --flush-cache or meta: refresh_inventory
        if not cache or not self.get_option("cache"):
            return None
        try:
            entry = self._cache[self.get_cache_key(path)]
        except KeyError:  # expired or never written
            return None
        return cached_records(entry, selection)

    def _update_cached_result(self, path: str, records: list[dict[str, Any]], selection: dict[str, Any]) -> None:
        # Only what was read from the API is written: writing back a cached result would extend its timeout.
        if self.get_option("cache"):
            self._cache[self.get_cache_key(path)] = cache_entry(records, selection)

    # -- building hosts --------------------------------------------------------
    def _render(self, template: str, record: dict[str, Any]) -> Any:
        self.templar.available_variables = combine_vars(self._vars, record)
        try:
            return self.templar.template(template)
        except Exception as exc:  # noqa: BLE001 - a bad template is the user's, not ours
            if self.get_option("strict"):
                raise AnsibleError(
                    "hostnames: cannot render %r for %s: %s (templates see the host variables without prefix; "
                    "add other attributes with hostvars_include)" % (template, record.get("instance_id"), exc)
                )
            return None

    def _populate(self, records: list[dict[str, Any]], preferences: list[str]) -> None:
        strict = self.get_option("strict")
        prefix = self.get_option("hostvars_prefix") or ""
        constructed = (self.get_option("compose"), self.get_option("groups"), self.get_option("keyed_groups"))
        owners: dict[str, str] = {}
        for record in records:
            hostname = preferred_hostname(record, preferences, self._render)
            instance_id = record.get("instance_id")
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
            self._add_host(hostname, host_vars(record, prefix), strict, *constructed)

    def _compose(self, template: Any, variables: Any, *args: Any, **kwargs: Any) -> Any:
        """A bare variable name (``key: ecs_tags``, ``ansible_host: ecs_private_ip``) is looked up, not templated.

        ansible-core 2.19 and later compile an expression anew each time it is
        evaluated, about a millisecond per host and expression: with the usual
        keyed groups that was most of an inventory's time. A name whose value
        is a string, list or dictionary gives the same value either way; any
        other expression (or value) goes through the templating as before.
        """
        name = template.strip() if isinstance(template, str) else None
        if name and IDENTIFIER.match(name) and not self.get_option("use_extra_vars"):
            value = variables.get(name) if isinstance(variables, Mapping) else None
            if isinstance(value, (str, list, Mapping)):
                return value
        return super()._compose(template, variables, *args, **kwargs)

    def _add_host(
        self, hostname: str, variables: dict[str, Any], strict: bool, compose: Any, groups: Any, keyed: Any
    ) -> None:
        self.inventory.add_host(hostname)
        if MARK_UNSAFE:
            variables = wrap_var(variables)
        for key, value in variables.items():
            self.inventory.set_variable(hostname, key, value)
        if compose:
            self._set_composite_vars(compose, variables, hostname, strict=strict)
        if groups or keyed:
            # The host's variables once (with what compose set), instead of once per group entry.
            everything = self.inventory.get_host(hostname).get_vars()
            self._add_host_to_composed_groups(groups, everything, hostname, strict=strict, fetch_hostvars=False)
            self._add_host_to_keyed_groups(keyed, everything, hostname, strict=strict, fetch_hostvars=False)
