"""Authentication: signature algorithms (unit vectors) and every auth error path over HTTP."""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkecs.request.v20140526.DescribeRegionsRequest import DescribeRegionsRequest
from alibabacloud_tea_openapi import exceptions as tea_exceptions
from alibabacloud_tea_openapi.utils import Utils

from ecs_emulator import auth
from tests.helpers.emulator import (
    DEFAULT_KEY,
    DISABLED_KEY,
    EXPIRED_STS_KEY,
    READONLY_KEY,
    STS_KEY,
    acs3_call,
    json_body,
    make_acs_client,
    make_sdk_client,
    utc_timestamp,
    v1_call,
)

ECHO = "EmulatorTestEcho"


# ---------------------------------------------------------------- algorithms (reference 3, 4, 13)


def test_v1_doc_vector():
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    sts = auth.v1_string_to_sign("GET", params)
    assert sts == (
        "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod"
        "%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0"
        "%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
    )
    assert auth.v1_signature("testsecret", sts) == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_v1_captured_post_vector_with_empty_value_and_reserved_chars():
    params = {
        "InstanceIds": '["i-1", "i-2"]',
        "PageSize": "10",
        "DryRun": "True",
        "Tag.1.Value": "v*~/",
        "Tag.1.Key": "k 1",
        "Version": "2014-05-26",
        "Action": "DescribeInstances",
        "Format": "JSON",
        "RegionId": "cn-beijing",
        "Timestamp": "2026-11-26T05:57:56Z",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureType": "",
        "SignatureVersion": "1.0",
        "SignatureNonce": "73e34a60a301afaf5a7efe9c6da35294",
        "AccessKeyId": "testid",
        "Signature": "ignored",
    }
    sts = auth.v1_string_to_sign("POST", params)
    assert sts.startswith("POST&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeInstances%26DryRun%3DTrue")
    assert "SignatureType%3D%26" in sts and "Tag.1.Key%3Dk%25201" in sts and "Tag.1.Value%3Dv%252A~%252F" in sts
    assert auth.v1_signature("testsecret", sts) == "6oCP3PKZbQL0HgA3Q1utKe0l8Gs="


def test_acs3_matches_tea_openapi_signer():
    query = {"RegionId": "cn-beijing", "Tag.1.Key": "k 1", "Tag.1.Value": "v*~/", "InstanceIds": '["i-1"]'}
    headers = {
        "host": "127.0.0.1:9",
        "x-acs-action": "DescribeInstances",
        "x-acs-version": "2014-05-26",
        "x-acs-date": "2026-11-26T05:57:56Z",
        "x-acs-signature-nonce": "abc",
        "accept": "application/json",
        "x-acs-content-sha256": hashlib.sha256(b"").hexdigest(),
        "user-agent": "  padded  ",
    }
    request = SimpleNamespace(method="POST", pathname="/", query=query, headers=headers)
    expected = Utils.get_authorization(request, "ACS3-HMAC-SHA256", headers["x-acs-content-sha256"], "ak", "sk")
    signed = sorted(headers)
    sts = auth.acs3_string_to_sign(
        "POST", "/", list(query.items()), {k: [v] for k, v in headers.items()}, signed, headers["x-acs-content-sha256"]
    )
    assert expected.endswith("Signature=" + auth.acs3_signature("sk", sts))
    assert f"SignedHeaders={';'.join(signed)}," in expected


@pytest.mark.parametrize(
    "text, ok",
    [
        ("2016-02-23T12:46:24Z", True),
        ("2016-02-23T12:46:24.123Z", True),
        ("2016-02-30T12:46:24Z", False),
        ("2016-02-23 12:46:24", False),
        ("1456231584", False),
    ],
)
def test_timestamp_parsing(text, ok):
    assert (auth.parse_timestamp(text) is not None) is ok


# ---------------------------------------------------------------- old SDK (V1)


