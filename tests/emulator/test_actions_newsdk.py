"""The new SDKs (alibabacloud_ecs20140526 / alibabacloud_vpc20160428, ACS3) parse every answer into
their models: response shapes must fit the generated model types."""

from __future__ import annotations

import json

import pytest
from alibabacloud_ecs20140526 import models as ecs_models
from alibabacloud_tea_openapi.exceptions import ClientException

from tests.emulator.actions_support import IMAGE, REGION, SG, TYPE, VPC, VSWITCH


@pytest.fixture
def client(new_sdk_client):
    return new_sdk_client()


def test_new_sdk_models_parse_instance_answers(client):
    run = client.run_instances(
        ecs_models.RunInstancesRequest(
            region_id=REGION,
            image_id=IMAGE,
            instance_type=TYPE,
            security_group_ids=[SG],
            v_switch_id=VSWITCH,
            amount=2,
            internet_max_bandwidth_out=5,
            tag=[ecs_models.RunInstancesRequestTag(key="env", value="dev")],
            system_disk=ecs_models.RunInstancesRequestSystemDisk(category="cloud_essd", size="40"),
            data_disk=[ecs_models.RunInstancesRequestDataDisk(category="cloud_essd", size=50)],
        )
    )
    ids = run.body.instance_id_sets.instance_id_set
    body = client.describe_instances(
        ecs_models.DescribeInstancesRequest(
            region_id=REGION, instance_ids=json.dumps(ids), tag=[ecs_models.DescribeInstancesRequestTag(key="env")]
        )
    ).body
    assert body.total_count == 2
    inst = body.instances.instance[0]
    assert inst.status == "Running" and inst.io_optimized is True and inst.memory == 8192
    assert inst.public_ip_address.ip_address[0].startswith("47.")
    assert inst.tags.tag[0].tag_key == "env" and inst.vpc_attributes.vpc_id == VPC
    assert inst.network_interfaces.network_interface[0].type == "Primary"
    status = client.describe_instance_status(
        ecs_models.DescribeInstanceStatusRequest(region_id=REGION, instance_id=ids)
    ).body
    assert {s.status for s in status.instance_statuses.instance_status} == {"Running"}
    disks = client.describe_disks(ecs_models.DescribeDisksRequest(region_id=REGION, instance_id=ids[0])).body
    assert [d.type for d in disks.disks.disk] == ["system", "data"] and disks.disks.disk[0].tags.tag[
        0
    ].tag_value == "dev"
    resp = client.stop_instances(
        ecs_models.StopInstancesRequest(region_id=REGION, instance_id=ids, batch_optimization="SuccessFirst")
    ).body
    assert [r.code for r in resp.instance_responses.instance_response] == ["200", "200"]
    fees = client.modify_instance_charge_type(
        ecs_models.ModifyInstanceChargeTypeRequest(
            region_id=REGION, instance_ids=json.dumps(ids[:1]), period=1, instance_charge_type="PrePaid"
        )
    ).body
    assert fees.fee_of_instances.fee_of_instance[0].currency == "CNY" and fees.order_id
    rows = client.list_tag_resources(
        ecs_models.ListTagResourcesRequest(region_id=REGION, resource_type="instance", resource_id=ids)
    ).body
    assert len(rows.tag_resources.tag_resource) == 2 and rows.next_token == ""
    with pytest.raises(ClientException) as info:
        client.delete_instance(ecs_models.DeleteInstanceRequest(instance_id=ids[0]))
    assert info.value.code == "ChargeTypeViolation"


def test_new_sdk_models_parse_catalog_and_network_answers(client, new_sdk_client):
    regions = client.describe_regions(ecs_models.DescribeRegionsRequest(accept_language="en-US")).body
    assert any(r.local_name == "China (Hangzhou)" for r in regions.regions.region)
    zones = client.describe_zones(ecs_models.DescribeZonesRequest(region_id=REGION)).body
    info = zones.zones.zone[0].available_resources.resources_info[0]
    assert "ecs.g7.large" in info.instance_types.supported_instance_type
    images = client.describe_images(ecs_models.DescribeImagesRequest(region_id=REGION, image_owner_alias="system")).body
    assert images.images.image[0].disk_device_mappings.disk_device_mapping[0].type == "system"
    types = client.describe_instance_types(
        ecs_models.DescribeInstanceTypesRequest(instance_types=["ecs.g7.large"])
    ).body
    assert types.instance_types.instance_type[0].memory_size == 8.0
    groups = client.describe_security_groups(ecs_models.DescribeSecurityGroupsRequest(region_id=REGION)).body
    assert groups.security_groups.security_group[0].security_group_id == SG
    sg = client.create_security_group(
        ecs_models.CreateSecurityGroupRequest(region_id=REGION, vpc_id=VPC, security_group_name="new-sdk")
    ).body.security_group_id
    client.authorize_security_group(
        ecs_models.AuthorizeSecurityGroupRequest(
            region_id=REGION,
            security_group_id=sg,
            permissions=[
                ecs_models.AuthorizeSecurityGroupRequestPermissions(
                    ip_protocol="TCP", port_range="443/443", source_cidr_ip="0.0.0.0/0"
                )
            ],
        )
    )
    legacy = client.describe_vpcs(ecs_models.DescribeVpcsRequest(region_id=REGION)).body
    assert legacy.vpcs.vpc[0].vpc_id == VPC

    from alibabacloud_tea_openapi import models as open_api_models
    from alibabacloud_vpc20160428 import models as vpc_models
    from alibabacloud_vpc20160428.client import Client as VpcClient

    hostport = client._endpoint  # the emulator host:port the ECS client uses
    vpc = VpcClient(
        open_api_models.Config(
            access_key_id="LTAI5tEmulatorDefaultKey",
            access_key_secret="emulator-secret",
            region_id=REGION,
            endpoint=hostport,
            protocol="http",
        )
    )
    vpcs = vpc.describe_vpcs(vpc_models.DescribeVpcsRequest(region_id=REGION)).body
    assert vpcs.vpcs.vpc[0].is_default is True
    switches = vpc.describe_vswitches(vpc_models.DescribeVSwitchesRequest(region_id=REGION, vpc_id=VPC)).body
    assert switches.total_count == 3 and switches.v_switches.v_switch[0].route_table.route_table_type == "System"
