"""STS (product Sts, 2015-04-01): AssumeRole.

Signed like every other call (V1 or ACS3, by a RAM user's AccessKey or by
temporary credentials of another role, for role chaining).  The role table
is the setting ``sts_roles``; issued credentials go into the transport's
credential table (``call.extra["credentials"]``), which then accepts them
for ECS and VPC calls until they expire (identity.py, README "STS and
instance metadata").  Error codes and messages are those of the STS error
centre and the AssumeRole API page; the emulator checks in this order:
missing parameters, formats, the role, the caller's permission, the
duration, the external id.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..errors import ApiError
from ..identity import ROLE_ARN, expiration_text, find_role, may_assume, new_credential, role_id
from ..registry import STS_VERSION, Call, action

SESSION_NAME = re.compile(r"[A-Za-z0-9.@_-]{2,64}")
EXTERNAL_ID = re.compile(r"[\w=,.@:/-]{2,1224}")
DEFAULT_DURATION = 3600
MIN_DURATION = 900
DEFAULT_MAX_SESSION = 3600
MAX_POLICY = 2048


def _missing(name: str) -> ApiError:
    return ApiError("Missing" + name, f"{name} is mandatory for this action.", 400)


def _invalid(name: str, message: str | None = None) -> ApiError:
    return ApiError(f"InvalidParameter.{name}", message or f"The parameter {name} is wrongly formed.", 400)


def _duration(call: Call, maximum: int) -> int:
    text = call.params.get("DurationSeconds")
    hours = "%ghr" % (maximum / 3600)
    error = _invalid("DurationSeconds", f"The Min/Max value of DurationSeconds is 15min/{hours}.")
    if text in (None, ""):
        return min(DEFAULT_DURATION, maximum)
    if not text.strip().isdigit():
        raise error
    value = int(text)
    if not MIN_DURATION <= value <= maximum:
        raise error
    return value


def _check_policy(text: str | None) -> None:
    if text in (None, ""):
        return
    try:
        policy = json.loads(text)
    except ValueError:
        policy = None
    if len(text) > MAX_POLICY:
        raise _invalid("PolicySize", "The parameter Policy is too long.")
    if not isinstance(policy, dict) or not isinstance(policy.get("Statement"), list):
        raise _invalid("PolicyGrammar", "The parameter Policy has not passed grammar check.")


@action("AssumeRole", version=STS_VERSION)
def assume_role(call: Call) -> dict[str, Any]:
    arn = call.params.get("RoleArn")
    session = call.params.get("RoleSessionName")
    if not arn:
        raise _missing("RoleArn")
    if not session:
        raise _missing("RoleSessionName")
    match = ROLE_ARN.fullmatch(arn)
    if match is None:
        raise _invalid("RoleArn")
    if not SESSION_NAME.fullmatch(session):
        raise _invalid("RoleSessionName")
    _check_policy(call.params.get("Policy"))
    external_id = call.params.get("ExternalId")
    if external_id and not EXTERNAL_ID.fullmatch(external_id):
        raise _invalid("ExternalId")
    config = call.store.config
    role = find_role(config, arn)
    if role is None:
        raise ApiError("EntityNotExist.Role", f"The role not exists: {arn}.", 404)
    table = call.extra["credentials"]
    caller = table.get(call.access_key_id)
    if caller is None or not may_assume(role, caller):
        raise ApiError("NoPermission", "You are not authorized to do this action. You should be authorized by RAM.", 403)
    duration = _duration(call, int(role.get("max_session_duration", DEFAULT_MAX_SESSION)))
    if role.get("external_id") and external_id != role["external_id"]:
        raise ApiError(
            "NoPermission",
            "No permission perform sts:AssumeRole on this Role. Maybe you should check the role trust policy "
            "and the ExternalId you passed.",
            403,
        )
    lifetime = float(duration)
    if config.get("sts_credential_lifetime"):
        lifetime = min(lifetime, float(config["sts_credential_lifetime"]))
    cred = new_credential(call.now, lifetime, match.group(1), arn, bool(role.get("read_only", False)))
    table.issue(cred)
    return {
        "AssumedRoleUser": {"Arn": f"{arn}/{session}", "AssumedRoleId": f"{role_id(arn)}:{session}"},
        "Credentials": {
            "AccessKeyId": cred.access_key_id,
            "AccessKeySecret": cred.secret,
            "SecurityToken": cred.security_token,
            "Expiration": expiration_text(cred.expiration or call.now),
        },
    }
