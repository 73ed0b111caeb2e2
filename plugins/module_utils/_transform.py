# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Turning API payloads into Ansible results, shared by every module and plugin."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

RENAMES = {"v_switch_id": "vswitch_id"}


class TagError(ValueError):
    """A tag the API cannot store (a list or dict value, a null or empty key)."""


def tag_value(key: Any, value: Any) -> str:
    """A tag value as the API stores it (a string), the same way for requests, matching and results.

    YAML and Jinja give booleans, numbers and null: ``true`` is written ``true``
    (lower case, as YAML and JSON spell it, not Python's ``True``), numbers as
    their decimal text (``8``, ``1.5``), null as the empty string.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    raise TagError("tag %r has a %s value; tag values are strings, numbers or booleans" % (key, type(value).__name__))


def tags_to_api(tags: Any, option: str = "tags") -> dict[str, str]:
    """``{key: value}`` with every key and value converted once (``tag_value``); TagError names the bad tag."""
    if tags is None:
        return {}
    if not isinstance(tags, dict):
        raise TagError("%s must be a dictionary of tag keys to values, got %s" % (option, type(tags).__name__))
    result: dict[str, str] = {}
    for key, value in tags.items():
        if key is None or (isinstance(key, str) and not key.strip()):
            raise TagError("%s has a tag with an empty key (null or blank); every tag needs a key" % option)
        if isinstance(key, (dict, list, tuple)):
            raise TagError("%s has a tag key that is a %s; tag keys are strings" % (option, type(key).__name__))
        result[tag_value(key, True) if isinstance(key, bool) else str(key)] = tag_value(key, value)
    return result


def clean_ids(values: Any) -> tuple[list[str], int]:
    """IDs as given (a list option), without blanks and repeats: (ids in order, how many blank entries were left
    out). A lookup that found nothing often gives ``""`` or ``[""]``, which must select nothing, not an ID ``""``."""
    kept: list[str] = []
    blanks = 0
    for value in values or []:
        text = "" if value is None else str(value).strip()
        if not text:
            blanks += 1
        elif text not in kept:
            kept.append(text)
    return kept, blanks


def tags_to_dict(tags: Any) -> dict[str, str]:
    """``{"Tag": [{"TagKey": k, "TagValue": v}]}`` (or Key/Value, as VPC uses) -> ``{k: v}``."""
    items = tags.get("Tag", []) if isinstance(tags, dict) else (tags or [])
    result = {}
    for item in items:
        key = item.get("TagKey", item.get("Key"))
        if key is not None:
            result[key] = item.get("TagValue", item.get("Value", "")) or ""
    return result


def unwrap_lists(value: Any) -> Any:
    """Replace every ``{"Singular": [...]}`` wrapper by the list itself, recursively."""
    if isinstance(value, dict):
        if len(value) == 1:
            only = next(iter(value.values()))
            if isinstance(only, list):
                return [unwrap_lists(item) for item in only]
        return {key: unwrap_lists(item) for key, item in value.items()}
    if isinstance(value, list):
        return [unwrap_lists(item) for item in value]
    return value


@lru_cache(maxsize=2048)
def snake_key(key: str) -> str:
    """One API key in snake_case, exactly as ``camel_dict_to_snake_dict`` converts it, plus RENAMES.

    Cached: a DescribeInstances entry has about a hundred keys and every entry has the same
    ones, so converting each key once instead of once per instance makes normalizing 100
    instances about 20 times faster.
    """
    converted = next(iter(camel_dict_to_snake_dict({key: None})))
    return RENAMES.get(converted, converted)


def _snake_tree(value: Any) -> Any:
    """``unwrap_lists``, then snake_case keys at every level, then RENAMES, in one pass."""
    if isinstance(value, dict):
        if len(value) == 1:
            only = next(iter(value.values()))
            if isinstance(only, list):
                return [_snake_tree(item) for item in only]
        return {snake_key(key): _snake_tree(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_snake_tree(item) for item in value]
    return value


def normalize_instance(raw: dict[str, Any]) -> dict[str, Any]:
    """One DescribeInstances entry -> snake_case dict with flat lists, tags as a dict and shortcuts.

    Shortcuts: ``public_ip`` (first public or EIP address, or None), ``private_ip``,
    ``vpc_id``, ``vswitch_id``, ``security_group_ids``, ``operation_locks`` (reasons).
    """
    # UserData is attached by callers that compare it; it may hold secrets, so it is never returned.
    result = {snake_key(key): _snake_tree(value) for key, value in raw.items() if key not in ("Tags", "UserData")}
    result["tags"] = tags_to_dict(raw.get("Tags"))
    vpc = result.pop("vpc_attributes", None) or {}
    result["private_ip_address"] = list(vpc.get("private_ip_address") or [])
    result["private_ip"] = next(iter(result["private_ip_address"] + result.get("inner_ip_address", [])), None)
    result["vpc_id"] = vpc.get("vpc_id") or None
    result["vswitch_id"] = vpc.get("vswitch_id") or None
    result["nat_ip_address"] = vpc.get("nat_ip_address") or None
    result["public_ip_address"] = list(result.get("public_ip_address") or [])
    eip = (result.get("eip_address") or {}).get("ip_address") or None
    result["public_ip"] = next(iter(result["public_ip_address"]), None) or eip
    result["security_group_ids"] = list(result.get("security_group_ids") or [])
    result["operation_locks"] = [lock.get("lock_reason") for lock in result.get("operation_locks") or []]
    return result


def normalize_instances(raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Normalized instances sorted by creation time, then id (stable across runs)."""
    return sorted((normalize_instance(raw) for raw in raws), key=lambda i: (i.get("creation_time") or "", i["instance_id"]))
