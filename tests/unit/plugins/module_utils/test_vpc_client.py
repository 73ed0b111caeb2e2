"""The VPC client of a run (EIPs): endpoint rule, requests, and the ECS client's retries, errors and scrubbing."""

from __future__ import annotations

import json

import pytest
from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException

from ansible_collections.alicloud.ecs.plugins.module_utils import _client as c
from ansible_collections.alicloud.ecs.plugins.module_utils import _vpc as vpc
from ansible_collections.alicloud.ecs.plugins.module_utils._errors import EcsApiError, EcsConfigError, failure_message
from ansible_collections.alicloud.ecs.tests.unit.kit import FakeClock

INFO = {"region": "cn-beijing", "endpoint": "http://127.0.0.1:1", "protocol": "http", "secret_key": "SECRET",
        "security_token": "TOKEN"}


class FakeAcs:
    """Stands in for AcsClient._implementation_of_do_action: replays scripted outcomes (as in test_client.py)."""

    def __init__(self, outcomes):
        self.outcomes = list(outcomes)
        self.requests = []

    def _implementation_of_do_action(self, request, signer=None):
        self.requests.append(request)
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, ClientException):
            raise outcome
        if isinstance(outcome, tuple):
            code, status, headers = outcome
            body = json.dumps({"Code": code, "Message": "msg of " + code, "RequestId": "RID-1"}).encode()
            return status, headers, body, ServerException(code, "msg of " + code, status, "RID-1")
        return 200, {}, json.dumps(outcome).encode(), None


@pytest.mark.parametrize("region, vpc_endpoint, endpoint, expected", [
    ("cn-beijing", None, None, ("vpc.cn-beijing.aliyuncs.com", "https", True)),
    ("cn-hangzhou", None, None, ("vpc.aliyuncs.com", "https", True)),
    ("cn-wuhan", None, None, ("vpc.aliyuncs.com", "https", True)),
    ("eu-central-1", "http://127.0.0.1:9", "http://127.0.0.1:8", ("http://127.0.0.1:9", "http", False)),
    ("eu-central-1", "vpc-vpc.eu-central-1.aliyuncs.com", None, ("vpc-vpc.eu-central-1.aliyuncs.com", "https", False)),
    # Only endpoint: an emulator or proxy serves VPC calls too ...
    ("cn-beijing", None, "http://127.0.0.1:8080/", ("http://127.0.0.1:8080", "http", False)),
    ("cn-beijing", None, "gateway.example.com:8443", ("gateway.example.com:8443", "https", False)),
    # ... an Alibaba Cloud ECS host cannot: VPC goes to its own regional host.
    ("cn-beijing", None, "ecs.cn-beijing.aliyuncs.com", ("vpc.cn-beijing.aliyuncs.com", "https", True)),
    ("cn-beijing", None, "https://ECS-VPC.cn-beijing.aliyuncs.com", ("vpc.cn-beijing.aliyuncs.com", "https", True)),
    ("cn-hangzhou", None, "ecs.aliyuncs.com", ("vpc.aliyuncs.com", "https", True)),
])
def test_resolve_vpc_endpoint(region, vpc_endpoint, endpoint, expected):
    assert c.resolve_vpc_endpoint(region, vpc_endpoint, endpoint) == expected


def test_bad_vpc_endpoint_names_the_option():
    with pytest.raises(EcsConfigError, match="vpc_endpoint 'not a host' is not a URL"):
        c.resolve_vpc_endpoint("cn-beijing", "not a host", None)


def make_pair(outcomes, options=None, env=None, retry_timeout=120):
    clock = FakeClock()
    acs = FakeAcs(outcomes)
    ecs = c.EcsClient(dict(INFO, retry_timeout=retry_timeout), clock=clock, sleep=clock.sleep, acs=acs)
    return ecs, c.vpc_client(ecs, options or {}, env=env or {}), acs, clock


