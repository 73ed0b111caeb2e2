"""STS AssumeRole and the instance metadata service of the emulator, over HTTP.

Calls go through the official SDKs' signers (aliyunsdkcore's CommonRequest,
tea-openapi's ACS3 signer); the temporary credentials they get are then used
for ECS calls, so what is tested is the whole loop a client sees.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.request import CommonRequest

from tests.helpers.emulator import (
    ACCOUNT_ID,
    DEFAULT_KEY,
    READONLY_KEY,
    acs3_call,
    json_body,
    make_acs_client,
    v1_call,
)

ADMIN_ROLE = "acs:ram::%s:role/emulator-admin" % ACCOUNT_ID
READONLY_ROLE = "acs:ram::%s:role/emulator-readonly" % ACCOUNT_ID
EXTERNAL_ROLE = "acs:ram::%s:role/emulator-external" % ACCOUNT_ID
ECS_ROLE = "EmulatorEcsRole"


def assume_role(emu, key=DEFAULT_KEY, **params):
    """AssumeRole through aliyunsdkcore (V1 signature, POST), as the SDKs' RAM role providers send it."""
    request = CommonRequest(domain=emu.hostport, version="2015-04-01", action_name="AssumeRole", product="Sts")
    request.set_method("POST")
    request.set_protocol_type("http")
    request.set_accept_format("JSON")
    for name, value in {"RoleArn": ADMIN_ROLE, "RoleSessionName": "test-session", **params}.items():
        if value is not None:
            request.add_query_param(name, str(value))
    return json.loads(make_acs_client(emu.hostport, key).do_action_with_exception(request))


def temporary_key(body):
    creds = body["Credentials"]
    return creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"]


def ecs_call(emu, key, action="DescribeRegions", **params):
    status, _, raw = v1_call(emu, action, params, key=key)
    return status, json_body(raw)


