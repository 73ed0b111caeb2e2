"""--state-file: atomic writes after mutating calls and control changes; survives kill -9 and restart."""

from __future__ import annotations

import json
import os

import pytest

from tests.helpers.emulator import Emulator, EmulatorError, has_action, json_body, run_instances, v1_call

PLUGIN = "tests.helpers.plugin_actions"
needs_run_instances = pytest.mark.skipif(not has_action("RunInstances"), reason="RunInstances handler not written yet")


@pytest.fixture
def persistent(tmp_path):
    state = tmp_path / "state.json"
    with Emulator("--delays", "fast", "--plugin", PLUGIN, state_file=state) as emu:
        yield emu, state


def test_state_file_written_at_start_and_valid_json(persistent):
    emu, state = persistent
    assert state.exists()
    data = json.loads(state.read_text())
    assert "tokens" in data
    assert emu.health()["state_file"] == str(state)


def test_tokens_survive_kill_9(persistent):
    emu, state = persistent
    status, _, raw = v1_call(emu, "EmulatorTestCreate", {"ClientToken": "persist-1"}, method="POST")
    first = json_body(raw)
    assert status == 200
    emu.kill()
    emu.restart()
    status, _, raw = v1_call(emu, "EmulatorTestCreate", {"ClientToken": "persist-1"}, method="POST")
    assert status == 200 and json_body(raw)["ThingId"] == first["ThingId"]
    assert emu.calls()[-1]["replay"] is True


def test_control_changes_persist(persistent):
    emu, state = persistent
    emu.config({"account_balance": 12.5})
    assert json.loads(state.read_text())["config"]["account_balance"] == 12.5
    emu.kill()
    emu.restart()
    assert emu.config()["account_balance"] == 12.5


def test_no_temp_files_left_behind(persistent):
    emu, state = persistent
    for i in range(5):
        v1_call(emu, "EmulatorTestCreate", {"ClientToken": f"t{i}"}, method="POST")
    assert sorted(os.listdir(state.parent)) == ["state.json"]


def test_in_flight_tokens_are_dropped_on_restart(tmp_path):
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"tokens": {"k": {"state": "processing", "params": {}, "created": 0}}}))
    with Emulator("--plugin", PLUGIN, state_file=state) as emu:
        assert emu.state()["tokens"] == {}


def test_corrupt_state_file_fails_clearly(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("{not json")
    emu = Emulator(state_file=state, startup_timeout=10)
    with pytest.raises(EmulatorError, match="did not start|unexpected first line"):
        emu.start()
    assert "ecs-emulator:" in emu.log_text()
    assert emu.proc.returncode == 2
    emu.close()


@needs_run_instances
def test_instances_and_tokens_survive_kill_9(persistent):
    emu, state = persistent
    status, body = run_instances(emu, 3, "persist-run-1")
    assert status == 200, body
    ids = sorted(body["InstanceIdSets"]["InstanceIdSet"])
    before = sorted(i["InstanceId"] for i in emu.instances())
    emu.kill()
    emu.restart()
    assert sorted(i["InstanceId"] for i in emu.instances()) == before
    status, again = run_instances(emu, 3, "persist-run-1")
    assert status == 200 and sorted(again["InstanceIdSets"]["InstanceIdSet"]) == ids
    assert len(emu.instances()) == len(before)


@needs_run_instances
def test_reset_persists(persistent):
    emu, state = persistent
    assert run_instances(emu, 1)[0] == 200
    emu.reset()
    emu.kill()
    emu.restart()
    assert emu.instances() == []
