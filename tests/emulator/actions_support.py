"""Support for the action tests: the seed ids, old-SDK requests for any ECS/VPC action, the ``Ecs`` driver.

Imported by tests/emulator/test_actions_*.py; the fixtures (``emulator``,
``acs_client``, ``ecs``) are in conftest.py.
"""

from __future__ import annotations

import importlib
import json
import time
from typing import Any

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException

REGION = "cn-hangzhou"
ZONE = "cn-hangzhou-h"
VPC = "vpc-bp1emudefault"
VSWITCH = "vsw-bp1emudefaulth"
VSWITCH_I = "vsw-bp1emudefaulti"
SG = "sg-bp1emudefault"
IMAGE = "aliyun_3_x64_20G_alibase_20240528.vhd"
TYPE = "ecs.g7.large"


def request(action: str, product: str = "ecs", **params: Any):
    """An old-SDK request object; ``Name=value`` uses ``set_Name`` when it exists, else a raw query param."""
    package = "aliyunsdkvpc.request.v20160428" if product == "vpc" else "aliyunsdkecs.request.v20140526"
    module = importlib.import_module(f"{package}.{action}Request")
    req = getattr(module, f"{action}Request")()
    for name, value in params.items():
        setter = getattr(req, f"set_{name}", None)
        if setter is not None and "." not in name:
            setter(value)
        else:
            req.add_query_param(
                name,
                (
                    value
                    if isinstance(value, str)
                    else json.dumps(value) if isinstance(value, (list, dict)) else str(value)
                ),
            )
    return req


class Ecs:
    """Small driver over an AcsClient: ``ecs.call("DescribeInstances", ...)`` -> parsed JSON."""

    def __init__(self, client):
        self.client = client

    def send(self, req) -> dict:
        return json.loads(self.client.do_action_with_exception(req))

    def call(self, action: str, product: str = "ecs", **params: Any) -> dict:
        return self.send(request(action, product, **params))

    def error(self, action: str, product: str = "ecs", **params: Any) -> ServerException:
        with pytest.raises(ServerException) as info:
            self.call(action, product, **params)
        return info.value

    def run(self, amount: int = 1, **params: Any) -> list[str]:
        base = {"ImageId": IMAGE, "InstanceType": TYPE, "SecurityGroupId": SG, "VSwitchId": VSWITCH, "Amount": amount}
        return self.call("RunInstances", **{**base, **params})["InstanceIdSets"]["InstanceIdSet"]

    def create(self, **params: Any) -> str:
        base = {"ImageId": IMAGE, "InstanceType": TYPE, "SecurityGroupId": SG, "VSwitchId": VSWITCH}
        return self.call("CreateInstance", **{**base, **params})["InstanceId"]

    def describe(self, ids: list[str] | None = None, **params: Any) -> list[dict]:
        if ids is not None:
            params["InstanceIds"] = json.dumps(ids)
        return self.call("DescribeInstances", PageSize=100, **params)["Instances"]["Instance"]

    def one(self, instance_id: str) -> dict:
        found = self.describe([instance_id])
        assert len(found) == 1, found
        return found[0]

    def status(self, instance_id: str) -> str:
        return self.one(instance_id)["Status"]

    def wait(self, instance_id: str, status: str, timeout: float = 10.0) -> list[str]:
        """Poll until ``status``; returns every status seen on the way."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = self.status(instance_id)
            if not seen or seen[-1] != current:
                seen.append(current)
            if current == status:
                return seen
            time.sleep(0.02)
        raise AssertionError(f"{instance_id} never reached {status}; saw {seen}")


def assert_error(exc: ServerException, code: str, status: int, message: str | None = None) -> None:
    assert exc.get_error_code() == code, (exc.get_error_code(), exc.get_error_msg())
    assert exc.get_http_status() == status, (code, exc.get_http_status())
    if message is not None:
        assert exc.get_error_msg() == message