def metadata(emu, path, method="GET", headers=None):
    request = urllib.request.Request(emu.endpoint + "/_emulator/metadata" + path, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_assume_role_answers_credentials_the_emulator_accepts(emulator):
    body = assume_role(emulator, DurationSeconds=900)
    creds = body["Credentials"]
    assert creds["AccessKeyId"].startswith("STS.") and creds["AccessKeySecret"] and creds["SecurityToken"]
    expires = time.mktime(time.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    assert 880 <= expires - time.time() <= 905
    assert body["AssumedRoleUser"]["Arn"] == ADMIN_ROLE + "/test-session"
    assert body["AssumedRoleUser"]["AssumedRoleId"].endswith(":test-session") and body["RequestId"]
    status, answer = ecs_call(emulator, temporary_key(body))
    assert status == 200 and answer["Regions"]["Region"], answer
    status, answer = ecs_call(emulator, temporary_key(body)[:2] + ("wrong-token",))
    assert (status, answer["Code"]) == (400, "InvalidSecurityToken.Mismatch")
    call = emulator.calls("AssumeRole")[0]
    assert (call["version"], call["status"], call["parameters"]["RoleArn"]) == ("2015-04-01", 200, ADMIN_ROLE)
    assert creds["AccessKeySecret"] not in json.dumps(emulator.calls()) + emulator.log_text()


def test_assume_role_signed_acs3(emulator):
    query = {"RoleArn": ADMIN_ROLE, "RoleSessionName": "acs3"}
    status, _, raw = acs3_call(emulator, "AssumeRole", query, version="2015-04-01")
    assert status == 200, raw
    assert ecs_call(emulator, temporary_key(json_body(raw)))[0] == 200


def test_issued_credentials_expire(emulator):
    emulator.config({"sts_credential_lifetime": 1})
    body = assume_role(emulator, DurationSeconds=3600)
    key = temporary_key(body)
    assert ecs_call(emulator, key)[0] == 200
    time.sleep(1.3)
    status, answer = ecs_call(emulator, key)
    assert (status, answer["Code"]) == (400, "InvalidSecurityToken.Expired")
    issued = emulator.control("GET", "identity")["issued"]
    assert [i["expired"] for i in issued if i["access_key_id"] == key[0]] == [True]
    assert key[1] not in json.dumps(issued) and key[2] not in json.dumps(issued)


def test_read_only_role_cannot_change_anything(emulator):
    key = temporary_key(assume_role(emulator, READONLY_KEY, RoleArn=READONLY_ROLE, DurationSeconds=43200))
    assert ecs_call(emulator, key, "DescribeInstances", RegionId="cn-hangzhou")[0] == 200
    status, answer = ecs_call(emulator, key, "StartInstances", RegionId="cn-hangzhou", **{"InstanceId.1": "i-x"})
    assert (status, answer["Code"]) == (403, "Forbidden.RAM")


@pytest.mark.parametrize(
    "key,params,status,code",
    [
        (DEFAULT_KEY, {"RoleArn": None}, 400, "MissingRoleArn"),
        (DEFAULT_KEY, {"RoleSessionName": None}, 400, "MissingRoleSessionName"),
        (DEFAULT_KEY, {"RoleArn": "arn:aws:iam::123:role/x"}, 400, "InvalidParameter.RoleArn"),
        (DEFAULT_KEY, {"RoleArn": "acs:ram::%s:role/nobody" % ACCOUNT_ID}, 404, "EntityNotExist.Role"),
        (DEFAULT_KEY, {"RoleSessionName": "a"}, 400, "InvalidParameter.RoleSessionName"),
        (DEFAULT_KEY, {"RoleSessionName": "white space"}, 400, "InvalidParameter.RoleSessionName"),
        (DEFAULT_KEY, {"DurationSeconds": 899}, 400, "InvalidParameter.DurationSeconds"),
        (DEFAULT_KEY, {"DurationSeconds": 3601}, 400, "InvalidParameter.DurationSeconds"),
        (DEFAULT_KEY, {"DurationSeconds": "ten"}, 400, "InvalidParameter.DurationSeconds"),
        (DEFAULT_KEY, {"Policy": "{not json"}, 400, "InvalidParameter.PolicyGrammar"),
        (DEFAULT_KEY, {"Policy": json.dumps({"Version": "1"})}, 400, "InvalidParameter.PolicyGrammar"),
        (READONLY_KEY, {}, 403, "NoPermission"),
        (DEFAULT_KEY, {"RoleArn": EXTERNAL_ROLE}, 403, "NoPermission"),
        (DEFAULT_KEY, {"RoleArn": EXTERNAL_ROLE, "ExternalId": "wrong-id"}, 403, "NoPermission"),
    ],
)
def test_assume_role_errors(emulator, key, params, status, code):
    with pytest.raises(ServerException) as info:
        assume_role(emulator, key, **params)
    assert (info.value.get_http_status(), info.value.get_error_code()) == (status, code)
    assert emulator.control("GET", "identity")["issued"] == []


def test_duration_limit_is_the_roles_and_external_id_and_policy_accepted(emulator):
    assert assume_role(emulator, RoleArn=READONLY_ROLE, DurationSeconds=43200)["Credentials"]
    assert assume_role(emulator, RoleArn=EXTERNAL_ROLE, ExternalId="emulator-external-id")["Credentials"]
    policy = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "ecs:Describe*", "Resource": "*"}]}
    assert assume_role(emulator, Policy=json.dumps(policy))["Credentials"]


def test_role_chaining_needs_the_role_as_principal(emulator):
    readonly = temporary_key(assume_role(emulator, RoleArn=READONLY_ROLE))
    with pytest.raises(ServerException) as info:
        assume_role(emulator, readonly)  # emulator-admin does not trust emulator-readonly
    assert info.value.get_error_code() == "NoPermission"
    # ... but trusts the ECS instance role: metadata credentials may assume it.
    _status, text = metadata(emulator, "/latest/meta-data/ram/security-credentials/" + ECS_ROLE)
    ecs_role = json.loads(text)
    body = assume_role(emulator, (ecs_role["AccessKeyId"], ecs_role["AccessKeySecret"], ecs_role["SecurityToken"]))
    assert ecs_call(emulator, temporary_key(body))[0] == 200


def test_role_table_is_a_setting(emulator):
    role = "acs:ram::%s:role/mine" % ACCOUNT_ID
    emulator.config({"sts_roles": [{"arn": role, "principals": [READONLY_KEY[0]], "max_session_duration": 7200}]})
    assert assume_role(emulator, READONLY_KEY, RoleArn=role, DurationSeconds=7200)["Credentials"]
    with pytest.raises(ServerException) as info:
        assume_role(emulator)  # emulator-admin is gone
    assert info.value.get_error_code() == "EntityNotExist.Role"
    for bad in ([{"principals": []}], [{"arn": role, "max_session_duration": 60}], [{"arn": role, "who": 1}], "x"):
        status, _headers, raw = _post_config(emulator, {"sts_roles": bad})
        assert status == 400, (bad, raw)


