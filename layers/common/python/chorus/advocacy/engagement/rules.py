"""Rules of engagement: what the ambassador programme counts (per person, day, event and channel), and the engagement
report built from those counts: who contributes, who shares and who converses, per person, team or role over a
period; who is inactive; the opt-in leaderboard; the CSV export. Pure: the ledger's counts, the programme's members
and the time in, numbers out.

Seed 003: existing advocacy tools count shares and clicks; Chorus also counts contribution (submissions made and
accepted, posts edited) and conversation (replies to shares, forwarded mentions). Counts are keyed by a person's
opaque id, so they stay as anonymous numbers when the person's data is erased. A person with several roles counts in
each role's row. Erased people (and counts whose person is gone) have no row: their counts stay, as one anonymous
line, in the totals."""
from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import get_args

from chorus.advocacy.engagement.schemas import (
    COUNTERS,
    FIELD_OF_EVENT,
    EngagementEvent,
    EngagementReport,
    Grouping,
    InactivePerson,
    Leaderboard,
    LeaderboardEntry,
    Row,
    Tally,
)
from chorus.advocacy.people.schemas import PROGRAMME_ROLES
from chorus.core.errors import ValidationError
from chorus.core.text import spreadsheet_cell

EVENTS: tuple[str, ...] = get_args(EngagementEvent)
NO_CHANNEL = "-"


@dataclass(frozen=True)
class Count:
    person: str
    day: date
    event: str
    channel: str
    count: int


def day_of(moment: datetime) -> str:
    """The UTC day a moment is counted on, as YYYY-MM-DD (reports choose their period in whole days)."""
    return moment.strftime("%Y-%m-%d")


def check_event(event: str, channel: str | None) -> str:
    """The channel as stored; refuses an event the programme does not count (a programming error, not user input)."""
    if event not in EVENTS:
        raise ValueError(f"unknown engagement event {event!r}; one of {', '.join(EVENTS)}")
    return channel or NO_CHANNEL


GROUPINGS: tuple[str, ...] = ("person", "team", "role")
MAX_PERIOD_DAYS = 93  # a quarter: at most 93 Queries of one day's counters per report
DEFAULT_PERIOD_DAYS = 30
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class Member:
    """A person of the programme as the report sees them (no contact details)."""

    id: str
    name: str
    team: str
    roles: tuple[str, ...]
    expected_active: bool  # receives offers (publisher, opted in, current policy acknowledged) or creates or edits
    on_leaderboard: bool  # has not hidden themselves
    erased: bool = False


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # the last day counted (inclusive; the API's `to` and the answers' `end` are the day after it)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def stop(self) -> date:
        """The first day not counted: the `to` of the request, the `end` of the answer."""
        return self.end + timedelta(days=1)


def period_of(start: str | None, end: str | None, today: date) -> Period:
    """The period of `?from=&to=` in whole UTC days, half-open like every period in the API: `from` is counted, `to`
    is not. By default the 30 days up to and including today."""
    stop = _day(end, "to") if end else today + timedelta(days=1)
    first = _day(start, "from") if start else stop - timedelta(days=DEFAULT_PERIOD_DAYS)
    if first >= stop:
        raise ValidationError("to", f"must be after from ({first.isoformat()}): from is counted, to is not")
    period = Period(first, stop - timedelta(days=1))
    if period.days > MAX_PERIOD_DAYS:
        raise ValidationError("to", f"a report covers at most {MAX_PERIOD_DAYS} days; this period has {period.days}")
    return period


