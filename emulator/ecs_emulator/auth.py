"""Authentication: credential table, signature V1 (HMAC-SHA1) and ACS3-HMAC-SHA256.

Both algorithms are re-implemented from the API reference (sections 3 and 4) and
verified exactly; nothing here ever logs or echoes a secret.  The string-to-sign
is echoed in ``SignatureDoesNotMatch`` because the old SDK compares it with its
own to tell a wrong secret from other mismatches (reference section 3).
"""

from __future__ import annotations

import base64
import calendar
import hashlib
import hmac
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import quote

from .errors import ApiError, missing_parameter

DEFAULT_ACCOUNT = "1234567890123456"

V1_SIGNATURE_FIELDS = ("Signature",)


@dataclass(frozen=True)
class Credential:
    access_key_id: str
    secret: str
    account: str = DEFAULT_ACCOUNT
    read_only: bool = False
    disabled: bool = False
    security_token: str | None = None  # set => STS credential, token required
    expiration: float | None = None  # epoch seconds; STS only
    blind_reads: bool = False  # a RAM user who may not read instances: list reads answer empty
    role_arn: str | None = None  # temporary credentials of an assumed RAM role (identity.py)

    @property
    def is_sts(self) -> bool:
        return self.security_token is not None


# Built-in credentials (README "Credentials").  The expired STS pair lets tests
# exercise InvalidSecurityToken.Expired without waiting for a clock.
DEFAULT_CREDENTIALS = (
    Credential("LTAI5tEmulatorDefaultKey", "emulator-secret"),
    Credential("LTAI5tEmulatorReadOnlyKey", "emulator-readonly-secret", read_only=True),
    Credential("LTAI5tEmulatorDisabledKey", "emulator-disabled-secret", disabled=True),
    Credential("LTAI5tEmulatorBlindKey", "emulator-blind-secret", blind_reads=True),
    Credential("STS.EmulatorStsKey", "emulator-sts-secret", security_token="emulator-sts-token"),
    Credential(
        "STS.EmulatorExpiredStsKey",
        "emulator-sts-secret",
        security_token="emulator-expired-sts-token",
        expiration=calendar.timegm((2020, 1, 1, 0, 0, 0)),
    ),
)


def _err(code: str, message: str, status: int = 400) -> ApiError:
    return ApiError(code, message, status)


