#!/usr/bin/python
# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ecs_instance
short_description: Create, start, stop, restart and release Alibaba Cloud ECS instances
version_added: 0.1.0
description:
  - Manages a set of ECS instances selected by O(instance_ids), or by O(name) and O(tags) (all must match).
    Instances outside that set are never touched, whatever an API call hands back.
  - With O(name), O(tags) select instances (a subset; the instances may carry more tags), so changing them
    selects other instances, and the selection never rewrites them; change the tags of existing instances
    with O(instance_ids).
  - With O(name), O(count) instances are wanted; missing ones are created with a ClientToken derived from the
    task, so a retried task, a lost response, a rerun after a crash or a concurrent identical run never creates
    an instance twice.
  - ECS is eventually consistent; an instance that is not listed is never taken for released. The ids a
    create returns are waited for until they are listed (O(visibility_timeout)); if they are not, the task
    fails and names them and nothing more is created. The whole contract is in the collection's
    docs/ecs_instance.md.
  - Pay-as-you-go (V(PostPaid)) and subscription (V(PrePaid)) instances are supported.
author:
  - alicloud.ecs contributors (@alicloud-ecs)
attributes:
  check_mode:
    description: Makes no change; a create is validated with the API's C(DryRun).
    support: full
  diff_mode:
    description: Shows the managed attributes of the instances before and after.
    support: full
