"""Every role input given as a string, as `-e name=value` and AWX surveys deliver them, through the playbooks.

Form "cli" passes each input as its own ``-e name=value`` (the README's commands); form "awx" passes one
JSON dict whose every value is a string (how AWX hands over survey answers). Results are read from the
emulator (its instance list and call log), not from the playbook output.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.helpers.emulator import DEFAULT_KEY, STS_KEY
from tests.roles.conftest import NETWORK_VARS, REGION

FORMS = ["cli", "awx"]
# Each pair: a spelling of false, then the matching spelling of true.
BOOLEAN_WORDS = [("false", "true"), ("no", "yes"), ("0", "1")]
SECURITY_GROUP = NETWORK_VARS["ecs_provision_security_group_ids"][0]


def recap(stdout: str) -> dict[str, int]:
    match = re.search(r"^localhost\s*:\s*(.*)$", stdout, re.MULTILINE)
    assert match, stdout
    return {key: int(value) for key, value in re.findall(r"(\w+)=(\d+)", match.group(1))}


def dry_run(call: dict) -> bool:
    return str(call["parameters"].get("DryRun", "false")).lower() == "true"


def mutating(calls: list[dict]) -> list[str]:
    """Actions that may change something: no reads, no DryRun probes (the module checks ClientTokens with them)."""
    return [c["action"] for c in calls if not c["action"].startswith("Describe") and not dry_run(c)]


def real_calls(emulator, action: str) -> list[dict]:
    """The calls of ``action`` that were not DryRun probes."""
    return [c for c in emulator.calls(action) if not dry_run(c)]


def output(result) -> str:
    return result.stdout + result.stderr


def tags(instance: dict) -> dict[str, str]:
    return {t["TagKey"]: t["TagValue"] for t in instance.get("Tags", {}).get("Tag", [])}


def as_list(form: str, items: list[str]) -> str:
    """A list as a string: comma-separated on the command line, JSON in a survey answer."""
    return ",".join(items) if form == "cli" else json.dumps(items)


def as_dict(form: str, values: dict[str, str]) -> str:
    """A dict as a string: key=value pairs on the command line, JSON in a survey answer."""
    if form == "cli":
        return ",".join(f"{k}={v}" for k, v in values.items())
    return json.dumps(values)


def network(form: str) -> dict[str, str]:
    return {
        "ecs_provision_image_id": NETWORK_VARS["ecs_provision_image_id"],
        "ecs_provision_instance_type": NETWORK_VARS["ecs_provision_instance_type"],
        "ecs_provision_vswitch_id": NETWORK_VARS["ecs_provision_vswitch_id"],
        "ecs_provision_security_group_ids": as_list(form, [SECURITY_GROUP]),
    }


def create_protected_instance(runner, tmp_path, name: str, instance_tags: dict[str, str]) -> str:
    play = [{"name": "A protected instance", "hosts": "localhost", "connection": "local", "gather_facts": False,
             "tasks": [{"name": "Create it with deletion protection", "alicloud.ecs.ecs_instance": {
                 "name": name, "tags": instance_tags, "state": "running", "deletion_protection": True,
                 "image_id": NETWORK_VARS["ecs_provision_image_id"],
                 "instance_type": NETWORK_VARS["ecs_provision_instance_type"],
                 "vswitch_id": NETWORK_VARS["ecs_provision_vswitch_id"],
                 "security_group_ids": NETWORK_VARS["ecs_provision_security_group_ids"]}}]}]
    path = tmp_path / "protected.yml"
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    created = runner.playbook(str(path))
    assert created.returncode == 0, output(created)
    (instance,) = runner.emu.instances()
    assert instance["DeletionProtection"] is True
    return instance["InstanceId"]


@pytest.mark.parametrize("form", FORMS)
def test_provision_postpaid_with_every_input_a_string(runner, emulator, form):
    """Count, bandwidth, lists, dicts, credentials: all strings, and the instances are what they say."""
    inputs = {
        "ecs_provision_name": "test_strings_postpaid",
        "ecs_provision_charge_type": "PostPaid",
        "ecs_provision_count": "2",
        **network(form),
        "ecs_provision_zone_id": "cn-hangzhou-h",
        "ecs_provision_tags": as_dict(form, {"env": "test", "tier": "web"}),
        "ecs_provision_internet_max_bandwidth_out": "5",
        "ecs_provision_internet_charge_type": "PayByBandwidth",
        "ecs_provision_key_pair_name": "emulator-keypair",
        "ecs_provision_password": "Test-Passw0rd",
        "ecs_provision_system_disk": as_dict(form, {"category": "cloud_essd", "size": "40",
                                                    "performance_level": "PL1"}),
        "ecs_provision_wait_timeout": "120",
        # Subscription inputs are validated but ignored for PostPaid.
        "ecs_provision_period": "2",
        "ecs_provision_period_unit": "Month",
        "ecs_provision_auto_renew": "false",
        "ecs_provision_auto_renew_period": "1",
        # Credentials from the role variables, nothing in the environment; STS in the survey form.
        "ecs_provision_region": REGION,
        "ecs_provision_endpoint": emulator.endpoint,
    }
    key = DEFAULT_KEY if form == "cli" else STS_KEY
    inputs.update(ecs_provision_access_key=key[0], ecs_provision_secret_key=key[1])
    if form == "awx":
        inputs["ecs_provision_security_token"] = STS_KEY[2]

    first = runner.playbook_strings("provision_postpaid", inputs, form, credentials_in_env=False)
    assert first.returncode == 0, output(first)
    (run,) = real_calls(emulator, "RunInstances")
    params = run["parameters"]
    assert params["Amount"] == "2" and params["InstanceChargeType"] == "PostPaid"
    assert not {"Period", "PeriodUnit", "AutoRenew", "AutoRenewPeriod"} & set(params)
    assert (params["SystemDisk.Category"], params["SystemDisk.Size"], params["SystemDisk.PerformanceLevel"]) == (
        "cloud_essd", "40", "PL1")
    assert params["Password"] and params["KeyPairName"] == "emulator-keypair"
    assert {c["access_key_id"] for c in emulator.calls()} == {key[0]}
    instances = emulator.instances()
    assert len(instances) == 2
    for instance in instances:
        assert instance["InstanceName"] == "test_strings_postpaid" and instance["Status"] == "Running"
        assert instance["InstanceChargeType"] == "PostPaid" and instance["ZoneId"] == "cn-hangzhou-h"
        assert tags(instance) == {"env": "test", "tier": "web"}
        assert instance["SecurityGroupIds"]["SecurityGroupId"] == [SECURITY_GROUP]
        assert instance["InternetMaxBandwidthOut"] == 5 and instance["InternetChargeType"] == "PayByBandwidth"
        assert instance["PublicIpAddress"]["IpAddress"] and instance["KeyPairName"] == "emulator-keypair"
    assert key[1] not in output(first) and "Test-Passw0rd" not in output(first)

    emulator.clear_calls()
    second = runner.playbook_strings("provision_postpaid", inputs, form, credentials_in_env=False)
    assert second.returncode == 0, output(second)
    assert recap(second.stdout)["changed"] == 0
    assert mutating(emulator.calls()) == []
    assert len(emulator.instances()) == 2


def test_empty_optional_strings_count_as_unset(runner, emulator):
    """Unanswered survey questions arrive as empty strings: they are left out, not sent as empty parameters."""
    inputs = {**network("cli"), "ecs_provision_zone_id": "", "ecs_provision_key_pair_name": "",
              "ecs_provision_password": "", "ecs_provision_endpoint": "", "ecs_provision_region": "",
              "ecs_provision_access_key": "", "ecs_provision_secret_key": "", "ecs_provision_security_token": ""}
    result = runner.playbook_strings("provision_postpaid", inputs, "awx")
    assert result.returncode == 0, output(result)
    (run,) = real_calls(emulator, "RunInstances")
    assert not {"ZoneId", "KeyPairName", "Password"} & {k for k, v in run["parameters"].items() if v == ""}
    assert {c["access_key_id"] for c in emulator.calls()} == {DEFAULT_KEY[0]}, "credentials from the environment"
    (instance,) = emulator.instances()
    assert instance["Status"] == "Running" and instance["KeyPairName"] == ""


@pytest.mark.parametrize("true_word", [true for _, true in BOOLEAN_WORDS])
@pytest.mark.parametrize("form", FORMS)
def test_provision_prepaid_with_string_period_and_auto_renew(runner, emulator, form, true_word):
    """`-e ecs_provision_period=3` (the README's command) and a true auto-renew, both as strings."""
    period, unit = ("3", "Month") if form == "cli" else ("4", "Week")
    inputs = {**network(form), "ecs_provision_count": "1", "ecs_provision_period": period,
              "ecs_provision_period_unit": unit, "ecs_provision_auto_renew": true_word,
              "ecs_provision_auto_renew_period": "2", "ecs_provision_internet_max_bandwidth_out": "0"}
    result = runner.playbook_strings("provision_prepaid", inputs, form)
    assert result.returncode == 0, output(result)
    (run,) = real_calls(emulator, "RunInstances")
    params = run["parameters"]
    assert (params["InstanceChargeType"], params["Period"], params["PeriodUnit"]) == ("PrePaid", period, unit)
    assert (params["AutoRenew"].lower(), params["AutoRenewPeriod"]) == ("true", "2")
    assert "InternetMaxBandwidthOut" not in params or params["InternetMaxBandwidthOut"] == "0"
    (instance,) = emulator.instances()
    assert instance["InstanceChargeType"] == "PrePaid" and instance["Status"] == "Running"
    assert instance["InternetMaxBandwidthOut"] == 0 and not instance["PublicIpAddress"]["IpAddress"]
    assert emulator.calls("AllocatePublicIpAddress") == []


@pytest.mark.parametrize("false_word, true_word", BOOLEAN_WORDS, ids=["-".join(p) for p in BOOLEAN_WORDS])
@pytest.mark.parametrize("form", FORMS)
def test_teardown_converts_a_subscription_only_when_asked(runner, emulator, form, false_word, true_word):
    """A false word keeps the subscription (no conversion, nothing released); the true word converts and releases."""
    provision = {**network(form), "ecs_provision_period": "1", "ecs_provision_auto_renew": false_word,
                 "ecs_provision_auto_renew_period": "2"}
    created = runner.playbook_strings("provision_prepaid", provision, form)
    assert created.returncode == 0, output(created)
    (run,) = real_calls(emulator, "RunInstances")
    assert run["parameters"].get("AutoRenew", "false").lower() == "false"
    assert "AutoRenewPeriod" not in run["parameters"]
    (instance,) = emulator.instances()
    instance_id = instance["InstanceId"]
    assert instance["InstanceChargeType"] == "PrePaid"

    teardown = {"ecs_teardown_names": "[]", "ecs_teardown_instance_ids": as_list(form, [instance_id]),
                "ecs_teardown_tags": as_dict(form, {"provisioned-by": "alicloud.ecs"}),
                "ecs_teardown_convert_prepaid": false_word, "ecs_teardown_disable_deletion_protection": false_word,
                "ecs_teardown_force": false_word, "ecs_teardown_wait_timeout": "120"}
    emulator.clear_calls()
    refused = runner.playbook_strings("teardown", teardown, form)
    assert refused.returncode != 0
    assert "convert_prepaid_on_delete" in refused.stdout and instance_id in refused.stdout, output(refused)
    (kept,) = emulator.instances()
    assert kept["InstanceId"] == instance_id and kept["InstanceChargeType"] == "PrePaid"
    assert mutating(emulator.calls()) == []

    emulator.clear_calls()
    released = runner.playbook_strings("teardown", {**teardown, "ecs_teardown_convert_prepaid": true_word}, form)
    assert released.returncode == 0, output(released)
    assert emulator.instances() == []
    actions = mutating(emulator.calls())
    assert "ModifyInstanceChargeType" in actions
    # ecs_teardown_force false: stopped first, then released without Force.
    assert "StopInstances" in actions
    (delete,) = real_calls(emulator, "DeleteInstances")
    assert delete["parameters"].get("Force", "false").lower() == "false"
    assert f"Released 1 instance(s): {instance_id}" in released.stdout


@pytest.mark.parametrize("false_word, true_word", BOOLEAN_WORDS, ids=["-".join(p) for p in BOOLEAN_WORDS])
@pytest.mark.parametrize("form", FORMS)
def test_teardown_turns_deletion_protection_off_only_when_asked(runner, emulator, tmp_path, form, false_word,
                                                               true_word):
    """`-e ecs_teardown_disable_deletion_protection=false` must not release a protected instance."""
    # Name and tags of provision_postpaid.yml, which the teardown playbook selects by default.
    instance_id = create_protected_instance(runner, tmp_path, "postpaid", {"provisioned-by": "alicloud.ecs"})
    booleans = {"ecs_teardown_disable_deletion_protection": false_word, "ecs_teardown_force": false_word,
                "ecs_teardown_convert_prepaid": false_word}
    every_input = {**booleans, "ecs_teardown_names": as_list(form, ["postpaid"]),
                   "ecs_teardown_tags": as_dict(form, {"provisioned-by": "alicloud.ecs"}),
                   "ecs_teardown_wait_timeout": "120"}
    for inputs in (booleans, every_input):
        emulator.clear_calls()
        refused = runner.playbook_strings("teardown", inputs, form)
        assert refused.returncode != 0
        assert "deletion protection" in refused.stdout and instance_id in refused.stdout, output(refused)
        (kept,) = emulator.instances()
        assert kept["InstanceId"] == instance_id and kept["DeletionProtection"] is True
        assert kept["Status"] == "Running"
        assert mutating(emulator.calls()) == []

    emulator.clear_calls()
    released = runner.playbook_strings(
        "teardown",
        {**every_input, "ecs_teardown_disable_deletion_protection": true_word, "ecs_teardown_force": true_word},
        form)
    assert released.returncode == 0, output(released)
    assert emulator.instances() == []
    actions = mutating(emulator.calls())
    assert "ModifyInstanceAttribute" in actions and "StopInstances" not in actions
    (delete,) = real_calls(emulator, "DeleteInstances")
    assert delete["parameters"]["Force"].lower() == "true"
    assert f"Released 1 instance(s): {instance_id}" in released.stdout


@pytest.mark.parametrize(
    "form, groups, instance_tags",
    [
        ("cli", f'["{SECURITY_GROUP}"]', 'env=test,team="a,b"'),
        ("awx", f'["{SECURITY_GROUP}"]', '{"env": "test", "team": "a,b"}'),
        ("awx", f' ["{SECURITY_GROUP}"] ', "{'env': 'test', 'team': 'a,b'}"),
        ("awx", f" {SECURITY_GROUP} , ", "env=test team='a,b'"),
    ],
    ids=["cli-json-list-quoted-pairs", "awx-json", "awx-python-literal-dict", "awx-spaced-list-and-pairs"],
)
def test_list_and_dict_strings_are_read_as_lists_and_dicts(runner, emulator, form, groups, instance_tags):
    """A JSON list, a comma-separated list, a JSON or Python-literal dict and key=value pairs all give the same."""
    inputs = {**network(form), "ecs_provision_security_group_ids": groups, "ecs_provision_tags": instance_tags}
    result = runner.playbook_strings("provision_postpaid", inputs, form)
    assert result.returncode == 0, output(result)
    (instance,) = emulator.instances()
    assert instance["SecurityGroupIds"]["SecurityGroupId"] == [SECURITY_GROUP]
    assert tags(instance) == {"env": "test", "team": "a,b"}


# Strings the argument spec lets through (it converts them for its check only) that the roles must refuse.
INVALID = [
    ("provision_postpaid", "ecs_provision_count", "0", "ecs_provision_count must be between 1 and 1000 (got 0)"),
    ("provision_postpaid", "ecs_provision_count", "1001", "ecs_provision_count must be between 1 and 1000 (got 1001)"),
    ("provision_postpaid", "ecs_provision_internet_max_bandwidth_out", "-1",
     "ecs_provision_internet_max_bandwidth_out must not be negative (got -1)"),
    ("provision_postpaid", "ecs_provision_security_group_ids", '["sg-1"',
     "Cannot read ecs_provision_security_group_ids: Expecting"),
    ("provision_postpaid", "ecs_provision_security_group_ids", "[]",
     "ecs_provision_security_group_ids must not be empty"),
    ("provision_postpaid", "ecs_provision_security_group_ids", '{"sg-1":1}',
     "ecs_provision_security_group_ids must be a list"),
    # Quotes inside a value: the argument spec reads env=prod, the role refuses rather than guess.
    ("provision_postpaid", "ecs_provision_tags", "env=pr'od'", "ecs_provision_tags must be a dict"),
    ("teardown", "ecs_teardown_names", '["web"', "Cannot read ecs_teardown_names: Expecting"),
    ("teardown", "ecs_teardown_instance_ids", '{"i-1":1}', "ecs_teardown_instance_ids must be a list"),
]
# Strings the argument spec itself refuses, naming the input: the roles must keep it that way.
REFUSED_BY_THE_SPEC = [
    ("provision_postpaid", "ecs_provision_count", "abc", "ecs_provision_count"),
    ("provision_postpaid", "ecs_provision_internet_max_bandwidth_out", "abc",
     "ecs_provision_internet_max_bandwidth_out"),
    ("provision_postpaid", "ecs_provision_wait_timeout", "soon", "ecs_provision_wait_timeout"),
    ("provision_postpaid", "ecs_provision_tags", '{"env":', "ecs_provision_tags"),
    ("provision_postpaid", "ecs_provision_system_disk", '{"size":"x"}', "ecs_provision_system_disk"),
    ("provision_prepaid", "ecs_provision_period", "abc", "ecs_provision_period"),
    ("provision_prepaid", "ecs_provision_auto_renew", "maybe", "ecs_provision_auto_renew"),
    ("teardown", "ecs_teardown_convert_prepaid", "maybe", "ecs_teardown_convert_prepaid"),
    ("teardown", "ecs_teardown_disable_deletion_protection", "maybe", "ecs_teardown_disable_deletion_protection"),
    ("teardown", "ecs_teardown_force", "maybe", "ecs_teardown_force"),
    ("teardown", "ecs_teardown_wait_timeout", "abc", "ecs_teardown_wait_timeout"),
]


def case_id(case: tuple) -> str:
    return f"{case[1].split('_', 2)[2]}={case[2]}"


def refused_before_any_api_call(runner, emulator, form, playbook, name, value):
    inputs = network(form) if playbook.startswith("provision") else {}
    inputs[name] = value
    result = runner.playbook_strings(playbook, inputs, form)
    assert result.returncode != 0
    assert emulator.calls() == []
    return output(result)


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("playbook, name, value, message", INVALID, ids=[case_id(c) for c in INVALID])
def test_invalid_string_is_refused_before_any_api_call(runner, emulator, form, playbook, name, value, message):
    text = refused_before_any_api_call(runner, emulator, form, playbook, name, value)
    assert message in text, text


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("playbook, name, value, message", REFUSED_BY_THE_SPEC,
                         ids=[case_id(c) for c in REFUSED_BY_THE_SPEC])
def test_string_the_argument_spec_refuses_stays_refused(runner, emulator, form, playbook, name, value, message):
    """Guards (these already pass before the conversion): the argument spec still runs first."""
    text = refused_before_any_api_call(runner, emulator, form, playbook, name, value)
    assert "Validation of arguments failed" in text and message in text, text


@pytest.mark.parametrize("form", FORMS)
def test_classic_flow_with_string_inputs(runner, emulator, form):
    """Guard (passes before the conversion too: the modules convert these strings themselves)."""
    inputs = {"classic_flow_name": "test_classic_strings", "classic_flow_bandwidth_out": "3",
              "classic_flow_wait_timeout": "120",
              "classic_flow_tags": as_dict(form, {"created_by": "test", "team": "web"})}
    result = runner.playbook_strings("classic_flow", inputs, form)
    assert result.returncode == 0, output(result)
    (instance,) = emulator.instances()
    assert instance["Status"] == "Running" and instance["InternetMaxBandwidthOut"] == 3
    assert tags(instance) == {"created_by": "test", "team": "web"}
    assert instance["PublicIpAddress"]["IpAddress"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize(
    "name, value, message",
    [
        ("classic_flow_bandwidth_out", "abc", "classic_flow_bandwidth_out must be a whole number of Mbit/s (got abc)"),
        ("classic_flow_wait_timeout", "soon", "classic_flow_wait_timeout must be a whole number of seconds (got soon)"),
        ("classic_flow_tags", "[1]", "classic_flow_tags must be a dict"),
    ],
    ids=["bandwidth_out=abc", "wait_timeout=soon", "tags=[1]"],
)
def test_classic_flow_refuses_invalid_strings_before_any_api_call(runner, emulator, form, name, value, message):
    result = runner.playbook_strings("classic_flow", {name: value}, form)
    assert result.returncode != 0
    assert message in output(result), output(result)
    assert emulator.calls() == []
