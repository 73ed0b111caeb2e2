"""SSH key pairs: CreateKeyPair, ImportKeyPair, DescribeKeyPairs, DeleteKeyPairs (ECS API pages of
the same names; codes and messages in emulator/README.md).  RunInstances, CreateInstance and
ReplaceSystemDisk check ``KeyPairName`` against these (create.check_key_pair)."""

from __future__ import annotations

import random
import re
from typing import Any

from .. import sshkeys
from ..errors import ApiError, missing_parameter
from ..registry import Call, action
from ..seed import key_pair_key, key_pair_record
from ..state import second_time, tags_ecs
from . import common

MAX_KEY_PAIRS = 500  # per region (QuotaExceed.KeyPair)
_NAME_RE = re.compile(r"[^\W\d_][\w:.\-]{1,127}")  # 2-128, a (Unicode) letter first


def _name(call: Call) -> str:
    name = call.params.str("KeyPairName", required=True)
    assert name is not None
    if not _NAME_RE.fullmatch(name) or name.startswith(("http://", "https://")):
        raise ApiError("InvalidKeyPairName.Malformed", "Specified Key Pair name is not valid.", 400)
    return name


def _add(call: Call, region_id: str, name: str, public_key: str) -> dict[str, Any]:
    store = call.store
    if key_pair_key(region_id, name) in store.key_pairs:
        raise ApiError("KeyPair.AlreadyExist", "The key pair already exist.", 400)
    if sum(1 for k in store.key_pairs.values() if k["RegionId"] == region_id) >= MAX_KEY_PAIRS:
        raise ApiError("QuotaExceed.KeyPair", "The key pair quota exceeds.", 403)
    common.check_resource_group(call.params.get("ResourceGroupId"))
    tags = common.validate_tags(call.params.tags())
    record = key_pair_record(region_id, name, public_key, float(int(call.now)), store._rng)
    record.update(ResourceGroupId=call.params.get("ResourceGroupId") or "", Tags=tags)
    store.key_pairs[key_pair_key(region_id, name)] = record
    return record


@action("CreateKeyPair", mutating=True)
def create_key_pair(call: Call) -> dict:
    """A new key pair: the private key is answered once and never stored (a dummy, README)."""
    region_id = common.region(call)
    assert region_id is not None
    name = _name(call)
    rng: random.Random = call.store._rng
    record = _add(call, region_id, name, sshkeys.dummy_public_key(rng))
    return {
        "KeyPairId": record["KeyPairId"],
        "KeyPairName": name,
        "KeyPairFingerPrint": record["KeyPairFingerPrint"],
        "PrivateKeyBody": sshkeys.dummy_private_key(rng),
    }


@action("ImportKeyPair", mutating=True)
def import_key_pair(call: Call) -> dict:
    region_id = common.region(call)
    assert region_id is not None
    name = _name(call)
    body = call.params.get("PublicKeyBody") or ""
    if not body:
        raise missing_parameter("PublicKeyBody")
    if sshkeys.parse_public_key(body) is None:
        raise ApiError("InvalidPublicKeyBody.Malformed", "The PublicKeyBody format is not supported.", 400)
    record = _add(call, region_id, name, body)
    return {"KeyPairName": name, "KeyPairFingerPrint": record["KeyPairFingerPrint"], "KeyPairId": record["KeyPairId"]}


def _render(store, pair: dict[str, Any], include_public_key: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "KeyPairName": pair["KeyPairName"],
        "KeyPairFingerPrint": pair["KeyPairFingerPrint"],
        "CreationTime": second_time(pair["CreationTs"]),
        "ResourceGroupId": pair["ResourceGroupId"],
        "Tags": tags_ecs(pair["Tags"]),
    }
    if include_public_key:
        out["PublicKey"] = pair["PublicKey"]
    return out


@action("DescribeKeyPairs")
def describe_key_pairs(call: Call) -> dict:
    region_id = common.region(call)
    p = call.params
    exact = p.get("KeyPairName")
    if exact and "*" not in exact:  # one name: one lookup
        found = call.store.key_pairs.get(key_pair_key(region_id, exact))
        pairs = [found] if found is not None else []
    else:
        pairs = [k for k in call.store.key_pairs.values() if k["RegionId"] == region_id]
    name = common.wildcard(p.get("KeyPairName"))
    if name:
        pairs = [k for k in pairs if name(k["KeyPairName"])]
    if p.get("KeyPairFingerPrint"):
        pairs = [k for k in pairs if k["KeyPairFingerPrint"] == p.get("KeyPairFingerPrint")]
    if p.get("ResourceGroupId"):
        pairs = [k for k in pairs if k["ResourceGroupId"] == p.get("ResourceGroupId")]
    wanted = common.tag_filter(call)
    pairs = [k for k in pairs if common.tags_match(k["Tags"], wanted)]
    include = bool(p.bool("IncludePublicKey", False))
    pairs.sort(key=lambda k: (-k["CreationTs"], k["KeyPairName"]))
    page, meta = common.paginate(call, pairs, 10, 50)
    return {**meta, "KeyPairs": {"KeyPair": [_render(call.store, k, include) for k in page]}}


@action("DeleteKeyPairs", mutating=True)
def delete_key_pairs(call: Call) -> dict:
    """``KeyPairNames``: a JSON array of up to 100 names; names that do not exist are skipped (README)."""
    region_id = common.region(call)
    assert region_id is not None
    if not call.params.get("KeyPairNames"):
        raise missing_parameter("KeyPairNames")
    bad = ApiError("InvalidKeyPairNames.ValueNotSupported", 'The specified parameter "KeyPairNames" is not valid.', 400)
    names = common.json_ids(call, "KeyPairNames", 10_000, error=bad)
    if not names:
        raise bad
    if len(names) > 100:
        raise ApiError("InstanceKeyPairLimitExceeded", "Exceeding the allowed amount of instance which will be deleted.",
                       403)
    store = call.store
    store.settle(region_id, call.now)  # auto-release may free a key pair; the index is then current
    if any(store.index.size(region_id, "KeyPairName", name) for name in set(names)):
        raise ApiError(
            "InvalidParameter.KeypairAlreadyAttachedInstance",
            'The specified parameter "KeyPairNames" attached to instances can not be deleted.',
            400,
        )
    for name in names:
        store.key_pairs.pop(key_pair_key(region_id, name), None)
    return {}
