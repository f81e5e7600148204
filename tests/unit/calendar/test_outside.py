"""The calendar in other apps (issue 11 item 24): iCalendar events and CSV rows of planned posts."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from chorus.calendar import rules
from chorus.calendar.schemas import Post, Status
from chorus.core.text import spreadsheet_cell

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def post(text: str, at: datetime = NOW + timedelta(days=1), **fields: object) -> Post:
    return Post.model_validate({"id": f"p{abs(hash(text)) % 10_000}", "text": text, "channels": ["x-main", "masto"],
                                "publish_at": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "timezone": "Europe/Amsterdam",
                                "author": "cara", "category": "other", "status": Status.SCHEDULED,
                                "created_at": "2026-12-01T09:00:00Z", "updated_at": "2026-12-01T09:00:00Z", **fields})


# Without backslashes: icalendar 7.3 reads an escaped backslash before an N back as a newline (its unescaping order).
# Without lone surrogates: they are no text a post can hold (DynamoDB stores UTF-8).
@given(st.text(st.characters(blacklist_characters="\\", blacklist_categories=["Cs"]), min_size=1, max_size=400))
def test_any_text_survives_the_round_trip_through_icalendar(text: str) -> None:
    document = Calendar.from_ical(rules.to_ical([post(text)], "Chorus", NOW))
    (event,) = document.walk("VEVENT")
    assert str(event["description"]).startswith(rules.calendar_text(text))
    assert event.decoded("dtstart") == NOW + timedelta(days=1)


def test_an_event_is_named_by_its_channels_and_first_words() -> None:
    (event,) = Calendar.from_ical(rules.to_ical([post("Open dag zaterdag van tien tot vier " * 4)], "C", NOW)).walk(
        "VEVENT")
    assert str(event["summary"]).startswith("[x-main, masto] Open dag zaterdag") and len(str(event["summary"])) < 80


@given(st.text(max_size=40))
def test_no_csv_cell_of_typed_text_runs_as_a_formula(text: str) -> None:
    _, row = csv.reader(io.StringIO(rules.to_csv([post(text or "x", campaign=text)]), newline=""))
    for cell in (row[5], row[7]):  # campaign, text
        assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r")


def test_a_formula_like_cell_gets_a_quote() -> None:
    assert [spreadsheet_cell(t) for t in ("=1+1", "+31 6", "-5", "@org", "\t=x", "Hallo")] == [
        "'=1+1", "'+31 6", "'-5", "'@org", "'\t=x", "Hallo"]


def test_a_feed_secret_is_kept_only_as_its_hash() -> None:
    token = rules.feed_token()
    assert len(token) >= 32 and rules.feed_key(token) != token and len(rules.feed_key(token)) == 64
