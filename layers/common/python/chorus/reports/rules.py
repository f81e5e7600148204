"""The weekly report for the team's meeting (seed 004 steps 6 and 7: numbers, and the striking examples themselves;
successes and setbacks both). Pure: everything read is passed in as plain data, and so is `now`.

- A week is an ISO week (`2026-W49`), Monday 00:00 to the next Monday 00:00 in the organisation's time zone.
- Posts: per channel, what was published against its cadence target, what failed and what is held.
- Mentions: by facet, intent, sentiment, language and platform, each with the week before beside it.
- Complaints: routed to care and to PR, the median time to acknowledge (alerts) and to the first answer (mentions),
  and how many are still open.
- Ambassadors: the engagement ledger's totals for the week and the most active teams.
- The five most striking mentions (see `striking`) and the best-performing posts (by engagements).
- The page is one self-contained HTML file: inline CSS, charts as inline SVG each with a table of the same numbers,
  no scripts, fonts or images from elsewhere; the only links are the mentions' own."""
from __future__ import annotations

import csv
import html
import io
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from chorus.advocacy.engagement.schemas import EngagementReport
from chorus.calendar.schemas import Channel, Post, Status
from chorus.core import text as text_rules
from chorus.core import time as timing
from chorus.core.errors import ValidationError
from chorus.listening.schemas import Alert, MentionRecord
from chorus.reports.schemas import (
    AdvocacyWeek,
    ChannelWeek,
    ComplaintsWeek,
    Count,
    MentionCard,
    MentionsWeek,
    PostsWeek,
    TeamActivity,
    TopPost,
    WeeklyReport,
)

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
STRIKING = 5
BEST_POSTS = 5
TOP_TEAMS = 5
NEGATIVE, POSITIVE = -0.2, 0.2
SENTIMENTS = ("negative", "neutral", "positive")
CARE_TEAMS = frozenset({"care", "care-lead", "pr"})


# ---------------------------------------------------------------------------------------------- weeks
@dataclass(frozen=True)
class Week:
    name: str  # 2026-W49
    start: datetime  # UTC: Monday 00:00 local
    end: datetime  # UTC: the next Monday 00:00 local (not included)
    first_day: date  # the Monday (local)
    timezone: str

    @property
    def previous(self) -> Week:
        return week_of(self.first_day - timedelta(days=7), self.timezone)


def week_of(day: date, tz_name: str) -> Week:
    """The ISO week `day` falls in, with its bounds in `tz_name`."""
    year, number, weekday = day.isocalendar()
    monday = day - timedelta(days=weekday - 1)
    zone = timing.zone(tz_name)
    start = datetime(monday.year, monday.month, monday.day, tzinfo=zone)
    following = monday + timedelta(days=7)
    end = datetime(following.year, following.month, following.day, tzinfo=zone)
    return Week(f"{year:04d}-W{number:02d}", start.astimezone(UTC), end.astimezone(UTC), monday, tz_name)


def parse_week(value: str | None, now: datetime, tz_name: str, field_name: str = "week") -> Week:
    """`2026-W49`, or by default the last complete week (the one before the week of `now`, in `tz_name`)."""
    today = now.astimezone(timing.zone(tz_name)).date()
    if value is None or not value.strip():
        return week_of(today - timedelta(days=7), tz_name)
    found = WEEK.match(value.strip())
    if not found:
        raise ValidationError(field_name, "must be an ISO week such as 2026-W49")
    try:
        monday = date.fromisocalendar(int(found.group(1)), int(found.group(2)), 1)
    except ValueError:
        raise ValidationError(field_name, f"{value.strip()} is not a week of that year") from None
    return week_of(monday, tz_name)


