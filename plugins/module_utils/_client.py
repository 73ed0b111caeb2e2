# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Credentials, endpoint and the one SDK client of a run, with retries.

Everything here takes a plain dict of options (the keys of the ``credentials``
doc fragment) so that modules and the inventory plugin share it.  Environment
variables are read here, not in the argument spec, so that precedence is the
same everywhere.  The credential chain (docs/guide.md section 2): keys in the
options > an explicit ``profile`` > ``ecs_role_name`` option > keys in the
environment > the profile named by the environment or the file's current one >
the ECS RAM role named by the environment; then, when ``assume_role_arn`` is
set, that RAM role is assumed with whatever the chain found.  Temporary
credentials come from _credentials.py providers and renew themselves before
they expire, for every call of the client.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import re
import time
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

from ansible_collections.alicloud.ecs.plugins.module_utils._credentials import (
    DEFAULT_METADATA_ENDPOINT,
    CredentialProvider,
    Credentials,
    RefreshingProvider,
    metadata_fetcher,
    parse_expiration,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError, EcsConfigError, redact
from ansible_collections.alicloud.ecs.plugins.module_utils._retries import (
    DEFAULT_RETRY_TIMEOUT,
    backoff_delay,
    parse_retry_after,
    should_retry,
)

try:
    from aliyunsdkcore.acs_exception.exceptions import ClientException
    from aliyunsdkcore.auth.credentials import AccessKeyCredential, StsTokenCredential
    from aliyunsdkcore.auth.signers.access_key_signer import AccessKeySigner
    from aliyunsdkcore.auth.signers.sts_token_signer import StsTokenSigner
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkcore.http import protocol_type
    from aliyunsdkcore.request import CommonRequest

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
EXPIRED_TOKEN_CODE = "InvalidSecurityToken.Expired"


@runtime_checkable
class ApiClient(Protocol):
    """What the API wrappers need of a client (EcsClient, and the unit tests' in-memory ECS)."""

    region: str

    def call(self, action: str, params: dict[str, Any], *, idempotent: bool = True, dry_run: bool = False) -> dict:
        ...


ENV_VARS: dict[str, tuple[str, ...]] = {
    "access_key": ("ALICLOUD_ACCESS_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALICLOUD_ACCESS_KEY_ID"),
    "secret_key": ("ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_SECRET_ACCESS_KEY"),
    "security_token": ("ALICLOUD_SECURITY_TOKEN", "ALIBABA_CLOUD_SECURITY_TOKEN"),
    "region": ("ALICLOUD_REGION", "ALIBABA_CLOUD_REGION_ID", "ALICLOUD_REGION_ID"),
    "endpoint": ("ALICLOUD_ECS_ENDPOINT",),
    "vpc_endpoint": ("ALICLOUD_VPC_ENDPOINT",),
    "profile": ("ALICLOUD_PROFILE", "ALIBABA_CLOUD_PROFILE"),
    "profile_file": ("ALICLOUD_CONFIG_FILE", "ALICLOUD_SHARED_CREDENTIALS_FILE"),
    "assume_role_arn": ("ALICLOUD_ASSUME_ROLE_ARN",),
    "assume_role_session_name": ("ALICLOUD_ASSUME_ROLE_SESSION_NAME", "ALIBABA_CLOUD_ROLE_SESSION_NAME"),
    "assume_role_duration_seconds": ("ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION",),
    "assume_role_external_id": ("ALICLOUD_ASSUME_ROLE_EXTERNAL_ID", "ALIBABA_CLOUD_EXTERNAL_ID"),
    "assume_role_policy": ("ALICLOUD_ASSUME_ROLE_POLICY",),
    "sts_endpoint": ("ALICLOUD_STS_ENDPOINT",),
    "ecs_role_name": ("ALICLOUD_ECS_ROLE_NAME", "ALIBABA_CLOUD_ECS_METADATA"),
    "ecs_metadata_endpoint": ("ALICLOUD_ECS_METADATA_ENDPOINT",),
}
# Names of alibaba.alicloud / community.general (module_utils/alicloud_ecs.py) still read, deprecated.
DEPRECATED_ENV = {
    "ALICLOUD_ACCESS_KEY_ID": "ALICLOUD_ACCESS_KEY",
    "ALICLOUD_SECRET_ACCESS_KEY": "ALICLOUD_SECRET_KEY",
    "ALICLOUD_REGION_ID": "ALICLOUD_REGION",
    "ALICLOUD_SHARED_CREDENTIALS_FILE": "ALICLOUD_CONFIG_FILE",
}
DEPRECATED_IN = "2.0.0"
MISSING_CREDENTIALS = (
    "no Alibaba Cloud credentials found: set the access_key and secret_key options "
    "(env ALICLOUD_ACCESS_KEY/ALIBABA_CLOUD_ACCESS_KEY_ID and ALICLOUD_SECRET_KEY/ALIBABA_CLOUD_ACCESS_KEY_SECRET), "
    "name an aliyun CLI profile with profile (env ALICLOUD_PROFILE) in profile_file "
    "(env ALICLOUD_CONFIG_FILE, default %s), or the ECS instance RAM role with ecs_role_name "
    "(env ALICLOUD_ECS_ROLE_NAME)" % DEFAULT_PROFILE_FILE
)
SUPPORTED_MODES = ("AK", "StsToken", "RamRoleArn", "EcsRamRole", "ChainableRamRoleArn")
STS_VERSION = "2015-04-01"
VPC_VERSION = "2016-04-28"
# Regions whose VPC API host is the central vpc.aliyuncs.com (aliyun-python-sdk-vpc's endpoint map, reference 1.1);
# every other region has vpc.<region>.aliyuncs.com.
VPC_CENTRAL_REGIONS = frozenset({
    "cn-hangzhou", "cn-hangzhou-finance", "cn-shanghai-finance-1", "cn-shenzhen-finance-1", "cn-north-2-gov-1",
    "cn-beijing-gov-1", "cn-wuhan", "cn-zhangbei", "cn-fujian", "cn-beijing-finance-pop", "cn-hongkong-finance-pop",
    "rus-west-1-pop", "ap-northeast-2-pop",
})
DEFAULT_STS_ENDPOINT = "sts.aliyuncs.com"
DEFAULT_SESSION_NAME = "ansible-alicloud-ecs"
DEFAULT_DURATION = 3600
# AssumeRole: 900 s up to the role's maximum session duration, which RAM allows up to 12 hours.
DURATION_RANGE = (900, 43200)
ROLE_ARN = re.compile(r"^acs:ram::\d+:role/\S+$")
SESSION_NAME = re.compile(r"^[A-Za-z0-9.@_-]{2,64}$")
# The SDKs' switch that turns the instance metadata service off (alibabacloud-credentials).
METADATA_DISABLED_ENV = "ALIBABA_CLOUD_ECS_METADATA_DISABLED"


def from_env(name: str, env: Mapping[str, str]) -> str | None:
    """First non-empty environment variable for option ``name``."""
    for var in ENV_VARS.get(name, ()):
        if env.get(var):
            return env[var]
    return None


def deprecated_env_in_use(env: Mapping[str, str]) -> list[str]:
    """A deprecation message for each old variable that is what a value was read from."""
    messages = []
    for name, names in ENV_VARS.items():
        used = next((var for var in names if env.get(var)), None)
        if used in DEPRECATED_ENV:
            messages.append(
                "the environment variable %s (of alibaba.alicloud) is deprecated; use %s"
                % (used, DEPRECATED_ENV[used])
            )
    return messages


def _option_or_env(options: dict[str, Any], name: str, env: Mapping[str, str]) -> Any:
    value = options.get(name)
    return value if value not in (None, "") else from_env(name, env)


def resolve_credentials(
    options: dict[str, Any], env: Mapping[str, str] | None = None, provider: CredentialProvider | None = None
) -> dict[str, Any]:
    """Credentials of the first source of the chain (docs/guide.md section 2), region, and their provider.

    ``provider`` reuses the credentials another client already resolved (the
    inventory plugin, one client per region).  Temporary credentials are
    fetched here, after the region is known to be valid.
    """
    env = os.environ if env is None else env
    profile_region = None
    if provider is None:
        provider, profile_region = _source_provider(options, env)
        role = _assume_role_settings(options, env, "the %s option", {})
        if role is not None:
            provider = _assume_role_provider(provider, role, options, env)
    region = options.get("region") or from_env("region", env) or profile_region
    if not region or not re.match(r"^[a-zA-Z0-9_-]+$", region):
        raise EcsConfigError(
            "a valid region is required: set the region option (env ALICLOUD_REGION or ALIBABA_CLOUD_REGION_ID)",
            operation="load credentials",
        )
    creds = provider.credentials()
    return {
        "access_key": creds.access_key,
        "secret_key": creds.secret_key,
        "security_token": creds.security_token,
        "region": region,
        "source": provider.source,
        "provider": provider,
        "deprecations": deprecated_env_in_use(env),
    }


def _source_provider(options: dict[str, Any], env: Mapping[str, str]) -> tuple[CredentialProvider, str | None]:
    """The first source that applies: options, then environment, each keys > profile > ECS RAM role."""
    profile_file = _option_or_env(options, "profile_file", env) or DEFAULT_PROFILE_FILE
    if options.get("access_key") or options.get("secret_key"):
        return _keys(options, env, "options"), None
    if options.get("profile"):
        return load_profile(profile_file, options["profile"], options, env)
    if options.get("ecs_role_name"):
        return _ecs_role_provider(options["ecs_role_name"], options, env, "the ecs_role_name option"), None
    if from_env("access_key", env) or from_env("secret_key", env):
        return _keys({}, env, "environment"), None
    if from_env("profile", env) or os.path.exists(os.path.expanduser(profile_file)):
        return load_profile(profile_file, from_env("profile", env), options, env)
    if from_env("ecs_role_name", env):
        return _ecs_role_provider(from_env("ecs_role_name", env), options, env, "the environment"), None
    raise EcsConfigError(MISSING_CREDENTIALS, operation="load credentials")


def _keys(options: dict[str, Any], env: Mapping[str, str], source: str) -> CredentialProvider:
    values = {key: _option_or_env(options, key, env) for key in ("access_key", "secret_key", "security_token")}
    for key in ("access_key", "secret_key"):
        if not values[key]:
            raise EcsConfigError("%s is missing (credentials from %s)" % (key, source), operation="load credentials")
    return CredentialProvider(Credentials(values["access_key"], values["secret_key"], values["security_token"]), source)


# ---------------------------------------------------------------- aliyun CLI profiles


def load_profile(
    path: str, name: str | None, options: dict[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> tuple[CredentialProvider, str | None]:
    """The provider and ``region_id`` of one profile of an aliyun CLI ``config.json``."""
    path = os.path.expanduser(path)
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except (OSError, ValueError) as exc:
        raise EcsConfigError("cannot read profile file %s: %s" % (path, exc), operation="load credentials")
    if not isinstance(config, dict):
        raise EcsConfigError("profile file %s is not a JSON object" % path, operation="load credentials")
    name = name or config.get("current") or "default"
    return _profile_provider(config, name, path, options or {}, os.environ if env is None else env, ())


def _profile_provider(
    config: dict[str, Any], name: str, path: str, options: dict[str, Any], env: Mapping[str, str], chain: tuple[str, ...]
) -> tuple[CredentialProvider, str | None]:
    profile = next((p for p in config.get("profiles") or [] if isinstance(p, dict) and p.get("name") == name), None)
    if profile is None:
        raise EcsConfigError("profile %r not found in %s" % (name, path), operation="load credentials")
    if name in chain:
        raise EcsConfigError(
            "profile %r in %s: source_profile loops (%s)" % (name, path, " -> ".join(chain + (name,))),
            operation="load credentials",
        )
    mode = profile.get("mode") or "AK"
    where = "profile %s" % name
    region = profile.get("region_id") or None
    if mode in ("AK", "StsToken"):
        token = (profile.get("sts_token") or None) if mode == "StsToken" else None
        return _profile_keys(profile, token, where, path), region
    if mode == "EcsRamRole":
        return _ecs_role_provider(profile.get("ram_role_name") or None, options, env, where), region
    if mode == "RamRoleArn":
        source: CredentialProvider = _profile_keys(profile, profile.get("sts_token") or None, where, path)
    elif mode == "ChainableRamRoleArn":
        if not profile.get("source_profile"):
            raise EcsConfigError("%s in %s (ChainableRamRoleArn) has no source_profile" % (where, path),
                                 operation="load credentials")
        source, source_region = _profile_provider(config, profile["source_profile"], path, options, env, chain + (name,))
        region = region or source_region
    else:
        raise EcsConfigError(
            "%s in %s uses mode %s; supported modes are %s and %s" % (where, path, mode, ", ".join(SUPPORTED_MODES[:-1]), SUPPORTED_MODES[-1]),
            operation="load credentials",
        )
    fields = {
        "assume_role_arn": profile.get("ram_role_arn"),
        "assume_role_session_name": profile.get("ram_session_name"),
        "assume_role_duration_seconds": profile.get("expired_seconds") or None,
        "assume_role_external_id": profile.get("external_id"),
        "assume_role_policy": profile.get("policy"),
        "sts_endpoint": _profile_sts_endpoint(profile),
    }
    role = _assume_role_settings(fields, env, "%s field %%s in %s" % (where, path), PROFILE_FIELDS, profile=True)
    if role is None:
        raise EcsConfigError("%s in %s (%s) has no ram_role_arn" % (where, path, mode), operation="load credentials")
    return _assume_role_provider(source, role, options, env), region


# Option names and the profile fields they are read from (for error messages).
PROFILE_FIELDS = {
    "assume_role_arn": "ram_role_arn",
    "assume_role_session_name": "ram_session_name",
    "assume_role_duration_seconds": "expired_seconds",
    "assume_role_external_id": "external_id",
    "assume_role_policy": "policy",
}


def _profile_keys(profile: dict[str, Any], token: str | None, where: str, path: str) -> CredentialProvider:
    access_key, secret_key = profile.get("access_key_id") or None, profile.get("access_key_secret") or None
    if not access_key or not secret_key:
        missing = "access_key_id" if not access_key else "access_key_secret"
        raise EcsConfigError("%s in %s has no %s" % (where, path, missing), operation="load credentials")
    return CredentialProvider(Credentials(access_key, secret_key, token), where)


def _profile_sts_endpoint(profile: dict[str, Any]) -> str | None:
    if profile.get("sts_endpoint"):
        return profile["sts_endpoint"]
    if profile.get("sts_region"):
        prefix = "sts-vpc" if profile.get("enable_vpc") else "sts"
        return "%s.%s.aliyuncs.com" % (prefix, profile["sts_region"])
    return None


# ---------------------------------------------------------------- temporary credentials


def _assume_role_settings(
    values: dict[str, Any], env: Mapping[str, str], where: str, names: dict[str, str], profile: bool = False
) -> dict[str, Any] | None:
    """RoleArn, RoleSessionName, DurationSeconds, ExternalId, Policy and the STS endpoint, checked.

    ``where`` names the setting in messages ("the %s option", or a profile's
    field).  Options fall back to their environment variables; a profile's
    fields only to the SDKs' session name and external id variables.
    """
    from_environment: dict[str, str] = {}

    def value(name: str) -> Any:
        found = values.get(name)
        if found in (None, "") and (not profile or name in ("assume_role_session_name", "assume_role_external_id")):
            found = from_env(name, env)
            var = next((v for v in ENV_VARS.get(name, ()) if env.get(v)), None)
            if found not in (None, "") and var:
                from_environment[name] = var
        return None if found in (None, "") else found

    def label(name: str) -> str:
        if name in from_environment:
            return "the %s option (environment variable %s)" % (name, from_environment[name])
        return where % names.get(name, name)

    arn = value("assume_role_arn")
    if arn is None:
        return None
    if not ROLE_ARN.match(str(arn)):
        raise EcsConfigError("%s must be a RAM role ARN like acs:ram::<account id>:role/<role name>, got %r"
                             % (label("assume_role_arn"), arn), operation="load credentials")
    session = str(value("assume_role_session_name") or DEFAULT_SESSION_NAME)
    if not SESSION_NAME.match(session):
        raise EcsConfigError("%s must be 2 to 64 letters, digits or . @ - _, got %r"
                             % (label("assume_role_session_name"), session), operation="load credentials")
    duration = value("assume_role_duration_seconds") or DEFAULT_DURATION
    try:
        duration = int(str(duration).strip())
    except ValueError:
        duration = 0
    if not DURATION_RANGE[0] <= duration <= DURATION_RANGE[1]:
        raise EcsConfigError("%s must be whole seconds from %d to %d, got %r"
                             % ((label("assume_role_duration_seconds"),) + DURATION_RANGE
                                + (value("assume_role_duration_seconds"),)), operation="load credentials")
    policy = value("assume_role_policy")
    if policy is not None:
        policy = policy if isinstance(policy, str) else json.dumps(policy)
        try:
            readable = isinstance(json.loads(policy), dict)
        except ValueError:
            readable = False
        if not readable:
            raise EcsConfigError("%s must be a JSON policy document (an object)" % label("assume_role_policy"),
                                 operation="load credentials")
    return {
        "arn": str(arn),
        "session_name": session,
        "duration": duration,
        "external_id": value("assume_role_external_id"),
        "policy": policy,
        "sts_endpoint": values.get("sts_endpoint"),
    }


def _assume_role_provider(
    source: CredentialProvider, role: dict[str, Any], options: dict[str, Any], env: Mapping[str, str]
) -> CredentialProvider:
    # The sts_endpoint option (or env) beats a profile's sts_endpoint/sts_region, which beats the default.
    endpoint_setting = (
        options.get("sts_endpoint") or from_env("sts_endpoint", env) or role.get("sts_endpoint") or DEFAULT_STS_ENDPOINT
    )
    endpoint, protocol = split_endpoint(endpoint_setting, "sts_endpoint")
    transport = {
        "endpoint": endpoint,
        "protocol": protocol,
        "verify": _verify(options),
        "connect_timeout": options.get("connect_timeout"),
        "read_timeout": options.get("read_timeout"),
        "retry_timeout": options.get("retry_timeout"),
    }
    params = {
        "RoleArn": role["arn"],
        "RoleSessionName": role["session_name"],
        "DurationSeconds": role["duration"],
        "ExternalId": role.get("external_id"),
        "Policy": role.get("policy"),
    }

    def fetch() -> Credentials:
        return assume_role(source.credentials(), params, transport)

    return RefreshingProvider(fetch, "RAM role %s (assumed with %s)" % (role["arn"], source.source), [source])


def assume_role(source: Credentials, params: dict[str, Any], transport: dict[str, Any]) -> Credentials:
    """One STS AssumeRole call signed with ``source``; the temporary credentials it answers."""
    info = dict(transport, region="cn-hangzhou", access_key=source.access_key, secret_key=source.secret_key,
                security_token=source.security_token)
    try:
        body = StsClient(info).call("AssumeRole", params, idempotent=True)
    except EcsApiError as err:
        err.operation = "assume RAM role %s" % params["RoleArn"]
        raise
    answer = body.get("Credentials") if isinstance(body, dict) else None
    if not isinstance(answer, dict) or not answer.get("AccessKeyId") or not answer.get("AccessKeySecret"):
        raise EcsConfigError("STS answered no credentials", operation="assume RAM role %s" % params["RoleArn"])
    return Credentials(
        str(answer["AccessKeyId"]),
        str(answer["AccessKeySecret"]),
        answer.get("SecurityToken") or None,
        parse_expiration(answer.get("Expiration"), "STS"),
    )


def _ecs_role_provider(
    role_name: str | None, options: dict[str, Any], env: Mapping[str, str], where: str
) -> CredentialProvider:
    if str(env.get(METADATA_DISABLED_ENV, "")).lower() == "true":
        raise EcsConfigError(
            "the ECS RAM role (from %s) needs the instance metadata service, which %s=true turns off"
            % (where, METADATA_DISABLED_ENV),
            operation="load credentials",
        )
    endpoint = _option_or_env(options, "ecs_metadata_endpoint", env) or DEFAULT_METADATA_ENDPOINT
    if not re.match(r"^https?://[^\s/]+", str(endpoint)):
        raise EcsConfigError("ecs_metadata_endpoint must be a URL like http://100.100.100.200, got %r" % endpoint,
                             operation="load credentials")
    token_required = str(env.get("ALIBABA_CLOUD_IMDSV1_DISABLED", "")).lower() == "true"
    fetch = metadata_fetcher(str(endpoint), role_name, options.get("connect_timeout"), token_required)
    label = "ECS RAM role %s" % role_name if role_name else "the ECS RAM role of this instance"
    return RefreshingProvider(fetch, "%s (metadata service, from %s)" % (label, where))


def resolve_endpoint(region: str, endpoint: str | None) -> tuple[str, str]:
    """(endpoint for ``request.set_endpoint``, protocol) -- HTTPS unless ``http://`` is given."""
    if not endpoint:
        host = "ecs-cn-hangzhou.aliyuncs.com" if region == "cn-hangzhou" else "ecs.%s.aliyuncs.com" % region
        return host, "https"
    return split_endpoint(endpoint, "endpoint")


def resolve_vpc_endpoint(region: str, vpc_endpoint: str | None, endpoint: str | None) -> tuple[str, str, bool]:
    """(endpoint, protocol, whether it is the default) of VPC calls (EIPs).

    ``vpc_endpoint`` wins.  Without it, an ``endpoint`` that is not an Alibaba Cloud host (the emulator, a
    proxy, a private gateway) serves VPC calls too; an Alibaba Cloud ECS host cannot, so then VPC calls go
    to the VPC service's own regional host over HTTPS.
    """
    if vpc_endpoint:
        return split_endpoint(vpc_endpoint, "vpc_endpoint") + (False,)
    if endpoint:
        url, protocol = split_endpoint(endpoint, "endpoint")
        host = re.sub(r"^https?://", "", url).split("/")[0].rsplit(":", 1)[0].lower()
        if not (host == "aliyuncs.com" or host.endswith(".aliyuncs.com")):
            return url, protocol, False
    host = "vpc.aliyuncs.com" if region in VPC_CENTRAL_REGIONS else "vpc.%s.aliyuncs.com" % region
    return host, "https", True


def split_endpoint(endpoint: str, option: str) -> tuple[str, str]:
    """A URL or ``host[:port]`` (HTTPS) -> (endpoint, protocol); ``option`` names it in the error."""
    endpoint = str(endpoint).strip().rstrip("/")
    if endpoint.startswith("http://"):
        return endpoint, "http"
    if endpoint.startswith("https://"):
        return endpoint, "https"
    if not re.match(r"^[A-Za-z0-9.\-\[\]:]+$", endpoint):
        raise EcsConfigError("%s %r is not a URL or host[:port]" % (option, endpoint), operation="configure the client")
    return endpoint, "https"


def connection_info(
    options: dict[str, Any], env: Mapping[str, str] | None = None, provider: CredentialProvider | None = None
) -> dict[str, Any]:
    """Everything needed to build a client, resolved from options, env and profile (or ``provider``)."""
    env = os.environ if env is None else env
    info = resolve_credentials(options, env, provider)
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


def build_client(
    options: dict[str, Any],
    env: Mapping[str, str] | None = None,
    provider: CredentialProvider | None = None,
    **kwargs: Any,
) -> "EcsClient":
    """One client for the whole run; ``options`` is a plain dict (module params or plugin options).

    ``provider`` shares credentials already resolved (one AssumeRole for every region's client).
    """
    if not HAS_ALIYUN_SDK:
        raise EcsConfigError("aliyun-python-sdk-core and aliyun-python-sdk-ecs are required", operation="load the SDK")
    return EcsClient(connection_info(options, env, provider), **kwargs)


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
        self._fixed_secrets = [info.get("secret_key"), info.get("security_token")]
        # Temporary credentials (RAM role, ECS RAM role) sign each request through a signer of
        # their current value; fixed keys stay with the AcsClient's own signer.
        provider = info.get("provider")
        self._provider = provider if provider is not None and provider.refreshable else None
        self._signed_with: Credentials | None = None
        self._signer: Any = None
        self._clock = clock
        self._sleep = sleep
        self._acs = acs if acs is not None else _make_acs_client(info)
        self.attempts = 0
        self.info = info  # what vpc_client() builds the VPC client of the same run from

    @property
    def _secrets(self) -> list[str | None]:
        return self._fixed_secrets + (list(self._provider.secrets()) if self._provider is not None else [])

    def call(self, action: str, params: dict[str, Any], *, idempotent: bool = True, dry_run: bool = False) -> dict:
        """Send ``action``; return the decoded body.  A passing DryRun returns ``{"DryRun": True}``."""
        deadline = self._clock() + self.retry_timeout
        attempt = 0
        renewed = False
        while True:
            signer = self._current_signer()  # a failed renewal has had its own retries: not retried here
            try:
                return self._send(action, dict(params, DryRun=True) if dry_run else params, signer)
            except EcsApiError as err:
                if dry_run and err.code in DRY_RUN_CODES:
                    return {"DryRun": True, "RequestId": err.request_id}
                if err.code == EXPIRED_TOKEN_CODE and self._provider is not None and not renewed:
                    # Expired before the margin said so (clock skew, a credential revoked early): renew once.
                    self._provider.refresh()
                    renewed = True
                    continue
                delay = backoff_delay(attempt, err.retry_after)
                if not should_retry(err.code, err.http_status, idempotent) or self._clock() + delay > deadline:
                    if attempt:
                        err.message += " (gave up after %d attempts)" % (attempt + 1)
                    raise
            self._sleep(delay)
            attempt += 1

    def _current_signer(self) -> Any:
        """None for fixed keys; else a signer of the provider's current (renewed when due) credentials."""
        if self._provider is None:
            return None
        creds = self._provider.credentials()
        if creds is not self._signed_with:
            if creds.security_token:
                self._signer = StsTokenSigner(StsTokenCredential(creds.access_key, creds.secret_key, creds.security_token))
            else:
                self._signer = AccessKeySigner(AccessKeyCredential(creds.access_key, creds.secret_key))
            self._signed_with = creds
        return self._signer

    def _send(self, action: str, params: dict[str, Any], signer: Any = None) -> dict:
        request = self._request(action, params)
        self.attempts += 1
        try:
            if signer is None:
                status, headers, body, exc = self._acs._implementation_of_do_action(request)
            else:
                status, headers, body, exc = self._acs._implementation_of_do_action(request, signer)
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


class StsClient(EcsClient):
    """STS (2015-04-01) through the same retries, error shapes and scrubbing as ECS."""

    def _request(self, action: str, params: dict[str, Any]) -> Any:
        request = CommonRequest(domain=self.endpoint, version=STS_VERSION, action_name=action, product="Sts")
        request.set_method("POST")
        request.set_accept_format("JSON")
        request.set_protocol_type(protocol_type.HTTPS if self.protocol == "https" else protocol_type.HTTP)
        for key, value in flatten_params(params).items():
            request.add_query_param(key, value)
        return request

    def _name_failure(self, detail: str) -> str:
        host = re.sub(r"^https?://", "", self.endpoint).split("/")[0].rsplit(":", 1)[0]
        cause = NAME_FAILURE.search(detail)
        return "the STS endpoint host %s does not resolve (%s); check the sts_endpoint option (env ALICLOUD_STS_ENDPOINT)" % (
            host, cause.group(0) if cause else "name resolution failed")


class VpcClient(EcsClient):
    """VPC (2016-04-28, EIPs) through the ECS client's AcsClient, credentials, retries, error shapes and scrubbing."""

    def _request(self, action: str, params: dict[str, Any]) -> Any:
        request = CommonRequest(domain=self.endpoint, version=VPC_VERSION, action_name=action, product="Vpc")
        request.set_method("POST")
        request.set_accept_format("JSON")
        request.set_protocol_type(protocol_type.HTTPS if self.protocol == "https" else protocol_type.HTTP)
        for key, value in flatten_params(dict({"RegionId": self.region}, **params)).items():
            request.add_query_param(key, value)
        return request

    def _name_failure(self, detail: str) -> str:
        host = re.sub(r"^https?://", "", self.endpoint).split("/")[0].rsplit(":", 1)[0]
        cause = NAME_FAILURE.search(detail)
        if self.default_endpoint:
            advice = "check the region (%s), or set vpc_endpoint (env ALICLOUD_VPC_ENDPOINT)" % self.region
        else:
            advice = "check the vpc_endpoint option (env ALICLOUD_VPC_ENDPOINT), else endpoint (env ALICLOUD_ECS_ENDPOINT)"
        return "the VPC endpoint host %s (region %s) does not resolve (%s); %s" % (
            host, self.region, cause.group(0) if cause else "name resolution failed", advice)


def vpc_client(ecs: EcsClient, options: dict[str, Any], env: Mapping[str, str] | None = None) -> VpcClient:
    """The VPC client of a run: the ECS client's credentials (renewals included) and settings, the VPC endpoint
    of ``resolve_vpc_endpoint`` (options ``vpc_endpoint`` and ``endpoint``, else their environment variables)."""
    env = os.environ if env is None else env
    endpoint, protocol, default = resolve_vpc_endpoint(
        ecs.region, _option_or_env(options, "vpc_endpoint", env), _option_or_env(options, "endpoint", env)
    )
    info = dict(ecs.info, endpoint=endpoint, protocol=protocol, default_endpoint=default)
    return VpcClient(info, clock=ecs._clock, sleep=ecs._sleep, acs=ecs._acs)


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