def _post_config(emu, update):
    request = urllib.request.Request(emu.endpoint + "/_emulator/config", data=json.dumps(update).encode(), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_reset_forgets_issued_credentials(emulator):
    key = temporary_key(assume_role(emulator))
    emulator.reset()
    status, answer = ecs_call(emulator, key)
    assert (status, answer["Code"]) == (404, "InvalidAccessKeyId.NotFound")


def test_metadata_role_and_credentials(emulator):
    assert metadata(emulator, "/latest/meta-data/ram/security-credentials/") == (200, ECS_ROLE)
    status, text = metadata(emulator, "/latest/meta-data/ram/security-credentials/" + ECS_ROLE)
    body = json.loads(text)
    assert status == 200 and body["Code"] == "Success" and body["Expiration"].endswith("Z") and body["LastUpdated"]
    key = (body["AccessKeyId"], body["AccessKeySecret"], body["SecurityToken"])
    assert ecs_call(emulator, key, "DescribeInstances", RegionId="cn-beijing")[0] == 200
    # The same credentials again while they are fresh.
    assert json.loads(metadata(emulator, "/latest/meta-data/ram/security-credentials/" + ECS_ROLE)[1]) == body
    assert metadata(emulator, "/latest/meta-data/ram/security-credentials/OtherRole")[0] == 404
    assert metadata(emulator, "/latest/meta-data/ram/security-credentials/", method="POST")[0] == 405
    assert metadata(emulator, "/latest/user-data")[0] == 404
    requests = emulator.control("GET", "identity")["metadata_requests"]
    assert len(requests) == 6 and requests[0]["status"] == 200
    assert "/_emulator/metadata" not in json.dumps(emulator.calls())


def test_metadata_without_a_role(emulator):
    emulator.config({"metadata_role": ""})
    assert metadata(emulator, "/latest/meta-data/ram/security-credentials/")[0] == 404
    assert metadata(emulator, "/latest/meta-data/ram/security-credentials/" + ECS_ROLE)[0] == 404


def test_metadata_credentials_rotate_at_half_life_and_expire(emulator):
    emulator.config({"metadata_credential_lifetime": 2})
    path = "/latest/meta-data/ram/security-credentials/" + ECS_ROLE
    first = json.loads(metadata(emulator, path)[1])
    assert json.loads(metadata(emulator, path)[1])["AccessKeyId"] == first["AccessKeyId"]
    time.sleep(1.1)
    second = json.loads(metadata(emulator, path)[1])
    assert second["AccessKeyId"] != first["AccessKeyId"]
    time.sleep(1.0)
    status, answer = ecs_call(emulator, (first["AccessKeyId"], first["AccessKeySecret"], first["SecurityToken"]))
    assert (status, answer["Code"]) == (400, "InvalidSecurityToken.Expired")


def test_metadata_hardened_mode_needs_a_session_token(emulator):
    path = "/latest/meta-data/ram/security-credentials/"
    emulator.config({"metadata_require_token": True})
    assert metadata(emulator, path)[0] == 401
    assert metadata(emulator, "/latest/api/token", method="PUT")[0] == 400  # no TTL header
    ttl = {"X-aliyun-ecs-metadata-token-ttl-seconds": "21601"}
    assert metadata(emulator, "/latest/api/token", method="PUT", headers=ttl)[0] == 400
    status, token = metadata(emulator, "/latest/api/token", method="PUT", headers={"X-aliyun-ecs-metadata-token-ttl-seconds": "60"})
    assert status == 200 and token
    assert metadata(emulator, path, headers={"X-aliyun-ecs-metadata-token": token}) == (200, ECS_ROLE)
    assert metadata(emulator, path, headers={"X-aliyun-ecs-metadata-token": token + "x"})[0] == 401


def test_metadata_read_only_setting(emulator):
    emulator.config({"metadata_read_only": True})
    body = json.loads(metadata(emulator, "/latest/meta-data/ram/security-credentials/" + ECS_ROLE)[1])
    key = (body["AccessKeyId"], body["AccessKeySecret"], body["SecurityToken"])
    status, answer = ecs_call(emulator, key, "StopInstances", RegionId="cn-hangzhou", **{"InstanceId.1": "i-x"})
    assert (status, answer["Code"]) == (403, "Forbidden.RAM")
