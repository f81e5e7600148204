"""Request and response bodies of the REST API (validated on the way in, documented in /openapi.json)."""
from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from chorus.domain.channels import Channel
from chorus.domain.engagement_report import Row
from chorus.domain.inbox import Alert, MentionRecord, OurReply, excerpt
from chorus.domain.inbox_workflow import NOTE_MAX_CHARS, SettableStatus
from chorus.domain.people import Ambassador
from chorus.domain.posts import Post
from chorus.domain.spikes import Spike
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
    in_reply_to: str | None = Field(default=None, description="the platform id of the post this replies to")


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
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page; a page can be short "
                                    "(even empty) while there is more, when filters left little of what it read")


class ForwardedMention(BaseModel):
    """A mention you forwarded, and what became of it (the team's internal notes stay with the team)."""

    id: str
    platform: str
    url: str | None
    author_handle: str
    excerpt: str
    received_at: str
    teams: list[str] = Field(description="the teams it was routed to (empty until processed, or when nobody must act)")
    status: str = Field(description="new, assigned, responded, resolved or ignored")
    assignee: str | None
    first_response_at: str | None
    first_response_seconds: int | None = Field(description="from received to the first answer")
    replies: list[OurReply] = Field(description="the organisation's replies from Chorus (GET /posts/{post_id} for the text)")

    @classmethod
    def of(cls, record: MentionRecord) -> "ForwardedMention":
        return cls(id=record.id, platform=record.platform, url=record.url, author_handle=record.author_handle,
                   excerpt=excerpt(record.text), received_at=record.received_at, teams=record.teams,
                   status=record.status, assignee=record.assignee, first_response_at=record.first_response_at,
                   first_response_seconds=record.first_response_seconds, replies=record.our_replies)


class ForwardedPage(BaseModel):
    items: list[ForwardedMention]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class PersonalEngagement(BaseModel):
    start: date
    end: date
    row: Row = Field(description="your counts in the period, as in the report")


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str = Field(min_length=1, max_length=128, pattern=r"^\S+$", description="username of who takes the mention")


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: SettableStatus = Field(
        description="new: back to the queue, unassigned; responded: answered outside Chorus; resolved; ignored")


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=NOTE_MAX_CHARS, description="internal: seen by the team, never published")


class ReplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000, description="checked against the platform's length limit")
    channel: str | None = Field(default=None, max_length=40, description="the account to reply from; needed only when "
                                "the organisation has several on the mention's platform")


class ReplyResult(BaseModel):
    mention: MentionRecord
    post: Post = Field(description="the reply: a post with `reply_to`, published by the publisher like any other")
    needs_approval: bool = Field(description="true: it waits as submitted for an editor's POST /posts/{id}/approve")


class AlertList(BaseModel):
    items: list[Alert]


class SpikeList(BaseModel):
    items: list[Spike]


class SubscriptionList(BaseModel):
    items: list[Subscription]


class AmbassadorPage(BaseModel):
    items: list[Ambassador]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class AcknowledgeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: str = Field(description="the current policy's version (GET /policy): you have read it")


class TrainingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    completed: bool = Field(description="true records today as the training date; false clears it")


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
