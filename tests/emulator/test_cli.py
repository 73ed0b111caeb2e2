"""Command line: banner, console script, options, exit codes."""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ecs_emulator import cli
from tests.helpers.emulator import Emulator, EmulatorError, json_body, v1_call

PLUGIN = "tests.helpers.plugin_actions"
BANNER_RE = re.compile(r"^ECS emulator listening on http://127\.0\.0\.1:(\d+)$")


def test_parse_delays():
    assert cli.parse_delays("fast") == {
        "Pending": 0.0, "Starting": 0.0, "Stopping": 0.0, "Associating": 0.0, "Unassociating": 0.0, "SpecChange": 0.0
    }
    assert cli.parse_delays("1,2,0.5") == {"Pending": 1.0, "Starting": 2.0, "Stopping": 0.5}
    assert cli.parse_delays("starting=3, Stopping=0") == {"Starting": 3.0, "Stopping": 0.0}
    for bad in ("1,2", "slow", "Running=1", "a,b,c"):
        with pytest.raises(argparse.ArgumentTypeError):
            cli.parse_delays(bad)


def test_banner_and_default_credentials():
    with Emulator() as emu:
        emu.health()
        lines = emu.banner
    first_line = f"ECS emulator listening on http://127.0.0.1:{emu.port}"
    assert BANNER_RE.match(first_line)
    assert any("LTAI5tEmulatorDefaultKey" in line for line in lines)
    assert any("emulator-secret" in line for line in lines)


def start_and_read_first_line(cmd: list[str]) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    return proc, proc.stdout.readline().decode().rstrip("\n")


@pytest.mark.parametrize("entry", ["module", "console_script"])
def test_entry_points_print_exact_first_line_and_stop_on_sigterm(entry):
    script = Path(sys.executable).with_name("ecs-emulator")
    if entry == "console_script" and not script.exists():
        pytest.skip("console script not installed in this interpreter's bin directory")
    cmd = [sys.executable, "-m", "ecs_emulator"] if entry == "module" else [str(script)]
    proc, line = start_and_read_first_line(cmd + ["--port", "0"])
    try:
        assert BANNER_RE.match(line), line
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        proc.stdout.close()
        proc.stderr.close()


def test_help():
    result = subprocess.run(
        [sys.executable, "-m", "ecs_emulator", "--help"], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    for option in (
        "--host",
        "--port",
        "--state-file",
        "--config",
        "--seed",
        "--credentials-file",
        "--delays",
        "--quiet",
    ):
        assert option in result.stdout


def run_failing(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecs_emulator", *args], capture_output=True, text=True, timeout=30)


def test_bad_config_key_exits_2(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"no_such_setting": 1}))
    result = run_failing("--config", str(path))
    assert result.returncode == 2 and "no_such_setting" in result.stderr and result.stdout == ""


def test_bad_delays_and_missing_files_exit_nonzero(tmp_path):
    assert run_failing("--delays", "slow").returncode == 2
    assert run_failing("--config", str(tmp_path / "missing.json")).returncode == 2
    assert run_failing("--credentials-file", str(tmp_path / "missing.json")).returncode == 2


def test_port_in_use_exits_2():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        result = run_failing("--port", str(sock.getsockname()[1]))
    assert result.returncode == 2 and "cannot bind" in result.stderr


def test_config_file_and_delays(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"default_format": "JSON", "delays": {"Pending": 5}}))
    with Emulator("--config", str(path), "--delays", "Starting=0.25") as emu:
        config = emu.config()
    assert config["default_format"] == "JSON"
    assert config["delays"]["Pending"] == 5 and config["delays"]["Starting"] == 0.25
    assert config["delays"]["Stopping"] == 1.0 and config["delays"]["SpecChange"] == 5.0


def test_credentials_file(tmp_path):
    path = tmp_path / "creds.json"
    path.write_text(
        json.dumps([{"access_key_id": "LTAI5tCustom", "access_key_secret": "custom-secret", "account_id": "999"}])
    )
    with Emulator("--credentials-file", str(path), "--plugin", PLUGIN) as emu:
        status, _, raw = v1_call(emu, "EmulatorTestEcho", key=("LTAI5tCustom", "custom-secret"))
        assert status == 200 and json_body(raw)["Account"] == "999"
        assert "custom-secret" not in emu.log_text()


def test_quiet_has_no_call_lines():
    with Emulator("--quiet", "--plugin", PLUGIN) as emu:
        v1_call(emu, "EmulatorTestEcho")
        assert "EmulatorTestEcho" not in emu.log_text()
    with Emulator("--plugin", PLUGIN) as emu:
        v1_call(emu, "EmulatorTestEcho")
        assert "EmulatorTestEcho 2014-05-26 200" in emu.log_text()


def test_host_option_and_fixed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    emu = Emulator()
    emu.start(port)
    try:
        assert emu.port == port and emu.endpoint == f"http://127.0.0.1:{port}"
        assert emu.health()["status"] == "ok"
    finally:
        emu.close()


def test_restart_keeps_port(tmp_path):
    with Emulator(state_file=tmp_path / "s.json") as emu:
        port = emu.port
        emu.kill()
        assert not emu.running
        emu.restart()
        assert emu.port == port and emu.health()["status"] == "ok"


def test_start_failure_is_reported():
    emu = Emulator("--no-such-option", startup_timeout=10)
    with pytest.raises(EmulatorError):
        emu.start()
    emu.close()


def test_seed_files_extend_the_catalog(tmp_path):
    image = {
        "ImageId": "my_custom_x64_20G.vhd",
        "ImageName": "my_custom_x64_20G.vhd",
        "ImageFamily": "",
        "ImageVersion": "1",
        "OSType": "linux",
        "Platform": "Ubuntu",
        "OSName": "Custom",
        "OSNameEn": "Custom",
        "Architecture": "x86_64",
        "Size": 20,
        "CreationTime": "2024-01-30T09:25:33Z",
        "Description": "",
    }
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"images": [image]}))
    query = {"RegionId": "cn-hangzhou", "ImageId": image["ImageId"]}
    with Emulator("--seed", str(path)) as emu:
        status, _, raw = v1_call(emu, "DescribeImages", query)
        assert status == 200, raw
        assert [i["ImageId"] for i in json_body(raw)["Images"]["Image"]] == [image["ImageId"]]
    with Emulator() as emu:
        status, _, raw = v1_call(emu, "DescribeImages", query)
        assert status != 200 or json_body(raw)["Images"]["Image"] == []


def process_gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # exited; a zombie only waits for its (new) parent to reap it


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc")
def test_harness_emulators_exit_when_their_parent_is_killed():
    root = Path(__file__).resolve().parents[2]
    script = (
        f"import sys, time; sys.path[:0] = [{str(root)!r}, {str(root / 'emulator')!r}]\n"
        "from tests.helpers.emulator import Emulator\n"
        "print(Emulator().start().proc.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE)
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    parent.stdout.close()
    deadline = time.monotonic() + 10
    while not process_gone(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    gone = process_gone(child)
    if not gone:
        os.kill(child, signal.SIGKILL)  # our own orphan: do not leave it behind
    assert gone
