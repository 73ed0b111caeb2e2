"""Fault injection rules (reference section 10 item 10, 8.5 throttling).

A rule matches API calls by action (or ``*``) and optional version, fires for
the next ``count`` matching calls and/or with a ``probability`` (seeded for
determinism), and has one kind: ``error``, ``latency``, ``reset``,
``commit_then_drop`` or ``commit_then_error``.  Matching latency rules add up;
the first matching rule of any other kind wins.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError

KINDS = ("error", "latency", "reset", "commit_then_drop", "commit_then_error")

# Default status and message per code, so that {"code": "Throttling"} is enough
# (texts from reference section 7).
PRESETS: dict[str, tuple[int, str]] = {
    "Throttling": (
        400,
        "You have made too many requests within a short time; your request is denied due to request throttling.",
    ),
    "Throttling.User": (400, "Request was denied due to user flow control."),
    "Throttling.Api": (400, "Request was denied due to api flow control."),
    "InternalError": (500, "The request processing has failed due to some unknown error, exception or failure."),
    "UnknownError": (400, "The request processing has failed due to some unknown error."),
    "ServiceUnavailable": (503, "The request has failed due to a temporary failure of the server."),
    "OperationConflict": (409, "Request was denied due to conflict with a previous request."),
    "OperationDenied.NoStock": (
        403,
        "The requested resource is sold out in the specified zone; "
        "try other types of resources or other regions and zones.",
    ),
    "LastTokenProcessing": (403, "The last token request is processing."),
}

_ALLOWED_KEYS = {
    "action",
    "version",
    "count",
    "probability",
    "seed",
    "kind",
    "code",
    "message",
    "status",
    "retry_after",
    "seconds",
    "dry_run",
}


def internal_error() -> ApiError:
    return ApiError("InternalError", PRESETS["InternalError"][1], 500)


@dataclass
class FaultRule:
    kind: str
    action: str = "*"
    version: str | None = None
    count: int | None = None  # remaining applications; None = unlimited
    probability: float | None = None
    seed: int | None = None
    code: str | None = None
    message: str | None = None
    status: int | None = None
    retry_after: int | None = None
    seconds: float = 0.0
    dry_run: bool | None = None  # match only calls with (True) or without (False) DryRun=true
    hits: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def matches(self, version: str, action: str, dry_run: bool = False) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if self.action not in ("*", action):
            return False
        if self.dry_run is not None and self.dry_run != dry_run:
            return False
        return self.version in (None, version)

    def fire(self) -> bool:
        """Decide (and account for) one application to a matching call."""
        if self.probability is not None and self._rng.random() >= self.probability:
            return False
        if self.count is not None:
            self.count -= 1
        self.hits += 1
        return True

    def error(self) -> ApiError:
        code = self.code or "InternalError"
        status, message = PRESETS.get(code, (400, "Injected fault."))
        headers = {"x-acs-retry-after": str(self.retry_after)} if self.retry_after is not None else {}
        return ApiError(code, self.message or message, self.status or status, headers)

    def describe(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in sorted(_ALLOWED_KEYS) if getattr(self, k) is not None}
        out["hits"] = self.hits
        return out


def parse_rule(data: Any) -> FaultRule:
    """Validate one JSON rule; raises ValueError with a human-readable reason."""
    if not isinstance(data, dict):
        raise ValueError("a fault rule must be a JSON object")
    unknown = sorted(set(data) - _ALLOWED_KEYS)
    if unknown:
        raise ValueError(f"unknown fault rule keys: {', '.join(unknown)}")
    kind = data.get("kind") or ("error" if data.get("code") else None)
    if kind not in KINDS:
        raise ValueError(f"fault kind must be one of {', '.join(KINDS)}")
    rule = FaultRule(kind=kind, action=str(data.get("action") or "*"))
    rule.version = data.get("version")
    rule.count = _opt_int(data, "count", minimum=0)
    rule.probability = _opt_float(data, "probability", 0.0, 1.0)
    rule.seed = _opt_int(data, "seed")
    rule.code, rule.message = data.get("code"), data.get("message")
    rule.status = _opt_int(data, "status", minimum=100, maximum=599)
    rule.retry_after = _opt_int(data, "retry_after", minimum=0)
    rule.seconds = _opt_float(data, "seconds", 0.0, 600.0) or 0.0
    if data.get("dry_run") is not None and not isinstance(data["dry_run"], bool):
        raise ValueError("dry_run must be true or false")
    rule.dry_run = data.get("dry_run")
    rule._rng = random.Random(rule.seed)
    return rule


def _opt_int(data: dict, key: str, minimum: int | None = None, maximum: int | None = None) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{key} must be an integer")
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise ValueError(f"{key} out of range")
    return value


def _opt_float(data: dict, key: str, minimum: float, maximum: float) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not minimum <= value <= maximum:
        raise ValueError(f"{key} must be a number in [{minimum}, {maximum}]")
    return float(value)


@dataclass
class Decision:
    """What the transport must do for one call."""

    latency: float = 0.0
    rule: FaultRule | None = None  # the terminal (non-latency) rule, if any

    @property
    def label(self) -> str | None:
        parts = []
        if self.latency:
            parts.append(f"latency:{self.latency:g}")
        if self.rule is not None:
            parts.append(self.rule.kind + (f":{self.rule.error().code}" if self.rule.kind == "error" else ""))
        return ",".join(parts) or None


class Faults:
    def __init__(self) -> None:
        self._rules: list[FaultRule] = []
        self._lock = threading.Lock()

    def add(self, payload: Any) -> list[FaultRule]:
        """Accepts one rule, a list, or ``{"rules": [...]}``; all-or-nothing."""
        rows = payload.get("rules") if isinstance(payload, dict) and "rules" in payload else payload
        rows = rows if isinstance(rows, list) else [rows]
        rules = [parse_rule(row) for row in rows]
        with self._lock:
            self._rules.extend(rules)
        return rules

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    def describe(self) -> list[dict[str, Any]]:
        with self._lock:
            return [rule.describe() for rule in self._rules]

    def decide(self, version: str, action: str, dry_run: bool = False) -> Decision:
        decision = Decision()
        with self._lock:
            for rule in self._rules:
                if not rule.matches(version, action, dry_run):
                    continue
                if rule.kind == "latency":
                    if rule.fire():
                        decision.latency += rule.seconds
                elif decision.rule is None and rule.fire():
                    decision.rule = rule
        return decision
