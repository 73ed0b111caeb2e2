"""ecs_public_ip logic with an in-memory ECS and VPC: find, settle, idempotency, check mode, EIPs, failures."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils._eip import (
    GENERATION_TAG,
    OWNER_TAG,
    EipRunner,
    check_options,
    eip_token,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import (
    EcsApiError,
    EcsConfigError,
    EcsVisibilityError,
    EcsWaitTimeoutError,
)
from ansible_collections.alicloud.ecs.plugins.module_utils._public_ip import PublicIpRunner
from ansible_collections.alicloud.ecs.plugins.modules import ecs_public_ip
from ansible_collections.alicloud.ecs.tests.unit.kit import FakeClock, module_params


class Ecs:
    region = "cn-beijing"

    def __init__(self, *instances):
        self.instances = {i["InstanceId"]: i for i in instances}
        self.calls: list[tuple[str, dict]] = []
        self.allocate_error: EcsApiError | None = None
        self.statuses: dict[str, list[str]] = {}  # statuses seen on successive describes
        self.lost_answers = 0  # allocations that take effect but answer a 500 (the answer is lost)
        self.refused = 0  # allocations that fail with a 503 before taking effect
        self.lag = 0  # describes that still show no address once one is allocated (reference 8.9)

    def call(self, action, params, **kwargs):
        self.calls.append((action, dict(params)))
        if action == "DescribeInstances":
            items = list(self.instances.values())
            if "InstanceIds" in params:
                items = [i for i in items if i["InstanceId"] in json.loads(params["InstanceIds"])]
            if params.get("InstanceName"):
                items = [i for i in items if i["InstanceName"] == params["InstanceName"]]
            for item in items:
                if self.statuses.get(item["InstanceId"]):
                    item["Status"] = self.statuses[item["InstanceId"]].pop(0)
            listed = [dict(i) for i in items]
            if self.lag > 0 and any(i["PublicIpAddress"]["IpAddress"] for i in items):
                self.lag -= 1
                for item in listed:
                    item["PublicIpAddress"] = {"IpAddress": []}
            return {"Instances": {"Instance": listed}, "TotalCount": len(items)}
        assert action == "AllocatePublicIpAddress"
        inst = self.instances[params["InstanceId"]]
        if self.refused:
            self.refused -= 1
            raise EcsApiError("ServiceUnavailable", "busy", http_status=503)
        if inst["PublicIpAddress"]["IpAddress"]:
            raise EcsApiError("AllocatedAlready", "There is an IpAddress allocated already", http_status=403)
        inst["PublicIpAddress"] = {"IpAddress": ["39.96.0.9"]}
        if self.lost_answers:
            self.lost_answers -= 1
            raise EcsApiError("InternalError", "lost", http_status=500)
        if self.allocate_error:
            raise self.allocate_error
        return {"IpAddress": "39.96.0.9"}

    def allocations(self):
        return [p for a, p in self.calls if a == "AllocatePublicIpAddress"]


def instance(instance_id, name="web", status="Running", bandwidth=5, public=None, eip=""):
    return {
        "InstanceId": instance_id,
        "InstanceName": name,
        "Status": status,
        "InternetMaxBandwidthOut": bandwidth,
        "PublicIpAddress": {"IpAddress": [public] if public else []},
        "EipAddress": {"IpAddress": eip, "AllocationId": ""},
        "Tags": {"Tag": []},
    }


def run(client, check_mode=False, **params):
    mod = SimpleNamespace(params=module_params(ecs_public_ip, **dict({"wait_timeout": 30}, **params)), client=client,
                          check_mode=check_mode)
    clock = FakeClock()
    return PublicIpRunner(mod, clock=clock, sleep=clock.sleep).run()


@pytest.mark.parametrize("status", ["Running", "Stopped"])
def test_allocates_once_then_reports_it(status):
    client = Ecs(instance("i-1", status=status))
    result = run(client, instance_id="i-1")
    assert result["changed"] and result["ip_address"] == "39.96.0.9"
    assert result["instance"]["public_ip"] == "39.96.0.9" and result["instance"]["status"] == status
    again = run(client, instance_id="i-1")
    assert not again["changed"] and again["ip_address"] == "39.96.0.9"
    assert len(client.allocations()) == 1


def test_eip_counts_as_an_address():
    client = Ecs(instance("i-1", eip="47.1.1.1"))
    result = run(client, name="web")
    assert not result["changed"] and result["ip_address"] == "47.1.1.1" and client.allocations() == []


def test_check_mode_reports_the_change_without_calling():
    client = Ecs(instance("i-1", status="Stopped"))
    result = run(client, check_mode=True, instance_id="i-1")
    assert result["changed"] and result["ip_address"] is None and client.allocations() == []


def test_no_bandwidth_fails_before_calling():
    client = Ecs(instance("i-1", bandwidth=0))
    with pytest.raises(EcsConfigError, match="internet_max_bandwidth_out above 0") as err:
        run(client, instance_id="i-1")
    assert "AllocateIpInvalidInstanceBandwidth" in err.value.message and client.allocations() == []


def test_unknown_id_and_names_with_zero_or_several_matches():
    client = Ecs(instance("i-1", name="dup"), instance("i-2", name="dup"))
    with pytest.raises(EcsConfigError, match="instance i-nope is not listed by DescribeInstances in region cn-beijing after 30s"):
        run(client, instance_id="i-nope", visibility_timeout=30)
    with pytest.raises(EcsConfigError, match=r"2 instances are named dup \(i-1, i-2\)"):
        run(client, name="dup")
    with pytest.raises(EcsConfigError, match="an instance named other is not listed"):
        run(client, name="other", visibility_timeout=5)
    assert client.allocations() == []


def test_an_instance_not_listed_yet_is_waited_for():
    """Reference 8.9: a just-created instance may be missing from a listing for a while."""
    client = Ecs(instance("i-late"))
    hidden = client.instances.pop("i-late")
    original = client.call

    def call(action, params, **kwargs):
        if action == "DescribeInstances" and len(client.calls) >= 3:
            client.instances["i-late"] = hidden
        return original(action, params, **kwargs)

    client.call = call
    result = run(client, instance_id="i-late")
    assert result["changed"] and result["ip_address"] == "39.96.0.9"


def test_transitional_states_are_waited_out_first():
    client = Ecs(instance("i-1", status="Starting"))
    client.statuses["i-1"] = ["Starting", "Starting", "Running"]
    result = run(client, instance_id="i-1")
    assert result["changed"] and result["instance"]["status"] == "Running"
    describes = [action for action, _params in client.calls[: client.calls.index(("AllocatePublicIpAddress", {"InstanceId": "i-1"}))]]
    assert describes.count("DescribeInstances") == 3


def test_transitional_state_timeout_fails():
    client = Ecs(instance("i-1", status="Stopping"))
    client.statuses["i-1"] = ["Stopping"] * 1000
    with pytest.raises(Exception, match="timed out"):
        run(client, instance_id="i-1")
    assert client.allocations() == []


@pytest.mark.parametrize("code, status, changed", [("InternalError", 500, True), ("AllocatedAlready", 403, False)])
def test_ambiguous_failure_or_allocated_already_reads_back(code, status, changed):
    client = Ecs(instance("i-1"))
    client.allocate_error = EcsApiError(code, "boom", http_status=status)
    result = run(client, instance_id="i-1")
    assert result["changed"] is changed and result["ip_address"] == "39.96.0.9"
    assert len(client.allocations()) == 1


def test_allocated_already_while_the_listing_lags_waits_for_the_address():
    # An earlier run allocated it, but the listing still shows none: no error, no change, the address.
    client = Ecs(instance("i-1", public="39.96.0.9"))
    client.lag = 3
    result = run(client, instance_id="i-1")
    assert not result["changed"] and result["ip_address"] == "39.96.0.9"
    assert result["instance"]["public_ip"] == "39.96.0.9"
    assert len(client.allocations()) == 1


def test_allocated_already_that_never_shows_fails_naming_the_instance():
    client = Ecs(instance("i-1", public="39.96.0.9"))
    client.lag = 10**6
    with pytest.raises(EcsVisibilityError, match="i-1 has a public IP address already .AllocatedAlready.") as err:
        run(client, instance_id="i-1", visibility_timeout=20)
    assert err.value.missing == ["i-1"]


def test_lost_answer_not_yet_listed_asks_again_and_gets_allocated_already():
    client = Ecs(instance("i-1"))
    client.lost_answers, client.lag = 1, 2
    result = run(client, instance_id="i-1")
    assert result["changed"] and result["ip_address"] == "39.96.0.9"
    assert len(client.allocations()) == 2  # the second answered AllocatedAlready: still one address


def test_refused_before_taking_effect_asks_again_and_allocates():
    client = Ecs(instance("i-1"))
    client.refused = 1
    result = run(client, instance_id="i-1")
    assert result["changed"] and result["ip_address"] == "39.96.0.9"
    assert len(client.allocations()) == 2


def test_two_ambiguous_failures_fail():
    client = Ecs(instance("i-1"))
    client.refused = 2
    with pytest.raises(EcsApiError, match="busy"):
        run(client, instance_id="i-1")


def test_the_result_waits_until_the_listing_shows_the_new_address():
    client = Ecs(instance("i-1"))
    client.lag = 2
    result = run(client, instance_id="i-1")
    assert result["instance"]["public_ip"] == "39.96.0.9"


def test_other_api_errors_propagate():
    client = Ecs(instance("i-1"))
    client.allocate_error = EcsApiError("IncorrectInstanceStatus", "no", http_status=403)
    with pytest.raises(EcsApiError) as err:
        run(client, instance_id="i-1")
    assert err.value.operation == "allocate a public IP address for instance i-1"


# ---------------------------------------------------------------------------- EIPs (address_type: eip)


class Cloud(Ecs):
    """The in-memory ECS above plus the VPC EIP actions, with a ClientToken store and lag knobs."""

    def __init__(self, *instances):
        super().__init__(*instances)
        self.eips: dict[str, dict] = {}
        self.tokens: dict[str, tuple[dict, dict]] = {}
        self.eip_lag = 0  # DescribeEipAddresses calls that do not list EIPs allocated since the lag was set
        self.hidden: set[str] = set()
        self.associating = 0  # describes an EIP stays Associating
        self.lost_allocations = 0  # allocations that take effect but answer a 500
        self.tag_error: EcsApiError | None = None
        self.sequence = 0

    def call(self, action, params, **kwargs):
        if action in ("DescribeInstances", "AllocatePublicIpAddress"):
            return super().call(action, params, **kwargs)
        self.calls.append((action, dict(params)))
        return getattr(self, "_" + action)(params)

    def _TagResources(self, params):
        if self.tag_error:
            raise self.tag_error
        for instance_id in params["ResourceId"]:
            tags = {t["TagKey"]: t["TagValue"] for t in self.instances[instance_id]["Tags"]["Tag"]}
            tags.update(params["Tag"] and {t["Key"]: t["Value"] for t in params["Tag"]})
            self.instances[instance_id]["Tags"] = {"Tag": [{"TagKey": k, "TagValue": v} for k, v in tags.items()]}
        return {}

    def _AllocateEipAddress(self, params):
        token = params["ClientToken"]
        shape = {k: v for k, v in params.items() if k != "ClientToken"}
        if token in self.tokens:
            first, answer = self.tokens[token]
            if first != shape:
                raise EcsApiError("IdempotentParameterMismatch", "different parameters", http_status=400)
            return dict(answer)
        self.sequence += 1
        allocation_id = "eip-%d" % self.sequence
        self.eips[allocation_id] = {
            "AllocationId": allocation_id, "IpAddress": "47.0.0.%d" % self.sequence, "Status": "Available",
            "InstanceId": "", "InstanceType": "", "RegionId": self.region, "ChargeType": "PostPaid",
            "Bandwidth": str(params.get("Bandwidth", 5)), "InternetChargeType": params.get("InternetChargeType", "PayByBandwidth"),
            "AllocationTime": "2026-01-01T00:00:%02dZ" % self.sequence,
            "Tags": {"Tag": [{"Key": t["Key"], "Value": t["Value"]} for t in params.get("Tag", [])]},
        }
        if self.eip_lag:
            self.hidden.add(allocation_id)
        answer = {"AllocationId": allocation_id, "EipAddress": self.eips[allocation_id]["IpAddress"]}
        self.tokens[token] = (shape, answer)
        if self.lost_allocations:
            self.lost_allocations -= 1
            raise EcsApiError("InternalError", "lost", http_status=500)
        return dict(answer)

    def _DescribeEipAddresses(self, params):
        rows = list(self.eips.values())
        if self.eip_lag > 0:
            self.eip_lag -= 1
            rows = [r for r in rows if r["AllocationId"] not in self.hidden]
        if params.get("AllocationId"):
            rows = [r for r in rows if r["AllocationId"] in params["AllocationId"].split(",")]
        if params.get("AssociatedInstanceId"):
            rows = [r for r in rows if r["InstanceId"] == params["AssociatedInstanceId"]]
        for tag in params.get("Tag", []):
            rows = [r for r in rows if {"Key": tag["Key"], "Value": tag["Value"]} in r["Tags"]["Tag"]]
        for row in rows:
            if row["Status"] == "Associating":
                if self.associating > 0:
                    self.associating -= 1
                else:
                    row["Status"] = "InUse"
        return {"EipAddresses": {"EipAddress": [dict(r) for r in rows]}, "TotalCount": len(rows)}

    def _AssociateEipAddress(self, params):
        eip = self.eips.get(params["AllocationId"])
        if eip is None:
            raise EcsApiError("InvalidAllocationId.NotFound", "Specified allocation ID is not found", http_status=404)
        if eip["Status"] != "Available":
            raise EcsApiError("IncorrectEipStatus", "status", http_status=400)
        inst = self.instances[params["InstanceId"]]
        if inst["EipAddress"]["AllocationId"] or inst["PublicIpAddress"]["IpAddress"]:
            raise EcsApiError("InvalidAssociation.Duplicated", "already associated", http_status=400)
        eip.update(Status="Associating", InstanceId=inst["InstanceId"], InstanceType="EcsInstance")
        inst["EipAddress"] = {"AllocationId": eip["AllocationId"], "IpAddress": eip["IpAddress"]}
        return {}

    def _UnassociateEipAddress(self, params):
        eip = self.eips[params["AllocationId"]]
        if eip["Status"] != "InUse":
            raise EcsApiError("IncorrectEipStatus", "status", http_status=400)
        self.instances[eip["InstanceId"]]["EipAddress"] = {"AllocationId": "", "IpAddress": ""}
        eip.update(Status="Available", InstanceId="", InstanceType="")
        return {}

    def _ReleaseEipAddress(self, params):
        eip = self.eips.get(params["AllocationId"])
        if eip is None:
            raise EcsApiError("InvalidAllocationId.NotFound", "Specified allocation ID is not found", http_status=404)
        if eip["Status"] != "Available":
            raise EcsApiError("IncorrectEipStatus", "status", http_status=400)
        del self.eips[params["AllocationId"]]
        return {}

    def actions(self, *names):
        return [(a, p) for a, p in self.calls if a in names]

    def mutating(self):
        return self.actions("AllocateEipAddress", "AssociateEipAddress", "UnassociateEipAddress", "ReleaseEipAddress",
                            "TagResources", "AllocatePublicIpAddress")


def run_eip(cloud, check_mode=False, **params):
    warnings: list[str] = []
    values = dict({"wait_timeout": 60, "visibility_timeout": 20, "address_type": "eip"}, **params)
    mod = SimpleNamespace(params=module_params(ecs_public_ip, **values), client=cloud, check_mode=check_mode,
                          warn=warnings.append)
    clock = FakeClock()
    result = EipRunner(mod, clock=clock, sleep=clock.sleep, vpc_client=cloud).run()
    result["warnings"] = warnings
    result["elapsed"] = clock.elapsed
    return result


def eip_instance(instance_id="i-1", **kwargs):
    return instance(instance_id, bandwidth=0, **kwargs)


def test_eip_is_allocated_tagged_associated_then_reported_without_a_change():
    cloud = Cloud(eip_instance())
    cloud.associating = 2
    result = run_eip(cloud, instance_id="i-1", eip_bandwidth=10, eip_internet_charge_type="PayByTraffic")
    assert result["changed"] and result["ip_address"] == "47.0.0.1" and result["allocation_id"] == "eip-1"
    assert result["module_allocated"] and result["eip"]["status"] == "InUse" and result["eip"]["bandwidth"] == 10
    assert result["eip"]["tags"] == {OWNER_TAG: "i-1", GENERATION_TAG: "0"}
    assert result["instance"]["public_ip"] == "47.0.0.1"
    assert result["diff"]["before"]["address_type"] is None and result["diff"]["after"]["address_type"] == "eip"
    [(_action, allocate)] = cloud.actions("AllocateEipAddress")
    assert allocate["ClientToken"] == eip_token("cn-beijing", "i-1", 0)
    assert (allocate["Bandwidth"], allocate["InternetChargeType"], allocate["InstanceChargeType"]) == (
        10, "PayByTraffic", "PostPaid")
    [(_action, associate)] = cloud.actions("AssociateEipAddress")
    assert associate["AllocationId"] == "eip-1" and associate["InstanceId"] == "i-1"
    cloud.calls.clear()
    again = run_eip(cloud, instance_id="i-1")
    assert not again["changed"] and again["allocation_id"] == "eip-1" and again["module_allocated"]
    assert cloud.mutating() == [] and again["diff"]["before"] == again["diff"]["after"]


def test_eip_defaults_are_the_apis():
    cloud = Cloud(eip_instance())
    run_eip(cloud, instance_id="i-1")
    [(_action, allocate)] = cloud.actions("AllocateEipAddress")
    assert "Bandwidth" not in allocate and "InternetChargeType" not in allocate


def test_eip_check_mode_makes_no_change():
    cloud = Cloud(eip_instance())
    result = run_eip(cloud, check_mode=True, instance_id="i-1")
    assert result["changed"] and result["ip_address"] is None and result["allocation_id"] is None
    assert result["diff"]["after"]["address_type"] == "eip" and cloud.mutating() == []


def test_an_eip_bound_by_someone_else_is_reported_not_replaced():
    cloud = Cloud(eip_instance())
    cloud.eips["eip-theirs"] = {"AllocationId": "eip-theirs", "IpAddress": "8.8.0.1", "Status": "InUse",
                                "InstanceId": "i-1", "InstanceType": "EcsInstance", "RegionId": "cn-beijing",
                                "Bandwidth": "1", "Tags": {"Tag": []}}
    cloud.instances["i-1"]["EipAddress"] = {"AllocationId": "eip-theirs", "IpAddress": "8.8.0.1"}
    result = run_eip(cloud, instance_id="i-1", eip_bandwidth=10)
    assert not result["changed"] and result["allocation_id"] == "eip-theirs" and not result["module_allocated"]
    assert result["ip_address"] == "8.8.0.1" and cloud.mutating() == [] and result["warnings"] == []
    absent = run_eip(cloud, instance_id="i-1", state="absent", release_eip=True)
    assert absent["changed"] and absent["allocation_id"] == "eip-theirs" and absent["released_allocation_ids"] == []
    assert "eip-theirs" in cloud.eips and cloud.eips["eip-theirs"]["Status"] == "Available"
    assert any("not allocated by alicloud.ecs.ecs_public_ip" in w for w in absent["warnings"])


def test_an_ecs_public_ip_fails_before_any_change():
    cloud = Cloud(instance("i-1", public="39.96.0.1"))
    with pytest.raises(EcsConfigError, match="has the public IP address 39.96.0.1 assigned by ECS") as err:
        run_eip(cloud, instance_id="i-1")
    assert "InvalidAssociation.Duplicated" in err.value.message and cloud.mutating() == []


def test_lost_allocation_answer_then_rerun_replays_the_same_eip():
    cloud = Cloud(eip_instance())
    cloud.lost_allocations = 1
    with pytest.raises(EcsApiError, match="lost"):
        run_eip(cloud, instance_id="i-1")
    cloud.eip_lag = 5  # and the rerun's listings do not show it yet (reference 8.9)
    result = run_eip(cloud, instance_id="i-1")
    assert result["changed"] and result["allocation_id"] == "eip-1" and list(cloud.eips) == ["eip-1"]
    tokens = {p["ClientToken"] for _action, p in cloud.actions("AllocateEipAddress")}
    assert tokens == {eip_token("cn-beijing", "i-1", 0)}


def test_a_spare_eip_of_an_interrupted_run_is_associated_not_a_new_one():
    cloud = Cloud(eip_instance())
    cloud.call("AllocateEipAddress", {"ClientToken": eip_token("cn-beijing", "i-1", 0), "InstanceChargeType": "PostPaid",
                                      "Tag": [{"Key": OWNER_TAG, "Value": "i-1"}, {"Key": GENERATION_TAG, "Value": "0"}]})
    cloud.calls.clear()
    check = run_eip(cloud, check_mode=True, instance_id="i-1")
    assert check["allocation_id"] == "eip-1" and check["ip_address"] == "47.0.0.1" and cloud.mutating() == []
    result = run_eip(cloud, instance_id="i-1")
    assert result["changed"] and result["allocation_id"] == "eip-1"
    assert cloud.actions("AllocateEipAddress") == [] and len(cloud.eips) == 1


def test_other_options_after_a_lost_answer_wait_for_that_eip_instead_of_allocating():
    cloud = Cloud(eip_instance())
    cloud.lost_allocations = 1
    with pytest.raises(EcsApiError):
        run_eip(cloud, instance_id="i-1", eip_bandwidth=5)
    cloud.eip_lag = 2
    result = run_eip(cloud, instance_id="i-1", eip_bandwidth=20)  # the token answers IdempotentParameterMismatch
    assert result["allocation_id"] == "eip-1" and len(cloud.eips) == 1
    assert any("Bandwidth 5, not 20" in w for w in run_eip(cloud, instance_id="i-1", eip_bandwidth=20)["warnings"])


def test_absent_unassociates_and_keeps_without_release_eip():
    cloud = Cloud(eip_instance())
    run_eip(cloud, instance_id="i-1")
    cloud.calls.clear()
    check = run_eip(cloud, check_mode=True, instance_id="i-1", state="absent")
    assert check["changed"] and cloud.mutating() == [] and check["diff"]["after"]["address_type"] is None
    result = run_eip(cloud, instance_id="i-1", state="absent")
    assert result["changed"] and result["allocation_id"] == "eip-1" and result["module_allocated"]
    assert result["eip"]["status"] == "Available" and result["released_allocation_ids"] == []
    assert result["ip_address"] is None and result["instance"]["public_ip"] is None
    assert [a for a, _params in cloud.mutating()] == ["UnassociateEipAddress"]
    cloud.calls.clear()
    again = run_eip(cloud, instance_id="i-1", state="absent")
    assert not again["changed"] and cloud.mutating() == []


def test_release_cycles_get_a_new_token_each_time_without_waiting():
    cloud = Cloud(eip_instance())
    for cycle in range(3):
        present = run_eip(cloud, instance_id="i-1")
        assert present["changed"] and present["allocation_id"] == "eip-%d" % (cycle + 1)
        assert present["elapsed"] < 5  # no wait for a replayed, released EIP
        check = run_eip(cloud, check_mode=True, instance_id="i-1", state="absent", release_eip=True)
        assert check["released_allocation_ids"] == [present["allocation_id"]]
        absent = run_eip(cloud, instance_id="i-1", state="absent", release_eip=True)
        assert absent["changed"] and absent["released_allocation_ids"] == [present["allocation_id"]]
        assert absent["allocation_id"] is None and cloud.eips == {}
        tags = {t["TagKey"]: t["TagValue"] for t in cloud.instances["i-1"]["Tags"]["Tag"]}
        assert tags[GENERATION_TAG] == str(cycle + 1)
    tokens = [p["ClientToken"] for _action, p in cloud.actions("AllocateEipAddress")]
    assert tokens == [eip_token("cn-beijing", "i-1", n) for n in range(3)]
    assert not run_eip(cloud, instance_id="i-1", state="absent", release_eip=True)["changed"]


def test_release_also_removes_spares_of_interrupted_runs():
    cloud = Cloud(eip_instance())
    run_eip(cloud, instance_id="i-1")
    cloud.call("AllocateEipAddress", {"ClientToken": "other", "InstanceChargeType": "PostPaid",
                                      "Tag": [{"Key": OWNER_TAG, "Value": "i-1"}, {"Key": GENERATION_TAG, "Value": "3"}]})
    result = run_eip(cloud, instance_id="i-1", state="absent", release_eip=True)
    assert sorted(result["released_allocation_ids"]) == ["eip-1", "eip-2"] and cloud.eips == {}
    tags = {t["TagKey"]: t["TagValue"] for t in cloud.instances["i-1"]["Tags"]["Tag"]}
    assert tags[GENERATION_TAG] == "4"


def test_without_the_generation_tag_a_released_eip_is_skipped_after_the_visibility_wait():
    cloud = Cloud(eip_instance())
    run_eip(cloud, instance_id="i-1")
    cloud.tag_error = EcsApiError("Forbidden.RAM", "no TagResources", http_status=403)
    absent = run_eip(cloud, instance_id="i-1", state="absent", release_eip=True)
    assert absent["released_allocation_ids"] == ["eip-1"] and any("could not tag" in w for w in absent["warnings"])
    cloud.tag_error = None
    result = run_eip(cloud, instance_id="i-1", visibility_timeout=20)
    assert result["changed"] and result["allocation_id"] == "eip-2" and 20 <= result["elapsed"] < 30
    tags = {t["TagKey"]: t["TagValue"] for t in cloud.instances["i-1"]["Tags"]["Tag"]}
    assert tags[GENERATION_TAG] == "1"  # recorded now, so the next cycle does not wait


def test_a_concurrent_run_that_bound_the_eip_first_is_success():
    cloud = Cloud(eip_instance())
    original = cloud._AssociateEipAddress

    def associate(params):
        original(params)  # the other run's call
        raise EcsApiError("IncorrectEipStatus", "status", http_status=400)

    cloud._AssociateEipAddress = associate
    result = run_eip(cloud, instance_id="i-1")
    assert result["allocation_id"] == "eip-1" and result["eip"]["status"] == "InUse" and len(cloud.eips) == 1


def test_association_timeout_names_the_eip():
    cloud = Cloud(eip_instance())
    cloud.associating = 10**6
    with pytest.raises(EcsWaitTimeoutError, match="EIP eip-1 is still Associating after 60s") as err:
        run_eip(cloud, instance_id="i-1")
    assert err.value.changed and err.value.partial == {"allocation_id": "eip-1"}


@pytest.mark.parametrize("params, message", [
    ({"address_type": "public_ip", "state": "absent"}, "state=absent needs address_type=eip"),
    ({"release_eip": True}, "release_eip is only used with state=absent"),
    ({"address_type": "public_ip", "eip_bandwidth": 5}, "eip_bandwidth is only used with address_type=eip"),
    ({"eip_bandwidth": 300, "eip_internet_charge_type": "PayByTraffic"}, "eip_bandwidth must be 1 to 200"),
    ({"eip_bandwidth": 0}, "eip_bandwidth must be 1 to 500"),
])
def test_bad_combinations_fail_before_any_call(params, message):
    values = dict({"instance_id": "i-1", "address_type": "eip"}, **params)
    with pytest.raises(EcsConfigError, match=message):
        check_options(module_params(ecs_public_ip, **values))


def test_public_ip_mode_reports_an_eip_without_vpc_calls():
    client = Ecs(instance("i-1", eip="47.1.1.1"))
    client.instances["i-1"]["EipAddress"]["AllocationId"] = "eip-x"
    result = run(client, instance_id="i-1")
    assert result["allocation_id"] == "eip-x" and result["module_allocated"] is None and result["eip"] is None
    assert [a for a, _params in client.calls] == ["DescribeInstances"]


def test_a_replayed_eip_bound_to_another_instance_is_left_there():
    cloud = Cloud(eip_instance("i-1"), eip_instance("i-2"))
    run_eip(cloud, instance_id="i-1")
    cloud.call("UnassociateEipAddress", {"AllocationId": "eip-1"})
    cloud.call("AssociateEipAddress", {"AllocationId": "eip-1", "InstanceId": "i-2"})  # moved by someone else
    cloud.eips["eip-1"]["Tags"] = {"Tag": []}  # and no longer marked as ours
    result = run_eip(cloud, instance_id="i-1")
    assert result["allocation_id"] == "eip-2" and cloud.eips["eip-1"]["InstanceId"] == "i-2"
    tokens = [p["ClientToken"] for _action, p in cloud.actions("AllocateEipAddress")]
    assert tokens == [eip_token("cn-beijing", "i-1", 0)] * 2 + [eip_token("cn-beijing", "i-1", 1)]