# ---------------------------------------------------------------------------------------------- what was read
@dataclass
class WeekData:
    """Everything a report is built from, as read by chorus.reports.service."""

    week: Week
    channels: list[Channel]
    posts: list[Post]  # planned in the week (publish_at in it), with their metrics where read
    crisis: dict[str, Any]
    mentions: list[MentionRecord]
    previous_mentions: list[MentionRecord]
    mentions_complete: bool
    alerts: list[Alert]  # created in the week
    engagement: EngagementReport | None
    items_read: dict[str, int] = field(default_factory=dict)


def median_seconds(values: Iterable[float]) -> int | None:
    found = sorted(values)
    return int(statistics.median(found)) if found else None


def sentiment_band(sentiment: float) -> str:
    return "negative" if sentiment < NEGATIVE else "positive" if sentiment > POSITIVE else "neutral"


def compare(current: Counter[str], previous: Counter[str], keys: Sequence[str] = ()) -> list[Count]:
    """Each key with this week's count, the week before's and the change; the given keys first, in their order,
    then the others by count."""
    rest = sorted((set(current) | set(previous)) - set(keys), key=lambda k: (-current[k], -previous[k], k))
    ordered = [*keys, *rest]
    return [Count(key=k, count=current[k], previous=previous[k], change=current[k] - previous[k]) for k in ordered]


def _counts(mentions: Sequence[MentionRecord], of: Any) -> Counter[str]:
    return Counter(of(m) for m in mentions)


def mentions_week(current: Sequence[MentionRecord], previous: Sequence[MentionRecord], complete: bool) -> MentionsWeek:
    def both(of: Any, keys: Sequence[str] = ()) -> list[Count]:
        return compare(_counts(current, of), _counts(previous, of), keys)

    return MentionsWeek(
        total=len(current), previous_total=len(previous),
        by_facet=both(lambda m: m.facet or "none", ("brand", "company", "employees")),
        by_intent=both(lambda m: m.intent, ("complaint", "question", "praise", "other")),
        by_sentiment=both(lambda m: sentiment_band(m.sentiment), SENTIMENTS),
        by_language=both(lambda m: m.language, ("nl", "en")),
        by_platform=both(lambda m: m.platform),
        complete=complete)


def complaints_week(mentions: Sequence[MentionRecord], alerts: Sequence[Alert]) -> ComplaintsWeek:
    complaints = [m for m in mentions if m.intent == "complaint"]
    team_alerts = [a for a in alerts if a.team in CARE_TEAMS]
    acknowledged = [(timing.from_iso_utc(a.acknowledged_at) - timing.from_iso_utc(a.created_at)).total_seconds()
                    for a in team_alerts if a.acknowledged_at]
    answered = [m.first_response_seconds for m in complaints if m.first_response_seconds is not None]
    return ComplaintsWeek(
        total=len(complaints),
        to_care=sum("care" in m.teams or "care-lead" in m.teams for m in complaints),
        to_pr=sum("pr" in m.teams for m in complaints) + sum(
            "pr" in a.escalated_to and "pr" not in m_teams for a, m_teams in _alert_mentions(team_alerts, complaints)),
        alerts=len(team_alerts),
        median_ack_seconds=median_seconds(acknowledged),
        answered=len(answered),
        median_first_response_seconds=median_seconds(answered),
        still_open=sum(m.status in ("new", "assigned") for m in complaints))


def _alert_mentions(alerts: Sequence[Alert], complaints: Sequence[MentionRecord]) -> list[tuple[Alert, list[str]]]:
    """Alerts on the week's complaints that escalated to PR, with the teams the complaint was routed to (a complaint
    escalated to PR counts for PR once)."""
    by_id = {m.id: m.teams for m in complaints}
    seen: set[str] = set()
    found = []
    for alert in alerts:
        if alert.mention_id in by_id and alert.mention_id not in seen and "pr" in alert.escalated_to:
            seen.add(alert.mention_id)
            found.append((alert, by_id[alert.mention_id]))
    return found


