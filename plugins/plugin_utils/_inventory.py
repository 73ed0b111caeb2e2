# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""The ecs inventory plugin's pieces: host names, host variables, client options, the concurrent fetch.

Instances are normalized (module_utils/_transform.py) and reduced, page by
page, to the host variables the configuration asks for (``host_record``): a
lean default set (``DEFAULT_HOSTVARS``) plus ``hostvars_include``, never an
empty value unless ``hostvars_keep_empty``.  A DescribeInstances entry has
about 70 keys, a quarter of them empty; every host variable costs ansible-core
time and memory in ``set_variable`` and in ``ansible-inventory --list``, so at
10,000 hosts the full set is what made an inventory take half a minute.

``fetch_records`` reads every region at once (one thread and one client per
region, one set of credentials shared through ``SharedProvider``) and keeps
only the records, never a region's raw pages.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

from ansible_collections.alicloud.ecs.plugins.module_utils._args import CREDENTIALS_SPEC
from ansible_collections.alicloud.ecs.plugins.module_utils._filters import filtered_pages
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import normalize_instance, snake_key

# Hostname preferences that name a key of the normalized instance.
HOSTNAME_KEYS = ("public_ip", "private_ip", "instance_id", "instance_name")
DEFAULT_HOSTNAMES = ["instance_id"]
CREDENTIAL_OPTIONS = tuple(sorted(CREDENTIALS_SPEC))
# The attributes every host gets (what connecting, naming, grouping and targeting need); the
# plugin's DOCUMENTATION (hostvars_include) lists the same names.  Each is set only when not empty.
DEFAULT_HOSTVARS = (
    "image_id",
    "instance_charge_type",
    "instance_id",
    "instance_name",
    "instance_type",
    "os_type",
    "private_ip",
    "public_ip",
    "region_id",
    "status",
    "tags",
    "zone_id",
)
ALL_HOSTVARS = "all"
# Version of what the plugin writes to the inventory cache; another version is read as a miss.
CACHE_FORMAT = 2
# Regions read at the same time: each is one thread waiting on its own endpoint.
MAX_REGION_THREADS = 8


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


def is_empty(value: Any) -> bool:
    """Null, an empty string, list or dictionary (``0`` and ``false`` are values)."""
    return value is None or (isinstance(value, (str, list, dict)) and not value)


def hostvar_names(include: Iterable[str] | None) -> frozenset[str] | None:
    """The attributes to keep: the default set plus ``include``; None for every attribute (``all``).

    ValueError for an entry that is not a plain attribute name.
    """
    names = set(DEFAULT_HOSTVARS)
    for item in include or []:
        if not isinstance(item, str) or not item.strip() or is_template(item):
            raise ValueError("hostvars_include: %r is not an attribute name" % (item,))
        if item.strip() == ALL_HOSTVARS:
            return None
        names.add(item.strip())
    return frozenset(names)


def host_record(instance: dict[str, Any], names: frozenset[str] | None, keep_empty: bool = False) -> dict[str, Any]:
    """The attributes of a normalized instance that become its host variables (without prefix)."""
    if names is None:
        return {key: value for key, value in instance.items() if keep_empty or not is_empty(value)}
    return {
        key: instance[key]
        for key in _sorted_names(names)
        if key in instance and (keep_empty or not is_empty(instance[key]))
    }


@lru_cache(maxsize=16)
def _sorted_names(names: frozenset[str]) -> tuple[str, ...]:
    return tuple(sorted(names))


