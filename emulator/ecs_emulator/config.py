"""Emulator settings: defaults, changed at start (``--config FILE``,
``--delays``, ``--consistency``) or live through ``POST /_emulator/config``.
Where the API reference leaves behaviour open, the choice is a setting here,
documented in emulator/README.md.

Every update is validated against :data:`SCHEMA` before anything changes, so
an ill-typed value is refused (the control API answers 400) and the settings
in force stay as they were.
"""

from __future__ import annotations

import copy
import math
from typing import Any, Callable

# Named eventual-consistency profiles (reference 8.9).  Values are seconds: a
# number, or [low, high] for a seeded random delay per instance.
CONSISTENCY_PROFILES: dict[str, dict[str, Any]] = {
    # What the emulator always did: every change is visible at once.
    "consistent": {"new_instance_delay": 0.0, "released_instance_delay": 0.0, "change_delay": 0.0},
    # Delays of the order seen on the real service (the ECS eventual-consistency page gives no
    # figures; automation that broke behind a 4-8 s visibility delay is the motivating case).
    "realistic": {"new_instance_delay": [2.0, 6.0], "released_instance_delay": [1.0, 4.0], "change_delay": [0.5, 2.0]},
}

DEFAULT_CONFIG: dict[str, Any] = {
    # Seconds an instance stays in each transient state (0 allowed); an EIP in Associating /
    # Unassociating; SpecChange: until an asynchronous instance type change (ModifyPrepayInstanceSpec,
    # ModifyInstanceSpec with Async=true) shows in reads (the doc says 5 to 10 seconds).
    "delays": {
        "Pending": 1.0,
        "Starting": 2.0,
        "Stopping": 1.0,
        "Associating": 1.0,
        "Unassociating": 1.0,
        "SpecChange": 5.0,
    },
    # When a delay is non-zero, show a transient state to at least one
    # describe call before moving on (reference 8.1: pollers see it once).
    "observe_transients": True,
    # Eventual consistency (reference 8.9): new instances are missing from reads and
    # unknown to per-instance operations for new_instance_delay; released ones stay
    # listed (last state) for released_instance_delay; status and attribute changes
    # show in reads after change_delay.  Random ranges are drawn per instance from a
    # generator seeded with `seed` and the instance's creation sequence number.
    "consistency": {"profile": "consistent", "seed": 0, **CONSISTENCY_PROFILES["consistent"]},
    # Authentication (reference 3 and 4).
    "verify_signatures": True,
    "check_nonce": True,
    "nonce_window_seconds": 900,
    "check_timestamp": True,
    "timestamp_skew_seconds": 900,
    # ClientToken idempotency (reference 8.2): lifetime of a remembered token.
    "client_token_ttl_seconds": 86400,
    # Out-of-range PageSize/MaxResults (reference 8.4): "clamp" or "error".
    "page_size_out_of_range": "clamp",
    # Success code of a passing DryRun on the batch operations (reference 8.3).
    "batch_dry_run_code": "DRYRUN.SUCCESS",
    # Response format of a V1 request that sends no Format (reference 5.1).
    "default_format": "XML",
    # Account balance in CNY: PrePaid creation and PostPaid->PrePaid need
    # enough of it, else InvalidAccountStatus.NotEnoughBalance.
    "account_balance": 100000.0,
    # Stock: entries "ZONE", "ZONE/INSTANCE_TYPE", "*/INSTANCE_TYPE" or "*"
    # that are sold out (OperationDenied.NoStock).
    "no_stock": [],
    # DescribeInstances/DescribeSecurityGroups entry of an untagged resource
    # (reference 9.3 [uncertain]): "omit" leaves out "Tags", "empty" sends {"Tag": []}.
    "untagged_tags_form": "omit",
    # RunInstances/CreateInstance without VSwitchId (reference 9.1): False answers
    # MissingParameter "VSwitchId" like the VPC-only real service; True picks the
    # security group's VPC vSwitch in ZoneId (or its first zone), like classic scripts expect.
    "implicit_vswitch": False,
    # RunInstances/CreateInstance/ReplaceSystemDisk check KeyPairName against the key pairs of the
    # region (InvalidKeyPairName.NotFound); False accepts any 2-128 character name, as before key pairs existed.
    "check_key_pairs": True,
    # CNY per Mbit/s and month of subscription bandwidth: PayByBandwidth upgrades of PrePaid instances
    # (ModifyInstanceNetworkSpec) and PrePaid EIPs (AllocateEipAddress).  Not in the seed prices.
    "bandwidth_price_monthly": 23.0,
    # EIPs per region and account (AllocateEipAddress QuotaExceeded.Eip); the default quota is 20.
    "eip_quota": 20,
    # One log line per API call on stderr.
    "log_calls": True,
    # STS AssumeRole (actions/sts.py): the RAM roles and who may assume them. "principals" lists
    # AccessKeyIds, role ARNs (temporary credentials of that role may assume this one) or "*".
    "sts_roles": [
        {
            "arn": "acs:ram::1234567890123456:role/emulator-admin",
            "principals": ["LTAI5tEmulatorDefaultKey", "acs:ram::1234567890123456:role/EmulatorEcsRole"],
            "max_session_duration": 3600,
        },
        {"arn": "acs:ram::1234567890123456:role/emulator-readonly", "principals": ["*"], "read_only": True,
         "max_session_duration": 43200},
        {"arn": "acs:ram::1234567890123456:role/emulator-external", "principals": ["LTAI5tEmulatorDefaultKey"],
         "external_id": "emulator-external-id"},
    ],
    # Seconds an issued STS credential really lasts: null = DurationSeconds; a number = the smaller of the two
    # (short-lived credentials, to test refresh and expiry).
    "sts_credential_lifetime": None,
    # The instance metadata service (identity.py): the RAM role attached to "this instance" ("" = none),
    # the lifetime of its credentials, whether they are read-only, and hardened mode (token required).
    "metadata_role": "EmulatorEcsRole",
    "metadata_credential_lifetime": 21600,
    "metadata_read_only": False,
    "metadata_require_token": False,
    # API flow control (ratelimit.py, README "Flow control"): off by default.  A token bucket per caller
    # ("account", as ECS counts, or "access_key"), per region (per_region) and per action: `burst` tokens
    # at most, `rate` more per second; an empty bucket answers Throttling.User 400, with x-acs-retry-after
    # (milliseconds until the next token) when retry_after is true.  `actions` overrides `default` per
    # action name.  Alibaba does not publish ECS's thresholds: the default is our choice (README).
    "rate_limit": {
        "enabled": False,
        "scope": "account",
        "per_region": True,
        "retry_after": True,
        "default": {"rate": 10.0, "burst": 10.0},
        "actions": {},
    },
}


