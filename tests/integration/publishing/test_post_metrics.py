"""How our posts do, end to end on moto: a post published to the local outbox, people react to it there, the hourly
function reads it (through the calendar index and one BatchGetItem, never a Scan) and GET /posts/{id} and the
calendar show it per channel and in total, without changing the post's version."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from chorus import container
from chorus.calendar.schemas import ChannelCreate, PostContent
from chorus.core.roles import Principal
from chorus.local.scheduler import LambdaContext
from chorus.platforms.local import OutboxItem
from chorus.publishing.store import PublishMessage
from functions.collect_post_metrics.handler import handler
from tests.clock import Clock
from tests.integration.conftest import Api, Stack

EVENTS = Path(__file__).resolve().parents[3] / "events"
EDITOR = Principal("ed", frozenset({"editor"}))


def published_an_hour_ago(channels: list[str]) -> str:
    """A post planned an hour ago (scheduled while that was still ahead) and delivered to its local channels."""
    calendar = container.calendar()
    real_clock = calendar.clock
    calendar.clock = Clock(datetime.now(UTC) - timedelta(hours=2))
    try:
        post, _, _ = calendar.create_post(EDITOR, PostContent(text="Open dag zaterdag!", channels=channels))
        calendar.act(EDITOR, post.id, "submit")
        calendar.act(EDITOR, post.id, "approve")
        planned = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
        scheduled, _ = calendar.schedule(EDITOR, post.id, planned.isoformat(), None, False)
    finally:
        calendar.clock = real_clock
    for channel in channels:
        assert container.publishing().deliver(PublishMessage(post.id, channel, scheduled.publish_at or "")) \
            == "published"
    return post.id


def react(post_id: str, channel: str, replies: int, reposts: int, likes: int) -> None:
    """What the local network's audience did with the post."""
    platform_id = container.calendar().get_post(post_id).deliveries[channel].platform_id
    item = OutboxItem.get(channel, platform_id)
    item.update(actions=[OutboxItem.replies.set(replies), OutboxItem.reposts.set(reposts), OutboxItem.likes.set(likes)])


def collect() -> dict[str, object]:
    return handler(json.loads((EVENTS / "collect_post_metrics.json").read_text()),
                   LambdaContext("CollectPostMetricsFunction"))


def test_published_posts_show_how_they_do_per_channel_and_in_total(stack: Stack, api: Api) -> None:
    calendar = container.calendar()
    for channel in ("local-a", "local-b"):
        calendar.create_channel(EDITOR, ChannelCreate(id=channel, platform="local", handle=f"@{channel}"))
    post_id = published_an_hour_ago(["local-a", "local-b"])
    react(post_id, "local-a", replies=2, reposts=1, likes=7)
    react(post_id, "local-b", replies=0, reposts=3, likes=4)
    viewer = stack.user("viewer")
    status, before = api.call("GET", f"/posts/{post_id}", viewer)
    assert status == 200 and before["status"] == "published" and before["metrics"] is None

    summary = collect()
    assert (summary["published"], summary["due"], summary["read"], summary["requests"]) == (2, 2, 2, 2)

    status, shown = api.call("GET", f"/posts/{post_id}", viewer)
    assert status == 200 and shown["version"] == before["version"]  # editors' ETag is untouched
    metrics = shown["metrics"]
    assert metrics["channels"]["local-a"] | {"read_at": None} == {
        "platform": "local", "replies": 2, "reposts": 1, "likes": 7, "quotes": None, "impressions": None,
        "link_clicks": None, "read_at": None, "missing_since": None}
    assert metrics["totals"] == {"replies": 2, "reposts": 4, "likes": 11, "quotes": 0, "engagements": 17,
                                 "impressions": None, "link_clicks": None}
    today = datetime.now(UTC).date()
    status, page = api.call("GET", f"/posts?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}", viewer)
    assert status == 200 and [p["metrics"]["totals"]["engagements"] for p in page["items"]] == [17]

    # read again within the hour: nothing is due, no request is made
    assert (collect()["due"], collect()["requests"]) == (0, 0)


def test_a_post_deleted_on_the_platform_keeps_its_last_numbers_marked_missing(stack: Stack, api: Api) -> None:
    container.calendar().create_channel(EDITOR, ChannelCreate(id="local-a", platform="local", handle="@a"))
    post_id = published_an_hour_ago(["local-a"])
    react(post_id, "local-a", replies=1, reposts=0, likes=3)
    collect()
    platform_id = container.calendar().get_post(post_id).deliveries["local-a"].platform_id
    OutboxItem.get("local-a", platform_id).delete()
    container.post_metrics().clock = lambda: datetime.now(UTC) + timedelta(hours=1)  # the next hourly run
    summary = container.post_metrics().collect()
    assert summary.channels["local-a"].missing == 1
    _, shown = api.call("GET", f"/posts/{post_id}", stack.user("editor"))
    channel = shown["metrics"]["channels"]["local-a"]
    assert channel["likes"] == 3 and channel["missing_since"] is not None
