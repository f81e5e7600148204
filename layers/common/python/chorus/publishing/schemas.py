"""Request and response bodies of the REST API (validated on the way in, documented in /openapi.json).

Delivering a scheduled post to each of its channels exactly once (pure rules; the publisher applies them).

Per (post, channel) a Delivery goes  pending -> publishing -> published | failed,  and back to pending for a retry.
`publishing` is a lease: whoever holds an unexpired lease is the only one allowed to talk to the platform. A lease
that expires means the outcome of that attempt is unknown: the next holder reconciles (reads the account's recent
posts) before it writes again, so a crash or a lost answer never becomes a second post.

The post carries `due_at`, the next moment the publisher must look at it: its planned time first, then the end of a
lease or the time of a retry. Only posts with a `due_at` are on the (sparse) due index, so the every-minute run reads
the posts that need work and nothing else."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class OutboxEntry(BaseModel):
    id: str = Field(description="the delivery's idempotency key: one entry per post and channel, however often retried")
    text: str
    published_at: str | None
    in_reply_to: str | None = Field(default=None, description="the platform id of the post this replies to")


class Outbox(BaseModel):
    items: list[OutboxEntry]


DeliveryStatus = Literal["pending", "publishing", "published", "failed"]


class Delivery(BaseModel):
    status: DeliveryStatus = "pending"
    attempts: int = 0
    first_attempt_at: str | None = None
    attempt_at: str | None = None  # start of the latest attempt
    unknown_since: str | None = None  # start of the earliest attempt whose outcome is not known yet
    alerted_at: str | None = None  # a failure is recorded first, then alerted: the due run re-sends a lost alert
    alert_claimed_until: str | None = None  # whoever claimed the alert sends it; a claim that ends was lost with its Lambda
    unverified_alerted_at: str | None = None  # editors were told Chorus cannot check whether an attempt went out
    lease_until: str | None = None
    not_before: str | None = None  # a retry waits until then
    platform_id: str | None = None
    url: str | None = None
    published_at: str | None = None
    error: str | None = None

    @property
    def final(self) -> bool:
        return self.status in ("published", "failed")
