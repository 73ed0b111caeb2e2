"""The module as Ansible runs it: argument spec, exit/fail payloads, masking; the API is FakeEcs."""

from __future__ import annotations

import json

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils import _module
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError
from ansible_collections.alicloud.ecs.plugins.modules import ecs_instance
from ansible_collections.alicloud.ecs.tests.unit.kit import patch_module_args

from .fake_ecs import FakeEcs

CREATE = {
    "name": "web", "image_id": "img-1", "instance_type": "ecs.t1", "security_group_ids": ["sg-1"],
    "access_key": "AK", "secret_key": "the-secret-key", "region": "cn-beijing",
}


@pytest.fixture
def cloud(monkeypatch):
    fake = FakeEcs()
    monkeypatch.setattr(_module, "EcsClient", lambda info: fake)
    for name in ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALICLOUD_REGION", "ALICLOUD_ECS_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)
    return fake


def run_main(args, capsys):
    with patch_module_args(args):
        with pytest.raises(SystemExit) as info:
            ecs_instance.main()
    return info.value.code, json.loads(capsys.readouterr().out)


def test_create_and_result_shape(cloud, capsys):
    code, result = run_main(dict(CREATE, count=2), capsys)
    assert code == 0 and result["changed"]
    expected = {"instances", "instance_ids", "created_ids", "deleted_ids", "modified_ids", "restarted_ids", "started_ids", "stopped_ids"}
    assert expected <= set(result)
    assert len(result["created_ids"]) == 2


def test_check_mode_flag_reaches_the_logic(cloud, capsys):
    code, result = run_main(dict(CREATE, _ansible_check_mode=True), capsys)
    assert code == 0 and result["changed"] and cloud.mutating_calls() == []


@pytest.mark.parametrize(
    "extra,fragment",
    [
        ({"instance_charge_type": "PrePaid"}, "period"),
        ({"spot_strategy": "SpotWithPriceLimit"}, "spot_price_limit"),
        ({"state": "gone"}, "state"),
        ({"count": 1001}, "count must be between 0 and 1000"),
        ({"name": None}, "one of instance_ids or name is required"),
        ({"name": "", "state": "absent"}, "one of instance_ids or name is required"),
        ({"name": "web", "tags": {"team": ["a", "b"]}}, "tag 'team' has a list value"),
    ],
)
def test_bad_input_fails_without_api_calls(cloud, capsys, extra, fragment):
    code, result = run_main(dict(CREATE, **extra), capsys)
    assert code == 1 and result["failed"] and fragment in result["msg"]
    assert cloud.calls == []


def test_api_error_converted_once_and_secrets_masked(cloud, capsys, monkeypatch):
    monkeypatch.setenv("ALICLOUD_SECURITY_TOKEN", "env-token-value")
    message = "signature mismatch: the-secret-key env-token-value"
    cloud.fail_next["RunInstances"] = [EcsApiError("SignatureDoesNotMatch", message, request_id="RID", http_status=400)]
    code, result = run_main(dict(CREATE, password="Pass-w0rd!"), capsys)
    assert code == 1
    assert result["msg"].startswith("Failed to create instances: SignatureDoesNotMatch: ")
    assert result["msg"].endswith("(RequestId RID)")
    assert result["failure"]["code"] == "SignatureDoesNotMatch" and result["failure"]["http_status"] == 400
    text = json.dumps(result)
    assert "the-secret-key" not in text and "env-token-value" not in text and "Pass-w0rd!" not in text


def test_missing_credentials_named(monkeypatch, capsys, tmp_path):
    for name in ("ALICLOUD_ACCESS_KEY", "ALICLOUD_SECRET_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ALICLOUD_CONFIG_FILE", str(tmp_path / "none.json"))
    args = {k: v for k, v in CREATE.items() if k not in ("access_key", "secret_key")}
    code, result = run_main(args, capsys)
    assert code == 1 and "ALICLOUD_ACCESS_KEY" in result["msg"] and result["failure"]["operation"] == "load credentials"


def test_an_empty_instance_ids_changes_nothing_and_warns(cloud, capsys):
    code, result = run_main(dict(CREATE, instance_ids=[], count=3), capsys)
    assert code == 0 and not result["changed"] and result["instance_ids"] == []
    assert cloud.calls == []  # the warning is asserted in test_ecs_instance_logic.py
