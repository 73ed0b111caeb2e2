# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Credentials, endpoint and the one SDK client of a run, with retries.

Everything here takes a plain dict of options (the keys of the ``credentials``
doc fragment) so that modules and the inventory plugin share it.  Environment
variables are read here, not in the argument spec, so that precedence is the
same everywhere: explicit options > explicit ``profile`` > environment
variables > profile from ``ALICLOUD_PROFILE`` or the profile file's current one.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import time
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError, EcsConfigError, redact
from ansible_collections.alicloud.ecs.plugins.module_utils._retries import (
    DEFAULT_RETRY_TIMEOUT,
    backoff_delay,
    parse_retry_after,
    should_retry,
)

try:
    from aliyunsdkcore.acs_exception.exceptions import ClientException
    from aliyunsdkcore.auth.credentials import StsTokenCredential
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.http import protocol_type

    HAS_ALIYUN_SDK = True
    ALIYUN_SDK_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised only without the SDK
    HAS_ALIYUN_SDK = False
    ALIYUN_SDK_IMPORT_ERROR = exc

COLLECTION_NAME = "alicloud.ecs"
COLLECTION_VERSION = "1.0.0"
DEFAULT_PROFILE_FILE = "~/.aliyun/config.json"
DRY_RUN_CODES = frozenset({"DryRunOperation", "DRYRUN.SUCCESS"})
REQUEST_MODULE = "aliyunsdkecs.request.v20140526.%sRequest"
# Certificate verification and handshake failures surface as SDK.HttpError with the ssl message.
TLS_FAILURE = re.compile(r"CERTIFICATE_VERIFY_FAILED|certificate verify failed|SSLError|SSL: |WRONG_VERSION_NUMBER", re.I)
TLS_ERROR_CODE = "SDK.TLSError"
# A host name that does not resolve (getaddrinfo: Linux, macOS, Windows wording): a mistyped
# region or endpoint.  Retrying cannot cure it, so it fails at once with its own code.
NAME_FAILURE = re.compile(
    r"Name or service not known|nodename nor servname|No address associated with hostname|"
    r"Temporary failure in name resolution|getaddrinfo failed|Failed to resolve|NameResolutionError",
    re.I,
)
NAME_ERROR_CODE = "SDK.EndpointNotResolved"


@runtime_checkable
class ApiClient(Protocol):
    """What the API wrappers need of a client (EcsClient, and the unit tests' in-memory ECS)."""

    region: str

    def call(self, action: str, params: dict[str, Any], *, idempotent: bool = True, dry_run: bool = False) -> dict:
        ...


