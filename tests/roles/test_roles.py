"""roles/ecs_provision and roles/ecs_teardown through the collection's playbooks, by FQCN, against the emulator."""

from __future__ import annotations

import re

import pytest
import yaml

from tests.helpers.emulator import DEFAULT_KEY
from tests.roles.conftest import NETWORK_VARS, REGION


def recap(stdout: str) -> dict[str, int]:
    match = re.search(r"^localhost\s*:\s*(.*)$", stdout, re.MULTILINE)
    assert match, stdout
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def mutating(calls: list[dict]) -> list[str]:
    return [c["action"] for c in calls if not c["action"].startswith("Describe")]


@pytest.mark.parametrize(
    "subscription, message",
    [
        ({"ecs_provision_period": 12, "ecs_provision_period_unit": "Week"}, "period 12 Week (allowed: 1, 2, 3, 4)"),
        ({"ecs_provision_period": 5, "ecs_provision_period_unit": "Week"}, "period 5 Week (allowed: 1, 2, 3, 4)"),
        ({"ecs_provision_period": 1, "ecs_provision_period_unit": "Week", "ecs_provision_auto_renew": True,
          "ecs_provision_auto_renew_period": 6}, "auto-renew period 6 Week (allowed: 1, 2, 3)"),
        ({"ecs_provision_period": 10}, "value of ecs_provision_period must be one of"),
        ({"ecs_provision_period_unit": "Year"}, "value of ecs_provision_period_unit must be one of"),
        ({"ecs_provision_auto_renew_period": 5, "ecs_provision_auto_renew": True}, "value of ecs_provision_auto_renew_period must be one of"),
    ],
    ids=["week-12", "week-5", "renew-week-6", "spec-period-10", "spec-unit-year", "spec-renew-5"],
)
def test_invalid_subscription_is_refused_before_any_api_call(runner, emulator, subscription, message):
    result = runner.playbook("provision_prepaid", {**NETWORK_VARS, **subscription})
    assert result.returncode != 0
    assert message in result.stdout + result.stderr, result.stdout + result.stderr
    assert emulator.calls() == []


def test_required_inputs_are_checked_before_any_api_call(runner, emulator):
    inputs = dict(NETWORK_VARS)
    del inputs["ecs_provision_image_id"]
    result = runner.playbook("provision_postpaid", inputs)
    assert result.returncode != 0
    assert "ecs_provision_image_id" in result.stdout + result.stderr
    assert emulator.calls() == []


@pytest.mark.smoke
def test_prepaid_sends_the_subscription_and_is_idempotent(runner, emulator):
    inputs = {**NETWORK_VARS, "ecs_provision_period": 4, "ecs_provision_period_unit": "Week",
              "ecs_provision_auto_renew": True, "ecs_provision_auto_renew_period": 2}
    first = runner.playbook("provision_prepaid", inputs)
    assert first.returncode == 0, first.stdout + first.stderr
    assert recap(first.stdout)["changed"] == 1
    (run,) = emulator.calls("RunInstances")
    params = run["parameters"]
    assert (params["InstanceChargeType"], params["Period"], params["PeriodUnit"]) == ("PrePaid", "4", "Week")
    assert (params["AutoRenew"].lower(), params["AutoRenewPeriod"]) == ("true", "2")
    assert params["ClientToken"]
    (instance,) = emulator.instances()
    assert instance["InstanceChargeType"] == "PrePaid" and instance["Status"] == "Running"
    assert instance["PublicIpAddress"]["IpAddress"], "bandwidth > 0 gives a public IP"
    assert instance["InstanceId"] in first.stdout and "PrePaid, expires" in first.stdout

    emulator.clear_calls()
    second = runner.playbook("provision_prepaid", inputs)
    assert second.returncode == 0, second.stdout + second.stderr
    assert recap(second.stdout)["changed"] == 0
    assert mutating(emulator.calls()) == []


def test_postpaid_sends_no_subscription_options(runner, emulator):
    result = runner.playbook("provision_postpaid", {**NETWORK_VARS, "ecs_provision_count": 2})
    assert result.returncode == 0, result.stdout + result.stderr
    (run,) = emulator.calls("RunInstances")
    params = run["parameters"]
    assert params["InstanceChargeType"] == "PostPaid" and params["Amount"] == "2"
    assert not {"Period", "PeriodUnit", "AutoRenew", "AutoRenewPeriod"} & set(params)
    assert params["InternetMaxBandwidthOut"] == "5"
    assert len(emulator.instances()) == 2


@pytest.mark.smoke
def test_teardown_refuses_subscriptions_unless_asked_and_is_idempotent(runner, emulator):
    assert runner.playbook("provision_postpaid", NETWORK_VARS).returncode == 0
    assert runner.playbook("provision_prepaid", NETWORK_VARS).returncode == 0
    prepaid = next(i["InstanceId"] for i in emulator.instances() if i["InstanceChargeType"] == "PrePaid")

    refused = runner.playbook("teardown")
    assert refused.returncode != 0
    assert "convert_prepaid_on_delete" in refused.stdout and prepaid in refused.stdout
    assert prepaid in {i["InstanceId"] for i in emulator.instances()}
    assert "ModifyInstanceChargeType" not in mutating(emulator.calls())

    released = runner.playbook("teardown", {"ecs_teardown_convert_prepaid": True})
    assert released.returncode == 0, released.stdout + released.stderr
    assert emulator.instances() == []
    assert "ModifyInstanceChargeType" in mutating(emulator.calls())

    again = runner.playbook("teardown", {"ecs_teardown_convert_prepaid": True})
    assert again.returncode == 0, again.stdout + again.stderr
    assert recap(again.stdout)["changed"] == 0
    assert "Released 0 instance(s): none" in again.stdout


