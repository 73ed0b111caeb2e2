"""VPC EIPs (2016-04-28): AllocateEipAddress, AssociateEipAddress, UnassociateEipAddress, ReleaseEipAddress,
DescribeEipAddresses, and the EipAddress of DescribeInstances / DescribeInstanceAttribute."""

from __future__ import annotations

import json

import pytest

from ecs_emulator.errors import ApiError
from ecs_emulator.state import Store
from tests.emulator.actions_support import Ecs, assert_error
from tests.emulator.test_state import RUN, T0, api


def eips(ecs: Ecs, **params) -> list[dict]:
    return ecs.call("DescribeEipAddresses", product="vpc", PageSize=100, **params)["EipAddresses"]["EipAddress"]


def allocate(ecs: Ecs, **params) -> dict:
    return ecs.call("AllocateEipAddress", product="vpc", **params)


def test_allocate_associate_unassociate_release(ecs: Ecs, emulator):
    body = allocate(ecs, Bandwidth="10", InternetChargeType="PayByTraffic", Name="web-eip", ClientToken="eip-1")
    assert body["AllocationId"].startswith("eip-bp1") and body["EipAddress"].startswith("47.")
    assert allocate(ecs, Bandwidth="10", InternetChargeType="PayByTraffic", Name="web-eip",
                    ClientToken="eip-1")["AllocationId"] == body["AllocationId"]  # ClientToken replay
    [eip] = eips(ecs)
    assert (eip["Status"], eip["Bandwidth"], eip["InternetChargeType"], eip["ChargeType"], eip["Name"]) == (
        "Available", "10", "PayByTraffic", "PostPaid", "web-eip")
    [iid] = ecs.run()
    ecs.call("AssociateEipAddress", product="vpc", AllocationId=body["AllocationId"], InstanceId=iid,
             InstanceType="EcsInstance")
    [eip] = eips(ecs, AllocationId=body["AllocationId"])
    assert (eip["Status"], eip["InstanceId"], eip["InstanceType"]) == ("InUse", iid, "EcsInstance")  # fast delays
    inst = ecs.one(iid)
    assert inst["EipAddress"] == {"AllocationId": body["AllocationId"], "IpAddress": body["EipAddress"],
                                  "Bandwidth": 10, "InternetChargeType": "PayByTraffic", "IsSupportUnassociate": True}
    assert inst["PublicIpAddress"]["IpAddress"] == []
    attr = ecs.call("DescribeInstanceAttribute", InstanceId=iid)["EipAddress"]
    assert attr == {"AllocationId": body["AllocationId"], "IpAddress": body["EipAddress"], "Bandwidth": 10,
                    "InternetChargeType": "PayByTraffic"}
    assert [i["InstanceId"] for i in ecs.describe(EipAddresses=json.dumps([body["EipAddress"]]))] == [iid]
    assert [e["AllocationId"] for e in eips(ecs, AssociatedInstanceId=iid)] == [body["AllocationId"]]
    exc = ecs.error("ReleaseEipAddress", product="vpc", AllocationId=body["AllocationId"])
    assert_error(exc, "IncorrectEipStatus", 400)  # only an Available EIP can be released
    exc = ecs.error("AllocatePublicIpAddress", InstanceId=iid)
    assert_error(exc, "OperationDenied", 400, "Specified operation is denied as your instance is in VPC.")
    ecs.call("UnassociateEipAddress", product="vpc", AllocationId=body["AllocationId"], InstanceId=iid)
    assert eips(ecs)[0]["Status"] == "Available" and eips(ecs)[0]["InstanceId"] == ""
    assert ecs.one(iid)["EipAddress"]["AllocationId"] == "" and ecs.one(iid)["EipAddress"]["IsSupportUnassociate"] is False
    ecs.call("ReleaseEipAddress", product="vpc", AllocationId=body["AllocationId"])
    assert eips(ecs) == []
    assert_error(ecs.error("ReleaseEipAddress", product="vpc", AllocationId=body["AllocationId"]),
                 "InvalidAllocationId.NotFound", 404, "Specified allocation ID is not found")


