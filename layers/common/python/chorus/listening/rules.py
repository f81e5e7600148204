"""Pure rules of listening: which conversation a mention joins, the record it is stored as, and who must act on it.

Complaints and questions go to customer care, praise to marketing, and a complaint that spreads (a large audience,
or many people joining in within the hour) to PR as well (seed 004: "when a customer mobilises his network, it
becomes a PR problem"). The rules are data, editable through /routing-rules."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from chorus.core import time as timing
from chorus.listening.schemas import Escalation, MentionRecord, Note, RoutingRules, Rule
from chorus.platforms.base import Engagement, Mention

# ---------------------------------------------------------------------------------------------- conversations
# A reposted or cross-posted text is the same conversation: its words without links, handles, "RT" and punctuation.
# Only texts of a few words: two people writing just "bedankt!" are not one conversation.
NEAR_DUPLICATE_MIN_WORDS = 5
_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@[\w.@-]+")
_REPOST_PREFIX = re.compile(r"^\s*(rt|via)\b:?", re.IGNORECASE)
_NOT_A_WORD = re.compile(r"[^\w]+")


def text_fingerprint(text: str) -> str | None:
    """The same for the same words, whatever links, handles, case and punctuation surround them; None for a text
    too short to tell a repost from a coincidence."""
    words = _NOT_A_WORD.sub(" ", _HANDLE.sub(" ", _LINK.sub(" ", _REPOST_PREFIX.sub("", text))).lower()).split()
    if len(words) < NEAR_DUPLICATE_MIN_WORDS:
        return None
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()[:20]


def conversation_of(mention: Mention, parent_conversation: str | None) -> str:
    """Replies join their parent's conversation (or the thread's root when the parent is unknown to us); the same
    words posted again, anywhere, join the conversation of the first post; anything else starts its own."""
    if parent_conversation:
        return parent_conversation
    if mention.thread_root:
        return f"{mention.platform}#{mention.thread_root}"
    if mention.in_reply_to:
        return f"{mention.platform}#{mention.in_reply_to}"
    fingerprint = text_fingerprint(mention.text)
    return f"text#{fingerprint}" if fingerprint else mention.key


DEFAULT_RETENTION = timedelta(days=90)


def record_of(mention: Mention, *, language: str, intent: str, sentiment: float, complaint_score: float,
              facet: str | None, conversation: str, now: datetime,
              retention: timedelta = DEFAULT_RETENTION) -> MentionRecord:
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


NOTIFY_CLAIM = timedelta(seconds=60)
DEFAULT_RULES = RoutingRules(rules=[
    Rule(intent="complaint", team="care", severity="medium", min_complaint_score=0.5),
    Rule(intent="question", team="care", severity="low"),
    Rule(intent="praise", team="marketing", severity="low"),
])


@dataclass(frozen=True)
class Facts:
    """What routing looks at: the classification, the author's audience and the conversation's spread."""

    intent: str
    language: str
    facet: str | None
    complaint_score: float
    followers: int
    distinct_authors: int  # in the conversation, within the escalation window
    interactions: int  # replies + reposts in the conversation, within the window


@dataclass(frozen=True)
class Route:
    team: str
    severity: str
    reason: str


def route(rules: RoutingRules, facts: Facts) -> list[Route]:
    """The teams to alert, most urgent last: the first matching rule, plus PR when a complaint spreads."""
    matched = next((rule for rule in rules.rules if _matches(rule, facts)), None)
    if matched is None:
        return []
    routes = [Route(matched.team, matched.severity, f"{facts.intent} ({facts.language})")]
    if facts.intent == "complaint" and matched.team != "pr":
        why = spread_reason(rules.escalation, facts)
        if why:
            routes.append(Route("pr", rules.escalation.severity, why))
    return routes


def spread_reason(escalation: Escalation, facts: Facts) -> str | None:
    window = f"in {escalation.window_minutes} minutes"
    if facts.followers >= escalation.min_followers:
        return f"author reaches {facts.followers:,} followers"
    if facts.distinct_authors >= escalation.min_distinct_authors:
        return f"{facts.distinct_authors} people joined the conversation {window}"
    if facts.interactions >= escalation.min_interactions:
        return f"{facts.interactions} replies and reposts {window}"
    return None


def _matches(rule: Rule, facts: Facts) -> bool:
    return (
        rule.intent == facts.intent
        and (not rule.languages or facts.language in rule.languages)
        and (not rule.facets or facts.facet in rule.facets)
        and facts.complaint_score >= rule.min_complaint_score
    )


def with_forward(routes: list[Route], team: str | None, forwarded_by: str | None) -> list[Route]:
    """An employee who forwards a mention to a team (seed 001 BEdreiging: pass on what is beyond your knowledge)
    reaches that team whatever the classifier made of it; the teams routing chose are alerted too."""
    if not team or any(r.team == team for r in routes):
        return routes
    return [Route(team, "medium", f"forwarded by {forwarded_by or 'an employee'}"), *routes]
