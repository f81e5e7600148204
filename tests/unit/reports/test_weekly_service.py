"""The weekly report's use cases over in-memory fakes of their ports: what is stored where, the mail once per
finished week (and again after a failed send), reading a report that is not built, and the mentions export."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chorus.advocacy.engagement.rules import Period
from chorus.advocacy.engagement.schemas import EngagementReport, Grouping, Tally
from chorus.calendar.schemas import Channel, Post
from chorus.core.errors import NotFound, ValidationError
from chorus.inbox.rules import InboxPage, InboxQuery
from chorus.listening.schemas import Alert, Texts
from chorus.reports.service import WeeklyReports
from tests.clock import Clock
from tests.unit.reports.test_weekly_rules import mention

MONDAY = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


class Fakes:
    """Every port of WeeklyReports in memory."""

    def __init__(self) -> None:
        self.files: dict[str, tuple[str, str]] = {}
        self.state: dict[str, dict[str, Any]] = {}
        self.sent: list[tuple[str, str, dict[str, str]]] = []
        self.fail_send = False
        self.mentions = [mention(n) for n in range(3)]
        self.queries: list[InboxQuery] = []

    # Posts, Channels, Crisis
    def in_window(self, start: datetime, end: datetime) -> list[Post]:
        return []

    def all(self) -> list[Channel]:
        return []

    def status(self) -> dict[str, Any]:
        return {"active": False}

    # MentionPages
    def page(self, query: InboxQuery, now: datetime, limit: int, cursor: str | None) -> InboxPage:
        self.queries.append(query)
        assert query.since is not None and query.until is not None
        found = [m for m in self.mentions if query.since.isoformat() <= m.received_at.replace("Z", "+00:00")
                 < query.until.isoformat()]
        return InboxPage(found, None, len(found))

    # RecentAlerts
    def recent(self, since: datetime, now: datetime, limit: int) -> list[Alert]:
        return []

    # Engagement
    def report(self, period: Period, by: Grouping) -> EngagementReport:
        return EngagementReport(start=period.start, end=period.stop, by=by, rows=[], anonymous=Tally(),
                                totals=Tally(), inactive=[])

    # Metrics
    def shown(self, posts: list[Post]) -> list[Post]:
        return posts

    # ReportFiles
    def put(self, key: str, body: str, content_type: str) -> None:
        self.files[key] = (body, content_type)

    def get(self, key: str) -> str | None:
        return self.files[key][0] if key in self.files else None

    def link(self, key: str, expires_in: int) -> str:
        return f"https://bucket.example/{key}?expires={expires_in}"

    # MailLog
    def remember(self, name: str, value: dict[str, Any], expires_at: int) -> dict[str, Any]:
        return self.state.setdefault(name, value)

    def delete(self, name: str) -> None:
        self.state.pop(name, None)

    # Mailer
    def send(self, subject: str, message: str, *, written_in: str | None = None,
             translations: Mapping[str, Texts] | None = None, **attributes: str) -> None:
        if self.fail_send:
            raise ConnectionError("SNS is unreachable")
        self.sent.append((subject, message, attributes))


def service(fakes: Fakes, clock: Clock) -> WeeklyReports:
    return WeeklyReports(fakes, fakes, fakes, fakes, fakes, fakes, fakes, fakes, fakes, fakes, clock=clock,
                         timezone="Europe/Amsterdam")


def test_a_build_stores_json_and_html_under_the_week_and_mails_the_report_team_once() -> None:
    fakes, clock = Fakes(), Clock(MONDAY)
    reports = service(fakes, clock)
    first = reports.build(reports.week(None))
    assert first.week == "2026-W49" and first.mailed is True
    assert {k: t for k, (_, t) in fakes.files.items()} == {
        "reports/weekly/2026-W49.json": "application/json",
        "reports/weekly/2026-W49.html": "text/html; charset=utf-8"}
    ((subject, text, attributes),) = fakes.sent
    assert attributes == {"team": "report", "kind": "report"}
    assert "https://bucket.example/reports/weekly/2026-W49.html?expires=604800" in text
    assert reports.stored(reports.week("2026-W49")).mentions.total == 3
    # the two weeks read, each over every status, oldest first
    assert [q.since for q in fakes.queries] == [reports.week(None).start, reports.week("2026-W48").start]

    clock.advance(hours=1)
    again = reports.build(reports.week(None))
    assert again.mailed is False and len(fakes.sent) == 1
    assert reports.stored(reports.week(None)).built_at == "2026-12-07T08:00:00Z"  # overwritten


def test_a_failed_send_is_forgotten_so_the_retry_mails() -> None:
    fakes = Fakes()
    reports = service(fakes, Clock(MONDAY))
    fakes.fail_send = True
    with pytest.raises(ConnectionError):
        reports.build(reports.week(None))
    assert fakes.state == {}
    fakes.fail_send = False
    assert reports.build(reports.week(None)).mailed is True and len(fakes.sent) == 1


def test_the_week_so_far_is_built_but_never_mailed_and_a_week_to_come_is_refused() -> None:
    fakes = Fakes()
    reports = service(fakes, Clock(MONDAY + timedelta(days=2)))
    assert reports.build(reports.week("2026-W50")).mailed is False and not fakes.sent
    with pytest.raises(ValidationError) as refused:
        reports.build(reports.week("2026-W51"))
    assert refused.value.field == "week"


def test_a_report_not_built_is_not_found_with_what_to_do() -> None:
    reports = service(Fakes(), Clock(MONDAY))
    with pytest.raises(NotFound, match="has not been built yet"):
        reports.stored(reports.week("2026-W40"))
    with pytest.raises(NotFound):
        reports.page(reports.week("2026-W40"))


def test_the_mentions_export_takes_local_days_to_exclusive_and_refuses_long_or_reversed_periods() -> None:
    fakes = Fakes()
    reports = service(fakes, Clock(MONDAY))
    found, since, until = reports.mentions_export("2026-11-30", "2026-12-07")
    assert len(found) == 3
    assert (since, until) == (datetime(2026, 11, 29, 23, tzinfo=UTC), datetime(2026, 12, 6, 23, tzinfo=UTC))
    for start, end in (("2026-12-07", "2026-12-01"), ("2026-01-01", "2026-06-01")):
        with pytest.raises(ValidationError) as refused:
            reports.mentions_export(start, end)
        assert refused.value.field == "to"
