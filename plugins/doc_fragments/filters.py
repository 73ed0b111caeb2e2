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
      - Lists and dictionaries are flattened as the API expects (C(Filter.1.Key), ...).
      - A named option (O(zone_id), O(status), ...) wins over the same parameter given here.
        C(InstanceIds), C(RegionId) and the paging parameters cannot be set here.
    type: dict
  instance_charge_type:
    description: Only instances with this billing method.
    type: str
    choices: [PostPaid, PrePaid]
  instance_ids:
    description:
      - Only these instances. IDs that do not exist are ignored.
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
        of that key.
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
