# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""Which failures are retried, and how long to wait before the next attempt.

The SDK's own retries are off (``auto_retry=False``) so they never multiply
with these.  Two kinds of transient failure are told apart:

* *rejected*: the service refused the request before doing anything
  (throttling, a conflicting request still running).  Repeating is always safe.
* *ambiguous*: the request may or may not have been carried out (internal
  errors, HTTP 5xx, connection errors and timeouts, a lost response).  Only
  idempotent calls are repeated: reads, calls that carry a ClientToken (the
  service replays the first result instead of acting twice) and calls that set
  absolute values (ModifyInstanceAttribute, TagResources, UntagResources).
  Start/Stop/Reboot have no ClientToken; the instance logic re-reads the state
  after an ambiguous failure and only repeats what is still needed.
"""

from __future__ import annotations

import math
import random

# Codes that mean "not processed, try again later" -- safe for every call.
REJECTED_CODES = frozenset({"OperationConflict", "LastTokenProcessing", "IdempotentProcessing"})
REJECTED_PREFIXES = ("Throttling", "ServiceUnavailable")
# Codes whose outcome is unknown -- repeated only for idempotent calls.
AMBIGUOUS_CODES = frozenset({"InternalError", "UnknownError", "SDK.HttpError", "SDK.UnknownServerError"})

DEFAULT_RETRY_TIMEOUT = 120.0
BASE_DELAY = 0.5
MAX_DELAY = 20.0


def is_rejected(code: str | None) -> bool:
    """True when the service refused the request without acting on it."""
    code = code or ""
    return code in REJECTED_CODES or code.startswith(REJECTED_PREFIXES)


def is_ambiguous(code: str | None, http_status: int | None) -> bool:
    """True when the request may have been carried out before it failed."""
    return (code or "") in AMBIGUOUS_CODES or (http_status is not None and http_status >= 500)


def should_retry(code: str | None, http_status: int | None, idempotent: bool) -> bool:
    """The single retry decision used by the client."""
    if is_rejected(code):
        return True
    return idempotent and is_ambiguous(code, http_status)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from an ``x-acs-retry-after`` header, whose value is milliseconds (reference 8.5).

    One unit everywhere: the new SDK (darabonba ``get_backoff_time``) and the
    emulator's fault rules read it the same way, so "60" is 0.06 s.
    """
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    if number is None or not math.isfinite(number) or number <= 0:
        return None
    return number / 1000.0


def backoff_delay(attempt: int, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Jittered exponential delay for attempt 0, 1, 2...; a server hint wins when longer."""
    ceiling = min(MAX_DELAY, BASE_DELAY * (2**attempt))
    delay = (rng or random).uniform(ceiling / 2, ceiling)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay
