"""An in-memory stand-in for EcsClient (it satisfies _client.ApiClient): enough of ECS for the instance logic.

It keeps a call log and models what the logic must cope with (reference 8.2, 8.9):
ClientTokens remembered with their parameters (a replay gives the first answer, other
parameters IdempotentParameterMismatch, failed first calls are forgotten), tokens
checked before anything else (so a DryRun with a used token is a mismatch), and,
driven by the unit tests' fake clock, new instances that stay unlisted and unknown to
per-instance calls for ``visibility_delay`` seconds, released ones that stay listed for
``linger`` seconds, and a ``blind`` credential whose list reads are empty.
"""

from __future__ import annotations

import copy
import json
from typing import Any, Callable

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError

MUTATING = {
    "RunInstances", "CreateInstance", "StartInstances", "StopInstances", "RebootInstances", "DeleteInstances",
    "ModifyInstanceAttribute", "TagResources", "UntagResources", "ModifyInstanceChargeType",
}
TOKEN_ACTIONS = {"RunInstances", "CreateInstance", "DeleteInstances", "ModifyInstanceChargeType"}


def api_error(code: str, status: int = 400, message: str = "fake") -> EcsApiError:
    return EcsApiError(code, message, http_status=status, request_id="FAKE-REQUEST")


class FakeEcs:
    def __init__(self, region: str = "cn-beijing", clock: Callable[[], float] | None = None,
                 visibility_delay: float = 0.0, linger: float = 0.0, blind: bool = False) -> None:
        self.region = region
        self.clock = clock or (lambda: 0.0)
        self.visibility_delay = visibility_delay
        self.linger = linger
        self.blind = blind
        self.instances: dict[str, dict[str, Any]] = {}
        self.visible_at: dict[str, float] = {}
        self.ghosts: dict[str, tuple[dict[str, Any], float]] = {}
        self.tokens: dict[tuple[str, str], tuple[dict[str, Any], dict]] = {}
        self.calls: list[tuple[str, dict]] = []
        self.fail_next: dict[str, list[EcsApiError]] = {}
        # Raised after the call was carried out (and its token remembered): a lost answer, or a
        # client that died (KeyboardInterrupt) right after the API did the work.
        self.fail_after: dict[str, list[BaseException]] = {}
        self.counter = 0

    # -- what tests look at ---------------------------------------------------
    def mutating_calls(self) -> list[str]:
        return [action for action, params in self.calls if action in MUTATING and not params.get("DryRun")]

    def actions(self) -> list[str]:
        return [action for action, _params in self.calls]

    def replays(self, action: str) -> int:
        """How many ``action`` calls the fake answered from its token table."""
        return sum(1 for a, p in self.calls if a == action and p.get("_replayed"))

    # -- transport --------------------------------------------------------------
    def call(self, action: str, params: dict[str, Any], *, idempotent: bool = True, dry_run: bool = False) -> dict:
        params = dict(params, DryRun=True) if dry_run else dict(params)
        logged = dict(params)
        self.calls.append((action, logged))
        if self.fail_next.get(action):
            raise self.fail_next[action].pop(0)
        token = params.get("ClientToken")
        if token and action in TOKEN_ACTIONS:
            key = (action, token)
            compared = {k: v for k, v in params.items() if k != "ClientToken"}
            if key in self.tokens:
                first, answer = self.tokens[key]
                if first != compared:
                    raise api_error("IdempotentParameterMismatch")
                logged["_replayed"] = True
                return copy.deepcopy(answer)
            answer = self._dispatch(action, params, dry_run)
            if not params.get("DryRun"):
                self.tokens[key] = (compared, copy.deepcopy(answer))
            return self._answer(action, answer)
        return self._answer(action, self._dispatch(action, params, dry_run))

    def _answer(self, action: str, answer: dict) -> dict:
        if self.fail_after.get(action):
            raise self.fail_after[action].pop(0)
        return answer

    def _dispatch(self, action: str, params: dict[str, Any], dry_run: bool) -> dict:
        if params.get("DryRun"):
            if action == "DeleteInstances":  # validates the ids, like the API, before the dry run passes
                self._existing(params["InstanceId"])
            if dry_run:
                return {"DryRun": True}
            raise api_error("DRYRUN.SUCCESS" if action.endswith("Instances") else "DryRunOperation")
        return getattr(self, "do_" + action)(params)

    # -- visibility (reference 8.9) -------------------------------------------------
    def _visible(self, instance_id: str) -> bool:
        return self.clock() >= self.visible_at.get(instance_id, 0.0)

    def _existing(self, ids: list[str]) -> list[dict]:
        for instance_id in ids:
            if instance_id not in self.instances or not self._visible(instance_id):
                raise api_error("InvalidInstanceId.NotFound", 404)
        return [self.instances[i] for i in ids]

    def listed(self) -> list[dict]:
        if self.blind:
            return []
        now = self.clock()
        for key in [k for k, (_view, until) in self.ghosts.items() if until <= now]:
            del self.ghosts[key]
        alive = [i for k, i in self.instances.items() if self._visible(k)]
        return alive + [view for view, _until in self.ghosts.values()]

    # -- actions --------------------------------------------------------------------
    def _new(self, params: dict[str, Any], status: str) -> str:
        self.counter += 1
        instance_id = "i-fake%04d" % self.counter
        groups = params.get("SecurityGroupIds") or [params.get("SecurityGroupId")]
        self.instances[instance_id] = {
            "InstanceId": instance_id,
            "InstanceName": params.get("InstanceName"),
            "Status": status,
            "CreationTime": "2026-01-01T%02d:%02dZ" % (self.counter // 60 % 24, self.counter % 60),
            "InstanceChargeType": params.get("InstanceChargeType", "PostPaid"),
            "DeletionProtection": bool(params.get("DeletionProtection")),
            "ImageId": params.get("ImageId"),
            "UserData": params.get("UserData", ""),
            "InstanceType": params.get("InstanceType"),
            "InternetMaxBandwidthOut": int(params.get("InternetMaxBandwidthOut") or 0),
            "SecurityGroupIds": {"SecurityGroupId": list(groups)},
            "Tags": {"Tag": [{"TagKey": t["Key"], "TagValue": t["Value"]} for t in params.get("Tag") or []]},
        }
        self.visible_at[instance_id] = self.clock() + self.visibility_delay
        return instance_id

    def do_RunInstances(self, params):
        return {"InstanceIdSets": {"InstanceIdSet": [self._new(params, "Running") for _one in range(params["Amount"])]}}

    def do_CreateInstance(self, params):
        return {"InstanceId": self._new(params, "Stopped")}

    def do_DescribeInstances(self, params):
        items = self.listed()
        if "InstanceIds" in params:
            wanted = set(json.loads(params["InstanceIds"]))
            items = [i for i in items if i["InstanceId"] in wanted]
        if params.get("InstanceName"):
            items = [i for i in items if i["InstanceName"] == params["InstanceName"]]
        for tag in params.get("Tag") or []:
            items = [i for i in items if {"TagKey": tag["Key"], "TagValue": tag["Value"]} in i["Tags"]["Tag"]]
        return {"Instances": {"Instance": [copy.deepcopy(i) for i in items]}, "TotalCount": len(items), "NextToken": ""}

    def do_DescribeUserData(self, params):
        return {"UserData": self._existing([params["InstanceId"]])[0].get("UserData", "")}

    def _set_status(self, params, source, status):
        instances = self._existing(params["InstanceId"])
        if any(i["Status"] not in source for i in instances):
            raise api_error("IncorrectInstanceStatus", 403)
        for instance in instances:
            instance["Status"] = status
        return {}

    def do_StartInstances(self, params):
        return self._set_status(params, ("Stopped",), "Running")

    def do_RebootInstances(self, params):
        return self._set_status(params, ("Running",), "Running")

    def do_StopInstances(self, params):
        return self._set_status(params, ("Running",), "Stopped")

    def do_DeleteInstances(self, params):
        instances = self._existing(params["InstanceId"])
        for instance in instances:
            if instance["DeletionProtection"]:
                raise api_error("InvalidOperation.DeletionProtection", 403)
            if instance["InstanceChargeType"] == "PrePaid":
                raise api_error("ChargeTypeViolation", 403)
            if instance["Status"] != "Stopped" and not params.get("Force"):
                raise api_error("IncorrectInstanceStatus", 403)
        for instance in instances:
            del self.instances[instance["InstanceId"]]
            if self.linger:
                self.ghosts[instance["InstanceId"]] = (copy.deepcopy(instance), self.clock() + self.linger)
        return {}

    def do_ModifyInstanceAttribute(self, params):
        (instance,) = self._existing([params["InstanceId"]])
        for key, value in params.items():
            if key == "SecurityGroupIds":
                instance["SecurityGroupIds"] = {"SecurityGroupId": list(value)}
            elif key not in ("InstanceId", "Password"):
                instance[key] = value
        return {}

    def do_TagResources(self, params):
        for instance in self._existing(params["ResourceId"]):
            tags = {t["TagKey"]: t["TagValue"] for t in instance["Tags"]["Tag"]}
            tags.update({t["Key"]: t["Value"] for t in params["Tag"]})
            instance["Tags"]["Tag"] = [{"TagKey": k, "TagValue": v} for k, v in tags.items()]
        return {}

    def do_UntagResources(self, params):
        for instance in self._existing(params["ResourceId"]):
            instance["Tags"]["Tag"] = [t for t in instance["Tags"]["Tag"] if t["TagKey"] not in params["TagKey"]]
        return {}

    def do_ModifyInstanceChargeType(self, params):
        for instance in self._existing(json.loads(params["InstanceIds"])):
            instance["InstanceChargeType"] = params["InstanceChargeType"]
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