ENV_VARS: dict[str, tuple[str, ...]] = {
    "access_key": ("ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID"),
    "secret_key": ("ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
    "security_token": ("ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN"),
    "region": ("ALICLOUD_REGION", "ALIBABA_CLOUD_REGION_ID"),
    "endpoint": ("ALICLOUD_ECS_ENDPOINT",),
    "profile": ("ALICLOUD_PROFILE",),
    "profile_file": ("ALICLOUD_CONFIG_FILE",),
}
MISSING_CREDENTIALS = (
    "no Alibaba Cloud credentials found: set the access_key and secret_key options "
    "(env ALICLOUD_ACCESS_KEY/ALIBABA_CLOUD_ACCESS_KEY_ID and ALICLOUD_SECRET_KEY/ALIBABA_CLOUD_ACCESS_KEY_SECRET), "
    "or name an aliyun CLI profile with profile (env ALICLOUD_PROFILE) in profile_file "
    "(env ALICLOUD_CONFIG_FILE, default %s)" % DEFAULT_PROFILE_FILE
)


def from_env(name: str, env: Mapping[str, str]) -> str | None:
    """First non-empty environment variable for option ``name``."""
    for var in ENV_VARS.get(name, ()):
        if env.get(var):
            return env[var]
    return None


def _option_or_env(options: dict[str, Any], name: str, env: Mapping[str, str]) -> Any:
    value = options.get(name)
    return value if value not in (None, "") else from_env(name, env)


def load_profile(path: str, name: str | None) -> dict[str, Any]:
    """Read one profile of an aliyun CLI ``config.json`` (modes AK and StsToken)."""
    path = os.path.expanduser(path)
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as exc:
        raise EcsConfigError("cannot read profile file %s: %s" % (path, exc), operation="load credentials")
    name = name or config.get("current") or "default"
    profile = next((p for p in config.get("profiles", []) if p.get("name") == name), None)
    if profile is None:
        raise EcsConfigError("profile %r not found in %s" % (name, path), operation="load credentials")
    return _profile_credentials(profile, name, path)


def _profile_credentials(profile: dict[str, Any], name: str, path: str) -> dict[str, Any]:
    mode = profile.get("mode") or "AK"
    if mode not in ("AK", "StsToken"):
        raise EcsConfigError(
            "profile %r in %s uses mode %s; supported modes are AK and StsToken" % (name, path, mode),
            operation="load credentials",
        )
    return {
        "access_key": profile.get("access_key_id") or None,
        "secret_key": profile.get("access_key_secret") or None,
        "security_token": (profile.get("sts_token") or None) if mode == "StsToken" else None,
        "region": profile.get("region_id") or None,
        "source": "profile %s" % name,
    }


def resolve_credentials(options: dict[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Access key, secret, token, region and where they came from."""
    env = os.environ if env is None else env
    creds = _first_credentials(options, env)
    for key in ("access_key", "secret_key"):
        if not creds.get(key):
            raise EcsConfigError("%s is missing (credentials from %s)" % (key, creds["source"]), operation="load credentials")
    region = options.get("region") or from_env("region", env) or creds.get("region")
    if not region or not re.match(r"^[a-zA-Z0-9_-]+$", region):
        raise EcsConfigError(
            "a valid region is required: set the region option (env ALICLOUD_REGION or ALIBABA_CLOUD_REGION_ID)",
            operation="load credentials",
        )
    creds["region"] = region
    return creds


def _first_credentials(options: dict[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    profile_file = _option_or_env(options, "profile_file", env) or DEFAULT_PROFILE_FILE
    if options.get("access_key") or options.get("secret_key"):
        return _keys(options, env, "options")
    if options.get("profile"):
        return load_profile(profile_file, options["profile"])
    if from_env("access_key", env) or from_env("secret_key", env):
        return _keys({}, env, "environment")
    if from_env("profile", env) or os.path.exists(os.path.expanduser(profile_file)):
        return load_profile(profile_file, from_env("profile", env))
    raise EcsConfigError(MISSING_CREDENTIALS, operation="load credentials")


def _keys(options: dict[str, Any], env: Mapping[str, str], source: str) -> dict[str, Any]:
    result = {key: _option_or_env(options, key, env) for key in ("access_key", "secret_key", "security_token")}
    result["source"] = source
    return result


def resolve_endpoint(region: str, endpoint: str | None) -> tuple[str, str]:
    """(endpoint for ``request.set_endpoint``, protocol) -- HTTPS unless ``http://`` is given."""
    if not endpoint:
        host = "ecs-cn-hangzhou.aliyuncs.com" if region == "cn-hangzhou" else "ecs.%s.aliyuncs.com" % region
        return host, "https"
    endpoint = endpoint.strip().rstrip("/")
    if endpoint.startswith("http://"):
        return endpoint, "http"
    if endpoint.startswith("https://"):
        return endpoint, "https"
    if not re.match(r"^[A-Za-z0-9.\-\[\]:]+$", endpoint):
        raise EcsConfigError("endpoint %r is not a URL or host[:port]" % endpoint, operation="configure the client")
    return endpoint, "https"


def connection_info(options: dict[str, Any], env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Everything needed to build a client, resolved from options, env and profile."""
    env = os.environ if env is None else env
    info = resolve_credentials(options, env)
    endpoint = _option_or_env(options, "endpoint", env)
    info["endpoint"], info["protocol"] = resolve_endpoint(info["region"], endpoint)
    info["default_endpoint"] = not endpoint
    info["verify"] = _verify(options)
    for key in ("connect_timeout", "read_timeout"):
        info[key] = options.get(key)
    # 0 means "no retry at all"; only an unset value takes the default.
    retry_timeout = options.get("retry_timeout")
    info["retry_timeout"] = DEFAULT_RETRY_TIMEOUT if retry_timeout is None else retry_timeout
    return info


def _verify(options: dict[str, Any]) -> bool | str:
    if options.get("validate_certs") is False:
        return False
    bundle = options.get("ca_bundle")
    if bundle:
        if not os.path.isfile(os.path.expanduser(bundle)):
            raise EcsConfigError("ca_bundle %s is not a file" % bundle, operation="configure the client")
        return os.path.expanduser(bundle)
    return True


def flatten_params(params: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """RPC query parameters: lists become ``X.1``, ``X.2``; dicts ``X.Field``; None is dropped."""
    flat: dict[str, str] = {}
    for key, value in params.items():
        name = prefix + key
        if value is None:
            continue
        if isinstance(value, dict):
            flat.update(flatten_params(value, name + "."))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value, 1):
                if isinstance(item, dict):
                    flat.update(flatten_params(item, "%s.%d." % (name, index)))
                elif item is not None:
                    flat["%s.%d" % (name, index)] = _scalar(item)
        else:
            flat[name] = _scalar(value)
    return flat


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def quiet_sdk_logging() -> None:
    """The SDK logs errors (with request URLs) to stderr; nothing of it may reach the user."""
    for name in ("aliyunsdkcore", "aliyunsdkcore.client", "aliyunsdkcore.http.http_response"):
        logger = logging.getLogger(name)
        logger.handlers = [logging.NullHandler()]
        logger.propagate = False
        logger.disabled = True


def build_client(options: dict[str, Any], env: Mapping[str, str] | None = None, **kwargs: Any) -> "EcsClient":
    """One client for the whole run; ``options`` is a plain dict (module params or plugin options)."""
    if not HAS_ALIYUN_SDK:
        raise EcsConfigError("aliyun-python-sdk-core and aliyun-python-sdk-ecs are required", operation="load the SDK")
    return EcsClient(connection_info(options, env), **kwargs)


class EcsClient:
    """Sends ECS actions through one ``AcsClient``; retries transient failures within a time budget."""

    def __init__(
        self,
        info: dict[str, Any],
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        acs: Any = None,
    ) -> None:
        self.region = info["region"]
        self.endpoint = info["endpoint"]
        self.protocol = info["protocol"]
        self.verify = info.get("verify", True)
        retry_timeout = info.get("retry_timeout")
        self.retry_timeout = max(0.0, float(DEFAULT_RETRY_TIMEOUT if retry_timeout is None else retry_timeout))
        self.default_endpoint = info.get("default_endpoint", False)
        self.credential_source = info.get("source")
        self._secrets = [info.get("secret_key"), info.get("security_token")]
        self._clock = clock
        self._sleep = sleep
        self._acs = acs if acs is not None else _make_acs_client(info)
        self.attempts = 0

    def call(self, action: str, params: dict[str, Any], *, idempotent: bool = True, dry_run: bool = False) -> dict:
        """Send ``action``; return the decoded body.  A passing DryRun returns ``{"DryRun": True}``."""
        deadline = self._clock() + self.retry_timeout
        attempt = 0
        while True:
            try:
                return self._send(action, dict(params, DryRun=True) if dry_run else params)
            except EcsApiError as err:
                if dry_run and err.code in DRY_RUN_CODES:
                    return {"DryRun": True, "RequestId": err.request_id}
                delay = backoff_delay(attempt, err.retry_after)
                if not should_retry(err.code, err.http_status, idempotent) or self._clock() + delay > deadline:
                    if attempt:
                        err.message += " (gave up after %d attempts)" % (attempt + 1)
                    raise
            self._sleep(delay)
            attempt += 1

    def _send(self, action: str, params: dict[str, Any]) -> dict:
        request = self._request(action, params)
        self.attempts += 1
        try:
            status, headers, body, exc = self._acs._implementation_of_do_action(request)
        except ClientException as err:
            code = _client_error_code(err)
            if code == NAME_ERROR_CODE:
                raise EcsApiError(code, self._scrub(self._name_failure(err.get_error_msg() or "")))
            raise EcsApiError(code, self._scrub(err.get_error_msg()))
        except Exception as err:  # noqa: BLE001 - the SDK raises bare library errors too
            raise EcsApiError("SDK.ClientError", self._scrub("%s: %s" % (type(err).__name__, err)))
        if exc is not None:
            raise EcsApiError(
                exc.get_error_code(),
                self._scrub(exc.get_error_msg() or ""),
                request_id=exc.get_request_id(),
                http_status=exc.get_http_status(),
                retry_after=parse_retry_after((headers or {}).get("x-acs-retry-after")),
            )
        return _decode(body, status)

    def _request(self, action: str, params: dict[str, Any]) -> Any:
        request = getattr(importlib.import_module(REQUEST_MODULE % action), action + "Request")()
        request.set_accept_format("JSON")
        request.set_endpoint(self.endpoint)
        request.set_protocol_type(protocol_type.HTTPS if self.protocol == "https" else protocol_type.HTTP)
        for key, value in flatten_params(dict({"RegionId": self.region}, **params)).items():
            request.add_query_param(key, value)
        return request

    def _name_failure(self, detail: str) -> str:
        host = re.sub(r"^https?://", "", self.endpoint).split("/")[0].rsplit(":", 1)[0]
        cause = NAME_FAILURE.search(detail)
        if self.default_endpoint:
            advice = "check the region (%s): is it spelled as in DescribeRegions, e.g. cn-hangzhou?" % self.region
        else:
            advice = "check the endpoint option (env ALICLOUD_ECS_ENDPOINT) and the region (%s)" % self.region
        return "the ECS endpoint host %s (region %s) does not resolve (%s); %s" % (
            host, self.region, cause.group(0) if cause else "name resolution failed", advice)

    def _scrub(self, message: str) -> str:
        # Transport errors quote the request URL, whose query carries the signature and any STS token.
        return redact(re.sub(r"/\?[^\s'\"()]*", "/?<query>", message), self._secrets)


def _client_error_code(err: Any) -> str:
    """The SDK's code, except that a TLS failure gets its own: it would fail the same way on every retry."""
    code = err.get_error_code()
    if code == "SDK.HttpError" and TLS_FAILURE.search(err.get_error_msg() or ""):
        return TLS_ERROR_CODE
    if code == "SDK.HttpError" and NAME_FAILURE.search(err.get_error_msg() or ""):
        return NAME_ERROR_CODE
    return code


def _decode(body: bytes, status: int | None) -> dict:
    try:
        return json.loads(body.decode("utf-8") if isinstance(body, bytes) else body)
    except (ValueError, AttributeError):
        raise EcsApiError("SDK.UnknownServerError", "response is not JSON", http_status=status)


def _make_acs_client(info: dict[str, Any]) -> Any:
    quiet_sdk_logging()
    keys: dict[str, Any] = {"ak": info["access_key"], "secret": info["secret_key"]}
    if info.get("security_token"):
        keys = {"credential": StsTokenCredential(info["access_key"], info["secret_key"], info["security_token"])}
    acs = AcsClient(
        region_id=info["region"],
        auto_retry=False,
        connect_timeout=info.get("connect_timeout"),
        timeout=info.get("read_timeout"),
        verify=info.get("verify", True),
        **keys,
    )
    acs.append_user_agent(COLLECTION_NAME, COLLECTION_VERSION)
    return acs