def test_association_rules(ecs: Ecs):
    eip = allocate(ecs)["AllocationId"]
    [with_ip] = ecs.run(InternetMaxBandwidthOut=5)  # an ECS-assigned public IP: no EIP (EIP FAQ)
    exc = ecs.error("AssociateEipAddress", product="vpc", AllocationId=eip, InstanceId=with_ip)
    assert_error(exc, "InvalidAssociation.Duplicated", 400, "Specified instance already is associated.")
    exc = ecs.error("AssociateEipAddress", product="vpc", AllocationId=eip, InstanceId="i-bp1nothere")
    assert_error(exc, "InvalidInstanId.NotFound", 404)
    [iid] = ecs.run()
    exc = ecs.error("AssociateEipAddress", product="vpc", AllocationId=eip, InstanceId=iid, InstanceType="Robot")
    assert_error(exc, "InvalidInstanceType.ValueNotSupported", 400)
    exc = ecs.error("AssociateEipAddress", product="vpc", AllocationId=eip, InstanceId=iid, InstanceType="Nat")
    assert_error(exc, "InvalidInstanId.NotFound", 404)
    ecs.call("AssociateEipAddress", product="vpc", AllocationId=eip, InstanceId=iid)
    exc = ecs.error("AssociateEipAddress", product="vpc", AllocationId=eip, InstanceId=iid)
    assert_error(exc, "IncorrectEipStatus", 400)
    second = allocate(ecs)["AllocationId"]
    exc = ecs.error("AssociateEipAddress", product="vpc", AllocationId=second, InstanceId=iid)
    assert_error(exc, "InvalidAssociation.Duplicated", 400)
    [beijing] = ecs.call("RunInstances", RegionId="cn-beijing", ImageId=RUN["ImageId"], InstanceType=RUN["InstanceType"],
                         SecurityGroupId="sg-2zeemudefault", VSwitchId="vsw-2zeemudefaulth")["InstanceIdSets"][
                             "InstanceIdSet"]
    exc = ecs.error("AssociateEipAddress", product="vpc", AllocationId=second, InstanceId=beijing)
    assert_error(exc, "InvalidParameter.Mismatch", 400)
    exc = ecs.error("AssociateEipAddress", product="vpc", AllocationId="eip-bp1nothere", InstanceId=iid)
    assert_error(exc, "InvalidAllocationId.NotFound", 404)
    exc = ecs.error("UnassociateEipAddress", product="vpc", AllocationId=second)
    assert_error(exc, "IncorrectEipStatus", 400)  # not associated
    [other] = ecs.run()
    exc = ecs.error("UnassociateEipAddress", product="vpc", AllocationId=eip, InstanceId=other)
    assert_error(exc, "InvalidBindingStatus", 400)


@pytest.mark.parametrize(
    "params,code",
    [
        ({"Bandwidth": "0"}, "InvalidParameter"),
        ({"Bandwidth": "201", "InternetChargeType": "PayByTraffic"}, "InvalidParameter"),
        ({"Bandwidth": "501"}, "InvalidParameter"),
        ({"Bandwidth": "nan"}, "InvalidParameter"),
        ({"InternetChargeType": "PayByDay"}, "InvalidParameter"),
        ({"InstanceChargeType": "PrePaid", "InternetChargeType": "PayByTraffic", "Period": "1"}, "InvalidParameter"),
        ({"InstanceChargeType": "PrePaid"}, "InvalidParameter"),
        ({"InstanceChargeType": "PrePaid", "Period": "10"}, "InvalidParameter"),
        ({"Name": "http://eip"}, "InvalidParameter"),
        ({"ISP": "Carrier-Pigeon"}, "InvalidParameter"),
    ],
)
def test_allocate_validation(ecs: Ecs, params, code):
    assert_error(ecs.error("AllocateEipAddress", product="vpc", **params), code, 400)


def test_prepaid_eips(ecs: Ecs, emulator):
    before = emulator.state()["balance"]
    body = allocate(ecs, InstanceChargeType="PrePaid", Period="2", PricingCycle="Month", Bandwidth="5", AutoPay=True)
    assert body["OrderId"] and body["AllocationId"]
    assert before - emulator.state()["balance"] == pytest.approx(5 * 23.0 * 2)
    [eip] = eips(ecs)
    assert eip["ChargeType"] == "PrePaid" and eip["ExpiredTime"]
    exc = ecs.error("ReleaseEipAddress", product="vpc", AllocationId=body["AllocationId"])
    assert_error(exc, "Forbidden.ChargeTypeIsPrepaid", 400, "It's forbidden to release a prepaid EIP")
    unpaid = allocate(ecs, InstanceChargeType="PrePaid", Period="1")  # AutoPay defaults to false: an unpaid order
    assert unpaid["AllocationId"] == "" and unpaid["OrderId"] and len(eips(ecs)) == 1
    emulator.config({"account_balance": 1.0})
    exc = ecs.error("AllocateEipAddress", product="vpc", InstanceChargeType="PrePaid", Period="1", AutoPay=True)
    assert_error(exc, "InsufficientBalance", 400)


