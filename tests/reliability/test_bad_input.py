"""Bad input: every case fails with a message naming the problem, changes nothing, shows no traceback.

All cases run in one ansible-playbook invocation (``cases.yml``: each task may
fail, its result and the emulator's instances are recorded). A case names the
problem either by the option (argument errors, checks made before any call)
or by the API's code, message and RequestId.
"""

from __future__ import annotations

import re

from tests.helpers.ansible_cli import MUTATING
from tests.helpers.emulator import DEFAULT_KEY, DISABLED_KEY, EXPIRED_STS_KEY, READONLY_KEY, STS_KEY, v1_call, json_body

from .support import CREATE, PLAYBOOKS, REGION, assert_no_traceback, committed, write_output

API_FAILURE = r"^Failed to .+: %s: %s.* \(RequestId [0-9A-F-]{36}\)$"



def api(code: str, message: str = "") -> str:
    return API_FAILURE % (re.escape(code), re.escape(message))


def cases(name: str, protected: str, prepaid: str, no_bandwidth: str) -> list[dict]:
    create = dict(CREATE, name=name, count=1, state="running")
    keys = {"access_key": DEFAULT_KEY[0], "secret_key": DEFAULT_KEY[1]}
    table = [
        # -- argument spec: wrong types, choices, missing and conflicting options
        ("count-not-an-int", dict(create, count="many"), r"\bcount\b.*\bint\b"),
        ("count-a-float", dict(create, count=1.5), r"\bcount\b.*\bint\b"),
        ("state-unknown", dict(create, state="deleted"), r"\bstate\b.*one of"),
        ("charge-type-unknown", dict(create, instance_charge_type="Monthly"), r"\binstance_charge_type\b.*one of"),
        ("tags-not-a-dict", dict(create, tags=["env"]), r"\btags\b.*\bdict\b"),
        ("tag-list-value", dict(create, tags={"team": ["a", "b"]}), r"tag 'team' has a list value"),
        ("tag-dict-value", dict(create, tags={"team": {"a": 1}}), r"tag 'team' has a dict value"),
        ("ordered-name", dict(create, name="web[1,3]"), r"ordered-name syntax"),
        ("spot-price-not-a-number", dict(create, spot_strategy="SpotWithPriceLimit", spot_price_limit="nan"),
         r"spot_price_limit must be a positive number"),
        ("remove-surplus-not-a-bool", dict(create, remove_surplus="perhaps"), r"\bremove_surplus\b.*\bbool"),
        ("data-disk-without-size", dict(create, data_disks=[{"category": "cloud_essd"}]),
         r"\bsize\b.*data_disks|data_disks.*\bsize\b"),
        ("system-disk-category-unknown", dict(create, system_disk={"category": "floppy"}), r"\bcategory\b.*one of"),
        ("neither-name-nor-ids", {k: v for k, v in create.items() if k != "name"},
         r"one of the following is required: .*(instance_ids, name|name, instance_ids)"),
        ("prepaid-without-period", dict(create, instance_charge_type="PrePaid"),
         r"instance_charge_type is PrePaid but all of the following are missing: period"),
        ("period-with-postpaid", dict(create, instance_charge_type="PostPaid", period=1),
         r"\bperiod\b.*instance_charge_type=PrePaid"),
        ("period-without-charge-type", dict(create, period=1), r"\bperiod\b.*instance_charge_type=PrePaid"),
        ("price-limit-missing", dict(create, spot_strategy="SpotWithPriceLimit"),
         r"spot_strategy is SpotWithPriceLimit but all of the following are missing: spot_price_limit"),
        ("spot-with-prepaid", dict(create, instance_charge_type="PrePaid", period=1, spot_strategy="SpotAsPriceGo"),
         r"\bspot_strategy\b.*PostPaid"),
        ("negative-count", dict(create, count=-1), r"\bcount\b.*between 0 and"),
        ("huge-count", dict(create, count=100000), r"\bcount\b.*between 0 and 1000"),
        ("create-without-image-and-type", {"name": name, "count": 1}, r"\bimage_id\b.*\binstance_type\b"),
        ("system-disk-shrink", dict(CREATE, name=protected, system_disk={"size": 20}), r"system_disk.size 20 GiB is smaller"),
        ("type-change-without-allow-stop", dict(CREATE, name=protected, instance_type="ecs.s2.large"),
         r"needs it stopped; set allow_stop: true"),
        ("renew-shorter-than-its-window", dict(create, instance_charge_type="PrePaid", period=1,
                                               renew={"period": 1, "period_unit": "Week", "within_days": 7}),
         r"renew.period \(1 Week\) must last longer than renew.within_days"),
        ("unknown-instance-ids", {"instance_ids": ["i-2zedoesnotexist00001"], "state": "running", "visibility_timeout": 3},
         r"i-2zedoesnotexist00001 given in instance_ids are not listed .*may not exist in region cn-beijing"),
        ("malformed-endpoint", dict(create, endpoint="not a url!"), r"\bendpoint\b.*not a URL"),
        ("malformed-region", dict(create, region="cn beijing"), r"valid region"),
        ("ca-bundle-missing", dict(create, ca_bundle="/nonexistent/ca.pem"), r"\bca_bundle\b.*not a file"),
        # -- the API says no (code, message and RequestId)
        ("period-invalid", dict(create, instance_charge_type="PrePaid", period=13), api("InvalidPeriod")),
        ("password-malformed", dict(create, password="short"), api("InvalidPassword.Malformed")),
        ("unknown-image", dict(create, image_id="m-doesnotexist"), api("InvalidImageId.NotFound")),
        ("unknown-instance-type", dict(create, instance_type="ecs.nope.huge"),
         api("InvalidInstanceType.ValueNotSupported")),
        ("unknown-security-group", dict(create, security_group_ids=["sg-2zedoesnotexist"]),
         api("InvalidSecurityGroupId.NotFound")),
        ("unknown-vswitch", dict(create, vswitch_id="vsw-2zedoesnotexist"), api("InvalidVSwitchId.NotFound")),
        ("unknown-region", dict(create, region="xx-nowhere-1"), api("InvalidRegionId.NotFound")),
        ("wrong-access-key", dict(create, access_key="LTAI5tNoSuchKey000000"), api("InvalidAccessKeyId.NotFound")),
        ("wrong-secret", dict(create, secret_key="not-the-secret"),
         r"^Failed to .+: (SignatureDoesNotMatch|InvalidAccessKeySecret): .*RequestId [0-9A-F-]{36}"),
        ("disabled-key", dict(create, access_key=DISABLED_KEY[0], secret_key=DISABLED_KEY[1]),
         api("Forbidden.AccessKeyDisabled")),
        ("expired-sts-token", dict(create, access_key=EXPIRED_STS_KEY[0], secret_key=EXPIRED_STS_KEY[1],
                                   security_token=EXPIRED_STS_KEY[2]), api("InvalidSecurityToken.Expired")),
        ("sts-without-token", dict(create, access_key=STS_KEY[0], secret_key=STS_KEY[1]),
         api("InvalidSecurityToken.MalFormed")),
        ("sts-wrong-token", dict(create, access_key=STS_KEY[0], secret_key=STS_KEY[1], security_token="nope"),
         api("InvalidSecurityToken.Mismatch")),
        ("read-only-key", dict(create, access_key=READONLY_KEY[0], secret_key=READONLY_KEY[1]),
         r"^Failed to create instances: Forbidden\.RAM: .*RequestId [0-9A-F-]{36}"),
        # -- account state
        ("insufficient-balance", dict(create, instance_charge_type="PrePaid", period=1),
         api("InvalidAccountStatus.NotEnoughBalance"), {"account_balance": 0.0}, {"account_balance": 100000.0}),
        ("no-stock", dict(create), api("OperationDenied.NoStock"), {"no_stock": ["*"]}, {"no_stock": []}),
        # -- releases that must not happen
        ("delete-protected", {"name": protected, "state": "absent"}, r"\bdeletion_protection\b"),
        ("delete-prepaid-without-conversion", {"name": prepaid, "state": "absent"},
         r"\bconvert_prepaid_on_delete\b"),
        # -- the other modules
        ("public-ip-without-bandwidth", {"name": no_bandwidth}, r"bandwidth", "ecs_public_ip"),
        ("public-ip-unknown-instance", {"instance_id": "i-2zedoesnotexist00002", "visibility_timeout": 3},
         r"instance i-2zedoesnotexist00002 is not listed .*region cn-beijing.*may not exist", "ecs_public_ip"),
        ("public-ip-empty-instance-id", {"instance_id": ""}, r"instance_id is empty", "ecs_public_ip"),
        ("public-ip-both-selectors", {"instance_id": "i-2zedoesnotexist00003", "name": no_bandwidth},
         r"mutually exclusive: instance_id\|name|instance_id.*name", "ecs_public_ip"),
        ("info-wrong-secret", {"secret_key": "not-the-secret"}, r"(SignatureDoesNotMatch|InvalidAccessKeySecret)",
         "ecs_instance_info"),
        ("info-filter-list", {"filters": {"ImageId": ["a", "b"]}}, r"filters.ImageId is a list", "ecs_instance_info"),
        ("info-filter-dict", {"filters": {"ZoneId": {"a": 1}}}, r"filters.ZoneId is a dictionary", "ecs_instance_info"),
        ("info-tag-list-value", {"tags": {"team": ["a"]}}, r"tag 'team' has a list value", "ecs_instance_info"),
    ]
    result = []
    for row in table:
        case_id, args, pattern = row[:3]
        case = {"id": case_id, "args": dict(keys, **args), "pattern": pattern}
        if len(row) == 4:
            case["module"] = row[3]
        if len(row) == 5:
            case["config"], case["restore"] = row[3], row[4]
        result.append(case)
    return result


