"""ecs_public_ip logic with an in-memory ECS: find, settle, idempotency, check mode, failures."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError, EcsConfigError, EcsVisibilityError
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
