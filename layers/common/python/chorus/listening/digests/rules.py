"""The digest: at set times (09:00 and 16:00 by default) each team's email subscribers get one plain-text summary
instead of a stream of pings (seed 000 #2: "check twice a day, for a quarter of an hour").

A digest covers the period since the previous digest time: the mentions received in it by intent (all of them, and
those routed to the team), the team's open complaints oldest first, the alerts that escalated, and the spikes. A
period with none of these still sends a short digest that says it was quiet: silence at 09:00 would otherwise
look the same as a broken pipeline. Pure: callers pass `now`."""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from chorus.core import time as timing
from chorus.inbox.rules import OPEN_STATUSES
from chorus.listening.digests.schemas import Slot
from chorus.listening.schemas import Alert, MentionRecord
from chorus.listening.spikes.schemas import LANGUAGE_NAMES, Spike

INTENTS = ("complaint", "question", "praise", "other")
LATE_LIMIT = timedelta(hours=3)  # a digest time missed by longer than this (an outage, a new deployment) is skipped
LISTED = 10  # open complaints and escalated alerts listed by name; the rest are counted
# Whose work a team's digest shows: the care lead oversees the care desk's backlog.
SCOPE: dict[str, frozenset[str]] = {
    "care": frozenset({"care"}), "care-lead": frozenset({"care", "care-lead"}),
    "marketing": frozenset({"marketing"}), "pr": frozenset({"pr"}),
}


def is_open_complaint(record: MentionRecord) -> bool:
    return record.intent == "complaint" and record.status in OPEN_STATUSES


def due_slot(times: Sequence[str], tz_name: str, now: datetime) -> Slot | None:
    """The latest digest time at or before `now` (wall-clock times in `tz_name`, across DST), unless it is more than
    LATE_LIMIT ago; None when no digest is due."""
    if not times:
        return None
    weekly = [timing.Slot(day, time) for day in timing.WEEKDAYS for time in sorted(set(times))]
    past = timing.slot_times(weekly, tz_name, now - timedelta(days=2), now + timedelta(seconds=1))
    past = [at for at in past if at <= now]
    if not past or now - past[-1] > LATE_LIMIT:
        return None
    return Slot(at=past[-1], since=past[-2])  # two days back always hold at least two digest times


# ---------------------------------------------------------------------------------------------- what
@dataclass(frozen=True)
class Period:
    """What was read for one digest time, for every team at once."""

    slot: Slot
    mentions: Sequence[MentionRecord]  # received in the period
    mentions_complete: bool  # False: more were received than the read budget allows (counts are a lower bound)
    open_complaints: Sequence[MentionRecord]  # oldest first
    open_complete: bool
    alerts: Sequence[Alert]  # raised recently enough to have escalated in the period
    spikes: Sequence[Spike]  # detected in the period


@dataclass(frozen=True)
class TeamDigest:
    team: str
    slot: Slot
    by_intent: dict[str, int]
    routed_by_intent: dict[str, int]
    counts_complete: bool
    open_complaints: list[MentionRecord]
    open_complete: bool
    escalated: list[Alert]
    spikes: list[Spike]

    @property
    def quiet(self) -> bool:
        return not (sum(self.by_intent.values()) or self.open_complaints or self.escalated or self.spikes)


def for_team(team: str, period: Period) -> TeamDigest:
    scope = SCOPE[team]
    routed = [m for m in period.mentions if scope & set(m.teams)]
    return TeamDigest(
        team=team, slot=period.slot,
        by_intent=_by_intent(period.mentions), routed_by_intent=_by_intent(routed),
        counts_complete=period.mentions_complete,
        open_complaints=[m for m in period.open_complaints if scope & set(m.teams)],
        open_complete=period.open_complete,
        escalated=[a for a in period.alerts if escalated_for(a, team, period.slot)],
        spikes=list(period.spikes),
    )


def escalated_for(alert: Alert, team: str, slot: Slot) -> bool:
    """An alert that escalated, concerning this team, and not settled before the period began (then an earlier
    digest told it already)."""
    if not alert.escalated_to or not (alert.team in SCOPE[team] or team in alert.escalated_to):
        return False
    if alert.status == "open":
        return True
    return alert.acknowledged_at is not None and alert.acknowledged_at >= timing.iso_utc(slot.since)


def _by_intent(mentions: Sequence[MentionRecord]) -> dict[str, int]:
    counts = Counter(m.intent for m in mentions)
    return {intent: counts.get(intent, 0) for intent in INTENTS}


