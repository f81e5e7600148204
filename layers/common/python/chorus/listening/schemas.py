"""Pydantic shapes of listening: a mention as posted or forwarded to the API, as the team works with it (stored,
classified, routed), and the alerts it raises; the routing rules (who must act, escalation, spikes, digests), which
are data editable through /routing-rules; and alert subscriptions.

People receive alerts by email or SMS, per team and minimum severity. Each subscription becomes an SNS subscription
whose filter policy selects the alerts it receives, so SNS, not our code, decides who gets what.

Request and response bodies are validated on the way in and documented in /openapi.json."""
from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator, model_validator

from chorus.core import time as timing
from chorus.platforms.base import Author, Mention, MentionPlatform

Facet = Literal["brand", "company", "employees"]
MentionStatus = Literal["new", "assigned", "responded", "resolved", "ignored"]
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
                                     description="marks it as forwarded by an employee who saw it and cannot answer "
                                                 "it; the caller is recorded as the forwarder, whatever name is given "
                                                 "here")
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
            created = created.replace(tzinfo=UTC)
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


ReplyState = Literal["awaiting_approval", "sending", "published", "failed"]


class OurReply(BaseModel):
    """A reply the organisation made from Chorus: a post with a reply target, and where its delivery stands (the
    publisher reports the outcome to the inbox: chorus.container.ReportReplies)."""

    post_id: str
    channel: str
    by: str
    at: str
    state: ReplyState = Field(default="sending", description="awaiting_approval (an editor approves it first), "
                              "sending, published (the mention's answer) or failed (see error; no answer)")
    url: str | None = Field(default=None, description="where the published reply can be seen")
    published_at: str | None = None
    error: str | None = Field(default=None, description="why it could not be published")


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
    language: str = Field(description="nl, en or other: the language Chorus classifies in")
    detected_language: str | None = Field(
        default=None, description="what it is in: nl, en, or for `other` the platform's language tag or the "
        "classifier's closest language (ar, fr, …; und-<script> when only the script is known); null when it has no "
        "words")
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

    @computed_field(  # type: ignore[prop-decorator]  # mypy rejects a decorated property; pydantic's documented way
        description="seconds from received_at to the first answer; null until answered")
    @property
    def first_response_seconds(self) -> int | None:
        if not self.first_response_at:
            return None
        answered = timing.from_iso_utc(self.first_response_at) - timing.from_iso_utc(self.received_at)
        return int(answered.total_seconds())


# ---------------------------------------------------------------------------------------------- alerts
# Open until someone acknowledges it, or its mention is answered (a reply published, or answered elsewhere), resolved
# or ignored in the inbox; then it never escalates again.
AlertStatus = Literal["open", "acknowledged", "answered", "resolved", "ignored"]


class Alert(BaseModel):
    """One per conversation and team: reposts and replies of an alerted conversation are counted, not re-alerted."""

    id: str
    team: str
    severity: str
    reason: str
    intent: str
    language: str
    detected_language: str | None = None  # the mention's (MentionRecord.detected_language)
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
    acknowledged_by: str | None = Field(default=None, description="who acknowledged it, or answered, resolved or "
                                        "ignored its mention (null when the escalation run found the mention closed)")
    acknowledged_at: str | None = Field(default=None, description="when it stopped being open")
    notified_at: str | None = None
    notify_claim_until: str | None = None
    sms: bool = False  # sent with the SMS attribute (high severity, within the hourly SMS budget)
    escalated_to: list[str] = Field(default_factory=list,
                                    description="teams told that nobody acknowledged it, in order")
    escalate_at: str | None = Field(default=None,
                                    description="when its next escalation stage is due (None: no stage ahead)")
    expires_at: int
    version: int = 0  # optimistic locking: a save of an older read is a conflict

    @staticmethod
    def id_for(conversation: str, team: str) -> str:
        """The same for every mention of one conversation, per team (URL-safe)."""
        return "a" + hashlib.sha256(f"{team}|{conversation}".encode()).hexdigest()[:24]

    def attributes(self) -> dict[str, str]:
        """SNS message attributes; subscriptions filter on them."""
        return {"team": self.team, "severity": self.severity, "intent": self.intent, "language": self.language,
                "platform": self.platform, "facet": self.facet or "none", "kind": "mention",
                "sms": "yes" if self.sms else "no"}

    def subject(self) -> str:
        who = f"@{self.author_handle.lstrip('@')}"
        reach = f", {self.author_followers:,} followers" if self.author_followers else ""
        language = self.detected_language if self.language == "other" and self.detected_language else self.language
        return f"[{self.team} {self.severity}] {self.intent} ({language}) on {self.platform} by {who}{reach}"

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
        return not self.notified_at and (
            not self.notify_claim_until or timing.from_iso_utc(self.notify_claim_until) <= now)


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


Team = Literal["care", "care-lead", "marketing", "pr"]
Severity = Literal["low", "medium", "high"]
Intent = Literal["complaint", "question", "praise", "other"]
TEAMS: tuple[str, ...] = ("care", "care-lead", "marketing", "pr")
SEVERITIES: tuple[str, ...] = ("low", "medium", "high")


def severities_from(minimum: str) -> list[str]:
    """The severities a subscriber with this minimum receives (for SNS filter policies)."""
    return list(SEVERITIES[SEVERITIES.index(minimum):])


