"""Time handling: the `Clock` services are given, UTC instants as stored strings, and local wall-clock time.

People plan in local wall-clock time ("Tuesday 09:00 in Amsterdam"); the calendar stores and compares UTC.
Everything here converts between the two, correctly across daylight-saving transitions. Pure: callers pass `now`
(only `utc_now`, the real clock, reads the time)."""
from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import InitVar, dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from chorus.core.errors import ValidationError

Clock = Callable[[], datetime]  # what services are given instead of reading the time themselves; returns UTC
DEFAULT_TIMEZONE = "Europe/Amsterdam"
# Moments people may give: a calendar, a report or a search outside these years is a typo, and far-off years overflow
# date arithmetic (a post at 9999-12-31 plus a day).
FIRST_YEAR, LAST_YEAR = 2000, 2100
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
_MINUTE = timedelta(minutes=1)


def zone(name: str, field: str = "timezone") -> ZoneInfo:
    """The IANA zone `name`; a ValidationError on `field` for unknown or malformed names."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        raise ValidationError(field, f"unknown time zone '{name}'") from None


def _utc(dt: datetime) -> datetime:
    """`dt` in UTC; a naive datetime here is a programming error, since it would silently mean server time."""
    if dt.tzinfo is None:
        raise ValueError("expected a timezone-aware datetime")
    return dt.astimezone(UTC)


def _local_to_utc(local: datetime, tz: ZoneInfo) -> datetime | None:
    """The UTC instant of naive wall-clock time `local` in `tz` (first occurrence if ambiguous), None in a gap."""
    instant = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    return instant if instant.astimezone(tz).replace(tzinfo=None) == local else None


def _parse_date_time(value: str) -> datetime | None:
    """An ISO 8601 date-time, or None; a date alone is refused, as it is no moment to publish at."""
    try:
        date.fromisoformat(value)
        return None
    except (TypeError, ValueError):
        pass
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def parse_publish_at(value: str, tz_name: str = DEFAULT_TIMEZONE, field: str = "publish_at") -> datetime:
    """Parse an ISO 8601 date-time to UTC, to the second.

    With an offset (or "Z") the value is an instant; `tz_name` must still be a valid zone. Without one it is wall-clock
    time in `tz_name`: a time skipped when clocks jump forward is rejected, and a time that occurs twice when
    clocks fall back means the first occurrence (fold=0, still summer time).
    """
    tz = zone(tz_name)
    parsed = _parse_date_time(value)
    if parsed is None:
        raise ValidationError(field, "must be an ISO 8601 date-time, e.g. 2026-12-01T09:30")
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise ValidationError(field, f"must be a moment between the years {FIRST_YEAR} and {LAST_YEAR}")
    parsed = parsed.replace(microsecond=0)
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    instant = _local_to_utc(parsed, tz)
    if instant is None:
        raise ValidationError(field, f"{parsed:%Y-%m-%dT%H:%M} does not exist in {tz_name} (clocks jump forward)")
    return instant


def parse_bound(value: str, tz_name: str, field: str) -> datetime:
    """One end of a period (`from`, `to`): a date means that day's local midnight in `tz_name`, a date-time is as
    `parse_publish_at` reads it. Periods are half-open everywhere: `from` is included, `to` is not."""
    text = value.strip()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return parse_publish_at(text, tz_name, field)
    return parse_publish_at(f"{day.isoformat()}T00:00", tz_name, field)


def iso_utc(dt: datetime) -> str:
    """`2026-11-22T09:00:00Z`: to the second, so stored times sort correctly as strings."""
    return _utc(dt).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def from_iso_utc(value: str) -> datetime:
    """The inverse of iso_utc."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def local_iso(dt_utc: datetime, tz_name: str) -> str:
    """The wall-clock time in `tz_name` with its offset, e.g. `2026-11-22T10:00:00+01:00`, for people to read."""
    return _utc(dt_utc).astimezone(zone(tz_name)).replace(microsecond=0).isoformat()


def month_key(dt_utc: datetime) -> str:
    """`YYYY-MM` of the UTC time: the calendar's partition."""
    dt = _utc(dt_utc)
    return f"{dt.year:04d}-{dt.month:02d}"


def months_between(start_utc: datetime, end_utc: datetime) -> list[str]:
    """Every month key from start to end inclusive, in order; empty when end precedes start."""
    start, end = _utc(start_utc), _utc(end_utc)
    if end < start:
        return []
    first, last = start.year * 12 + start.month - 1, end.year * 12 + end.month - 1
    return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(first, last + 1)]


@dataclass(frozen=True)
class Slot:
    """A weekly posting slot: a weekday and a local "HH:MM" time.

    Built as `Slot("mon", "09:00", "slots.0")`; the third argument only names the field in errors.
    Weekday case and a one-digit hour ("9:00") are normalised.
    """

    weekday: str
    time: str
    field: InitVar[str] = "slot"

    def __post_init__(self, field: str) -> None:
        weekday = str(self.weekday).strip().lower()
        if weekday not in WEEKDAYS:
            raise ValidationError(field, f"weekday must be one of {', '.join(WEEKDAYS)}")
        match = _TIME.fullmatch(str(self.time).strip())
        if match is None:
            raise ValidationError(field, "time must be HH:MM (24-hour)")
        object.__setattr__(self, "weekday", weekday)
        object.__setattr__(self, "time", f"{int(match[1]):02d}:{match[2]}")

    @property
    def hour(self) -> int:
        return int(self.time[:2])

    @property
    def minute(self) -> int:
        return int(self.time[3:])


def slot_times(slots: Sequence[Slot], tz_name: str, start_utc: datetime, end_utc: datetime) -> list[datetime]:
    """Every occurrence of the weekly slots with start_utc <= t < end_utc, sorted, unique, in UTC.

    Slots keep their wall-clock time across DST. On the day clocks jump forward, a slot inside the gap moves to
    the first minute after it (02:30 -> 03:00); on the day they fall back, a repeated time takes its first
    occurrence.
    """
    tz = zone(tz_name)
    start, end = _utc(start_utc), _utc(end_utc)
    by_weekday: dict[int, list[Slot]] = {}
    for slot in slots:
        by_weekday.setdefault(WEEKDAYS.index(slot.weekday), []).append(slot)
    found: set[datetime] = set()
    # A day early: a slot moved forward out of a gap near midnight may land on the next local day.
    day = start.astimezone(tz).date() - timedelta(days=1)
    last = end.astimezone(tz).date()
    while day <= last:
        for slot in by_weekday.get(day.weekday(), []):
            local = datetime(day.year, day.month, day.day, slot.hour, slot.minute)
            while (instant := _local_to_utc(local, tz)) is None:
                local += _MINUTE
            if start <= instant < end:
                found.add(instant)
        day += timedelta(days=1)
    return sorted(found)


def next_free_slot(candidates: Iterable[datetime], occupied: Collection[datetime], after: datetime) -> datetime | None:
    """The earliest candidate strictly after `after` whose minute is not already taken, or None."""
    taken = {t.replace(second=0, microsecond=0) for t in occupied}
    return next(
        (c for c in sorted(candidates) if c > after and c.replace(second=0, microsecond=0) not in taken), None
    )


def utc_now() -> datetime:
    """The real clock (a Clock)."""
    return datetime.now(UTC)
