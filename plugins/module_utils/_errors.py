# Copyright: alicloud.ecs contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
# Private to alicloud.ecs: not a public API, may change without notice.
"""One exception hierarchy for the collection, converted to output exactly once.

The API layer raises :class:`EcsApiError` carrying what the cloud said (code,
message, RequestId, HTTP status); everything user-facing goes through
:func:`failure_message` and :func:`failure_data`.
"""

from __future__ import annotations

from typing import Any


class EcsError(Exception):
    """Base class; ``operation`` is filled in by the API wrapper ("describe instances").

    ``changed`` and ``partial`` tell the module what a failing run did before it
    failed (e.g. ``{"created_ids": [...]}``), so the failure reports it.
    """

    def __init__(self, message: str, *, operation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.changed: bool = False
        self.partial: dict[str, Any] = {}


class EcsConfigError(EcsError):
    """Bad or missing configuration (credentials, profile file, endpoint)."""


class EcsApiError(EcsError):
    """An error answered by the API, or a transport error (code ``SDK.HttpError``)."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        request_id: str | None = None,
        http_status: int | None = None,
        retry_after: float | None = None,
        operation: str | None = None,
    ) -> None:
        super().__init__(message, operation=operation)
        self.code = code
        self.request_id = request_id
        self.http_status = http_status
        self.retry_after = retry_after

    def __str__(self) -> str:
        return failure_message(self)


class EcsVisibilityError(EcsError):
    """Instances the API returned (or found) are still not listed after the visibility wait.

    Reference 8.9: "not listed" never means "does not exist"; the task fails
    instead of acting on the assumption, naming the instances (``missing``).
    """

    def __init__(self, message: str, *, missing: list[str], operation: str | None = None) -> None:
        super().__init__(message, operation=operation)
        self.missing = missing


class EcsWaitTimeoutError(EcsError):
    """A wait ran out of time; ``pending`` maps each late instance id to its last status."""

    def __init__(self, message: str, *, pending: dict[str, str], operation: str | None = None) -> None:
        super().__init__(message, operation=operation)
        self.pending = pending


def failure_message(err: EcsError) -> str:
    """``Failed to <verb> <what>: <Code>: <Message> (RequestId <id>)``."""
    what = err.operation or "call the ECS API"
    if isinstance(err, EcsApiError):
        text = "Failed to %s: %s: %s" % (what, err.code, err.message)
        if err.request_id:
            text += " (RequestId %s)" % err.request_id
        return text
    return "Failed to %s: %s" % (what, err.message)


def failure_data(err: EcsError) -> dict[str, Any]:
    """Structured ``failure`` dict returned next to ``msg``."""
    data: dict[str, Any] = {"operation": err.operation, "message": err.message}
    if isinstance(err, EcsApiError):
        data.update(code=err.code, request_id=err.request_id, http_status=err.http_status)
    if isinstance(err, EcsWaitTimeoutError):
        data.update(code="WaitTimeout", pending=err.pending)
    if isinstance(err, EcsVisibilityError):
        data.update(code="NotVisible", missing=err.missing)
    return data


def redact(text: str, secrets: list[str | None]) -> str:
    """Replace every non-empty secret in ``text`` (for plugins that have no no_log machinery)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text
