# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Credential providers: fixed keys, and temporary credentials that renew themselves.

A provider hands out the :class:`Credentials` to sign the next request with.
Temporary ones (a RAM role assumed with STS AssumeRole, the ECS instance RAM
role of the metadata service) are fetched again when their remaining
lifetime drops below a quarter of their lifetime, and never later than 15
minutes before they expire -- the rule of the Alibaba Cloud credentials SDK
(alibabacloud-credentials refreshes an AssumeRole credential 15 minutes
before its Expiration), scaled down for short sessions: a 900 s session is
renewed after 675 s, so a wait of any length keeps signing with valid
credentials.  Which provider a task gets is decided in _client.py.

Every secret a provider has seen (its own and its source's) is reported to
``on_secret`` listeners, so modules mask them like ``no_log`` values, and is
listed by ``secrets()`` for scrubbing error messages.
"""

from __future__ import annotations

import calendar
import json
import time
import urllib.error
import urllib.request
from typing import Callable, NamedTuple, Sequence

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsConfigError, EcsError

REFRESH_FRACTION = 0.25
REFRESH_MAX_MARGIN = 900.0
# After a failed renewal the old credentials are used while they last; the next try waits this long at most.
RETRY_REFRESH_AFTER = 30.0

DEFAULT_METADATA_ENDPOINT = "http://100.100.100.200"
METADATA_ROLE_PATH = "/latest/meta-data/ram/security-credentials/"
METADATA_TOKEN_PATH = "/latest/api/token"
METADATA_TOKEN_HEADER = "X-aliyun-ecs-metadata-token"
METADATA_TOKEN_TTL_HEADER = "X-aliyun-ecs-metadata-token-ttl-seconds"
METADATA_TOKEN_TTL = 21600
METADATA_TIMEOUT = 5.0
METADATA_ATTEMPTS = 2


class Credentials(NamedTuple):
    """What one request is signed with; ``expiration`` in epoch seconds (None: never expires)."""

    access_key: str
    secret_key: str
    security_token: str | None = None
    expiration: float | None = None

    @property
    def secrets(self) -> list[str]:
        return [value for value in (self.secret_key, self.security_token) if value]


def parse_expiration(text: str | None, what: str) -> float:
    """``YYYY-MM-DDThh:mm:ssZ`` (STS and the metadata service) -> epoch seconds."""
    try:
        return float(calendar.timegm(time.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ")))
    except ValueError:
        raise EcsConfigError("%s answered an unreadable Expiration %r" % (what, text), operation="load credentials")


class CredentialProvider:
    """Fixed credentials (keys from options, environment or an AK/StsToken profile)."""

    refreshable = False

    def __init__(self, credentials: Credentials | None, source: str, sources: Sequence["CredentialProvider"] = ()) -> None:
        self.source = source
        self._sources = list(sources)
        self._seen: list[str] = []
        self._listeners: list[Callable[[str], None]] = []
        self._credentials = credentials
        if credentials is not None:
            self._remember(credentials)

    def credentials(self) -> Credentials:
        if self._credentials is None:  # only a RefreshingProvider starts without; it fetches first
            raise EcsConfigError("no credentials were fetched", operation="load credentials")
        return self._credentials

    def secrets(self) -> list[str]:
        """Every secret this provider (and the providers it draws on) has handed out so far."""
        found = list(self._seen)
        for source in self._sources:
            found += [s for s in source.secrets() if s not in found]
        return found

    def on_secret(self, listener: Callable[[str], None]) -> None:
        """Call ``listener`` with every secret seen so far and with each new one."""
        self._listeners.append(listener)
        for secret in self._seen:
            listener(secret)
        for source in self._sources:
            source.on_secret(listener)

    def _remember(self, credentials: Credentials) -> None:
        for secret in credentials.secrets:
            if secret not in self._seen:
                self._seen.append(secret)
                for listener in self._listeners:
                    listener(secret)


class RefreshingProvider(CredentialProvider):
    """Temporary credentials from ``fetch``; fetched now, and again before they expire."""

    refreshable = True

    def __init__(
        self,
        fetch: Callable[[], Credentials],
        source: str,
        sources: Sequence[CredentialProvider] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(None, source, sources)
        self._fetch = fetch
        self._clock = clock
        self._fetched_at = 0.0
        self._retry_at = 0.0
        self.fetches = 0

    def credentials(self) -> Credentials:
        """The current credentials: fetched on first use, and again once they get short of lifetime."""
        if self._credentials is None:
            self.refresh()
        elif self._stale(self._clock()) and self._clock() >= self._retry_at:
            self.refresh(keep_valid=True)
        return super().credentials()

    def expires_in(self) -> float | None:
        expiration = self.credentials().expiration
        return None if expiration is None else expiration - self._clock()

    def _stale(self, now: float) -> bool:
        expiration = self._credentials.expiration if self._credentials is not None else None
        if expiration is None:
            return False
        margin = min(REFRESH_MAX_MARGIN, max(0.0, expiration - self._fetched_at) * REFRESH_FRACTION)
        return expiration - now <= margin

    def refresh(self, keep_valid: bool = False) -> None:
        """Fetch new credentials; with ``keep_valid`` a failure keeps the current ones while they last."""
        now = self._clock()
        try:
            credentials = self._fetch()
        except EcsError:
            current = self._credentials
            if keep_valid and current is not None and current.expiration is not None and current.expiration > now:
                self._retry_at = now + min(RETRY_REFRESH_AFTER, (current.expiration - now) / 4)
                return
            raise
        self.fetches += 1
        self._credentials, self._fetched_at, self._retry_at = credentials, now, 0.0
        self._remember(credentials)


# ---------------------------------------------------------------- the ECS instance RAM role (metadata service)


def metadata_fetcher(endpoint: str, role_name: str | None, timeout: float | None = None,
                     token_required: bool = False, sleep: Callable[[float], None] = time.sleep) -> Callable[[], Credentials]:
    """``fetch`` for the RAM role attached to this ECS instance (``role_name`` None: the one attached).

    Tries a session token first (the metadata service's hardened mode, PUT
    /latest/api/token) and falls back to plain requests unless
    ``token_required``.  Proxies are never used: the service is link-local.
    """
    base = endpoint.rstrip("/")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    wait = timeout or METADATA_TIMEOUT

    def request(path: str, method: str = "GET", headers: dict[str, str] | None = None) -> str:
        error: Exception = OSError("no attempt made")
        for attempt in range(METADATA_ATTEMPTS):
            if attempt:
                sleep(1.0)
            try:
                req = urllib.request.Request(base + path, method=method, headers=headers or {})
                with opener.open(req, timeout=wait) as response:
                    return response.read().decode("utf-8")
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    raise
                error = exc
            except (urllib.error.URLError, OSError) as exc:
                error = exc
        raise error

    def token() -> str | None:
        try:
            return request(METADATA_TOKEN_PATH, "PUT", {METADATA_TOKEN_TTL_HEADER: str(METADATA_TOKEN_TTL)}).strip()
        except (urllib.error.URLError, OSError):
            if token_required:
                raise
            return None

    def fetch() -> Credentials:
        name = role_name
        what = "the ECS metadata service at %s" % base
        try:
            session = token()
            headers = {METADATA_TOKEN_HEADER: session} if session else {}
            if not name:
                name = request(METADATA_ROLE_PATH, headers=headers).strip().splitlines()[0].strip()
            text = request(METADATA_ROLE_PATH + name, headers=headers)
        except urllib.error.HTTPError as exc:
            advice = ("no RAM role named %s is attached to this instance" % name) if name else "no RAM role is attached"
            raise EcsConfigError(
                "%s answered HTTP %d: %s (check ecs_role_name)" % (what, exc.code, advice), operation=_operation(name)
            )
        except (urllib.error.URLError, OSError, IndexError) as exc:
            raise EcsConfigError(
                "cannot reach %s (%s): the ECS RAM role works only on an ECS instance with that role attached"
                % (what, getattr(exc, "reason", exc)),
                operation=_operation(name),
            )
        return _metadata_credentials(text, what, name)

    return fetch


def _operation(role_name: str | None) -> str:
    return "get the credentials of ECS RAM role %s" % role_name if role_name else "get ECS RAM role credentials"


def _metadata_credentials(text: str, what: str, role_name: str | None) -> Credentials:
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict) or data.get("Code") != "Success" or not data.get("AccessKeyId"):
        code = data.get("Code") if isinstance(data, dict) else "not JSON"
        raise EcsConfigError("%s answered no credentials (Code %s)" % (what, code), operation=_operation(role_name))
    return Credentials(
        str(data["AccessKeyId"]),
        str(data.get("AccessKeySecret") or ""),
        data.get("SecurityToken") or None,
        parse_expiration(data.get("Expiration"), what),
    )
