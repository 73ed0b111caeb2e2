#!/usr/bin/python
# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ecs_public_ip
short_description: Give an Alibaba Cloud ECS instance a public IP address or an Elastic IP
version_added: 1.0.0
description:
  - Makes sure an ECS instance has a public IPv4 address.
  - With O(address_type=public_ip) (the default) the address is one ECS assigns, allocated with
    C(AllocatePublicIpAddress) when the instance has none. The instance needs outgoing public bandwidth.
  - With O(address_type=eip) the address is an Elastic IP (EIP) of the VPC service, which needs no bandwidth on
    the instance. An EIP already bound to the instance, by anyone, is reported and left alone; else an EIP this
    module allocated for the instance and left unbound (an interrupted run) is associated; else a pay-as-you-go
    EIP is allocated (C(AllocateEipAddress)) and associated (C(AssociateEipAddress)), and the module waits until
    the association is done (C(Associating) becomes C(InUse)).
  - With O(state=absent) (EIPs only) the EIP bound to the instance is unassociated. With O(release_eip=true) the
    EIPs this module allocated for the instance are released too, never EIPs allocated otherwise.
  - The instance is chosen by O(instance_id), or by O(name) when exactly one instance of the region has that
    name. No match, or several, fails and names the instances found.
  - Transitional states (C(Pending), C(Starting), C(Stopping)) are waited out first, for at most
    O(wait_timeout) seconds. Both running and stopped instances can get an address.
author:
  - alicloud.ecs contributors (@alicloud-ecs)
attributes:
  check_mode:
    description:
      - Makes no change (no allocating, associating, unassociating or releasing call) and reports what would
        change. The EIP APIs have no C(DryRun) for changes, so check mode only reads.
    support: full
  diff_mode:
    description:
      - Shows the instance's public address before and after (kind of address, address, EIP allocation ID).
    support: full