def echo_request(**params):
    """A real aliyunsdkecs request class re-pointed at the test action (auth does not depend on the action)."""
    request = DescribeRegionsRequest()
    request.set_action_name(ECHO)
    for name, value in params.items():
        request.add_query_param(name, value)
    return request


def test_old_sdk_valid_signature(emulator, acs_client):
    body = json.loads(acs_client.do_action_with_exception(echo_request(Name="a b*~/ü")))
    assert body["Params"]["Name"] == "a b*~/ü"
    assert body["AccessKeyId"] == DEFAULT_KEY[0] and body["Account"] == "1234567890123456"
    assert emulator.calls()[-1]["signature"] == "v1"


def test_old_sdk_wrong_secret_is_invalid_access_key_secret(emulator):
    # The SDK recognises its own string-to-sign after "server string to sign is:" (reference 3).
    client = make_acs_client(emulator.hostport, (DEFAULT_KEY[0], "not-the-secret"))
    with pytest.raises(ServerException) as info:
        client.do_action_with_exception(echo_request())
    assert info.value.get_error_code() == "InvalidAccessKeySecret"
    assert info.value.get_http_status() == 400
    assert emulator.calls()[-1]["code"] == "SignatureDoesNotMatch"
    assert "emulator-secret" not in emulator.log_text() and "not-the-secret" not in emulator.log_text()


@pytest.mark.parametrize(
    "key, code, status",
    [
        (("LTAI5tNoSuchKey", "x"), "InvalidAccessKeyId.NotFound", 404),
        (DISABLED_KEY, "Forbidden.AccessKeyDisabled", 403),
    ],
)
def test_old_sdk_key_errors(emulator, key, code, status):
    client = make_acs_client(emulator.hostport, key)
    with pytest.raises(ServerException) as info:
        client.do_action_with_exception(echo_request())
    assert (info.value.get_error_code(), info.value.get_http_status()) == (code, status)


def test_old_sdk_sts_valid(emulator):
    client = make_acs_client(emulator.hostport, STS_KEY)
    body = json.loads(client.do_action_with_exception(echo_request()))
    assert body["AccessKeyId"] == STS_KEY[0]
    assert "SecurityToken" not in emulator.calls()[-1]["parameters"]


def test_old_sdk_sts_expired(emulator):
    client = make_acs_client(emulator.hostport, EXPIRED_STS_KEY)
    with pytest.raises(ServerException) as info:
        client.do_action_with_exception(echo_request())
    assert info.value.get_error_code() == "InvalidSecurityToken.Expired"
    assert info.value.get_error_msg() == "Specified SecurityToken is expired."


@pytest.mark.parametrize(
    "token, code", [(None, "InvalidSecurityToken.MalFormed"), ("wrong-token", "InvalidSecurityToken.Mismatch")]
)
def test_sts_missing_or_wrong_token(emulator, token, code):
    status, _, raw = v1_call(emulator, ECHO, key=(STS_KEY[0], STS_KEY[1], token or ""), SecurityToken=token)
    assert (status, json_body(raw)["Code"]) == (400, code)


def test_read_only_key(emulator):
    client = make_acs_client(emulator.hostport, READONLY_KEY)
    assert json.loads(client.do_action_with_exception(echo_request()))["AccessKeyId"] == READONLY_KEY[0]
    status, _, raw = v1_call(emulator, "EmulatorTestCreate", key=READONLY_KEY)
    body = json_body(raw)
    assert (status, body["Code"]) == (403, "Forbidden.RAM")
    assert body["Message"] == (
        "User not authorized to operate on the specified resource, or this API doesn't support RAM."
    )


# ---------------------------------------------------------------- new SDK (ACS3 and v2)