DELAY_KEYS = tuple(DEFAULT_CONFIG["delays"])


class ConfigError(ValueError):
    """An unknown or ill-typed setting; nothing was changed."""


# ------------------------------------------------------------------ validation


def _number(value: Any, name: str, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < minimum:
        raise ConfigError(f"{name} must be a finite number >= {minimum:g}, got {value!r}")
    return value


def _integer(value: Any, name: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def _boolean(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{name} must be true or false, got {value!r}")
    return value


def _choice(*allowed: str) -> Callable[[Any, str], str]:
    def check(value: Any, name: str) -> str:
        if value not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
        return value

    return check


def _string_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) and item for item in value):
        raise ConfigError(f"{name} must be a list of non-empty strings, got {value!r}")
    return value


def _delays(value: Any, name: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be an object of state -> seconds, got {value!r}")
    unknown = sorted(set(value) - set(DELAY_KEYS))
    if unknown:
        raise ConfigError(f"{name}: unknown states {', '.join(map(str, unknown))} (use {', '.join(DELAY_KEYS)})")
    for state, seconds in value.items():
        _number(seconds, f"{name}.{state}")
    return value


def delay_range(value: Any, name: str) -> tuple[float, float]:
    """A delay setting: seconds, or [low, high] with 0 <= low <= high."""
    if isinstance(value, list):
        if len(value) != 2:
            raise ConfigError(f"{name} must be seconds or [low, high], got {value!r}")
        low, high = (_number(item, name) for item in value)
        if low > high:
            raise ConfigError(f"{name}: low {low:g} is above high {high:g}")
        return float(low), float(high)
    seconds = float(_number(value, name))
    return seconds, seconds


def _consistency(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be an object, got {value!r}")
    unknown = sorted(set(value) - set(DEFAULT_CONFIG["consistency"]))
    if unknown:
        raise ConfigError(f"{name}: unknown keys {', '.join(map(str, unknown))}")
    if "profile" in value and value["profile"] not in CONSISTENCY_PROFILES and value["profile"] != "custom":
        raise ConfigError(f"{name}.profile must be one of {', '.join(CONSISTENCY_PROFILES)}, got {value['profile']!r}")
    if "seed" in value:
        _integer(value["seed"], f"{name}.seed")
    for key in ("new_instance_delay", "released_instance_delay", "change_delay"):
        if key in value:
            delay_range(value[key], f"{name}.{key}")
    return value


ROLE_KEYS = {"arn", "principals", "max_session_duration", "read_only", "external_id"}


def _roles(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ConfigError(f"{name} must be a list of roles, got {value!r}")
    for index, role in enumerate(value):
        where = f"{name}[{index}]"
        if not isinstance(role, dict) or not isinstance(role.get("arn"), str) or not role["arn"]:
            raise ConfigError(f"{where} must be an object with an arn")
        unknown = sorted(set(role) - ROLE_KEYS)
        if unknown:
            raise ConfigError(f"{where}: unknown keys {', '.join(unknown)} (use {', '.join(sorted(ROLE_KEYS))})")
        if "principals" in role:
            _string_list(role["principals"], f"{where}.principals")
        if "max_session_duration" in role:
            _integer(role["max_session_duration"], f"{where}.max_session_duration", minimum=900)
        if "read_only" in role:
            _boolean(role["read_only"], f"{where}.read_only")
        if role.get("external_id") is not None and not isinstance(role["external_id"], str):
            raise ConfigError(f"{where}.external_id must be a string")
    return value


BUCKET_KEYS = {"rate", "burst"}


def _bucket(value: Any, name: str) -> dict[str, float]:
    if not isinstance(value, dict) or set(value) != BUCKET_KEYS:
        raise ConfigError(f"{name} must be an object with rate (calls per second) and burst (bucket size), got {value!r}")
    rate = _number(value["rate"], f"{name}.rate")
    if rate <= 0:
        raise ConfigError(f"{name}.rate must be above 0, got {rate!r}")
    _number(value["burst"], f"{name}.burst", minimum=1.0)
    return value


def _rate_limit(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be an object, got {value!r}")
    unknown = sorted(set(value) - set(DEFAULT_CONFIG["rate_limit"]))
    if unknown:
        raise ConfigError(f"{name}: unknown keys {', '.join(map(str, unknown))}")
    for key in ("enabled", "per_region", "retry_after"):
        if key in value:
            _boolean(value[key], f"{name}.{key}")
    if "scope" in value:
        _choice("account", "access_key")(value["scope"], f"{name}.scope")
    if "default" in value:
        _bucket(value["default"], f"{name}.default")
    if "actions" in value:
        actions = value["actions"]
        if not isinstance(actions, dict):
            raise ConfigError(f"{name}.actions must be an object of action name -> bucket, got {actions!r}")
        for action, bucket in actions.items():
            if not isinstance(action, str) or not action:
                raise ConfigError(f"{name}.actions: action names must be non-empty strings")
            _bucket(bucket, f"{name}.actions.{action}")
    return value


def _optional_seconds(value: Any, name: str) -> float | None:
    return None if value is None else _number(value, name, minimum=1.0)


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{name} must be a string, got {value!r}")
    return value


SCHEMA: dict[str, Callable[[Any, str], Any]] = {
    "delays": _delays,
    "observe_transients": _boolean,
    "consistency": _consistency,
    "verify_signatures": _boolean,
    "check_nonce": _boolean,
    "nonce_window_seconds": lambda v, n: _number(v, n),
    "check_timestamp": _boolean,
    "timestamp_skew_seconds": lambda v, n: _number(v, n),
    "client_token_ttl_seconds": lambda v, n: _number(v, n),
    "page_size_out_of_range": _choice("clamp", "error"),
    "batch_dry_run_code": _choice("DRYRUN.SUCCESS", "DryRunOperation"),
    "default_format": _choice("XML", "JSON"),
    "account_balance": lambda v, n: _number(v, n, minimum=-math.inf),
    "no_stock": _string_list,
    "untagged_tags_form": _choice("omit", "empty"),
    "implicit_vswitch": _boolean,
    "check_key_pairs": _boolean,
    "bandwidth_price_monthly": lambda v, n: _number(v, n),
    "eip_quota": lambda v, n: _integer(v, n),
    "log_calls": _boolean,
    "sts_roles": _roles,
    "sts_credential_lifetime": _optional_seconds,
    "metadata_role": _string,
    "metadata_credential_lifetime": lambda v, n: _number(v, n, minimum=1.0),
    "metadata_read_only": _boolean,
    "metadata_require_token": _boolean,
    "rate_limit": _rate_limit,
}


def default_config() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_CONFIG)


def merge_config(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Merge ``update`` into ``current`` (nested dicts merged) after validating all of it.

    Unknown keys raise KeyError (kept for callers that tell the two apart), ill-typed
    values :class:`ConfigError`; either way ``current`` is left as it was.
    A ``consistency.profile`` first sets that profile's delays, then explicit keys win.
    """
    if not isinstance(update, dict):
        raise ConfigError("settings must be a JSON object")
    unknown = sorted(set(update) - set(DEFAULT_CONFIG))
    if unknown:
        raise KeyError(f"unknown config keys: {', '.join(unknown)}")
    for key, value in update.items():
        SCHEMA[key](value, key)
    merged = copy.deepcopy(current)
    for key, value in update.items():
        if key == "consistency":
            base = dict(merged.get("consistency") or DEFAULT_CONFIG["consistency"])
            profile = value.get("profile")
            if profile in CONSISTENCY_PROFILES:
                base.update(CONSISTENCY_PROFILES[profile])
            base.update(copy.deepcopy(value))
            if profile is None and set(value) - {"seed"}:
                base["profile"] = "custom"
            merged[key] = base
        elif isinstance(DEFAULT_CONFIG[key], dict) and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = copy.deepcopy(value)
    return merged
