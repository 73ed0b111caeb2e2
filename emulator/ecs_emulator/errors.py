"""API errors: one exception type carrying what the real service puts in an error body."""

from __future__ import annotations


class ApiError(Exception):
    """An error answered to the client as ``{RequestId, HostId, Code, Message, Recommend}``.

    ``headers`` are extra HTTP response headers (for example ``x-acs-retry-after``).
    """

    def __init__(self, code: str, message: str, status: int = 400, headers: dict[str, str] | None = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.headers = dict(headers or {})


# Frequently used errors (reference section 7).  Call them to get a fresh exception.
def missing_parameter(name: str) -> ApiError:
    return ApiError(
        "MissingParameter",
        f'The input parameter "{name}" that is mandatory for processing this request is not supplied.',
        400,
    )


def invalid_parameter(name: str) -> ApiError:
    return ApiError("InvalidParameter", f'The specified parameter "{name}" is not valid.', 400)


def instance_not_found() -> ApiError:
    return ApiError("InvalidInstanceId.NotFound", "The specified InstanceId does not exist.", 404)


def incorrect_instance_status() -> ApiError:
    return ApiError(
        "IncorrectInstanceStatus", "The current status of the resource does not support this operation.", 403
    )


def region_not_found() -> ApiError:
    return ApiError("InvalidRegionId.NotFound", "The specified RegionId does not exist.", 404)


def dry_run_passed(code: str = "DryRunOperation") -> ApiError:
    return ApiError(code, "Request validation has been passed with DryRun flag set.", 400)
