#!/usr/bin/python
# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ecs_instance
short_description: Create, start, stop, restart and release Alibaba Cloud ECS instances
version_added: 1.0.0
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
  allow_stop:
    description:
      - Whether the module may stop running instances for a change the API makes only while an instance is
        stopped, and start them again afterwards. Such changes are a new O(instance_type) of a pay-as-you-go
        instance (C(ModifyInstanceSpec)) or a smaller one of a subscription (C(ModifyPrepayInstanceSpec)
        downgrade), new O(user_data), a O(rebuild), and growing a basic (V(cloud)) system disk.
      - With V(false), a change of the type or a rebuild of a running instance fails before anything is
        changed and says what is needed; a user data change is left undone with a warning.
      - With O(state=stopped) the instances are stopped anyway, so this is not needed.
    type: bool
    default: false
  auto_renew:
    description:
      - Whether a subscription renews automatically. Only with O(instance_charge_type=PrePaid).
      - Set on new instances and, when it differs, on existing subscriptions
        (C(ModifyInstanceAutoRenewAttribute)).
    type: bool
  auto_renew_period:
    description:
      - Months (or weeks, see O(period_unit)) of each automatic renewal. Only with O(instance_charge_type=PrePaid).
      - Set on new instances and, when it differs, on existing subscriptions that renew automatically.
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
    description:
      - Data disks created with each new instance.
      - Existing instances keep their data disks; when they differ from this list (sizes, categories) a warning
        says so.
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
      - An existing instance with another image produces a warning and is left as it is, unless O(rebuild=true).
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
      - An existing instance of another type is changed to it. A pay-as-you-go instance must be stopped for
        that (C(ModifyInstanceSpec)); a subscription is upgraded while it runs or is stopped, and downgraded
        only while stopped (C(ModifyPrepayInstanceSpec), paid from or refunded to the account balance).
        Whether it is a downgrade is decided from the vCPUs and memory of both types (C(DescribeInstanceTypes));
        when that does not decide it, ECS does, by price.
      - A running instance that must be stopped is stopped and started again only with O(allow_stop=true);
        otherwise the task fails before any change. A subscription upgraded while it runs gets the new type in
        the guest at its next restart (a warning says so).
    type: str
  internet_charge_type:
    description:
      - How public bandwidth is billed. An existing instance billed the other way is changed
        (C(ModifyInstanceNetworkSpec)).
    type: str
    choices: [PayByBandwidth, PayByTraffic]
  internet_max_bandwidth_out:
    description:
      - Maximum outbound public bandwidth in Mbit/s. Above 0, new running instances get a public IP.
      - An existing instance with another bandwidth is changed to it (C(ModifyInstanceNetworkSpec), running or
        stopped; a subscription's change is paid from or refunded to the account balance). Raised from 0, the
        instance also gets a public IP address. An instance with an EIP uses the EIP's bandwidth and is left
        as it is, with a warning.
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
  rebuild:
    description:
      - With V(true), an existing instance whose image is not O(image_id) gets a new system disk from that image
        (C(ReplaceSystemDisk)). Everything on the old system disk is lost; data disks stay. The new disk gets
        O(password) or O(key_pair_name) when given, and the size of O(system_disk) when given.
      - The instance must be stopped for it (see O(allow_stop)); it is started again when it was running.
      - With V(false), a different image produces a warning only.
    type: bool
    default: false
  remove_surplus:
    description:
      - With V(true), instances beyond O(count) are released, newest first (by creation time, which the API gives to the minute, then by ID).
    type: bool
    default: false
  renew:
    description:
      - Renews subscription instances (C(RenewInstance), paid from the account balance) whose subscription
        ends within O(renew.within_days) days, or has ended. A renewal extends it from its end (an expired one
        from now), so the next run finds it far from its end and renews nothing.
      - Pay-as-you-go instances are left alone, with a warning.
    type: dict
    suboptions:
      period:
        description: How long to renew for, in O(renew.period_unit).
        type: int
        required: true
      period_unit:
        description: Unit of O(renew.period).
        type: str
        choices: [Month, Week]
        default: Month
      within_days:
        description:
          - Renew when the subscription ends within this many days. It must be shorter than the renewal
            period, or every run would renew again.
        type: int
        default: 7
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
    description:
      - System disk of new instances.
      - On an existing instance a larger O(system_disk.size) grows the system disk (C(ResizeDisk); online while
        the instance runs, except a basic V(cloud) disk, which grows offline and takes the new size at the next
        start). A disk never shrinks; a smaller size fails before any change. Another category produces a
        warning.
      - When O(system_disk) or O(data_disks) is set, the disks of every returned instance are read
        (one C(DescribeDisks) per instance) and returned as C(disks) of each instance.
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
      - Existing instances are compared (C(DescribeUserData)) and changed only while they are stopped. A running
        instance with other user data is stopped, changed and started again with O(allow_stop=true); without it,
        it is left as is with a warning.
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
    re-reads the instances for a few seconds and repeats only what is still needed (reboot is not
    repeated). A repeated start or stop of an instance the first call did move is refused by ECS with
    C(IncorrectInstanceStatus); the module then waits up to O(visibility_timeout) for reads to show it.
seealso:
  - name: ECS API reference
    description: RunInstances, CreateInstance, DescribeInstances and related actions.
    link: https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-overview
"""

EXAMPLES = r"""
# Each task below is independent; the IDs, images and networks are examples (use those of your
# account and region). Credentials come from the environment (ALICLOUD_ACCESS_KEY, ...) unless a
# task or module_defaults sets them.

- name: Two pay-as-you-go web servers, running, with an ESSD system disk and a data disk
  alicloud.ecs.ecs_instance:
    name: web
    tags:
      env: prod
      app: shop
    count: 2
    state: running
    image_id: aliyun_3_x64_20G_alibase_20240528.vhd
    instance_type: ecs.g7.large
    vswitch_id: vsw-bp1s5fnvk4gn2tws03624
    security_group_ids:
      - sg-bp1hv7cbwl1nzhgkbpbj
    internet_max_bandwidth_out: 10
    key_pair_name: deploy
    system_disk:
      category: cloud_essd
      performance_level: PL0
      size: 40
    data_disks:
      - category: cloud_essd
        size: 100
        delete_with_instance: true

# register -> add_host: use the new instances in a later play of the same playbook
- name: Ensure the web servers run and keep the result
  alicloud.ecs.ecs_instance:
    name: web
    tags:
      env: prod
    count: 2
    state: running
    image_id: aliyun_3_x64_20G_alibase_20240528.vhd
    instance_type: ecs.g7.large
    vswitch_id: vsw-bp1s5fnvk4gn2tws03624
    security_group_ids:
      - sg-bp1hv7cbwl1nzhgkbpbj
    internet_max_bandwidth_out: 10
    key_pair_name: deploy
  register: web

- name: Add each instance to the group web, reached on its public address
  ansible.builtin.add_host:
    name: "{{ item.instance_id }}"
    groups: web
    ansible_host: "{{ item.public_ip }}"
    ecs_zone_id: "{{ item.zone_id }}"
    ecs_private_ip: "{{ item.private_ip }}"
  loop: "{{ web.instances }}"
  loop_control:
    label: "{{ item.instance_id }}"

- name: Wait until SSH answers on the instances this run created
  ansible.builtin.wait_for:
    host: "{{ item.public_ip }}"
    port: 22
    timeout: 300
  loop: "{{ web.instances | selectattr('instance_id', 'in', web.created_ids) }}"
  loop_control:
    label: "{{ item.instance_id }}"

# module_defaults: credentials and region once for every module of the collection
- name: A play whose alicloud.ecs tasks share one region and one set of keys
  hosts: localhost
  connection: local
  gather_facts: false
  module_defaults:
    group/alicloud.ecs.ecs:
      region: cn-hangzhou
      access_key: "{{ vault_alicloud_access_key }}"
      secret_key: "{{ vault_alicloud_secret_key }}"
  tasks:
    - name: One build server
      alicloud.ecs.ecs_instance:
        name: build
        state: running
        image_id: aliyun_3_x64_20G_alibase_20240528.vhd
        instance_type: ecs.c7.xlarge
        vswitch_id: vsw-bp1s5fnvk4gn2tws03624
        security_group_ids:
          - sg-bp1hv7cbwl1nzhgkbpbj

# Check mode and diff mode: see what a change would do; nothing is changed (creates are validated
# with DryRun). In the diff, instances still to be created are named new-1, new-2, ...
- name: Preview scaling web out to five instances
  alicloud.ecs.ecs_instance:
    name: web
    tags:
      env: prod
    count: 5
    state: running
    image_id: aliyun_3_x64_20G_alibase_20240528.vhd
    instance_type: ecs.g7.large
    vswitch_id: vsw-bp1s5fnvk4gn2tws03624
    security_group_ids:
      - sg-bp1hv7cbwl1nzhgkbpbj
  check_mode: true
  diff: true
  register: preview

# count with remove_surplus: surplus instances are released, newest first. Without
# remove_surplus they are kept and the task warns, naming them.
- name: Scale web down to one instance
  alicloud.ecs.ecs_instance:
    name: web
    tags:
      env: prod
    count: 1
    remove_surplus: true

# Subscriptions: paid up front for the period; released only after converting them (see below)
- name: A subscription database server for three months, renewed every month
  alicloud.ecs.ecs_instance:
    name: db
    tags:
      env: prod
    state: running
    instance_charge_type: PrePaid
    period: 3
    period_unit: Month
    auto_renew: true
    auto_renew_period: 1
    image_id: aliyun_3_x64_20G_alibase_20240528.vhd
    instance_type: ecs.g7.xlarge
    vswitch_id: vsw-bp1s5fnvk4gn2tws03624
    security_group_ids:
      - sg-bp1hv7cbwl1nzhgkbpbj

- name: Turn existing pay-as-you-go instances into a one-week subscription
  alicloud.ecs.ecs_instance:
    instance_ids:
      - i-bp67acfmxazb4ph2xxxx
    instance_charge_type: PrePaid
    period: 1
    period_unit: Week

# User data: plain text (the module encodes it in Base64); used by cloud-init on the first boot
- name: A worker that installs nginx on its first boot
  alicloud.ecs.ecs_instance:
    name: worker
    state: running
    image_id: aliyun_3_x64_20G_alibase_20240528.vhd
    instance_type: ecs.g7.large
    vswitch_id: vsw-bp1s5fnvk4gn2tws03624
    security_group_ids:
      - sg-bp1hv7cbwl1nzhgkbpbj
    user_data: |
      #cloud-config
      packages:
        - nginx
      runcmd:
        - systemctl enable --now nginx

# Stop modes: economical mode (StopCharging) stops billing vCPU and memory while stopped;
# force_stop powers off instead of shutting down
- name: Stop the workers in economical mode
  alicloud.ecs.ecs_instance:
    name: worker
    state: stopped
    stopped_mode: StopCharging

- name: Power off a hung instance
  alicloud.ecs.ecs_instance:
    instance_ids:
      - i-bp67acfmxazb4ph2xxxx
    state: stopped
    force_stop: true

- name: Reboot the web servers (a stopped one is started); always reports a change
  alicloud.ecs.ecs_instance:
    name: web
    tags:
      env: prod
    state: restarted

# instance_ids from ecs_instance_info: act on instances found by any filter
- name: Find the running instances of the staging environment
  alicloud.ecs.ecs_instance_info:
    status: Running
    tags:
      env: staging
  register: staging

- name: Stop them
  alicloud.ecs.ecs_instance:
    instance_ids: "{{ staging.instance_ids }}"
    state: stopped

# Tags: with instance_ids the tags given are the wanted ones (purge_tags false only adds and updates);
# with name, tags select instances and purge_tags true removes their other tags
- name: Add an owner tag to some instances, keeping their other tags
  alicloud.ecs.ecs_instance:
    instance_ids:
      - i-bp67acfmxazb4ph2xxxx
      - i-bp67acfmxazb4ph2yyyy
    tags:
      owner: team-web
    purge_tags: false

- name: Rename instances, set their description and protect them against release
  alicloud.ecs.ecs_instance:
    instance_ids:
      - i-bp67acfmxazb4ph2xxxx
    name: web-legacy
    description: Kept until the migration is over
    deletion_protection: true

# Release
- name: Release the web servers without stopping them first
  alicloud.ecs.ecs_instance:
    name: web
    tags:
      env: prod
    state: absent
    force_release: true

- name: Release the subscription instance, converting it to pay-as-you-go first (refunds the unused part)
  alicloud.ecs.ecs_instance:
    name: db
    tags:
      env: prod
    state: absent
    convert_prepaid_on_delete: true

- name: Release a protected instance, turning its deletion protection off first
  alicloud.ecs.ecs_instance:
    instance_ids:
      - i-bp67acfmxazb4ph2xxxx
    state: absent
    deletion_protection: false

# visibility_timeout: where new instances take long to be listed (a busy region, a RAM policy
# that limits DescribeInstances), wait longer before failing. client_token_seed: only after
# instances of this task were released outside alicloud.ecs and creates keep getting their IDs back.
- name: Create with a longer visibility timeout and fresh ClientTokens
  alicloud.ecs.ecs_instance:
    name: batch
    count: 10
    state: running
    image_id: aliyun_3_x64_20G_alibase_20240528.vhd
    instance_type: ecs.c7.large
    vswitch_id: vsw-bp1s5fnvk4gn2tws03624
    security_group_ids:
      - sg-bp1hv7cbwl1nzhgkbpbj
    visibility_timeout: 300
    wait_timeout: 900
    client_token_seed: "2024-06-01"

# Changing instances in place: the same task with new values. A pay-as-you-go type change needs the
# instance stopped; allow_stop lets the module stop it, make every change and start it again.
- name: Move the web tier to a larger type, more bandwidth and a larger system disk
  alicloud.ecs.ecs_instance:
    name: web
    tags:
      app: shop
    count: 3
    state: running
    image_id: aliyun_3_x64_20G_alibase_20240528.vhd
    instance_type: ecs.g7.xlarge
    internet_max_bandwidth_out: 20
    system_disk:
      category: cloud_essd
      size: 80
    vswitch_id: vsw-bp1s5fnvk4gn2tws03624
    security_group_ids:
      - sg-bp1hv7cbwl1nzhgkbpbj
    allow_stop: true

- name: Rebuild one instance from a new image (the old system disk's data is lost)
  alicloud.ecs.ecs_instance:
    instance_ids:
      - i-bp67acfmxazb4ph2xxxx
    image_id: ubuntu_24_04_x64_20G_alibase_20240812.vhd
    rebuild: true
    allow_stop: true
    key_pair_name: ops

- name: Renew the subscriptions that end within ten days, and let them renew themselves from now on
  alicloud.ecs.ecs_instance:
    name: db
    instance_charge_type: PrePaid
    period: 1
    renew:
      period: 1
      period_unit: Month
      within_days: 10
    auto_renew: true
    auto_renew_period: 1

- name: A spot instance at no more than 0.05 per hour
  alicloud.ecs.ecs_instance:
    name: ci-runner
    state: running
    spot_strategy: SpotWithPriceLimit
    spot_price_limit: 0.05
    image_id: aliyun_3_x64_20G_alibase_20240528.vhd
    instance_type: ecs.c7.large
    vswitch_id: vsw-bp1s5fnvk4gn2tws03624
    security_group_ids:
      - sg-bp1hv7cbwl1nzhgkbpbj
"""

RETURN = r"""
created_ids:
  description:
    - IDs of the instances created by this run, including those a replayed ClientToken returned (a retry or
      rerun of a create whose answer was lost).
    - Empty in check mode; the instances a create would add are in the diff only, as V(new-1), V(new-2), ...
  returned: always
  type: list
  elements: str
  sample: [i-bp67acfmxazb4ph2xxxx]
deleted_ids:
  description: IDs of the instances released (in check mode, those that would be released).
  returned: always
  type: list
  elements: str
  sample: []
instance_ids:
  description:
    - IDs of the managed instances after the run, in the order of RV(instances). Released instances are not in it.
    - Feed it to a later task's O(instance_ids), or to M(alicloud.ecs.ecs_public_ip).
  returned: always
  type: list
  elements: str
  sample: [i-bp67acfmxazb4ph2xxxx, i-bp67acfmxazb4ph2yyyy]
instances:
  description:
    - The managed instances after the run, as C(DescribeInstances) returns them with snake_case keys, sorted by
      creation time, then ID. List wrappers such as C(SecurityGroupIds.SecurityGroupId) are flattened, tags are a
      dictionary, and a few shortcuts are added (RV(instances[].public_ip), RV(instances[].private_ip),
      RV(instances[].vpc_id), RV(instances[].vswitch_id)). Keys the API adds later appear without notice.
    - The keys most used are documented below. Values the API leaves unset are empty strings, empty lists or
      V(0), as the API gives them; the shortcuts are V(null) when there is no such address.
    - Cloud disks (system and data disks) are not part of C(DescribeInstances); they are read and returned as
      RV(instances[].disks) when the task sets O(system_disk) or O(data_disks).
      RV(instances[].local_storage_amount) and RV(instances[].local_storage_capacity) describe local disks.
    - The same shape as the RV(alicloud.ecs.ecs_instance_info#module:instances) of
      M(alicloud.ecs.ecs_instance_info); the P(alicloud.ecs.ecs#inventory) inventory plugin makes its host variables
      from the same keys.
    - In check mode, the existing instances as they would be after the run; instances still to be created are
      left out.
  returned: always
  type: list
  elements: dict
  contains:
    auto_release_time:
      description: When a pay-as-you-go instance is released automatically (UTC), or an empty string.
      type: str
      sample: ""
    auto_renew_attribute:
      description:
        - The auto-renewal of a subscription (C(DescribeInstanceAutoRenewAttribute)), read only when the task
          sets O(auto_renew) or O(auto_renew_period).
      returned: when O(auto_renew) or O(auto_renew_period) is set, for subscription instances
      type: dict
      contains:
        auto_renew_enabled:
          description: Whether the subscription renews itself at its end.
          type: bool
          sample: true
        duration:
          description: Length of each automatic renewal, in RV(instances[].auto_renew_attribute.period_unit).
          type: int
          sample: 1
        period_unit:
          description: V(Month), V(Week) or V(Year).
          type: str
          sample: Month
        renewal_status:
          description: V(AutoRenewal), V(Normal) or V(NotRenewal).
          type: str
          sample: AutoRenewal
    cpu:
      description: Number of vCPUs.
      type: int
      sample: 2
    creation_time:
      description: When the instance was created, in UTC to the minute (C(YYYY-MM-DDThh:mmZ)).
      type: str
      sample: "2024-06-01T08:30Z"
    deletion_protection:
      description: Whether the instance is protected against release (pay-as-you-go instances only).
      type: bool
      sample: false
    description:
      description: Description of the instance.
      type: str
      sample: Web server of the shop
    disks:
      description:
        - The cloud disks of the instance (C(DescribeDisks)), the system disk first, read only when the task
          sets O(system_disk) or O(data_disks).
      returned: when O(system_disk) or O(data_disks) is set
      type: list
      elements: dict
      contains:
        category:
          description: Disk category, for example V(cloud_essd).
          type: str
          sample: cloud_essd
        delete_with_instance:
          description: Whether the disk is released with the instance.
          type: bool
          sample: true
        device:
          description: Device name in the guest.
          type: str
          sample: /dev/xvda
        disk_id:
          description: Disk ID.
          type: str
          sample: d-bp1d6tsvznfghy7yxxxx
        performance_level:
          description: ESSD performance level, or an empty string.
          type: str
          sample: PL1
        size:
          description: Size in GiB.
          type: int
          sample: 40
        status:
          description: Disk status, V(In_use) when attached.
          type: str
          sample: In_use
        type:
          description: V(system) or V(data).
          type: str
          sample: system
    eip_address:
      description: The elastic IP address bound to the instance; its fields are empty strings when there is none.
      type: dict
      contains:
        allocation_id:
          description: ID of the EIP.
          type: str
          sample: eip-bp1s5fnvk4gn2tws0xxxx
        bandwidth:
          description: Bandwidth of the EIP in Mbit/s.
          type: int
          sample: 5
        internet_charge_type:
          description: How the EIP's traffic is billed.
          type: str
          sample: PayByTraffic
        ip_address:
          description: The EIP.
          type: str
          sample: 47.96.20.30
      sample:
        allocation_id: ""
        bandwidth: 0
        internet_charge_type: ""
        ip_address: ""
    expired_time:
      description:
        - When a subscription (V(PrePaid)) instance expires, in UTC to the minute. Renewals, manual or automatic,
          move it.
        - Pay-as-you-go instances show the API's placeholder V(2099-12-31T15:59Z).
      type: str
      sample: "2024-09-01T16:00Z"
    host_name:
      description: Host name of the operating system.
      type: str
      sample: iZbp1eps4jkm1ue13adht8Z
    image_id:
      description: Image ID of the system disk.
      type: str
      sample: aliyun_3_x64_20G_alibase_20240528.vhd
    instance_charge_type:
      description: Billing method, V(PostPaid) (pay-as-you-go) or V(PrePaid) (subscription).
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
    instance_network_type:
      description: Network type, V(vpc) (or V(classic) for old instances).
      type: str
      sample: vpc
    instance_type:
      description: Instance type.
      type: str
      sample: ecs.g7.large
    instance_type_family:
      description: Instance type family.
      type: str
      sample: ecs.g7
    internet_charge_type:
      description: How public bandwidth is billed, V(PayByBandwidth) or V(PayByTraffic).
      type: str
      sample: PayByTraffic
    internet_max_bandwidth_in:
      description: Maximum inbound public bandwidth in Mbit/s.
      type: int
      sample: 10
    internet_max_bandwidth_out:
      description: Maximum outbound public bandwidth in Mbit/s; V(0) means no public IP can be assigned.
      type: int
      sample: 10
    key_pair_name:
      description: SSH key pair of the instance, or an empty string.
      type: str
      sample: deploy
    local_storage_amount:
      description: Number of local disks (instance types with local storage only).
      type: int
      sample: 0
    local_storage_capacity:
      description: Total capacity of the local disks in GiB.
      type: int
      sample: 0
    memory:
      description: Memory in MiB.
      type: int
      sample: 8192
    network_interfaces:
      description: Elastic network interfaces of the instance.
      type: list
      elements: dict
      contains:
        mac_address:
          description: MAC address.
          type: str
          sample: "00:16:3e:6a:6c:34"
        network_interface_id:
          description: ID of the interface.
          type: str
          sample: eni-bp1bu6jflk5ghho1xxxx
        primary_ip_address:
          description: Primary private IPv4 address of the interface.
          type: str
          sample: 172.16.5.91
        type:
          description: V(Primary) or V(Secondary).
          type: str
          sample: Primary
    operation_locks:
      description:
        - Why the instance is locked, as the API's lock reasons; empty when it is not.
        - V(financial) means an expired subscription or an overdue payment.
      type: list
      elements: str
      sample: []
    os_name:
      description: Operating system name.
      type: str
      sample: Alibaba Cloud Linux 3.2104 LTS 64 bit
    os_type:
      description: V(linux) or V(windows).
      type: str
      sample: linux
    private_ip:
      description: The first private IPv4 address (VPC), or V(null).
      type: str
      sample: 172.16.5.91
    private_ip_address:
      description: Private IPv4 addresses of the instance in its VPC.
      type: list
      elements: str
      sample: [172.16.5.91]
    public_ip:
      description: The public IPv4 address of the instance, else its EIP, else V(null).
      type: str
      sample: 47.96.1.2
    public_ip_address:
      description: Public IPv4 addresses assigned by ECS (not EIPs).
      type: list
      elements: str
      sample: [47.96.1.2]
    region_id:
      description: Region ID.
      type: str
      sample: cn-hangzhou
    resource_group_id:
      description: Resource group, or an empty string.
      type: str
      sample: rg-acfmxazb4ph6xxxx
    security_group_ids:
      description: Security groups of the instance.
      type: list
      elements: str
      sample: [sg-bp1hv7cbwl1nzhgkbpbj]
    spot_price_limit:
      description: Highest hourly price of a spot instance (V(0.0) otherwise).
      type: float
      sample: 0.0
    spot_strategy:
      description: V(NoSpot), V(SpotAsPriceGo) or V(SpotWithPriceLimit).
      type: str
      sample: NoSpot
    start_time:
      description: When the instance was last started, in UTC to the minute.
      type: str
      sample: "2024-06-01T08:31Z"
    status:
      description:
        - V(Pending), V(Starting), V(Running), V(Stopping) or V(Stopped) (the API's spelling, capitalized).
        - With O(state=running) or O(state=stopped) and O(wait=true) (the default), the status asked for.
      type: str
      sample: Running
    stopped_mode:
      description:
        - V(KeepCharging) or V(StopCharging) (economical mode) for a stopped instance, V(Not-applicable)
          otherwise.
      type: str
      sample: Not-applicable
    tags:
      description: Tags, as a dictionary of keys and string values.
      type: dict
      sample: {env: prod, app: shop}
    user_data_digest:
      description:
        - A digest of the instance's user data (the first 16 hex digits of the SHA-256 of its Base64 text), so
          that diffs can show a change without showing the user data, which may hold secrets.
      returned: when O(user_data) is set
      type: str
      sample: sha256:5e884898da280471
    vpc_id:
      description: VPC of the instance, or V(null).
      type: str
      sample: vpc-bp1opxu1zkhn00gzvxxxx
    vswitch_id:
      description: VSwitch of the instance, or V(null).
      type: str
      sample: vsw-bp1s5fnvk4gn2tws03624
    zone_id:
      description: Zone of the instance.
      type: str
      sample: cn-hangzhou-h
  sample:
    - instance_id: i-bp67acfmxazb4ph2xxxx
      instance_name: web
      status: Running
      zone_id: cn-hangzhou-h
      image_id: aliyun_3_x64_20G_alibase_20240528.vhd
      instance_type: ecs.g7.large
      instance_charge_type: PostPaid
      expired_time: "2099-12-31T15:59Z"
      vpc_id: vpc-bp1opxu1zkhn00gzvxxxx
      vswitch_id: vsw-bp1s5fnvk4gn2tws03624
      security_group_ids: [sg-bp1hv7cbwl1nzhgkbpbj]
      public_ip: 47.96.1.2
      private_ip: 172.16.5.91
      tags: {env: prod, app: shop}
modified_ids:
  description:
    - IDs of the instances changed in place - attributes, security groups, tags, user data, charge type
      (including a conversion before a release), instance type, bandwidth, system disk, image (O(rebuild)),
      renewal or auto-renewal.
  returned: always
  type: list
  elements: str
  sample: []
restarted_ids:
  description: IDs of the instances rebooted (or, if they were stopped, started) by O(state=restarted).
  returned: always
  type: list
  elements: str
  sample: []
started_ids:
  description:
    - IDs of existing instances started (new instances are in RV(created_ids) only), including those stopped for a
      change (O(allow_stop)) and started again.
  returned: always
  type: list
  elements: str
  sample: []
stopped_ids:
  description: IDs of existing instances stopped, including those stopped for a change (O(allow_stop)).
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
RENEW_SPEC = {
    "period": {"type": "int", "required": True},
    "period_unit": {"type": "str", "default": "Month", "choices": ["Month", "Week"]},
    "within_days": {"type": "int", "default": 7},
}
ARGUMENT_SPEC = {
    "allow_stop": {"type": "bool", "default": False},
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
    "rebuild": {"type": "bool", "default": False},
    "remove_surplus": {"type": "bool", "default": False},
    "renew": {"type": "dict", "options": RENEW_SPEC},
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
