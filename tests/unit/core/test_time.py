"""Calendar time handling across time zones and DST transitions (chorus.core.time)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chorus.core.errors import ValidationError
from chorus.core.time import (
    DEFAULT_TIMEZONE,
    WEEKDAYS,
    Slot,
    from_iso_utc,
    iso_utc,
    local_iso,
    month_key,
    months_between,
    next_free_slot,
    parse_publish_at,
    slot_times,
    zone,
)

AMS = "Europe/Amsterdam"
NYC = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0,
        microsecond: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


# Instants around the 2026 transitions: Amsterdam 29 Mar and 25 Oct, New York 8 Mar and 1 Nov.
instants = st.datetimes(min_value=datetime(2026, 2, 15), max_value=datetime(2026, 11, 20), timezones=st.just(UTC))
slots = st.builds(Slot, st.sampled_from(WEEKDAYS), st.builds("{:02d}:{:02d}".format, st.integers(0, 23),
                                                               st.integers(0, 59)))


# --- zones and parsing --------------------------------------------------------------------------------------


def test_zone_accepts_iana_names() -> None:
    assert zone(DEFAULT_TIMEZONE) == ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "Europe", "../etc/passwd", "/etc/localtime", "Europe/"])
def test_zone_rejects_unknown_or_malformed_names(name: str) -> None:
    with pytest.raises(ValidationError) as err:
        zone(name, "channel.timezone")
    assert err.value.field == "channel.timezone"
    assert err.value.message == f"unknown time zone '{name}'"


@pytest.mark.parametrize(
    ("value", "tz_name", "expected"),
    [
        ("2026-07-01T09:00", AMS, utc(2026, 7, 1, 7)),  # CEST, +02:00
        ("2026-12-01T09:00", AMS, utc(2026, 12, 1, 8)),  # CET, +01:00
        ("2026-12-01T09:00", NYC, utc(2026, 12, 1, 14)),
        ("2026-10-25T02:30", AMS, utc(2026, 10, 25, 0, 30)),  # occurs twice: first occurrence, still CEST
        ("2026-10-25T03:00", AMS, utc(2026, 10, 25, 2)),
        ("2026-03-29T03:00", AMS, utc(2026, 3, 29, 1)),  # first minute after the gap
        ("2026-12-01T09:00:00Z", AMS, utc(2026, 12, 1, 9)),
        ("2026-12-01T09:00:00+05:30", AMS, utc(2026, 12, 1, 3, 30)),
        ("2026-03-29T02:30:00+01:00", AMS, utc(2026, 3, 29, 1, 30)),  # an offset makes the gap irrelevant
        ("2026-12-01T09:00:59.999999", AMS, utc(2026, 12, 1, 8, 0, 59)),  # seconds kept, microseconds dropped
        ("2026-12-01 09:30", AMS, utc(2026, 12, 1, 8, 30)),
    ],
)
def test_parse_publish_at(value: str, tz_name: str, expected: datetime) -> None:
    result = parse_publish_at(value, tz_name)
    assert result == expected
    assert result.tzinfo is UTC


def test_time_in_the_spring_forward_gap_is_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        parse_publish_at("2026-03-29T02:30", AMS, "posts.0.publish_at")
    assert err.value.field == "posts.0.publish_at"
    assert err.value.message == "2026-03-29T02:30 does not exist in Europe/Amsterdam (clocks jump forward)"
    with pytest.raises(ValidationError, match="does not exist in America/New_York"):
        parse_publish_at("2026-03-08T02:15", NYC)


@pytest.mark.parametrize("value", ["tomorrow", "2026-13-01T09:00", "2026-12-01", "2026-12-01T25:00", "", "09:30"])
def test_malformed_publish_at_is_rejected(value: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_publish_at(value)
    assert err.value.field == "publish_at"
    assert err.value.message == "must be an ISO 8601 date-time, e.g. 2026-12-01T09:30"


def test_unknown_planning_zone_is_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        parse_publish_at("2026-12-01T09:00", "Nowhere/Town")
    assert err.value.field == "timezone"


@settings(max_examples=200)
@given(
    local=st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2040, 12, 31)),
    tz_name=st.sampled_from([AMS, NYC, "Australia/Sydney", "UTC", "Asia/Kolkata"]),
)
def test_existing_local_times_round_trip(local: datetime, tz_name: str) -> None:
    local = local.replace(microsecond=0)
    tz = ZoneInfo(tz_name)
    exists = local.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) == local
    assume(exists)
    result = parse_publish_at(local.isoformat(), tz_name)
    assert local_iso(result, tz_name)[:19] == local.isoformat()
    assert from_iso_utc(iso_utc(result)) == result


# --- formatting ---------------------------------------------------------------------------------------------


def test_iso_utc_and_back() -> None:
    dt = datetime(2026, 11, 22, 10, 0, 0, 123456, tzinfo=ZoneInfo(AMS))
    assert iso_utc(dt) == "2026-11-22T09:00:00Z"
    assert from_iso_utc("2026-11-22T09:00:00Z") == utc(2026, 11, 22, 9)
    assert from_iso_utc("2026-11-22T09:00:00Z").tzinfo is UTC


def test_naive_datetimes_are_a_programming_error() -> None:
    with pytest.raises(ValueError):
        iso_utc(datetime(2026, 1, 1))


def test_local_iso_shows_wall_clock_and_offset() -> None:
    assert local_iso(utc(2026, 11, 22, 9), AMS) == "2026-11-22T10:00:00+01:00"
    assert local_iso(utc(2026, 7, 1, 7), AMS) == "2026-07-01T09:00:00+02:00"
    assert local_iso(utc(2026, 7, 1, 7), NYC) == "2026-07-01T03:00:00-04:00"


@given(a=instants, b=instants)
def test_iso_utc_sorts_like_the_instants(a: datetime, b: datetime) -> None:
    a, b = a.replace(microsecond=0), b.replace(microsecond=0)
    assert (iso_utc(a) < iso_utc(b)) == (a < b)
    assert from_iso_utc(iso_utc(a)) == a


def test_month_keys() -> None:
    assert month_key(utc(2026, 11, 30, 23, 30)) == "2026-11"
    assert month_key(datetime(2026, 12, 1, 0, 30, tzinfo=ZoneInfo(AMS))) == "2026-11"  # still November in UTC
    assert months_between(utc(2026, 11, 15), utc(2027, 2, 1)) == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert months_between(utc(2026, 11, 15), utc(2026, 11, 16)) == ["2026-11"]
    assert months_between(utc(2026, 11, 15), utc(2026, 11, 14)) == []


@given(a=instants, b=instants)
def test_months_between_is_contiguous_and_covers_both_ends(a: datetime, b: datetime) -> None:
    start, end = min(a, b), max(a, b)
    months = months_between(start, end)
    assert months[0] == month_key(start) and months[-1] == month_key(end)
    assert months == sorted(set(months))
    assert len(months) == (end.year - start.year) * 12 + end.month - start.month + 1


# --- slots --------------------------------------------------------------------------------------------------


def test_slot_normalises_and_validates_naming_the_field() -> None:
    assert Slot("Mon", "9:05") == Slot("mon", "09:05")
    for weekday, clock in [("monday", "09:00"), ("mon", "24:00"), ("mon", "09:60"), ("mon", "0900"), ("mon", "")]:
        with pytest.raises(ValidationError) as err:
            Slot(weekday, clock, "cadence.slots.1")
        assert err.value.field == "cadence.slots.1"


def test_a_9am_slot_stays_at_9_local_across_dst() -> None:
    times = slot_times([Slot("sun", "09:00")], AMS, utc(2026, 3, 20), utc(2026, 4, 6))
    assert times == [utc(2026, 3, 22, 8), utc(2026, 3, 29, 7), utc(2026, 4, 5, 7)]
    times = slot_times([Slot("sun", "09:00")], AMS, utc(2026, 10, 18), utc(2026, 11, 2))
    assert times == [utc(2026, 10, 18, 7), utc(2026, 10, 25, 8), utc(2026, 11, 1, 8)]


def test_slot_in_the_gap_moves_to_the_end_of_the_gap() -> None:
    assert slot_times([Slot("sun", "02:30")], AMS, utc(2026, 3, 28), utc(2026, 3, 30)) == [utc(2026, 3, 29, 1)]
    assert local_iso(utc(2026, 3, 29, 1), AMS) == "2026-03-29T03:00:00+02:00"


def test_ambiguous_slot_takes_the_first_occurrence() -> None:
    assert slot_times([Slot("sun", "02:30")], AMS, utc(2026, 10, 24), utc(2026, 10, 26)) == [utc(2026, 10, 25, 0, 30)]


def test_slot_times_range_is_half_open_sorted_and_unique() -> None:
    both = [Slot("mon", "09:00"), Slot("mon", "09:00"), Slot("tue", "08:00"), Slot("mon", "07:30")]
    times = slot_times(both, AMS, utc(2026, 11, 23, 6, 30), utc(2026, 11, 24, 7))  # Mon 07:30 local up to Tue 08:00
    assert times == [utc(2026, 11, 23, 6, 30), utc(2026, 11, 23, 8)]
    assert slot_times(both, AMS, utc(2026, 11, 24), utc(2026, 11, 23)) == []
    assert slot_times([], AMS, utc(2026, 1, 1), utc(2027, 1, 1)) == []


@settings(max_examples=200)
@given(
    chosen=st.lists(slots, min_size=1, max_size=4),
    tz_name=st.sampled_from([AMS, NYC]),
    start=instants,
    days=st.floats(0, 40),
)
def test_slot_times_are_at_the_slot_wall_clock_and_inside_the_range(
    chosen: list[Slot], tz_name: str, start: datetime, days: float
) -> None:
    end = start + timedelta(days=days)
    tz = ZoneInfo(tz_name)
    times = slot_times(chosen, tz_name, start, end)
    assert times == sorted(set(times))
    wanted = {(s.weekday, s.time) for s in chosen}
    for t in times:
        assert start <= t < end and t.tzinfo is UTC
        local = t.astimezone(tz)
        key = (WEEKDAYS[local.weekday()], f"{local:%H:%M}")
        if key not in wanted:  # only a slot skipped by spring-forward may land elsewhere: right after the gap
            before = (t - timedelta(minutes=1)).astimezone(tz)
            offset, offset_before = local.utcoffset(), before.utcoffset()
            assert offset is not None and offset_before is not None and offset > offset_before


@given(first=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)), days=st.integers(0, 120),
       tz_name=st.sampled_from([AMS, NYC]))
def test_a_daily_slot_occurs_once_per_local_day(first: date, days: int, tz_name: str) -> None:
    """Over local midnight to local midnight, every day brings each daily slot exactly once, even the gap's."""
    tz = ZoneInfo(tz_name)
    start = datetime.combine(first, time(0), tz).astimezone(UTC)
    end = datetime.combine(first + timedelta(days=days), time(0), tz).astimezone(UTC)
    for clock in ("12:00", "02:30"):
        assert len(slot_times([Slot(day, clock) for day in WEEKDAYS], tz_name, start, end)) == days


