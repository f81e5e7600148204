"""The publisher on moto: due posts found through the sparse index, each (post, channel) published exactly once,
whatever the queue, the platform or a crash does."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chorus import container
from chorus.aws.messaging import Alerts
from chorus.calendar.schemas import Channel, ChannelCreate, PostContent
from chorus.calendar.service import CalendarService
from chorus.calendar.store import PostRepository
from chorus.core.roles import Principal
from chorus.platforms.base import (
    Connector,
    OutcomeUnknown,
    Published,
    PublishRequest,
    RateLimited,
    RecentPost,
    TransientFailure,
)
from chorus.platforms.local import LocalConnector
from chorus.publishing.service import PublishingService, Queue
from chorus.publishing.store import PublishMessage
from tests.clock import Clock
from tests.integration.conftest import Stack

EDITOR = Principal("ed", frozenset({"editor"}))
CREATOR = Principal("cara", frozenset({"creator"}))
T0 = (datetime.now(UTC) + timedelta(days=2)).replace(hour=9, minute=30, second=0, microsecond=0)


class RecordingQueue(Queue):
    def __init__(self) -> None:
        self.messages: list[tuple[PublishMessage, int]] = []

    def send(self, message: PublishMessage, delay_seconds: int) -> None:
        self.messages.append((message, delay_seconds))


class ScriptedPlatform(Connector):
    """The local outbox behind a script of faults: each publish takes the next fault, if any."""

    platform = "local"

    def __init__(self, channel_id: str, faults: list[Exception | str] | None = None) -> None:
        self.real = LocalConnector(channel_id)
        self.faults = list(faults or [])
        self.publish_calls = 0

    def publish(self, request: PublishRequest) -> Published:
        self.publish_calls += 1
        fault = self.faults.pop(0) if self.faults else None
        if fault == "accept-then-timeout":
            self.real.publish(request)
            raise OutcomeUnknown("read timeout after the platform accepted")
        if isinstance(fault, Exception):
            raise fault
        return self.real.publish(request)

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        return self.real.recent_posts(limit)

    def delete(self, platform_id: str) -> None:
        self.real.delete(platform_id)

    def verify_credentials(self) -> str:
        return "local"


@dataclass
class World:
    calendar: CalendarService
    clock: Clock
    queue: RecordingQueue
    platforms: dict[str, ScriptedPlatform]
    service: PublishingService
    stack: Stack


@pytest.fixture
def world(stack: Stack) -> World:
    calendar = container.calendar()
    for channel_id in ("one", "two"):
        calendar.create_channel(EDITOR, ChannelCreate(id=channel_id, platform="local", handle=f"@{channel_id}"))
    clock = Clock(T0 - timedelta(days=1))
    queue = RecordingQueue()
    platforms: dict[str, ScriptedPlatform] = {}

    def connector(channel: Channel) -> ScriptedPlatform:
        return platforms.setdefault(channel.id, ScriptedPlatform(channel.id))

    alerts = Alerts(stack.environment["CHORUS_ALERTS_TOPIC_ARN"], "eu-west-1")
    service = PublishingService(PostRepository(), calendar.channels, queue, alerts, connector, clock,
                                replies=container.ReportReplies(), jitter=lambda: 0.5)
    return World(calendar, clock, queue, platforms, service, stack)


def scheduled(world: World, at: datetime, channels: tuple[str, ...] = ("one",), text: str = "Hallo") -> str:
    calendar = world.calendar
    real_clock = calendar.clock
    calendar.clock = world.clock
    try:
        post, _, _ = calendar.create_post(CREATOR, PostContent(text=text, channels=list(channels)))
        calendar.act(CREATOR, post.id, "submit")
        calendar.act(EDITOR, post.id, "approve")
        calendar.schedule(EDITOR, post.id, at.isoformat(), None, False)
    finally:
        calendar.clock = real_clock
    return post.id


def outbox(channel_id: str) -> list[str]:
    return [p.text for p in LocalConnector(channel_id).recent_posts(100)]


def run_due_and_deliver(world: World) -> None:
    world.service.enqueue_due()
    pending, world.queue.messages = world.queue.messages, []
    for message, delay in pending:
        world.clock.now = max(world.clock.now, world.clock.now + timedelta(seconds=delay))
        world.service.deliver(message)


def test_the_due_run_reads_only_posts_that_are_due(world: World) -> None:
    for day in range(1, 41):
        scheduled(world, T0 + timedelta(days=day), text=f"later {day}")
    due_now = [scheduled(world, T0 + timedelta(seconds=s), text=f"now {s}") for s in (5, 42)]
    world.clock.now = T0
    result = world.service.enqueue_due()
    assert result == {"posts_read": 2, "messages_sent": 2}
    assert sorted((m.post_id, d) for m, d in world.queue.messages) == sorted(zip(due_now, (5, 42), strict=True))
    world.queue.messages.clear()
    assert world.service.enqueue_due() == {"posts_read": 0, "messages_sent": 0}  # rechecked only after the lease


def test_each_channel_is_published_once_and_the_post_becomes_published(world: World) -> None:
    post_id = scheduled(world, T0, channels=("one", "two"), text="Twee kanalen")
    world.clock.now = T0
    run_due_and_deliver(world)
    post = world.calendar.get_post(post_id)
    assert post.status == "published" and post.due_at is None
    assert {c: d.status for c, d in post.deliveries.items()} == {"one": "published", "two": "published"}
    assert outbox("one") == ["Twee kanalen"] and outbox("two") == ["Twee kanalen"]
    assert [e.action for e in post.audit][-2:] == ["publish", "publish"]


def test_duplicate_and_concurrent_deliveries_publish_once(world: World) -> None:
    post_id = scheduled(world, T0)
    world.clock.now = T0
    world.service.enqueue_due()
    message, _ = world.queue.messages[0]
    outcomes: list[str] = []
    threads = [threading.Thread(target=lambda: outcomes.append(world.service.deliver(message))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcomes.append(world.service.deliver(message))
    assert outcomes.count("published") == 1 and all(o == "published" or o.startswith("skipped") for o in outcomes)
    assert outbox("one") == ["Hallo"] and world.platforms["one"].publish_calls == 1
    assert world.calendar.get_post(post_id).status == "published"


def test_cancelled_or_moved_posts_never_publish_from_an_old_message(world: World) -> None:
    cancelled = scheduled(world, T0, text="afgelast")
    moved = scheduled(world, T0, text="verzet")
    world.clock.now = T0
    world.service.enqueue_due()
    world.calendar.act(EDITOR, cancelled, "cancel", "crisis")
    world.calendar.schedule(EDITOR, moved, (T0 + timedelta(hours=3)).isoformat(), None, False)
    outcomes = [world.service.deliver(m) for m, _ in world.queue.messages]
    assert all(o.startswith("skipped") for o in outcomes) and outbox("one") == []


def test_an_early_message_waits_for_its_second(world: World) -> None:
    scheduled(world, T0)
    world.clock.now = T0 - timedelta(seconds=30)
    world.service.enqueue_due()
    message, delay = world.queue.messages.pop()
    assert delay == 30
    assert world.service.deliver(message).startswith("early")
    assert world.queue.messages[-1][1] == 30 and outbox("one") == []


def test_rate_limits_and_outages_are_retried_later_then_published_once(world: World) -> None:
    post_id = scheduled(world, T0)
    world.platforms["one"] = ScriptedPlatform("one", [RateLimited(120), TransientFailure("503")])
    world.clock.now = T0
    run_due_and_deliver(world)
    post = world.calendar.get_post(post_id)
    delivery = post.deliveries["one"]
    assert delivery.status == "pending" and delivery.not_before == _iso(T0 + timedelta(seconds=120))
    world.clock.now = T0 + timedelta(seconds=119)
    world.service.enqueue_due()
    assert [d for _, d in world.queue.messages] == [1]  # due within the minute: sent with a delay to its second
    message, _ = world.queue.messages.pop()
    world.clock.now = T0 + timedelta(seconds=120)
    world.service.deliver(message)
    delivery = world.calendar.get_post(post_id).deliveries["one"]
    assert delivery.status == "pending"
    assert delivery.error is not None and delivery.error.startswith("temporary failure")
    world.clock.now = T0 + timedelta(minutes=10)
    run_due_and_deliver(world)
    post = world.calendar.get_post(post_id)
    assert post.status == "published" and post.deliveries["one"].attempts == 3 and outbox("one") == ["Hallo"]


def test_a_lost_answer_is_reconciled_not_published_twice(world: World) -> None:
    post_id = scheduled(world, T0)
    world.platforms["one"] = ScriptedPlatform("one", ["accept-then-timeout"])
    world.clock.now = T0
    run_due_and_deliver(world)
    assert world.calendar.get_post(post_id).deliveries["one"].status == "publishing"
    world.clock.now = T0 + timedelta(minutes=3)  # the lease has ended
    run_due_and_deliver(world)
    post = world.calendar.get_post(post_id)
    assert post.status == "published" and outbox("one") == ["Hallo"]
    assert world.platforms["one"].publish_calls == 1  # the second worker looked first and found it


def test_a_post_that_keeps_failing_becomes_failed_and_alerts_the_editors(world: World) -> None:
    sqs = boto3.client("sqs", region_name="eu-west-1")
    inbox = sqs.create_queue(QueueName="editor-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name="eu-west-1").subscribe(
        TopicArn=world.stack.environment["CHORUS_ALERTS_TOPIC_ARN"], Protocol="sqs", Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps({"team": ["editors"]}), "RawMessageDelivery": "true"})
    post_id = scheduled(world, T0)
    world.platforms["one"] = ScriptedPlatform("one", [TransientFailure("down")] * 10)
    world.clock.now = T0
    for _ in range(6):
        run_due_and_deliver(world)
        world.clock.now += timedelta(minutes=20)
    post = world.calendar.get_post(post_id)
    delivery = post.deliveries["one"]
    assert post.status == "failed" and delivery.attempts == 5
    assert delivery.error is not None and "gave up" in delivery.error
    assert post.due_at is None and outbox("one") == []
    received = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10).get("Messages", [])
    assert len(received) == 1 and post_id in received[0]["Body"]


def test_a_channel_without_credentials_fails_clearly_and_needs_reconnecting(world: World) -> None:
    world.calendar.create_channel(EDITOR, ChannelCreate(id="masto", platform="mastodon", handle="@org@social.example",
                                                        connection={"instance_url": "https://social.example"}))
    service = PublishingService(PostRepository(), world.calendar.channels, world.queue, world.service.alerts,
                                container.publishing().connectors, world.clock, replies=container.ReportReplies())
    post_id = scheduled(world, T0, channels=("masto",))
    world.clock.now = T0
    service.enqueue_due()
    assert service.deliver(world.queue.messages[0][0]) == "failed"
    post = world.calendar.get_post(post_id)
    error = post.deliveries["masto"].error
    assert error is not None and "no credentials stored for channel masto" in error
    assert world.calendar.get_channel("masto").status == "needs_reconnect"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
