"""When to read a published post's metrics again, and what a reading makes of what was stored (pure rules).

A post's engagement comes mostly in its first day and has almost stopped after a week, so a post is read often while
it is young and less often as it ages, for WINDOW after it was published (the weekly report of the week after still
gets settled numbers, and LinkedIn's slower tail is in):

  age of the post      read again after
  < 1 day              1 hour   (every hourly run)
  1 to 3 days          3 hours
  3 to 14 days         12 hours

A post whose reading is due waits for the least recently read first, so a run cut short (a rate limit, the request
budget, the time limit) leaves the most overdue for the next run: nothing is skipped, only later."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chorus.calendar.schemas import Post
from chorus.core import time as timing
from chorus.platforms.base import PostCounts
from chorus.publishing.metrics.schemas import ChannelMetrics, MetricTotals, PostMetrics

WINDOW = timedelta(days=14)
# A run a little early (EventBridge's own jitter) still reads a post that is due by the next run.
SLACK = timedelta(minutes=5)
INTERVALS = ((timedelta(days=1), timedelta(hours=1)), (timedelta(days=3), timedelta(hours=3)),
             (WINDOW, timedelta(hours=12)))


@dataclass(frozen=True)
class Target:
    """One published delivery whose metrics can be read: a post on a channel, by its platform id."""

    post_id: str
    channel_id: str
    platform_id: str
    published_at: datetime

    @property
    def key(self) -> tuple[str, str]:
        return self.post_id, self.channel_id


def read_interval(age: timedelta) -> timedelta | None:
    """How long a reading of a post of this age stays fresh; None once the post is older than WINDOW."""
    for younger_than, interval in INTERVALS:
        if age < younger_than:
            return interval
    return None


def targets(posts: Iterable[Post], now: datetime) -> list[Target]:
    """Every channel a post was published on in the last WINDOW. Care's replies to mentions are left out: they are
    answers to one person, not content whose reach the team compares."""
    found = []
    for post in posts:
        if post.reply_to is not None:
            continue
        for channel_id, delivery in sorted(post.deliveries.items()):
            if delivery.status != "published" or not delivery.platform_id or not delivery.published_at:
                continue
            published = timing.from_iso_utc(delivery.published_at)
            if timedelta(0) <= now - published < WINDOW:
                found.append(Target(post.id, channel_id, delivery.platform_id, published))
    return found


def due(candidates: Iterable[Target], stored: dict[tuple[str, str], ChannelMetrics], now: datetime) -> list[Target]:
    """The targets to read now, those never read first, then the least recently read."""
    waiting: list[tuple[str, Target]] = []
    for target in candidates:
        interval = read_interval(now - target.published_at)
        previous = stored.get(target.key)
        if interval is None:
            continue
        if previous is None or timing.from_iso_utc(previous.read_at) + interval - SLACK <= now:
            waiting.append((previous.read_at if previous else "", target))
    return [target for _, target in sorted(waiting, key=lambda pair: (pair[0], pair[1].key))]


def reading(platform: str, counts: PostCounts | None, previous: ChannelMetrics | None,
            now: datetime) -> ChannelMetrics:
    """What a read stores: the new counts, or, when the platform no longer shows the post, the last counts read
    marked missing since the first read that did not find it."""
    read_at = timing.iso_utc(now)
    if counts is None:
        kept = previous.model_dump() if previous else {"platform": platform}
        return ChannelMetrics.model_validate({**kept, "read_at": read_at,
                                              "missing_since": (previous.missing_since if previous else None)
                                              or read_at})
    return ChannelMetrics(platform=platform, replies=counts.replies, reposts=counts.reposts, likes=counts.likes,
                          quotes=counts.quotes, impressions=counts.impressions, link_clicks=counts.link_clicks,
                          read_at=read_at)


def summary(channels: dict[str, ChannelMetrics]) -> PostMetrics | None:
    """A post's metrics as the API shows them: each channel and the totals (None before any reading)."""
    if not channels:
        return None
    values = list(channels.values())

    def told(name: str) -> int | None:
        numbers = [getattr(m, name) for m in values if getattr(m, name) is not None]
        return sum(numbers) if numbers else None

    return PostMetrics(
        channels=dict(sorted(channels.items())),
        totals=MetricTotals(
            replies=sum(m.replies for m in values), reposts=sum(m.reposts for m in values),
            likes=sum(m.likes for m in values), quotes=sum(m.quotes or 0 for m in values),
            engagements=sum(m.engagements for m in values),
            impressions=told("impressions"), link_clicks=told("link_clicks"),
        ),
        read_at=max(m.read_at for m in values),
    )


# ---------------------------------------------------------------------------------------------- rate limits
def paused(pauses: dict[str, Any], channel_id: str, now: datetime) -> str | None:
    """The time until which a channel's platform asked us to wait (ISO, UTC), while that is still ahead."""
    until = (pauses.get(channel_id) or {}).get("until")
    return until if isinstance(until, str) and timing.from_iso_utc(until) > now else None


def current(pauses: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The pauses that have not ended yet."""
    return {c: p for c, p in pauses.items() if paused(pauses, c, now)}


def pause(pauses: dict[str, Any], channel_id: str, retry_after: float, reason: str,
          now: datetime) -> dict[str, Any]:
    """The pauses with this channel's added, and those that have ended dropped."""
    kept = current(pauses, now)
    until = timing.iso_utc(now + timedelta(seconds=max(1.0, retry_after)))
    return {**kept, channel_id: {"until": until, "reason": reason[:200]}}