def setup_instance(emu, name: str, **extra: str) -> str:
    params = {"RegionId": REGION, "ImageId": CREATE["image_id"], "InstanceType": CREATE["instance_type"],
              "VSwitchId": CREATE["vswitch_id"], "SecurityGroupId": CREATE["security_group_ids"][0],
              "InstanceName": name, "Amount": "1", **extra}
    status, _, raw = v1_call(emu, "RunInstances", params, method="POST")
    body = json_body(raw)
    assert status == 200, body
    return body["InstanceIdSets"]["InstanceIdSet"][0]


def test_bad_input_fails_clearly_and_changes_nothing(runner, emu, name):
    protected, prepaid, no_bandwidth = name + "-protected", name + "-prepaid", name + "-nobw"
    setup_instance(emu, protected, DeletionProtection="true")
    setup_instance(emu, prepaid, InstanceChargeType="PrePaid", Period="1", PeriodUnit="Month")
    setup_instance(emu, no_bandwidth)
    before = sorted((i["InstanceId"], i["Status"], i["InstanceChargeType"]) for i in emu.instances())
    emu.clear_calls()

    table = cases(name, protected, prepaid, no_bandwidth)
    assert len(table) >= 30
    # Every option a case sets must reach its module: tasks/case.yml passes each one by name.
    passed = set(re.findall(r"case\.args\.(\w+)", (PLAYBOOKS / "tasks" / "case.yml").read_text()))
    assert not {key for case in table for key in case["args"]} - passed
    results, proc = runner.run("cases.yml", {"cases": table}, env=runner.env(credentials=False))
    assert results is not None and proc.returncode == 0, proc.stdout[-8000:] + proc.stderr[-3000:]
    assert_no_traceback(proc)

    problems = []
    for case, record in zip(table, results):
        result = record["result"]
        msg = str(result.get("msg", ""))
        if not result.get("failed"):
            problems.append("%s: did not fail: %r" % (case["id"], result))
            continue
        if not re.search(case["pattern"], msg):
            problems.append("%s: message does not name the problem (%s): %r" % (case["id"], case["pattern"], msg))
        if "Traceback" in str(result.get("exception", "")) or "module_stderr" in result:
            problems.append("%s: traceback: %r" % (case["id"], result))
        after = sorted((i["InstanceId"], i["Status"], i["InstanceChargeType"]) for i in record["instances"])
        if after != before:
            problems.append("%s: instances changed: %s -> %s" % (case["id"], before, after))
    assert not problems, "\n".join(problems)
    # Nothing was created, released or changed by any case (DryRun checks excepted).
    done = [c for c in emu.calls() if c["action"] in MUTATING and committed(c)]
    assert done == [], done
    write_output("bad-input.json", {"cases": len(table), "failed_clearly": len(table), "instances_changed": 0,
                                    "messages": {c["id"]: r["result"]["msg"] for c, r in zip(table, results)}})