def posts_week(posts: Sequence[Post], channels: Sequence[Channel], crisis: dict[str, Any], week: Week) -> PostsWeek:
    planned = [p for p in posts if p.reply_to is None]
    per_channel: dict[str, Counter[str]] = {c.id: Counter() for c in channels}
    for post in planned:
        for channel in post.channels:
            state = delivery.status if (delivery := post.deliveries.get(channel)) is not None else None
            outcome = ("published" if state == "published" else
                       "failed" if state == "failed" or post.status == Status.FAILED else
                       "held" if post.status == Status.HELD else None)
            if outcome:
                per_channel.setdefault(channel, Counter())[outcome] += 1
    known = {c.id: c for c in channels}
    rows = []
    for channel_id, counted in per_channel.items():
        found = known.get(channel_id)
        rows.append(ChannelWeek(channel=channel_id, platform=found.platform if found else "?",
                                handle=found.handle if found else "(removed)", published=counted["published"],
                                target=found.cadence_per_week if found else 0, failed=counted["failed"],
                                held=counted["held"]))
    return PostsWeek(
        channels=sorted(rows, key=lambda r: r.channel),
        published=sum(p.status == Status.PUBLISHED for p in planned),
        failed=sum(p.status == Status.FAILED or any(d.status == "failed" for d in p.deliveries.values())
                   for p in planned),
        held=sum(p.status == Status.HELD for p in planned),
        replies=sum(p.reply_to is not None and p.status == Status.PUBLISHED for p in posts),
        crisis_hold=crisis_during(crisis, week))


def crisis_during(crisis: dict[str, Any], week: Week) -> str | None:
    """The crisis hold as one line when it was on during the week (the state keeps the current or the last hold)."""
    start, end = timing.iso_utc(week.start), timing.iso_utc(week.end)
    if crisis.get("active") and crisis.get("since", "") < end:
        return f"on since {crisis['since']} ({crisis.get('reason') or 'no reason given'}), by {crisis.get('by')}"
    previous = crisis.get("previous") or {}
    released = crisis.get("released_at")
    if previous.get("since") and released and previous["since"] < end and released >= start:
        return (f"on from {previous['since']} to {released} ({previous.get('reason') or 'no reason given'}), "
                f"released by {crisis.get('released_by')}")
    return None


def advocacy_week(report: EngagementReport | None) -> AdvocacyWeek:
    if report is None:
        return AdvocacyWeek(submissions=0, accepted=0, shares=0, shares_by_channel={}, clicks=0, conversations=0,
                            teams=[])
    totals = report.totals
    teams = sorted((row for row in report.rows if row.score > 0), key=lambda r: (-r.score, r.key))[:TOP_TEAMS]
    return AdvocacyWeek(
        submissions=totals.submissions_made, accepted=totals.submissions_accepted, shares=totals.shares,
        shares_by_channel=dict(sorted(totals.shares_by_channel.items())), clicks=totals.clicks,
        conversations=totals.conversation,
        teams=[TeamActivity(team=r.key, score=r.score, active_people=r.active_people, people=r.people, shares=r.shares,
                            contribution=r.contribution, conversation=r.conversation) for r in teams])


def interactions(mention: MentionRecord) -> int:
    return mention.replies + mention.reposts + mention.likes


def striking_score(mention: MentionRecord) -> float:
    """How much a mention stands out for the meeting: the people it reached plus ten per interaction, doubled for a
    complaint or a clearly negative mention (seed 004: the print of a complaining tweet), and half again for praise
    (a success to show)."""
    base = mention.reach + 10 * interactions(mention)
    if mention.intent == "complaint" or mention.sentiment < NEGATIVE:
        return base * 2.0
    if mention.intent == "praise":
        return base * 1.5
    return float(base)