def test_teardown_by_id_ignores_missing_ids(runner, emulator):
    assert runner.playbook("provision_postpaid", NETWORK_VARS).returncode == 0
    (instance,) = emulator.instances()
    ids = [instance["InstanceId"], "i-bp1doesnotexist0000"]
    result = runner.playbook("teardown", {"ecs_teardown_names": [], "ecs_teardown_instance_ids": ids})
    assert result.returncode == 0, result.stdout + result.stderr
    assert emulator.instances() == []
    assert f"Released 1 instance(s): {instance['InstanceId']}" in result.stdout


@pytest.mark.smoke
def test_credentials_from_role_variables_through_module_defaults(runner, emulator, tmp_path):
    """Nothing in the environment: the role variables reach every module through the action group."""
    credentials = {"region": REGION, "access_key": DEFAULT_KEY[0], "secret_key": DEFAULT_KEY[1],
                   "endpoint": emulator.endpoint}
    play = [{
        "name": "Roles with explicit credentials",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "tasks": [
            {"name": "Provision", "ansible.builtin.include_role": {"name": "alicloud.ecs.ecs_provision"},
             "vars": {"ecs_provision_name": "test_role_credentials", **NETWORK_VARS,
                      **{f"ecs_provision_{k}": v for k, v in credentials.items()}}},
            {"name": "Teardown", "ansible.builtin.include_role": {"name": "alicloud.ecs.ecs_teardown"},
             "vars": {"ecs_teardown_names": ["test_role_credentials"],
                      **{f"ecs_teardown_{k}": v for k, v in credentials.items()}}},
        ],
    }]
    path = tmp_path / "explicit.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    result = runner.playbook(str(path), credentials_in_env=False)
    assert result.returncode == 0, result.stdout + result.stderr
    actions = [c["action"] for c in emulator.calls()]
    assert "RunInstances" in actions and "DeleteInstances" in actions
    assert {c["access_key_id"] for c in emulator.calls()} == {DEFAULT_KEY[0]}
    assert DEFAULT_KEY[1] not in result.stdout + result.stderr


def test_public_ip_for_an_instance_that_has_none(runner, emulator, tmp_path):
    # An instance created stopped (CreateInstance) has bandwidth but no public IP address.
    play = [{"name": "Stopped instance", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "tasks": [{"name": "Create it stopped", "alicloud.ecs.ecs_instance": {
                 "name": "postpaid", "tags": {"provisioned-by": "alicloud.ecs"}, "state": "stopped",
                 "image_id": NETWORK_VARS["ecs_provision_image_id"],
                 "instance_type": NETWORK_VARS["ecs_provision_instance_type"],
                 "vswitch_id": NETWORK_VARS["ecs_provision_vswitch_id"],
                 "security_group_ids": NETWORK_VARS["ecs_provision_security_group_ids"],
                 "internet_max_bandwidth_out": 5}}]}]
    path = tmp_path / "stopped.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    created = runner.playbook(str(path))
    assert created.returncode == 0, created.stdout + created.stderr
    (instance,) = emulator.instances()
    assert not instance["PublicIpAddress"]["IpAddress"]

    result = runner.playbook("provision_postpaid", NETWORK_VARS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert len(emulator.calls("AllocatePublicIpAddress")) == 1
    assert emulator.calls("RunInstances") == []
    (instance,) = emulator.instances()
    assert instance["Status"] == "Running"
    assert instance["PublicIpAddress"]["IpAddress"][0] in result.stdout


def test_bandwidth_raised_from_zero_in_place_brings_the_public_ip(runner, emulator):
    first = runner.playbook("provision_postpaid", {**NETWORK_VARS, "ecs_provision_internet_max_bandwidth_out": 0})
    assert first.returncode == 0, first.stdout + first.stderr
    assert "public IP none" in first.stdout

    # ecs_instance raises the bandwidth in place (ModifyInstanceNetworkSpec with AllocatePublicIp), so the
    # instance has its address before ecs_public_ip runs: no second instance, no AllocatePublicIpAddress.
    second = runner.playbook("provision_postpaid", NETWORK_VARS)
    assert second.returncode == 0, second.stdout + second.stderr
    (modify,) = emulator.calls("ModifyInstanceNetworkSpec")
    assert (modify["parameters"]["InternetMaxBandwidthOut"], modify["parameters"]["AllocatePublicIp"].lower()) == ("5", "true")
    assert emulator.calls("AllocatePublicIpAddress") == []
    assert len(emulator.calls("RunInstances")) == 1
    (instance,) = emulator.instances()
    assert instance["InternetMaxBandwidthOut"] == 5  # the playbook's default
    assert instance["PublicIpAddress"]["IpAddress"][0] in second.stdout


def test_new_instances_get_their_public_ip_at_creation(runner, emulator):
    result = runner.playbook("provision_postpaid", NETWORK_VARS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert emulator.calls("AllocatePublicIpAddress") == []
    (instance,) = emulator.instances()
    assert instance["PublicIpAddress"]["IpAddress"][0] in result.stdout
