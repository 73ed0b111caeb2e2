"""SSH key pairs (CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPairs), KeyPairName checks
on create, and the seeded security groups and second VPC (README "Seed ids")."""

from __future__ import annotations

import base64
import json
import random
import re
import struct

import pytest

from tests.emulator.actions_support import SG, VPC, Ecs, assert_error

WINDOWS = "win2022_21H2_x64_dtc_en-us_40G_alibase_20240515.vhd"


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def rsa_line(bits: int = 2048, comment: str = "me@host") -> str:
    """An OpenSSH ssh-rsa line (format only: a random odd modulus, no private key anywhere)."""
    rng = random.Random(bits)  # deterministic: the parametrised ids must agree between test workers
    modulus = b"\x00" + bytes([0x80 | rng.getrandbits(7)]) + rng.randbytes(bits // 8 - 1)
    blob = _string(b"ssh-rsa") + _string(b"\x01\x00\x01") + _string(modulus)
    return f"ssh-rsa {base64.b64encode(blob).decode()} {comment}"


def ed25519_line() -> str:
    blob = _string(b"ssh-ed25519") + _string(random.Random(25519).randbytes(32))
    return "ssh-ed25519 " + base64.b64encode(blob).decode()


def names(ecs: Ecs, **params) -> list[str]:
    return [k["KeyPairName"] for k in ecs.call("DescribeKeyPairs", PageSize=50, **params)["KeyPairs"]["KeyPair"]]


def test_default_key_pair_is_seeded_in_every_region(ecs: Ecs):
    assert names(ecs) == ["emulator-keypair"]
    [pair] = ecs.call("DescribeKeyPairs", RegionId="eu-central-1", IncludePublicKey=True)["KeyPairs"]["KeyPair"]
    assert pair["KeyPairName"] == "emulator-keypair" and pair["PublicKey"].startswith("ssh-ed25519 ")
    assert re.fullmatch(r"([0-9a-f]{2}:){15}[0-9a-f]{2}", pair["KeyPairFingerPrint"])
    assert "PublicKey" not in ecs.call("DescribeKeyPairs")["KeyPairs"]["KeyPair"][0]


def test_create_key_pair_answers_a_dummy_private_key_once(ecs: Ecs):
    body = ecs.call("CreateKeyPair", KeyPairName="deploy-key", **{"Tag.1.Key": "team", "Tag.1.Value": "ops"})
    assert body["KeyPairName"] == "deploy-key" and body["KeyPairId"].startswith("skp-")
    assert body["PrivateKeyBody"].startswith("-----BEGIN PRIVATE KEY-----\n")
    assert body["PrivateKeyBody"].rstrip().endswith("-----END PRIVATE KEY-----")
    listed = ecs.call("DescribeKeyPairs", KeyPairName="deploy*", IncludePublicKey=True)["KeyPairs"]["KeyPair"]
    assert [k["KeyPairFingerPrint"] for k in listed] == [body["KeyPairFingerPrint"]]
    assert listed[0]["Tags"]["Tag"] == [{"TagKey": "team", "TagValue": "ops"}]
    assert "PrivateKeyBody" not in json.dumps(listed)
    assert_error(ecs.error("CreateKeyPair", KeyPairName="deploy-key"), "KeyPair.AlreadyExist", 400,
                 "The key pair already exist.")


@pytest.mark.parametrize("name", ["1abc", "a", "http://x", "bad name", "x" * 129])
def test_malformed_key_pair_names(ecs: Ecs, name):
    assert_error(ecs.error("CreateKeyPair", KeyPairName=name), "InvalidKeyPairName.Malformed", 400,
                 "Specified Key Pair name is not valid.")


def test_import_key_pair_keeps_the_public_key_and_its_fingerprint(ecs: Ecs):
    line = rsa_line()
    body = ecs.call("ImportKeyPair", KeyPairName="laptop", PublicKeyBody=line)
    blob = base64.b64decode(line.split()[1])
    import hashlib

    digest = hashlib.md5(blob).hexdigest()
    assert body["KeyPairFingerPrint"] == ":".join(digest[i : i + 2] for i in range(0, 32, 2))
    [pair] = ecs.call("DescribeKeyPairs", KeyPairName="laptop", IncludePublicKey=True)["KeyPairs"]["KeyPair"]
    assert pair["PublicKey"] == line
    assert names(ecs, KeyPairFingerPrint=body["KeyPairFingerPrint"]) == ["laptop"]
    ecs.call("ImportKeyPair", KeyPairName="ed", PublicKeyBody=ed25519_line())


@pytest.mark.parametrize(
    "body",
    [
        "ssh-rsa",
        "ssh-rsa not-base64!!",
        "ssh-dss AAAAB3NzaC1kc3MAAACBAP",
        ed25519_line().replace("ssh-ed25519", "ssh-rsa"),  # the blob names another key type
        rsa_line(bits=512),
        "-----BEGIN PUBLIC KEY-----",
    ],
)
def test_import_refuses_what_is_no_openssh_public_key(ecs: Ecs, body):
    assert_error(ecs.error("ImportKeyPair", KeyPairName="bad", PublicKeyBody=body), "InvalidPublicKeyBody.Malformed",
                 400, "The PublicKeyBody format is not supported.")
    assert names(ecs) == ["emulator-keypair"]


def test_import_needs_a_public_key(ecs: Ecs):
    assert_error(ecs.error("ImportKeyPair", KeyPairName="bad"), "MissingParameter", 400)


def test_run_instances_checks_the_key_pair(ecs: Ecs, emulator):
    exc = ecs.error("RunInstances", KeyPairName="nobody", **_base())
    assert_error(exc, "InvalidKeyPairName.NotFound", 404, 'The specified parameter "KeyPairName" does not exist in our records.')
    assert_error(ecs.error("CreateInstance", KeyPairName="nobody", **_base()), "InvalidKeyPairName.NotFound", 404)
    ecs.call("CreateKeyPair", KeyPairName="beijing-only", RegionId="cn-beijing")  # key pairs belong to a region
    assert_error(ecs.error("RunInstances", KeyPairName="beijing-only", **_base()), "InvalidKeyPairName.NotFound", 404)
    [iid] = ecs.run(KeyPairName="emulator-keypair")
    assert ecs.one(iid)["KeyPairName"] == "emulator-keypair"
    assert ecs.describe(KeyPairName="emulator-keypair")[0]["InstanceId"] == iid
    [win] = ecs.run(ImageId=WINDOWS, KeyPairName="nobody")  # ignored for Windows (reference 9.1)
    assert ecs.one(win)["KeyPairName"] == ""
    emulator.config({"check_key_pairs": False})
    [free] = ecs.run(KeyPairName="anything-goes")
    assert ecs.one(free)["KeyPairName"] == "anything-goes"


def _base() -> dict:
    from tests.emulator.actions_support import IMAGE, TYPE, VSWITCH

    return {"ImageId": IMAGE, "InstanceType": TYPE, "SecurityGroupId": SG, "VSwitchId": VSWITCH}


def test_delete_key_pairs(ecs: Ecs):
    for name in ("a-key", "b-key", "c-key"):
        ecs.call("CreateKeyPair", KeyPairName=name)
    ecs.call("DeleteKeyPairs", KeyPairNames=json.dumps(["a-key", "b-key", "never-was"]))  # unknown names skipped
    assert sorted(names(ecs)) == ["c-key", "emulator-keypair"]
    [iid] = ecs.run(KeyPairName="c-key")
    exc = ecs.error("DeleteKeyPairs", KeyPairNames=json.dumps(["c-key"]))
    assert_error(exc, "InvalidParameter.KeypairAlreadyAttachedInstance", 400)
    ecs.call("DeleteInstance", InstanceId=iid, Force=True)
    ecs.call("DeleteKeyPairs", KeyPairNames='["c-key"]')
    assert names(ecs) == ["emulator-keypair"]


@pytest.mark.parametrize(
    "value,code,status",
    [
        (None, "MissingParameter", 400),
        ("a-key", "InvalidKeyPairNames.ValueNotSupported", 400),
        ("[1, 2]", "InvalidKeyPairNames.ValueNotSupported", 400),
        ("[]", "InvalidKeyPairNames.ValueNotSupported", 400),
        (json.dumps([f"k{i}" for i in range(101)]), "InstanceKeyPairLimitExceeded", 403),
    ],
)
def test_delete_key_pairs_validation(ecs: Ecs, value, code, status):
    params = {} if value is None else {"KeyPairNames": value}
    assert_error(ecs.error("DeleteKeyPairs", **params), code, status)


def test_key_pairs_can_be_tagged(ecs: Ecs):
    ecs.call("TagResources", ResourceType="keypair", **{"ResourceId.1": "emulator-keypair", "Tag.1.Key": "k",
                                                         "Tag.1.Value": "v"})
    rows = ecs.call("ListTagResources", ResourceType="keypair", **{"ResourceId.1": "emulator-keypair"})
    assert rows["TagResources"]["TagResource"] == [
        {"ResourceId": "emulator-keypair", "ResourceType": "keypair", "TagKey": "k", "TagValue": "v"}
    ]


# ------------------------------------------------------------------------------- seeded network


def test_seed_security_groups_and_second_vpc(ecs: Ecs):
    groups = {g["SecurityGroupId"]: g for g in ecs.call("DescribeSecurityGroups", PageSize=50)["SecurityGroups"]["SecurityGroup"]}
    assert set(groups) == {SG, "sg-bp1emuweb", "sg-bp1emudb", "sg-bp1emuother"}
    assert {groups[g]["VpcId"] for g in (SG, "sg-bp1emuweb", "sg-bp1emudb")} == {VPC}
    assert groups["sg-bp1emuother"]["VpcId"] == "vpc-bp1emuother"
    assert groups["sg-bp1emuweb"]["SecurityGroupName"] == "emulator-web" and groups["sg-bp1emuweb"]["RuleCount"] == 2
    assert groups["sg-bp1emudb"]["RuleCount"] == 1 and groups["sg-bp1emuother"]["RuleCount"] == 0
    assert {g["SecurityGroupId"] for g in ecs.call("DescribeSecurityGroups", RegionId="us-west-1")
            ["SecurityGroups"]["SecurityGroup"]} == {"sg-rj9emudefault", "sg-rj9emuweb", "sg-rj9emudb", "sg-rj9emuother"}


def test_seed_groups_support_security_group_changes(ecs: Ecs):
    [iid] = ecs.run()
    ecs.call("JoinSecurityGroup", InstanceId=iid, SecurityGroupId="sg-bp1emuweb")
    ecs.call("ModifyInstanceAttribute", InstanceId=iid, **{"SecurityGroupIds.1": "sg-bp1emuweb",
                                                           "SecurityGroupIds.2": "sg-bp1emudb"})
    assert ecs.one(iid)["SecurityGroupIds"]["SecurityGroupId"] == ["sg-bp1emuweb", "sg-bp1emudb"]
    exc = ecs.error("JoinSecurityGroup", InstanceId=iid, SecurityGroupId="sg-bp1emuother")
    assert_error(exc, "InvalidInstanceId.Mismatch", 400)


def test_an_instance_in_the_second_vpc(ecs: Ecs):
    [iid] = ecs.run(SecurityGroupId="sg-bp1emuother", VSwitchId="vsw-bp1emuotherh")
    inst = ecs.one(iid)
    assert inst["VpcAttributes"]["VpcId"] == "vpc-bp1emuother"
    assert inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0].startswith("192.168.0.")
    exc = ecs.error("RunInstances", **{**_base(), "VSwitchId": "vsw-bp1emuotherh"})
    assert_error(exc, "InvalidParameter.Mismatch", 400)
