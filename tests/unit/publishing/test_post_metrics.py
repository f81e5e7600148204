"""How our posts do: when a post is read again, what a run reads and stores per channel (in batches, within the
request budget, with rate limits honoured and nothing lost), and what the API shows on a post. Fakes stand in for the
tables and the platforms."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from chorus.calendar.schemas import Channel, Post, ReplyTarget, Status
from chorus.core import time as timing
from chorus.platforms.base import MetricsReading, PostCounts, RateLimited, TransientFailure
from chorus.publishing.metrics import rules
from chorus.publishing.metrics.schemas import ChannelMetrics
from chorus.publishing.metrics.service import PAUSES, MetricsStore, PostMetricsService, RecentPosts, StateStore
from chorus.publishing.schemas import Delivery
from tests.clock import T0, Clock

PLATFORMS = {"mastodon-main": ("mastodon", 20), "bluesky-main": ("bluesky", 25), "x-main": ("x", 100)}


# ---------------------------------------------------------------------------------------------- fakes
class Posts(RecentPosts):
    def __init__(self, posts: list[Post]) -> None:
        self.posts = posts

    def in_window(self, start: datetime, end: datetime) -> list[Post]:
        return [p for p in self.posts if p.publish_time and start <= p.publish_time < end]


class Channels:
    def __init__(self, channels: list[Channel]) -> None:
        self.channels = channels

    def all(self) -> list[Channel]:
        return list(self.channels)


class Store(MetricsStore):
    """Like PostMetricsRepository: a reading is stored only over an older one."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], ChannelMetrics] = {}
        self.batch_gets = 0

    def read(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], ChannelMetrics]:
        wanted = list(dict.fromkeys(keys))
        self.batch_gets += -(-len(wanted) // 100)
        return {k: self.items[k] for k in wanted if k in self.items}

    def write(self, post_id: str, channel_id: str, metrics: ChannelMetrics) -> bool:
        previous = self.items.get((post_id, channel_id))
        if previous is not None and previous.read_at >= metrics.read_at:
            return False
        self.items[(post_id, channel_id)] = metrics
        return True


class State(StateStore):
    def __init__(self) -> None:
        self.values: dict[str, dict[str, Any]] = {}
        self.puts = 0

    def get(self, name: str) -> dict[str, Any]:
        return dict(self.values.get(name, {}))

    def put(self, name: str, value: dict[str, Any], updated_at: str) -> None:
        self.values[name] = dict(value)
        self.puts += 1


class Platform:
    """A network's metrics call: counts per platform id, one request per batch, and scripted faults per call."""

    def __init__(self, platform: str, batch: int) -> None:
        self.platform = platform
        self.metrics_batch = batch
        self.counts: dict[str, PostCounts] = {}
        self.faults: list[Exception | None] = []
        self.asked: list[list[str]] = []

    def metrics(self, platform_ids: Sequence[str]) -> MetricsReading:
        assert len(platform_ids) <= self.metrics_batch
        self.asked.append(list(platform_ids))
        fault = self.faults.pop(0) if self.faults else None
        if fault is not None:
            raise fault
        return MetricsReading({i: self.counts[i] for i in platform_ids if i in self.counts}, 1)


class World:
    def __init__(self, posts: list[Post], budget: int = 10) -> None:
        self.clock = Clock(T0)
        self.store, self.state = Store(), State()
        self.platforms = {cid: Platform(*spec) for cid, spec in PLATFORMS.items()}
        channels = [Channel(id=cid, platform=p.platform, handle=f"@{cid}") for cid, p in  # type: ignore[arg-type]
                    self.platforms.items()]
        self.posts = Posts(posts)
        self.service = PostMetricsService(self.posts, Channels(channels), self.store, self.state,
                                          lambda channel: self.platforms[channel.id], self.clock,
                                          requests_per_channel=budget)

    def requests(self) -> int:
        return sum(len(p.asked) for p in self.platforms.values())


def published(post_id: str, at: datetime, channels: Iterable[str] = PLATFORMS, **fields: Any) -> Post:
    deliveries = {c: Delivery(status="published", platform_id=f"{c}:{post_id}", published_at=timing.iso_utc(at))
                  for c in channels}
    return Post(id=post_id, text="Hallo", channels=list(deliveries), publish_at=timing.iso_utc(at), author="ed",
                status=Status.PUBLISHED, deliveries=deliveries, created_at=timing.iso_utc(at),
                updated_at=timing.iso_utc(at), **fields)


def counts_for(world: World, posts: list[Post], likes: int = 1) -> None:
    for post in posts:
        for channel_id, platform in world.platforms.items():
            platform.counts[f"{channel_id}:{post.id}"] = PostCounts(replies=1, reposts=2, likes=likes)


# ---------------------------------------------------------------------------------------------- rules
@pytest.mark.parametrize(("age", "interval"), [
    (timedelta(minutes=5), timedelta(hours=1)), (timedelta(hours=23), timedelta(hours=1)),
    (timedelta(days=1), timedelta(hours=3)), (timedelta(days=2, hours=23), timedelta(hours=3)),
    (timedelta(days=3), timedelta(hours=12)), (timedelta(days=13, hours=23), timedelta(hours=12)),
    (timedelta(days=14), None),
])
def test_young_posts_are_read_often_and_older_ones_less_often_for_two_weeks(
        age: timedelta, interval: timedelta | None) -> None:
    assert rules.read_interval(age) == interval


def test_only_published_content_of_the_last_two_weeks_is_read() -> None:
    now = T0
    reply = published("reply", now - timedelta(hours=1),
                      reply_to=ReplyTarget(mention_id="m1", platform_id="9", author_handle="@k"))
    old = published("old", now - timedelta(days=14, minutes=1))
    pending = published("pending", now - timedelta(hours=1))
    pending.deliveries["x-main"] = Delivery(status="failed", error="HTTP 403")
    found = rules.targets([reply, old, pending], now)
    assert [(t.post_id, t.channel_id) for t in found] == [("pending", "bluesky-main"), ("pending", "mastodon-main")]


def test_never_read_first_then_the_least_recently_read_and_fresh_readings_wait() -> None:
    now = T0
    young, older = published("young", now - timedelta(hours=2)), published("older", now - timedelta(days=5))
    targets = rules.targets([young, older], now)
    stored = {
        ("young", "x-main"): ChannelMetrics(platform="x", read_at=timing.iso_utc(now - timedelta(minutes=56))),
        ("young", "bluesky-main"): ChannelMetrics(platform="bluesky",
                                                  read_at=timing.iso_utc(now - timedelta(minutes=20))),
        ("older", "x-main"): ChannelMetrics(platform="x", read_at=timing.iso_utc(now - timedelta(hours=13))),
        ("older", "bluesky-main"): ChannelMetrics(platform="bluesky", read_at=timing.iso_utc(now - timedelta(hours=6))),
    }
    due = [t.key for t in rules.due(targets, stored, now)]
    # never read first; then the oldest reading; a reading 56 minutes old is due on an hourly schedule (slack)
    assert due == [("older", "mastodon-main"), ("young", "mastodon-main"), ("older", "x-main"), ("young", "x-main")]


def test_a_post_the_platform_no_longer_shows_keeps_its_last_numbers_marked_missing() -> None:
    before = rules.reading("x", PostCounts(3, 1, 7, impressions=500), None, T0)
    gone = rules.reading("x", None, before, T0 + timedelta(hours=1))
    still_gone = rules.reading("x", None, gone, T0 + timedelta(hours=2))
    assert (still_gone.likes, still_gone.impressions) == (7, 500)
    assert still_gone.missing_since == gone.missing_since == timing.iso_utc(T0 + timedelta(hours=1))
    assert still_gone.read_at == timing.iso_utc(T0 + timedelta(hours=2))
    back = rules.reading("x", PostCounts(3, 1, 8), still_gone, T0 + timedelta(hours=3))
    assert back.missing_since is None and back.likes == 8


def test_totals_add_up_channels_and_say_null_where_no_channel_tells() -> None:
    at = timing.iso_utc(T0)
    shown = rules.summary({
        "x-main": ChannelMetrics(platform="x", replies=1, reposts=2, likes=3, quotes=1, impressions=100,
                                 link_clicks=4, read_at=at),
        "mastodon-main": ChannelMetrics(platform="mastodon", replies=2, reposts=1, likes=5, read_at=at),
    })
    assert shown is not None
    assert shown.totals.model_dump() == {"replies": 3, "reposts": 3, "likes": 8, "quotes": 1, "engagements": 15,
                                         "impressions": 100, "link_clicks": 4}
    untold = rules.summary({"m": ChannelMetrics(platform="mastodon", read_at=at)})
    assert untold is not None and untold.totals.impressions is None
    assert rules.summary({}) is None


# ---------------------------------------------------------------------------------------------- a run
def test_thirty_posts_on_three_channels_take_five_requests_and_the_next_run_none() -> None:
    posts = [published(f"p{n:02d}", T0 - timedelta(hours=2, minutes=n)) for n in range(30)]
    world = World(posts)
    counts_for(world, posts)
    summary = world.service.collect()
    # Mastodon 20 + 10, Bluesky 25 + 5, X 30 in one
    assert {c: r.requests for c, r in summary.channels.items()} == {"bluesky-main": 2, "mastodon-main": 2,
                                                                    "x-main": 1}
    assert (summary.published, summary.due, summary.read, summary.requests) == (90, 90, 90, 5)
    assert len(world.store.items) == 90 and world.store.batch_gets == 1
    world.clock.advance(minutes=20)
    again = world.service.collect()
    assert (again.due, again.requests) == (0, 0) and world.requests() == 5
    world.clock.advance(minutes=40)
    assert world.service.collect().requests == 5  # an hour later every young post is read again


def test_a_rate_limit_stops_that_channel_pauses_it_and_nothing_is_lost() -> None:
    posts = [published(f"p{n:02d}", T0 - timedelta(hours=3, minutes=n)) for n in range(30)]
    world = World(posts)
    counts_for(world, posts)
    mastodon = world.platforms["mastodon-main"]
    mastodon.faults = [None, RateLimited(600, "HTTP 429: Too many requests")]
    summary = world.service.collect()
    run = summary.channels["mastodon-main"]
    assert (run.read, run.left, run.requests) == (20, 10, 2)
    assert run.stopped is not None and "rate limited" in run.stopped
    assert summary.channels["x-main"].read == 30 and summary.channels["bluesky-main"].read == 30  # others go on
    assert world.state.values[PAUSES]["mastodon-main"]["until"] == timing.iso_utc(T0 + timedelta(seconds=600))
    left_out = [p.id for p in posts if (p.id, "mastodon-main") not in world.store.items]
    assert len(left_out) == 10

    world.clock.advance(minutes=5)  # still paused: not even one request
    assert world.service.collect().channels["mastodon-main"].requests == 0 and len(mastodon.asked) == 2

    world.clock.advance(minutes=6)  # the reset has passed: the ten never read go first
    later = world.service.collect().channels["mastodon-main"]
    assert later.read == 10 and sorted(mastodon.asked[2]) == sorted(f"mastodon-main:{p}" for p in left_out)
    assert "mastodon-main" not in world.state.values[PAUSES]


def test_the_request_budget_leaves_the_rest_for_the_next_run() -> None:
    posts = [published(f"p{n:02d}", T0 - timedelta(hours=1, minutes=n), channels=["mastodon-main"])
             for n in range(50)]
    world = World(posts, budget=2)
    counts_for(world, posts)
    run = world.service.collect().channels["mastodon-main"]
    assert (run.requests, run.read, run.left) == (2, 40, 10)
    assert run.stopped == "the budget of 2 requests a run was used"
    world.clock.advance(minutes=1)
    assert world.service.collect().channels["mastodon-main"].read == 10


def test_a_platform_that_does_not_answer_is_tried_again_next_run_without_a_pause() -> None:
    posts = [published("p1", T0 - timedelta(hours=1), channels=["x-main"])]
    world = World(posts)
    counts_for(world, posts)
    world.platforms["x-main"].faults = [TransientFailure("no answer from https://api.x.com/2/tweets")]
    first = world.service.collect().channels["x-main"]
    assert (first.read, first.requests, first.left) == (0, 1, 1) and world.state.puts == 0
    world.clock.advance(minutes=1)
    assert world.service.collect().channels["x-main"].read == 1


def test_channels_to_reconnect_or_deleted_are_not_asked() -> None:
    posts = [published("p1", T0 - timedelta(hours=1), channels=["x-main", "gone"])]
    world = World(posts)
    world.service.channels = Channels([Channel(id="x-main", platform="x", handle="@x", status="needs_reconnect")])
    summary = world.service.collect()
    assert summary.channels["x-main"].stopped == "the channel must be reconnected first"
    assert summary.channels["gone"].stopped == "the channel was deleted"
    assert world.requests() == 0


def test_the_api_shows_each_channel_and_totals_on_published_posts_only() -> None:
    posts = [published("p1", T0 - timedelta(hours=1)), Post(id="draft", author="ed", created_at="x", updated_at="x")]
    world = World(posts)
    counts_for(world, posts[:1], likes=5)
    world.platforms["x-main"].counts["x-main:p1"] = PostCounts(0, 1, 9, quotes=0, impressions=300, link_clicks=3)
    world.service.collect()
    shown, draft = world.service.shown(posts)
    assert draft.metrics is None and shown.version == posts[0].version
    assert shown.metrics is not None and set(shown.metrics.channels) == set(PLATFORMS)
    assert shown.metrics.totals.likes == 5 + 5 + 9 and shown.metrics.totals.impressions == 300
    assert shown.metrics.read_at == timing.iso_utc(T0)


def test_steady_state_five_posts_a_day_cost_24_requests_and_310_reads_a_day_per_channel() -> None:
    """Hourly runs for three weeks, five posts a day on each channel: once the first posts are two weeks old, every
    day looks the same. 62 reads of each post over its life (24 + 16 + 22), one request per run per channel."""
    posts: list[Post] = []
    world = World(posts)
    start = T0.replace(hour=0)
    reads: dict[int, int] = {}
    requests: dict[int, int] = {}
    for hour in range(24 * 17):
        now = start + timedelta(hours=hour)
        if now.hour in (9, 11, 13, 15, 17):
            post = published(f"h{hour}", now)
            posts.append(post)
            counts_for(world, [post])
        world.clock.now = now + timedelta(minutes=1)
        summary = world.service.collect()
        reads[hour // 24] = reads.get(hour // 24, 0) + summary.read
        requests[hour // 24] = requests.get(hour // 24, 0) + summary.requests
    assert [reads[day] for day in (15, 16)] == [3 * 310] * 2
    assert [requests[day] for day in (15, 16)] == [3 * 24] * 2


def test_a_real_connector_s_429_pauses_its_channel_until_the_reset_it_names() -> None:
    """MastodonConnector over a scripted transport: the first batch is read, the second answers 429 with Mastodon's
    reset header; the channel waits until then and the unread posts stay due."""
    from chorus.platforms.mastodon import MastodonConnector
    from tests.unit.platforms.fakes import Clock as EpochClock
    from tests.unit.platforms.fakes import FakeTransport, json_response

    posts = [published(f"p{n:02d}", T0 - timedelta(hours=1, minutes=n), channels=["mastodon-main"])
             for n in range(25)]
    world = World(posts)
    ids = [f"mastodon-main:p{n:02d}" for n in range(25)]
    batch = [{"id": i, "replies_count": 1, "reblogs_count": 0, "favourites_count": 2} for i in ids]
    reset = T0 + timedelta(minutes=5)
    fake = FakeTransport(json_response(200, batch[:20]),
                         json_response(429, {"error": "Too many requests"},
                                       {"x-ratelimit-reset": timing.iso_utc(reset)}))
    connector = MastodonConnector("https://m.example", "tok", transport=fake,
                                  clock=EpochClock(T0.timestamp()))
    world.service.readers = lambda channel: connector
    run = world.service.collect().channels["mastodon-main"]
    assert (run.read, run.left, run.requests) == (20, 5, 2)
    assert world.state.values[PAUSES]["mastodon-main"]["until"] == timing.iso_utc(reset)
    assert [world.store.items[(f"p{n:02d}", "mastodon-main")].likes for n in range(20)] == [2] * 20
    assert not any((f"p{n}", "mastodon-main") in world.store.items for n in range(20, 25))
