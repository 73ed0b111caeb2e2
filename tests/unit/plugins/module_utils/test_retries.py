from __future__ import annotations

import random

import pytest

from ansible_collections.alicloud.ecs.plugins.module_utils import _retries as r


@pytest.mark.parametrize(
    "code,status,idempotent,expected",
    [
        ("Throttling", 400, False, True),
        ("Throttling.User", 400, False, True),
        ("Throttling.Api", 400, True, True),
        ("ServiceUnavailable", 503, False, True),
        ("ServiceUnavailable.RegionMaintaining", 503, False, True),
        ("OperationConflict", 409, False, True),
        ("LastTokenProcessing", 403, True, True),
        ("IdempotentProcessing", 403, True, True),
        ("InternalError", 500, True, True),
        ("InternalError", 500, False, False),
        ("UnknownError", 400, True, True),
        ("SDK.HttpError", None, True, True),
        ("SDK.HttpError", None, False, False),
        ("Whatever", 502, True, True),
        ("Whatever", 502, False, False),
        ("IncorrectInstanceStatus", 403, True, False),
        ("InvalidParameter", 400, True, False),
        ("InvalidAccessKeyId.NotFound", 404, True, False),
        ("DryRunOperation", 400, True, False),
        (None, None, True, False),
    ],
)
def test_should_retry(code, status, idempotent, expected):
    assert r.should_retry(code, status, idempotent) is expected


@pytest.mark.parametrize(
    "value,expected",
    # Always milliseconds (reference 8.5), as the new SDK and the emulator read it: "60" is 0.06 s, not a minute.
    [("1500", 1.5), ("5", 0.005), ("60", 0.06), ("61", 0.061), ("60000", 60.0), ("abc", None), (None, None),
     ("0", None), ("-3", None), ("nan", None), ("inf", None)],
)
def test_parse_retry_after(value, expected):
    assert r.parse_retry_after(value) == expected


@pytest.mark.parametrize("attempt", range(12))
def test_backoff_bounds(attempt):
    rng = random.Random(attempt)
    ceiling = min(r.MAX_DELAY, r.BASE_DELAY * 2**attempt)
    for _unused in range(50):
        delay = r.backoff_delay(attempt, rng=rng)
        assert ceiling / 2 <= delay <= ceiling <= r.MAX_DELAY


def test_backoff_honours_longer_retry_after():
    assert r.backoff_delay(0, retry_after=7.0, rng=random.Random(1)) == 7.0
    assert r.backoff_delay(5, retry_after=0.001, rng=random.Random(1)) >= 8.0
