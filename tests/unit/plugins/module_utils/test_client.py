from __future__ import annotations

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException

from ansible_collections.alicloud.ecs.plugins.module_utils import _client as c
from ansible_collections.alicloud.ecs.plugins.module_utils import _credentials as cr
from ansible_collections.alicloud.ecs.plugins.module_utils._args import CREDENTIALS_SPEC
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError, EcsConfigError, failure_message
from ansible_collections.alicloud.ecs.tests.unit.kit import FakeClock, spec_params

ENV_KEYS = {"ALICLOUD_ACCESS_KEY": "env-ak", "ALICLOUD_SECRET_KEY": "env-sk", "ALICLOUD_REGION": "cn-beijing"}
ROLE = "acs:ram::1234567890123456:role/deployer"


def options_of(**values):
    """The shared credential options (CREDENTIALS_SPEC) as every module gets them for the task arguments ``values``."""
    return spec_params(CREDENTIALS_SPEC, **values)


PROFILES = [
    {"name": "main", "mode": "AK", "access_key_id": "p-ak", "access_key_secret": "p-sk", "region_id": "eu-central-1"},
    {"name": "sts", "mode": "StsToken", "access_key_id": "STS.x", "access_key_secret": "s-sk", "sts_token": "tok", "region_id": "cn-shanghai"},
    {"name": "role", "mode": "RamRoleArn", "access_key_id": "a", "access_key_secret": "b", "ram_role_arn": ROLE,
     "ram_session_name": "cli", "expired_seconds": 1800, "region_id": "cn-shenzhen"},
    {"name": "chained", "mode": "ChainableRamRoleArn", "source_profile": "role", "ram_role_arn": ROLE + "2"},
    {"name": "loop-a", "mode": "ChainableRamRoleArn", "source_profile": "loop-b", "ram_role_arn": ROLE},
    {"name": "loop-b", "mode": "ChainableRamRoleArn", "source_profile": "loop-a", "ram_role_arn": ROLE},
    {"name": "norole", "mode": "RamRoleArn", "access_key_id": "a", "access_key_secret": "b"},
    {"name": "badduration", "mode": "RamRoleArn", "access_key_id": "a", "access_key_secret": "b", "ram_role_arn": ROLE, "expired_seconds": 60},
    {"name": "ecs", "mode": "EcsRamRole", "ram_role_name": "EcsRole", "region_id": "us-west-1"},
    {"name": "oidc", "mode": "OIDC", "ram_role_arn": ROLE},
    {"name": "nosecret", "mode": "AK", "access_key_id": "a"},
]


@pytest.fixture
def profile_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"current": "main", "profiles": PROFILES}))
    return str(path)


class Recorder:
    """What the chain would fetch: the fetch functions of temporary credentials, recorded instead of sent."""

    def __init__(self, monkeypatch):
        self.assumed, self.metadata = [], []
        monkeypatch.setattr(c, "assume_role", self.assume_role)
        monkeypatch.setattr(c, "metadata_fetcher", self.metadata_fetcher)

    def assume_role(self, source, params, transport):
        self.assumed.append((source, params, transport))
        return cr.Credentials("STS.assumed%d" % len(self.assumed), "assumed-secret", "assumed-token", 4102444800.0)

    def metadata_fetcher(self, endpoint, role_name, timeout=None, token_required=False):
        def fetch():
            self.metadata.append((endpoint, role_name, token_required))
            return cr.Credentials("STS.ecs", "ecs-secret", "ecs-token", 4102444800.0)

        return fetch


@pytest.fixture
def recorder(monkeypatch):
    return Recorder(monkeypatch)


