"""Pydantic shapes of listening: a mention as posted or forwarded to the API, as the team works with it (stored,
classified, routed), and the alerts it raises; the routing rules (who must act, escalation, spikes, digests), which
are data editable through /routing-rules; and alert subscriptions.

People receive alerts by email or SMS, per team and minimum severity. Each subscription becomes an SNS subscription
whose filter policy selects the alerts it receives, so SNS, not our code, decides who gets what.

Request and response bodies are validated on the way in and documented in /openapi.json."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, computed_field, field_validator, model_validator

from chorus.core import phones
from chorus.core import time as timing
from chorus.platforms.base import Author, Mention, MentionPlatform

Facet = Literal["brand", "company", "employees"]
_CASE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O or U to misread on a phone
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

    @computed_field(  # type: ignore[prop-decorator]
        description="a short reference for the customer (the {case} of a saved reply), the same every time")
    @property
    def case_number(self) -> str:
        return case_number(self.id)


def case_number(mention_id: str) -> str:
    """The case number of a mention: 40 bits of a hash of its id in Crockford's base 32, as C-XXXX-XXXX. Stable and
    short enough to read out; among a million mentions about one pair shares a number (it is a reference for people,
    not a key)."""
    bits = int.from_bytes(hashlib.sha256(f"case\n{mention_id}".encode()).digest()[:5], "big")
    code = "".join(_CASE_ALPHABET[(bits >> shift) & 31] for shift in range(35, -1, -5))
    return f"C-{code[:4]}-{code[4:]}"


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
    reason_nl: str | None = Field(default=None, description="the reason in Dutch, for Dutch subscribers")
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

    def subject(self, language: str = "en") -> str:
        words = WORDS[language]
        who = f"@{self.author_handle.lstrip('@')}"
        reach = f", {number(self.author_followers, language)} {words['followers']}" if self.author_followers else ""
        written_in = self.detected_language if self.language == "other" and self.detected_language else self.language
        return (f"[{self.team} {words.get(self.severity, self.severity)}] {words.get(self.intent, self.intent)} "
                f"({written_in}) {words['on']} {self.platform} {words['by']} {who}{reach}")

    def why(self, language: str = "en") -> str:
        return self.reason_nl if language == "nl" and self.reason_nl else self.reason

    def message(self, ack_link: str | None, language: str = "en") -> str:
        """The email (with the acknowledge link) or, without a link, the SMS, in `language` (nl or en)."""
        words = WORDS[language]
        lines = [self.subject(language), "", self.excerpt, ""]
        if self.url:
            lines.append(f"{words['link']}: {self.url}")
        lines.append(f"{words['why']}: {self.why(language)}")
        lines.append(f"{words['alert']}: {self.id}")
        if ack_link:
            lines.append(f"{words['acknowledge']}: {ack_link}")
        return "\n".join(lines)

    def notify_claimable(self, now: datetime) -> bool:
        return not self.notified_at and (
            not self.notify_claim_until or timing.from_iso_utc(self.notify_claim_until) <= now)


# ---------------------------------------------------------------------------------------------- subscribers' languages
# Each subscriber reads alerts in their own language: every alert is published once per language with the `locale`
# message attribute, and each subscription's filter policy takes its own (see Subscription.filter_policy).
Language = Literal["nl", "en"]
LANGUAGES: tuple[str, ...] = ("nl", "en")
WORDS: dict[str, dict[str, str]] = {
    "en": {"followers": "followers", "on": "on", "by": "by", "link": "Link", "why": "Why", "alert": "Alert",
           "acknowledge": "Acknowledge"},
    "nl": {"followers": "volgers", "on": "op", "by": "door", "link": "Link", "why": "Waarom", "alert": "Melding",
           "acknowledge": "Klik om het op te pakken",
           "low": "laag", "medium": "middel", "high": "hoog",
           "complaint": "klacht", "question": "vraag", "praise": "compliment", "other": "overig"},
}


@dataclass(frozen=True)
class Texts:
    """One message in one language: the email's subject and text, and the SMS text when it differs."""

    subject: str
    message: str
    sms_text: str | None = None


def number(value: int, language: str) -> str:
    """250,000 in English, 250.000 in Dutch."""
    return f"{value:,}".replace(",", ".") if language == "nl" else f"{value:,}"


def excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 1] + "…"


Team = Literal["care", "care-lead", "marketing", "pr"]
# Who can subscribe: the teams alerts are routed to, and `report`, who receive the weekly report by email only
# (chorus.reports). `report` is no routing target: no rule, digest or escalation reaches it.
SubscriberTeam = Literal["care", "care-lead", "marketing", "pr", "report"]
REPORT_TEAM = "report"
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
    sms_per_hour: int = Field(default=5, ge=0, le=100,
                              description="at most this many alerts per team each clock hour carry SMS (the rest go "
                                          "by email)")
    spike: SpikeRules = Field(default_factory=SpikeRules)
    digest: DigestRules = Field(default_factory=DigestRules)


