"""Request and response bodies of the REST API (validated on the way in, documented in /openapi.json)."""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from chorus.domain.channels import Channel
from chorus.domain.inbox import Alert, MentionRecord
from chorus.domain.posts import Post
from chorus.domain.subscriptions import Subscription


class Health(BaseModel):
    status: str
    version: str


class Me(BaseModel):
    username: str
    roles: list[str]


class Advice(BaseModel):
    code: str = Field(description="validation_error (blocks scheduling), tone or duplicate")
    field: str
    message: str
    channel: str | None = None


class PostEnvelope(BaseModel):
    post: Post
    warnings: list[Advice] = Field(default_factory=list)


class PostPage(BaseModel):
    items: list[Post]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    publish_at: str | None = Field(
        default=None, description="ISO 8601; without an offset it is local time in `timezone`", examples=["2026-12-01T09:30"]
    )
    timezone: str | None = Field(default=None, description="IANA zone, default the post's (Europe/Amsterdam)")
    queue: bool = Field(default=False, description="place the post in the next free slot of its channels instead")


class ReasonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=2000)


class ChannelList(BaseModel):
    items: list[Channel]


class OutboxEntry(BaseModel):
    id: str = Field(description="the delivery's idempotency key: one entry per post and channel, however often retried")
    text: str
    published_at: str | None


class Outbox(BaseModel):
    items: list[OutboxEntry]


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=2000, description="why publishing stops; shown to the team")


class CrisisState(BaseModel):
    active: bool
    since: str | None = None
    by: str | None = None
    reason: str | None = None
    held: int | None = Field(default=None, description="posts moved to held")
    could_not_hold: list[str] | None = Field(default=None, description="posts that kept changing (e.g. publishing now)")
    released_at: str | None = None
    released_by: str | None = None


class ReleaseResult(BaseModel):
    released: int
    rescheduled: int = Field(description="back to scheduled: their time is still ahead")
    awaiting_decision: int = Field(description="back to approved: their time passed during the hold")
    could_not_release: list[str]


class MentionQueued(BaseModel):
    id: str = Field(description="Chorus's id of the mention (GET /mentions/{id} once processed)")
    status: str = Field(description="queued: classification, routing and alerts follow within seconds")


class MentionPage(BaseModel):
    items: list[MentionRecord]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class AlertList(BaseModel):
    items: list[Alert]


class SubscriptionList(BaseModel):
    items: list[Subscription]


class MailboxEntry(BaseModel):
    subscriber: str
    subscription_id: str
    team: str
    protocol: str
    endpoint: str
    subject: str | None
    text: str
    received_at: str
    attributes: dict[str, str | None]


class Mailbox(BaseModel):
    items: list[MailboxEntry]
