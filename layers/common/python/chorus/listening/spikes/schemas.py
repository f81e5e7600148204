"""Shapes of spike detection: the tally a negative mention adds to its series' counter, a detected spike with what
it was about (its alert's subject, message and attributes), the watch that lets one run claim each spike, and the
GET /spikes body. What counts as a spike is decided in chorus.listening.spikes.rules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Tally:
    """One negative mention to add to the counter of its series and bucket."""

    name: str
    expires_at: int  # epoch seconds (TTL)


def threshold(mean: float, sigma: float, sigmas: float) -> float:
    return mean + sigmas * sigma


# ---------------------------------------------------------------------------------------------- what a spike is about
class Term(BaseModel):
    term: str
    mentions: int


class AuthorCount(BaseModel):
    handle: str
    mentions: int
    followers: int | None = None


class Example(BaseModel):
    mention_id: str
    author_handle: str
    author_followers: int | None = None
    platform: str
    excerpt: str
    url: str | None = None


# ---------------------------------------------------------------------------------------------- the spike and its alert
LANGUAGE_NAMES = {"nl": "Dutch", "en": "English", "other": "other languages"}
HoldEffect = Literal["switched_on", "already_on", "off"]
HOLD_LINES: dict[str, str] = {
    "switched_on": "Crisis hold: switched ON by this spike (spike.crisis_hold is on): scheduled posts are held. "
                   "POST /crisis/release resumes publishing.",
    "already_on": "Crisis hold: already on.",
    "off": "Crisis hold: not switched on (spike.crisis_hold is off). POST /crisis/hold stops publishing.",
}


class Spike(BaseModel):
    """One spike alert: what was counted, against what, and what it was about."""

    id: str
    facet: str
    language: str
    detected_at: str
    count: int
    mean: float
    sigma: float
    threshold: float
    sigmas: float
    min_count: int
    baseline_days: int
    terms: list[Term] = Field(default_factory=list)
    authors: list[AuthorCount] = Field(default_factory=list)
    examples: list[Example] = Field(default_factory=list)
    platform: str = "none"
    crisis_hold: HoldEffect = "off"
    sms: bool = False  # sent with the SMS attribute (within PR's hourly SMS budget)
    notified_at: str | None = None
    expires_at: int

    def subject(self) -> str:
        return (f"[pr high] spike: {self.count} negative mentions about the {self.facet} in "
                f"{LANGUAGE_NAMES.get(self.language, self.language)} in the last hour")

    def reason(self) -> str:
        return (f"{self.count} negative mentions in the last hour; usually {self.mean:.1f} ± {self.sigma:.1f} "
                f"at this hour over the last {self.baseline_days} days, threshold {self.threshold:.1f} "
                f"(mean + {self.sigmas:g}·σ, at least {self.min_count})")

    def attributes(self) -> dict[str, str]:
        """The alert attributes subscriptions filter on: PR, high severity, SMS only within the budget."""
        return {"team": "pr", "severity": "high", "intent": "complaint", "language": self.language,
                "platform": self.platform, "facet": self.facet, "kind": "spike", "sms": "yes" if self.sms else "no"}

    def message(self) -> str:
        lines = [self.subject(), "", f"Why: {self.reason()}."]
        if self.terms:
            lines.append("Top terms: " + ", ".join(f"{t.term} ({t.mentions})" for t in self.terms))
        if self.authors:
            lines.append("Top authors: " + ", ".join(
                f"@{a.handle.lstrip('@')} ({a.mentions}{f', {a.followers:,} followers' if a.followers else ''})"
                for a in self.authors))
        if self.examples:
            lines += ["", "Examples:"]
            for n, example in enumerate(self.examples, start=1):
                lines.append(f"{n}. @{example.author_handle.lstrip('@')} on {example.platform}: \"{example.excerpt}\"")
                lines.append(f"   {example.url or f'(no link; GET /mentions/{example.mention_id})'}")
        lines.append("")
        lines.append(HOLD_LINES[self.crisis_hold])
        lines.append(f"Spike: {self.id} (detected {self.detected_at})")
        return "\n".join(lines)

    def hold_reason(self) -> str:
        return f"spike of negative mentions about the {self.facet} ({self.language}): {self.reason()}"


# ---------------------------------------------------------------------------------------------- one alert per cooldown
class Watch(BaseModel):
    """Per series: the last spike and whether its alert went out. Saved with optimistic locking, so of two
    overlapping runs only one claims a spike."""

    series: str
    last_at: str | None = None  # when the last spike was detected (the cooldown runs from here)
    pending: Spike | None = None  # claimed, not yet sent
    claim_until: str | None = None
    version: int = 0


Step = Literal["new", "resume"]


class SpikeList(BaseModel):
    items: list[Spike]