# ---------------------------------------------------------------------------------------------- how it reads
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "quiet": "quiet", "summary": "{total} new, {open} open complaints", "escalated_n": ", {n} escalated",
        "spike_1": ", {n} spike", "spike_n": ", {n} spikes", "subject": "[{team} digest] {at}: {summary}",
        "header": "Chorus digest for {team}, {at} ({tz}); since {since}.",
        "quiet_line": "A quiet period: no new mentions, no open complaints for {team}, nothing escalated, no spikes.",
        "quiet_why": "(This digest says so, so that silence is never a broken pipeline.)",
        "new": "New mentions: {total} (routed to {team}: {routed})",
        "lower_bound": "  (more were received than one digest reads: counts are a lower bound)",
        "open": "Open complaints for {team}: {n}", "oldest_first": ", oldest first",
        "waiting": "  {n}. waiting {waiting}: {who} on {platform} ({language}, {status})",
        "assigned_to": " to {assignee}", "no_link": "(no link: mention {id} in the Chorus inbox)",
        "more_open": "  ... and {n} more in the Chorus inbox (open complaints for {team}, oldest first)",
        "escalated": "Escalated (nobody acknowledged in time): {n}", "acknowledged_by": "acknowledged by {who}",
        "still_open": "still open",
        "escalation": "  - {intent} ({language}) on {platform} by {author}: {route}, {state}",
        "alert": "alert {id}", "more_escalated": "  ... and {n} more among the alerts in Chorus",
        "spikes": "Spikes: {n}", "hold_on": "; crisis hold switched on", "hold_was_on": "; crisis hold was on",
        "spike": "  - {at} {facet}, {language}: {count} negative mentions in an hour (usually {mean}, threshold "
                 "{threshold}){hold}",
        "days": "d", "hours": "h",
    },
    "nl": {
        "quiet": "rustig", "summary": "{total} nieuw, {open} open klachten", "escalated_n": ", {n} geëscaleerd",
        "spike_1": ", {n} piek", "spike_n": ", {n} pieken", "subject": "[{team} overzicht] {at}: {summary}",
        "header": "Chorus-overzicht voor {team}, {at} ({tz}); sinds {since}.",
        "quiet_line": "Een rustige periode: geen nieuwe berichten, geen open klachten voor {team}, niets "
                      "geëscaleerd, geen pieken.",
        "quiet_why": "(Dit overzicht zegt dat, zodat stilte nooit een kapotte koppeling kan zijn.)",
        "new": "Nieuwe berichten: {total} (naar {team}: {routed})",
        "lower_bound": "  (er kwamen meer binnen dan één overzicht leest: de aantallen zijn een ondergrens)",
        "open": "Open klachten voor {team}: {n}", "oldest_first": ", oudste eerst",
        "waiting": "  {n}. wacht {waiting}: {who} op {platform} ({language}, {status})",
        "assigned_to": " aan {assignee}", "no_link": "(geen link: bericht {id} in de inbox van Chorus)",
        "more_open": "  ... en nog {n} in de inbox van Chorus (open klachten voor {team}, oudste eerst)",
        "escalated": "Geëscaleerd (niemand pakte het op tijd op): {n}", "acknowledged_by": "opgepakt door {who}",
        "still_open": "nog open", "escalation": "  - {intent} ({language}) op {platform} door {author}: {route}, "
                                                "{state}",
        "alert": "melding {id}", "more_escalated": "  ... en nog {n} bij de meldingen in Chorus",
        "spikes": "Pieken: {n}", "hold_on": "; publicatiestop aangezet", "hold_was_on": "; publicatiestop stond aan",
        "spike": "  - {at} {facet}, {language}: {count} negatieve berichten in een uur (meestal {mean}, drempel "
                 "{threshold}){hold}",
        "days": "d", "hours": "u",
        # mention states and intents, as Dutch readers know them
        "new_status": "nieuw", "assigned_status": "toegewezen", "complaint": "klacht", "question": "vraag",
        "praise": "compliment", "other": "overig", "brand": "merk", "company": "organisatie",
        "employees": "medewerkers",
    },
}
DUTCH_DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
DUTCH_MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
                "november", "december")
DUTCH_LANGUAGES = {"nl": "Nederlands", "en": "Engels", "other": "andere talen"}


def _moment(at: datetime, language: str, long: bool = False, date: bool = True) -> str:
    """"Mon 23 Nov 09:00" / "Monday 23 November 09:00"; in Dutch "ma 23 nov 09:00" / "maandag 23 november 09:00"."""
    if language != "nl":
        return f"{at:%A %d %B %H:%M}" if long else (f"{at:%a %d %b %H:%M}" if date else f"{at:%a %H:%M}")
    day, month = DUTCH_DAYS[at.weekday()], DUTCH_MONTHS[at.month - 1]
    if not date:
        return f"{day[:2]} {at:%H:%M}"
    return f"{day} {at:%d} {month} {at:%H:%M}" if long else f"{day[:2]} {at:%d} {month[:3]} {at:%H:%M}"


