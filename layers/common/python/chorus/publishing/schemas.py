"""The publisher's shapes: a Delivery, the state of one post on one channel, stored in the post's `deliveries`
(pending -> publishing -> published | failed, and back to pending for a retry; the rules are in rules.py), and the
local outbox as `GET /channels/{id}/outbox` answers it."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class OutboxMedia(BaseModel):
    key: str = Field(description="the media library key (or link) of the file")
    alt: str = Field(description="its alt text, as the platform received it")


class OutboxEntry(BaseModel):
    id: str = Field(
        description="the delivery's idempotency key: one entry per post and channel, however often retried"
    )
    text: str
    published_at: str | None
    in_reply_to: str | None = Field(default=None, description="the platform id of the post this replies to")
    media: list[OutboxMedia] = Field(default_factory=list, description="the photos and videos sent, with alt text")


class Outbox(BaseModel):
    items: list[OutboxEntry]
    next_cursor: str | None = Field(default=None,
                                    description="always null: the newest `limit` posts are the whole list")


DeliveryStatus = Literal["pending", "publishing", "published", "failed"]


class Delivery(BaseModel):
    status: DeliveryStatus = "pending"
    attempts: int = 0
    first_attempt_at: str | None = None
    attempt_at: str | None = None  # start of the latest attempt
    unknown_since: str | None = None  # start of the earliest attempt whose outcome is not known yet
    # a final outcome to tell (a failure to the editors, a reply's outcome to the inbox) is recorded first, then
    # told: the due run tells one that was lost
    alerted_at: str | None = None
    # whoever claimed the telling does it; a claim that ends was lost with its Lambda
    alert_claimed_until: str | None = None
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
