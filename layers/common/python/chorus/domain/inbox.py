"""Mentions as the team works with them (stored, classified, routed) and the alerts they raise."""
from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from chorus.domain import timing
from chorus.domain.mentions import Author, Engagement, Facet, Mention, MentionPlatform

MentionStatus = Literal["new", "assigned", "responded", "resolved", "ignored"]
DEFAULT_RETENTION = timedelta(days=90)
EXCERPT_CHARS = 280


class AuthorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    handle: str = Field(min_length=1, max_length=200)
    name: str | None = Field(default=None, max_length=200)
    followers: int | None = Field(default=None, ge=0)
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")


class MentionIn(BaseModel):
    """A mention posted to the API by another tool, or forwarded by an employee (only platform, id and text needed)."""

    model_config = ConfigDict(extra="forbid")
    platform: MentionPlatform
    id: str = Field(min_length=1, max_length=300, pattern=r"^\S+$", description="the platform's id of the post")
    text: str = Field(min_length=1, max_length=10_000)
    url: str | None = Field(default=None, max_length=2000, pattern=r"^https?://")
    author: AuthorIn | None = None
    created_at: datetime | None = Field(default=None, description="ISO 8601; without an offset it is taken as UTC")
    forwarded_by: str | None = Field(default=None, min_length=1, max_length=128,
                                     description="marks it as forwarded by an employee who saw it and cannot answer it; "
                                                 "the caller is recorded as the forwarder, whatever name is given here")
    to: Literal["care", "marketing"] | None = Field(default=None, description="forwarding: the team that should answer "
                                                    "it (added to the teams routing chooses)")
    note: str | None = Field(default=None, min_length=1, max_length=1000,
                             description="forwarding: what that team should know (an internal note on the mention)")
    facet: Facet | None = None
    language: Literal["nl", "en"] | None = Field(default=None, description="a hint; detection may overrule it")
    in_reply_to: str | None = Field(default=None, max_length=300)

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value

    @property
    def is_forward(self) -> bool:
        return bool(self.forwarded_by or self.to or self.note)

    def to_mention(self, now: datetime) -> Mention:
        created = self.created_at or now
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        author = self.author or AuthorIn(handle=self.forwarded_by or "unknown")
        return Mention(
            platform=self.platform, platform_id=self.id, text=self.text, created_at=created,
            author=Author(author.handle, author.name, author.followers, author.url), url=self.url,
            language_hint=self.language, in_reply_to=self.in_reply_to, forwarded_by=self.forwarded_by,
            forwarded_to=self.to, forward_note=self.note,
        )


class Note(BaseModel):
    """An internal note on a mention: for the team, never published."""

    at: str
    by: str
    text: str


class OurReply(BaseModel):
    """A reply the organisation made from Chorus: a post with a reply target (its state lives on the post)."""

    post_id: str
    channel: str
    by: str
    at: str


class MentionRecord(BaseModel):
    """A processed mention: what was said, what Chorus made of it, and where the team is with it."""

    id: str
    platform: str
    platform_id: str
    text: str
    title: str | None = None
    url: str | None = None
    author_handle: str
    author_name: str | None = None
    author_followers: int | None = None
    created_at: str
    received_at: str
    language: str
    intent: str
    sentiment: float
    complaint_score: float
    reach: int
    facet: str | None = None
    source_id: str | None = None
    forwarded_by: str | None = None
    in_reply_to: str | None = None
    conversation: str
    replies: int = 0
    reposts: int = 0
    likes: int = 0
    teams: list[str] = Field(default_factory=list)
    severity: str | None = None
    status: MentionStatus = "new"
    assignee: str | None = None
    notes: list[Note] = Field(default_factory=list)
    first_response_at: str | None = None  # set once, at the first answer: never moves afterwards
    our_replies: list[OurReply] = Field(default_factory=list)
    routed: bool = False  # routing and alerting finished (a redelivered message resumes until it is)
    expires_at: int  # epoch seconds (DynamoDB TTL); reads ignore expired mentions before TTL removes them
    version: int = 0  # optimistic locking: a save of an older read is a conflict

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now.timestamp()

    @computed_field(description="seconds from received_at to the first answer; null until answered")  # type: ignore[prop-decorator]
    @property
    def first_response_seconds(self) -> int | None:
        if not self.first_response_at:
            return None
        return int((timing.from_iso_utc(self.first_response_at) - timing.from_iso_utc(self.received_at)).total_seconds())


