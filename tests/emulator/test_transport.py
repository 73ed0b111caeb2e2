"""HTTP transport: parsing, routing, rendering (JSON/XML), error shapes, keep-alive, concurrency, control API."""

from __future__ import annotations

import http.client
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.helpers.emulator import (
    acs3_call,
    encode_query,
    has_action,
    json_body,
    raw_request,
    run_instances,
    v1_call,
    v1_params,
)

ECHO = "EmulatorTestEcho"
UUID_UPPER = re.compile(r"^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$")


def assert_error(status, headers, raw, code, expected_status, host=None):
    assert status == expected_status, raw
    assert headers["content-type"] == "application/json;charset=utf-8"
    body = json_body(raw)
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["Code"] == code
    assert UUID_UPPER.match(body["RequestId"])
    assert body["Recommend"] == (
        f"https://api.aliyun.com/troubleshoot?q={code}&product=Ecs" f"&requestId={body['RequestId']}"
    )
    if host:
        assert body["HostId"] == host
    return body


# ---------------------------------------------------------------- success shape


def test_get_success_shape(emulator):
    status, headers, raw = v1_call(emulator, ECHO, {"Name": "v"})
    assert status == 200
    assert headers["content-type"] == "application/json;charset=utf-8"
    assert int(headers["content-length"]) == len(raw)
    body = json_body(raw)
    assert UUID_UPPER.match(body["RequestId"]) and "Code" not in body
    assert body["Params"] == {"Name": "v"}  # common/signature params never reach handlers


def test_post_query_and_form_body_merge_and_plus_decoding(emulator):
    query = v1_params(ECHO, {"Q": "a b"}, method="POST", body={"B": "c d", "E": ""})
    target = "/?" + encode_query(query).replace("Q=a%20b", "Q=a+b")
    status, _, raw = raw_request(
        emulator, "POST", target, "B=c+d&E=", {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"}
    )
    assert status == 200, raw
    assert json_body(raw)["Params"] == {"Q": "a b", "B": "c d", "E": ""}


def test_absolute_form_target_as_sent_through_http_proxy(emulator):
    query = encode_query(v1_params(ECHO, method="POST"))
    with socket.create_connection((emulator.host, emulator.port), timeout=10) as sock:
        sock.sendall(
            f"POST http://ecs.cn-beijing.aliyuncs.com/?{query} HTTP/1.1\r\n"
            "Host: ecs.cn-beijing.aliyuncs.com\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".encode()
        )
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), data
    assert json.loads(body)["Host"] == "ecs.cn-beijing.aliyuncs.com"


def test_old_sdk_through_http_proxy_env(emulator, monkeypatch):
    from aliyunsdkcore.client import AcsClient
    from aliyunsdkecs.request.v20140526.DescribeRegionsRequest import DescribeRegionsRequest

    monkeypatch.setenv("HTTP_PROXY", emulator.endpoint)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    request = DescribeRegionsRequest()
    request.set_action_name(ECHO)
    body = json.loads(
        AcsClient("LTAI5tEmulatorDefaultKey", "emulator-secret", "cn-beijing").do_action_with_exception(request)
    )
    assert body["Host"] == "ecs.cn-beijing.aliyuncs.com"


def test_action_and_version_from_headers_only(emulator):
    query = v1_params(ECHO, method="POST", Action=None, Version=None)
    status, _, raw = raw_request(
        emulator, "POST", "/?" + encode_query(query), b"", {"x-acs-action": ECHO, "x-acs-version": "2014-05-26"}
    )
    assert status == 200, raw


# ---------------------------------------------------------------- XML


def test_xml_when_format_xml(emulator):
    status, headers, raw = v1_call(emulator, ECHO, {"Name": "<&>"}, Format="XML")
    assert status == 200
    assert headers["content-type"] == "text/xml;charset=utf-8"
    text = raw.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?><EmulatorTestEchoResponse>')
    assert "<Nested><Item><A>1</A></Item><Item><A>2</A></Item></Nested>" in text
    assert "<Name>&lt;&amp;&gt;</Name>" in text and "<Flag>true</Flag>" in text
    assert re.search(r"<RequestId>[0-9A-F-]{36}</RequestId>", text)


