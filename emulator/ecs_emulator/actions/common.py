"""Helpers shared by the action handlers: lookups, validators, pagination, tags."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Callable, Sequence

from ..errors import ApiError, instance_not_found, invalid_parameter, missing_parameter, region_not_found
from ..registry import Call

# ---------------------------------------------------------------- lookups


def region(call: Call, required: bool = True) -> str | None:
    """RegionId, checked against the seed (reference 7)."""
    region_id = call.params.str("RegionId", required=required)
    if region_id is None:
        return None
    if region_id not in call.store.catalog.regions:
        raise region_not_found()
    return region_id


def instance(call: Call, name: str = "InstanceId", observe: bool = False) -> dict[str, Any]:
    """A required single instance; its region must match RegionId when one is given."""
    instance_id = call.params.require(name)
    return find_instance(call, instance_id, observe)


def find_instance(call: Call, instance_id: str, observe: bool = False) -> dict[str, Any]:
    """An instance for a per-instance operation: not found before it is visible (reference 8.9)."""
    inst = call.store.get_instance(instance_id, call.now, observe)
    region_id = call.params.get("RegionId")
    if inst is None or (region_id and region_id in call.store.catalog.regions and inst["RegionId"] != region_id):
        raise instance_not_found()
    if not call.store.is_visible(inst, call.now):
        raise instance_not_found()
    return inst


def security_group(call: Call, sg_id: str, region_id: str | None = None) -> dict[str, Any]:
    group = call.store.security_groups.get(sg_id)
    if group is None or (region_id and group["RegionId"] != region_id):
        raise ApiError("InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId does not exist.", 404)
    return group


# ------------------------------------------------------------ validators

_HTTP = ("http://", "https://")
_NAME_RE = re.compile(r"[^\W\d_][\w:.\-]*")  # starts with a (Unicode) letter; digits : _ . - follow
_PASSWORD_SPECIALS = set("()`~!@#$%^&*-_+=|{}[]:;'<>,.?/")


MAX_SECURITY_GROUPS = 5  # per instance


def security_group_limit() -> ApiError:
    return ApiError(
        "InstanceSecurityGroupLimitExceeded",
        "Exceeding the allowed amount of security groups that an instance can be in.",
        400,
    )


def check_security_group_ids(ids: list[str]) -> None:
    """A list of groups for one instance: no repeats, at most MAX_SECURITY_GROUPS."""
    if len(set(ids)) != len(ids):
        raise invalid_parameter("SecurityGroupIds")
    if len(ids) > MAX_SECURITY_GROUPS:
        raise security_group_limit()


def check_name(value: str | None, code: str, param: str, minimum: int = 2, maximum: int = 128) -> None:
    """InstanceName / SecurityGroupName style (reference 9.1): 2-128, letter first, not http(s)://."""
    if value is None:
        return
    if not minimum <= len(value) <= maximum or value.startswith(_HTTP) or not _NAME_RE.fullmatch(value):
        raise ApiError(code, f'The specified parameter "{param}" is not valid.', 400)


def check_description(value: str | None) -> None:
    if value is None or value == "":
        return
    if not 2 <= len(value) <= 256 or value.startswith(_HTTP):
        raise ApiError("InvalidDescription.Malformed", 'The specified parameter "Description" is not valid.', 400)


def check_hostname(value: str | None, windows: bool = False) -> None:
    """Reference 9.1: no leading/trailing/consecutive ``.``/``-``; Windows 2-15 without dots, not all digits."""
    if value is None:
        return
    bad = ApiError("InvalidHostName.Malformed", 'The specified parameter "HostName" is not valid.', 400)
    checked = value.replace("${instance_id}", "i-x")
    if re.search(r"^[.-]|[.-]$|[.-]{2}", checked):
        raise bad
    if windows:
        if (
            not 2 <= len(checked) <= 15
            or "." in checked
            or checked.isdigit()
            or not re.fullmatch(r"[A-Za-z0-9-]+", checked)
        ):
            raise bad
    elif not 2 <= len(checked) <= 64 or not re.fullmatch(r"[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*", checked):
        raise bad


def check_password(value: str | None) -> None:
    """8-30 chars from at least three classes of upper, lower, digit, special (reference 9.1)."""
    if value is None:
        return
    classes = [
        any(c.isupper() for c in value),
        any(c.islower() for c in value),
        any(c.isdigit() for c in value),
        any(c in _PASSWORD_SPECIALS for c in value),
    ]
    allowed = all(c.isascii() and (c.isalnum() or c in _PASSWORD_SPECIALS) for c in value)
    if not 8 <= len(value) <= 30 or sum(classes) < 3 or not allowed:
        raise ApiError("InvalidPassword.Malformed", 'The specified parameter "Password" is not valid.', 400)


def check_resource_group(value: str | None) -> None:
    """No resource-group API here: any id shaped like ``rg-xxxxxx`` is accepted (README)."""
    if value and not re.fullmatch(r"rg-[a-z0-9]{6,}", value):
        raise ApiError(
            "InvalidResourceGroup.NotFound", "The ResourceGroup provided does not exist in our records.", 404
        )


# ------------------------------------------------------------------ tags


def tag_key_error() -> ApiError:
    return ApiError("InvalidTagKey.Malformed", "The specified Tag.n.Key is not valid.", 400)


def tag_value_error() -> ApiError:
    return ApiError("InvalidTagValue.Malformed", "The specified Tag.n.Value is not valid.", 400)