options:
  auto_renew:
    description: Whether a subscription renews automatically. Only with O(instance_charge_type=PrePaid).
    type: bool
  auto_renew_period:
    description: Months (or weeks) of each automatic renewal. Only with O(instance_charge_type=PrePaid).
    type: int
  client_token_seed:
    description:
      - A string mixed into the ClientTokens of creates. Leave it unset; the tokens derived from the task are
        what makes reruns and concurrent runs safe.
      - Set it (to a new value) only when instances of this task were released outside alicloud.ecs (console,
        another tool, spot reclamation, auto-release) and the API keeps replaying their ClientToken, which the
        task reports as instances that are not listed; a new value starts new tokens.
    type: str
  convert_prepaid_on_delete:
    description:
      - A subscription instance cannot be released before it expires. With V(true), O(state=absent) (or
        O(remove_surplus)) first converts it to pay-as-you-go, which refunds the unused subscription
        (subject to the monthly refund quota), and then releases it.
      - With V(false), releasing a subscription instance fails and explains this.
    type: bool
    default: false
  count:
    description:
      - How many instances matching O(name) and O(tags) are wanted (0 to 1000). Missing ones are created.
      - Surplus instances are kept, with a warning naming them, unless O(remove_surplus=true).
      - Ignored with O(instance_ids).
    type: int
    default: 1
  data_disks:
    description: Data disks created with each new instance.
    type: list
    elements: dict
    suboptions:
      category:
        description: Disk category.
        type: str
        choices: [cloud, cloud_auto, cloud_efficiency, cloud_essd, cloud_essd_entry, cloud_ssd]
      delete_with_instance:
        description: Whether the disk is released with the instance (API default V(true)).
        type: bool
      description:
        description: Disk description.
        type: str
      disk_name:
        description: Disk name.
        type: str
      encrypted:
        description: Whether the disk is encrypted.
        type: bool
      performance_level:
        description: ESSD performance level.
        type: str
        choices: [PL0, PL1, PL2, PL3]
      size:
        description: Size in GiB.
        type: int
        required: true
      snapshot_id:
        description: Snapshot to create the disk from.
        type: str
  deletion_protection:
    description:
      - Whether the instances are protected against release. Pay-as-you-go instances only.
      - Releasing protected instances fails unless the task sets V(false), which turns protection off first.
    type: bool
  description:
    description: Description of the instances.
    type: str
  force_release:
    description:
      - With V(true), running instances are released without being stopped first (C(Force=true)).
      - With V(false), they are stopped, then released.
    type: bool
    default: false
  force_stop:
    description: Whether stopping (and rebooting) powers the instances off instead of shutting them down.
    type: bool
    default: false
  host_name:
    description: Host name of the operating system. A change takes effect after the next restart.
    type: str
  image_id:
    description:
      - Image of new instances. Required to create instances.
      - An existing instance with another image produces a warning; it is not replaced.
    type: str
  instance_charge_type:
    description:
      - V(PostPaid) (pay-as-you-go) or V(PrePaid) (subscription, needs O(period)).
      - When set and an existing instance has the other charge type, it is converted
        (C(ModifyInstanceChargeType)). When not set, new instances are pay-as-you-go and existing ones are
        left as they are.
    type: str
    choices: [PostPaid, PrePaid]
  instance_ids:
    description:
      - IDs of existing instances to manage. Nothing is created; O(name) and O(tags) become attributes to set.
      - An empty list (for example from a lookup that found nothing) selects nothing; the task changes nothing
        and warns. It never falls back to selecting by O(name).
      - An ID that is not listed is waited for (O(visibility_timeout)), then the task fails naming it; with
        O(state=absent) it is taken as already released, with a warning.
    type: list
    elements: str
  instance_type:
    description:
      - Instance type of new instances, for example V(ecs.g6.large). Required to create instances.
      - An existing instance of another type produces a warning; it is not changed.
    type: str
  internet_charge_type:
    description: How public bandwidth is billed.
    type: str
    choices: [PayByBandwidth, PayByTraffic]
  internet_max_bandwidth_out:
    description: Maximum outbound public bandwidth in Mbit/s. Above 0, new running instances get a public IP.
    type: int
  key_pair_name:
    description: SSH key pair of new Linux instances.
    type: str
  name:
    description:
      - Instance name. Identifies the instances together with O(tags) (exact match; C(*) and C(?) are
        literal characters), unless O(instance_ids) is given, in which case the instances are renamed to it.
      - The API's ordered-name form C(name[begin,digits]) is refused, because RunInstances would number the names, so
        the task could not find its instances again. Use a plain name and O(count).
      - Required to create instances.
    type: str
  password:
    description:
      - Login password. It cannot be read back, so it is set on creation only, unless
        O(update_password=always).
    type: str
  period:
    description: Subscription length in O(period_unit). Required with O(instance_charge_type=PrePaid).
    type: int
  period_unit:
    description: Unit of O(period) (API default V(Month)).
    type: str
    choices: [Month, Week]
  remove_surplus:
    description:
      - With V(true), instances beyond O(count) are released, newest first (by creation time, which the API gives to the minute, then by ID).
    type: bool
    default: false
  resource_group_id:
    description: Resource group of new instances.
    type: str
  security_group_ids:
    description:
      - Security groups of the instances. Existing instances are moved to exactly these groups.
    type: list
    elements: str
  spot_price_limit:
    description: Highest hourly price for O(spot_strategy=SpotWithPriceLimit).
    type: float
  spot_strategy:
    description: Spot strategy of new pay-as-you-go instances.
    type: str
    choices: [NoSpot, SpotAsPriceGo, SpotWithPriceLimit]
  state:
    description:
      - V(present) makes sure the instances exist (new ones are created running) and leaves their power state.
      - V(running) and V(stopped) also start or stop them. New instances for V(stopped) are created stopped
        (C(CreateInstance), no public IP). V(stopped) without O(image_id) and O(instance_type) creates nothing;
        when nothing matches it warns, naming the name and tags.
      - V(restarted) reboots running instances and starts stopped ones; it always reports a change and never
        creates instances (when nothing matches it warns).
      - V(absent) releases them (see O(force_release), O(deletion_protection), O(convert_prepaid_on_delete));
        when nothing matches it warns. Instances that are still listed but already gone (a release propagates
        with a delay) count as released, not as a change of this run.
    type: str
    choices: [absent, present, restarted, running, stopped]
    default: present
  stopped_mode:
    description: V(StopCharging) releases vCPU and memory while stopped (economical mode).
    type: str
    choices: [KeepCharging, StopCharging]
  system_disk:
    description: System disk of new instances.
    type: dict
    suboptions:
      category:
        description: Disk category.
        type: str
        choices: [cloud, cloud_auto, cloud_efficiency, cloud_essd, cloud_essd_entry, cloud_ssd]
      performance_level:
        description: ESSD performance level.
        type: str
        choices: [PL0, PL1, PL2, PL3]
      size:
        description: Size in GiB.
        type: int
  update_password:
    description: V(always) sets O(password) on existing instances on every run (always a change).
    type: str
    choices: [always, on_create]
    default: on_create
  user_data:
    description:
      - User data, as plain text (the module encodes it in Base64).
      - Existing instances are compared (C(DescribeUserData)) and changed only while they are stopped; a
        running instance with other user data produces a warning.
    type: str
  vswitch_id:
    description: VSwitch of new instances. A different VSwitch on an existing instance produces a warning.
    type: str
  zone_id:
    description: Zone of new instances. A different zone on an existing instance produces a warning.
    type: str
extends_documentation_fragment:
  - alicloud.ecs.credentials
  - alicloud.ecs.tags
  - alicloud.ecs.wait