def test_vpc_client_shares_the_acs_client_and_sends_vpc_requests():
    ecs, client, acs, _clock = make_pair([{"RequestId": "r", "AllocationId": "eip-1", "EipAddress": "47.0.0.1"}],
                                         options={"vpc_endpoint": "http://127.0.0.1:2"})
    assert client._acs is ecs._acs and client.region == "cn-beijing" and client.retry_timeout == 120
    answer = vpc.allocate_eip_address(client, {"Bandwidth": 5, "Tag": [{"Key": "k", "Value": "v"}]}, "tok", "allocate")
    assert answer == {"AllocationId": "eip-1", "EipAddress": "47.0.0.1"}
    request = acs.requests[0]
    assert (request.get_product(), request.get_version(), request.get_action_name()) == (
        "Vpc", "2016-04-28", "AllocateEipAddress")
    params = request.get_query_params()
    assert params["RegionId"] == "cn-beijing" and params["ClientToken"] == "tok" and params["Tag.1.Key"] == "k"
    assert request.get_domain() == "http://127.0.0.1:2"


def test_endpoint_env_rule():
    # Only ALICLOUD_ECS_ENDPOINT (an emulator): VPC calls go there; ALICLOUD_VPC_ENDPOINT wins.
    _ecs, client, _acs, _clock = make_pair([], env={"ALICLOUD_ECS_ENDPOINT": "http://127.0.0.1:7"})
    assert (client.endpoint, client.protocol) == ("http://127.0.0.1:7", "http")
    _ecs, client, _acs, _clock = make_pair([], env={"ALICLOUD_ECS_ENDPOINT": "http://127.0.0.1:7",
                                                    "ALICLOUD_VPC_ENDPOINT": "http://127.0.0.1:6"})
    assert client.endpoint == "http://127.0.0.1:6"


def test_vpc_calls_are_retried_and_fail_in_the_collections_shape():
    outcomes = [("Throttling", 400, {}), ("InternalError", 500, {}), ("QuotaExceeded.Eip", 400, {})]
    _ecs, client, _acs, clock = make_pair(outcomes, options={"vpc_endpoint": "http://127.0.0.1:2"})
    with pytest.raises(EcsApiError) as err:
        vpc.allocate_eip_address(client, {}, "tok", "allocate an EIP for instance i-1")
    assert failure_message(err.value) == (
        "Failed to allocate an EIP for instance i-1: QuotaExceeded.Eip: msg of QuotaExceeded.Eip (gave up after "
        "3 attempts) (RequestId RID-1)")
    assert len(clock.sleeps) == 2


def test_association_without_token_is_not_blindly_repeated_but_with_one_is():
    _ecs, client, acs, _clock = make_pair([("InternalError", 500, {}), {"RequestId": "r"}],
                                          options={"vpc_endpoint": "http://127.0.0.1:2"})
    vpc.associate_eip_address(client, "eip-1", "i-1")
    first, second = (r.get_query_params() for r in acs.requests)
    assert first["ClientToken"] == second["ClientToken"] and first["ClientToken"].startswith("anseipa-")


def test_release_not_found_is_released_already():
    _ecs, client, _acs, _clock = make_pair([("InvalidAllocationId.NotFound", 404, {})])
    assert vpc.release_eip_address(client, "eip-1") is False


def test_transport_errors_are_scrubbed_and_a_bad_vpc_host_names_the_option():
    failure = ClientException("SDK.HttpError", "HTTPConnectionPool(host='vpc.cn-beijing.aliyuncs.com'): "
                              "/?Signature=SECRET&SecurityToken=TOKEN Name or service not known")
    _ecs, client, _acs, _clock = make_pair([failure])
    with pytest.raises(EcsApiError) as err:
        vpc.describe_eip_addresses(client, {}, "describe EIPs")
    text = failure_message(err.value)
    assert "SECRET" not in text and "TOKEN" not in text
    assert err.value.code == "SDK.EndpointNotResolved"
    assert "VPC endpoint host vpc.cn-beijing.aliyuncs.com" in text and "ALICLOUD_VPC_ENDPOINT" in text


def test_describe_pages_until_the_total():
    rows = [{"AllocationId": "eip-%d" % n} for n in range(150)]
    pages = [{"EipAddresses": {"EipAddress": rows[:100]}, "TotalCount": 150},
             {"EipAddresses": {"EipAddress": rows[100:]}, "TotalCount": 150}]
    _ecs, client, acs, _clock = make_pair(pages)
    assert len(vpc.describe_eip_addresses(client, {"Status": "Available"}, "describe EIPs")) == 150
    assert [r.get_query_params()["PageNumber"] for r in acs.requests] == ["1", "2"]
