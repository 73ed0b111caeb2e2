"""Temporary credentials: the RAM roles of STS AssumeRole and the ECS instance metadata service.

Both hand out STS credentials (AccessKeyId ``STS.…``, secret, SecurityToken,
Expiration) that the credential table (auth.py) then accepts for every API
call until they expire.  Who may assume which role is the setting
``sts_roles``; the role attached to "this instance" is ``metadata_role``
(README "STS and instance metadata").  Issued credentials live in memory
only: a restart or ``POST /_emulator/reset`` forgets them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import string
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping

from .auth import DEFAULT_ACCOUNT, Credential, CredentialTable

ROLE_ARN = re.compile(r"acs:ram::(\d{16}):role/([A-Za-z0-9.@_-]{1,64})")
METADATA_PREFIX = "/latest/meta-data/ram/security-credentials/"
TOKEN_PATH = "/latest/api/token"
TOKEN_HEADER = "x-aliyun-ecs-metadata-token"
TOKEN_TTL_HEADER = "x-aliyun-ecs-metadata-token-ttl-seconds"
MAX_TOKEN_TTL = 21600
_ALPHABET = string.ascii_letters + string.digits


def expiration_text(epoch: float) -> str:
    """``YYYY-MM-DDThh:mm:ssZ``, the format of STS and the metadata service."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def role_id(arn: str) -> str:
    """A stable 17-digit role id, as AssumedRoleUser.AssumedRoleId starts with."""
    return str(int(hashlib.sha256(arn.encode()).hexdigest(), 16))[:17]


def new_credential(
    now: float, lifetime: float, account: str, role_arn: str, read_only: bool
) -> Credential:
    return Credential(
        access_key_id="STS.NT" + _random(22),
        secret=_random(40),
        account=account,
        read_only=read_only,
        security_token="CAIS" + _random(200),
        expiration=now + lifetime,
        role_arn=role_arn,
    )


def find_role(config: Mapping[str, Any], arn: str) -> dict[str, Any] | None:
    return next((r for r in config.get("sts_roles", []) if r.get("arn") == arn), None)


def may_assume(role: Mapping[str, Any], caller: Credential) -> bool:
    principals = role.get("principals", [])
    return "*" in principals or caller.access_key_id in principals or (
        caller.role_arn is not None and caller.role_arn in principals
    )


def describe_issued(table: CredentialTable, now: float) -> list[dict[str, Any]]:
    """``GET /_emulator/identity``: the temporary credentials handed out, without secrets."""
    return [
        {
            "access_key_id": c.access_key_id,
            "role_arn": c.role_arn,
            "expiration": expiration_text(c.expiration or 0),
            "expired": c.expiration is not None and now >= c.expiration,
            "read_only": c.read_only,
        }
        for c in table.issued()
    ]


# ---------------------------------------------------------------- the instance metadata service


@dataclass
class MetadataReply:
    status: int
    body: bytes
    content_type: str = "text/plain;charset=utf-8"


class MetadataService:
    """``/_emulator/metadata`` + the real service's paths (``/latest/meta-data/...``, ``/latest/api/token``).

    Like the real service, the current credentials of the attached role are
    handed out again until half of their lifetime is over; then new ones
    (the service rotates them well before they expire).
    """

    def __init__(self, table: CredentialTable) -> None:
        self.table = table
        self._lock = threading.Lock()
        self._current: Credential | None = None
        self._issued_at = 0.0
        self._token_key = secrets.token_bytes(32)
        self.requests: list[dict[str, Any]] = []

    def reset(self) -> None:
        with self._lock:
            self._current = None
            self.requests.clear()

    def handle(self, method: str, path: str, headers: Mapping[str, list[str]], config: Mapping[str, Any],
               now: float) -> MetadataReply:
        reply = self._handle(method, path or "/", headers, config, now)
        with self._lock:
            self.requests.append({"method": method, "path": path, "status": reply.status, "timestamp": now})
            del self.requests[:-1000]
        return reply

    def _handle(self, method: str, path: str, headers: Mapping[str, list[str]], config: Mapping[str, Any],
                now: float) -> MetadataReply:
        if path == TOKEN_PATH:
            if method != "PUT":
                return MetadataReply(405, b"Method Not Allowed")
            return self._token(headers, now)
        if method != "GET":
            return MetadataReply(405, b"Method Not Allowed")
        if not path.startswith(METADATA_PREFIX.rstrip("/")):
            return MetadataReply(404, b"Not Found")
        if not self._token_ok(headers, config, now):
            return MetadataReply(401, b"Unauthorized")
        role = config.get("metadata_role") or ""
        name = path[len(METADATA_PREFIX):].strip("/") if path.startswith(METADATA_PREFIX) else ""
        if not name:
            return MetadataReply(200, role.encode()) if role else MetadataReply(404, b"Not Found")
        if name != role:
            return MetadataReply(404, b"Not Found")
        cred = self._credentials(role, config, now)
        body = {
            "AccessKeyId": cred.access_key_id,
            "AccessKeySecret": cred.secret,
            "Expiration": expiration_text(cred.expiration or now),
            "SecurityToken": cred.security_token,
            "LastUpdated": expiration_text(self._issued_at),
            "Code": "Success",
        }
        return MetadataReply(200, json.dumps(body, indent=2).encode(), "text/plain;charset=utf-8")

    def _credentials(self, role: str, config: Mapping[str, Any], now: float) -> Credential:
        lifetime = float(config.get("metadata_credential_lifetime", 21600))
        arn = self._role_arn(role)
        with self._lock:
            cred = self._current
            if (
                cred is None
                or cred.role_arn != arn
                or cred.expiration != self._issued_at + lifetime  # the setting changed
                or (cred.expiration or 0) - now <= lifetime / 2
            ):
                cred = new_credential(now, lifetime, DEFAULT_ACCOUNT, arn, bool(config.get("metadata_read_only", False)))
                self.table.issue(cred)
                self._current, self._issued_at = cred, now
            return cred

    @staticmethod
    def _role_arn(role: str) -> str:
        return "acs:ram::%s:role/%s" % (DEFAULT_ACCOUNT, role)

    # IMDSv2-style session tokens: PUT /latest/api/token, then the token header on every GET.
    def _token(self, headers: Mapping[str, list[str]], now: float) -> MetadataReply:
        ttl_text = (headers.get(TOKEN_TTL_HEADER) or [""])[0].strip()
        if not ttl_text.isdigit() or not 1 <= int(ttl_text) <= MAX_TOKEN_TTL:
            return MetadataReply(400, b"Bad Request")
        expires = int(now) + int(ttl_text)
        mac = hmac.new(self._token_key, str(expires).encode(), hashlib.sha256).hexdigest()
        return MetadataReply(200, f"{expires}.{mac}".encode())

    def _token_ok(self, headers: Mapping[str, list[str]], config: Mapping[str, Any], now: float) -> bool:
        token = (headers.get(TOKEN_HEADER) or [""])[0].strip()
        if not token:
            return not config.get("metadata_require_token", False)
        expires, _, mac = token.partition(".")
        good = hmac.new(self._token_key, expires.encode(), hashlib.sha256).hexdigest()
        return expires.isdigit() and hmac.compare_digest(mac, good) and now < int(expires)
