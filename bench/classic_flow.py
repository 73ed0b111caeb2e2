#  coding=utf-8
"""The classic Alibaba Cloud flow, as published in "Create an ECS instance by using the API".

This is the example script of that page (aliyun-python-sdk-core ``AcsClient`` +
aliyun-python-sdk-ecs request classes), kept as close to the original as
possible so that the benchmark compares against what users copy:

* CreateInstance (created Stopped), poll DescribeInstances with ``time.sleep(10)``
  until Stopped, StartInstance, poll again until Running, then
  AllocatePublicIpAddress (the page's "Allocate a public IP address" step);
* one instance after another.

Changes from the published code, all needed to run it and none making it faster:

1. ``index`` is incremented in both polling loops ("loop counter fixed so that
   it ends"): the original never increments it, so a loop whose instance never
   reaches the state would spin forever.
2. The client is pointed at the emulator (``add_endpoint``) instead of the real
   endpoint; region, image, type, vSwitch and security group are the
   emulator's seed values instead of placeholders.
3. CreateInstance sets ``VSwitchId`` (as the page's step 1 snippet does) and
   ``InternetMaxBandwidthOut`` (the page: a public IP can be allocated only if
   bandwidth was given at creation), so that AllocatePublicIpAddress succeeds.
4. ``AllocatePublicIpAddress`` is written the way the page describes it (the
   example script leaves it out); it is called once the instance is Running.
5. Logging goes to a file (``--log``) instead of the console.

Run:  python bench/classic_flow.py --endpoint 127.0.0.1:PORT --count 10 [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

from aliyunsdkcore import client
from aliyunsdkecs.request.v20140526.AllocatePublicIpAddressRequest import AllocatePublicIpAddressRequest
from aliyunsdkecs.request.v20140526.CreateInstanceRequest import CreateInstanceRequest
from aliyunsdkecs.request.v20140526.DescribeInstancesRequest import DescribeInstancesRequest
from aliyunsdkecs.request.v20140526.StartInstanceRequest import StartInstanceRequest

# Emulator defaults (emulator/README.md) instead of 'Your Access Key Id' etc.
ACCESS_KEY_ID = "LTAI5tEmulatorDefaultKey"
ACCESS_KEY_SECRET = "emulator-secret"
REGION_ID = "cn-beijing"
IMAGE_ID = "ubuntu_22_04_x64_20G_alibase_20240130.vhd"
INSTANCE_TYPE = "ecs.n1.small"
SECURITY_GROUP_ID = "sg-2zeemudefault"
VSWITCH_ID = "vsw-2zeemudefaulth"
INTERNET_MAX_BANDWIDTH_OUT = 1
INSTANCE_RUNNING = "Running"
POLL_SLEEP = 10  # the example's time.sleep(10)

clt = None  # set by main(): client.AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION_ID) + add_endpoint


def create_instance_action():
    instance_id = create_after_pay_instance(image_id=IMAGE_ID, instance_type=INSTANCE_TYPE,
                                            security_group_id=SECURITY_GROUP_ID)
    check_instance_running(instance_id=instance_id)
    allocate_public_ip(instance_id=instance_id)
    return instance_id


# create one after pay ecs instance.
def create_after_pay_instance(image_id, instance_type, security_group_id):
    request = CreateInstanceRequest();
    request.set_ImageId(image_id)
    request.set_SecurityGroupId(security_group_id)
    request.set_InstanceType(instance_type)
    request.set_IoOptimized('optimized')
    request.set_VSwitchId(VSWITCH_ID)
    request.set_SystemDiskCategory('cloud_ssd')
    request.set_InternetMaxBandwidthOut(INTERNET_MAX_BANDWIDTH_OUT)
    response = _send_request(request)
    instance_id = response.get('InstanceId')
    logging.info("instance %s created task submit successfully.", instance_id)
    return instance_id;


def check_instance_running(instance_id):
    detail = get_instance_detail_by_id(instance_id=instance_id, status=INSTANCE_RUNNING)
    index = 0
    while detail is None and index < 60:
        detail = get_instance_detail_by_id(instance_id=instance_id);
        time.sleep(POLL_SLEEP)
        index += 1  # fixed: the published loop never increments index
    if detail and detail.get('Status') == 'Stopped':
        logging.info("instance %s is stopped now.")
        start_instance(instance_id=instance_id)
        logging.info("start instance %s job submit.")
    detail = get_instance_detail_by_id(instance_id=instance_id, status=INSTANCE_RUNNING)
    while detail is None and index < 60:
        detail = get_instance_detail_by_id(instance_id=instance_id, status=INSTANCE_RUNNING);
        time.sleep(POLL_SLEEP)
        index += 1  # fixed
    logging.info("instance %s is running now.", instance_id)
    return instance_id;


def start_instance(instance_id):
    request = StartInstanceRequest()
    request.set_InstanceId(instance_id)
    _send_request(request)


# "Allocate a public IP address" step of the page (not in its example script).
def allocate_public_ip(instance_id):
    request = AllocatePublicIpAddressRequest()
    request.set_InstanceId(instance_id)
    response = _send_request(request)
    logging.info("instance %s public ip %s.", instance_id, (response or {}).get('IpAddress'))
    return response


# output the instance owned in current region.
def get_instance_detail_by_id(instance_id, status='Stopped'):
    logging.info("Check instance %s status is %s", instance_id, status)
    request = DescribeInstancesRequest()
    request.set_InstanceIds(json.dumps([instance_id]))
    response = _send_request(request)
    instance_detail = None
    if response is not None:
        instance_list = response.get('Instances').get('Instance')
        for item in instance_list:
            if item.get('Status') == status:
                instance_detail = item
                break;
        return instance_detail;


# send open api request
def _send_request(request):
    request.set_accept_format('json')
    try:
        response_str = clt.do_action(request)
        logging.info(response_str)
        response_detail = json.loads(response_str)
        return response_detail
    except Exception as e:
        logging.error(e)


def main(argv=None):
    global clt
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--endpoint", required=True, help="emulator host:port")
    parser.add_argument("--count", type=int, default=1, help="instances, created one after another")
    parser.add_argument("--json", help="write {count, wall_s, per_instance_s, instance_ids} here")
    parser.add_argument("--log", default=None, help="log file (default: no log output)")
    args = parser.parse_args(argv)
    if args.log:
        logging.basicConfig(level=logging.INFO, filename=args.log,
                            format='%(asctime)s %(filename)s[line:%(lineno)d] %(levelname)s %(message)s',
                            datefmt='%a, %d %b %Y %H:%M:%S')
    else:
        logging.disable(logging.CRITICAL)
    clt = client.AcsClient(ACCESS_KEY_ID, ACCESS_KEY_SECRET, REGION_ID)
    clt.add_endpoint(REGION_ID, "Ecs", args.endpoint.replace("http://", ""))
    start = time.monotonic()
    ids, per_instance = [], []
    for _ in range(args.count):
        began = time.monotonic()
        ids.append(create_instance_action())
        per_instance.append(round(time.monotonic() - began, 3))
    result = {"count": args.count, "wall_s": round(time.monotonic() - start, 3),
              "per_instance_s": per_instance, "instance_ids": ids}
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2)
    else:
        json.dump(result, sys.stdout)
        print()
    return 0 if all(ids) else 1


if __name__ == '__main__':
    sys.exit(main())