# --- next free slot -----------------------------------------------------------------------------------------


def test_next_free_slot_skips_taken_and_past_candidates() -> None:
    candidates = [utc(2026, 11, 24, 8), utc(2026, 11, 23, 8), utc(2026, 11, 25, 8)]
    occupied = {utc(2026, 11, 23, 8, 0, 42)}  # taken within the same minute
    assert next_free_slot(candidates, occupied, utc(2026, 11, 22)) == utc(2026, 11, 24, 8)
    assert next_free_slot(candidates, set(), utc(2026, 11, 24, 8)) == utc(2026, 11, 25, 8)  # strictly after
    assert next_free_slot(candidates, set(), utc(2026, 11, 25, 8)) is None
    assert next_free_slot([], set(), utc(2026, 11, 25)) is None


@given(
    candidates=st.lists(instants, max_size=20),
    data=st.data(),
    after=instants,
)
def test_next_free_slot_is_the_earliest_free_candidate_after(
    candidates: list[datetime], data: st.DataObject, after: datetime
) -> None:
    occupied = data.draw(st.lists(st.sampled_from(candidates), max_size=10)) if candidates else []
    chosen = next_free_slot(candidates, occupied, after)
    taken = {o.replace(second=0, microsecond=0) for o in occupied}
    free = [c for c in candidates if c > after and c.replace(second=0, microsecond=0) not in taken]
    if chosen is None:
        assert free == []
    else:
        assert chosen > after and chosen.replace(second=0, microsecond=0) not in taken
        assert chosen == min(free)


@pytest.mark.parametrize("value", ["0001-01-01T00:30", "1999-12-31T23:59", "2101-01-01T00:00", "9999-12-31T23:59",
                                   "9999-12-31T23:59:59+14:00"])
def test_moments_outside_2000_to_2100_are_refused_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        parse_publish_at(value, "Europe/Amsterdam", field="when")
    assert refused.value.field == "when" and "2000" in refused.value.message


def test_the_first_and_last_years_are_accepted() -> None:
    assert parse_publish_at("2000-01-01T00:00Z").year == 2000
    assert parse_publish_at("2100-12-31T23:59", "Europe/Amsterdam").year == 2100


def test_a_period_bound_is_a_date_at_local_midnight_or_a_date_time() -> None:
    from chorus.core.time import parse_bound

    assert parse_bound("2026-11-23", "Europe/Amsterdam", "from") == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert parse_bound("2026-11-23T09:30", "Europe/Amsterdam", "to") == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    assert parse_bound("2026-11-23T09:30:00Z", "Europe/Amsterdam", "to") == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        parse_bound("23-11-2026", "Europe/Amsterdam", "to")
    assert refused.value.field == "to"
