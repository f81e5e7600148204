"""The engagement ledger on moto: counters by ADD, once-only events, reads per day and per person."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest

from chorus import container
from chorus.advocacy.engagement.rules import Count
from chorus.advocacy.engagement.store import EngagementLedger
from tests.integration.conftest import Stack
from tests.unit.advocacy.fakes import MemoryLedger

MONDAY = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
TUESDAY = datetime(2026, 11, 24, 23, 59, tzinfo=UTC)


@pytest.fixture(params=["dynamodb", "memory"])
def ledger(request: pytest.FixtureRequest, stack: Stack) -> EngagementLedger | MemoryLedger:
    """The real ledger and the unit tests' fake must behave alike."""
    return container.engagement_ledger() if request.param == "dynamodb" else MemoryLedger()


def test_counts_add_up_per_person_day_event_and_channel(ledger: EngagementLedger | MemoryLedger) -> None:
    ledger.record("p1", "click", MONDAY, "x")
    ledger.record("p1", "click", MONDAY, "x", count=2)
    ledger.record("p1", "share", MONDAY, "mastodon")
    ledger.record("p2", "submission_made", TUESDAY)
    assert sorted(ledger.of_day(MONDAY.date()), key=str) == sorted([
        Count("p1", MONDAY.date(), "click", "x", 3), Count("p1", MONDAY.date(), "share", "mastodon", 1)], key=str)
    assert ledger.of_period(date(2026, 11, 22), date(2026, 11, 24))[-1] == Count(
        "p2", TUESDAY.date(), "submission_made", "-", 1)
    assert [c.event for c in ledger.of_person("p1", date(2026, 11, 24), date(2026, 11, 30))] == []


def test_an_event_with_a_once_key_counts_once(ledger: EngagementLedger | MemoryLedger) -> None:
    assert ledger.record("p1", "share", MONDAY, "bluesky", once_key="https://bsky.app/profile/p1/post/1") is True
    assert ledger.record("p1", "share", TUESDAY, "bluesky", once_key="https://bsky.app/profile/p1/post/1") is False
    assert sum(c.count for c in ledger.of_person("p1", MONDAY.date(), TUESDAY.date())) == 1


def test_an_unknown_event_is_refused(ledger: EngagementLedger | MemoryLedger) -> None:
    with pytest.raises(ValueError, match="unknown engagement event"):
        ledger.record("p1", "like", MONDAY)


def test_concurrent_once_events_on_one_counter_all_count(stack: Stack) -> None:
    ledger = container.engagement_ledger()
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: ledger.record("p9", "share", MONDAY, "x", once_key=f"share-{n}"), range(16)))
    assert results == [True] * 16
    assert [c.count for c in ledger.of_day(MONDAY.date())] == [16]
