"""The calendar's shapes: channels (the organisation's own accounts on each platform, with their posting schedule
and tone of voice), posts with their workflow status and audit trail, and the request and response bodies of the
calendar's REST API (validated on the way in, documented in /openapi.json).

A post goes draft -> submitted -> approved -> scheduled -> publishing -> published | failed, plus cancelled and held;
who may move it from which state to which is in rules.py."""
from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from chorus.core import time as timing
from chorus.publishing.metrics.schemas import PostMetrics
from chorus.publishing.schemas import Delivery

Platform = Literal["mastodon", "bluesky", "x", "linkedin", "local"]
Tone = Literal["formal", "informal", "none"]
ChannelStatus = Literal["active", "needs_reconnect"]
CHANNEL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class SlotSpec(BaseModel):
    """One weekly posting slot, in the channel's local time."""

    model_config = ConfigDict(extra="forbid")
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:30"])

    def slot(self) -> timing.Slot:
        return timing.Slot(self.weekday, self.time)


class ChannelFields(BaseModel):
    """Everything about a channel that a user may set (all optional, for updates)."""

    model_config = ConfigDict(extra="forbid")
    handle: str | None = Field(default=None, min_length=1, max_length=200)
    owner: str | None = Field(
        default=None, min_length=1, max_length=128, description="username of the person responsible"
    )
    cadence_per_week: int | None = Field(default=None, ge=0, le=500, description="target number of posts per week")
    tone: Tone | None = Field(default=None, description="Dutch tone of voice: formal (u/uw) or informal (je/jij/jouw)")
    max_length: int | None = Field(default=None, ge=1, le=100_000, description="override of the platform's text limit")
    timezone: str | None = Field(default=None, description="IANA time zone of the posting schedule")
    slots: list[SlotSpec] | None = Field(
        default=None, max_length=200, description="weekly posting schedule for 'add to queue'"
    )
    connection: dict[str, str] | None = Field(
        default=None,
        description="non-secret connection settings: instance_url (Mastodon), service_url (Bluesky), organization_urn "
        "(LinkedIn). Tokens live in Secrets Manager under the channel's id, never here.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            timing.zone(value)
        return value


class ChannelCreate(ChannelFields):
    id: str = Field(pattern=CHANNEL_ID.pattern, description="short slug, e.g. 'mastodon-main'")
    platform: Platform
    handle: str = Field(min_length=1, max_length=200)


class Channel(BaseModel):
    id: str
    platform: Platform
    handle: str
    owner: str | None = None
    cadence_per_week: int = 0
    tone: Tone = "none"
    max_length: int | None = None
    timezone: str = timing.DEFAULT_TIMEZONE
    slots: list[SlotSpec] = Field(default_factory=list)
    connection: dict[str, str] = Field(default_factory=dict)
    status: ChannelStatus = "active"
    version: int = 0  # optimistic locking; the answer's ETag

    @classmethod
    def create(cls, data: ChannelCreate, default_owner: str) -> Channel:
        fields = data.model_dump(exclude_none=True)
        fields.setdefault("owner", default_owner)
        return cls(**fields)

    def updated(self, changes: ChannelFields) -> Channel:
        return Channel.model_validate({**self.model_dump(), **changes.model_dump(exclude_unset=True)})


Category = Literal["vacancy", "event", "milestone", "success", "customer_question", "problem", "other"]


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    SCHEDULED = "scheduled"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"
    HELD = "held"


class AuditEntry(BaseModel):
    at: str
    by: str
    action: str
    from_status: Status | None = Field(default=None, alias="from")
    to_status: Status = Field(alias="to")
    reason: str | None = None

    model_config = ConfigDict(populate_by_name=True, serialize_by_alias=True)


MAX_ALT = 5000  # above every platform's limit (rules.MEDIA_RULES has each one's); longer is no description


class MediaRef(BaseModel):
    """A photo or video on a post, with its description for people who cannot see it (alt text). A plain string is
    read as a key without alt text: posts stored before alt text existed, and older clients."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=1024, description="the file in Chorus's media library (`content/...`, "
                     "an accepted creator submission's media) or, for the local channel only, an https URL",
                     examples=["content/3f2a9c.../team-outing.jpg"])
    alt: str | None = Field(default=None, max_length=MAX_ALT,
                            description="what the image or video shows, for screen readers; required to approve or "
                            "schedule (limits per platform: Mastodon 1,500, Bluesky 2,000, X 1,000, LinkedIn 4,086)",
                            examples=["Vijf collega's in oranje hesjes planten een boom in het Vondelpark"])

    @model_validator(mode="before")
    @classmethod
    def _plain_key(cls, value: Any) -> Any:
        return {"key": value} if isinstance(value, str) else value

    @field_validator("alt")
    @classmethod
    def _trimmed(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None


class PostMedia(MediaRef):
    """A media item as stored on a post and answered by the API."""

    model_config = ConfigDict(extra="ignore")
    content_type: str | None = Field(default=None, description="as the media library has it (image/jpeg, video/mp4)")
    size: int | None = Field(default=None, description="bytes")
    url: str | None = Field(default=None, description="a thumbnail link: a presigned GET of the file, valid for 15 "
                            "minutes (an https URL as it is); only in answers, never stored")


class PostContent(BaseModel):
    """What an author writes. All fields optional so the same shape serves create and update."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=10_000)
    variants: dict[str, str] | None = Field(default=None, description="per-channel text, keyed by channel id")
    media: list[MediaRef] | None = Field(default=None, max_length=20,
                                         description="photos and videos, each with its alt text")
    channels: list[str] | None = Field(default=None, max_length=20, description="channel ids to publish on")
    on_behalf_of: str | None = Field(
        default=None, max_length=128, description="username of the person the post speaks for"
    )
    campaign: str | None = Field(default=None, max_length=200)
    pillar: str | None = Field(default=None, max_length=200, description="content pillar")
    category: Category | None = None


class ReplyTarget(BaseModel):
    """What a reply answers: the mention in Chorus, and the post on the platform (Mastodon status id, Bluesky
    at:// URI, X post id, local id). Bluesky's root and parent strong refs are read from the parent at publish time."""

    mention_id: str
    platform_id: str
    author_handle: str


class PostSource(BaseModel):
    """What a post was made from: a creator's submission, or a praise mention suggested by listening."""

    kind: Literal["content", "mention"]
    id: str = Field(description="the submission's or the mention's id")
    creator: str | None = Field(default=None, description="the creator's person id (content; null once erased)")


class Post(BaseModel):
    id: str
    text: str = ""
    variants: dict[str, str] = Field(default_factory=dict)
    media: list[PostMedia] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    publish_at: str | None = Field(default=None, description="planned time, UTC, ISO 8601")
    timezone: str = timing.DEFAULT_TIMEZONE
    author: str
    on_behalf_of: str | None = None
    endorsed_at: str | None = Field(default=None, description="when on_behalf_of approved the text")
    campaign: str | None = None
    pillar: str | None = None
    category: Category = "other"
    status: Status = Status.DRAFT
    reject_reason: str | None = None
    audit: list[AuditEntry] = Field(default_factory=list)
    deliveries: dict[str, Delivery] = Field(default_factory=dict, description="publishing state per channel")
    due_at: str | None = Field(default=None, description="when the publisher looks at this post next")
    reply_to: ReplyTarget | None = Field(
        default=None, description="set on replies to mentions (POST /mentions/{id}/reply)"
    )
    source: PostSource | None = Field(default=None, description="set on posts made from content or a suggestion")
    metrics: PostMetrics | None = Field(
        default=None, description="how the published post does, per channel and in total (read hourly, then less "
        "often, for 14 days; stored apart from the post, so it never changes its version); on GET only")
    created_at: str
    updated_at: str
    version: int = 0

    @computed_field(description="planned time in the post's own time zone")  # type: ignore[prop-decorator]
    @property
    def publish_at_local(self) -> str | None:
        return timing.local_iso(self.publish_time, self.timezone) if self.publish_time else None

    @property
    def publish_time(self) -> datetime | None:
        return timing.from_iso_utc(self.publish_at) if self.publish_at else None

    def text_for(self, channel_id: str) -> str:
        return self.variants.get(channel_id, self.text)

    def text_field(self, channel_id: str) -> str:
        return f"variants.{channel_id}" if channel_id in self.variants else "text"


class Advice(BaseModel):
    code: str = Field(description="validation_error (blocks scheduling), tone or duplicate")
    field: str
    message: str
    channel: str | None = None


class PostEnvelope(BaseModel):
    post: Post
    warnings: list[Advice] = Field(default_factory=list)

    @property
    def version(self) -> int:  # the post's: the answer's ETag
        return self.post.version


class PostPage(BaseModel):
    items: list[Post]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    publish_at: str | None = Field(
        default=None,
        description="ISO 8601; without an offset it is local time in `timezone`",
        examples=["2026-12-01T09:30"],
    )
    timezone: str | None = Field(default=None, description="IANA zone, default the post's (Europe/Amsterdam)")
    queue: bool = Field(default=False, description="place the post in the next free slot of its channels instead")


class ReasonRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=2000)


class ChannelList(BaseModel):
    items: list[Channel]
    next_cursor: str | None = Field(default=None, description="always null: the whole list is one page")


class HoldRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=2000, description="why publishing stops; shown to the team")


class CrisisState(BaseModel):
    """The crisis hold as GET /crisis shows it; hold and release answer the same shape, with what they changed."""

    active: bool
    since: str | None = None
    by: str | None = None
    reason: str | None = None
    released_at: str | None = None
    released_by: str | None = None
    held: int | None = Field(default=None, description="hold: posts moved to held")
    could_not_hold: list[str] = Field(default_factory=list, description="hold: posts that kept changing (publishing)")
    released: int | None = Field(default=None, description="release: held posts released")
    rescheduled: int | None = Field(default=None, description="release: back to scheduled, their time still ahead")
    awaiting_decision: int | None = Field(default=None,
                                          description="release: back to approved, for an editor to decide")
    could_not_release: list[str] = Field(default_factory=list, description="release: posts that kept changing")


class CalendarFeed(BaseModel):
    url: str = Field(description="the feed's secret URL: subscribe to it in an agenda app")
    past_days: int = Field(description="how far back the feed shows posts")
    ahead_days: int = Field(description="how far ahead the feed shows posts")
