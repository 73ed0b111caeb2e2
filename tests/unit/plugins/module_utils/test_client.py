from __future__ import annotations

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException

from ansible_collections.alicloud.ecs.plugins.module_utils import _client as c
from ansible_collections.alicloud.ecs.plugins.module_utils._args import CREDENTIALS_SPEC
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError, EcsConfigError, failure_message
from ansible_collections.alicloud.ecs.tests.unit.kit import FakeClock, spec_params

ENV_KEYS = {"ALICLOUD_ACCESS_KEY": "env-ak", "ALICLOUD_SECRET_KEY": "env-sk", "ALICLOUD_REGION": "cn-beijing"}


def options_of(**values):
    """The shared credential options (CREDENTIALS_SPEC) as every module gets them for the task arguments ``values``."""
    return spec_params(CREDENTIALS_SPEC, **values)


@pytest.fixture
def profile_file(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(
        json.dumps(
            {
                "current": "main",
                "profiles": [
                    {"name": "main", "mode": "AK", "access_key_id": "p-ak", "access_key_secret": "p-sk", "region_id": "eu-central-1"},
                    {"name": "sts", "mode": "StsToken", "access_key_id": "STS.x", "access_key_secret": "s-sk", "sts_token": "tok", "region_id": "cn-shanghai"},
                    {"name": "role", "mode": "RamRoleArn", "access_key_id": "a", "access_key_secret": "b"},
                ],
            }
        )
    )
    return str(path)


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
    ],
)
def test_credential_precedence_keys(options, env, expected, tmp_path):
    env = dict(env, ALICLOUD_CONFIG_FILE=str(tmp_path / "missing.json"))
    creds = c.resolve_credentials(options_of(**options), env)
    assert (creds["access_key"], creds["secret_key"], creds["region"], creds["source"]) == expected


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


@pytest.mark.parametrize(
    "options,env,fragment",
    [
        ({}, {}, "ALICLOUD_ACCESS_KEY"),
        ({"profile": "nope"}, {}, "not found"),
        ({"profile": "role"}, {}, "supported modes are AK and StsToken"),
        ({"access_key": "x"}, {}, "secret_key is missing"),
        ({"access_key": "x", "secret_key": "y"}, {}, "region"),
        ({"access_key": "x", "secret_key": "y", "region": "bad region!"}, {}, "region"),
    ],
)
def test_credential_errors(options, env, fragment, profile_file, tmp_path):
    if options.get("profile"):
        options = dict(options, profile_file=profile_file)
    env = dict(env, ALICLOUD_CONFIG_FILE=str(tmp_path / "missing.json"))
    with pytest.raises(EcsConfigError) as info:
        c.resolve_credentials(options_of(**options), env)
    assert fragment in info.value.message


def test_unreadable_profile_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(EcsConfigError, match="cannot read profile file"):
        c.resolve_credentials(options_of(profile="x", profile_file=str(bad)), {})


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

    def _implementation_of_do_action(self, request):
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
