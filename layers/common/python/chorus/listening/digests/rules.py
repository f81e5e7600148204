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
def render(digest: TeamDigest, tz_name: str, now: datetime) -> tuple[str, str]:
    """Subject and plain-text body."""
    zone = timing.zone(tz_name)
    at, since = digest.slot.at.astimezone(zone), digest.slot.since.astimezone(zone)
    total, routed = sum(digest.by_intent.values()), sum(digest.routed_by_intent.values())
    more = "" if digest.counts_complete else "+"
    open_more = "" if digest.open_complete else "+"
    if digest.quiet:
        summary = "quiet"
    else:
        summary = f"{total}{more} new, {len(digest.open_complaints)}{open_more} open complaints"
        if digest.escalated:
            summary += f", {len(digest.escalated)} escalated"
        if digest.spikes:
            summary += f", {len(digest.spikes)} spike{'s' if len(digest.spikes) > 1 else ''}"
    subject = f"[{digest.team} digest] {at:%a %d %b %H:%M}: {summary}"
    lines = [f"Chorus digest for {digest.team}, {at:%A %d %B %H:%M} ({tz_name}); since {since:%a %d %b %H:%M}.", ""]
    if digest.quiet:
        lines += [f"A quiet period: no new mentions, no open complaints for {digest.team}, nothing escalated, "
                  "no spikes.",
                  "(This digest says so, so that silence is never a broken pipeline.)"]
        return subject, "\n".join(lines)

    lines.append(f"New mentions: {total}{more} (routed to {digest.team}: {routed}{more})")
    for intent in INTENTS:
        lines.append(f"  {intent:<10}{digest.by_intent[intent]:>6}   {digest.team}: {digest.routed_by_intent[intent]}")
    if not digest.counts_complete:
        lines.append("  (more were received than one digest reads: counts are a lower bound)")

    lines += ["", f"Open complaints for {digest.team}: {len(digest.open_complaints)}{open_more}"
                  + (", oldest first" if digest.open_complaints else "")]
    for n, record in enumerate(digest.open_complaints[:LISTED], start=1):
        waiting = _duration(now - timing.from_iso_utc(record.received_at))
        who = f"@{record.author_handle.lstrip('@')}"
        status = record.status + (f" to {record.assignee}" if record.assignee else "")
        lines.append(f"  {n}. waiting {waiting}: {who} on {record.platform} ({record.language}, {status})")
        lines.append(f"     \"{_short(record.text)}\"")
        lines.append(f"     {record.url or f'GET /mentions/{record.id}'}")
    if len(digest.open_complaints) > LISTED:
        lines.append(f"  ... and {len(digest.open_complaints) - LISTED}{open_more} more: "
                     f"GET /mentions?status=open&intent=complaint&team={digest.team}&order=oldest")

    lines += ["", f"Escalated (nobody acknowledged in time): {len(digest.escalated)}"]
    for alert in digest.escalated[:LISTED]:
        state = f"acknowledged by {alert.acknowledged_by}" if alert.status == "acknowledged" else "still open"
        author = f"@{alert.author_handle.lstrip('@')}"
        lines.append(f"  - {alert.intent} ({alert.language}) on {alert.platform} by {author}: "
                     f"{alert.team} -> {' -> '.join(alert.escalated_to)}, {state}")
        lines.append(f"    {alert.url or f'alert {alert.id}'}")
    if len(digest.escalated) > LISTED:
        lines.append(f"  ... and {len(digest.escalated) - LISTED} more: GET /alerts")

    lines += ["", f"Spikes: {len(digest.spikes)}"]
    for spike in digest.spikes:
        detected = timing.from_iso_utc(spike.detected_at).astimezone(zone)
        hold = {"switched_on": "; crisis hold switched on",
                "already_on": "; crisis hold was on"}.get(spike.crisis_hold, "")
        lines.append(f"  - {detected:%a %H:%M} {spike.facet}, {LANGUAGE_NAMES.get(spike.language, spike.language)}: "
                     f"{spike.count} negative mentions in an hour (usually {spike.mean:.1f}, "
                     f"threshold {spike.threshold:.1f}){hold}")
    return subject, "\n".join(lines)


def _duration(span: timedelta) -> str:
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def _short(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