def validate_tags(rows: list[dict[str, Any]], count_error: ApiError | None = None) -> dict[str, str]:
    """Tag.N for creation and TagResources (reference 8.8); returns an ordered key -> value dict."""
    if len(rows) > 20:
        raise count_error or ApiError("InvalidTagCount", "The specified tags are beyond the permitted range.", 400)
    tags: dict[str, str] = {}
    for row in rows:
        key, value = row.get("Key"), row.get("Value")
        if not key or len(key) > 128 or key.startswith(("aliyun", "acs:")) or any(h in key for h in _HTTP):
            raise tag_key_error()
        value = value or ""
        if len(value) > 128 or value.startswith("acs:") or any(h in value for h in _HTTP):
            raise tag_value_error()
        if key in tags:
            raise ApiError("Duplicate.TagKey", "The Tag.N.Key contain duplicate key.", 400)
        tags[key] = value
    return tags


def tag_filter(call: Call) -> list[tuple[str, str | None]]:
    """Tag.N filters of Describe* calls: AND semantics, a key without value matches any value (reference 8.8)."""
    rows = call.params.tags()
    if len(rows) > 20:
        raise ApiError("InvalidTagCount", "The specified tags are beyond the permitted range.", 400)
    out = []
    for row in rows:
        if not row.get("Key"):
            raise ApiError("InvalidTag.Mismatch", "The specified Tag.n.Key and Tag.n.Value are not match.", 400)
        out.append((row["Key"], row.get("Value")))
    return out


def tags_match(tags: dict[str, str], wanted: list[tuple[str, str | None]]) -> bool:
    return all(key in tags and (value is None or tags[key] == value) for key, value in wanted)


def wildcard(pattern: str | None) -> Callable[[str], bool] | None:
    """``*`` fuzzy match of InstanceName / ImageName filters."""
    if not pattern:
        return None
    if "*" not in pattern:
        return lambda value: value == pattern
    regex = re.compile(".*".join(map(re.escape, pattern.split("*"))) + r"\Z", re.S)
    return lambda value: bool(regex.match(value))


# ------------------------------------------------------------ pagination


def page_size(call: Call, name: str, default: int, maximum: int, minimum: int = 1) -> int:
    """PageSize / MaxResults with the out-of-range policy of config ``page_size_out_of_range`` (reference 8.4)."""
    value = call.params.int(name, default)
    assert value is not None
    if minimum <= value <= maximum:
        return value
    if call.store.config["page_size_out_of_range"] == "error":
        raise invalid_parameter(name)
    return max(minimum, min(maximum, value))


def page_number(call: Call) -> int:
    value = call.params.int("PageNumber", 1)
    assert value is not None
    if value >= 1:
        return value
    if call.store.config["page_size_out_of_range"] == "error":
        raise invalid_parameter("PageNumber")
    return 1


def paginate(call: Call, items: Sequence[Any], default: int, maximum: int) -> tuple[list[Any], dict[str, Any]]:
    """PageNumber/PageSize paging; returns the page and ``{TotalCount, PageNumber, PageSize}``."""
    size = page_size(call, "PageSize", default, maximum)
    number = page_number(call)
    start = (number - 1) * size
    return list(items[start : start + size]), {"TotalCount": len(items), "PageNumber": number, "PageSize": size}


def _token_salt(call: Call) -> str:
    return hashlib.md5(f"{call.action}|{call.params.get('RegionId', '')}".encode()).hexdigest()[:24]


def make_token(call: Call, position: int) -> str:
    """Opaque 32-hex NextToken (reference 8.4): 8 hex of position + 24 hex bound to action and region."""
    return f"{position:08x}{_token_salt(call)}"


def read_token(call: Call) -> int | None:
    token = call.params.get("NextToken")
    if not token:
        return None
    if not re.fullmatch(r"[0-9a-f]{32}", token) or token[8:] != _token_salt(call):
        raise invalid_parameter("NextToken")
    return int(token[:8], 16)


def token_page(call: Call, items: Sequence[Any], size: int) -> tuple[list[Any], str]:
    """NextToken paging by offset; returns the page and the next token ('' on the last page)."""
    start = read_token(call) or 0
    page = list(items[start : start + size])
    end = start + len(page)
    return page, (make_token(call, end) if end < len(items) else "")


def json_ids(call: Call, name: str, maximum: int, error: ApiError | None = None) -> list[str] | None:
    """A JSON-array id parameter (``InstanceIds``, ``DiskIds`` ...); more than ``maximum`` is an error."""
    items = call.params.json_list(name, max_items=maximum, error=error)
    if items is None:
        return None
    if not all(isinstance(item, str) for item in items):
        raise error or invalid_parameter(name)
    return items


def repeat_ids(call: Call, name: str = "InstanceId", maximum: int = 100) -> list[str]:
    """``InstanceId.N`` of the batch operations: 1-100 (reference 9.6)."""
    ids = [i for i in call.params.repeat_list(name) if i]
    if not ids:
        raise missing_parameter(f"{name}.1")
    if len(ids) > maximum:
        raise invalid_parameter(name)
    return ids


def enum_or(
    call: Call,
    name: str,
    allowed: Sequence[str],
    code: str,
    message: str,
    status: int = 400,
    default: str | None = None,
) -> str | None:
    return call.params.enum(name, tuple(allowed), default, ApiError(code, message, status))