@pytest.mark.parametrize(
    "options,env,expected",
    [
        ({"access_key": "o-ak", "secret_key": "o-sk", "region": "cn-hangzhou"}, ENV_KEYS, ("o-ak", "o-sk", "cn-hangzhou", "options")),
        ({}, ENV_KEYS, ("env-ak", "env-sk", "cn-beijing", "environment")),
        (
            {},
            {"ALIBABA_CLOUD_ACCESS_KEY_ID": "a2", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s2", "ALIBABA_CLOUD_REGION_ID": "us-west-1"},
            ("a2", "s2", "us-west-1", "environment"),
        ),
        ({"access_key": "o-ak"}, ENV_KEYS, ("o-ak", "env-sk", "cn-beijing", "options")),
        # The old collection's names, options and variables.
        ({"alicloud_access_key": "o-ak", "alicloud_secret_key": "o-sk", "alicloud_region": "cn-hangzhou"}, {}, ("o-ak", "o-sk", "cn-hangzhou", "options")),
        ({"access_key_id": "o-ak", "secret_access_key": "o-sk", "region_id": "cn-hangzhou"}, {}, ("o-ak", "o-sk", "cn-hangzhou", "options")),
        (
            {},
            {"ALICLOUD_ACCESS_KEY_ID": "a3", "ALICLOUD_SECRET_ACCESS_KEY": "s3", "ALICLOUD_REGION_ID": "cn-qingdao"},
            ("a3", "s3", "cn-qingdao", "environment"),
        ),
    ],
)
def test_credential_precedence_keys(options, env, expected, tmp_path):
    env = dict(env, ALICLOUD_CONFIG_FILE=str(tmp_path / "missing.json"))
    creds = c.resolve_credentials(options_of(**options), env)
    assert (creds["access_key"], creds["secret_key"], creds["region"], creds["source"]) == expected
    assert creds["provider"].refreshable is False


def test_old_option_names_are_deprecated_aliases():
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    result = ArgumentSpecValidator(CREDENTIALS_SPEC).validate(
        {"alicloud_access_key": "a", "shared_credentials_file": "/x", "role_name": "r", "alicloud_assume_role_arn": ROLE}
    )
    assert not result.error_messages
    params = result.validated_parameters
    assert (params["access_key"], params["profile_file"], params["ecs_role_name"], params["assume_role_arn"]) == ("a", "/x", "r", ROLE)
    deprecated = {d["msg"].split("'")[1] for d in result._deprecations}
    assert deprecated == {"alicloud_access_key", "shared_credentials_file", "role_name", "alicloud_assume_role_arn"}
    assert all(d["version"] == "2.0.0" and d["collection_name"] == "alicloud.ecs" for d in result._deprecations)


def test_deprecated_environment_variables_are_reported_only_when_read():
    env = {"ALICLOUD_ACCESS_KEY_ID": "a", "ALICLOUD_SECRET_KEY": "s", "ALICLOUD_SECRET_ACCESS_KEY": "old", "ALICLOUD_REGION": "cn-beijing"}
    creds = c.resolve_credentials(options_of(), dict(env, ALICLOUD_CONFIG_FILE="/nonexistent"))
    assert creds["secret_key"] == "s"
    assert creds["deprecations"] == ["the environment variable ALICLOUD_ACCESS_KEY_ID (of alibaba.alicloud) is deprecated; use ALICLOUD_ACCESS_KEY"]


def test_explicit_profile_beats_env_keys(profile_file):
    creds = c.resolve_credentials(options_of(profile="main", profile_file=profile_file), dict(ENV_KEYS))
    assert (creds["access_key"], creds["secret_key"]) == ("p-ak", "p-sk")
    assert creds["region"] == "cn-beijing"  # env region still beats the profile's


def test_env_keys_beat_current_profile(profile_file):
    creds = c.resolve_credentials(options_of(), dict(ENV_KEYS, ALICLOUD_CONFIG_FILE=profile_file))
    assert creds["access_key"] == "env-ak"


def test_current_profile_and_its_region(profile_file):
    creds = c.resolve_credentials(options_of(profile_file=profile_file), {})
    assert (creds["access_key"], creds["region"], creds["source"]) == ("p-ak", "eu-central-1", "profile main")


def test_sts_profile_from_env_name(profile_file):
    creds = c.resolve_credentials(options_of(), {"ALICLOUD_PROFILE": "sts", "ALICLOUD_CONFIG_FILE": profile_file})
    assert (creds["access_key"], creds["secret_key"], creds["security_token"]) == ("STS.x", "s-sk", "tok")
    creds = c.resolve_credentials(options_of(), {"ALIBABA_CLOUD_PROFILE": "sts", "ALICLOUD_SHARED_CREDENTIALS_FILE": profile_file})
    assert creds["security_token"] == "tok"


def test_ram_role_arn_profile_assumes_its_role_with_its_keys(profile_file, recorder):
    creds = c.resolve_credentials(options_of(profile="role", profile_file=profile_file), {})
    (source, params, transport), = recorder.assumed
    assert (source.access_key, source.secret_key) == ("a", "b")
    assert params == {"RoleArn": ROLE, "RoleSessionName": "cli", "DurationSeconds": 1800, "ExternalId": None, "Policy": None}
    assert (transport["endpoint"], transport["protocol"]) == ("sts.aliyuncs.com", "https")
    assert (creds["access_key"], creds["security_token"], creds["region"]) == ("STS.assumed1", "assumed-token", "cn-shenzhen")
    assert creds["source"] == "RAM role %s (assumed with profile role)" % ROLE
    assert creds["provider"].refreshable and set(creds["provider"].secrets()) >= {"b", "assumed-secret", "assumed-token"}


def test_chainable_profile_assumes_twice_and_the_sts_endpoint_option_wins(profile_file, recorder):
    env = {"ALICLOUD_STS_ENDPOINT": "http://127.0.0.1:9"}
    creds = c.resolve_credentials(options_of(profile="chained", profile_file=profile_file), env)
    assert [p["RoleArn"] for _s, p, _t in recorder.assumed] == [ROLE, ROLE + "2"]
    assert recorder.assumed[1][0].access_key == "STS.assumed1"  # the first role's credentials assume the second
    assert recorder.assumed[1][1]["RoleSessionName"] == c.DEFAULT_SESSION_NAME
    assert {t["endpoint"] for _s, _p, t in recorder.assumed} == {"http://127.0.0.1:9"}
    assert creds["region"] == "cn-shenzhen"  # from the source profile


def test_ecs_ram_role_profile_and_option(profile_file, recorder):
    creds = c.resolve_credentials(options_of(profile="ecs", profile_file=profile_file), {})
    assert recorder.metadata == [("http://100.100.100.200", "EcsRole", False)]
    assert (creds["access_key"], creds["region"]) == ("STS.ecs", "us-west-1")
    env = {"ALICLOUD_ECS_METADATA_ENDPOINT": "http://127.0.0.1:9/_emulator/metadata", "ALIBABA_CLOUD_IMDSV1_DISABLED": "true"}
    creds = c.resolve_credentials(options_of(ecs_role_name="Other", region="cn-beijing"), dict(ENV_KEYS, **env))
    assert recorder.metadata[-1] == ("http://127.0.0.1:9/_emulator/metadata", "Other", True)
    assert creds["source"] == "ECS RAM role Other (metadata service, from the ecs_role_name option)"


def test_ecs_role_from_environment_comes_after_env_keys_and_profiles(profile_file, recorder):
    env = {"ALICLOUD_ECS_ROLE_NAME": "EnvRole", "ALICLOUD_REGION": "cn-beijing", "ALICLOUD_CONFIG_FILE": "/nonexistent"}
    assert c.resolve_credentials(options_of(), dict(env, ALICLOUD_ACCESS_KEY="k", ALICLOUD_SECRET_KEY="s"))["access_key"] == "k"
    assert c.resolve_credentials(options_of(), dict(env, ALICLOUD_CONFIG_FILE=profile_file))["access_key"] == "p-ak"
    assert c.resolve_credentials(options_of(), env)["access_key"] == "STS.ecs"
    assert c.resolve_credentials(options_of(), {"ALIBABA_CLOUD_ECS_METADATA": "SdkRole", "ALICLOUD_REGION": "x"})["access_key"] == "STS.ecs"
    assert recorder.metadata[-1][1] == "SdkRole"


def test_assume_role_option_wraps_whatever_the_chain_found(profile_file, recorder):
    policy = {"Version": "1", "Statement": []}
    options = options_of(assume_role_arn=ROLE, assume_role_session_name="deploy", assume_role_duration_seconds=900,
                         assume_role_external_id="ext", assume_role_policy=policy, sts_endpoint="sts-vpc.cn-beijing.aliyuncs.com")
    creds = c.resolve_credentials(options, dict(ENV_KEYS))
    (source, params, transport), = recorder.assumed
    assert source.access_key == "env-ak"
    assert params == {"RoleArn": ROLE, "RoleSessionName": "deploy", "DurationSeconds": 900, "ExternalId": "ext", "Policy": json.dumps(policy)}
    assert transport["endpoint"] == "sts-vpc.cn-beijing.aliyuncs.com"
    assert creds["source"] == "RAM role %s (assumed with environment)" % ROLE
    # From the environment, with the old collection's variables.
    env = dict(ENV_KEYS, ALICLOUD_ASSUME_ROLE_ARN=ROLE, ALICLOUD_ASSUME_ROLE_SESSION_NAME="old", ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION="1200")
    c.resolve_credentials(options_of(), env)
    assert (recorder.assumed[-1][1]["RoleSessionName"], recorder.assumed[-1][1]["DurationSeconds"]) == ("old", 1200)
    # An ECS RAM role as the source.
    c.resolve_credentials(options_of(ecs_role_name="EcsRole", assume_role_arn=ROLE, region="cn-beijing"), {})
    assert recorder.assumed[-1][0].access_key == "STS.ecs"


@pytest.mark.parametrize(
    "options,env,fragment",
    [
        ({}, {}, "ALICLOUD_ACCESS_KEY"),
        ({}, {}, "ecs_role_name"),
        ({"profile": "nope"}, {}, "not found"),
        ({"profile": "oidc"}, {}, "uses mode OIDC; supported modes are AK, StsToken, RamRoleArn, EcsRamRole and ChainableRamRoleArn"),
        ({"profile": "norole"}, {}, "(RamRoleArn) has no ram_role_arn"),
        ({"profile": "loop-a"}, {}, "source_profile loops (loop-a -> loop-b -> loop-a)"),
        ({"profile": "badduration"}, {}, "profile badduration field expired_seconds in"),
        ({"profile": "nosecret"}, {}, "has no access_key_secret"),
        ({"access_key": "x"}, {}, "secret_key is missing"),
        ({"access_key": "x", "secret_key": "y"}, {}, "region"),
        ({"access_key": "x", "secret_key": "y", "region": "bad region!"}, {}, "region"),
        ({"assume_role_arn": "arn:aws:iam::1:role/x"}, ENV_KEYS, "the assume_role_arn option must be a RAM role ARN"),
        ({"assume_role_arn": ROLE, "assume_role_session_name": "a b"}, ENV_KEYS, "the assume_role_session_name option must be 2 to 64"),
        ({"assume_role_arn": ROLE, "assume_role_duration_seconds": 600}, ENV_KEYS,
         "the assume_role_duration_seconds option must be whole seconds from 900 to 43200, got 600"),
        ({"assume_role_arn": ROLE, "assume_role_policy": "[1]"}, ENV_KEYS, "the assume_role_policy option must be a JSON policy document"),
        ({}, dict(ENV_KEYS, ALICLOUD_ASSUME_ROLE_ARN=ROLE, ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION="soon"), "assume_role_duration_seconds"),
        ({"ecs_role_name": "r", "ecs_metadata_endpoint": "100.100.100.200"}, ENV_KEYS, "ecs_metadata_endpoint must be a URL"),
        ({"ecs_role_name": "r"}, dict(ENV_KEYS, ALIBABA_CLOUD_ECS_METADATA_DISABLED="true"), "ALIBABA_CLOUD_ECS_METADATA_DISABLED=true"),
        ({"assume_role_arn": ROLE, "sts_endpoint": "not a host/x"}, ENV_KEYS, "sts_endpoint 'not a host/x' is not a URL"),
    ],
)
def test_credential_errors(options, env, fragment, profile_file, tmp_path, recorder):
    if options.get("profile"):
        options = dict(options, profile_file=profile_file)
    env = dict(env, ALICLOUD_CONFIG_FILE=str(tmp_path / "missing.json"))
    with pytest.raises(EcsConfigError) as info:
        c.resolve_credentials(options_of(**options), env)
    assert fragment in info.value.message
    assert recorder.assumed == [] and recorder.metadata == []  # bad settings fail before any request


def test_unreadable_profile_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(EcsConfigError, match="cannot read profile file"):
        c.resolve_credentials(options_of(profile="x", profile_file=str(bad)), {})


# ---------------------------------------------------------------- renewal of temporary credentials


class Fetcher:
    """A fetch function handing out credentials that live ``lifetime`` seconds on ``clock``, or failing."""

    def __init__(self, clock, lifetime=900.0):
        self.clock, self.lifetime, self.count, self.fail = clock, lifetime, 0, False

    def __call__(self):
        if self.fail:
            raise EcsApiError("Throttling.User", "slow down")
        self.count += 1
        return cr.Credentials("STS.%d" % self.count, "secret-%d" % self.count, "token-%d" % self.count, self.clock() + self.lifetime)


@pytest.mark.parametrize("lifetime,renew_after", [(900.0, 675.0), (3600.0, 2700.0), (43200.0, 42300.0), (20.0, 15.0)])
def test_credentials_renew_when_a_quarter_of_their_life_is_left_and_at_most_15_minutes_before(lifetime, renew_after):
    clock = FakeClock(start=1_700_000_000.0)
    fetch = Fetcher(clock, lifetime)
    provider = cr.RefreshingProvider(fetch, "test", clock=clock)
    assert fetch.count == 0  # nothing is fetched before first use
    assert provider.credentials().access_key == "STS.1"
    clock.sleep(renew_after - 0.5)
    assert provider.credentials().access_key == "STS.1"
    clock.sleep(1.0)
    assert provider.credentials().access_key == "STS.2"
    assert provider.expires_in() == pytest.approx(lifetime)


def test_a_failed_renewal_keeps_valid_credentials_and_tries_again_later():
    clock = FakeClock(start=1_700_000_000.0)
    fetch = Fetcher(clock, 900.0)
    provider = cr.RefreshingProvider(fetch, "test", clock=clock)
    provider.credentials()
    clock.sleep(800)
    fetch.fail = True
    assert provider.credentials().access_key == "STS.1"  # 100 s left: still signs
    clock.sleep(10)
    assert provider.credentials().access_key == "STS.1"  # not retried at once
    fetch.fail = False
    clock.sleep(20)
    assert provider.credentials().access_key == "STS.2"
    fetch.fail = True
    clock.sleep(900)
    with pytest.raises(EcsApiError):  # expired: nothing valid is left
        provider.credentials()


def test_every_secret_reaches_the_listeners_now_and_after_a_renewal():
    clock = FakeClock(start=1_700_000_000.0)
    source = cr.CredentialProvider(cr.Credentials("ak", "source-secret"), "source")
    provider = cr.RefreshingProvider(Fetcher(clock, 900.0), "test", [source], clock=clock)
    provider.credentials()
    seen = []
    provider.on_secret(seen.append)
    assert seen == ["secret-1", "token-1", "source-secret"]
    clock.sleep(700)
    provider.credentials()
    assert seen[-2:] == ["secret-2", "token-2"]
    assert set(provider.secrets()) == set(seen)


@pytest.mark.parametrize(
    "region,endpoint,expected",
    [
        ("cn-hangzhou", None, ("ecs-cn-hangzhou.aliyuncs.com", "https")),
        ("cn-beijing", None, ("ecs.cn-beijing.aliyuncs.com", "https")),
        ("cn-beijing", "http://127.0.0.1:8080/", ("http://127.0.0.1:8080", "http")),
        ("cn-beijing", "https://ecs.example.com", ("https://ecs.example.com", "https")),
        ("cn-beijing", "localhost:8443", ("localhost:8443", "https")),
    ],
)
def test_resolve_endpoint(region, endpoint, expected):
    assert c.resolve_endpoint(region, endpoint) == expected


def test_endpoint_from_env_and_bad_endpoint():
    info = c.connection_info(options_of(), dict(ENV_KEYS, ALICLOUD_ECS_ENDPOINT="http://h:1"))
    assert (info["endpoint"], info["protocol"], info["verify"]) == ("http://h:1", "http", True)
    with pytest.raises(EcsConfigError):
        c.resolve_endpoint("cn-beijing", "not a host/with path")


def test_verify_options(tmp_path):
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    assert c.connection_info(options_of(validate_certs=False), ENV_KEYS)["verify"] is False
    assert c.connection_info(options_of(ca_bundle=str(bundle)), ENV_KEYS)["verify"] == str(bundle)
    with pytest.raises(EcsConfigError, match="ca_bundle"):
        c.connection_info(options_of(ca_bundle=str(tmp_path / "nope")), ENV_KEYS)


def test_flatten_params():
    flat = c.flatten_params(
        {
            "InstanceId": ["i-1", "i-2"],
            "Tag": [{"Key": "a", "Value": "b"}, {"Key": "c", "Value": ""}],
            "DataDisk": [{"Size": 40, "Category": "cloud_essd", "Encrypted": True}],
            "SystemDisk": {"Category": "cloud_ssd", "Size": 50},
            "InstanceIds": json.dumps(["i-1"]),
            "DryRun": False,
            "Skip": None,
            "Empty": [],
        }
    )
    assert flat == {
        "InstanceId.1": "i-1",
        "InstanceId.2": "i-2",
        "Tag.1.Key": "a",
        "Tag.1.Value": "b",
        "Tag.2.Key": "c",
        "Tag.2.Value": "",
        "DataDisk.1.Size": "40",
        "DataDisk.1.Category": "cloud_essd",
        "DataDisk.1.Encrypted": "true",
        "SystemDisk.Category": "cloud_ssd",
        "SystemDisk.Size": "50",
        "InstanceIds": '["i-1"]',
        "DryRun": "false",
    }


class FakeAcs:
    """Stands in for AcsClient._implementation_of_do_action: replays scripted outcomes."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.requests = []

    def _implementation_of_do_action(self, request, signer=None):
        self.requests.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, ClientException):
            raise outcome
        if isinstance(outcome, tuple):
            code, status, headers = outcome
            body = json.dumps({"Code": code, "Message": "msg of " + code, "RequestId": "RID-1"}).encode()
            return status, headers, body, ServerException(code, "msg of " + code, status, "RID-1")
        return 200, {}, json.dumps(outcome).encode(), None


INFO = {"region": "cn-beijing", "endpoint": "http://127.0.0.1:1", "protocol": "http", "secret_key": "SECRET", "security_token": "TOKEN"}


def make_client(outcomes, retry_timeout=120):
    clock = FakeClock()
    client = c.EcsClient(dict(INFO, retry_timeout=retry_timeout), clock=clock, sleep=clock.sleep, acs=FakeAcs(outcomes))
    return client, clock


def test_call_builds_real_sdk_request():
    client, _unused = make_client([{"RequestId": "x", "Instances": {"Instance": []}}])
    client.call("DescribeInstances", {"InstanceIds": '["i-1"]', "PageSize": 100})
    request = client._acs.requests[0]
    assert type(request).__name__ == "DescribeInstancesRequest"
    assert request.get_query_params()["InstanceIds"] == '["i-1"]'
    assert request.get_query_params()["RegionId"] == "cn-beijing"
    assert request.endpoint == "http://127.0.0.1:1"
    assert request.get_accept_format() == "JSON"


def test_throttling_retried_with_retry_after_then_success():
    client, clock = make_client([("Throttling.User", 400, {"x-acs-retry-after": "3000"}), {"ok": 1}])
    assert client.call("StartInstances", {}, idempotent=False) == {"ok": 1}
    assert clock.sleeps and clock.sleeps[0] >= 3.0


def test_ambiguous_error_not_retried_for_non_idempotent_call():
    client, clock = make_client([("InternalError", 500, {})])
    with pytest.raises(EcsApiError) as info:
        client.call("StartInstances", {}, idempotent=False)
    assert info.value.code == "InternalError" and clock.sleeps == []


def test_connection_error_retried_for_token_call_and_scrubbed():
    err = ClientException("SDK.HttpError", "HTTPConnectionPool: Max retries exceeded with url: /?AccessKeyId=a&SecurityToken=TOKEN&Signature=zz (Caused by x)")
    client, _unused = make_client([err, {"InstanceIdSets": {"InstanceIdSet": ["i-1"]}}])
    assert client.call("RunInstances", {"ClientToken": "t"})["InstanceIdSets"]["InstanceIdSet"] == ["i-1"]
    assert all(r.get_query_params()["ClientToken"] == "t" for r in client._acs.requests)


def test_budget_exhausted_reports_attempts_and_no_secret():
    err = ClientException("SDK.HttpError", "read timed out for url: /?SecurityToken=TOKEN&x=SECRET")
    client, clock = make_client([err] * 50, retry_timeout=10)
    with pytest.raises(EcsApiError) as info:
        client.call("DescribeInstances", {})
    message = failure_message(info.value)
    assert "gave up after" in message and "TOKEN" not in message and "SECRET" not in message
    assert clock.elapsed <= 10


def test_dry_run_success_codes():
    client, _unused = make_client([("DryRunOperation", 400, {}), ("DRYRUN.SUCCESS", 400, {})])
    assert client.call("RunInstances", {}, dry_run=True)["DryRun"] is True
    assert client.call("StartInstances", {}, dry_run=True)["DryRun"] is True
    assert client._acs.requests[0].get_query_params()["DryRun"] == "true"


def test_server_error_message_format():
    client, _unused = make_client([("InvalidImageId.NotFound", 404, {})])
    with pytest.raises(EcsApiError) as info:
        client.call("RunInstances", {})
    info.value.operation = "create instances"
    assert failure_message(info.value) == "Failed to create instances: InvalidImageId.NotFound: msg of InvalidImageId.NotFound (RequestId RID-1)"


def test_build_client_uses_real_sdk_without_retries():
    client = c.build_client(options_of(validate_certs=True), ENV_KEYS)
    assert client._acs.is_auto_retry() is False
    assert client.endpoint == "ecs.cn-beijing.aliyuncs.com" and client.protocol == "https"
    assert "alicloud.ecs" in str(client._acs.client_user_agent())


def test_collection_version_matches_galaxy():
    galaxy = (c.__file__.rsplit("/plugins/", 1)[0]) + "/galaxy.yml"
    with open(galaxy) as handle:
        assert "version: %s" % c.COLLECTION_VERSION in handle.read()


def test_certificate_failure_is_not_retried():
    err = ClientException(
        "SDK.HttpError",
        "HTTPSConnectionPool(host='ecs.example', port=443): Max retries exceeded (Caused by SSLError("
        "SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed')))",
    )
    client, clock = make_client([err, {"Instances": {"Instance": []}}])
    with pytest.raises(EcsApiError) as info:
        client.call("DescribeInstances", {})
    assert info.value.code == "SDK.TLSError" and clock.sleeps == []
    assert "CERTIFICATE_VERIFY_FAILED" in failure_message(info.value)


# ---------------------------------------------------------------- the client with temporary credentials


class SignedFakeAcs(FakeAcs):
    """FakeAcs that also records the signer of each request (None: the AcsClient's own)."""

    def __init__(self, outcomes):
        super().__init__(outcomes)
        self.signers = []

    def _implementation_of_do_action(self, request, signer=None):
        self.signers.append(signer)
        return super()._implementation_of_do_action(request)


def test_client_signs_with_the_current_temporary_credentials_and_scrubs_them():
    clock = FakeClock(start=1_700_000_000.0)
    fetch = Fetcher(clock, 900.0)
    provider = cr.RefreshingProvider(fetch, "test", clock=clock)
    acs = SignedFakeAcs([{"ok": 1}, {"ok": 2}, ClientException("SDK.HttpError", "boom secret-2 token-2 /?SecurityToken=token-2")])
    client = c.EcsClient(dict(INFO, provider=provider, retry_timeout=0), clock=clock, sleep=clock.sleep, acs=acs)
    client.call("DescribeInstances", {})
    first = acs.signers[-1]
    assert first._credential.sts_token == "token-1"
    clock.sleep(700)
    client.call("DescribeInstances", {})
    assert acs.signers[-1] is not first and acs.signers[-1]._credential.sts_token == "token-2"
    with pytest.raises(EcsApiError) as info:
        client.call("DescribeInstances", {})
    assert "secret-2" not in info.value.message and "token-2" not in info.value.message


def test_fixed_keys_keep_the_acs_clients_own_signer():
    provider = cr.CredentialProvider(cr.Credentials("ak", "SECRET"), "options")
    client, _clock = make_client([{"ok": 1}])
    client._provider = None if not provider.refreshable else provider
    client.call("DescribeInstances", {})
    assert client._current_signer() is None


def test_expired_token_answer_renews_once_and_repeats():
    clock = FakeClock(start=1_700_000_000.0)
    fetch = Fetcher(clock, 900.0)
    provider = cr.RefreshingProvider(fetch, "test", clock=clock)
    expired = ("InvalidSecurityToken.Expired", 400, {})
    acs = SignedFakeAcs([expired, {"ok": 1}, expired, expired])
    client = c.EcsClient(dict(INFO, provider=provider), clock=clock, sleep=clock.sleep, acs=acs)
    assert client.call("StartInstances", {}, idempotent=False) == {"ok": 1}
    assert fetch.count == 2 and clock.sleeps == []
    with pytest.raises(EcsApiError) as info:  # renewed once per call, then the answer stands
        client.call("StartInstances", {}, idempotent=False)
    assert info.value.code == "InvalidSecurityToken.Expired" and fetch.count == 3
