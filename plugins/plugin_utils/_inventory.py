# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Pure pieces of the ecs inventory plugin: host names, host variables, client options.

Instances here are already normalized (module_utils/_transform.py), so the
inventory's host variables have the shape the modules return.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

from ansible_collections.alicloud.ecs.plugins.module_utils._args import CREDENTIALS_SPEC

# Hostname preferences that name a key of the normalized instance.
HOSTNAME_KEYS = ("public_ip", "private_ip", "instance_id", "instance_name")
DEFAULT_HOSTNAMES = ["instance_id"]
CREDENTIAL_OPTIONS = tuple(sorted(CREDENTIALS_SPEC))


def is_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def validate_hostnames(preferences: Iterable[str]) -> list[str]:
    """The preferences, or ValueError naming the first one that is neither a known key nor a template."""
    result = list(preferences or DEFAULT_HOSTNAMES)
    for item in result:
        if not isinstance(item, str) or not (item in HOSTNAME_KEYS or is_template(item)):
            raise ValueError(
                "hostnames: %r is neither one of %s nor a Jinja2 template" % (item, ", ".join(HOSTNAME_KEYS))
            )
    return result


def preferred_hostname(
    instance: dict[str, Any],
    preferences: Iterable[str],
    render: Callable[[str, dict[str, Any]], Any] | None = None,
) -> str | None:
    """First non-empty name from ``preferences`` (keys of the instance, or templates ``render`` expands)."""
    for item in validate_hostnames(preferences):
        if item in HOSTNAME_KEYS:
            value = instance.get(item)
        elif render is not None:
            value = render(item, instance)
        else:
            continue
        if value not in (None, "") and str(value).strip():
            return str(value).strip()
    return None


def connection_address(instance: dict[str, Any]) -> str | None:
    """What ``ansible_host`` is set to: the public address, else the private one."""
    return instance.get("public_ip") or instance.get("private_ip") or None


def host_vars(instance: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every key of the normalized instance (with ``prefix``), plus ``ansible_host`` when there is an address."""
    result = {prefix + key: value for key, value in instance.items()}
    address = connection_address(instance)
    if address:
        result["ansible_host"] = address
    return result


def client_options(values: dict[str, tuple[Any, str]]) -> dict[str, Any]:
    """Options for module_utils/_client.py from ``{name: (value, origin)}`` of the plugin's options.

    Values that came from the environment are left out: _client.py reads the
    environment itself, with the same precedence as for modules (an explicit
    profile beats keys in the environment).
    """
    result: dict[str, Any] = {}
    for name in CREDENTIAL_OPTIONS:
        value, origin = values.get(name, (None, "default"))
        if str(origin).startswith("env"):
            value = None
        result[name] = value
    return result


def set_in(config: Mapping[str, Any], name: str) -> bool:
    """Whether the inventory configuration sets credential option ``name`` (or one of its aliases)."""
    return any(key in config for key in [name] + list(CREDENTIALS_SPEC[name].get("aliases", [])))


def deprecated_names(config: Mapping[str, Any]) -> list[str]:
    """A message for each old (alibaba.alicloud) option name used in an inventory configuration."""
    messages = []
    for name in CREDENTIAL_OPTIONS:
        for alias in CREDENTIALS_SPEC[name].get("deprecated_aliases", []):
            if alias["name"] in config:
                messages.append("the option %s (of alibaba.alicloud) is deprecated; use %s" % (alias["name"], name))
    return messages


def regions_to_query(regions: Iterable[str] | None, default_region: str | None) -> list[str]:
    """The configured regions without duplicates, else the default region."""
    wanted = list(dict.fromkeys(r for r in (regions or []) if r))
    if wanted:
        return wanted
    return [default_region] if default_region else []


def filter_options(get: Callable[[str], Any], names: Iterable[str]) -> dict[str, Any]:
    return {name: get(name) for name in names}
