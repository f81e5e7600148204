"""Use cases of the weekly report: build a week's report (read everything once, over other features' stores and
services, each read a Query with a limit: never a Scan), store it as JSON and HTML, and mail the `report` team once;
read a stored report; export a period's mentions as CSV.

Building the same week again overwrites the same two objects and mails nobody again: the mail is recorded in the
state table (a conditional put, `report#weekly#<week>`) before it is sent, and forgotten when sending fails so that
the next build (the schedule's retry) sends it."""
from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from chorus.advocacy.engagement.rules import Period
from chorus.advocacy.engagement.schemas import EngagementReport, Grouping
from chorus.calendar.schemas import Channel, Post, Status
from chorus.core import time as timing
from chorus.core.errors import NotFound, ValidationError
from chorus.core.observability import logger
from chorus.core.time import Clock
from chorus.inbox.rules import STATUSES, InboxPage, InboxQuery
from chorus.listening.schemas import Alert, MentionRecord, Texts
from chorus.reports import rules
from chorus.reports.rules import Week, WeekData
from chorus.reports.schemas import BuildResult, WeeklyReport

MAX_WEEK_MENTIONS = 5000  # per week read; beyond, the report says its counts are a lower bound
MAX_EXPORT_MENTIONS = 20_000
MAX_EXPORT_DAYS = 93
PAGE = 500
MAX_ALERTS = 2000
LINK_DAYS = 7  # a presigned S3 link lives at most 7 days (SigV4)
MAIL_KEPT = timedelta(days=400)
PREFIX = "reports/weekly/"


class Posts(Protocol):
    """chorus.calendar.store.PostRepository: the `calendar` index, one Query per month of the window."""

    def in_window(self, start: datetime, end: datetime) -> list[Post]: ...


class Channels(Protocol):
    def all(self) -> list[Channel]: ...


class Crisis(Protocol):
    """chorus.calendar.service.CrisisService: the current or last crisis hold."""

    def status(self) -> dict[str, Any]: ...


class MentionPages(Protocol):
    """chorus.inbox.store.InboxReader: the `by_status` index, one Query stream per status."""

    def page(self, query: InboxQuery, now: datetime, limit: int, cursor: str | None) -> InboxPage: ...


class RecentAlerts(Protocol):
    """chorus.listening.store.AlertRepository: the `recent` index, one Query per month."""

    def recent(self, since: datetime, now: datetime, limit: int) -> list[Alert]: ...


class Engagement(Protocol):
    """chorus.advocacy.engagement.service.EngagementReports: one ledger Query per day."""

    def report(self, period: Period, by: Grouping) -> EngagementReport: ...


class Metrics(Protocol):
    """chorus.publishing.metrics.service.PostMetricsService: one BatchGetItem per 100 published deliveries."""

    def shown(self, posts: list[Post]) -> list[Post]: ...


class ReportFiles(Protocol):
    def put(self, key: str, body: str, content_type: str) -> None: ...
    def get(self, key: str) -> str | None: ...
    def link(self, key: str, expires_in: int) -> str: ...


class MailLog(Protocol):
    """chorus.aws.state.StateRepository."""

    def remember(self, name: str, value: dict[str, Any], expires_at: int) -> dict[str, Any]: ...
    def delete(self, name: str) -> None: ...


class Mailer(Protocol):
    """The alerts topic (chorus.listening.store.LocalizedAlerts): `team=report`, `kind=report` reach the email
    subscribers of the report team only (chorus.listening.schemas.Subscription.filter_policy)."""

    def send(self, subject: str, message: str, *, written_in: str | None = None,
             translations: Mapping[str, Texts] | None = None, **attributes: str) -> None: ...


def keys(week: str) -> tuple[str, str]:
    return f"{PREFIX}{week}.json", f"{PREFIX}{week}.html"


