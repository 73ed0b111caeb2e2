"""Client-side harness: run the ECS emulator as a real subprocess and drive it.

    with Emulator("--delays", "fast") as emu:
        emu.endpoint            # "http://127.0.0.1:PORT"
        emu.faults({"action": "RunInstances", "code": "Throttling", "count": 1})
        emu.calls(action="RunInstances")
        emu.kill(); emu.restart()   # same port, same state file

Also builds SDK clients pointed at it (``acs_client``, ``sdk_client``).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
EMULATOR_DIR = REPO_ROOT / "emulator"
BANNER = "ECS emulator listening on http://"

DEFAULT_KEY = ("LTAI5tEmulatorDefaultKey", "emulator-secret")
READONLY_KEY = ("LTAI5tEmulatorReadOnlyKey", "emulator-readonly-secret")
DISABLED_KEY = ("LTAI5tEmulatorDisabledKey", "emulator-disabled-secret")
STS_KEY = ("STS.EmulatorStsKey", "emulator-sts-secret", "emulator-sts-token")
EXPIRED_STS_KEY = ("STS.EmulatorExpiredStsKey", "emulator-sts-secret", "emulator-expired-sts-token")
ACCOUNT_ID = "1234567890123456"


class EmulatorError(RuntimeError):
    pass


class Emulator:
    """One emulator process (``sys.executable -m ecs_emulator --port 0 ...``)."""

    def __init__(
        self,
        *args: str,
        state_file: str | os.PathLike | None = None,
        log_path: str | os.PathLike | None = None,
        env: dict[str, str] | None = None,
        startup_timeout: float = 20.0,
    ):
        self.args = list(args)
        self.state_file = str(state_file) if state_file else None
        self._own_log = log_path is None
        if log_path is None:
            fd, log_path = tempfile.mkstemp(prefix="ecs-emulator-", suffix=".log")
            os.close(fd)
        self.log_path = str(log_path)
        self.env = env
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self.banner: list[str] = []

    # -- process control ---------------------------------------------------------
    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def hostport(self) -> str:
        return f"{self.host}:{self.port}"

    def command(self, port: int) -> list[str]:
        cmd = [sys.executable, "-m", "ecs_emulator", "--host", self.host, "--port", str(port), "--exit-with-parent"]
        cmd += self.args
        if self.state_file:
            cmd += ["--state-file", self.state_file]
        return cmd

    def _environment(self) -> dict[str, str]:
        env = dict(os.environ)
        extra = [str(EMULATOR_DIR), str(REPO_ROOT)]
        env["PYTHONPATH"] = os.pathsep.join(extra + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        env["PYTHONUNBUFFERED"] = "1"
        for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy"):
            env.pop(name, None)
        env.update(self.env or {})
        return env

    def start(self, port: int | None = None) -> "Emulator":
        if self.running:
            raise EmulatorError("already running")
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self.command(self.port if port is None else port),
                stdout=subprocess.PIPE,
                stderr=log,
                stdin=subprocess.DEVNULL,
                env=self._environment(),
            )
        finally:
            log.close()
        first = self._read_first_line()
        if not first.startswith(BANNER):
            self.kill()
            raise EmulatorError(f"unexpected first line {first!r}; log:\n{self.log_text()[-4000:]}")
        self.host, _, port_text = first[len(BANNER) :].strip().rpartition(":")
        self.port = int(port_text)
        threading.Thread(target=self._drain_stdout, args=(self.proc,), daemon=True).start()
        return self

    def _read_first_line(self) -> str:
        result: list[str] = []
        reader = threading.Thread(target=lambda: result.append(self.proc.stdout.readline().decode()), daemon=True)
        reader.start()
        reader.join(self.startup_timeout)
        if not result:
            self.kill()
            raise EmulatorError(
                f"emulator did not start within {self.startup_timeout}s; log:\n{self.log_text()[-4000:]}"
            )
        return result[0]

    def _drain_stdout(self, proc: subprocess.Popen) -> None:
        for line in proc.stdout:
            self.banner.append(line.decode(errors="replace").rstrip("\n"))

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 10.0) -> int | None:
        """SIGTERM and wait; returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def kill(self) -> None:
        """SIGKILL: no chance to flush anything (persistence must already be on disk)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def restart(self) -> "Emulator":
        """Stop if still running, then start again on the same port with the same state file."""
        self.stop()
        deadline = time.monotonic() + 10
        while True:
            try:
                return self.start(self.port)
            except EmulatorError:
                if time.monotonic() > deadline:  # port may linger briefly after a kill
                    raise
                time.sleep(0.1)

    def close(self) -> None:
        self.stop()
        if self._own_log and os.path.exists(self.log_path):
            os.unlink(self.log_path)

    def __enter__(self) -> "Emulator":
        if not self.running:
            self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def log_text(self) -> str:
        try:
            return Path(self.log_path).read_text(errors="replace")
        except OSError:
            return ""

    # -- control API -----------------------------------------------------------
    def control(self, method: str, name: str, data: Any = None, query: str = "") -> Any:
        body = None if data is None else json.dumps(data).encode()
        url = f"{self.endpoint}/_emulator/{name}" + (f"?{query}" if query else "")
        request = urllib.request.Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            raise EmulatorError(f"{method} /_emulator/{name} -> {exc.code}: {exc.read().decode(errors='replace')}")

    def health(self) -> dict:
        return self.control("GET", "health")

    def calls(self, action: str | None = None) -> list[dict]:
        return self.control("GET", "calls", query=f"action={action}" if action else "")["calls"]

    def clear_calls(self) -> None:
        self.control("DELETE", "calls")

    def instances(self) -> list[dict]:
        return self.control("GET", "instances")["instances"]

    def reset(self) -> None:
        self.control("POST", "reset")

    def faults(self, rules: Any = None) -> list[dict]:
        """Add rules (one dict or a list) and return all; with no argument just list them."""
        if rules is None:
            return self.control("GET", "faults")["rules"]
        return self.control("POST", "faults", rules)["rules"]

    def clear_faults(self) -> None:
        self.control("DELETE", "faults")

    def config(self, update: dict | None = None) -> dict:
        if update is None:
            return self.control("GET", "config")["config"]
        return self.control("POST", "config", update)["config"]

    def state(self) -> dict:
        return self.control("GET", "state")

    # -- SDK clients ---------------------------------------------------------------
    def acs_client(self, key: tuple = DEFAULT_KEY, region: str = "cn-hangzhou", **kwargs: Any):
        """aliyunsdkcore AcsClient whose every request goes to this emulator (no proxy, plain http)."""
        return make_acs_client(self.hostport, key, region, **kwargs)

    def sdk_client(
        self,
        key: tuple = DEFAULT_KEY,
        region: str = "cn-hangzhou",
        signature_algorithm: str | None = None,
        **kwargs: Any,
    ):
        """alibabacloud_ecs20140526 Client (ACS3 by default, V1 with signature_algorithm="v2")."""
        return make_sdk_client(self.hostport, key, region, signature_algorithm, **kwargs)


def make_acs_client(hostport: str, key: tuple = DEFAULT_KEY, region: str = "cn-hangzhou", **kwargs: Any):
    from aliyunsdkcore.client import AcsClient

    class EmulatorAcsClient(AcsClient):
        # The same effect as request.set_endpoint(...) on every request (reference 6.1).
        def _resolve_endpoint(self, request):
            return hostport

    if len(key) == 3:
        from aliyunsdkcore.auth.credentials import StsTokenCredential

        kwargs["credential"] = StsTokenCredential(key[0], key[1], key[2])
        return EmulatorAcsClient(region_id=region, **kwargs)
    return EmulatorAcsClient(key[0], key[1], region, **kwargs)


def make_sdk_client(
    hostport: str,
    key: tuple = DEFAULT_KEY,
    region: str = "cn-hangzhou",
    signature_algorithm: str | None = None,
    **kwargs: Any,
):
    from alibabacloud_ecs20140526.client import Client
    from alibabacloud_tea_openapi import models as open_api_models

    config = open_api_models.Config(
        access_key_id=key[0], access_key_secret=key[1], region_id=region, endpoint=hostport, protocol="http", **kwargs
    )
    if len(key) == 3:
        config.security_token = key[2]
    if signature_algorithm:
        config.signature_algorithm = signature_algorithm
    return Client(config)


# -- raw wire helpers (signed with the SDKs' own signers, not the emulator's code) ---------


def utc_timestamp(offset: float = 0.0) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset))


def v1_sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """Signature of ``params`` exactly as aliyunsdkcore computes it (reference 3)."""
    from aliyunsdkcore.auth.algorithm import sha_hmac1
    from aliyunsdkcore.auth.composer import rpc_signature_composer as composer

    string_to_sign = getattr(composer, "__compose_string_to_sign")(method, params)
    return sha_hmac1.get_sign_string(string_to_sign, secret + "&")


def v1_params(
    action: str,
    params: dict[str, str] | None = None,
    key: tuple = DEFAULT_KEY,
    method: str = "GET",
    body: dict[str, str] | None = None,
    version: str = "2014-05-26",
    sign: bool = True,
    **overrides: str | None,
) -> dict[str, str]:
    """Common V1 parameters + ``params``, signed over query and ``body``; an override of None drops a field."""
    full = {
        "Action": action,
        "Version": version,
        "Format": "JSON",
        "AccessKeyId": key[0],
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureType": "",
        "SignatureNonce": os.urandom(16).hex(),
        "Timestamp": utc_timestamp(),
    }
    if len(key) == 3:
        full["SecurityToken"] = key[2]
    full.update(params or {})
    signature = overrides.pop("Signature", "")
    for name, value in overrides.items():
        if value is None:
            full.pop(name, None)
        else:
            full[name] = value
    if sign:
        full["Signature"] = v1_sign({**full, **(body or {})}, key[1], method)
    if signature != "":  # an explicit Signature (or None: none at all) replaces the computed one
        full.pop("Signature", None)
        if signature is not None:
            full["Signature"] = signature
    return full


def encode_query(params: dict[str, str]) -> str:
    from urllib.parse import quote, urlencode

    return urlencode(params, quote_via=quote, safe="~")


def raw_request(
    emu: "Emulator", method: str, target: str, body: bytes | str = b"", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP request with http.client (target may be absolute-form); returns status, headers, body."""
    import http.client

    if isinstance(body, str):
        body = body.encode()
    conn = http.client.HTTPConnection(emu.host, emu.port, timeout=30)
    try:
        conn.request(method, target, body=body or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def v1_call(
    emu: "Emulator",
    action: str,
    params: dict[str, str] | None = None,
    method: str = "GET",
    body: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> tuple[int, dict[str, str], bytes]:
    """A raw V1-signed call: params in the query, optional form body (signed too)."""
    query = v1_params(action, params, method=method, body=body, **kwargs)
    payload = encode_query(body) if body else ""
    all_headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    all_headers.update(headers or {})
    return raw_request(emu, method, "/?" + encode_query(query), payload, all_headers)


def json_body(raw: bytes) -> dict:
    return json.loads(raw.decode("utf-8"))


def acs3_headers(
    emu: "Emulator",
    action: str,
    query: dict[str, str] | None = None,
    body: bytes = b"",
    key: tuple = DEFAULT_KEY,
    method: str = "POST",
    version: str = "2014-05-26",
    date: str | None = None,
    nonce: str | None = None,
    extra: dict[str, str] | None = None,
) -> dict:
    """Headers of an ACS3-HMAC-SHA256 request signed by tea-openapi's own signer (reference 4)."""
    import hashlib

    from alibabacloud_tea_openapi.utils import Utils
    from darabonba.request import DaraRequest

    request = DaraRequest()
    request.method, request.pathname, request.query = method, "/", dict(query or {})
    request.headers = {
        "host": emu.hostport,
        "x-acs-version": version,
        "x-acs-action": action,
        "accept": "application/json",
        "x-acs-date": date or utc_timestamp(),
        "x-acs-signature-nonce": nonce or os.urandom(16).hex(),
        "x-acs-content-sha256": hashlib.sha256(body).hexdigest(),
    }
    if len(key) == 3:
        request.headers["x-acs-security-token"] = key[2]
    request.headers.update(extra or {})
    request.headers["Authorization"] = Utils.get_authorization(
        request, "ACS3-HMAC-SHA256", request.headers["x-acs-content-sha256"], key[0], key[1]
    )
    return request.headers


def acs3_call(
    emu: "Emulator",
    action: str,
    query: dict[str, str] | None = None,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> tuple[int, dict[str, str], bytes]:
    signed = acs3_headers(emu, action, query, body, **kwargs)
    signed.update(headers or {})
    target = "/" + ("?" + encode_query(query) if query else "")
    return raw_request(emu, kwargs.get("method", "POST"), target, body, signed)


def sdk_call(client, action: str, query: dict[str, str] | None = None, version: str = "2014-05-26") -> dict:
    """Any action through the new SDK's generic call_api (ACS3 or V1, as the client is configured)."""
    from alibabacloud_tea_openapi import models as open_api_models
    from darabonba.runtime import RuntimeOptions

    params = open_api_models.Params(
        action=action,
        version=version,
        protocol="HTTP",
        pathname="/",
        method="POST",
        auth_type="AK",
        style="RPC",
        req_body_type="formData",
        body_type="json",
    )
    return client.call_api(params, open_api_models.OpenApiRequest(query=dict(query or {})), RuntimeOptions())


def has_action(name: str, version: str = "2014-05-26") -> bool:
    """Whether the emulator package registers ``name`` (the handler modules may still be missing)."""
    from ecs_emulator import registry

    try:
        return registry.lookup(version, name) is not None
    except ImportError:
        return False


# Seed catalog entries and the seed's default network of cn-hangzhou (zone h).
RUN_DEFAULTS = {
    "RegionId": "cn-hangzhou",
    "ImageId": "ubuntu_22_04_x64_20G_alibase_20240130.vhd",
    "InstanceType": "ecs.g6.large",
    "VSwitchId": "vsw-bp1emudefaulth",
    "SecurityGroupId": "sg-bp1emudefault",
}


def run_instances(emu: "Emulator", amount: int = 1, token: str | None = None, **extra: str) -> tuple[int, dict]:
    """A raw RunInstances (V1, JSON) in cn-hangzhou with seed image/type; returns status and body."""
    params = {**RUN_DEFAULTS, "Amount": str(amount), **extra}
    if token is not None:
        params["ClientToken"] = token
    status, _, raw = v1_call(emu, "RunInstances", params, method="POST")
    return status, json_body(raw)