notes:
  - The ClientToken of a create covers the region, O(name), O(tags), what the instances are (image, type,
    network, billing, disks; not O(password), O(description) or other values changed in place), the number of
    instances that already matched (the slots a call fills), the batch size (100 instances per C(RunInstances))
    and how many times instances of that name were released by this collection. So a rerun, a retry and a
    concurrent identical run send the same tokens, and a create after a release sends new ones. A rerun that
    differs only in the password gets C(IdempotentParameterMismatch) and waits for the earlier create's
    instances instead of creating more.
  - Releases are sent with a release marker (a ClientToken of C(DeleteInstances) the next create can read
    back without side effects, with a C(DryRun) request for an instance ID that cannot exist); this needs the
    C(ecs:DeleteInstances) permission. Without it, creates after a release fail safely (the API replays
    released instances, which are reported as not listed).
  - Runs that differ at the same time (concurrent V(3) and V(5) for O(count), or a rerun with a larger
    count right after a crash) send different tokens and may create both; the next run warns about the
    surplus. Serialize runs of the same task (AWX job template concurrency off, C(throttle), one play).
  - Start, stop and reboot have no ClientToken; after an ambiguous failure (HTTP 5xx, timeout) the module
    re-reads the instances and repeats only what is still needed (reboot is not repeated).
seealso:
  - name: ECS API reference
    description: RunInstances, CreateInstance, DescribeInstances and related actions.
    link: https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-overview
"""

EXAMPLES = r"""
- name: Two pay-as-you-go web servers, running
  alicloud.ecs.ecs_instance:
    name: web
    tags:
      env: prod
    count: 2
    state: running
    image_id: ubuntu_22_04_x64_20G_alibase_20240130.vhd
    instance_type: ecs.g6.large
    security_group_ids:
      - sg-bp1hv7cbwl1nzhgkbpbj
    vswitch_id: vsw-bp1s5fnvk4gn2tws03624
    internet_max_bandwidth_out: 10
    key_pair_name: deploy

- name: A monthly subscription instance, created stopped
  alicloud.ecs.ecs_instance:
    name: db
    state: stopped
    instance_charge_type: PrePaid
    period: 1
    period_unit: Month
    image_id: ubuntu_22_04_x64_20G_alibase_20240130.vhd
    instance_type: ecs.g6.xlarge
    security_group_ids:
      - sg-bp1hv7cbwl1nzhgkbpbj
    vswitch_id: vsw-bp1s5fnvk4gn2tws03624

- name: Stop instances by ID in economical mode
  alicloud.ecs.ecs_instance:
    instance_ids:
      - i-bp67acfmxazb4ph2xxxx
    state: stopped
    stopped_mode: StopCharging

- name: Release the subscription instance, converting it to pay-as-you-go first
  alicloud.ecs.ecs_instance:
    name: db
    state: absent
    client_token_seed:
    description:
      - A string mixed into the ClientTokens of creates. Leave it unset; the tokens derived from the task are
        what makes reruns and concurrent runs safe.
      - Set it (to a new value) only when instances of this task were released outside alicloud.ecs (console,
        another tool, spot reclamation, auto-release) and the API keeps replaying their ClientToken, which the
        task reports as instances that are not listed; a new value starts new tokens.
    type: str
  convert_prepaid_on_delete: true
"""

RETURN = r"""
created_ids:
  description: IDs of instances created by this run (empty in check mode).
  returned: always
  type: list
  elements: str
  sample: [i-bp67acfmxazb4ph2xxxx]
deleted_ids:
  description: IDs of instances released (or, in check mode, to be released).
  returned: always
  type: list
  elements: str
  sample: []
instance_ids:
  description: IDs of the managed instances after the run, in the order of RV(instances).
  returned: always
  type: list
  elements: str
  sample: [i-bp67acfmxazb4ph2xxxx]
instances:
  description:
    - The managed instances after the run, as DescribeInstances returns them in snake_case, sorted by
      creation time and ID. List wrappers are flattened and tags are a dictionary.
    - In check mode, the instances as they would be (without instances still to be created).
  returned: always
  type: list
  elements: dict
  contains:
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
      sample: web
    private_ip:
      description: First private IPv4 address.
      type: str
      sample: 172.16.0.10
    public_ip:
      description: Public IPv4 address (or EIP), or null.
      type: str
      sample: 47.96.1.2
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
    vswitch_id:
      description: VSwitch ID.
      type: str
      sample: vsw-bp1s5fnvk4gn2tws03624
  sample:
    - instance_id: i-bp67acfmxazb4ph2xxxx
      instance_name: web
      status: Running
      public_ip: 47.96.1.2
      private_ip: 172.16.0.10
      tags: {env: prod}
