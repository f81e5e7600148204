"""The interface every platform connector implements, and the outcomes the publisher acts on."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Credentials:
    """What a connector needs to act as the channel's account (read from Secrets Manager, never logged)."""

    values: dict[str, str] = field(repr=False)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


class SecretStore(Protocol):
    """Where a channel's credentials live. Platforms that rotate tokens (X refresh tokens are single-use) write the
    new ones back, and re-read them when another instance rotated first."""

    def load(self) -> dict[str, str]: ...

    def save(self, values: dict[str, str]) -> None: ...


@dataclass(frozen=True)
class PublishRequest:
    text: str
    idempotency_key: str  # stable per (post, channel): the same key for every retry of the same delivery
    media: tuple[str, ...] = ()
    in_reply_to: str | None = None  # platform id of the post this replies to


@dataclass(frozen=True)
class Published:
    platform_id: str
    url: str | None


@dataclass(frozen=True)
class RecentPost:
    platform_id: str
    url: str | None
    text: str
    created_at: str | None  # ISO 8601 as the platform gave it
    in_reply_to: str | None = None  # the post it replies to, where the platform says (the local outbox does)


class PublishError(Exception):
    """Base of the outcomes that are not a success."""


class RateLimited(PublishError):
    """The platform said 429 (or its limit is used up): retry after `retry_after` seconds, nothing was posted."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientFailure(PublishError):
    """Nothing was posted (connection refused, 5xx before acceptance): safe to retry with backoff."""


class OutcomeUnknown(PublishError):
    """The request may have reached the platform but no answer came: reconcile with recent_posts before retrying."""


class PermanentFailure(PublishError):
    """The platform refused the post for good (validation, forbidden content): do not retry."""


class CredentialsRejected(PermanentFailure):
    """The token expired or was revoked: the channel needs to be reconnected by its owner."""


class Connector(Protocol):
    platform: str

    def publish(self, request: PublishRequest) -> Published: ...

    def delete(self, platform_id: str) -> None: ...

    def recent_posts(self, limit: int = 20) -> list[RecentPost]: ...

    def verify_credentials(self) -> str: ...