def test_eip_quota_and_describe_filters(ecs: Ecs, emulator):
    emulator.config({"eip_quota": 3})
    ids = [allocate(ecs, **{"Tag.1.Key": "n", "Tag.1.Value": str(n)})["AllocationId"] for n in range(3)]
    assert_error(ecs.error("AllocateEipAddress", product="vpc"), "QuotaExceeded.Eip", 400)
    assert len(eips(ecs, AllocationId=",".join(ids[:2]))) == 2
    first = eips(ecs, AllocationId=ids[0])[0]
    assert [e["AllocationId"] for e in eips(ecs, EipAddress=first["IpAddress"])] == [ids[0]]
    assert len(eips(ecs, Status="Available")) == 3 and eips(ecs, Status="InUse") == []
    assert [e["AllocationId"] for e in eips(ecs, **{"Tag.1.Key": "n", "Tag.1.Value": "1"})] == [ids[1]]
    assert len(eips(ecs, **{"Tag.1.Key": "n"})) == 3  # a key without a value matches any value
    emulator.config({"eip_quota": 4})
    named = allocate(ecs, Name="web-eip")["AllocationId"]
    assert [e["AllocationId"] for e in eips(ecs, EipName="web-eip")] == [named] and eips(ecs, EipName="web") == []
    page = ecs.call("DescribeEipAddresses", product="vpc", PageSize=2, PageNumber=2)
    assert page["TotalCount"] == 4 and len(page["EipAddresses"]["EipAddress"]) == 2
    assert_error(ecs.error("DescribeEipAddresses", product="vpc", Status="Lost"), "InvalidParameter", 400)
    assert eips(ecs, RegionId="cn-beijing") == []


def test_new_sdk_reads_eips(emulator, new_sdk_client):
    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_vpc20160428 import models as vpc_models
    from alibabacloud_vpc20160428.client import Client

    client = Client(open_api_models.Config(access_key_id="LTAI5tEmulatorDefaultKey", access_key_secret="emulator-secret",
                                           region_id="cn-hangzhou", endpoint=emulator.hostport, protocol="http"))
    made = client.allocate_eip_address(vpc_models.AllocateEipAddressRequest(region_id="cn-hangzhou", bandwidth="3"))
    found = client.describe_eip_addresses(vpc_models.DescribeEipAddressesRequest(region_id="cn-hangzhou"))
    [eip] = found.body.eip_addresses.eip_address
    assert eip.allocation_id == made.body.allocation_id and eip.bandwidth == "3" and eip.status == "Available"


def test_eip_transitions_take_their_delays_and_a_release_frees_the_eip():
    store = Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0, "Associating": 2, "Unassociating": 3}})
    [iid] = api(store, "RunInstances", T0, **RUN)["InstanceIdSets"]["InstanceIdSet"]
    vpc = "2016-04-28"
    eip = api(store, "AllocateEipAddress", T0, version=vpc, RegionId="cn-hangzhou")["AllocationId"]
    status = lambda t: api(store, "DescribeEipAddresses", t, version=vpc, RegionId="cn-hangzhou")[  # noqa: E731
        "EipAddresses"]["EipAddress"][0]["Status"]
    api(store, "AssociateEipAddress", T0 + 1, version=vpc, RegionId="cn-hangzhou", AllocationId=eip, InstanceId=iid)
    assert status(T0 + 2) == "Associating"
    with pytest.raises(ApiError) as info:  # only InUse EIPs can be disassociated
        api(store, "UnassociateEipAddress", T0 + 2, version=vpc, RegionId="cn-hangzhou", AllocationId=eip)
    assert info.value.code == "IncorrectEipStatus"
    assert status(T0 + 3.1) == "InUse"
    api(store, "UnassociateEipAddress", T0 + 4, version=vpc, RegionId="cn-hangzhou", AllocationId=eip)
    assert status(T0 + 5) == "Unassociating" and status(T0 + 7.1) == "Available"
    api(store, "AssociateEipAddress", T0 + 8, version=vpc, RegionId="cn-hangzhou", AllocationId=eip, InstanceId=iid)
    api(store, "DeleteInstance", T0 + 20, InstanceId=iid, Force="true")
    assert status(T0 + 21) == "Available"  # the EIP of a released instance stays with the account
    restored = Store({"delays": {"Pending": 0, "Starting": 0, "Stopping": 0}})
    restored.restore(json.loads(json.dumps(store.dump())))
    assert restored.eips[eip]["IpAddress"] in restored.public_ips


def test_a_token_of_a_released_eip_replays_its_dead_id(ecs: Ecs):
    """Reference 8.2: the API remembers a ClientToken after its resource is gone. ecs_public_ip relies on this
    (and on the association tokens replaying) and moves to a new token after releasing its EIP."""
    first = allocate(ecs, ClientToken="ans-eip-gen-0")["AllocationId"]
    ecs.call("ReleaseEipAddress", product="vpc", AllocationId=first)
    assert allocate(ecs, ClientToken="ans-eip-gen-0")["AllocationId"] == first
    assert eips(ecs, AllocationId=first) == []
    [iid] = ecs.run()
    exc = ecs.error("AssociateEipAddress", product="vpc", AllocationId=first, InstanceId=iid)
    assert_error(exc, "InvalidAllocationId.NotFound", 404)
    second = allocate(ecs, ClientToken="ans-eip-gen-1")["AllocationId"]
    assert second != first
    ecs.call("AssociateEipAddress", product="vpc", AllocationId=second, InstanceId=iid, ClientToken="assoc-1")
    ecs.call("AssociateEipAddress", product="vpc", AllocationId=second, InstanceId=iid, ClientToken="assoc-1")  # replay
    assert eips(ecs, AllocationId=second)[0]["InstanceId"] == iid