def record_of(mention: Mention, *, language: str, intent: str, sentiment: float, complaint_score: float, facet: str | None,
              conversation: str, now: datetime, retention: timedelta = DEFAULT_RETENTION) -> MentionRecord:
    engagement = mention.engagement or Engagement()
    return MentionRecord(
        id=mention.id, platform=mention.platform, platform_id=mention.platform_id, text=mention.text,
        title=mention.title, url=mention.url, author_handle=mention.author.handle, author_name=mention.author.name,
        author_followers=mention.author.followers, created_at=timing.iso_utc(mention.created_at),
        received_at=timing.iso_utc(now), language=language, intent=intent, sentiment=round(sentiment, 3),
        complaint_score=round(complaint_score, 3), reach=reach_of(mention), facet=facet, source_id=mention.source_id,
        forwarded_by=mention.forwarded_by, in_reply_to=mention.in_reply_to, conversation=conversation,
        replies=engagement.replies, reposts=engagement.reposts, likes=engagement.likes,
        expires_at=int((now + retention).timestamp()),
        notes=forward_notes(mention, now),
    )


def forward_notes(mention: Mention, now: datetime) -> list[Note]:
    """The note an employee forwarded the mention with, as the team's internal note (none without one)."""
    if not mention.forward_note:
        return []
    return [Note(at=timing.iso_utc(now), by=mention.forwarded_by or "unknown", text=mention.forward_note)]


def reach_of(mention: Mention) -> int:
    """How many people may have seen it: the author's followers, plus a rough audience per repost (each reposter's
    followers are rarely known; 100 is a conservative median for personal accounts)."""
    return (mention.author.followers or 0) + 100 * (mention.engagement.reposts if mention.engagement else 0)


# ---------------------------------------------------------------------------------------------- alerts
AlertStatus = Literal["open", "acknowledged"]
NOTIFY_CLAIM = timedelta(seconds=60)


class Alert(BaseModel):
    """One per conversation and team: reposts and replies of an alerted conversation are counted, not re-alerted."""

    id: str
    team: str
    severity: str
    reason: str
    intent: str
    language: str
    platform: str
    facet: str | None = None
    mention_id: str
    conversation: str
    author_handle: str
    author_followers: int | None = None
    excerpt: str
    url: str | None = None
    created_at: str
    mentions: int = 1
    status: AlertStatus = "open"
    acknowledged_by: str | None = None
    acknowledged_at: str | None = None
    notified_at: str | None = None
    notify_claim_until: str | None = None
    sms: bool = False  # sent with the SMS attribute (high severity, within the hourly SMS budget)
    escalated_to: list[str] = Field(default_factory=list, description="teams told that nobody acknowledged it, in order")
    escalate_at: str | None = Field(default=None, description="when its next escalation stage is due (None: no stage ahead)")
    expires_at: int
    version: int = 0  # optimistic locking: a save of an older read is a conflict

    @staticmethod
    def id_for(conversation: str, team: str) -> str:
        """The same for every mention of one conversation, per team (URL-safe)."""
        return "a" + hashlib.sha256(f"{team}|{conversation}".encode()).hexdigest()[:24]

    def attributes(self) -> dict[str, str]:
        """SNS message attributes; subscriptions filter on them."""
        return {"team": self.team, "severity": self.severity, "intent": self.intent, "language": self.language,
                "platform": self.platform, "facet": self.facet or "none", "kind": "mention", "sms": "yes" if self.sms else "no"}

    def subject(self) -> str:
        who = f"@{self.author_handle.lstrip('@')}"
        reach = f", {self.author_followers:,} followers" if self.author_followers else ""
        return f"[{self.team} {self.severity}] {self.intent} ({self.language}) on {self.platform} by {who}{reach}"

    def message(self, ack_link: str | None) -> str:
        lines = [self.subject(), "", self.excerpt, ""]
        if self.url:
            lines.append(f"Link: {self.url}")
        lines.append(f"Why: {self.reason}")
        lines.append(f"Alert: {self.id}")
        if ack_link:
            lines.append(f"Acknowledge: {ack_link}")
        return "\n".join(lines)

    def notify_claimable(self, now: datetime) -> bool:
        return not self.notified_at and (not self.notify_claim_until or timing.from_iso_utc(self.notify_claim_until) <= now)


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"
