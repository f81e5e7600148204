"""Who must act on a mention: complaints and questions to customer care, praise to marketing, and a complaint that
spreads (a large audience, or many people joining in within the hour) to PR (seed 004: "when a customer mobilises
his network, it becomes a PR problem"). The rules are data, editable through /routing-rules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

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
    unacknowledged_to_lead_minutes: int | None = Field(
        default=30, ge=0, le=10_080, description="an open care alert goes to care-lead this long after it was raised; 0 or null: never")
    unacknowledged_to_pr_minutes: int | None = Field(
        default=120, ge=0, le=10_080, description="an open care alert goes to pr this long after it was raised; 0 or null: never")

    @model_validator(mode="after")
    def _lead_before_pr(self) -> "Escalation":
        lead, pr = self.unacknowledged_to_lead_minutes, self.unacknowledged_to_pr_minutes
        if lead and pr and pr <= lead:
            raise ValueError("unacknowledged_to_pr_minutes must be more than unacknowledged_to_lead_minutes (the lead is told first)")
        return self


class SpikeRules(BaseModel):
    """When negative mentions about one facet in one language are a spike (chorus.domain.spikes decides)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    sigmas: float = Field(default=3.0, ge=0.5, le=10.0, description="k: a spike is above mean + k·σ of the baseline")
    min_count: int = Field(default=10, ge=1, le=100_000, description="and at least this many negative mentions in the hour")
    baseline_days: int = Field(default=7, ge=1, le=28, description="the baseline: the same hour on each of this many days before")
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