class Rule(BaseModel):
    """First matching rule wins. Empty match fields match everything."""

    model_config = ConfigDict(extra="forbid")
    intent: Intent
    team: Team
    severity: Severity = "medium"
    languages: list[Literal["nl", "en", "other"]] = Field(default_factory=list, description="only these languages")
    facets: list[Literal["brand", "company", "employees"]] = Field(default_factory=list,
                                                                   description="only these facets")
    min_complaint_score: float = Field(default=0.0, ge=0.0, le=1.0)


class Escalation(BaseModel):
    """When a complaint becomes a PR matter, and when an unacknowledged alert moves up."""

    model_config = ConfigDict(extra="forbid")
    min_followers: int = Field(default=10_000, ge=0, description="an author with at least this many followers")
    min_distinct_authors: int = Field(default=5, ge=1, description="people in the conversation within the window")
    min_interactions: int = Field(default=20, ge=1,
                                  description="replies + reposts in the conversation within the window")
    window_minutes: int = Field(default=60, ge=5, le=1440)
    severity: Severity = "high"
    unacknowledged_to_lead_minutes: int | None = Field(
        default=30, ge=0, le=10_080,
        description="an open care alert goes to care-lead this long after it was raised; 0 or null: never")
    unacknowledged_to_pr_minutes: int | None = Field(
        default=120, ge=0, le=10_080,
        description="an open care alert goes to pr this long after it was raised; 0 or null: never")

    @model_validator(mode="after")
    def _lead_before_pr(self) -> Escalation:
        lead, pr = self.unacknowledged_to_lead_minutes, self.unacknowledged_to_pr_minutes
        if lead and pr and pr <= lead:
            raise ValueError("unacknowledged_to_pr_minutes must be more than unacknowledged_to_lead_minutes "
                             "(the lead is told first)")
        return self


class SpikeRules(BaseModel):
    """When negative mentions about one facet in one language are a spike (chorus.listening.spikes.rules decides)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    sigmas: float = Field(default=3.0, ge=0.5, le=10.0, description="k: a spike is above mean + k·σ of the baseline")
    min_count: int = Field(default=10, ge=1, le=100_000,
                           description="and at least this many negative mentions in the hour")
    baseline_days: int = Field(default=7, ge=1, le=28,
                               description="the baseline: the same hour on each of this many days before")
    cooldown_minutes: int = Field(default=120, ge=10, le=10_080,
                                  description="after a spike alert, none for the same facet and language for this long")
    crisis_hold: bool = Field(default=False, description="a spike also switches the crisis hold on (opt in)")


QuarterHour = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):(00|15|30|45)$")]


class DigestRules(BaseModel):
    """When each team's email subscribers get the digest (local times in CHORUS_TIMEZONE)."""

    model_config = ConfigDict(extra="forbid")
    times: list[QuarterHour] = Field(default_factory=lambda: ["09:00", "16:00"], max_length=8,
                                     description="HH:MM on the quarter hour; empty: no digests")


class RoutingRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule] = Field(max_length=100)
    escalation: Escalation = Field(default_factory=Escalation)
    sms_per_hour: int = Field(default=5, ge=0, le=100, description="at most this many SMS per subscription per hour")
    spike: SpikeRules = Field(default_factory=SpikeRules)
    digest: DigestRules = Field(default_factory=DigestRules)


EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
E164_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")  # E.164, as SNS requires


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="who this is, e.g. 'Care desk' or 'Anna (PR)'")
    team: Team
    protocol: Literal["email", "sms"]
    endpoint: str = Field(min_length=3, max_length=254,
                          description="an email address, or a phone number in E.164 (+31612345678)")
    min_severity: Severity | None = Field(default=None,
                                          description="default: low for email; SMS is for high severity only")

    @model_validator(mode="after")
    def _endpoint_fits_protocol(self) -> SubscriptionIn:
        if self.protocol == "email" and not EMAIL_ADDRESS.match(self.endpoint):
            raise ValueError("endpoint must be an email address for protocol email")
        if self.protocol == "sms":
            if not E164_PHONE.match(self.endpoint):
                raise ValueError("endpoint must be a phone number in E.164 form (+31612345678) for protocol sms")
            if self.min_severity not in (None, "high"):
                raise ValueError("SMS is only for high severity: leave min_severity out or set it to high")
        return self


class Subscription(BaseModel):
    id: str
    name: str
    team: str
    protocol: Literal["email", "sms"]
    endpoint: str
    min_severity: str
    created_by: str
    created_at: str
    sns_subscription: str | None = None  # the SNS subscription ARN ("pending confirmation" until an email is confirmed)

    def filter_policy(self) -> dict[str, Any]:
        severities = severities_from(self.min_severity)
        if self.protocol == "sms":
            return {"team": [self.team], "severity": severities, "sms": ["yes"]}  # within the team's hourly SMS budget
        # Email also gets the team's digest, whatever the minimum severity: a digest carries `kind=digest` and no
        # severity (nor `sms`), so only this branch of the $or matches it, and SMS subscriptions never do.
        return {"team": [self.team], "$or": [{"severity": severities}, {"kind": ["digest"]}]}

    def masked(self) -> Subscription:
        """For listings: enough of the address to recognise it, not enough to harvest it."""
        if self.protocol == "email":
            local, _, domain = self.endpoint.partition("@")
            shown = f"{local[:2]}…@{domain}"
        else:
            shown = f"{self.endpoint[:4]}…{self.endpoint[-2:]}"
        return self.model_copy(update={"endpoint": shown})


class MentionQueued(BaseModel):
    id: str = Field(description="Chorus's id of the mention (GET /mentions/{id} once processed)")
    status: str = Field(description="queued: classification, routing and alerts follow within seconds")


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