def host_vars(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Every key of ``record`` (with ``prefix``), plus ``ansible_host`` when there is an address."""
    result = {prefix + key: value for key, value in record.items()}
    address = connection_address(record)
    if address:
        result["ansible_host"] = address
    return result


def cache_entry(records: list[dict[str, Any]], selection: dict[str, Any]) -> dict[str, Any]:
    """What the plugin stores in the inventory cache: the records and the options that shaped them."""
    return {"format": CACHE_FORMAT, "hostvars": selection, "hosts": records}


def cached_records(entry: Any, selection: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The records of a cache entry written for ``selection``; None for any other entry.

    An entry of another format (an earlier version cached whole instances) or
    written with other ``hostvars_include``/``hostvars_keep_empty`` would give
    other host variables than the configuration asks for: it is read again.
    """
    if not isinstance(entry, Mapping) or entry.get("format") != CACHE_FORMAT or entry.get("hostvars") != selection:
        return None
    hosts = entry.get("hosts")
    return list(hosts) if isinstance(hosts, list) else None


def selection_key(names: frozenset[str] | None, keep_empty: bool) -> dict[str, Any]:
    """The hostvars options in a form the cache can store and compare (JSON)."""
    return {"include": ALL_HOSTVARS if names is None else sorted(names), "keep_empty": bool(keep_empty)}


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


# ---------------------------------------------------------------- reading the regions


# A region's instances, one page at a time as it arrives (never its whole raw listing): the same
# requests as ecs_instance_info's.
instance_pages = filtered_pages


# Attributes module_utils/_transform.normalize_instance derives from other API fields, and those fields
# (tests/unit/plugins/inventory checks that a trimmed entry normalizes to the same values).
DERIVED_FROM = {
    "nat_ip_address": ("VpcAttributes",),
    "private_ip": ("VpcAttributes", "InnerIpAddress"),
    "private_ip_address": ("VpcAttributes",),
    "public_ip": ("PublicIpAddress", "EipAddress"),
    "tags": ("Tags",),
    "vpc_id": ("VpcAttributes",),
    "vswitch_id": ("VpcAttributes",),
}
# What every record needs whatever the selection: the identity and the sort key.
ALWAYS_READ = ("CreationTime", "InstanceId")


class Trimmer:
    """Keeps of a raw DescribeInstances entry only the fields the selected attributes come from.

    Normalizing a whole entry (about 70 fields, nested ones too) costs three
    times as much as normalizing the dozen fields of the default selection.
    Each field name is looked at once, when an entry first has it; the
    attribute names of the whole listing are remembered for the
    ``hostvars_include`` warning.
    """

    def __init__(self, names: frozenset[str] | None) -> None:
        self.names = names
        self._known: set[str] = set()
        self._wanted: list[str] = []
        self.attribute_names: set[str] = set()
        sources = {field for name in names or () for field in DERIVED_FROM.get(name, ())}
        self._sources = sources | set(ALWAYS_READ)

    def __call__(self, raw: dict[str, Any]) -> dict[str, Any]:
        unseen = raw.keys() - self._known
        if unseen:
            self._learn(unseen, raw)
        if self.names is None:
            return raw
        return {field: raw[field] for field in self._wanted if field in raw}

    def _learn(self, fields: set[str], raw: dict[str, Any]) -> None:
        self._known |= fields
        # What normalizing these fields gives (and what it always adds: tags, private_ip, public_ip, ...).
        self.attribute_names |= set(normalize_instance({field: raw[field] for field in fields}))
        if self.names is not None:
            self._wanted += [f for f in sorted(fields) if snake_key(f) in self.names or f in self._sources]


class RegionListing:
    """One region's records, in a stable order (creation time, then id), and the attribute names seen."""

    def __init__(self, names: frozenset[str] | None, keep_empty: bool) -> None:
        self.names, self.keep_empty = names, keep_empty
        self.seen: set[str] = set()
        self._trim = Trimmer(names)
        self._sorted: list[tuple[tuple[str, str], dict[str, Any]]] = []

    def add_page(self, page: list[dict]) -> None:
        for raw in page:
            instance_id = raw.get("InstanceId")
            if not instance_id or instance_id in self.seen:  # ids in several chunks: listed once
                continue
            self.seen.add(instance_id)
            instance = normalize_instance(self._trim(raw))
            order = (instance.get("creation_time") or "", instance_id)
            self._sorted.append((order, host_record(instance, self.names, self.keep_empty)))

    @property
    def attribute_names(self) -> set[str]:
        return self._trim.attribute_names

    def records(self) -> list[dict[str, Any]]:
        return [record for _order, record in sorted(self._sorted, key=lambda item: item[0])]


def read_region(client: Any, filters: dict[str, Any], names: frozenset[str] | None, keep_empty: bool) -> RegionListing:
    listing = RegionListing(names, keep_empty)
    for page in instance_pages(client, filters):
        listing.add_page(page)
    return listing


def fetch_records(
    clients: list[Any], filters: dict[str, Any], names: frozenset[str] | None, keep_empty: bool
) -> tuple[list[dict[str, Any]], set[str]]:
    """Every region's records (regions in the order given) and every attribute name an instance had.

    The regions are read at the same time, one thread per client (at most
    MAX_REGION_THREADS); a failure is raised once all have finished, the
    first region's in the order given when several fail.
    """
    if len(clients) == 1:
        listings = [read_region(clients[0], filters, names, keep_empty)]
    else:
        with ThreadPoolExecutor(max_workers=min(len(clients), MAX_REGION_THREADS)) as pool:
            futures = [pool.submit(read_region, client, filters, names, keep_empty) for client in clients]
        for future in futures:
            error = future.exception()
            if error is not None:
                raise error
        listings = [future.result() for future in futures]
    records: list[dict[str, Any]] = []
    keys: set[str] = set()
    for listing in listings:
        records += listing.records()
        keys |= listing.attribute_names
    return records, keys


class SharedProvider:
    """A credential provider used by the clients of several threads: one renewal at a time.

    The clients of all regions sign with the same credentials (one AssumeRole,
    one metadata request for the whole inventory); a temporary credential due
    for renewal is renewed by the first thread that needs it, the others wait
    for it instead of renewing it again.
    """

    def __init__(self, provider: Any) -> None:
        self._provider = provider
        self._lock = threading.RLock()
        self.refreshable = provider.refreshable
        self.source = provider.source

    def credentials(self) -> Any:
        with self._lock:
            return self._provider.credentials()

    def refresh(self, keep_valid: bool = False) -> None:
        with self._lock:
            self._provider.refresh(keep_valid=keep_valid)

    def secrets(self) -> list[str]:
        with self._lock:
            return self._provider.secrets()

    def on_secret(self, listener: Callable[[str], None]) -> None:
        with self._lock:
            self._provider.on_secret(listener)
