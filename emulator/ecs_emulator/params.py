"""Typed access to request parameters, raising the API's own errors.

All wire values are strings.  Booleans are parsed case-insensitively (the
Python SDKs send ``True``/``False``), repeat lists are ``Name.N`` (1-based,
possibly sparse, sorted by N), nested lists ``Name.N.Field`` and
``Name.N.Field.M``, and some list parameters are JSON strings.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Iterator

from .errors import ApiError, invalid_parameter, missing_parameter

# Common and signature parameters: not operation parameters (reference 8.2).
COMMON_PARAMS = frozenset(
    {
        "Action",
        "Version",
        "Format",
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "SignatureType",
        "Timestamp",
        "SecurityToken",
        "BearerToken",
        "OwnerId",
        "OwnerAccount",
        "ResourceOwnerId",
        "ResourceOwnerAccount",
        "CallerParentId",
    }
)


class Params:
    """Operation parameters of one call (a plain ``dict[str, str]`` inside)."""

    def __init__(self, raw: dict[str, str]):
        self.raw = {k: v for k, v in raw.items() if k not in COMMON_PARAMS}

    def __contains__(self, name: str) -> bool:
        return name in self.raw

    def __iter__(self) -> Iterator[str]:
        return iter(self.raw)

    def items(self):
        return self.raw.items()

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.raw.get(name, default)

    def str(self, name: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.raw.get(name)
        if value is None or (required and value == ""):
            if required:
                raise missing_parameter(name)
            return default
        return value

    def require(self, name: str) -> str:
        value = self.str(name, required=True)
        assert value is not None
        return value

    def enum(self, name: str, allowed: list[str] | tuple[str, ...], default: str | None = None,
             error: ApiError | None = None) -> str | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        if value not in allowed:
            raise error or invalid_parameter(name)
        return value

    def bool(self, name: str, default: bool | None = None) -> bool | None:
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise invalid_parameter(name)

    def int(self, name: str, default: int | None = None, *, minimum: int | None = None,
            maximum: int | None = None, error: ApiError | None = None) -> int | None:
        """An ``Integer`` parameter: decimal digits within the signed 32-bit range the API's type has."""
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        number = parse_int(value)
        if number is None:
            raise error or invalid_parameter(name)
        if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
            raise error or invalid_parameter(name)
        return number

    def float(self, name: str, default: float | None = None, error: ApiError | None = None) -> float | None:
        """A ``Float`` parameter; ``nan``, ``inf`` and values that overflow (``1e999``) are not numbers here."""
        value = self.raw.get(name)
        if value is None or value == "":
            return default
        try:
            number = float(value)
        except ValueError:
            raise error or invalid_parameter(name) from None
        if not math.isfinite(number):
            raise error or invalid_parameter(name)
        return number

    def json_list(self, name: str, *, max_items: int | None = None, error: ApiError | None = None) -> list[Any] | None:
        """A JSON-array string parameter such as DescribeInstances ``InstanceIds``."""
        value = self.raw.get(name)
        if value is None or value == "":
            return None
        try:
            items = json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            raise error or invalid_parameter(name) from None
        if not isinstance(items, list) or (max_items is not None and len(items) > max_items):
            raise error or invalid_parameter(name)
        return items

    def repeat_list(self, name: str) -> list[str]:
        """``Name.1``, ``Name.2`` ... sorted by N (sparse allowed)."""
        pattern = re.compile(re.escape(name) + r"\.(\d+)$")
        found = []
        for key, value in self.raw.items():
            match = pattern.match(key)
            if match:
                found.append((int(match.group(1)), value))
        return [value for _, value in sorted(found)]

    def struct_list(self, name: str, lists: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        """``Name.N.Field`` (and ``Name.N.Field.M`` as a list) into a list of dicts sorted by N.

        Only the fields named in ``lists`` are repeat lists; ``Name.N.Field.M`` for any other field
        (a scalar given as a list, e.g. ``Tag.1.Value.1``) raises :class:`MalformedField`, and so does a
        list field given both as ``Field`` and ``Field.M``.  Handlers therefore only ever see strings,
        or lists of strings for the declared list fields.
        """
        pattern = re.compile(re.escape(name) + r"\.(\d+)\.([A-Za-z0-9_]+)(?:\.(\d+))?$")
        rows: dict[int, dict[str, Any]] = {}
        for key, value in self.raw.items():
            match = pattern.match(key)
            if not match:
                continue
            index, field, sub = int(match.group(1)), match.group(2), match.group(3)
            row = rows.setdefault(index, {})
            if sub is None:
                if isinstance(row.get(field), dict):
                    raise MalformedField(name, index, field)
                row[field] = value
            else:
                if field not in lists or isinstance(row.get(field), str):
                    raise MalformedField(name, index, field)
                row.setdefault(field, {})[int(sub)] = value
        result = []
        for index in sorted(rows):
            row = rows[index]
            for field, value in list(row.items()):
                if isinstance(value, dict):
                    row[field] = [v for _, v in sorted(value.items())]
            result.append(row)
        return result

    def struct(self, name: str) -> dict[str, str]:
        """``Name.Field`` into a dict (for example ``SystemDisk.Category``)."""
        prefix = name + "."
        return {k[len(prefix):]: v for k, v in self.raw.items() if k.startswith(prefix) and "." not in k[len(prefix):]}

    def tags(self, name: str = "Tag") -> list[dict[str, str]]:
        """``Tag.N.Key``/``Tag.N.Value`` pairs (lower-case ``key``/``value`` accepted as aliases).

        A key or value given as a list (``Tag.1.Value.1=x``) is malformed (reference 8.8).
        """
        try:
            rows = self.struct_list(name)
        except MalformedField as bad:
            if bad.field.lower() == "key":
                raise ApiError("InvalidTagKey.Malformed", "The specified Tag.n.Key is not valid.", 400) from None
            if bad.field.lower() == "value":
                raise ApiError("InvalidTagValue.Malformed", "The specified Tag.n.Value is not valid.", 400) from None
            raise
        out = []
        for row in rows:
            key = row.get("Key", row.get("key"))
            value = row.get("Value", row.get("value"))
            out.append({"Key": key, "Value": value})
        return out


INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1


def parse_int(text: str, minimum: int = INT32_MIN, maximum: int = INT32_MAX) -> int | None:
    """Decimal digits within [minimum, maximum] (the API's Integer is 32-bit), else None.

    The length check comes first: Python refuses to convert more than 4300 digits (ValueError).
    """
    text = text.strip()
    if not re.fullmatch(r"-?\d{1,19}", text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


class MalformedField(ApiError):
    """``Name.N.Field.M`` for a field that is not a list: InvalidParameter naming the field."""

    def __init__(self, name: str, index: int, field: str):
        super().__init__("InvalidParameter", f'The specified parameter "{name}.{index}.{field}" is not valid.', 400)
        self.field = field
