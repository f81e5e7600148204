"""DigestService with in-memory ports: each team's digest once per digest time, whatever overlaps or crashes."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from chorus.core import time as timing
from chorus.inbox.rules import InboxPage, InboxQuery
from chorus.listening.digests import rules as digest
from chorus.listening.digests.service import DigestService, InboxReads, OpenComplaints, RecentAlerts
from chorus.listening.rules import DEFAULT_RULES
from chorus.listening.schemas import Alert, DigestRules, MentionRecord, RoutingRules
from tests.clock import Clock
from tests.unit.listening.fakes import MemoryNotifier
from tests.unit.listening.spikes.fakes import MemorySlots, MemorySpikeStore, record

NINE = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam
TEAMS = ["care", "care-lead", "marketing", "pr"]


@dataclass
class MemoryInbox(InboxReads, OpenComplaints):
    """The inbox reader: mentions by received_at in a window, newest first, in pages of `limit`."""

    records: list[MentionRecord] = field(default_factory=list)
    queries: list[InboxQuery] = field(default_factory=list)

    def page(self, query: InboxQuery, now: datetime, limit: int, cursor: str | None) -> InboxPage:
        self.queries.append(query)
        def in_window(r: MentionRecord) -> bool:  # a window bound of None: unbounded on that side
            return ((query.since is None or timing.iso_utc(query.since) <= r.received_at)
                    and (query.until is None or r.received_at <= timing.iso_utc(query.until)))

        found = sorted((r for r in self.records if r.status in query.statuses and in_window(r)),
                       key=lambda r: r.received_at, reverse=True)
        start = int(cursor or 0)
        items = found[start:start + limit]
        more = start + limit < len(found)
        return InboxPage(items, str(start + limit) if more else None, len(items))

    def open_complaints(self, now: datetime, limit: int) -> tuple[list[MentionRecord], bool]:
        found = sorted((r for r in self.records if digest.is_open_complaint(r)), key=lambda r: r.received_at)
        return found[:limit], len(found) <= limit


@dataclass
class MemoryRecentAlerts(RecentAlerts):
    alerts: list[Alert] = field(default_factory=list)

    def recent(self, since: datetime, now: datetime, limit: int) -> list[Alert]:
        return [a for a in self.alerts if a.created_at >= timing.iso_utc(since)][:limit]


class World:
    def __init__(self, times: list[str] | None = None) -> None:
        self.clock = Clock(NINE + timedelta(seconds=20))
        self.inbox, self.alerts, self.spikes = MemoryInbox(), MemoryRecentAlerts(), MemorySpikeStore()
        self.slots, self.notifier = MemorySlots(), MemoryNotifier()
        self.rules: RoutingRules = DEFAULT_RULES if times is None else DEFAULT_RULES.model_copy(
            update={"digest": DigestRules(times=times)})
        self.service = self.new_run()

    def new_run(self) -> DigestService:
        return DigestService(self.inbox, self.inbox, self.alerts, self.spikes, self.slots, self.notifier,
                             rules=lambda: self.rules, clock=self.clock, timezone="Europe/Amsterdam")

    def teams_sent(self) -> list[str]:
        return [s.attributes["team"] for s in self.notifier.sent]


def test_each_team_gets_its_digest_once_per_digest_time_and_only_email_attributes() -> None:
    world = World()
    night = NINE - timedelta(hours=10)
    world.inbox.records = [record(1, night), record(2, night, intent="praise", sentiment=0.9, teams=("marketing",)),
                           record(3, NINE - timedelta(days=3), status="assigned"),
                           record(4, NINE + timedelta(seconds=5))]
    result = world.service.send_due()
    assert result == {"due": "2026-11-20T08:00:00Z", "sent": 4, "items_read": 2 + 2 + 3}
    assert world.teams_sent() == TEAMS
    assert all(s.attributes == {"team": s.attributes["team"], "kind": "digest"} for s in world.notifier.sent)
    care = world.notifier.sent[0]
    # Counts cover the period (not the one received after 09:00); the backlog is as it is now, oldest first.
    assert care.subject == "[care digest] Fri 20 Nov 09:00: 2 new, 3 open complaints"
    assert "  1. waiting 3 d 0 h: @user3" in care.message
    [query] = world.inbox.queries
    assert query.since == NINE - timedelta(hours=17) and query.until == NINE - timedelta(seconds=1)
    world.clock.advance(minutes=15)
    assert world.service.send_due() == {"due": "2026-11-20T08:00:00Z", "sent": 0, "items_read": 2}
    assert len(world.notifier.sent) == 4


def test_nothing_is_due_between_digest_times_and_the_times_come_from_the_rules() -> None:
    world = World(times=["12:30"])
    assert world.service.send_due() == {"due": None, "sent": 0, "items_read": 1}
    world.clock.now = datetime(2026, 11, 20, 11, 30, tzinfo=UTC)
    assert world.service.send_due()["sent"] == 4
    world.rules = world.rules.model_copy(update={"digest": DigestRules(times=[])})
    world.clock.advance(days=1)
    assert world.service.send_due()["due"] is None


def test_an_overlapping_run_sends_nothing_while_one_is_sending() -> None:
    world = World()
    overlapping: list[dict] = []
    original = world.notifier.send

    def send_while_another_run_starts(subject: str, message: str, *, sms_text: str | None = None,
                                      **attributes: str) -> None:
        if not overlapping:
            overlapping.append(world.new_run().send_due())
        original(subject, message, sms_text=sms_text, **attributes)

    world.notifier.send = send_while_another_run_starts  # type: ignore[method-assign]  # a send that starts another run
    assert world.service.send_due()["sent"] == 4
    assert overlapping[0]["sent"] == 0 and world.teams_sent() == TEAMS


def test_a_run_that_dies_midway_leaves_the_rest_to_a_later_run_and_no_team_gets_two() -> None:
    world = World()
    original = world.notifier.send

    def fails_on_the_third(subject: str, message: str, *, sms_text: str | None = None, **attributes: str) -> None:
        if len(world.notifier.sent) == 2:
            raise ConnectionError("SNS unreachable")
        original(subject, message, sms_text=sms_text, **attributes)

    world.notifier.send = fails_on_the_third  # type: ignore[method-assign]  # SNS fails from the third send
    with pytest.raises(ConnectionError):
        world.service.send_due()
    world.notifier.send = original  # type: ignore[method-assign]  # the fake's own send again
    assert world.teams_sent() == ["care", "care-lead"]
    world.clock.advance(minutes=1)
    assert world.new_run().send_due()["sent"] == 0  # the dead run's claim still holds
    world.clock.advance(minutes=15)
    assert world.new_run().send_due()["sent"] == 2
    assert world.teams_sent() == TEAMS


def test_a_quiet_period_sends_quiet_digests() -> None:
    world = World()
    world.service.send_due()
    assert {s.subject for s in world.notifier.sent} == {f"[{team} digest] Fri 20 Nov 09:00: quiet" for team in TEAMS}
