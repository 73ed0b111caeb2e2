"""An in-memory stand-in for EcsClient: enough of ECS for the instance logic, with a call log."""

from __future__ import annotations

import json
from typing import Any

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError

MUTATING = {
    "RunInstances", "CreateInstance", "StartInstances", "StopInstances", "RebootInstances", "DeleteInstances",
    "ModifyInstanceAttribute", "TagResources", "UntagResources", "ModifyInstanceChargeType",
}


class FakeEcs:
    def __init__(self, region: str = "cn-beijing") -> None:
        self.region = region
        self.instances: dict[str, dict[str, Any]] = {}
        self.tokens: dict[tuple[str, str], list[str]] = {}
        self.calls: list[tuple[str, dict]] = []
        self.fail_next: dict[str, list[EcsApiError]] = {}
        self.counter = 0

    def mutating_calls(self) -> list[str]:
        return [action for action, params in self.calls if action in MUTATING and not params.get("DryRun")]

    def call(self, action: str, params: dict[str, Any], *, idempotent: bool = True, dry_run: bool = False) -> dict:
        params = dict(params, DryRun=True) if dry_run else dict(params)
        self.calls.append((action, params))
        if self.fail_next.get(action):
            raise self.fail_next[action].pop(0)
        if dry_run:
            return {"DryRun": True}
        return getattr(self, "do_" + action)(params)

    def _new(self, params: dict[str, Any], status: str) -> str:
        self.counter += 1
        instance_id = "i-fake%04d" % self.counter
        self.instances[instance_id] = {
            "InstanceId": instance_id,
            "InstanceName": params.get("InstanceName"),
            "Status": status,
            "CreationTime": "2026-01-01T00:%02dZ" % (self.counter % 60),
            "InstanceChargeType": params.get("InstanceChargeType", "PostPaid"),
            "DeletionProtection": bool(params.get("DeletionProtection")),
            "ImageId": params.get("ImageId"),
            "UserData": params.get("UserData", ""),
            "InstanceType": params.get("InstanceType"),
            "SecurityGroupIds": {"SecurityGroupId": list(params.get("SecurityGroupIds") or [params.get("SecurityGroupId")])},
            "Tags": {"Tag": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in params.get("Tag") or []]},
        }
        return instance_id

    def _token(self, action: str, params: dict[str, Any], make) -> list[str]:
        key = (action, params["ClientToken"])
        if key not in self.tokens:
            self.tokens[key] = make()
        return self.tokens[key]

    def do_RunInstances(self, params):
        ids = self._token("RunInstances", params, lambda: [self._new(params, "Running") for _unused in range(params["Amount"])])
        return {"InstanceIdSets": {"InstanceIdSet": ids}}

    def do_CreateInstance(self, params):
        return {"InstanceId": self._token("CreateInstance", params, lambda: [self._new(params, "Stopped")])[0]}

    def do_DescribeInstances(self, params):
        if "InstanceIds" in params:
            wanted = json.loads(params["InstanceIds"])
            items = [self.instances[i] for i in wanted if i in self.instances]
        else:
            items = [i for i in self.instances.values() if i["InstanceName"] == params.get("InstanceName")]
        return {"Instances": {"Instance": [json.loads(json.dumps(i)) for i in items]}, "TotalCount": len(items)}

    def _set_status(self, params, status):
        for instance_id in params["InstanceId"]:
            self.instances[instance_id]["Status"] = status
        return {}

    def do_StartInstances(self, params):
        return self._set_status(params, "Running")

    def do_RebootInstances(self, params):
        return self._set_status(params, "Running")

    def do_StopInstances(self, params):
        return self._set_status(params, "Stopped")

    def do_DeleteInstances(self, params):
        for instance_id in params["InstanceId"]:
            instance = self.instances[instance_id]
            if instance["Status"] != "Stopped" and not params.get("Force"):
                raise EcsApiError("IncorrectInstanceStatus", "bad status", http_status=403)
            del self.instances[instance_id]
        return {}

    def do_ModifyInstanceAttribute(self, params):
        instance = self.instances[params["InstanceId"]]
        for key, value in params.items():
            if key == "SecurityGroupIds":
                instance["SecurityGroupIds"] = {"SecurityGroupId": list(value)}
            elif key not in ("InstanceId", "Password"):
                instance[key] = value
        return {}

    def do_TagResources(self, params):
        for instance_id in params["ResourceId"]:
            tags = {t["TagKey"]: t["TagValue"] for t in self.instances[instance_id]["Tags"]["Tag"]}
            tags.update({t["Key"]: t["Value"] for t in params["Tag"]})
            self.instances[instance_id]["Tags"]["Tag"] = [{"TagKey": k, "TagValue": v} for k, v in tags.items()]
        return {}

    def do_UntagResources(self, params):
        for instance_id in params["ResourceId"]:
            tags = self.instances[instance_id]["Tags"]["Tag"]
            self.instances[instance_id]["Tags"]["Tag"] = [t for t in tags if t["TagKey"] not in params["TagKey"]]
        return {}

    def do_ModifyInstanceChargeType(self, params):
        for instance_id in json.loads(params["InstanceIds"]):
            self.instances[instance_id]["InstanceChargeType"] = params["InstanceChargeType"]
        return {}


class FakeAnsible:
    def __init__(self, diff: bool = False) -> None:
        self._diff = diff


class FakeModule:
    """What InstanceRunner needs from EcsModule."""

    def __init__(self, client: FakeEcs, params: dict[str, Any], check_mode: bool = False, diff: bool = False) -> None:
        self.client = client
        self.params = params
        self.check_mode = check_mode
        self.module = FakeAnsible(diff)
        self.warnings: list[str] = []

    def warn(self, message: str) -> None:
        self.warnings.append(message)


def _describe_user_data(self, params):
    return {"UserData": self.instances[params["InstanceId"]].get("UserData", "")}


FakeEcs.do_DescribeUserData = _describe_user_data
