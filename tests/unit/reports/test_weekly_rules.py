"""The weekly report's rules without AWS: weeks, aggregation against the week before, medians, the striking mentions,
and the page: self-contained, every chart with a table of the same numbers."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.advocacy.engagement.schemas import EngagementReport, Row, Tally
from chorus.calendar.schemas import Channel, Post, Status
from chorus.core import time as timing
from chorus.core.errors import ValidationError
from chorus.listening.schemas import Alert, MentionRecord, Subscription, SubscriptionIn
from chorus.publishing.metrics.schemas import MetricTotals, PostMetrics
from chorus.publishing.schemas import Delivery
from chorus.reports import rules
from chorus.reports.rules import WeekData

NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # Monday 08:00 in Amsterdam
WEEK = rules.parse_week(None, NOW, "Europe/Amsterdam")


def at(days: float, hours: float = 12) -> str:
    return timing.iso_utc(WEEK.start + timedelta(days=days, hours=hours))


def mention(n: int, *, days: float = 1, intent: str = "other", sentiment: float = 0.0, reach: int = 10,
            teams: tuple[str, ...] = (), status: str = "new", facet: str | None = "brand", language: str = "nl",
            platform: str = "x", first_response_minutes: int | None = None, conversation: str | None = None,
            likes: int = 0, url: str | None = "https://x.com/a/status/1") -> MentionRecord:
    received = at(days)
    first = None
    if first_response_minutes is not None:
        first = timing.iso_utc(timing.from_iso_utc(received) + timedelta(minutes=first_response_minutes))
    return MentionRecord(
        id=f"m{n}", platform=platform, platform_id=str(n), text=f"mention {n}", url=url, author_handle=f"user{n}",
        created_at=received, received_at=received, language=language, intent=intent, sentiment=sentiment,
        complaint_score=0.9 if intent == "complaint" else 0.1, reach=reach, facet=facet,
        conversation=conversation or f"c{n}", teams=list(teams), status=status,  # type: ignore[arg-type]
        first_response_at=first,
        likes=likes, expires_at=2_000_000_000)


def alert(n: int, team: str, ack_minutes: int | None, escalated_to: tuple[str, ...] = ()) -> Alert:
    created = at(1)
    acked = (timing.iso_utc(timing.from_iso_utc(created) + timedelta(minutes=ack_minutes))
             if ack_minutes is not None else None)
    return Alert(id=f"a{n}", team=team, severity="medium", reason="r", intent="complaint", language="nl",
                 platform="x", mention_id=f"m{n}", conversation=f"c{n}", author_handle="u", excerpt="e",
                 created_at=created, acknowledged_at=acked, status="acknowledged" if acked else "open",
                 escalated_to=list(escalated_to), expires_at=2_000_000_000)


def post(n: int, status: Status, channels: dict[str, str], engagements: int | None = None,
         reply: bool = False) -> Post:
    metrics = None
    if engagements is not None:
        metrics = PostMetrics(channels={}, read_at=at(2), totals=MetricTotals(
            replies=0, reposts=0, likes=engagements, quotes=0, engagements=engagements, impressions=None,
            link_clicks=None))
    fields: dict[str, Any] = {}
    if reply:
        fields["reply_to"] = {"mention_id": "m1", "platform_id": "1", "author_handle": "u"}
    return Post(id=f"p{n}", text=f"post {n}", channels=list(channels), publish_at=at(n % 7), author="ed",
                status=status, deliveries={c: Delivery(status=s) for c, s in channels.items()},  # type: ignore[arg-type]
                metrics=metrics, created_at=at(0), updated_at=at(0), **fields)


CHANNELS = [Channel(id="masto", platform="mastodon", handle="@org", cadence_per_week=2),
            Channel(id="sky", platform="bluesky", handle="org.bsky.social", cadence_per_week=3)]


def data(mentions: list[MentionRecord] | None = None, previous: list[MentionRecord] | None = None,
         posts: list[Post] | None = None, alerts: list[Alert] | None = None,
         engagement: EngagementReport | None = None, crisis: dict[str, Any] | None = None) -> WeekData:
    return WeekData(week=WEEK, channels=CHANNELS, posts=posts or [], crisis=crisis or {"active": False},
                    mentions=mentions or [], previous_mentions=previous or [], mentions_complete=True,
                    alerts=alerts or [], engagement=engagement)


# ---------------------------------------------------------------------------------------------- weeks
def test_last_week_by_default_bounded_by_local_midnights() -> None:
    assert WEEK.name == "2026-W49"
    assert WEEK.start == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)  # Monday 30 November 00:00 in Amsterdam
    assert WEEK.end == datetime(2026, 12, 6, 23, 0, tzinfo=UTC)
    assert WEEK.previous.name == "2026-W48" and WEEK.previous.end == WEEK.start


def test_a_week_across_the_summer_time_change_is_167_hours() -> None:
    week = rules.parse_week("2026-W13", NOW, "Europe/Amsterdam")  # ends Sunday 29 March (clocks go forward)
    assert week.end - week.start == timedelta(hours=167)


@pytest.mark.parametrize("value", ["2026-49", "2026-W54", "W49", "2026-w49x"])
def test_a_week_that_is_not_an_iso_week_is_refused_naming_the_field(value: str) -> None:
    with pytest.raises(ValidationError) as refused:
        rules.parse_week(value, NOW, "Europe/Amsterdam")
    assert refused.value.field == "week"


def test_week_53_exists_only_in_long_years() -> None:
    assert rules.parse_week("2026-W53", NOW, "Europe/Amsterdam").first_day == date(2026, 12, 28)
    with pytest.raises(ValidationError):
        rules.parse_week("2025-W53", NOW, "Europe/Amsterdam")


# ---------------------------------------------------------------------------------------------- aggregation
def test_mentions_by_each_dimension_with_the_change_against_the_week_before() -> None:
    current = [mention(1, intent="complaint", sentiment=-0.6), mention(2, intent="praise", sentiment=0.7),
               mention(3, intent="praise", sentiment=0.5, language="en", platform="mastodon", facet=None)]
    previous = [mention(9, intent="complaint", sentiment=-0.5), mention(8, intent="complaint")]
    week = rules.mentions_week(current, previous, complete=True)
    intents = {c.key: (c.count, c.previous, c.change) for c in week.by_intent}
    assert intents == {"complaint": (1, 2, -1), "question": (0, 0, 0), "praise": (2, 0, 2), "other": (0, 0, 0)}
    assert [c.key for c in week.by_sentiment] == ["negative", "neutral", "positive"]
    assert {c.key: c.count for c in week.by_sentiment} == {"negative": 1, "neutral": 0, "positive": 2}
    assert {c.key: c.change for c in week.by_language} == {"nl": 0, "en": 1}
    assert {c.key: c.count for c in week.by_facet}["none"] == 1
    assert {c.key: c.count for c in week.by_platform} == {"x": 2, "mastodon": 1}
    assert (week.total, week.previous_total) == (3, 2)


def test_median_of_an_even_count_is_the_middle_of_the_two_and_none_without_values() -> None:
    assert rules.median_seconds([60, 600, 120, 300]) == 210
    assert rules.median_seconds([5]) == 5
    assert rules.median_seconds([]) is None


def test_complaints_routed_to_care_and_pr_with_median_times_and_still_open() -> None:
    complaints = [mention(1, intent="complaint", teams=("care",), status="responded", first_response_minutes=30),
                  mention(2, intent="complaint", teams=("care", "pr"), status="assigned"),
                  mention(3, intent="complaint", teams=("care",), status="resolved", first_response_minutes=90),
                  mention(4, intent="praise", teams=("marketing",))]
    alerts = [alert(1, "care", 10), alert(2, "care", 20), alert(3, "care", None, escalated_to=("care-lead", "pr")),
              alert(4, "marketing", 1)]
    week = rules.complaints_week(complaints, alerts)
    assert (week.total, week.to_care, week.to_pr, week.alerts) == (3, 3, 2, 3)
    assert week.median_ack_seconds == 15 * 60  # marketing's alert is no complaint handling
    assert (week.answered, week.median_first_response_seconds, week.still_open) == (2, 60 * 60, 1)


def test_posts_per_channel_against_the_cadence_target_with_failures_holds_and_replies_apart() -> None:
    posts = [post(1, Status.PUBLISHED, {"masto": "published", "sky": "published"}),
             post(2, Status.PUBLISHED, {"masto": "published"}),
             post(3, Status.FAILED, {"sky": "failed"}),
             post(4, Status.HELD, {"sky": "pending"}),
             post(5, Status.PUBLISHED, {"masto": "published"}, reply=True)]
    week = rules.posts_week(posts, CHANNELS, {"active": False}, WEEK)
    rows = {r.channel: (r.published, r.target, r.failed, r.held, r.short) for r in week.channels}
    assert rows == {"masto": (2, 2, 0, 0, False), "sky": (1, 3, 1, 1, True)}
    assert (week.published, week.failed, week.held, week.replies) == (2, 1, 1, 1)


def test_a_crisis_hold_during_the_week_is_named_and_one_before_it_is_not() -> None:
    during: dict[str, Any] = {"active": False, "released_at": at(3), "released_by": "pr1",
              "previous": {"active": True, "since": at(2), "by": "pr1", "reason": "storing"}}
    assert "storing" in (rules.crisis_during(during, WEEK) or "")
    before = {**during, "released_at": timing.iso_utc(WEEK.start - timedelta(days=1)),
              "previous": {**during["previous"], "since": timing.iso_utc(WEEK.start - timedelta(days=2))}}
    assert rules.crisis_during(before, WEEK) is None
    assert rules.crisis_during({"active": True, "since": at(6), "by": "x", "reason": "r"}, WEEK)


def test_the_most_striking_mentions_weigh_reach_interactions_and_complaints_one_per_conversation() -> None:
    mentions = [mention(1, reach=1000), mention(2, reach=600, intent="complaint"),
                mention(3, reach=10, likes=200), mention(4, reach=5000, conversation="c2"),
                mention(5, reach=700, intent="praise"), mention(6, reach=1), mention(7, reach=2),
                mention(8, reach=3)]
    cards = rules.striking(mentions)
    # m4 (5000) beats m2 (1200) in conversation c2; then m3 (2010), m1 (1000), m5 (1050), m8
    assert [c.id for c in cards] == ["m4", "m3", "m5", "m1", "m8"]
    assert cards[1].interactions == 200 and "200 interactions" in cards[1].why
    assert cards[0].author == "@user4" and cards[0].url and cards[0].reach == 5000


def test_best_posts_rank_by_engagements_and_skip_posts_without_metrics() -> None:
    posts = [post(1, Status.PUBLISHED, {"masto": "published"}, 5), post(2, Status.PUBLISHED, {"sky": "published"}, 40),
             post(3, Status.PUBLISHED, {"sky": "published"})]
    assert [(p.id, p.engagements) for p in rules.best_posts(posts)] == [("p2", 40), ("p1", 5)]


def test_ambassadors_totals_and_the_most_active_teams() -> None:
    rows = [Row(key=team, people=3, active_people=n, shares=n, clicks=n * 2) for team, n in
            (("sales", 4), ("hr", 0), ("it", 2))]
    report = EngagementReport(start=date(2026, 11, 30), end=date(2026, 12, 7), by="team", rows=rows,
                              anonymous=Tally(), totals=Tally(shares=6, clicks=12, submissions_made=2, forwards=1,
                                                              shares_by_channel={"linkedin": 6}), inactive=[])
    week = rules.advocacy_week(report)
    assert (week.shares, week.clicks, week.submissions, week.conversations) == (6, 12, 2, 1)
    assert [t.team for t in week.teams] == ["sales", "it"]  # nobody active in hr


def test_successes_and_setbacks_are_one_line_each() -> None:
    report = rules.build(data(mentions=[mention(1, intent="complaint", teams=("care",))],
                              posts=[post(1, Status.PUBLISHED, {"masto": "published"}, 7),
                                     post(2, Status.FAILED, {"sky": "failed"})]), NOW)
    assert "\n" not in report.successes and "\n" not in report.setbacks
    assert "best post: 7 engagements" in report.successes
    assert "1 complaint still open" in report.setbacks and "1 post failed" in report.setbacks
    assert "2 channels fell short" in report.setbacks


# ---------------------------------------------------------------------------------------------- the page
class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.urls: list[str] = []
        self.tags: set[str] = set()
        self.bars: dict[str, list[int]] = {}
        self.cells: dict[str, list[list[str]]] = {}
        self.figure: str | None = None
        self.in_tbody = False
        self.row: list[str] | None = None
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.tags.add(tag)
        for name in ("href", "src", "action", "xlink:href"):
            if found.get(name):
                self.urls.append(str(found[name]))
        if tag == "figure":
            self.figure = str(found["id"])
            self.bars[self.figure], self.cells[self.figure] = [], []
        if tag == "rect" and self.figure:
            self.bars[self.figure].append(int(str(found["data-value"])))
        if tag == "tbody":
            self.in_tbody = True
        if tag == "tr" and self.in_tbody and self.figure:
            self.row = []
        if tag in ("td", "th"):
            self.text = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure":
            self.figure = None
        if tag == "tbody":
            self.in_tbody = False
        if tag in ("td", "th") and self.row is not None:
            self.row.append(self.text.strip())
        if tag == "tr" and self.row is not None and self.figure:
            self.cells[self.figure].append(self.row)
            self.row = None

    def handle_data(self, data: str) -> None:
        self.text += data


def test_the_page_is_self_contained_and_each_chart_has_a_table_with_the_same_numbers() -> None:
    mentions = [mention(n, intent="complaint" if n % 3 == 0 else "praise", sentiment=-0.5 if n % 3 == 0 else 0.5,
                        reach=100 * n, url=f"https://x.com/u{n}/status/{n}", teams=("care",) if n % 3 == 0 else ())
                for n in range(1, 10)]
    previous = [mention(20 + n) for n in range(4)]
    rows = [Row(key="sales", people=2, active_people=2, shares=3, clicks=1)]
    engagement = EngagementReport(start=date(2026, 11, 30), end=date(2026, 12, 7), by="team", rows=rows,
                                  anonymous=Tally(), totals=Tally(shares=3, shares_by_channel={"linkedin": 3}),
                                  inactive=[])
    report = rules.build(data(mentions, previous, [post(1, Status.PUBLISHED, {"masto": "published"}, 9)],
                              engagement=engagement), NOW)
    page = rules.render_html(report)
    parsed = Page()
    parsed.feed(page)

    card_links = {c.url for c in report.striking}
    assert parsed.urls and set(parsed.urls) <= card_links  # the only links are the mentions' own
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) <= card_links  # no stylesheet, font or namespace URL either
    assert not parsed.tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert "url(" not in page and "@import" not in page

    assert set(parsed.bars) >= {"posts-per-channel", "by-facet", "by-intent", "by-sentiment", "by-language",
                                "by-platform", "shares-per-channel", "active-teams"}
    for chart, values in parsed.bars.items():
        table = parsed.cells[chart]
        assert [int(row[1]) for row in table] == values, chart
    intent_rows = {row[0]: row[1:] for row in parsed.cells["by-intent"]}
    assert intent_rows["complaint"] == ["3", "0", "+3"] and intent_rows["other"] == ["0", "4", "-4"]
    assert len(report.striking) == 5 and page.count("class='card'") == 5


def test_text_people_wrote_is_escaped_on_the_page() -> None:
    evil = mention(1, reach=10_000).model_copy(update={"text": "<script>alert(1)</script>",
                                                       "author_handle": "\"><img src=x>"})
    page = rules.render_html(rules.build(data([evil]), NOW))
    assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page


def test_the_email_has_the_headline_numbers_and_the_link_in_both_languages() -> None:
    report = rules.build(data([mention(1, intent="complaint", teams=("care",))], [mention(2), mention(3)]), NOW)
    subject, body = rules.render_email(report, "https://s3.example/r.html?sig", 7)
    assert subject == "Chorus weekly report 2026-W49: 0 posts, 1 mentions (-1), 1 complaints"
    assert "https://s3.example/r.html?sig" in body and "still open: 1" in body
    subject_nl, body_nl = rules.render_email(report, "https://s3.example/r.html?sig", 7, "nl")
    assert subject_nl.startswith("Chorus weekrapport 2026-W49") and "nog open: 1" in body_nl


def test_mentions_csv_keeps_formulas_as_text() -> None:
    risky = mention(1).model_copy(update={"text": "=HYPERLINK(\"http://evil\")", "author_handle": "@someone"})
    lines = rules.mentions_csv([risky]).splitlines()
    assert lines[0].startswith("received_at,created_at,platform,author")
    assert "'=HYPERLINK" in lines[1] and "'@someone" in lines[1]


# ---------------------------------------------------------------------------------------------- the report team
def test_report_subscribers_get_the_report_only_and_by_email_only() -> None:
    subscription = Subscription(id="s", name="Meeting", team="report", protocol="email", endpoint="m@example.org",
                                min_severity="low", created_by="m", created_at=at(0))
    assert subscription.filter_policy() == {"team": ["report"], "kind": ["report"],
                                            "locale": [{"exists": False}, "nl"]}
    with pytest.raises(ValueError, match="email only"):
        SubscriptionIn(name="Meeting", team="report", protocol="sms", endpoint="+31612345678")


@given(st.dates(min_value=date(2000, 1, 3), max_value=date(2099, 12, 28)),
       st.sampled_from(["Europe/Amsterdam", "UTC", "America/New_York", "Pacific/Auckland"]))
def test_every_day_falls_in_its_week_whose_name_reads_back_to_the_same_week(day: date, tz_name: str) -> None:
    week = rules.week_of(day, tz_name)
    zone = timing.zone(tz_name)
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=zone)
    assert week.start <= noon < week.end and week.first_day.weekday() == 0
    assert rules.parse_week(week.name, NOW, tz_name) == week
    assert week.previous.end == week.start and timedelta(hours=166) <= week.end - week.start <= timedelta(hours=170)