def striking(mentions: Sequence[MentionRecord], limit: int = STRIKING) -> list[MentionCard]:
    """The most striking mentions, one per conversation, highest score first (ties: the earliest)."""
    chosen: list[MentionRecord] = []
    conversations: set[str] = set()
    for mention in sorted(mentions, key=lambda m: (-striking_score(m), m.received_at, m.id)):
        if mention.conversation in conversations:
            continue
        conversations.add(mention.conversation)
        chosen.append(mention)
        if len(chosen) == limit:
            break
    return [MentionCard(
        id=m.id, author=f"@{m.author_handle.lstrip('@')}", author_name=m.author_name, text=m.text, url=m.url,
        platform=m.platform, language=m.language, intent=m.intent, sentiment=m.sentiment, reach=m.reach,
        interactions=interactions(m), received_at=m.received_at, why=_why(m)) for m in chosen]


def _why(mention: MentionRecord) -> str:
    reasons = [mention.intent if mention.intent != "other" else "mention", f"reach {mention.reach:,}"]
    if interactions(mention):
        reasons.append(f"{interactions(mention):,} interactions")
    if mention.sentiment < NEGATIVE:
        reasons.append("negative")
    return ", ".join(reasons)


def best_posts(posts: Sequence[Post], limit: int = BEST_POSTS) -> list[TopPost]:
    measured = [p for p in posts if p.metrics is not None and p.reply_to is None]
    ranked = sorted(measured, key=lambda p: (-p.metrics.totals.engagements if p.metrics else 0, p.publish_at or ""))
    return [TopPost(id=p.id, text=p.text, channels=p.channels, publish_at=p.publish_at,
                    engagements=p.metrics.totals.engagements, replies=p.metrics.totals.replies,
                    reposts=p.metrics.totals.reposts, likes=p.metrics.totals.likes,
                    impressions=p.metrics.totals.impressions, link_clicks=p.metrics.totals.link_clicks)
            for p in ranked[:limit] if p.metrics is not None]


def successes_and_setbacks(posts: PostsWeek, mentions: MentionsWeek, complaints: ComplaintsWeek,
                           advocacy: AdvocacyWeek, best: Sequence[TopPost]) -> tuple[str, str]:
    """One line each, from the numbers (the meeting adds its own)."""
    good, bad = [], []
    targeted = [c for c in posts.channels if c.target]
    met = [c for c in targeted if not c.short]
    if targeted and len(met) == len(targeted):
        good.append(f"every channel met its cadence target ({len(targeted)})")
    elif targeted:
        short = [c.channel for c in targeted if c.short]
        bad.append(f"{len(short)} of {len(targeted)} channels fell short of their cadence ({', '.join(short)})")
    praise = next(c for c in mentions.by_intent if c.key == "praise")
    complaint = next(c for c in mentions.by_intent if c.key == "complaint")
    if praise.count and praise.change > 0:
        good.append(f"praise up {praise.change} to {praise.count}")
    if complaint.change < 0:
        good.append(f"complaints down {-complaint.change} to {complaint.count}")
    elif complaint.change > 0:
        bad.append(f"complaints up {complaint.change} to {complaint.count}")
    if complaints.total and complaints.still_open == 0:
        good.append("every complaint of the week was picked up")
    elif complaints.still_open:
        bad.append(f"{complaints.still_open} complaint{'s' if complaints.still_open > 1 else ''} still open")
    if best:
        good.append(f"best post: {best[0].engagements} engagements (\"{_short(best[0].text, 50)}\")")
    if advocacy.shares:
        good.append(f"{advocacy.shares} shares by employees")
    if posts.failed:
        bad.append(f"{posts.failed} post{'s' if posts.failed > 1 else ''} failed to publish")
    if posts.held:
        bad.append(f"{posts.held} post{'s' if posts.held > 1 else ''} held")
    if posts.crisis_hold:
        bad.append("the crisis hold was on")
    return ("; ".join(good) or "nothing stood out"), ("; ".join(bad) or "none")


