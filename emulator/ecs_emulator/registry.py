"""Registry of API actions, keyed by (Version, Action).

Handlers are plain functions ``handler(call: Call) -> dict`` registered with
``@action(...)``.  They return the success body *without* ``RequestId`` (the
transport adds it) and raise :class:`ecs_emulator.errors.ApiError` for errors.
The transport (server.py) owns authentication, read-only keys, fault
injection, ClientToken idempotency (for actions registered with
``client_token=True``), the call log and rendering; handlers own parameter
validation, DryRun and state changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:  # pragma: no cover
    from .params import Params
    from .state import Store

ECS_VERSION = "2014-05-26"
VPC_VERSION = "2016-04-28"
STS_VERSION = "2015-04-01"  # AssumeRole (actions/sts.py)


@dataclass
class Call:
    """Everything a handler may look at for one API call."""

    version: str
    action: str
    params: "Params"  # operation parameters (signature/common fields removed)
    store: "Store"
    request_id: str
    host: str  # the Host the client addressed (for HostId)
    account: str  # owner account of the access key
    access_key_id: str
    now: float  # time.time() of the request
    extra: dict[str, Any] = field(default_factory=dict)
    blind: bool = False  # the credential may not read instances: list reads are empty (reference 8.9)

    @property
    def region_id(self) -> str | None:
        return self.params.get("RegionId")


@dataclass(frozen=True)
class ActionSpec:
    version: str
    name: str
    handler: Callable[[Call], dict]
    mutating: bool  # a read-only key gets Forbidden.RAM
    client_token: bool  # ClientToken idempotency handled by the transport
    dry_run_code: str  # "DryRunOperation" or "DRYRUN.SUCCESS"


ACTIONS: dict[tuple[str, str], ActionSpec] = {}


def action(
    name: str,
    *,
    version: str = ECS_VERSION,
    mutating: bool = False,
    client_token: bool = False,
    dry_run_code: str = "DryRunOperation",
) -> Callable[[Callable[[Call], dict]], Callable[[Call], dict]]:
    def register(func: Callable[[Call], dict]) -> Callable[[Call], dict]:
        key = (version, name)
        if key in ACTIONS:
            raise RuntimeError(f"action registered twice: {key}")
        ACTIONS[key] = ActionSpec(version, name, func, mutating, client_token, dry_run_code)
        return func

    return register


def lookup(version: str, name: str) -> ActionSpec | None:
    _load_actions()
    return ACTIONS.get((version, name))


def versions() -> set[str]:
    _load_actions()
    return {v for v, _ in ACTIONS}


_loaded = False


def _load_actions() -> None:
    global _loaded
    if not _loaded:
        from .actions import load_all

        load_all()
        _loaded = True