def test_default_format_applies_to_v1_without_format(emulator):
    status, headers, raw = v1_call(emulator, ECHO, Format=None)
    assert headers["content-type"] == "text/xml;charset=utf-8"
    status, headers, raw = v1_call(emulator, "NoSuchAction", Format=None)
    assert status == 404 and raw.decode().startswith('<?xml version="1.0" encoding="UTF-8"?><Error><RequestId>')
    assert "<Code>InvalidAction.NotFound</Code>" in raw.decode()
    emulator.config({"default_format": "JSON"})
    status, headers, raw = v1_call(emulator, ECHO, Format=None)
    assert headers["content-type"] == "application/json;charset=utf-8"


def test_acs3_without_format_is_json(emulator):
    status, headers, raw = acs3_call(emulator, ECHO)
    assert status == 200 and headers["content-type"] == "application/json;charset=utf-8"


# ---------------------------------------------------------------- routing and malformed requests


def test_unknown_action(emulator):
    body = assert_error(*v1_call(emulator, "NoSuchAction"), "InvalidAction.NotFound", 404)
    assert body["Message"] == "Specified api is not found, please check your url and method."


def test_unknown_version(emulator):
    body = assert_error(*v1_call(emulator, ECHO, version="2099-01-01"), "InvalidVersion", 400)
    assert body["Message"] == "Specified parameter Version is not valid."


@pytest.mark.parametrize("missing", ["Action", "Version"])
def test_missing_action_or_version(emulator, missing):
    body = assert_error(*v1_call(emulator, ECHO, **{missing: None}), "MissingParameter", 400)
    assert f'"{missing}"' in body["Message"]


def test_empty_request(emulator):
    status, headers, raw = raw_request(emulator, "GET", "/")  # no Format: the documented XML default
    assert status == 400 and b"<Code>MissingParameter</Code>" in raw
    assert_error(*raw_request(emulator, "GET", "/?Format=JSON"), "MissingParameter", 400)
    assert_error(
        *raw_request(emulator, "GET", "/?Format=JSON&Action=EmulatorTestEcho&Version=2014-05-26"),
        "MissingParameter",
        400,
    )


def test_host_id_is_the_host_header(emulator):
    assert_error(
        *v1_call(emulator, "NoSuchAction", headers={"Host": "ecs.eu-central-1.aliyuncs.com"}),
        "InvalidAction.NotFound",
        404,
        host="ecs.eu-central-1.aliyuncs.com",
    )


def test_unsupported_method_and_path(emulator):
    query = "/?" + encode_query(v1_params(ECHO))
    assert_error(*raw_request(emulator, "PUT", query), "UnsupportedHTTPMethod", 403)
    assert_error(*raw_request(emulator, "GET", "/some/path" + query[1:]), "InvalidAction.NotFound", 404)


def test_malformed_http_is_json_not_html(emulator):
    with socket.create_connection((emulator.host, emulator.port), timeout=10) as sock:
        sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):  # the server closes after answering
            data += chunk
    assert data.startswith(b"HTTP/1.1 400")
    assert b"application/json" in data and b"<html" not in data.lower()
    assert json.loads(data.partition(b"\r\n\r\n")[2])["Code"] == "InvalidRequest"


def test_bad_content_length_is_json(emulator):
    status, headers, raw = raw_request(emulator, "POST", "/", b"", {"Content-Length": "abc"})
    body = assert_error(status, headers, raw, "InvalidRequest", 400)
    assert "Content-Length" in body["Message"]


def test_handler_crash_is_internal_error_without_trace(emulator):
    body = assert_error(*v1_call(emulator, "EmulatorTestCrash"), "InternalError", 500)
    assert "Traceback" not in json.dumps(body) and "secret" not in json.dumps(body)
    assert "RuntimeError: deliberate bug" in emulator.log_text()
    assert_error(*v1_call(emulator, "EmulatorTestBadReturn"), "InternalError", 500)