modified_ids:
  description: IDs of instances whose attributes, tags or charge type were changed.
  returned: always
  type: list
  elements: str
  sample: []
restarted_ids:
  description: IDs of instances rebooted or started by O(state=restarted).
  returned: always
  type: list
  elements: str
  sample: []
started_ids:
  description: IDs of existing instances started.
  returned: always
  type: list
  elements: str
  sample: []
stopped_ids:
  description: IDs of existing instances stopped.
  returned: always
  type: list
  elements: str
  sample: []
"""

from ansible_collections.alicloud.ecs.plugins.module_utils._args import TAGS_SPEC, WAIT_SPEC, merge_specs
from ansible_collections.alicloud.ecs.plugins.module_utils._instances import ensure_instances
from ansible_collections.alicloud.ecs.plugins.module_utils._module import EcsModule

DISK_CATEGORIES = ["cloud", "cloud_auto", "cloud_efficiency", "cloud_essd", "cloud_essd_entry", "cloud_ssd"]
PERFORMANCE_LEVELS = ["PL0", "PL1", "PL2", "PL3"]
DATA_DISK_SPEC = {
    "category": {"type": "str", "choices": DISK_CATEGORIES},
    "delete_with_instance": {"type": "bool"},
    "description": {"type": "str"},
    "disk_name": {"type": "str"},
    "encrypted": {"type": "bool"},
    "performance_level": {"type": "str", "choices": PERFORMANCE_LEVELS},
    "size": {"type": "int", "required": True},
    "snapshot_id": {"type": "str"},
}
SYSTEM_DISK_SPEC = {
    "category": {"type": "str", "choices": DISK_CATEGORIES},
    "performance_level": {"type": "str", "choices": PERFORMANCE_LEVELS},
    "size": {"type": "int"},
}
ARGUMENT_SPEC = {
    "auto_renew": {"type": "bool"},
    "auto_renew_period": {"type": "int"},
    "client_token_seed": {"type": "str", "no_log": False},
    "convert_prepaid_on_delete": {"type": "bool", "default": False},
    "count": {"type": "int", "default": 1},
    "data_disks": {"type": "list", "elements": "dict", "options": DATA_DISK_SPEC},
    "deletion_protection": {"type": "bool"},
    "description": {"type": "str"},
    "force_release": {"type": "bool", "default": False},
    "force_stop": {"type": "bool", "default": False},
    "host_name": {"type": "str"},
    "image_id": {"type": "str"},
    "instance_charge_type": {"type": "str", "choices": ["PostPaid", "PrePaid"]},
    "instance_ids": {"type": "list", "elements": "str"},
    "instance_type": {"type": "str"},
    "internet_charge_type": {"type": "str", "choices": ["PayByBandwidth", "PayByTraffic"]},
    "internet_max_bandwidth_out": {"type": "int"},
    "key_pair_name": {"type": "str", "no_log": False},
    "name": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "period": {"type": "int"},
    "period_unit": {"type": "str", "choices": ["Month", "Week"]},
    "remove_surplus": {"type": "bool", "default": False},
    "resource_group_id": {"type": "str"},
    "security_group_ids": {"type": "list", "elements": "str"},
    "spot_price_limit": {"type": "float"},
    "spot_strategy": {"type": "str", "choices": ["NoSpot", "SpotAsPriceGo", "SpotWithPriceLimit"]},
    "state": {"type": "str", "default": "present", "choices": ["absent", "present", "restarted", "running", "stopped"]},
    "stopped_mode": {"type": "str", "choices": ["KeepCharging", "StopCharging"]},
    "system_disk": {"type": "dict", "options": SYSTEM_DISK_SPEC},
    "update_password": {"type": "str", "default": "on_create", "choices": ["always", "on_create"], "no_log": False},
    "user_data": {"type": "str"},
    "vswitch_id": {"type": "str"},
    "zone_id": {"type": "str"},
}


def main() -> None:
    module = EcsModule(
        merge_specs(ARGUMENT_SPEC, TAGS_SPEC, WAIT_SPEC),
        supports_check_mode=True,
        required_one_of=[("instance_ids", "name")],
        required_if=[
            ("instance_charge_type", "PrePaid", ["period"]),
            ("spot_strategy", "SpotWithPriceLimit", ["spot_price_limit"]),
        ],
    )
    module.run(ensure_instances)


if __name__ == "__main__":
    main()
