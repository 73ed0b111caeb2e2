#!/usr/bin/python
# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ecs_instance_info
short_description: List Alibaba Cloud ECS instances
version_added: 1.0.0
description:
  - Lists the ECS instances of a region that match every given filter, with all their attributes.
  - The filters are applied by the API (C(DescribeInstances)); every page of results is read.
  - The instances have exactly the shape M(alicloud.ecs.ecs_instance) returns.
  - ECS is eventually consistent; a listing is a snapshot that may lag behind recent changes (an instance
    created moments ago may be missing, one released moments ago still listed in its last state).
author:
  - alicloud.ecs contributors (@alicloud-ecs)
attributes:
  check_mode:
    description: The module only reads; it runs the same in check mode.
    support: full
  diff_mode:
    description: Nothing changes, so there is no diff.
    support: none
extends_documentation_fragment:
  - alicloud.ecs.credentials
  - alicloud.ecs.filters
seealso:
  - module: alicloud.ecs.ecs_instance
  - plugin: alicloud.ecs.ecs
    plugin_type: inventory
"""

EXAMPLES = r"""
- name: All instances of the region
  alicloud.ecs.ecs_instance_info:
    region: cn-hangzhou

- name: Running web servers of production in one zone
  alicloud.ecs.ecs_instance_info:
    name: web-*
    status: Running
    zone_id: cn-hangzhou-h
    tags:
      env: prod

- name: Some instances by ID
  alicloud.ecs.ecs_instance_info:
    instance_ids:
      - i-bp67acfmxazb4ph2xxxx
      - i-bp67acfmxazb4ph2yyyy

- name: Instances of one image, with a raw DescribeInstances parameter
  alicloud.ecs.ecs_instance_info:
    vpc_id: vpc-bp1opxu1zkhn00gzvxxxx
    filters:
      ImageId: ubuntu_22_04_x64_20G_alibase_20240130.vhd
"""

RETURN = r"""
instance_ids:
  description: IDs of the instances found, in the order of RV(instances).
  returned: always
  type: list
  elements: str
  sample: [i-bp67acfmxazb4ph2xxxx]
instances:
  description:
    - The instances found, as DescribeInstances returns them in snake_case, sorted by creation time and ID.
      List wrappers are flattened and tags are a dictionary; the same shape as RV(alicloud.ecs.ecs_instance#module:instances).
  returned: always
  type: list
  elements: dict
  contains:
    image_id:
      description: Image ID.
      type: str
      sample: ubuntu_22_04_x64_20G_alibase_20240130.vhd
    instance_charge_type:
      description: V(PostPaid) or V(PrePaid).
      type: str
      sample: PostPaid
    instance_id:
      description: Instance ID.
      type: str
      sample: i-bp67acfmxazb4ph2xxxx
    instance_name:
      description: Instance name.
      type: str
      sample: web-1
    instance_type:
      description: Instance type.
      type: str
      sample: ecs.g6.large
    internet_max_bandwidth_out:
      description: Maximum outbound public bandwidth in Mbit/s.
      type: int
      sample: 5
    private_ip:
      description: First private IPv4 address.
      type: str
      sample: 172.16.0.10
    public_ip:
      description: Public IPv4 address (or EIP), or null.
      type: str
      sample: 47.96.1.2
    public_ip_address:
      description: Public IPv4 addresses (not EIPs).
      type: list
      elements: str
      sample: [47.96.1.2]
    region_id:
      description: Region ID.
      type: str
      sample: cn-hangzhou
    security_group_ids:
      description: Security groups.
      type: list
      elements: str
      sample: [sg-bp1hv7cbwl1nzhgkbpbj]
    status:
      description: C(Pending), C(Starting), C(Running), C(Stopping) or C(Stopped).
      type: str
      sample: Running
    tags:
      description: Tags.
      type: dict
      sample: {env: prod}
    vpc_id:
      description: VPC ID.
      type: str
      sample: vpc-bp1opxu1zkhn00gzvxxxx
    vswitch_id:
      description: VSwitch ID.
      type: str
      sample: vsw-bp1s5fnvk4gn2tws03624
    zone_id:
      description: Zone ID.
      type: str
      sample: cn-hangzhou-h
  sample:
    - instance_id: i-bp67acfmxazb4ph2xxxx
      instance_name: web-1
      status: Running
      zone_id: cn-hangzhou-h
      public_ip: 47.96.1.2
      private_ip: 172.16.0.10
      tags: {env: prod}
"""

from typing import Any

from ansible_collections.alicloud.ecs.plugins.module_utils._filters import FILTER_SPEC, describe_filtered
from ansible_collections.alicloud.ecs.plugins.module_utils._module import EcsModule
from ansible_collections.alicloud.ecs.plugins.module_utils._transform import clean_ids, normalize_instances


def list_instances(mod: EcsModule) -> dict[str, Any]:
    instances = normalize_instances(describe_filtered(mod.client, mod.params))
    found = {i["instance_id"] for i in instances}
    wanted, blanks = clean_ids(mod.params.get("instance_ids"))
    if blanks:
        mod.warn("instance_ids has %d empty entr%s (a lookup that found nothing?); left out" % (
            blanks, "y" if blanks == 1 else "ies"))
    missing = [i for i in wanted if i not in found]
    if missing:
        mod.warn(
            "instance(s) %s not listed: they do not exist, do not match the other filters, or are not visible "
            "yet (ECS is eventually consistent: a just-created instance may be missing from one listing)"
            % ", ".join(missing)
        )
    return {"changed": False, "instances": instances, "instance_ids": [i["instance_id"] for i in instances]}


def main() -> None:
    EcsModule(FILTER_SPEC, supports_check_mode=True).run(list_instances)


if __name__ == "__main__":
    main()
