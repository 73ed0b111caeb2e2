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

# Names of alibaba.alicloud and community.general (module_utils/alicloud_ecs.py), still accepted as
# aliases; ansible-core warns when one is used.  Removed in the next major release.
OLD_NAMES_REMOVED_IN = "2.0.0"


def _old_names(*names: str) -> dict[str, Any]:
    return {
        "aliases": list(names),
        "deprecated_aliases": [{"name": n, "version": OLD_NAMES_REMOVED_IN, "collection_name": "alicloud.ecs"} for n in names],
    }


CREDENTIALS_SPEC: dict[str, dict[str, Any]] = {
    "access_key": {"type": "str", "no_log": False, **_old_names("alicloud_access_key", "access_key_id")},
    "assume_role_arn": {"type": "str", **_old_names("alicloud_assume_role_arn")},
    "assume_role_duration_seconds": {
        "type": "int",
        **_old_names("alicloud_assume_role_session_expiration", "assume_role_session_expiration"),
    },
    "assume_role_external_id": {"type": "str", "no_log": True},
    "assume_role_policy": {"type": "json"},
    "assume_role_session_name": {"type": "str", **_old_names("alicloud_assume_role_session_name")},
    "ca_bundle": {"type": "path"},
    "connect_timeout": {"type": "float"},
    "ecs_metadata_endpoint": {"type": "str"},
    "ecs_role_name": {"type": "str", **_old_names("role_name")},
    "endpoint": {"type": "str"},
    "profile": {"type": "str"},
    "profile_file": {"type": "path", **_old_names("shared_credentials_file")},
    "read_timeout": {"type": "float"},
    "region": {"type": "str", **_old_names("alicloud_region", "region_id")},
    "retry_timeout": {"type": "float", "default": 120.0},
    "secret_key": {"type": "str", "no_log": True, **_old_names("alicloud_secret_key", "secret_access_key")},
    "security_token": {"type": "str", "no_log": True, **_old_names("alicloud_security_token")},
    "sts_endpoint": {"type": "str"},
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