class WeeklyReports:
    def __init__(self, posts: Posts, channels: Channels, crisis: Crisis, mentions: MentionPages,
                 alerts: RecentAlerts, engagement: Engagement, metrics: Metrics, files: ReportFiles,
                 mail_log: MailLog, mailer: Mailer, clock: Clock, timezone: str) -> None:
        self.posts = posts
        self.channels = channels
        self.crisis = crisis
        self.mentions = mentions
        self.alerts = alerts
        self.engagement = engagement
        self.metrics = metrics
        self.files = files
        self.mail_log = mail_log
        self.mailer = mailer
        self.clock = clock
        self.timezone = timezone

    def week(self, value: str | None) -> Week:
        return rules.parse_week(value, self.clock(), self.timezone)

    # ------------------------------------------------------------------ build
    def build(self, week: Week, mail: bool = True) -> BuildResult:
        """Build `week`'s report, store it (JSON and HTML) and, the first time after the week ended, mail the report
        team."""
        now = self.clock()
        if week.start > now:
            raise ValidationError("week", f"{week.name} has not begun yet")
        report = rules.build(self._read(week, now), now)
        json_key, html_key = keys(week.name)
        self.files.put(json_key, report.model_dump_json(), "application/json")
        self.files.put(html_key, rules.render_html(report), "text/html; charset=utf-8")
        # A week still going on is never mailed: the mail is for the finished week, once.
        mailed = mail and week.end <= now and self._mail_once(report, html_key, now)
        result = BuildResult(week=week.name, json_key=json_key, html_key=html_key, mailed=mailed,
                             items_read=report.items_read)
        logger.info("weekly report built", extra=result.model_dump())
        return result

    def _read(self, week: Week, now: datetime) -> WeekData:
        previous = week.previous
        mentions, read, complete = self._mentions(week.start, week.end, now, MAX_WEEK_MENTIONS)
        before, read_before, _ = self._mentions(previous.start, previous.end, now, MAX_WEEK_MENTIONS)
        posts = self.posts.in_window(week.start, week.end)
        published = [p for p in posts if p.status == Status.PUBLISHED]
        measured = {p.id: p for p in self.metrics.shown(published)}
        posts = [measured.get(p.id, p) for p in posts]
        channels = self.channels.all()
        alerts = [a for a in self.alerts.recent(week.start, now, MAX_ALERTS) if a.created_at < timing.iso_utc(week.end)]
        # The ledger counts per UTC day: the week's seven days, Monday to Sunday.
        engagement = self.engagement.report(Period(week.first_day, week.first_day + timedelta(days=6)), "team")
        return WeekData(
            week=week, channels=channels, posts=posts, crisis=self.crisis.status(), mentions=mentions,
            previous_mentions=before, mentions_complete=complete, alerts=alerts, engagement=engagement,
            items_read={"mentions": read, "mentions_week_before": read_before, "posts": len(posts),
                        "post_metrics": sum(p.metrics is not None for p in measured.values()),
                        "channels": len(channels), "alerts": len(alerts),
                        "engagement_rows": len(engagement.rows)})

    def _mentions(self, start: datetime, end: datetime, now: datetime,
                  budget: int) -> tuple[list[MentionRecord], int, bool]:
        query = InboxQuery(STATUSES, since=start, until=end, oldest_first=True)
        found: list[MentionRecord] = []
        read = 0
        cursor: str | None = None
        while True:
            page = self.mentions.page(query, now, PAGE, cursor)
            found += page.items
            read += page.items_read
            cursor = page.next_cursor
            if cursor is None or len(found) >= budget:
                return found, read, cursor is None

    def _mail_once(self, report: WeeklyReport, html_key: str, now: datetime) -> bool:
        name = f"report#weekly#{report.week}"
        claim = {"mailed_at": timing.iso_utc(now), "build": secrets.token_hex(8)}  # this build's, whatever the clock
        if self.mail_log.remember(name, claim, int((now + MAIL_KEPT).timestamp())) != claim:
            return False  # mailed by an earlier build
        link = self.files.link(html_key, LINK_DAYS * 24 * 3600)
        try:
            subject, text = rules.render_email(report, link, LINK_DAYS)
            self.mailer.send(subject, text, written_in="en",
                             translations={"nl": Texts(*rules.render_email(report, link, LINK_DAYS, "nl"))},
                             team="report", kind="report")
        except Exception:
            self.mail_log.delete(name)  # not sent: the next build (the schedule's retry) sends it
            raise
        return True

    # ------------------------------------------------------------------ read
    def stored(self, week: Week) -> WeeklyReport:
        body = self.files.get(keys(week.name)[0])
        if body is None:
            raise NotFound(f"the weekly report for {week.name} has not been built yet; it is built on Monday "
                           "morning for the week before (a master can build it now with POST /reports/weekly/build)")
        return WeeklyReport.model_validate_json(body)

    def page(self, week: Week) -> str:
        body = self.files.get(keys(week.name)[1])
        if body is None:
            raise NotFound(f"the weekly report for {week.name} has not been built yet")
        return body

    # ------------------------------------------------------------------ export
    def mentions_export(self, start: str, end: str) -> tuple[list[MentionRecord], datetime, datetime]:
        since = timing.parse_bound(start, self.timezone, "from")
        until = timing.parse_bound(end, self.timezone, "to")
        if until <= since:
            raise ValidationError("to", "must be after 'from' (from is included, to is not)")
        if until - since > timedelta(days=MAX_EXPORT_DAYS):
            raise ValidationError("to", f"an export covers at most {MAX_EXPORT_DAYS} days")
        found, _, complete = self._mentions(since, until, self.clock(), MAX_EXPORT_MENTIONS)
        if not complete:
            raise ValidationError("to", f"the period holds more than {MAX_EXPORT_MENTIONS} mentions: export a shorter "
                                        "one")
        return found, since, until