def test_chunked_request_body(emulator):
    query = v1_params(ECHO, method="POST", body={"B": "chunked"})
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    conn.request(
        "POST",
        "/?" + encode_query(query),
        body=iter([b"B=chun", b"ked"]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        encode_chunked=True,
    )
    response = conn.getresponse()
    assert response.status == 200 and json.loads(response.read())["Params"]["B"] == "chunked"
    conn.close()


# ---------------------------------------------------------------- connection handling


def test_keep_alive_many_requests_one_connection(emulator):
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    for i in range(5):
        conn.request("GET", "/?" + encode_query(v1_params(ECHO, {"I": str(i)})))
        response = conn.getresponse()
        assert json.loads(response.read())["Params"]["I"] == str(i)
        assert response.getheader("Connection") != "close"
    conn.request("GET", "/_emulator/health")
    assert json.loads(conn.getresponse().read())["status"] == "ok"
    conn.close()


def test_concurrent_clients(emulator):
    results, errors = [], []

    def worker(n):
        try:
            for i in range(10):
                status, _, raw = v1_call(emulator, ECHO, {"N": f"{n}-{i}"})
                results.append((status, json_body(raw)["RequestId"], json_body(raw)["Params"]["N"]))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 160 and {s for s, _, _ in results} == {200}
    assert len({rid for _, rid, _ in results}) == 160
    assert len(emulator.calls(ECHO)) == 160


# ---------------------------------------------------------------- control API


def test_call_log_entries(emulator):
    v1_call(emulator, ECHO, {"Name": "x"})
    v1_call(emulator, "NoSuchAction")
    emulator.health()
    calls = emulator.calls()
    assert [c["action"] for c in calls] == [ECHO, "NoSuchAction"]  # control calls are not API calls
    first, second = calls
    assert first["parameters"] == {"Name": "x"} and first["status"] == 200 and first["code"] is None
    assert first["version"] == "2014-05-26" and UUID_UPPER.match(first["request_id"])
    assert isinstance(first["timestamp"], float) and first["fault"] is None
    assert (second["status"], second["code"]) == (404, "InvalidAction.NotFound")
    assert emulator.calls(action="NoSuchAction") == [second]
    emulator.clear_calls()
    assert emulator.calls() == []


def test_call_log_on_stderr(emulator):
    v1_call(emulator, ECHO, {"Name": "logged"})
    line = [l for l in emulator.log_text().splitlines() if f" {ECHO} " in l][-1]
    assert re.search(r" EmulatorTestEcho 2014-05-26 200 - [\d.]+ms$", line)


def control(emulator, method, name, data=None):
    request = urllib.request.Request(f"{emulator.endpoint}/_emulator/{name}", data=data, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_control_config(emulator):
    assert emulator.config()["check_nonce"] is True
    updated = emulator.config({"delays": {"Starting": 3}})
    assert updated["delays"]["Starting"] == 3 and updated["delays"]["Pending"] == 0
    assert control(emulator, "POST", "config", b'{"no_such_key": 1}')[0] == 400
    status, body = control(emulator, "POST", "config", b"{not json")
    assert status == 400 and "JSON" in body["error"]


def test_control_errors(emulator):
    assert control(emulator, "GET", "nope")[0] == 404
    assert control(emulator, "PUT", "reset")[0] == 405
    assert control(emulator, "POST", "faults", b'{"kind": "explode"}')[0] == 400


def test_control_health_instances_reset(emulator):
    assert emulator.health()["status"] == "ok"
    assert isinstance(emulator.instances(), list)
    emulator.faults({"action": "X", "code": "Throttling"})
    v1_call(emulator, ECHO)
    emulator.reset()
    assert emulator.faults() == [] and emulator.calls() == []


def test_vpc_version_is_known(emulator):
    status, _, raw = v1_call(emulator, "NoSuchVpcAction", version="2016-04-28")
    body = json_body(raw)
    assert (status, body["Code"]) == (404, "InvalidAction.NotFound")
    assert "&product=Vpc&" in body["Recommend"]
