"""Shapes of spike detection: the tally a negative mention adds to its series' counter, a detected spike with what
it was about (its alert's subject, message and attributes), the watch that lets one run claim each spike, and the
GET /spikes body. What counts as a spike is decided in chorus.listening.spikes.rules."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, Field

from chorus.listening.schemas import number


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
                   "Release the crisis hold in Chorus to resume publishing.",
    "already_on": "Crisis hold: already on.",
    "off": "Crisis hold: not switched on (spike.crisis_hold is off). Hold publishing in Chorus to stop scheduled "
           "posts.",
}
# The alert in Dutch, for Dutch subscribers (chorus.listening.schemas.Subscription.language).
DUTCH = {
    "languages": {"nl": "het Nederlands", "en": "het Engels", "other": "andere talen"},
    "facets": {"brand": "het merk", "company": "de organisatie", "employees": "medewerkers"},
    "hold": {
        "switched_on": "Publicatiestop: AAN gezet door deze piek (spike.crisis_hold staat aan): geplande berichten "
                       "worden tegengehouden. Hef de publicatiestop op in Chorus om weer te publiceren.",
        "already_on": "Publicatiestop: stond al aan.",
        "off": "Publicatiestop: niet aangezet (spike.crisis_hold staat uit). Zet in Chorus een publicatiestop aan om "
               "geplande berichten tegen te houden.",
    },
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

    def subject(self, language: str = "en") -> str:
        if language == "nl":
            return (f"[pr hoog] piek: {self.count} negatieve berichten over "
                    f"{DUTCH['facets'].get(self.facet, self.facet)} in "
                    f"{DUTCH['languages'].get(self.language, self.language)} in het afgelopen uur")
        return (f"[pr high] spike: {self.count} negative mentions about the {self.facet} in "
                f"{LANGUAGE_NAMES.get(self.language, self.language)} in the last hour")

    def reason(self, language: str = "en") -> str:
        if language == "nl":
            def decimal(value: float) -> str:
                return f"{value:.1f}".replace(".", ",")

            return (f"{self.count} negatieve berichten in het afgelopen uur; meestal {decimal(self.mean)} ± "
                    f"{decimal(self.sigma)} op dit uur in de afgelopen {self.baseline_days} dagen, drempel "
                    f"{decimal(self.threshold)} (gemiddelde + {self.sigmas:g}·σ, minstens {self.min_count})")
        return (f"{self.count} negative mentions in the last hour; usually {self.mean:.1f} ± {self.sigma:.1f} "
                f"at this hour over the last {self.baseline_days} days, threshold {self.threshold:.1f} "
                f"(mean + {self.sigmas:g}·σ, at least {self.min_count})")

    def attributes(self) -> dict[str, str]:
        """The alert attributes subscriptions filter on: PR, high severity, SMS only within the budget."""
        return {"team": "pr", "severity": "high", "intent": "complaint", "language": self.language,
                "platform": self.platform, "facet": self.facet, "kind": "spike", "sms": "yes" if self.sms else "no"}

    def message(self, language: str = "en") -> str:
        """The alert's text in `language` (nl or en); links only to the mentions themselves, no API paths."""
        dutch = language == "nl"
        words = (("Waarom", "Topwoorden", "Meeste berichten van", "volgers", "Voorbeelden", "op", "geen link; bericht",
                  "in Chorus", "Piek", "gevonden") if dutch else
                 ("Why", "Top terms", "Top authors", "followers", "Examples", "on", "no link; mention", "in Chorus",
                  "Spike", "detected"))
        why, top_terms, top_authors, followers, examples, on, no_link, in_chorus, spike, detected = words
        lines = [self.subject(language), "", f"{why}: {self.reason(language)}."]
        if self.terms:
            lines.append(f"{top_terms}: " + ", ".join(f"{t.term} ({t.mentions})" for t in self.terms))
        if self.authors:
            lines.append(f"{top_authors}: " + ", ".join(
                f"@{a.handle.lstrip('@')} ({a.mentions}"
                f"{f', {number(a.followers, language)} {followers}' if a.followers else ''})" for a in self.authors))
        if self.examples:
            lines += ["", f"{examples}:"]
            for n, example in enumerate(self.examples, start=1):
                who = f"@{example.author_handle.lstrip('@')}"
                lines.append(f"{n}. {who} {on} {example.platform}: \"{example.excerpt}\"")
                lines.append(f"   {example.url or f'({no_link} {example.mention_id} {in_chorus})'}")
        lines.append("")
        lines.append((DUTCH["hold"] if dutch else HOLD_LINES)[self.crisis_hold])
        lines.append(f"{spike}: {self.id} ({detected} {self.detected_at})")
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
    next_cursor: str | None = Field(default=None,
                                    description="pass as ?cursor= for the next page; null on the last page")