def call_echo(client, **query):
    from alibabacloud_tea_openapi import models as open_api_models
    from darabonba.runtime import RuntimeOptions

    params = open_api_models.Params(
        action=ECHO,
        version="2014-05-26",
        protocol="HTTP",
        pathname="/",
        method="POST",
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    request = open_api_models.OpenApiRequest(query=query)
    return client.call_api(params, request, RuntimeOptions())


@pytest.mark.parametrize("algorithm, style", [(None, "acs3"), ("v2", "v1")])
def test_new_sdk_valid(emulator, new_sdk_client, algorithm, style):
    result = call_echo(new_sdk_client(algorithm), Name="x y+z")
    assert result["statusCode"] == 200
    assert result["body"]["Params"]["Name"] == "x y+z"
    assert emulator.calls()[-1]["signature"] == style


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_new_sdk_wrong_secret(emulator, algorithm):
    client = make_sdk_client(emulator.hostport, (DEFAULT_KEY[0], "wrong"), signature_algorithm=algorithm)
    with pytest.raises(tea_exceptions.ClientException) as info:
        call_echo(client)
    assert info.value.code == "SignatureDoesNotMatch"
    assert "server string to sign is:" in info.value.data["Message"]


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_new_sdk_sts(emulator, algorithm):
    assert call_echo(make_sdk_client(emulator.hostport, STS_KEY, signature_algorithm=algorithm))["statusCode"] == 200
    with pytest.raises(tea_exceptions.ClientException) as info:
        call_echo(make_sdk_client(emulator.hostport, EXPIRED_STS_KEY, signature_algorithm=algorithm))
    assert info.value.code == "InvalidSecurityToken.Expired"


def test_new_sdk_unknown_key(emulator, new_sdk_client):
    with pytest.raises(tea_exceptions.ClientException) as info:
        call_echo(new_sdk_client(key=("LTAI5tNoSuchKey", "x")))
    assert (info.value.code, info.value.status_code) == ("InvalidAccessKeyId.NotFound", 404)


# ---------------------------------------------------------------- raw V1 error paths


@pytest.mark.parametrize("missing", ["AccessKeyId", "Signature", "Timestamp", "SignatureNonce"])
def test_v1_missing_common_parameter(emulator, missing):
    status, _, raw = v1_call(emulator, ECHO, **{missing: None})
    body = json_body(raw)
    assert (status, body["Code"]) == (400, "MissingParameter")
    assert f'"{missing}"' in body["Message"]


@pytest.mark.parametrize("name, value", [("SignatureMethod", "HMAC-SHA256"), ("SignatureVersion", "2.0")])
def test_v1_bad_signature_method_or_version(emulator, name, value):
    status, _, raw = v1_call(emulator, ECHO, **{name: value})
    assert (status, json_body(raw)["Code"]) == (400, "InvalidParamater")


def test_v1_illegal_timestamp(emulator):
    status, _, raw = v1_call(emulator, ECHO, Timestamp="2026/01/01 00:00")
    assert (status, json_body(raw)["Code"]) == (400, "IllegalTimestamp")


def test_v1_timestamp_skew_and_switch(emulator):
    status, _, raw = v1_call(emulator, ECHO, Timestamp=utc_timestamp(-3600))
    assert (status, json_body(raw)["Code"]) == (400, "InvalidTimeStamp.Expired")
    assert json_body(raw)["Message"] == "Specified time stamp or date value is expired."
    emulator.config({"check_timestamp": False})
    assert v1_call(emulator, ECHO, Timestamp=utc_timestamp(-3600))[0] == 200


def test_v1_nonce_replay_and_switch(emulator):
    status, _, _ = v1_call(emulator, ECHO, SignatureNonce="fixed-nonce-1")
    assert status == 200
    status, _, raw = v1_call(emulator, ECHO, SignatureNonce="fixed-nonce-1")
    assert (status, json_body(raw)["Code"]) == (400, "SignatureNonceUsed")
    emulator.config({"check_nonce": False})
    assert v1_call(emulator, ECHO, SignatureNonce="fixed-nonce-1")[0] == 200


def test_v1_signature_is_method_dependent(emulator):
    from tests.helpers.emulator import encode_query, raw_request, v1_params

    query = v1_params(ECHO, method="GET")
    status, _, raw = raw_request(emulator, "POST", "/?" + encode_query(query))
    body = json_body(raw)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert body["Message"].split(":", 1)[1].startswith("POST&%2F&AccessKeyId%3D")


def test_v1_body_params_are_signed(emulator):
    status, _, raw = v1_call(emulator, ECHO, method="POST", body={"Name": "in body", "Other": "x"})
    assert status == 200 and json_body(raw)["Params"]["Name"] == "in body"
    from tests.helpers.emulator import encode_query, raw_request, v1_params

    query = v1_params(ECHO, method="POST", body={"Name": "signed"})
    status, _, raw = raw_request(
        emulator,
        "POST",
        "/?" + encode_query(query),
        "Name=tampered",
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert (status, json_body(raw)["Code"]) == (400, "SignatureDoesNotMatch")


def test_verify_signatures_switch(emulator):
    emulator.config({"verify_signatures": False})
    assert v1_call(emulator, ECHO, Signature="garbage")[0] == 200


# ---------------------------------------------------------------- raw ACS3 error paths


def test_acs3_raw_valid_with_body(emulator):
    body = b"Name=from+body"
    status, _, raw = acs3_call(
        emulator, ECHO, {"RegionId": "cn-beijing"}, body, extra={"content-type": "application/x-www-form-urlencoded"}
    )
    assert status == 200, raw
    assert json_body(raw)["Params"] == {"RegionId": "cn-beijing", "Name": "from body"}


def test_acs3_content_sha256_mismatch(emulator):
    from tests.helpers.emulator import acs3_headers, raw_request

    headers = acs3_headers(emulator, ECHO, body=b"Name=a", extra={"content-type": "application/x-www-form-urlencoded"})
    status, _, raw = raw_request(emulator, "POST", "/", b"Name=b", headers)
    assert (status, json_body(raw)["Code"]) == (400, "SignatureDoesNotMatch")


def test_acs3_tampered_query(emulator):
    from tests.helpers.emulator import acs3_headers, raw_request

    headers = acs3_headers(emulator, ECHO, {"A": "1"})
    status, _, raw = raw_request(emulator, "POST", "/?A=2", b"", headers)
    body = json_body(raw)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert "server string to sign is:ACS3-HMAC-SHA256\n" in body["Message"]


def test_acs3_incomplete_authorization(emulator):
    from tests.helpers.emulator import acs3_headers, raw_request

    headers = acs3_headers(emulator, ECHO)
    headers["Authorization"] = headers["Authorization"].split(",Signature=")[0]
    status, _, raw = raw_request(emulator, "POST", "/", b"", headers)
    assert (status, json_body(raw)["Code"]) == (400, "IncompleteSignature")


def test_acs3_date_nonce_and_token(emulator):
    status, _, raw = acs3_call(emulator, ECHO, date=utc_timestamp(+3600))
    assert (status, json_body(raw)["Code"]) == (400, "InvalidTimeStamp.Expired")
    status, _, raw = acs3_call(emulator, ECHO, date="yesterday")
    assert (status, json_body(raw)["Code"]) == (400, "IllegalTimestamp")
    assert acs3_call(emulator, ECHO, nonce="acs3-nonce")[0] == 200
    status, _, raw = acs3_call(emulator, ECHO, nonce="acs3-nonce")
    assert (status, json_body(raw)["Code"]) == (400, "SignatureNonceUsed")
    status, _, raw = acs3_call(emulator, ECHO, key=(STS_KEY[0], STS_KEY[1], "bad"))
    assert (status, json_body(raw)["Code"]) == (400, "InvalidSecurityToken.Mismatch")
    status, _, raw = acs3_call(emulator, ECHO, key=STS_KEY[:2])
    assert (status, json_body(raw)["Code"]) == (400, "InvalidSecurityToken.MalFormed")


def test_credentials_file_parsing(tmp_path):
    path = tmp_path / "creds.json"
    path.write_text(
        json.dumps(
            {
                "credentials": [
                    {"access_key_id": "AK1", "access_key_secret": "S1", "account_id": "42", "read_only": True},
                    {
                        "access_key_id": "STS.X",
                        "access_key_secret": "S2",
                        "security_token": "T",
                        "expiration": "2030-01-01T00:00:00Z",
                    },
                ]
            }
        )
    )
    table = auth.CredentialTable.from_file(str(path))
    assert table.get("AK1").read_only and table.get("AK1").account == "42"
    assert table.get("STS.X").is_sts and table.get("STS.X").expiration > 1.8e9
    assert table.get(DEFAULT_KEY[0]).secret == DEFAULT_KEY[1]
    with pytest.raises(ValueError):
        auth.parse_credentials([{"access_key_id": "x"}])


# ---------------------------------------------------------------- with the real handlers


def test_real_actions_old_sdk_wrong_secret_and_read_only(emulator, acs_client):
    from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest
    from aliyunsdkecs.request.v20140526.RunInstancesRequest import RunInstancesRequest

    assert json.loads(acs_client.do_action_with_exception(DescribeRegionsRequest()))["Regions"]["Region"]
    wrong = make_acs_client(emulator.hostport, (DEFAULT_KEY[0], "nope"))
    with pytest.raises(ServerException) as info:
        wrong.do_action_with_exception(DescribeRegionsRequest())
    assert info.value.get_error_code() == "InvalidAccessKeySecret"
    read_only = make_acs_client(emulator.hostport, READONLY_KEY)
    json.loads(read_only.do_action_with_exception(DescribeInstancesRequest()))
    with pytest.raises(ServerException) as info:
        read_only.do_action_with_exception(RunInstancesRequest())
    assert (info.value.get_error_code(), info.value.get_http_status()) == ("Forbidden.RAM", 403)
    assert emulator.instances() == []


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_real_actions_new_sdk_typed_client(emulator, new_sdk_client, algorithm):
    from alibabacloud_ecs20140526 import models as ecs_models

    response = new_sdk_client(algorithm).describe_regions(ecs_models.DescribeRegionsRequest())
    assert response.status_code == 200 and response.body.regions.region
    client = new_sdk_client(algorithm, key=(DEFAULT_KEY[0], "nope"))
    with pytest.raises(tea_exceptions.ClientException) as info:
        client.describe_regions(ecs_models.DescribeRegionsRequest())
    assert info.value.code == "SignatureDoesNotMatch"
    sts = new_sdk_client(algorithm, key=STS_KEY)
    assert sts.describe_instances(ecs_models.DescribeInstancesRequest(region_id="cn-hangzhou")).status_code == 200


@pytest.mark.parametrize("drop", ["x-acs-date", "x-acs-signature-nonce"])
def test_acs3_missing_date_or_nonce(emulator, drop):
    from tests.helpers.emulator import acs3_headers, raw_request

    headers = acs3_headers(emulator, ECHO)
    del headers[drop]
    status, _, raw = raw_request(emulator, "POST", "/", b"", headers)
    body = json_body(raw)
    assert (status, body["Code"]) == (400, "MissingParameter") and drop in body["Message"]


def test_acs3_other_algorithm_rejected(emulator):
    from tests.helpers.emulator import acs3_headers, raw_request

    headers = acs3_headers(emulator, ECHO)
    headers["Authorization"] = headers["Authorization"].replace("ACS3-HMAC-SHA256", "ACS3-HMAC-SM3", 1)
    status, _, raw = raw_request(emulator, "POST", "/", b"", headers)
    assert (status, json_body(raw)["Code"]) == (400, "InvalidParameter")
