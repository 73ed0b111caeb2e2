"""Extra actions loaded into an emulator with ``--plugin tests.helpers.plugin_actions``.

They exercise the transport independently of the real handlers: a crash (for
InternalError 500), an echo of the parameters the handler sees, and a
counter-based create with ClientToken semantics whose side effects are visible
through the store's token table and the call log.
"""

from __future__ import annotations

from ecs_emulator.registry import Call, action

TEST_VERSION = "2014-05-26"
CREATED: list[str] = []


@action("EmulatorTestCrash", version=TEST_VERSION)
def crash(call: Call) -> dict:
    raise RuntimeError("deliberate bug in a handler (secret must not leak)")


@action("EmulatorTestEcho", version=TEST_VERSION)
def echo(call: Call) -> dict:
    return {
        "Params": dict(call.params.items()),
        "Account": call.account,
        "AccessKeyId": call.access_key_id,
        "Host": call.host,
        "Nested": {"Item": [{"A": 1}, {"A": 2}]},
        "Flag": True,
    }


@action("EmulatorTestBadReturn", version=TEST_VERSION)
def bad_return(call: Call) -> dict:
    return ["not", "a", "dict"]  # type: ignore[return-value]


_counter = {"next": 0}


@action("EmulatorTestCreate", version=TEST_VERSION, mutating=True, client_token=True)
def create(call: Call) -> dict:
    """Each real execution returns a new id; a ClientToken replay returns the first one."""
    if call.params.get("Fail") == "true":
        from ecs_emulator.errors import invalid_parameter

        raise invalid_parameter("Fail")
    _counter["next"] += 1
    return {"ThingId": f"thing-{_counter['next']}", "Executions": _counter["next"]}
