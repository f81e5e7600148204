"""Domain errors. Each maps to one HTTP status in the API layer (chorus.http.api)."""
from __future__ import annotations


class ChorusError(Exception):
    """Base of every error the domain and services raise on purpose."""

    code = "error"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ValidationError(ChorusError):
    """Bad input: 400. `field` names the offending field (dotted path, e.g. `variants.x`)."""

    code = "validation_error"

    def __init__(self, field: str, message: str, **details: object) -> None:
        super().__init__(message, field=field, **details)
        self.field = field


class NotFound(ChorusError):
    code = "not_found"


class Forbidden(ChorusError):
    code = "forbidden"


class Conflict(ChorusError):
    """The request is well formed but the resource's state does not allow it: 409."""

    code = "conflict"


class Unprocessable(ChorusError):
    """Well formed, but not something that can be done as asked (422): e.g. an Idempotency-Key used before for
    another request."""

    code = "unprocessable"


class PreconditionFailed(ChorusError):
    """The request's If-Match names a version that is no longer the current one (412): someone changed the resource
    since the client read it. `details` carry the current version."""

    code = "precondition_failed"


def require_version(current: int, expected: int | None, what: str) -> None:
    """If-Match: a change made on version `expected` of `what` ("this post", "the routing rules") is refused (412)
    when that is no longer the current version. None: the request sent no If-Match."""
    if expected is not None and current != expected:
        raise PreconditionFailed(f"someone changed {what} since you read it (you have version {expected}, the current "
                                 f"is {current}): read it again and make your change on the current version",
                                 current_version=current)


class Stale(Conflict):
    """Someone saved the item after it was read (optimistic locking): read it again and retry
    (chorus.core.retry.retry_on_conflict). A 409 if it reaches the API."""


class InvalidToken(Exception):
    """The bearer token is missing, malformed, forged, expired or meant for someone else (401)."""
