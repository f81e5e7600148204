"""Who must act on a mention: complaints and questions to customer care, praise to marketing, and a complaint that
spreads (a large audience, or many people joining in within the hour) to PR (seed 004: "when a customer mobilises
his network, it becomes a PR problem"). The rules are data, editable through /routing-rules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

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
    facets: list[Literal["brand", "company", "employees"]] = Field(default_factory=list, description="only these facets")
    min_complaint_score: float = Field(default=0.0, ge=0.0, le=1.0)


class Escalation(BaseModel):
    """When a complaint becomes a PR matter, and when an unacknowledged alert moves up."""

    model_config = ConfigDict(extra="forbid")
    min_followers: int = Field(default=10_000, ge=0, description="an author with at least this many followers")
    min_distinct_authors: int = Field(default=5, ge=1, description="people in the conversation within the window")
    min_interactions: int = Field(default=20, ge=1, description="replies + reposts in the conversation within the window")
    window_minutes: int = Field(default=60, ge=5, le=1440)
    severity: Severity = "high"
    unacknowledged_to_lead_minutes: int = Field(default=30, ge=1, le=10_080)
    unacknowledged_to_pr_minutes: int = Field(default=120, ge=1, le=10_080)


class RoutingRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rules: list[Rule] = Field(max_length=100)
    escalation: Escalation = Field(default_factory=Escalation)
    sms_per_hour: int = Field(default=5, ge=0, le=100, description="at most this many SMS per subscription per hour")


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
