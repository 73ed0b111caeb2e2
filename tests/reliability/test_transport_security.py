"""Transport security: TLS verification against an HTTPS emulator, and HTTPS for every real endpoint.

The emulator serves HTTPS with a certificate from a CA made by the test
(``--tls-cert``/``--tls-key``). The modules refuse it by default with a clear
verification error, accept it with ``ca_bundle``, and warn when
``validate_certs`` is off. Endpoint resolution (the shared layer, as installed)
gives https for every region unless ``http://`` is given explicitly.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.emulator import DEFAULT_KEY, EMULATOR_DIR, REPO_ROOT

from .support import CREATE, Runner, assert_no_traceback, named, write_output
from .tls import make_certificates

VERIFY_FAILED = r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"
# Region ids of the public cloud (ECS endpoint list), plus the emulator's own list below.
KNOWN_REGIONS = [
    "cn-qingdao", "cn-beijing", "cn-zhangjiakou", "cn-huhehaote", "cn-wulanchabu", "cn-hangzhou", "cn-shanghai",
    "cn-nanjing", "cn-fuzhou", "cn-shenzhen", "cn-heyuan", "cn-guangzhou", "cn-chengdu", "cn-hongkong",
    "ap-southeast-1", "ap-southeast-3", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-northeast-1",
    "ap-northeast-2", "us-west-1", "us-east-1", "eu-central-1", "eu-west-1", "me-east-1", "me-central-1",
]


class TlsEmulator:
    """The emulator started with --tls-cert/--tls-key; the harness class only knows http banners."""

    def __init__(self, paths: dict[str, Path], log: Path) -> None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(EMULATOR_DIR), str(REPO_ROOT)]), PYTHONUNBUFFERED="1")
        cmd = [sys.executable, "-m", "ecs_emulator", "--port", "0", "--quiet", "--delays", "fast", "--exit-with-parent",
               "--tls-cert", str(paths["cert"]), "--tls-key", str(paths["key"])]
        self.log = log.open("ab")
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=self.log, env=env, text=True)
        first: list[str] = []
        reader = threading.Thread(target=lambda: first.append(self.proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(20)
        match = re.match(r"ECS emulator listening on (https://127\.0\.0\.1:(\d+))$", (first or [""])[0].strip())
        if not match:
            self.close()
            raise AssertionError("no https banner: %r; log: %s" % (first, log.read_text()[-2000:]))
        self.endpoint, self.port = match.group(1), int(match.group(2))
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()
        self.context = ssl.create_default_context(cafile=str(paths["ca"]))

    def control(self, name: str) -> dict:
        with urllib.request.urlopen("%s/_emulator/%s" % (self.endpoint, name), timeout=30,
                                    context=self.context) as response:
            return json.loads(response.read())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


@pytest.fixture
def tls(tmp_path: Path):
    paths = make_certificates(tmp_path)
    emu = TlsEmulator(paths, tmp_path / "emulator.log")
    try:
        yield emu, paths
    finally:
        emu.close()


def test_tls_verification(collections_dir, emu, tls, tmp_path):
    tls_emu, paths = tls
    runner = Runner(collections_dir, emu, tmp_path)  # ``emu`` only provides the runner's defaults
    https, hostport, plain = tls_emu.endpoint, "127.0.0.1:%d" % tls_emu.port, "http://127.0.0.1:%d" % tls_emu.port
    keys = {"access_key": DEFAULT_KEY[0], "secret_key": DEFAULT_KEY[1]}
    name = "rel-tls"
    create = dict(CREATE, **keys, name=name, count=1, state="running", internet_max_bandwidth_out=5)
    ca = str(paths["ca"])
    table = [
        {"id": "info-default-verification", "module": "ecs_instance_info",
         "args": dict(keys, endpoint=https, retry_timeout=1)},
        {"id": "create-default-verification", "args": dict(create, endpoint=https, retry_timeout=1)},
        {"id": "create-with-ca-bundle", "args": dict(create, endpoint=https, ca_bundle=ca)},
        {"id": "info-host-port-is-https", "module": "ecs_instance_info",
         "args": dict(keys, endpoint=hostport, ca_bundle=ca, name=name)},
        {"id": "public-ip-with-ca-bundle", "module": "ecs_public_ip",
         "args": dict(keys, endpoint=https, ca_bundle=ca, name=name)},
        {"id": "info-validate-certs-off", "module": "ecs_instance_info",
         "args": dict(keys, endpoint=https, validate_certs=False, name=name)},
        {"id": "info-plain-http-to-tls", "module": "ecs_instance_info",
         "args": dict(keys, endpoint=plain, retry_timeout=1)},
        {"id": "release-with-ca-bundle", "args": dict(keys, endpoint=https, ca_bundle=ca, name=name, state="absent")},
    ]
    results, proc = runner.run("cases.yml", {"cases": table, "control": https + "/_emulator", "control_ca": ca},
                               env=runner.env(credentials=False))
    assert results is not None and proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert_no_traceback(proc)
    out = {c["id"]: r for c, r in zip(table, results)}

    for case in ("info-default-verification", "create-default-verification"):
        result = out[case]["result"]
        assert result.get("failed"), (case, result)
        assert re.search(VERIFY_FAILED, result["msg"]) and result["msg"].startswith("Failed to "), result["msg"]
    assert out["create-default-verification"]["instances"] == []

    created = out["create-with-ca-bundle"]["result"]
    assert not created.get("failed") and len(created["created_ids"]) == 1, created
    assert len(named(out["create-with-ca-bundle"]["instances"], name)) == 1
    for case in ("info-host-port-is-https", "info-validate-certs-off"):
        result = out[case]["result"]
        assert not result.get("failed") and result["instance_ids"] == created["created_ids"], (case, result)
    public_ip = out["public-ip-with-ca-bundle"]["result"]
    assert not public_ip.get("failed") and public_ip["ip_address"], public_ip
    warnings = " ".join(out["info-validate-certs-off"]["result"].get("warnings", []))
    assert "validate_certs is false" in warnings, out["info-validate-certs-off"]["result"]
    assert not any("validate_certs" in w for w in out["info-host-port-is-https"]["result"].get("warnings", []))

    plain_result = out["info-plain-http-to-tls"]["result"]
    assert plain_result.get("failed") and plain_result["msg"].startswith("Failed to "), plain_result
    assert not out["release-with-ca-bundle"]["result"].get("failed")
    assert tls_emu.control("instances")["instances"] == []
    # The create, the reads and the release all reached the emulator over TLS.
    assert {c["action"] for c in tls_emu.control("calls")["calls"]} >= {"RunInstances", "DescribeInstances",
                                                                        "DeleteInstances"}
    write_output("tls.json", {"cases": len(table)})


@pytest.fixture
def client_module(collections_dir):
    """plugins/module_utils/_client.py of the installed collection."""
    sys.path.insert(0, str(collections_dir))
    try:
        yield importlib.import_module("ansible_collections.alicloud.ecs.plugins.module_utils._client")
    finally:
        sys.path.remove(str(collections_dir))


def emulator_regions(emu) -> list[str]:
    from aliyunsdkcore.request import CommonRequest

    request = CommonRequest(domain=emu.hostport, version="2014-05-26", action_name="DescribeRegions")
    request.set_accept_format("JSON")
    body = json.loads(emu.acs_client().do_action_with_exception(request))
    return [r["RegionId"] for r in body["Regions"]["Region"]]


def test_real_endpoints_are_https(client_module, emu):
    regions = sorted(set(KNOWN_REGIONS) | set(emulator_regions(emu)))
    assert len(regions) >= len(KNOWN_REGIONS)
    env = {"ALICLOUD_ACCESS_KEY": "LTAI5tExample", "ALICLOUD_SECRET_KEY": "example"}  # no endpoint variable
    for region in regions:
        info = client_module.connection_info({"region": region}, env)
        assert info["protocol"] == "https", (region, info["endpoint"])
        assert re.fullmatch(r"ecs[.-]%s\.aliyuncs\.com" % re.escape(region), info["endpoint"]), info["endpoint"]
        # The request the client builds really goes out over HTTPS to that host.
        client = client_module.EcsClient(info, acs=object())
        request = client._request("DescribeInstances", {})
        assert request.get_protocol_type() == "https" and request.endpoint == info["endpoint"]
    # http only when asked for explicitly; host[:port] and https:// stay https.
    assert client_module.resolve_endpoint("cn-beijing", "http://127.0.0.1:8080")[1] == "http"
    assert client_module.resolve_endpoint("cn-beijing", "127.0.0.1:8080")[1] == "https"
    assert client_module.resolve_endpoint("cn-beijing", "https://ecs.cn-beijing.aliyuncs.com")[1] == "https"
    assert client_module.resolve_endpoint("cn-beijing", "ecs.cn-beijing.aliyuncs.com")[1] == "https"
    env_http = dict(env, ALICLOUD_ECS_ENDPOINT="http://127.0.0.1:1")
    assert client_module.connection_info({"region": "cn-beijing"}, env_http)["protocol"] == "http"
    write_output("endpoints.json", {"regions_checked": len(regions), "all_https": True})


def test_certificate_failure_is_reported_at_once(collections_dir, emu, tls, tmp_path):
    """A certificate that does not verify will not verify on the next attempt either: no retries."""
    tls_emu, paths = tls
    runner = Runner(collections_dir, emu, tmp_path)
    table = [{"id": "info-default-verification", "module": "ecs_instance_info",
              "args": {"access_key": DEFAULT_KEY[0], "secret_key": DEFAULT_KEY[1], "endpoint": tls_emu.endpoint,
                       "retry_timeout": 8}}]
    results, proc = runner.run("cases.yml", {"cases": table, "control": tls_emu.endpoint + "/_emulator",
                                             "control_ca": str(paths["ca"])}, env=runner.env(credentials=False))
    assert results is not None and proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    result = results[0]["result"]
    assert result.get("failed") and re.search(VERIFY_FAILED, result["msg"]), result
    assert "gave up after" not in result["msg"], result["msg"]
