"""Reading how our published posts do (collect_post_metrics, hourly) and showing it on the posts (the API).

One run: the posts planned in the last WINDOW (the calendar index, never a Scan), their published deliveries, the
stored readings of those (BatchGetItem), the ones due (rules.due), then per channel in batches as large as its
platform reads in one request, within REQUESTS_PER_CHANNEL requests. A rate limit (429) stops that channel's run and
pauses it until the platform's reset; any other failure stops that channel for this run only. Every batch read is
stored at once, so a run cut short keeps what it read, and what it did not read is the most overdue next time."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from chorus.calendar.schemas import Channel, Post
from chorus.core import time as timing
from chorus.core.observability import logger
from chorus.core.time import Clock
from chorus.platforms.base import MetricsReader, PublishError, RateLimited, TransientFailure
from chorus.publishing.metrics import rules
from chorus.publishing.metrics.schemas import ChannelMetrics

REQUESTS_PER_CHANNEL = 10  # per run: at most 200 Mastodon, 250 Bluesky, 1,000 X or 200 LinkedIn posts an hour
STOP_WITH_SECONDS_LEFT = 15.0  # no batch is started closer than this to the function's timeout
PAUSES = "post-metrics-pauses"  # the state item with each rate-limited channel's "wait until"


class RecentPosts(Protocol):
    def in_window(self, start: datetime, end: datetime) -> list[Post]: ...


class Channels(Protocol):
    def all(self) -> list[Channel]: ...


class MetricsStore(Protocol):
    def read(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ChannelMetrics]: ...
    def write(self, post_id: str, channel_id: str, metrics: ChannelMetrics) -> bool: ...


class StateStore(Protocol):
    def get(self, name: str) -> dict[str, Any]: ...
    def put(self, name: str, value: dict[str, Any], updated_at: str) -> None: ...


@dataclass
class ChannelRun:
    platform: str
    due: int = 0
    read: int = 0
    missing: int = 0  # asked for, not shown by the platform (deleted there?)
    requests: int = 0
    left: int = 0  # due but not read this run: the next run reads them first
    stopped: str | None = None  # why the channel's run ended early


@dataclass
class RunSummary:
    posts: int = 0  # posts planned in the window (content and replies)
    published: int = 0  # published deliveries in the window (content only)
    due: int = 0
    read: int = 0
    requests: int = 0
    channels: dict[str, ChannelRun] = field(default_factory=dict)


class PostMetricsService:
    def __init__(self, posts: RecentPosts, channels: Channels, store: MetricsStore, state: StateStore,
                 readers: Callable[[Channel], object], clock: Clock,
                 requests_per_channel: int = REQUESTS_PER_CHANNEL) -> None:
        self.posts = posts
        self.channels = channels
        self.store = store
        self.state = state
        self.readers = readers  # the channel's connector (chorus.platforms.registry)
        self.clock = clock
        self.requests_per_channel = requests_per_channel

    # ------------------------------------------------------------------ the API
    def shown(self, posts: list[Post]) -> list[Post]:
        """The posts with their metrics (one BatchGetItem per 100 published deliveries; none without any)."""
        keys = [(p.id, c) for p in posts if p.reply_to is None
                for c, d in sorted(p.deliveries.items()) if d.status == "published"]
        stored = self.store.read(keys)
        if not stored:
            return posts
        shown = []
        for post in posts:
            found = {channel: stored[(post.id, channel)] for channel in post.deliveries if (post.id, channel) in stored}
            shown.append(post.model_copy(update={"metrics": rules.summary(found)}) if found else post)
        return shown

    # ------------------------------------------------------------------ every hour
    def collect(self, seconds_left: Callable[[], float] | None = None) -> RunSummary:
        now = self.clock()
        posts = self.posts.in_window(now - rules.WINDOW, now + timedelta(seconds=1))
        candidates = rules.targets(posts, now)
        stored = self.store.read(t.key for t in candidates)
        due = rules.due(candidates, stored, now)
        summary = RunSummary(posts=len(posts), published=len(candidates), due=len(due))
        by_channel: dict[str, list[rules.Target]] = defaultdict(list)
        for target in due:
            by_channel[target.channel_id].append(target)
        channels = {c.id: c for c in self.channels.all()} if by_channel else {}
        paused_before = self.state.get(PAUSES) if by_channel else {}
        pauses = rules.current(paused_before, now)
        for channel_id, waiting in sorted(by_channel.items()):
            channel = channels.get(channel_id)
            run = summary.channels.setdefault(channel_id, ChannelRun(channel.platform if channel else "unknown"))
            run.due = len(waiting)
            if channel is None:
                run.stopped = "the channel was deleted"
            elif channel.status == "needs_reconnect":
                run.stopped = "the channel must be reconnected first"
            elif until := rules.paused(pauses, channel_id, now):
                run.stopped = f"{channel.platform} asked us to wait until {until}"
            else:
                pauses = self._read_channel(channel, waiting, stored, run, pauses, seconds_left)
            run.left = run.due - run.read - run.missing
            summary.read += run.read + run.missing
            summary.requests += run.requests
        if pauses != paused_before:
            self.state.put(PAUSES, pauses, timing.iso_utc(now))
        return summary

    def _read_channel(self, channel: Channel, waiting: list[rules.Target],
                      stored: dict[tuple[str, str], ChannelMetrics], run: ChannelRun, pauses: dict[str, Any],
                      seconds_left: Callable[[], float] | None) -> dict[str, Any]:
        asking = False  # a failure while asking cost a request; one while building the connector did not
        try:
            reader = self.readers(channel)
            if not isinstance(reader, MetricsReader):
                run.stopped = f"Chorus cannot read metrics from {channel.platform}"
                return pauses
            for start in range(0, len(waiting), max(1, reader.metrics_batch)):
                if run.requests >= self.requests_per_channel:
                    run.stopped = f"the budget of {self.requests_per_channel} requests a run was used"
                    break
                if seconds_left is not None and seconds_left() < STOP_WITH_SECONDS_LEFT:
                    run.stopped = "the run ran out of time"
                    break
                batch = waiting[start:start + reader.metrics_batch]
                asking = True
                result = reader.metrics([t.platform_id for t in batch])
                asking = False
                run.requests += result.requests
                now = self.clock()
                for target in batch:
                    counts = result.counts.get(target.platform_id)
                    self.store.write(target.post_id, target.channel_id,
                                     rules.reading(channel.platform, counts, stored.get(target.key), now))
                    if counts is None:
                        run.missing += 1
                    else:
                        run.read += 1
        except RateLimited as error:
            run.requests += int(asking)
            run.stopped = f"rate limited by {channel.platform}: {error}"
            return rules.pause(pauses, channel.id, error.retry_after, str(error), self.clock())
        except TransientFailure as error:
            run.requests += int(asking)
            run.stopped = f"{channel.platform} did not answer: {error}"
        except PublishError as error:  # credentials rejected, no permission, a refusal: the next run tries again
            run.requests += int(asking)
            run.stopped = f"{channel.platform} refused: {error}"
            logger.warning("post metrics not read", extra={"channel": channel.id, "error": str(error)})
        return pauses
