# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options paired with FILTER_SPEC in plugins/module_utils/_filters.py."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  filters:
    description:
      - Any other C(DescribeInstances) request parameter, by its API name, for example C(ImageId),
        C(KeyPairName), C(InstanceTypeFamily) or C(InternetChargeType).
      - Values are sent as given. The parameters that take several values take a list, sent in the API's
        form, namely C(PrivateIpAddresses), C(PublicIpAddresses), C(EipAddresses), C(InnerIpAddresses) and
        C(RdmaIpAddresses) (a JSON array), C(AdditionalAttributes) and C(Ipv6Address) (C(Name.N)), C(Filter)
        and C(Tag) (lists of C(Key)/C(Value) dictionaries). A list for any other parameter, or a dictionary,
        is refused before any call (the API would ignore it and answer every instance).
      - A named option (O(zone_id), O(status), ...) wins over the same parameter given here.
        C(InstanceIds), C(RegionId) and the paging parameters cannot be set here.
    type: dict
  instance_charge_type:
    description: Only instances with this billing method.
    type: str
    choices: [PostPaid, PrePaid]
  instance_ids:
    description:
      - Only these instances. IDs that are not listed are left out (with a warning from
        M(alicloud.ecs.ecs_instance_info)), as ECS is eventually consistent and an instance created moments ago
        may be missing from one listing, as may one released moments ago still be in it.
      - More than 100 IDs are looked up in chunks of 100.
    type: list
    elements: str
  instance_type:
    description: Only instances of this instance type, for example V(ecs.g6.large).
    type: str
  name:
    description:
      - Only instances with this name. C(*) is a wildcard, for example V(web-*).
    type: str
  security_group_id:
    description: Only instances in this security group.
    type: str
  status:
    description: Only instances in this state.
    type: str
    choices: [Pending, Running, Starting, Stopped, Stopping]
  tags:
    description:
      - Only instances that have all these tags (at most 20). A tag whose value is null matches any value
        of that key; booleans and numbers match the strings M(alicloud.ecs.ecs_instance) writes for them
        (V(true), V(8)). A list or dictionary value is refused, naming the tag.
    type: dict
  vpc_id:
    description: Only instances in this VPC.
    type: str
  vswitch_id:
    description: Only instances in this vSwitch.
    type: str
  zone_id:
    description: Only instances in this zone, for example V(cn-hangzhou-h).
    type: str
"""