def render(digest: TeamDigest, tz_name: str, now: datetime, language: str = "en") -> tuple[str, str]:
    """Subject and plain-text body, in `language` (nl or en). Mentions and alerts are named by their own link, or
    where to find them in Chorus: no API paths."""
    words = WORDS[language]

    def word(key: str) -> str:
        return words.get(key, key)

    def decimal(value: float) -> str:
        text = f"{value:.1f}"
        return text.replace(".", ",") if language == "nl" else text

    zone = timing.zone(tz_name)
    at, since = digest.slot.at.astimezone(zone), digest.slot.since.astimezone(zone)
    total, routed = sum(digest.by_intent.values()), sum(digest.routed_by_intent.values())
    more = "" if digest.counts_complete else "+"
    open_more = "" if digest.open_complete else "+"
    team = digest.team
    if digest.quiet:
        summary = words["quiet"]
    else:
        summary = words["summary"].format(total=f"{total}{more}", open=f"{len(digest.open_complaints)}{open_more}")
        if digest.escalated:
            summary += words["escalated_n"].format(n=len(digest.escalated))
        if digest.spikes:
            summary += words["spike_n" if len(digest.spikes) > 1 else "spike_1"].format(n=len(digest.spikes))
    subject = words["subject"].format(team=team, at=_moment(at, language), summary=summary)
    lines = [words["header"].format(team=team, at=_moment(at, language, long=True), tz=tz_name,
                                    since=_moment(since, language)), ""]
    if digest.quiet:
        lines += [words["quiet_line"].format(team=team), words["quiet_why"]]
        return subject, "\n".join(lines)

    lines.append(words["new"].format(total=f"{total}{more}", team=team, routed=f"{routed}{more}"))
    for intent in INTENTS:
        lines.append(f"  {word(intent):<10}{digest.by_intent[intent]:>6}   {team}: {digest.routed_by_intent[intent]}")
    if not digest.counts_complete:
        lines.append(words["lower_bound"])

    lines += ["", words["open"].format(team=team, n=f"{len(digest.open_complaints)}{open_more}")
              + (words["oldest_first"] if digest.open_complaints else "")]
    for n, record in enumerate(digest.open_complaints[:LISTED], start=1):
        waiting = _duration(now - timing.from_iso_utc(record.received_at), language)
        who = f"@{record.author_handle.lstrip('@')}"
        status = words.get(f"{record.status}_status", record.status) + (
            words["assigned_to"].format(assignee=record.assignee) if record.assignee else "")
        lines.append(words["waiting"].format(n=n, waiting=waiting, who=who, platform=record.platform,
                                             language=record.language, status=status))
        lines.append(f"     \"{_short(record.text)}\"")
        lines.append(f"     {record.url or words['no_link'].format(id=record.id)}")
    if len(digest.open_complaints) > LISTED:
        lines.append(words["more_open"].format(n=f"{len(digest.open_complaints) - LISTED}{open_more}", team=team))

    lines += ["", words["escalated"].format(n=len(digest.escalated))]
    for alert in digest.escalated[:LISTED]:
        state = (words["acknowledged_by"].format(who=alert.acknowledged_by) if alert.status == "acknowledged"
                 else words["still_open"])
        lines.append(words["escalation"].format(
            intent=word(alert.intent), language=alert.language, platform=alert.platform,
            author=f"@{alert.author_handle.lstrip('@')}", route=" -> ".join([alert.team, *alert.escalated_to]),
            state=state))
        lines.append(f"    {alert.url or words['alert'].format(id=alert.id)}")
    if len(digest.escalated) > LISTED:
        lines.append(words["more_escalated"].format(n=len(digest.escalated) - LISTED))

    lines += ["", words["spikes"].format(n=len(digest.spikes))]
    for spike in digest.spikes:
        detected = timing.from_iso_utc(spike.detected_at).astimezone(zone)
        hold = {"switched_on": words["hold_on"], "already_on": words["hold_was_on"]}.get(spike.crisis_hold, "")
        spoken = (DUTCH_LANGUAGES if language == "nl" else LANGUAGE_NAMES).get(spike.language, spike.language)
        lines.append(words["spike"].format(at=_moment(detected, language, date=False), facet=word(spike.facet),
                                           language=spoken, count=spike.count, mean=decimal(spike.mean),
                                           threshold=decimal(spike.threshold), hold=hold))
    return subject, "\n".join(lines)


def _duration(span: timedelta, language: str = "en") -> str:
    words = WORDS[language]
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} {words['days']} {hours} {words['hours']}"
    return f"{hours} {words['hours']} {minutes} min" if hours else f"{minutes} min"


def _short(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
