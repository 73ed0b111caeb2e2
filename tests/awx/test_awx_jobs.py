"""Job templates and inventory updates as AWX runs them (ansible-runner), for each way to authenticate.

The credential is our AWX credential type, its injectors rendered as AWX renders them; the project
installs the collection tarball from collections/requirements.yml; survey answers are strings. What
happened is read from the emulator (instances, call log, issued credentials, metadata requests).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

from tests.awx.conftest import (
    ADMIN_ROLE,
    ECS_ROLE,
    EXTERNAL_ID,
    EXTERNAL_ROLE,
    REGION,
    credential_inputs,
    render_injectors,
    task_env,
)
from tests.helpers.emulator import DEFAULT_KEY, run_instances

KINDS = ["static", "ram_role_arn", "ecs_ram_role"]
# ansible-runner starts ansible with pexpect (forkpty) from the threaded test process, as AWX does.
pytestmark = pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
NETWORK = {"vswitch_id": "vsw-2zeemudefaulth", "security_group_ids": ["sg-2zeemudefault"]}
IMAGE = {"image_id": "ubuntu_22_04_x64_20G_alibase_20240130.vhd", "instance_type": "ecs.n1.small"}
TOKEN = re.compile(r"CAIS[A-Za-z0-9]{20,}")
ECS_ROLE_ARN = "acs:ram::1234567890123456:role/" + ECS_ROLE


def survey(name: str) -> dict[str, str]:
    """Survey answers of the provisioning job template: every value a string, as AWX hands them over."""
    return {
        "ecs_provision_name": name,
        "ecs_provision_count": "2",
        "ecs_provision_image_id": IMAGE["image_id"],
        "ecs_provision_instance_type": IMAGE["instance_type"],
        "ecs_provision_vswitch_id": NETWORK["vswitch_id"],
        "ecs_provision_security_group_ids": json.dumps(NETWORK["security_group_ids"]),
        "ecs_provision_internet_max_bandwidth_out": "5",
    }


def ecs_calls(emulator) -> list[dict]:
    return [c for c in emulator.calls() if c["version"] != "2015-04-01"]


def issued(emulator) -> dict[str, dict]:
    return {i["access_key_id"]: i for i in emulator.control("GET", "identity")["issued"]}


def metadata_secret(emulator) -> str | None:
    """The secret the metadata service hands out now (the same while fresh); None without a role."""
    url = emulator.endpoint + "/_emulator/metadata/latest/meta-data/ram/security-credentials/" + ECS_ROLE
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return json.loads(response.read())["AccessKeySecret"]
    except urllib.error.HTTPError:
        return None


def assert_signed_as(emulator, kind: str) -> None:
    """Every ECS call was signed by the credentials this kind of AWX credential stands for."""
    calls = ecs_calls(emulator)
    assert calls and all(c["status"] is not None for c in calls)
    keys = {c["access_key_id"] for c in calls}
    if kind == "static":
        assert keys == {DEFAULT_KEY[0]} and emulator.calls("AssumeRole") == []
        return
    temporary = issued(emulator)
    role = ADMIN_ROLE if kind == "ram_role_arn" else ECS_ROLE_ARN
    assert keys <= set(temporary) and {temporary[k]["role_arn"] for k in keys} == {role}, (keys, temporary)
    if kind == "ram_role_arn":
        assumed = emulator.calls("AssumeRole")
        assert assumed and {c["access_key_id"] for c in assumed} == {DEFAULT_KEY[0]}
        assert {(c["parameters"]["RoleSessionName"], c["parameters"]["DurationSeconds"]) for c in assumed} == {("awx-job", "900")}
    else:
        requests = emulator.control("GET", "identity")["metadata_requests"]
        assert requests and {r["status"] for r in requests} == {200}


def assert_no_secret(job, emulator, kind: str) -> None:
    text = job.artifacts_text()
    assert text, "ansible-runner left no artifacts"
    assert DEFAULT_KEY[1] not in text and EXTERNAL_ID not in text
    assert not TOKEN.search(text), TOKEN.search(text).group(0)[:12]
    secret = metadata_secret(emulator) if kind == "ecs_ram_role" else None
    if secret:
        assert secret not in text


@pytest.mark.parametrize("kind", KINDS)
def test_job_template_provisions_and_tears_down(awx_job, emulator, kind):
    name = "awx-%s" % kind.replace("_", "-")
    envvars = dict(render_injectors(credential_inputs(kind, emulator)), **task_env(emulator))
    awx_job.write_env(envvars, survey(name))
    result = awx_job.run_playbook("site.yml", [{"ansible.builtin.import_playbook": "alicloud.ecs.provision_postpaid"}])
    assert (result.status, result.rc) == ("successful", 0), result.stdout.read()[-6000:]
    mine = [i for i in emulator.instances() if i["InstanceName"] == name]
    assert len(mine) == 2 and {i["Status"] for i in mine} == {"Running"}
    assert all(i["PublicIpAddress"]["IpAddress"] for i in mine)
    assert_signed_as(emulator, kind)

    awx_job.write_env(envvars, {"ecs_teardown_names": json.dumps([name])})
    result = awx_job.run_playbook("teardown.yml", [{"ansible.builtin.import_playbook": "alicloud.ecs.teardown"}])
    assert (result.status, result.rc) == ("successful", 0), result.stdout.read()[-6000:]
    assert [i for i in emulator.instances() if i["InstanceName"] == name] == []
    assert_no_secret(awx_job, emulator, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_inventory_update(awx_job, emulator, kind):
    status, body = run_instances(emulator, amount=2, InstanceName="awx-inventory")
    assert status == 200, body
    created = set(body["InstanceIdSets"]["InstanceIdSet"])
    emulator.clear_calls()
    inputs = credential_inputs(kind, emulator)
    if kind == "ram_role_arn":  # the role whose trust policy asks for an external id
        inputs.update(assume_role_arn=EXTERNAL_ROLE, assume_role_external_id=EXTERNAL_ID)
    awx_job.write_env(dict(render_injectors(inputs), **task_env(emulator)))
    source = {"plugin": "alicloud.ecs.ecs", "regions": [REGION, "cn-hangzhou"], "hostnames": ["instance_id"],
              "keyed_groups": [{"key": "ecs_zone_id", "prefix": "zone"}]}
    data, rc, output = awx_job.inventory_update(source)
    assert rc == 0 and data is not None, output[-6000:]
    assert set(data["_meta"]["hostvars"]) == created
    assert set(data["zone_cn_hangzhou_h"]["hosts"]) == created
    if kind != "ram_role_arn":
        assert_signed_as(emulator, kind)
    else:
        assumed = emulator.calls("AssumeRole")
        assert len(assumed) == 1, "one AssumeRole for both regions"
        assert assumed[0]["parameters"]["RoleArn"] == EXTERNAL_ROLE
        assert {issued(emulator)[c["access_key_id"]]["role_arn"] for c in ecs_calls(emulator)} == {EXTERNAL_ROLE}
    assert EXTERNAL_ID not in output and DEFAULT_KEY[1] not in output and not TOKEN.search(output)
    assert not TOKEN.search(json.dumps(data)) and DEFAULT_KEY[1] not in json.dumps(data)


@pytest.mark.parametrize("kind", ["ram_role_arn", "ecs_ram_role"])
def test_credentials_are_renewed_during_a_long_wait(awx_job, emulator, kind):
    """Temporary credentials that last 4 s, a wait of about 9 s: the job goes on with renewed ones."""
    emulator.config({"sts_credential_lifetime": 4, "metadata_credential_lifetime": 4,
                     "delays": {"Pending": 4, "Starting": 5, "Stopping": 0}})
    envvars = dict(render_injectors(credential_inputs(kind, emulator)), **task_env(emulator))
    awx_job.write_env(envvars, {"awx_name": "awx-renew", "awx_wait_timeout": "120"})
    instance = dict(IMAGE, **NETWORK, name="{{ awx_name }}", wait_timeout="{{ awx_wait_timeout }}")
    play = [{
        "name": "A long wait",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {"name": "Create and wait until running", "alicloud.ecs.ecs_instance": dict(instance, state="running")},
            {"name": "Release", "alicloud.ecs.ecs_instance": {"name": "{{ awx_name }}", "state": "absent", "force_release": True}},
        ],
    }]
    result = awx_job.run_playbook("renew.yml", play)
    assert (result.status, result.rc) == ("successful", 0), result.stdout.read()[-6000:]
    calls = ecs_calls(emulator)
    assert not [c for c in calls if (c["code"] or "").startswith("InvalidSecurityToken")], calls
    keys = [c["access_key_id"] for c in calls]
    assert len(set(keys)) >= 2, "the credentials were never renewed: %s" % keys
    times = issued(emulator)
    for call in calls:  # each call was signed with credentials that had not expired
        expiration = times[call["access_key_id"]]["expiration"]
        assert call["time"][:19] + "Z" < expiration or call["time"][:19] + "Z" == expiration
    if kind == "ram_role_arn":
        assert len(emulator.calls("AssumeRole")) >= 2
    assert_no_secret(awx_job, emulator, kind)


def test_old_option_names_of_alibaba_alicloud_still_work_with_a_deprecation(awx_job, emulator):
    """A job migrated from community.general.ali_instance / alibaba.alicloud: the old names, warned about."""
    awx_job.write_env({"ALICLOUD_ECS_ENDPOINT": emulator.endpoint, "ALICLOUD_ACCESS_KEY_ID": DEFAULT_KEY[0]})
    play = [{
        "name": "Old names",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [{
            "name": "List instances",
            "alicloud.ecs.ecs_instance_info": {"alicloud_secret_key": DEFAULT_KEY[1], "alicloud_region": REGION},
            "register": "result",
        }, {
            "name": "Check",
            "ansible.builtin.assert": {"that": ["result.instances is defined"]},
        }],
    }]
    result = awx_job.run_playbook("old.yml", play)
    stdout = result.stdout.read()
    assert (result.status, result.rc) == ("successful", 0), stdout[-6000:]
    assert {c["access_key_id"] for c in ecs_calls(emulator)} == {DEFAULT_KEY[0]}
    deprecations = " ".join(stdout.split())
    for name in ("alicloud_secret_key", "alicloud_region", "ALICLOUD_ACCESS_KEY_ID"):
        assert name in deprecations, name
    assert DEFAULT_KEY[1] not in awx_job.artifacts_text()


def info_play(name: str = "List") -> list[dict]:
    return [{
        "name": name,
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [{"name": "List instances", "alicloud.ecs.ecs_instance_info": {}, "register": "result"}],
    }]


def failed_message(result) -> str:
    failures = [e for e in result.events if e.get("event") == "runner_on_failed"]
    assert failures, "no task failed"
    return failures[0]["event_data"]["res"]["msg"]


@pytest.mark.parametrize(
    "kind,change,config,fragment",
    [
        ("ram_role_arn", {"assume_role_arn": "acs:ram::1234567890123456:role/nobody"}, {},
         "Failed to assume RAM role acs:ram::1234567890123456:role/nobody: EntityNotExist.Role"),
        ("ram_role_arn", {"access_key": "LTAI5tEmulatorReadOnlyKey", "secret_key": "emulator-readonly-secret"}, {},
         "NoPermission: You are not authorized"),
        ("ram_role_arn", {"assume_role_duration_seconds": "60"}, {},
         "ALICLOUD_ASSUME_ROLE_SESSION_EXPIRATION"),
        ("ecs_ram_role", {}, {"metadata_role": ""},
         "answered HTTP 404: no RAM role named EmulatorEcsRole is attached to this instance"),
    ],
)
def test_credential_failures_name_the_cause(awx_job, emulator, kind, change, config, fragment):
    if config:
        emulator.config(config)
    inputs = dict(credential_inputs(kind, emulator), **change)
    awx_job.write_env(dict(render_injectors(inputs), **task_env(emulator)))
    result = awx_job.run_playbook("fails.yml", info_play())
    assert result.status == "failed"
    message = failed_message(result)
    assert fragment in message or fragment in " ".join(message.split()), message
    assert ecs_calls(emulator) == []
    assert_no_secret(awx_job, emulator, kind)
    assert "emulator-readonly-secret" not in awx_job.artifacts_text()


def test_ecs_ram_role_in_hardened_metadata_mode(awx_job, emulator):
    """A metadata service that answers only with a session token (PUT /latest/api/token first)."""
    emulator.config({"metadata_require_token": True})
    awx_job.write_env(dict(render_injectors(credential_inputs("ecs_ram_role", emulator)), **task_env(emulator)))
    result = awx_job.run_playbook("hardened.yml", info_play())
    assert (result.status, result.rc) == ("successful", 0), result.stdout.read()[-6000:]
    requests = emulator.control("GET", "identity")["metadata_requests"]
    assert [r["method"] for r in requests][:1] == ["PUT"] and {r["status"] for r in requests} == {200}
    assert_signed_as(emulator, "ecs_ram_role")