def _day(text: str, field: str) -> date:
    """A date, or a date-time on a UTC midnight: the ledger counts whole UTC days."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValidationError(field, "must be a date (YYYY-MM-DD) or a date-time at midnight UTC") from None
    moment = moment.astimezone(UTC) if moment.tzinfo else moment
    if moment.time() != time(0):
        raise ValidationError(field, f"reports count whole days (UTC): give a date such as {moment.date().isoformat()}")
    return moment.date()


def tally_of(counts: Iterable[Count]) -> Tally:
    numbers = dict.fromkeys(COUNTERS, 0)
    channels: dict[str, int] = defaultdict(int)
    for count in counts:
        numbers[FIELD_OF_EVENT[count.event]] += count.count
        if count.event == "share":
            channels[count.channel] += count.count
    return Tally(**numbers, shares_by_channel=dict(sorted(channels.items())))


def _sum(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for each in tallies:
        total = total.plus(each)
    return total


def person_tallies(counts: Iterable[Count]) -> dict[str, Tally]:
    grouped: dict[str, list[Count]] = defaultdict(list)
    for count in counts:
        grouped[count.person].append(count)
    return {person: tally_of(own) for person, own in grouped.items()}


def person_row(member: Member, tally: Tally) -> Row:
    return Row(**tally.model_dump(include=set(COUNTERS) | {"shares_by_channel"}), key=member.id, name=member.name,
               team=member.team, roles=list(member.roles), people=1, active_people=int(tally.active))


def report(counts: Iterable[Count], members: Sequence[Member], period: Period, by: Grouping) -> EngagementReport:
    tallies = person_tallies(counts)
    named = {m.id: m for m in members if not m.erased}
    person_rows = {m.id: person_row(m, tallies.get(m.id, Tally())) for m in named.values()}
    anonymous = _sum(tally for person, tally in tallies.items() if person not in named)
    if by == "person":
        rows = sorted(person_rows.values(), key=lambda r: ((r.name or "").casefold(), r.key))
    else:
        groups: dict[str, list[Row]] = defaultdict(list)
        for member in named.values():
            for key in ([member.team] if by == "team" else [r for r in member.roles if r in PROGRAMME_ROLES]):
                groups[key].append(person_rows[member.id])
        rows = [_group_row(key, group) for key, group in sorted(groups.items())]
    inactive = [InactivePerson(id=m.id, name=m.name, team=m.team, roles=list(m.roles))
                for m in sorted(named.values(), key=lambda m: (m.name.casefold(), m.id))
                if m.expected_active and not person_rows[m.id].active]
    return EngagementReport(start=period.start, end=period.stop, by=by, rows=rows, anonymous=anonymous,
                            totals=_sum([*person_rows.values(), anonymous]), inactive=inactive)


def _group_row(key: str, group: list[Row]) -> Row:
    tally = _sum(group)
    return Row(**tally.model_dump(include=set(COUNTERS) | {"shares_by_channel"}), key=key, people=len(group),
               active_people=sum(r.active_people for r in group))


def leaderboard(counts: Iterable[Count], members: Sequence[Member], period: Period, limit: int) -> Leaderboard:
    """The people with a score, highest first: never someone who hid themselves or was erased."""
    tallies = person_tallies(counts)
    shown = sorted(((m, tallies[m.id]) for m in members
                    if m.on_leaderboard and not m.erased and m.id in tallies and tallies[m.id].score > 0),
                   key=lambda pair: (-pair[1].score, pair[0].name.casefold(), pair[0].id))[:limit]
    entries: list[LeaderboardEntry] = []
    for position, (member, tally) in enumerate(shown, start=1):
        rank = entries[-1].rank if entries and entries[-1].score == tally.score else position
        entries.append(LeaderboardEntry(rank=rank, person_id=member.id, name=member.name, team=member.team,
                                        score=tally.score, contribution=tally.contribution,
                                        conversation=tally.conversation, shares=tally.shares))
    return Leaderboard(start=period.start, end=period.stop, entries=entries, totals=_sum(tallies.values()))


# ---------------------------------------------------------------------------------------------- CSV
def to_csv(result: EngagementReport) -> str:
    """The report's rows, then `anonymous` and `total`, one column per counter and per share channel."""
    channels = sorted({c for r in (*result.rows, result.totals) for c in r.shares_by_channel})
    header = ["key", "name", "team", "roles", "people", "active_people", *COUNTERS,
              *(f"shares_{c}" for c in channels), "contribution", "conversation", "score"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)

    def line(key: str, tally: Tally, row: Row | None) -> list[object]:
        who: list[object] = ["", "", "", "", ""]
        if row:
            who = [spreadsheet_cell(row.name or ""), spreadsheet_cell(row.team or ""), " ".join(row.roles),
                   row.people, row.active_people]
        return [spreadsheet_cell(key), *who, *(getattr(tally, c) for c in COUNTERS),
                *(tally.shares_by_channel.get(c, 0) for c in channels),
                tally.contribution, tally.conversation, tally.score]

    for row in result.rows:
        writer.writerow(line(row.key, row, row))
    writer.writerow(line(ANONYMOUS, result.anonymous, None))
    writer.writerow(line("total", result.totals, None))
    return out.getvalue()