class RoutingRulesIn(RoutingRules):
    """PUT /routing-rules: the whole rule set. Rules under which no team is told about some complaints are refused
    unless the request says, with `confirm_no_complaint_route`, that this is what is meant."""

    confirm_no_complaint_route: bool = Field(
        default=False, description="true: save even though some complaints (or all) would reach no team")
    version: int | None = Field(default=None, description="read-only (as GET answers it); ignored: send If-Match")
    changed_by: str | None = Field(default=None, description="read-only; ignored")
    changed_at: str | None = Field(default=None, description="read-only; ignored")
    no_complaint_route: bool | None = Field(default=None, description="read-only; ignored")

    def rules_only(self) -> RoutingRules:
        return RoutingRules.model_validate(self.model_dump(include=set(RoutingRules.model_fields)))


class RoutingRulesVersion(RoutingRules):
    """The routing rules as one version of them: who saved it and when (version 0: the built-in defaults)."""

    version: int = Field(default=0, description="1 for the first saved rules, then one more per change; 0: the "
                         "built-in defaults. The ETag: send it as If-Match with PUT")
    changed_by: str | None = Field(default=None, description="who saved this version (null: the defaults)")
    changed_at: str | None = Field(default=None, description="when")
    no_complaint_route: bool = Field(default=False, description="saved with confirm_no_complaint_route: some "
                                     "complaints (or all) reach no team under these rules")


class RoutingRulesVersionPage(BaseModel):
    items: list[RoutingRulesVersion] = Field(description="newest first")
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100, description="who this is, e.g. 'Care desk' or 'Anna (PR)'")
    team: SubscriberTeam = Field(description="the team whose alerts and digests this subscriber receives; `report`: "
                                 "the weekly report only (email)")
    protocol: Literal["email", "sms"]
    endpoint: str = Field(min_length=3, max_length=254,
                          description="an email address, or a mobile number: 06 1234 5678, +31 6 1234 5678 or "
                                      "0031 6 1234 5678 (a number without a country code is Dutch); stored in E.164 "
                                      "(+31612345678)")
    min_severity: Severity | None = Field(default=None,
                                          description="default: low for email; SMS is for high severity only")
    language: Language = Field(default="nl", description="the language this subscriber reads alerts in: nl (Dutch) "
                               "or en (English)")

    @field_validator("endpoint")
    @classmethod
    def _endpoint_fits_protocol(cls, value: str, info: ValidationInfo) -> str:
        protocol = info.data.get("protocol")
        if protocol == "email" and not EMAIL_ADDRESS.match(value):
            raise ValueError("must be an email address for protocol email, e.g. care@example.org")
        if protocol == "sms":
            try:
                return phones.e164(value)
            except phones.InvalidPhone as problem:
                raise ValueError(f"{problem} (protocol sms)") from None
        return value

    @model_validator(mode="after")
    def _sms_is_for_high_severity(self) -> SubscriptionIn:
        if self.protocol == "sms" and self.min_severity not in (None, "high"):
            raise ValueError("SMS is only for high severity: leave min_severity out or set it to high")
        if self.protocol == "sms" and self.team == REPORT_TEAM:
            raise ValueError("the weekly report goes by email only: use protocol email for team report")
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
    language: Language = "nl"
    sns_subscription: str | None = None  # the SNS subscription ARN ("pending confirmation" until an email is confirmed)

    def filter_policy(self) -> dict[str, Any]:
        severities = severities_from(self.min_severity)
        # A message in one language (alerts and escalations are published once per language, `locale` nl or en)
        # reaches the subscribers of that language; a message in one language only (no `locale`) reaches everyone.
        # `exists: false` comes first: moto stops at a value that is absent, real SNS tries each.
        locale = [{"exists": False}, self.language]
        if self.team == REPORT_TEAM:  # the weekly report (kind=report) and nothing else
            return {"team": [self.team], "kind": ["report"], "locale": locale}
        if self.protocol == "sms":  # within the team's hourly SMS budget
            return {"team": [self.team], "severity": severities, "sms": ["yes"], "locale": locale}
        # Email also gets the team's digest, whatever the minimum severity: a digest carries `kind=digest` and no
        # severity (nor `sms`), so only this branch of the $or matches it, and SMS subscriptions never do.
        return {"team": [self.team], "$or": [{"severity": severities}, {"kind": ["digest"]}], "locale": locale}

    def receives(self, team: str, severity: str) -> bool:
        """Every alert of `team` at `severity` reaches it (SMS only within the hourly budget, so never every one)."""
        return self.protocol == "email" and self.team == team and severity in severities_from(self.min_severity)

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
    next_cursor: str | None = Field(default=None,
                                    description="pass as ?cursor= for the next page; null on the last page")


class SubscriptionList(BaseModel):
    items: list[Subscription]
    next_cursor: str | None = Field(default=None, description="always null: the whole list is one page")


class SubscriptionChange(BaseModel):
    """One change to who receives alerts, kept for good (the address partly hidden, as listings show it)."""

    at: str
    by: str = Field(description="who made the change")
    change: Literal["subscribed", "unsubscribed"]
    subscription: Subscription
    confirmed_no_complaint_subscriber: bool = Field(
        default=False, description="unsubscribed with confirm_no_complaint_subscriber: nobody receives every alert "
        "of a team that complaints go to")


class SubscriptionHistory(BaseModel):
    items: list[SubscriptionChange] = Field(description="newest first")
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


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
    next_cursor: str | None = Field(default=None, description="always null: the whole list is one page")
