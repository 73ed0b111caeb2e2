#!/usr/bin/python
# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ecs_public_ip
short_description: Give an Alibaba Cloud ECS instance a public IP address
version_added: 1.0.0
description:
  - Makes sure an ECS instance has a public IPv4 address, allocating one with C(AllocatePublicIpAddress) when
    it has none.
  - The instance is chosen by O(instance_id), or by O(name) when exactly one instance of the region has that
    name. No match, or several, fails and names the instances found.
  - An instance that already has a public IP address or an EIP is left alone and its address is reported.
  - Transitional states (C(Pending), C(Starting), C(Stopping)) are waited out first, for at most
    O(wait_timeout) seconds. Both running and stopped instances can get an address.
author:
  - alicloud.ecs contributors (@alicloud-ecs)
attributes:
  check_mode:
    description: Makes no change and reports whether an address would be allocated.
    support: full
  diff_mode:
    description: Not supported.
    support: none
options:
  instance_id:
    description:
      - ID of the instance.
      - Exactly one of O(instance_id) and O(name) is required.
    type: str
  name:
    description:
      - Name of the instance (exact match, no wildcards). Exactly one instance of the region must have it.
      - Exactly one of O(instance_id) and O(name) is required.
    type: str
  visibility_timeout:
    description:
      - ECS is eventually consistent, so an instance created moments ago may not be listed yet. This is how many
        seconds the module waits for the instance to be listed before it fails, naming the likely causes.
    type: int
    default: 120
  wait_timeout:
    description:
      - How many seconds to wait at most for an instance in a transitional state to settle before acting.
    type: int
    default: 600
extends_documentation_fragment:
  - alicloud.ecs.credentials
notes:
  - The instance needs outgoing public bandwidth (C(internet_max_bandwidth_out) above 0, see
    O(alicloud.ecs.ecs_instance#module:internet_max_bandwidth_out)). Without it the module fails before calling
    the API and explains what to do (the API would answer C(AllocateIpInvalidInstanceBandwidth)).
  - ECS has no API to take such an address back. It goes away when the instance is released; to keep it
    independently of the instance, convert it to an EIP (C(ConvertNatPublicIpToEip)).
  - The address works inside the guest after the next start or restart of the instance.
  - C(AllocatePublicIpAddress) has no ClientToken, but an instance has at most one public IP. After an ambiguous
    failure (HTTP 5xx, timeout) the module reads the instance again and, when no address shows, asks once more;
    that second call answers C(AllocatedAlready) if the first one took effect. Either way the instance ends with
    one address, which the module reports once DescribeInstances shows it (waiting up to O(visibility_timeout)).
seealso:
  - module: alicloud.ecs.ecs_instance
  - name: AllocatePublicIpAddress
    description: ECS API reference of AllocatePublicIpAddress.
    link: https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-allocatepublicipaddress
"""

EXAMPLES = r"""
- name: Give an instance a public IP address
  alicloud.ecs.ecs_public_ip:
    instance_id: i-bp67acfmxazb4ph2xxxx

- name: Same, by the instance's name
  alicloud.ecs.ecs_public_ip:
    name: web-1
    region: cn-hangzhou
    wait_timeout: 300
"""

RETURN = r"""
instance:
  description:
    - The instance after the run, read back from the API, in the shape of
      RV(alicloud.ecs.ecs_instance#module:instances).
  returned: always
  type: dict
  contains:
    instance_id:
      description: Instance ID.
      type: str
      sample: i-bp67acfmxazb4ph2xxxx
    internet_max_bandwidth_out:
      description: Maximum outbound public bandwidth in Mbit/s.
      type: int
      sample: 5
    public_ip:
      description: Public IPv4 address (or EIP), or null.
      type: str
      sample: 47.96.1.2
    public_ip_address:
      description: Public IPv4 addresses assigned by ECS (not EIPs).
      type: list
      elements: str
      sample: [47.96.1.2]
    status:
      description: C(Pending), C(Starting), C(Running), C(Stopping) or C(Stopped).
      type: str
      sample: Stopped
  sample:
    instance_id: i-bp67acfmxazb4ph2xxxx
    instance_name: web-1
    status: Stopped
    public_ip: 47.96.1.2
    public_ip_address: [47.96.1.2]
ip_address:
  description:
    - The public IP address of the instance (an EIP if it has one and no other public address).
    - Null in check mode when an address would be allocated.
  returned: always
  type: str
  sample: 47.96.1.2
"""

from ansible_collections.alicloud.ecs.plugins.module_utils._module import EcsModule
from ansible_collections.alicloud.ecs.plugins.module_utils._public_ip import ensure_public_ip

ARGUMENT_SPEC = {
    "instance_id": {"type": "str"},
    "name": {"type": "str"},
    "visibility_timeout": {"type": "int", "default": 120},
    "wait_timeout": {"type": "int", "default": 600},
}


def main() -> None:
    module = EcsModule(
        ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("instance_id", "name")],
        required_one_of=[("instance_id", "name")],
    )
    module.run(ensure_public_ip)


if __name__ == "__main__":
    main()
