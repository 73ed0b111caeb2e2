"""Emulator settings: defaults, changed at start (``--config FILE``) or live
through ``POST /_emulator/config``.  Where the API reference leaves behaviour
open, the choice is a setting here, documented in emulator/README.md."""

from __future__ import annotations

import copy
from typing import Any

DEFAULT_CONFIG: dict[str, Any] = {
    # Seconds an instance stays in each transient state (0 allowed).
    "delays": {"Pending": 1.0, "Starting": 2.0, "Stopping": 1.0},
    # When a delay is non-zero, show a transient state to at least one
    # describe call before moving on (reference 8.1: pollers see it once).
    "observe_transients": True,
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
    # One log line per API call on stderr.
    "log_calls": True,
}


def default_config() -> dict[str, Any]:
    return copy.deepcopy(DEFAULT_CONFIG)


def merge_config(current: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    """Merge ``update`` into ``current`` (nested dicts merged), rejecting unknown keys."""
    unknown = sorted(set(update) - set(DEFAULT_CONFIG))
    if unknown:
        raise KeyError(f"unknown config keys: {', '.join(unknown)}")
    merged = copy.deepcopy(current)
    for key, value in update.items():
        if isinstance(DEFAULT_CONFIG[key], dict) and isinstance(value, dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged
