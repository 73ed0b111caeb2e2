"""Secrets never reach any output: access key secret, STS token and instance password.

Real runs at ``-vvvv`` with ``--diff`` (and one with ``--check``), on success
and failure paths (API errors, a wrong secret, an unreachable endpoint whose
error quotes the request URL, throttling beyond the retry budget, a read
timeout), with credentials given as task options and as environment
variables, through ecs_instance, ecs_instance_info, ecs_public_ip and the
inventory plugin. The complete stdout and stderr, and the saved return values,
are searched for every secret in plain, URL-encoded and form-encoded form.
"""

from __future__ import annotations

import json
import socket
import subprocess
import uuid
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from tests.helpers.ansible_cli import ansible_tool

from .support import CREATE, REGION, Runner, assert_no_traceback, new_emulator, write_output

TAG = uuid.uuid4().hex[:10]
AK = ("LTAI5tReliabilitySecrets", "Rel/S3cret+Key=%s" % TAG)
STS = ("STS.ReliabilitySecrets", "Rel/Sts+Secret=%s" % TAG, "Rel/Sts+Token=%s" % TAG)
EXPIRED = ("STS.ReliabilityExpired", "Rel/Old+Secret=%s" % TAG, "Rel/Old+Token=%s" % TAG)
PASSWORD = "Rel/Pa55+w=%s" % TAG[:8]
WRONG_SECRET = "Wrong/Secret+%s" % TAG
BAD_PASSWORD = "badpw%s" % TAG  # one character class only: rejected by the API, still a secret
SECRETS = {
    "access key secret": AK[1], "STS secret": STS[1], "STS token": STS[2], "expired STS secret": EXPIRED[1],
    "expired STS token": EXPIRED[2], "password": PASSWORD, "wrong secret": WRONG_SECRET,
    "rejected password": BAD_PASSWORD,
}


def variants(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), json.dumps(secret)[1:-1]}


def leaks(text: str) -> list[str]:
    return sorted({label for label, secret in SECRETS.items() for form in variants(secret) if form in text})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def secret_emu(tmp_path: Path):
    creds = [
        {"access_key_id": AK[0], "access_key_secret": AK[1]},
        {"access_key_id": STS[0], "access_key_secret": STS[1], "security_token": STS[2],
         "expiration": "2099-01-01T00:00:00Z"},
        {"access_key_id": EXPIRED[0], "access_key_secret": EXPIRED[1], "security_token": EXPIRED[2],
         "expiration": "2020-01-01T00:00:00Z"},
    ]
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps(creds))
    emu = new_emulator("--delays", "fast", "--credentials-file", str(path))
    try:
        yield emu
    finally:
        emu.close()


def cases(name: str, creds: dict) -> list[dict]:
    create = dict(CREATE, name=name, count=1, state="running", internet_max_bandwidth_out=5, password=PASSWORD,
                  **creds)
    unreachable = "http://127.0.0.1:%d" % closed_port()
    sts = {"access_key": STS[0], "secret_key": STS[1], "security_token": STS[2]} if creds else {}
    return [
        {"id": "create", "args": create},
        {"id": "create-again-check-mode", "args": dict(create, count=2), "check_mode": True},
        {"id": "set-password", "args": dict(create, update_password="always")},
        {"id": "rejected-password", "args": dict(create, count=2, password=BAD_PASSWORD)},
        {"id": "wrong-secret", "args": dict(create, count=2, access_key=STS[0], secret_key=WRONG_SECRET,
                                            security_token=STS[2])},
        {"id": "unreachable-endpoint", "args": dict(create, count=2, endpoint=unreachable, retry_timeout=1)},
        {"id": "throttled-beyond-budget", "args": dict(create, count=2, retry_timeout=1),
         "faults": [{"action": "RunInstances", "code": "Throttling"}]},
        {"id": "read-timeout", "args": dict(create, count=2, read_timeout=0.5, retry_timeout=1),
         "faults": [{"action": "RunInstances", "kind": "latency", "seconds": 1.5}]},
        {"id": "info", "module": "ecs_instance_info", "args": dict({"name": name}, **sts)},
        {"id": "public-ip", "module": "ecs_public_ip", "args": dict({"name": name}, **sts)},
        # An id that is not listed is waited for (it may be new, reference 8.9): 2 s is enough for this test.
        {"id": "public-ip-unknown", "module": "ecs_public_ip",
         "args": dict({"instance_id": "i-2zenosuch0001", "visibility_timeout": 2}, **sts)},
        {"id": "release", "args": dict({"name": name, "state": "absent"}, **creds)},
    ]


