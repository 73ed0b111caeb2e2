# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Shared argument specs, each paired with the doc fragment of the same name.

CREDENTIALS_SPEC <-> doc_fragments/credentials.py, WAIT_SPEC <-> wait.py,
TAGS_SPEC <-> tags.py.  Environment variables for credentials are resolved in
_client.py (not with env_fallback) so that an explicit profile can win over
keys in the environment, the same way for modules and plugins.
"""

from __future__ import annotations

from typing import Any

CREDENTIALS_SPEC: dict[str, dict[str, Any]] = {
    "access_key": {"type": "str", "no_log": False},
    "ca_bundle": {"type": "path"},
    "connect_timeout": {"type": "float"},
    "endpoint": {"type": "str"},
    "profile": {"type": "str"},
    "profile_file": {"type": "path"},
    "read_timeout": {"type": "float"},
    "region": {"type": "str"},
    "retry_timeout": {"type": "float", "default": 120.0},
    "secret_key": {"type": "str", "no_log": True},
    "security_token": {"type": "str", "no_log": True},
    "validate_certs": {"type": "bool", "default": True},
}

WAIT_SPEC: dict[str, dict[str, Any]] = {
    "visibility_timeout": {"type": "int", "default": 120},
    "wait": {"type": "bool", "default": True},
    "wait_timeout": {"type": "int", "default": 600},
}

TAGS_SPEC: dict[str, dict[str, Any]] = {
    # No default: with instance_ids tags are purged unless false, with a name only when true (_instance_plan.purges).
    "purge_tags": {"type": "bool"},
    "tags": {"type": "dict"},
}


def merge_specs(*specs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    merged: dict[str, dict[str, Any]] = {}
    for spec in specs:
        merged.update(spec)
    return merged
