"""API flow control: an optional token bucket per caller, region and action (setting ``rate_limit``).

What it follows (emulator/README.md "Flow control" has the sources): ECS throttles every API
operation, per Alibaba Cloud account (RAM users, the console and tools such as Ansible share the
account's quota), per region and per operation, each counted independently; a throttled call is
refused and changes nothing.  The code, message and status are those of per-user flow control,
``Throttling.User`` 400 "Request was denied due to user flow control." (reference 7).  Alibaba does
not publish ECS's thresholds (only the Quota Center console shows some), so the rates are settings.

A bucket holds at most ``burst`` tokens and gains ``rate`` tokens per second; a call takes one
token or is refused.  Refused calls take none.  With ``retry_after`` the refusal carries
``x-acs-retry-after``: the milliseconds until the bucket holds a token again (the unit of the
header, reference 8.5), which the new SDK turns into a ``ThrottlingException``.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable

from .errors import ApiError

CODE = "Throttling.User"
MESSAGE = "Request was denied due to user flow control."


class RateLimiter:
    """Buckets of the transport (not part of the store: never persisted, emptied by reset)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple, list[float]] = {}  # key -> [tokens, last refill, rate, burst]

    def clear(self) -> None:
        with self._lock:
            self._buckets.clear()

    @staticmethod
    def limits(settings: dict[str, Any], action: str) -> tuple[float, float]:
        bucket = (settings.get("actions") or {}).get(action) or settings["default"]
        return float(bucket["rate"]), float(bucket["burst"])

    def admit(self, settings: dict[str, Any], *, account: str, access_key_id: str, region: str, version: str,
              action: str) -> None:
        """Take a token for this call, or raise ``Throttling.User`` (nothing when flow control is off)."""
        if not settings.get("enabled"):
            return
        rate, burst = self.limits(settings, action)
        who = account if settings.get("scope", "account") == "account" else access_key_id
        key = (who, region if settings.get("per_region", True) else "", version, action)
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None or bucket[2] != rate or bucket[3] != burst:
                bucket = self._buckets[key] = [burst, now, rate, burst]  # new, or its limits changed: full
            else:
                bucket[0] = min(burst, bucket[0] + (now - bucket[1]) * rate)
                bucket[1] = now
            if bucket[0] >= 1.0:
                bucket[0] -= 1.0
                return
            wait_ms = max(1, math.ceil((1.0 - bucket[0]) / rate * 1000))
        headers = {"x-acs-retry-after": str(wait_ms)} if settings.get("retry_after", True) else {}
        raise ApiError(CODE, MESSAGE, 400, headers)

    def describe(self) -> list[dict[str, Any]]:
        """The buckets in use (for GET /_emulator/ratelimit): caller, region, action, tokens now."""
        now = self._clock()
        with self._lock:
            return [
                {"caller": who, "region": region, "version": version, "action": action,
                 "tokens": round(min(burst, tokens + (now - last) * rate), 3), "rate": rate, "burst": burst}
                for (who, region, version, action), (tokens, last, rate, burst) in sorted(self._buckets.items())
            ]


def parse_spec(text: str) -> dict[str, Any]:
    """``--rate-limit``: ``off``, ``on`` (the default buckets), ``RATE[/BURST]`` (every action) or
    ``Action=RATE[/BURST],...`` with ``*`` for every other action.  RATE is calls per second; BURST
    (the bucket size) defaults to RATE, at least 1.  Returns a ``rate_limit`` settings update."""
    spec = text.strip()
    if spec.lower() in ("off", "false", "no", "0"):
        return {"enabled": False}
    if spec.lower() in ("on", "true", "yes", "default"):
        return {"enabled": True}
    update: dict[str, Any] = {"enabled": True}
    actions: dict[str, Any] = {}
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            raise ValueError(f"empty item in {text!r}")
        name, _, value = part.rpartition("=") if "=" in part else ("*", "", part)
        name = name.strip()
        if not name:
            raise ValueError(f"no action name in {part!r}")
        rate_text, _, burst_text = value.partition("/")
        rate = float(rate_text)
        burst = float(burst_text) if burst_text else max(1.0, rate)
        if name == "*":
            update["default"] = {"rate": rate, "burst": burst}
        else:
            actions[name] = {"rate": rate, "burst": burst}
    if actions:
        update["actions"] = actions
    return update