@pytest.mark.parametrize("source", ["task-options", "environment"])
def test_no_secret_in_any_output(source, collections_dir, secret_emu, tmp_path):
    runner = Runner(collections_dir, secret_emu, tmp_path)
    name = "rel-secrets-%s" % source
    if source == "task-options":
        creds = {"access_key": STS[0], "secret_key": STS[1], "security_token": STS[2]}
        env = runner.env(credentials=False)
    else:
        creds = {}
        env = runner.env(credentials=False, ALICLOUD_ACCESS_KEY=STS[0], ALICLOUD_SECRET_KEY=STS[1],
                         ALICLOUD_SECURITY_TOKEN=STS[2])
    table = cases(name, creds)
    results, proc = runner.run("cases.yml", {"cases": table}, env=env, verbosity=4, diff=True)
    assert results is not None and proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert_no_traceback(proc)
    outcome = {c["id"]: r["result"] for c, r in zip(table, results)}
    # The runs really went through the success and the failure paths.
    assert outcome["create"].get("changed") and not outcome["create"].get("failed"), outcome["create"]
    assert outcome["create-again-check-mode"].get("changed") and not outcome["create-again-check-mode"].get("failed")
    assert outcome["release"].get("deleted_ids"), outcome["release"]
    for failing in ("rejected-password", "unreachable-endpoint", "throttled-beyond-budget", "read-timeout",
                    "public-ip-unknown", "wrong-secret"):
        assert outcome[failing].get("failed"), (failing, outcome[failing])
    assert "diff" in outcome["create"] or "--- before" in proc.stdout
    # The secrets were really in play: the emulator got the password and the STS key with its token.
    calls = secret_emu.calls()
    assert any(c["parameters"].get("Password") == PASSWORD for c in calls if c["action"] == "RunInstances")
    assert any(c["parameters"].get("Password") == PASSWORD for c in calls if c["action"] == "ModifyInstanceAttribute")
    assert any(c["access_key_id"] == STS[0] and c["code"] is None for c in calls)
    text = proc.stdout + proc.stderr + json.dumps(results)
    assert leaks(text) == [], leaks(text)
    write_output("secrets-%s.json" % source, {"cases": len(table), "verbosity": 4, "diff": True,
                                               "output_chars": len(text), "leaks": 0})


def test_no_secret_in_check_mode_output(runner, secret_emu, tmp_path):
    runner = Runner(runner.collections, secret_emu, tmp_path)
    creds = {"access_key": AK[0], "secret_key": AK[1]}
    table = [c for c in cases("rel-secrets-check", creds) if c["id"] in
             ("create", "rejected-password", "wrong-secret", "unreachable-endpoint", "info", "public-ip-unknown")]
    results, proc = runner.run("cases.yml", {"cases": table}, env=runner.env(credentials=False), verbosity=4,
                               check=True, diff=True)
    assert results is not None and proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
    assert_no_traceback(proc)
    assert results[0]["result"].get("changed") and secret_emu.instances() == []
    text = proc.stdout + proc.stderr + json.dumps(results)
    assert leaks(text) == [], leaks(text)


@pytest.mark.skipif(not (Path(__file__).resolve().parents[2] / "plugins" / "inventory" / "ecs.py").exists(),
                    reason="no inventory plugin in this tree")
def test_no_secret_in_inventory_output(runner, secret_emu, tmp_path):
    runner = Runner(runner.collections, secret_emu, tmp_path)
    _, created = runner.run("one_task.yml", {"args": dict(CREATE, name="rel-secrets-inv", count=1, password=PASSWORD)},
                            env=runner.env(credentials=False, ALICLOUD_ACCESS_KEY=AK[0], ALICLOUD_SECRET_KEY=AK[1]))
    assert created.returncode == 0, created.stdout[-4000:]
    texts = []
    for label, secret_key, expect_hosts in (("good", STS[1], True), ("wrong-secret", WRONG_SECRET, False)):
        config = tmp_path / ("%s.ecs.yml" % label)
        config.write_text(json.dumps({
            "plugin": "alicloud.ecs.ecs", "regions": [REGION], "endpoint": secret_emu.endpoint,
            "access_key": STS[0], "secret_key": secret_key, "security_token": STS[2],
        }))
        cmd = [ansible_tool("ansible-inventory"), "-i", str(config), "--list", "-vvvv"]
        proc = subprocess.run(cmd, env=runner.env(credentials=False), capture_output=True, text=True,
                              cwd=tmp_path, timeout=300)
        text = proc.stdout + proc.stderr
        assert "Traceback (most recent call last)" not in text or label == "wrong-secret", text[-4000:]
        if expect_hosts:
            assert proc.returncode == 0 and "rel-secrets-inv" in proc.stdout, text[-4000:]
        else:
            assert "InvalidAccessKeySecret" in text or "SignatureDoesNotMatch" in text, text[-4000:]
        texts.append(text)
    assert leaks("".join(texts)) == [], leaks("".join(texts))


@pytest.mark.parametrize("label", sorted(SECRETS))
def test_leak_search_finds_every_encoding(label):
    """The search above is only as good as its variants: each form of each secret is found."""
    for form in variants(SECRETS[label]):
        assert label in leaks("...%s..." % form)
    assert leaks("no secret here") == []