options:
  address_type:
    description:
      - V(public_ip) is an address assigned by ECS (C(AllocatePublicIpAddress)); it needs outgoing bandwidth on
        the instance and stays with the instance until it is released.
      - V(eip) is an Elastic IP address (VPC API); it needs no bandwidth on the instance and can be unassociated
        and released on its own (O(state=absent)).
      - An instance that has either kind already keeps it with V(public_ip). With V(eip), an instance that has
        an address assigned by ECS fails before any change, since ECS allows no EIP next to it.
    type: str
    choices: [public_ip, eip]
    default: public_ip
  eip_bandwidth:
    description:
      - Peak bandwidth of a new EIP in Mbit/s, 1 to 500 with O(eip_internet_charge_type=PayByBandwidth), 1 to
        200 with V(PayByTraffic). The API's default (5) when not set.
      - Only with O(address_type=eip). An existing EIP is not changed; a different value produces a warning.
    type: int
  eip_internet_charge_type:
    description:
      - Metering of a new EIP. The API's default (V(PayByBandwidth)) when not set.
      - Only with O(address_type=eip). An existing EIP is not changed; a different value produces a warning.
    type: str
    choices: [PayByBandwidth, PayByTraffic]
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
  release_eip:
    description:
      - With O(state=absent), also release the EIPs this module allocated for the instance (after unassociating
        the bound one). EIPs allocated otherwise (console, another tool) are only unassociated, with a warning.
      - Only with O(state=absent).
    type: bool
    default: false
  state:
    description:
      - V(present) makes sure the instance has an address of O(address_type).
      - V(absent) makes sure no EIP is bound to the instance (needs O(address_type=eip); ECS cannot take back an
        address it assigned).
    type: str
    choices: [present, absent]
    default: present
  visibility_timeout:
    description:
      - ECS and the EIP service are eventually consistent, so an instance created moments ago may not be listed
        yet, and a change may show late. This is how many seconds the module waits for the instance, an EIP or
        a change to be listed before it fails, naming the likely causes.
    type: int
    default: 120
  vpc_endpoint:
    description:
      - Endpoint of the VPC API, which serves EIPs (only O(address_type=eip) calls it).
      - If not set, the environment variable E(ALICLOUD_VPC_ENDPOINT) is used.
      - When neither is set, an O(endpoint) (or E(ALICLOUD_ECS_ENDPOINT)) that is not an Alibaba Cloud host
        (C(*.aliyuncs.com)), such as a proxy or the emulator, is used for VPC calls too. Otherwise VPC calls go to
        the VPC service of the region, C(https://vpc.<region>.aliyuncs.com) (C(https://vpc.aliyuncs.com) for
        V(cn-hangzhou) and a few special regions). Set it for an internal (VPC network) endpoint.
      - Either a URL starting with C(http://) or C(https://), or C(host[:port]) which is used over HTTPS.
    type: str
  wait_timeout:
    description:
      - How many seconds to wait at most for an instance in a transitional state to settle before acting, and
        for an EIP association or unassociation to finish.
    type: int
    default: 600
extends_documentation_fragment:
  - alicloud.ecs.credentials
notes:
  - With O(address_type=public_ip) the instance needs outgoing public bandwidth (C(internet_max_bandwidth_out)
    above 0, see O(alicloud.ecs.ecs_instance#module:internet_max_bandwidth_out)). Without it the module fails
    before calling the API and explains what to do (the API would answer C(AllocateIpInvalidInstanceBandwidth)).
    An EIP (O(address_type=eip)) needs no bandwidth on the instance.
  - ECS has no API to take an address it assigned back. It goes away when the instance is released; to keep it
    independently of the instance, convert it to an EIP (C(ConvertNatPublicIpToEip)).
  - An address assigned by ECS works inside the guest after the next start or restart of the instance.
  - C(AllocatePublicIpAddress) has no ClientToken, but an instance has at most one public IP. After an ambiguous
    failure (HTTP 5xx, timeout) the module reads the instance again and, when no address shows, asks once more;
    that second call answers C(AllocatedAlready) if the first one took effect. Either way the instance ends with
    one address, which the module reports once DescribeInstances shows it (waiting up to O(visibility_timeout)).
  - An EIP is allocated at most once for an instance. C(AllocateEipAddress) carries a ClientToken derived from
    the region, the instance and a generation, so a retry after a lost answer, a rerun after a crash and a
    concurrent identical run replay the same allocation, even while the new EIP is not listed yet. The EIP is
    tagged C(alicloud-ecs-eip-for) (the instance ID) and C(alicloud-ecs-eip-generation); that tag is how
    O(release_eip) knows the module allocated it. Before releasing one, the module tags the instance with
    C(alicloud-ecs-eip-generation) (the next generation), so that a later allocation uses a new ClientToken
    instead of replaying the released EIP. If that instance tag is missing (removed, or C(TagResources) not
    allowed), a later allocation finds out by waiting up to O(visibility_timeout) for the replayed EIP.
  - New EIPs are pay-as-you-go (C(PostPaid)) and cost money while they exist, bound or not; release them with
    O(state=absent) and O(release_eip=true). Releasing the instance leaves its EIP in the account, unbound.
  - O(vpc_endpoint) is an option of this module only. To set it for a whole play, use the environment variable
    or C(module_defaults) of M(alicloud.ecs.ecs_public_ip), not of the action group.
seealso:
  - module: alicloud.ecs.ecs_instance
  - name: AllocatePublicIpAddress
    description: ECS API reference of AllocatePublicIpAddress.
    link: https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-allocatepublicipaddress
  - name: AllocateEipAddress
    description: VPC API reference of AllocateEipAddress (AssociateEipAddress, DescribeEipAddresses and the others
      are next to it).
    link: https://www.alibabacloud.com/help/en/vpc/developer-reference/api-vpc-2016-04-28-allocateeipaddress
"""

EXAMPLES = r"""
- name: Give an instance a public IP address (it needs outgoing bandwidth)
  alicloud.ecs.ecs_public_ip:
    instance_id: i-bp67acfmxazb4ph2xxxx

- name: Same, by the instance's name
  alicloud.ecs.ecs_public_ip:
    name: web-1
    region: cn-hangzhou
    wait_timeout: 300

- name: Give an instance without public bandwidth an Elastic IP of 10 Mbit/s, paid by traffic
  alicloud.ecs.ecs_public_ip:
    name: web-1
    address_type: eip
    eip_bandwidth: 10
    eip_internet_charge_type: PayByTraffic

- name: Unbind the instance's EIP and release it if this module allocated it
  alicloud.ecs.ecs_public_ip:
    name: web-1
    address_type: eip
    state: absent
    release_eip: true

- name: Against the emulator or a proxy, with the VPC API on its own endpoint
  alicloud.ecs.ecs_public_ip:
    instance_id: i-bp67acfmxazb4ph2xxxx
    address_type: eip
    endpoint: http://127.0.0.1:8080
    vpc_endpoint: http://127.0.0.1:8080
"""

RETURN = r"""
allocation_id:
  description:
    - With O(state=present), the allocation ID of the EIP bound to the instance (the one a check-mode run would
      bind, when the module allocated one for it earlier). With O(address_type=public_ip), that of an EIP the
      instance already has.
    - With O(state=absent), the EIP that was unassociated and kept (not released).
    - Null otherwise.
  returned: always
  type: str
  sample: eip-bp1ts1o95c8d3d6bxxxxx
diff:
  description: The instance's public address before and after the run (also without diff mode).
  returned: always
  type: dict
  contains:
    before:
      description: Keys C(instance_id), C(address_type) (V(public_ip), V(eip) or null), C(ip_address) and
        C(allocation_id).
      type: dict
    after:
      description: The same keys after the run (predicted in check mode).
      type: dict
  sample:
    before: {instance_id: i-bp67acfmxazb4ph2xxxx, address_type: null, ip_address: null, allocation_id: null}
    after: {instance_id: i-bp67acfmxazb4ph2xxxx, address_type: eip, ip_address: 47.96.1.2,
            allocation_id: eip-bp1ts1o95c8d3d6bxxxxx}
eip:
  description:
    - The EIP of RV(allocation_id) as DescribeEipAddresses lists it, keys in snake_case, tags as a dict.
    - Null when there is none, and with O(address_type=public_ip).
  returned: always
  type: dict
  contains:
    allocation_id:
      description: Allocation ID.
      type: str
      sample: eip-bp1ts1o95c8d3d6bxxxxx
    bandwidth:
      description: Peak bandwidth in Mbit/s.
      type: int
      sample: 5
    instance_id:
      description: The instance it is bound to (empty when unbound).
      type: str
      sample: i-bp67acfmxazb4ph2xxxx
    internet_charge_type:
      description: C(PayByBandwidth) or C(PayByTraffic).
      type: str
      sample: PayByBandwidth
    ip_address:
      description: The address.
      type: str
      sample: 47.96.1.2
    module_allocated:
      description: Whether this module allocated it for the instance (same as RV(module_allocated)).
      type: bool
      sample: true
    status:
      description: C(Associating), C(InUse), C(Unassociating) or C(Available).
      type: str
      sample: InUse
    tags:
      description: Tags of the EIP.
      type: dict
      sample: {alicloud-ecs-eip-for: i-bp67acfmxazb4ph2xxxx, alicloud-ecs-eip-generation: "0"}
instance:
  description:
    - The instance after the run, read back from the API, in the shape of
      RV(alicloud.ecs.ecs_instance#module:instances).
  returned: always
  type: dict
  contains:
    eip_address:
      description: The EIP bound to the instance (C(allocation_id), C(ip_address), ...; empty values without one).
      type: dict
      sample: {allocation_id: eip-bp1ts1o95c8d3d6bxxxxx, ip_address: 47.96.1.2}
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
    - The public IP address of the instance after the run (with O(address_type=public_ip), an EIP if it has one
      and no other public address; with O(address_type=eip), its EIP).
    - Null in check mode when a new address would be allocated, and after O(state=absent).
  returned: always
  type: str
  sample: 47.96.1.2
module_allocated:
  description:
    - Whether this module allocated the EIP of RV(allocation_id) for the instance (it carries the module's tag),
      which is what O(release_eip) releases.
    - False without an EIP. Null with O(address_type=public_ip) when the instance has an EIP (that mode does not
      read EIPs).
  returned: always
  type: bool
  sample: true
released_allocation_ids:
  description: The EIPs this run released (O(release_eip=true)), or would release in check mode.
  returned: always
  type: list
  elements: str
  sample: [eip-bp1ts1o95c8d3d6bxxxxx]
"""

from ansible_collections.alicloud.ecs.plugins.module_utils._eip import ensure_address
from ansible_collections.alicloud.ecs.plugins.module_utils._module import EcsModule

ARGUMENT_SPEC = {
    "address_type": {"type": "str", "choices": ["public_ip", "eip"], "default": "public_ip"},
    "eip_bandwidth": {"type": "int"},
    "eip_internet_charge_type": {"type": "str", "choices": ["PayByBandwidth", "PayByTraffic"]},
    "instance_id": {"type": "str"},
    "name": {"type": "str"},
    "release_eip": {"type": "bool", "default": False},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    "visibility_timeout": {"type": "int", "default": 120},
    "vpc_endpoint": {"type": "str"},
    "wait_timeout": {"type": "int", "default": 600},
}


def main() -> None:
    module = EcsModule(
        ARGUMENT_SPEC,
        supports_check_mode=True,
        mutually_exclusive=[("instance_id", "name")],
        required_one_of=[("instance_id", "name")],
    )
    module.run(ensure_address)


if __name__ == "__main__":
    main()