def access_key_not_found() -> ApiError:
    return _err("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)


def signature_mismatch(string_to_sign: str) -> ApiError:
    # The colon right before the string-to-sign is what the old SDK splits on.
    return _err(
        "SignatureDoesNotMatch",
        "Specified signature is not matched with our calculation. server string to sign is:" + string_to_sign,
    )


def incomplete_signature() -> ApiError:
    return _err("IncompleteSignature", "The request signature does not conform to Aliyun standards.")


def illegal_timestamp(name: str = "Timestamp") -> ApiError:
    # Reference section 3 quotes the (odd) documented text verbatim.
    return _err(
        "IllegalTimestamp",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
    )


def parse_credentials(data: Any) -> list[Credential]:
    """Credentials-file format: a JSON list, or ``{"credentials": [...]}``; see README."""
    rows = data.get("credentials", []) if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ValueError('credentials file: expected a list or {"credentials": [...]}')
    out = []
    for row in rows:
        if not isinstance(row, dict) or not row.get("access_key_id") or not row.get("access_key_secret"):
            raise ValueError("credentials file: every entry needs access_key_id and access_key_secret")
        out.append(
            Credential(
                access_key_id=str(row["access_key_id"]),
                secret=str(row["access_key_secret"]),
                account=str(row.get("account_id", DEFAULT_ACCOUNT)),
                read_only=bool(row.get("read_only", False)),
                disabled=bool(row.get("disabled", False)),
                blind_reads=bool(row.get("blind_reads", False)),
                security_token=row.get("security_token"),
                expiration=_parse_expiration(row.get("expiration")),
            )
        )
    return out


def _parse_expiration(value: Any) -> float | None:
    if value is None or isinstance(value, (int, float)):
        return value
    parsed = parse_timestamp(str(value))
    if parsed is None:
        raise ValueError(f"credentials file: bad expiration {value!r} (use YYYY-MM-DDThh:mm:ssZ)")
    return parsed


# Temporary credentials kept (expired ones too, so that they answer InvalidSecurityToken.Expired).
ISSUED_LIMIT = 10_000


class CredentialTable:
    def __init__(self, extra: list[Credential] | None = None):
        self._by_id = {c.access_key_id: c for c in DEFAULT_CREDENTIALS}
        for cred in extra or []:
            self._by_id[cred.access_key_id] = cred
        # Issued by AssumeRole and the instance metadata service (identity.py); in memory only.
        self._issued: dict[str, Credential] = {}
        self._issued_lock = threading.Lock()

    @classmethod
    def from_file(cls, path: str | None) -> "CredentialTable":
        if not path:
            return cls()
        with open(path, encoding="utf-8") as handle:
            return cls(parse_credentials(json.load(handle)))

    def get(self, access_key_id: str) -> Credential | None:
        cred = self._by_id.get(access_key_id)
        if cred is None:
            with self._issued_lock:
                cred = self._issued.get(access_key_id)
        return cred

    def issue(self, cred: Credential) -> None:
        with self._issued_lock:
            while len(self._issued) >= ISSUED_LIMIT:
                del self._issued[next(iter(self._issued))]  # the oldest
            self._issued[cred.access_key_id] = cred

    def issued(self) -> list[Credential]:
        with self._issued_lock:
            return list(self._issued.values())

    def clear_issued(self) -> None:
        with self._issued_lock:
            self._issued.clear()


class NonceCache:
    """Nonces seen within the window, per access key (reference 3: ~15 minutes)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def use(self, access_key_id: str, nonce: str, now: float, window: float) -> bool:
        """Record ``nonce``; False if it was already used within the window."""
        key = (access_key_id, nonce)
        with self._lock:
            if now >= self._next_purge:
                self._seen = {k: t for k, t in self._seen.items() if t > now}
                self._next_purge = now + 60
            expiry = self._seen.get(key)
            if expiry is not None and expiry > now:
                return False
            self._seen[key] = now + window
            return True

    def clear(self) -> None:
        with self._lock:
            self._seen.clear()


# ---------------------------------------------------------------- helpers


def percent_encode(value: str) -> str:
    """RFC 3986 encoding used by both algorithms: only A-Z a-z 0-9 - _ . ~ stay literal."""
    return quote(value, safe="~", encoding="utf-8")


_TIMESTAMP_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z")


def parse_timestamp(value: str) -> float | None:
    """UTC ``YYYY-MM-DDThh:mm:ssZ`` (fractional seconds tolerated) -> epoch, else None."""
    match = _TIMESTAMP_RE.fullmatch(value.strip())
    if not match:
        return None
    parts = tuple(int(p) for p in match.groups())
    try:
        time.strptime("%04d-%02d-%02d %02d:%02d:%02d" % parts, "%Y-%m-%d %H:%M:%S")  # rejects Feb 30 etc.
    except ValueError:
        return None
    return float(calendar.timegm(parts + (0, 0, 0)))


# ---------------------------------------------------------------- V1


def v1_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    """Reference 3, steps 1-4: every parameter but Signature, empty values included."""
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in params.items() if k not in V1_SIGNATURE_FIELDS)
    canonical = "&".join(f"{k}={v}" for k, v in pairs)
    return f"{method.upper()}&%2F&{percent_encode(canonical)}"


def v1_signature(secret: str, string_to_sign: str) -> str:
    digest = hmac.new((secret + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# ---------------------------------------------------------------- ACS3

ACS3_ALGORITHM = "ACS3-HMAC-SHA256"
_AUTH_RE = re.compile(r"^(\S+)\s+(.*)$", re.S)


def parse_acs3_authorization(header: str) -> tuple[str, dict[str, str]]:
    match = _AUTH_RE.match(header.strip())
    if not match:
        raise incomplete_signature()
    fields = {}
    for part in match.group(2).split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name.strip()] = value.strip()
    if not all(fields.get(k) for k in ("Credential", "SignedHeaders", "Signature")):
        raise incomplete_signature()
    return match.group(1), fields


def acs3_canonical_query(query: list[tuple[str, str]]) -> str:
    """Reference 4 step 2: names as sent, values RFC 3986, sorted by name."""
    return "&".join(f"{k}={percent_encode(v)}" for k, v in sorted(query, key=lambda kv: kv[0]))


def acs3_canonical_headers(headers: Mapping[str, list[str]], signed: list[str]) -> str:
    lines = []
    for name in signed:
        values = sorted(v.strip() for v in headers.get(name, []))
        lines.append(f"{name}:{','.join(values)}\n")
    return "".join(lines)


def acs3_string_to_sign(
    method: str,
    path: str,
    query: list[tuple[str, str]],
    headers: Mapping[str, list[str]],
    signed: list[str],
    payload_hash: str,
) -> str:
    canonical_request = "\n".join(
        [
            method.upper(),
            path or "/",
            acs3_canonical_query(query),
            acs3_canonical_headers(headers, signed),
            ";".join(signed),
            payload_hash,
        ]
    )
    digest = hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return f"{ACS3_ALGORITHM}\n{digest}"


def acs3_signature(secret: str, string_to_sign: str) -> str:
    # No trailing "&" on the key, unlike V1 (reference 4 step 6).
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


# ---------------------------------------------------------------- verification


@dataclass
class AuthRequest:
    """What the verifier needs from one HTTP request."""

    method: str
    path: str
    params: dict[str, str]  # merged query + form body (decoded)
    query: list[tuple[str, str]]  # decoded query pairs as sent (ACS3 canonical query)
    headers: dict[str, list[str]]  # lower-case name -> values
    body: bytes

    def header(self, name: str) -> str | None:
        values = self.headers.get(name)
        return values[0] if values else None

    @property
    def is_acs3(self) -> bool:
        return (self.header("authorization") or "").startswith("ACS3-")


@dataclass
class AuthResult:
    credential: Credential
    style: str  # "v1" or "acs3"


class Authenticator:
    def __init__(self, table: CredentialTable):
        self.table = table
        self.nonces = NonceCache()

    def verify(self, req: AuthRequest, config: Mapping[str, Any], now: float) -> AuthResult:
        if req.is_acs3:
            return self._verify_acs3(req, config, now)
        return self._verify_v1(req, config, now)

    # V1 -------------------------------------------------------------
    def _verify_v1(self, req: AuthRequest, config: Mapping[str, Any], now: float) -> AuthResult:
        params = req.params
        for name in ("AccessKeyId", "Signature", "Timestamp", "SignatureNonce"):
            if not params.get(name):
                raise missing_parameter(name)
        for name, expected in (("SignatureMethod", "HMAC-SHA1"), ("SignatureVersion", "1.0")):
            if params.get(name, expected) != expected:
                # "InvalidParamater" (sic) is the documented spelling (reference 3).
                raise _err("InvalidParamater", f'The specified parameter "{name}" is not valid.')
        stamp = parse_timestamp(params["Timestamp"])
        if stamp is None:
            raise illegal_timestamp()
        cred = self._credential(params["AccessKeyId"])
        string_to_sign = v1_string_to_sign(req.method, params)
        if config.get("verify_signatures", True):
            if not hmac.compare_digest(v1_signature(cred.secret, string_to_sign), params["Signature"]):
                raise signature_mismatch(string_to_sign)
        self._check_freshness(cred, stamp, params["SignatureNonce"], config, now)
        self._check_token(cred, params.get("SecurityToken"), now)
        return AuthResult(cred, "v1")

    # ACS3 -----------------------------------------------------------
    def _verify_acs3(self, req: AuthRequest, config: Mapping[str, Any], now: float) -> AuthResult:
        algorithm, fields = parse_acs3_authorization(req.header("authorization") or "")
        if algorithm != ACS3_ALGORITHM:
            raise _err("InvalidParameter", 'The specified parameter "SignatureMethod" is not valid.')
        date = req.header("x-acs-date")
        nonce = req.header("x-acs-signature-nonce")
        if not date:
            raise missing_parameter("x-acs-date")
        if not nonce:
            raise missing_parameter("x-acs-signature-nonce")
        stamp = parse_timestamp(date)
        if stamp is None:
            raise illegal_timestamp("x-acs-date")
        cred = self._credential(fields["Credential"])
        body_hash = hashlib.sha256(req.body).hexdigest()
        claimed = req.header("x-acs-content-sha256")
        if claimed is not None and claimed.lower() != body_hash:
            raise _err("SignatureDoesNotMatch", "Specified x-acs-content-sha256 is not matched with the request body.")
        signed = [h.strip().lower() for h in fields["SignedHeaders"].split(";") if h.strip()]
        string_to_sign = acs3_string_to_sign(
            req.method, req.path, req.query, req.headers, signed, claimed if claimed is not None else body_hash
        )
        if config.get("verify_signatures", True):
            if not hmac.compare_digest(acs3_signature(cred.secret, string_to_sign), fields["Signature"].lower()):
                raise signature_mismatch(string_to_sign)
        self._check_freshness(cred, stamp, nonce, config, now)
        self._check_token(cred, req.header("x-acs-security-token"), now)
        return AuthResult(cred, "acs3")

    # shared ---------------------------------------------------------
    def _credential(self, access_key_id: str) -> Credential:
        cred = self.table.get(access_key_id)
        if cred is None:
            raise access_key_not_found()
        if cred.disabled:
            raise _err("Forbidden.AccessKeyDisabled", "The AccessKey is disabled.", 403)
        return cred

    def _check_freshness(
        self, cred: Credential, stamp: float, nonce: str, config: Mapping[str, Any], now: float
    ) -> None:
        if config.get("check_timestamp", True) and abs(now - stamp) > float(config.get("timestamp_skew_seconds", 900)):
            raise _err("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.")
        if config.get("check_nonce", True):
            window = float(config.get("nonce_window_seconds", 900))
            if not self.nonces.use(cred.access_key_id, nonce, now, window):
                raise _err("SignatureNonceUsed", "Specified signature nonce was used already.")

    @staticmethod
    def _check_token(cred: Credential, token: str | None, now: float) -> None:
        if not cred.is_sts:
            return
        if not token:
            raise _err("InvalidSecurityToken.MalFormed", "Specified SecurityToken is malformed.")
        if not hmac.compare_digest(token, cred.security_token or ""):
            raise _err("InvalidSecurityToken.Mismatch", "Specified SecurityToken mismatch with the AccessKey.")
        if cred.expiration is not None and now >= cred.expiration:
            raise _err("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