def build(data: WeekData, now: datetime) -> WeeklyReport:
    posts = posts_week(data.posts, data.channels, data.crisis, data.week)
    mentions = mentions_week(data.mentions, data.previous_mentions, data.mentions_complete)
    complaints = complaints_week(data.mentions, data.alerts)
    advocacy = advocacy_week(data.engagement)
    best = best_posts([p for p in data.posts if p.status == Status.PUBLISHED])
    good, bad = successes_and_setbacks(posts, mentions, complaints, advocacy, best)
    return WeeklyReport(
        week=data.week.name, start=timing.iso_utc(data.week.start), end=timing.iso_utc(data.week.end),
        timezone=data.week.timezone, built_at=timing.iso_utc(now), posts=posts, mentions=mentions,
        complaints=complaints, advocacy=advocacy, striking=striking(data.mentions), best_posts=best,
        successes=good, setbacks=bad, items_read=dict(data.items_read))


# ---------------------------------------------------------------------------------------------- the page
def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def duration(seconds: int | None) -> str:
    if seconds is None:
        return "–"
    minutes = seconds // 60
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days} d {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def signed(value: int) -> str:
    return f"+{value}" if value > 0 else str(value)


BAR_WIDTH = 320
LABEL_WIDTH = 140
ROW = 22


def bar_chart(chart_id: str, caption: str, rows: Sequence[tuple[str, int]],
              previous: Sequence[int] | None = None) -> str:
    """A horizontal bar chart as inline SVG, followed by a table with the same numbers (and the week before, when
    given): the table is what screen readers and spreadsheets use, the chart what the meeting looks at."""
    if not rows:
        return (f'<figure class="chart" id="{chart_id}"><figcaption id="{chart_id}-caption">{_e(caption)}'
                "</figcaption><p>None this week.</p></figure>")
    largest = max([1, *(v for _, v in rows), *(previous or [])])
    height = ROW * max(1, len(rows)) + 4
    width = LABEL_WIDTH + BAR_WIDTH + 60
    bars = []
    for n, (label, value) in enumerate(rows):
        y = n * ROW + 2
        length = round(BAR_WIDTH * value / largest)
        bars.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 15}" text-anchor="end">{_e(_short(label, 22))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 3}" width="{length}" height="{ROW - 8}" class="bar" '
            f'data-value="{value}"><title>{_e(label)}: {value}</title></rect>'
            f'<text x="{LABEL_WIDTH + length + 6}" y="{y + 15}" class="value">{value}</text>')
        if previous is not None:
            before = round(BAR_WIDTH * previous[n] / largest)
            bars.append(f'<line x1="{LABEL_WIDTH + before}" x2="{LABEL_WIDTH + before}" y1="{y + 1}" '
                        f'y2="{y + ROW - 3}" class="previous"><title>the week before: {previous[n]}</title></line>')
    svg = (f'<svg role="img" aria-labelledby="{chart_id}-caption" viewBox="0 0 {width} {height}" width="{width}" '
           f'height="{height}">{"".join(bars)}</svg>')
    head = "<th scope='col'>count</th>" + ("<th scope='col'>week before</th><th scope='col'>change</th>"
                                           if previous is not None else "")
    body = "".join(
        f"<tr><th scope='row'>{_e(label)}</th><td>{value}</td>"
        + (f"<td>{previous[n]}</td><td>{signed(value - previous[n])}</td>" if previous is not None else "")
        + "</tr>" for n, (label, value) in enumerate(rows))
    return (f'<figure class="chart" id="{chart_id}"><figcaption id="{chart_id}-caption">{_e(caption)}'
            f'</figcaption>{svg}<table><thead><tr><th scope="col">{_e(caption)}</th>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></figure>")


def _compare_chart(chart_id: str, caption: str, counts: Sequence[Count]) -> str:
    return bar_chart(chart_id, caption, [(c.key, c.count) for c in counts], [c.previous for c in counts])


STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1f;margin:2rem auto;
max-width:60rem;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .2rem}h2{font-size:1.2rem;margin:2rem 0 .6rem;border-bottom:2px solid #2c4a7a}
.lede{color:#444}.headline{display:flex;flex-wrap:wrap;gap:.8rem;padding:0;list-style:none}
.headline li{border:1px solid #bbb;border-radius:6px;padding:.5rem .8rem;min-width:8rem}
.headline strong{display:block;font-size:1.5rem}
table{border-collapse:collapse;margin:.4rem 0 1rem;font-size:.9rem}th,td{border:1px solid #ccc;padding:.2rem .5rem;
text-align:left}td{text-align:right}caption,figcaption{font-weight:600;text-align:left}
svg{max-width:100%;height:auto;display:block}
svg text{font-size:12px;fill:#1b1b1f}svg .bar{fill:#2c4a7a}svg .previous{stroke:#c0392b;stroke-width:2}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(24rem,1fr));gap:1rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(16rem,1fr));gap:.8rem}
.card{border:1px solid #999;border-radius:8px;padding:.7rem .9rem;break-inside:avoid}
.card blockquote{margin:.4rem 0;white-space:pre-wrap}.card .meta{color:#444;font-size:.85rem}
.short{color:#a02818;font-weight:600}.ok{color:#1e6b34}
.lines p{margin:.3rem 0}
@page{size:A4;margin:14mm}
@media print{body{margin:0;max-width:none;font-size:11pt}h2{break-after:avoid}figure,table,.card{break-inside:avoid}
a{color:inherit}}
"""


def render_html(report: WeeklyReport) -> str:
    """The report as one self-contained page (A4 when printed)."""
    zone = timing.zone(report.timezone)
    first = timing.from_iso_utc(report.start).astimezone(zone).date()
    last = first + timedelta(days=6)
    m, c, p, a = report.mentions, report.complaints, report.posts, report.advocacy
    headline = [
        ("posts published", str(p.published)),
        ("mentions", f"{m.total}{'' if m.complete else '+'} ({signed(m.total - m.previous_total)})"),
        ("complaints", str(c.total)),
        ("median first answer", duration(c.median_first_response_seconds)),
        ("employee shares", str(a.shares)),
    ]
    parts = [
        "<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Chorus weekly report {_e(report.week)}</title><style>{STYLE}</style></head><body>",
        f"<header><h1>Weekly report {_e(report.week)}</h1>"
        f"<p class='lede'>Monday {first:%d %B %Y} to Sunday {last:%d %B %Y} ({_e(report.timezone)}); built "
        f"{timing.from_iso_utc(report.built_at).astimezone(zone):%d %B %Y %H:%M}.</p>",
        "<ul class='headline'>" + "".join(f"<li><strong>{_e(v)}</strong>{_e(k)}</li>" for k, v in headline) + "</ul>",
        f"<div class='lines'><p><strong>Successes:</strong> {_e(report.successes)}</p>"
        f"<p><strong>Setbacks:</strong> {_e(report.setbacks)}</p></div></header>",
    ]

    # posts
    parts.append("<section><h2>Posts per channel</h2>")
    if p.crisis_hold:
        parts.append(f"<p class='short'>Crisis hold: {_e(p.crisis_hold)}</p>")
    rows = "".join(
        f"<tr><th scope='row'>{_e(r.channel)}</th><td>{_e(r.platform)}</td><td>{r.published}</td>"
        f"<td>{r.target or '–'}</td><td class='{'short' if r.short else 'ok'}'>"
        f"{'short' if r.short else ('met' if r.target else '–')}</td><td>{r.failed}</td><td>{r.held}</td></tr>"
        for r in p.channels)
    parts.append(bar_chart("posts-per-channel", "published per channel",
                           [(r.channel, r.published) for r in p.channels]))
    parts.append("<table><thead><tr><th scope='col'>channel</th><th scope='col'>platform</th>"
                 "<th scope='col'>published</th><th scope='col'>target</th><th scope='col'>cadence</th>"
                 "<th scope='col'>failed</th><th scope='col'>held</th></tr></thead>"
                 f"<tbody>{rows}</tbody></table>")
    parts.append(f"<p>{p.published} posts published, {p.failed} failed, {p.held} held; {p.replies} replies to "
                 "mentions.</p></section>")

    # mentions
    parts.append(f"<section><h2>Mentions</h2><p>{m.total}{'' if m.complete else '+'} mentions, the week before "
                 f"{m.previous_total} ({signed(m.total - m.previous_total)}). The red mark on each bar is the week "
                 "before.</p>")
    if not m.complete:
        parts.append("<p class='short'>More mentions came in than one report reads: the counts are a lower "
                     "bound.</p>")
    parts.append("<div class='charts'>")
    for chart_id, caption, counts in (("by-facet", "facet", m.by_facet), ("by-intent", "intent", m.by_intent),
                                      ("by-sentiment", "sentiment", m.by_sentiment),
                                      ("by-language", "language", m.by_language),
                                      ("by-platform", "platform", m.by_platform)):
        parts.append(_compare_chart(chart_id, caption, counts))
    parts.append("</div></section>")

    # complaints
    parts.append(
        "<section><h2>Complaints</h2><table><tbody>"
        f"<tr><th scope='row'>complaints</th><td>{c.total}</td></tr>"
        f"<tr><th scope='row'>routed to care</th><td>{c.to_care}</td></tr>"
        f"<tr><th scope='row'>routed to PR</th><td>{c.to_pr}</td></tr>"
        f"<tr><th scope='row'>alerts raised</th><td>{c.alerts}</td></tr>"
        f"<tr><th scope='row'>median time to acknowledge</th><td>{duration(c.median_ack_seconds)}</td></tr>"
        f"<tr><th scope='row'>answered</th><td>{c.answered}</td></tr>"
        f"<tr><th scope='row'>median time to first answer</th>"
        f"<td>{duration(c.median_first_response_seconds)}</td></tr>"
        f"<tr><th scope='row'>still open</th><td>{c.still_open}</td></tr></tbody></table></section>")

    # ambassadors
    parts.append(
        "<section><h2>Ambassadors</h2><table><tbody>"
        f"<tr><th scope='row'>submissions</th><td>{a.submissions}</td></tr>"
        f"<tr><th scope='row'>accepted</th><td>{a.accepted}</td></tr>"
        f"<tr><th scope='row'>shares</th><td>{a.shares}</td></tr>"
        f"<tr><th scope='row'>clicks</th><td>{a.clicks}</td></tr>"
        f"<tr><th scope='row'>conversations</th><td>{a.conversations}</td></tr></tbody></table>")
    parts.append(bar_chart("shares-per-channel", "shares per channel", list(a.shares_by_channel.items())))
    if a.teams:
        parts.append(bar_chart("active-teams", "most active teams (score)", [(t.team, t.score) for t in a.teams]))
    parts.append("</section>")

    # striking mentions
    parts.append("<section><h2>Striking mentions</h2><div class='cards'>")
    for card in report.striking:
        author = _e(card.author) + (f" ({_e(card.author_name)})" if card.author_name else "")
        link = (f"<a href='{_e(card.url)}' rel='noopener noreferrer'>{_e(card.url)}</a>" if card.url
                else "no link")
        parts.append(
            f"<article class='card' lang='{_e(card.language)}'><p class='meta'><strong>{author}</strong> on "
            f"{_e(card.platform)} · reach {card.reach:,} · {_e(card.intent)}</p>"
            f"<blockquote>{_e(_short(card.text, 600))}</blockquote>"
            f"<p class='meta'>{link}</p><p class='meta'>Why: {_e(card.why)}; received {_e(card.received_at)}</p>"
            "</article>")
    if not report.striking:
        parts.append("<p>No mentions this week.</p>")
    parts.append("</div></section>")

    # best posts
    parts.append("<section><h2>Best-performing posts</h2>")
    if report.best_posts:
        parts.append("<table><thead><tr><th scope='col'>post</th><th scope='col'>channels</th>"
                     "<th scope='col'>engagements</th><th scope='col'>replies</th><th scope='col'>reposts</th>"
                     "<th scope='col'>likes</th><th scope='col'>impressions</th></tr></thead><tbody>" + "".join(
                         f"<tr><th scope='row'>{_e(_short(t.text, 90))}</th><td>{_e(', '.join(t.channels))}</td>"
                         f"<td>{t.engagements}</td><td>{t.replies}</td><td>{t.reposts}</td><td>{t.likes}</td>"
                         f"<td>{'–' if t.impressions is None else t.impressions}</td></tr>"
                         for t in report.best_posts) + "</tbody></table>")
    else:
        parts.append("<p>No metrics were read for this week's posts.</p>")
    parts.append("</section></body></html>")
    return "".join(parts)


# ---------------------------------------------------------------------------------------------- the email
EMAIL = {
    "en": {"subject": "Chorus weekly report {week}: {posts} posts, {mentions} mentions ({change}), {complaints} "
                      "complaints",
           "body": "The weekly report for {week} is ready.\n\nPosts published: {posts}\nMentions: {mentions} (the "
                   "week before: {previous})\nComplaints: {complaints}, still open: {open}\nMedian first answer: "
                   "{first}\nEmployee shares: {shares}\n\nSuccesses: {good}\nSetbacks: {bad}\n\nRead the report "
                   "(link valid for {days} days):\n{link}"},
    "nl": {"subject": "Chorus weekrapport {week}: {posts} berichten, {mentions} vermeldingen ({change}), "
                      "{complaints} klachten",
           "body": "Het weekrapport van {week} staat klaar.\n\nGepubliceerd: {posts}\nVermeldingen: {mentions} (de "
                   "week ervoor: {previous})\nKlachten: {complaints}, nog open: {open}\nMediane eerste reactie: "
                   "{first}\nGedeeld door medewerkers: {shares}\n\nSuccessen: {good}\nTegenvallers: {bad}\n\nLees "
                   "het rapport (de link werkt {days} dagen):\n{link}"},
}


def render_email(report: WeeklyReport, link: str, link_days: int, language: str = "en") -> tuple[str, str]:
    words = EMAIL[language]
    values = {"week": report.week, "posts": report.posts.published, "mentions": report.mentions.total,
              "previous": report.mentions.previous_total,
              "change": signed(report.mentions.total - report.mentions.previous_total),
              "complaints": report.complaints.total, "open": report.complaints.still_open,
              "first": duration(report.complaints.median_first_response_seconds), "shares": report.advocacy.shares,
              "good": report.successes, "bad": report.setbacks, "link": link, "days": link_days}
    return words["subject"].format(**values), words["body"].format(**values)


# ---------------------------------------------------------------------------------------------- mentions CSV
MENTION_COLUMNS = ("received_at", "created_at", "platform", "author", "followers", "language", "facet", "intent",
                   "sentiment", "complaint_score", "reach", "teams", "status", "first_response_seconds", "url", "text",
                   "id")


def mentions_csv(mentions: Sequence[MentionRecord]) -> str:
    """The period's mentions for a spreadsheet, oldest first; what people wrote never runs as a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(MENTION_COLUMNS)
    for m in sorted(mentions, key=lambda r: (r.received_at, r.id)):
        writer.writerow([m.received_at, m.created_at, m.platform, text_rules.spreadsheet_cell(m.author_handle),
                         "" if m.author_followers is None else m.author_followers, m.language, m.facet or "",
                         m.intent, f"{m.sentiment:.2f}", f"{m.complaint_score:.2f}", m.reach, " ".join(m.teams),
                         m.status, "" if m.first_response_seconds is None else m.first_response_seconds,
                         m.url or "", text_rules.spreadsheet_cell(m.text), m.id])
    return out.getvalue()
