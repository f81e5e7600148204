"""The publish path under injected faults: a Hypothesis state machine drives the PublishingService against
in-memory fakes (tests/unit/publishing/fakes.py) while the queue duplicates, reorders and delays messages, platforms
rate-limit, fail, lose their answers or reject credentials, due runs overlap on stale reads, a writer races the
publisher, and the Lambda dies between any two steps.

Some posts are replies to mentions: their final outcome, published or failed, is reported to the inbox (which answers
the mention, or tells care), never to the editors.

Invariants after every step: no (post, channel) is on its platform twice; nothing is posted for a cancelled post, for
a time the post was moved away from, or before its planned second; a published delivery points at the platform's
post; a failed delivery has an error, a reason (the platform refused, or every attempt was used), is not on the
platform after all, and has at most one alert (two only when a Lambda died between sending it and noting it sent);
no alert for anything but a failure, and none for a reply; the inbox hears only a reply's recorded final outcome, at
most once (twice only after such a death). At teardown the clock runs
on without faults until the queue is empty and no post is due: then every post that was not cancelled is
published or failed, every failure was alerted, every reply's outcome reported, and nothing is left half-way.

Every bug the machine found has a minimal test at the end of this file.

More examples for a soak run:
    CHORUS_FAULT_EXAMPLES=3000 .venv/bin/python -m pytest tests/unit/publishing/test_publish_faults.py
"""
from __future__ import annotations

import os
import random
import re
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from chorus.calendar import rules as post_rules
from chorus.calendar.schemas import Channel, Post, PostContent, ReplyTarget, Status
from chorus.core import time as timing
from chorus.core.errors import Conflict
from chorus.core.roles import Principal
from chorus.publishing import rules as delivery_rules
from chorus.publishing import service as publishing
from chorus.publishing.service import HORIZON, PublishingService, ReplyOutcomes
from chorus.publishing.store import PublishMessage
from tests.clock import Clock
from tests.unit.publishing.fakes import (
    FAULTS,
    FINAL,
    READ_FAULTS,
    Alert,
    Alerts,
    ChannelStore,
    Crash,
    CrashPlan,
    Envelope,
    Platform,
    PostStore,
    ServicePlatform,
    ServicePosts,
    ServiceQueue,
    Sqs,
)

EXAMPLES = int(os.environ.get("CHORUS_FAULT_EXAMPLES", "300"))
EDITOR = Principal("ed", frozenset({"editor"}))
T0 = datetime(2026, 3, 10, 9, 0, 0, tzinfo=UTC)
CHANNELS = (
    Channel(id="masto", platform="mastodon", handle="@org@social.example"),
    Channel(id="bsky", platform="bluesky", handle="@org.example"),
    Channel(id="x", platform="x", handle="@org"),
)
# X has no idempotency at all, so a second post there is never masked by the platform: it is picked most often.
CHANNEL_SETS = [("x",), ("x",), ("masto",), ("bsky",), ("masto", "x"), ("x", "bsky"), ("masto", "bsky")]
MAX_POSTS = 10
DRAIN_ROUNDS = 600


@pytest.fixture(autouse=True)
def quiet_observability(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """EMF metrics and warnings print a JSON line each: thousands of examples would flood the captured output."""
    monkeypatch.setattr(publishing, "_metric", lambda name, unit, value, platform: None)
    level = publishing.logger.log_level
    publishing.logger.setLevel("ERROR")
    yield
    publishing.logger.setLevel(level)


class Inbox(ReplyOutcomes):
    """The inbox as the publisher reports to it: what it heard, in order; it can be down."""

    def __init__(self, crashes: CrashPlan) -> None:
        self.crashes = crashes
        self.told: list[tuple[str, str, str]] = []  # (post, channel, outcome)
        self.down = False

    def settled(self, post: Post, channel_id: str) -> None:
        if self.down:
            raise Conflict("the mention kept changing; try again")
        self.crashes.call("tell", self.told.append, (post.id, channel_id, post.deliveries[channel_id].status))


class World:
    """One deployment: stores, queue, alerts, three platform accounts, and the publisher wired to their faulty views."""

    def __init__(self) -> None:
        self.clock = Clock(T0)
        self.crashes = CrashPlan()
        self.store = PostStore()
        self.channels = ChannelStore(list(CHANNELS))
        self.sqs = Sqs(self.clock)
        self.alerts = Alerts()
        self.inbox = Inbox(self.crashes)
        self.accepted = 0
        self.platforms = {c.id: Platform(c.platform, self.clock, self._next_acceptance) for c in CHANNELS}
        self.service_posts = ServicePosts(self.store, self.crashes)
        self.service = PublishingService(
            self.service_posts, self.channels, ServiceQueue(self.sqs, self.crashes), self.alerts,
            lambda channel: ServicePlatform(self.platforms[channel.id], self.crashes),
            self.clock, replies=self.inbox, jitter=random.Random(7).random,
            pause=lambda attempt: None,  # lost races retry at once
        )
        self.outcomes: list[str] = []
        self.told_then_died: set[tuple[str, str]] = set()  # failures alerted by a Lambda that died before noting it
        self.concurrent: tuple[str, PublishMessage] | None = None  # (phase, message) a second consumer handles
        for platform in self.platforms.values():
            platform.while_in_flight = self._while_in_flight

    def _while_in_flight(self, phase: str) -> None:
        if self.concurrent is not None and self.concurrent[0] == phase:
            _, message = self.concurrent
            self.concurrent = None
            self.consume_duplicate(message)

    def _next_acceptance(self) -> int:
        self.accepted += 1
        return self.accepted

    # -------------------------------------------------------------- what an editor does through the API
    def schedule_new(self, post_id: str, text: str, channels: tuple[str, ...], when: datetime,
                     reply: bool = False) -> Post:
        now = self.clock()
        post = post_rules.draft(post_id, PostContent(text=text, channels=list(channels)), EDITOR, now)
        post = post_rules.transition(post, "submit", EDITOR, now)
        post = post_rules.transition(post, "approve", EDITOR, now)
        post = post_rules.schedule(post, when, timing.DEFAULT_TIMEZONE, EDITOR, now, self.channel_map())
        if reply:  # a care reply: one channel, a reply target (made by the inbox as a scheduled post)
            assert len(channels) == 1
            post.reply_to = ReplyTarget(mention_id=f"m-{post_id}", platform_id="4711", author_handle="klant")
        assert self.store.create(post)
        saved = self.store.get(post_id)
        assert saved is not None
        self.api_enqueue_soon(saved)
        return saved

    def reschedule(self, post_id: str, when: datetime) -> Post:
        post = self.store.get(post_id)
        assert post is not None
        saved = self.store.save(post_rules.schedule(post, when, post.timezone, EDITOR, self.clock(),
                                                    self.channel_map()))
        self.api_enqueue_soon(saved)
        return saved

    def cancel(self, post_id: str) -> Post:
        post = self.store.get(post_id)
        assert post is not None
        return self.store.save(post_rules.transition(post, "cancel", EDITOR, self.clock(), "plans changed"))

    def api_enqueue_soon(self, post: Post) -> None:
        try:
            self.service.enqueue_soon(post)  # CalendarService.on_scheduled; the API Lambda may die here too
        except Crash:
            pass

    def channel_map(self) -> dict[str, Channel]:
        return {c.id: c for c in self.channels.all()}

    # -------------------------------------------------------------- what the Lambdas do
    def run_due(self) -> None:
        told = (len(self.alerts.sent), len(self.inbox.told))
        try:
            self.service.enqueue_due()
        except Crash:
            self._died_after_telling(*told)  # the next minute's run starts over
        except Conflict:
            pass  # the inbox could not take a reply's outcome: the post stays due, the next run tells it

    def consume(self, envelope: Envelope) -> None:
        """One SQS receive by the publish_post Lambda (partial batch failures: a failed record stays queued)."""
        self.sqs.receive(envelope)
        if self.deliver(envelope.message):
            self.sqs.delete(envelope)
        else:
            self.sqs.abandon(envelope)

    def consume_duplicate(self, message: PublishMessage) -> None:
        """SQS at-least-once: a second copy of a message reaches another consumer."""
        self.deliver(message)

    def deliver(self, message: PublishMessage) -> bool:
        told = (len(self.alerts.sent), len(self.inbox.told))
        try:
            self.outcomes.append(self.service.deliver(message))
        except (Crash, Conflict) as error:
            self.outcomes.append(f"{type(error).__name__}: {error}")
            if isinstance(error, Crash):
                self._died_after_telling(*told)
            return False
        return True

    def _died_after_telling(self, alerts: int, replies: int) -> None:
        """SNS has no idempotency, nor has telling the inbox: a Lambda that dies between sending an alert (or
        reporting a reply's outcome) and noting it may be repeated by the next one. Only then is a second excused."""
        self.told_then_died.update(k for k in map(alert_key, self.alerts.sent[alerts:]) if k)
        self.told_then_died.update((post_id, channel_id) for post_id, channel_id, _ in self.inbox.told[replies:])

    def drain(self, faults: bool = False, rounds: int = DRAIN_ROUNDS) -> None:
        """The due run every minute (or sooner when a message becomes visible) and the consumer, until the queue is
        empty and no post is due; without faults unless told. Bounded: a publisher that never settles fails."""
        if not faults:
            self.crashes.disarm()
            self.inbox.down = False
            self.service_posts.race = self.service_posts.stale_due = None
            for platform in self.platforms.values():
                platform.script.clear()
                platform.read_script.clear()
        for _ in range(rounds):
            self.run_due()
            for _ in range(200):
                visible = self.sqs.visible()
                if not visible:
                    break
                self.consume(visible[0])
            due_at = [p.due_at for p in self.store.all() if p.due_at]
            if not self.sqs.messages and not due_at:
                return
            now = self.clock()
            next_due_run = [timing.from_iso_utc(d) - HORIZON for d in due_at if timing.from_iso_utc(d) - HORIZON > now]
            self.clock.now = min([now + timedelta(seconds=60), *next_due_run,
                                  *filter(None, [self.sqs.next_visible_at()])])
        pytest.fail(f"not drained after {rounds} rounds: {self.describe()}")

    def describe(self) -> str:
        posts = [(p.id, p.status, p.due_at, {c: (d.status, d.attempts) for c, d in p.deliveries.items()})
                 for p in self.store.all()]
        return f"now={self.clock()} posts={posts} queue={[(e.message, e.visible_at) for e in self.sqs.messages]}"


class Planned:
    """The model's record of one post: what the editor did to it."""

    def __init__(self, post_id: str, text: str, channels: tuple[str, ...], publish_at: str,
                 reply: bool = False) -> None:
        self.post_id = post_id
        self.text = text
        self.channels = channels
        self.publish_at = publish_at
        self.reply = reply
        self.cancelled_after: int | None = None  # number of platform acceptances when it was cancelled


class PublishFaults(RuleBasedStateMachine):
    posts = Bundle("posts")

    def __init__(self) -> None:
        super().__init__()
        self.world = World()
        self.planned: dict[str, Planned] = {}
        self.delivered: list[PublishMessage] = []
        self.stale_read: list[Post] | None = None

    # -------------------------------------------------------------- editor
    @precondition(lambda self: len(self.planned) < MAX_POSTS)
    @rule(target=posts, channels=st.sampled_from(CHANNEL_SETS), ahead=st.integers(1, 300), reply=st.booleans())
    def schedule_post(self, channels: tuple[str, ...], ahead: int, reply: bool) -> str:
        post_id = f"post{len(self.planned):02d}"
        text = f"Bericht {len(self.planned)}: nieuws van vandaag"
        reply = reply and len(channels) == 1
        saved = self.world.schedule_new(post_id, text, channels, self.world.clock() + timedelta(seconds=ahead),
                                        reply=reply)
        self.planned[post_id] = Planned(post_id, text, channels, saved.publish_at or "", reply)
        self._end_step()
        return post_id

    @rule(post_id=posts, action=st.sampled_from(["cancel", "reschedule", "reschedule"]), ahead=st.integers(1, 600))
    def editor_changes_the_plan(self, post_id: str, action: str, ahead: int) -> None:
        """Cancel or move a post; the domain refuses (Conflict) once the publisher has it."""
        before = self.world.store.get(post_id)
        assert before is not None
        allowed = before.status in post_rules.ACTIONS["cancel" if action == "cancel" else "schedule"].sources
        try:
            if action == "cancel":
                self.world.cancel(post_id)
                self.planned[post_id].cancelled_after = self.world.accepted
            else:
                saved = self.world.reschedule(post_id, self.world.clock() + timedelta(seconds=ahead))
                self.planned[post_id].publish_at = saved.publish_at or ""
        except Conflict:
            assert not allowed, f"could not {action} a {before.status} post"
        else:
            assert allowed, f"could {action} a {before.status} post"
        self._end_step()

    # -------------------------------------------------------------- time and the due run
    @rule(micros=st.integers(0, 400_000_000))
    def advance_clock(self, micros: int) -> None:
        self.world.clock.advance(timedelta(microseconds=micros))
        self._end_step()

    @precondition(lambda self: bool(self.world.sqs.messages))
    @rule(extra_millis=st.sampled_from([0, 0, 1, 400, 999, 30_000]))
    def advance_to_the_next_message(self, extra_millis: int) -> None:
        """Jump to when the next queued message becomes visible (or a little later)."""
        upcoming = self.world.sqs.next_visible_at()
        assert upcoming is not None
        self.world.clock.now = max(self.world.clock(), upcoming + timedelta(milliseconds=extra_millis))
        self._end_step()

    @precondition(lambda self: bool(self._leases()))
    @rule(pick=st.integers(0, 1_000), extra_millis=st.sampled_from([0, 1_000, 30_000]))
    def a_lease_runs_out(self, pick: int, extra_millis: int) -> None:
        """Time passes until a worker's lease has ended (its outcome is unknown), and the due run sees it."""
        leases = self._leases()
        self.world.clock.now = max(self.world.clock(),
                                   leases[pick % len(leases)] + timedelta(milliseconds=extra_millis))
        self.world.run_due()
        self._end_step()

    def _leases(self) -> list[datetime]:
        return sorted(timing.from_iso_utc(d.lease_until) for p in self.world.store.all() for d in p.deliveries.values()
                      if d.status == "publishing" and d.lease_until)

    @rule(how=st.sampled_from(["once", "once", "twice", "overlapping", "read_now_finish_later"]))
    def due_run(self, how: str) -> None:
        """The every-minute run; twice in a row; two overlapping runs (A reads, B runs to the end, A goes on with
        its read); or a slow run that read the (eventually consistent) due index now and writes in a later step."""
        world = self.world
        if how == "overlapping":
            read_by_a = world.store.due(world.clock() + HORIZON)
            world.run_due()
            world.service_posts.stale_due = read_by_a
        elif how == "read_now_finish_later" and self.stale_read is None:
            self.stale_read = world.store.due(world.clock() + HORIZON)
            self._end_step()
            return
        elif how == "read_now_finish_later":
            world.service_posts.stale_due, self.stale_read = self.stale_read, None
        world.run_due()
        if how == "twice":
            world.run_due()
        self._end_step()

    @rule(seconds=st.integers(1, 60))
    def time_passes_normally(self, seconds: int) -> None:
        """The schedule fires the due run, then the consumer takes what has become visible, in queue order."""
        self.world.clock.advance(timedelta(seconds=seconds))
        self.world.run_due()
        for envelope in self.world.sqs.visible()[:10]:
            self._consume(envelope)
        self._end_step()

    # -------------------------------------------------------------- the queue and the consumer
    @precondition(lambda self: bool(self.world.sqs.visible()))
    @rule()
    def deliver_next(self) -> None:
        self._consume(self.world.sqs.visible()[0])
        self._end_step()

    @precondition(lambda self: bool(self.world.sqs.visible()))
    @rule(pick=st.integers(0, 1_000))
    def deliver_out_of_order(self, pick: int) -> None:
        visible = self.world.sqs.visible()
        self._consume(visible[pick % len(visible)])
        self._end_step()

    @precondition(lambda self: bool(self.world.sqs.visible()))
    @rule(reverse=st.booleans())
    def deliver_a_batch(self, reverse: bool) -> None:
        """One Lambda invocation with up to 10 records, in queue order or reversed."""
        batch = self.world.sqs.visible()[:10]
        for envelope in reversed(batch) if reverse else batch:
            self._consume(envelope)
        self._end_step()

    @precondition(lambda self: bool(self.delivered))
    @rule(pick=st.integers(0, 1_000))
    def deliver_a_duplicate(self, pick: int) -> None:
        self.world.consume_duplicate(self.delivered[-1 - pick % min(len(self.delivered), 8)])
        self._end_step()

    @precondition(lambda self: bool(self.world.sqs.visible()))
    @rule(phase=st.sampled_from(["sent", "accepted"]), same=st.booleans(), pick=st.integers(0, 1_000))
    def two_consumers_at_once(self, phase: str, same: bool, pick: int) -> None:
        """While one consumer waits on the platform (request sent, or post accepted and the answer on its way),
        a second consumer handles a duplicate of its message, or another message for the same post."""
        first = self._live_first(self.world.sqs.visible())
        others = [e.message for e in self.world.sqs.messages
                  if e is not first and e.message.post_id == first.message.post_id]
        others.sort(key=lambda message: message.channel_id != first.message.channel_id)  # the same delivery first
        second = first.message if same or not others else others[pick % len(others) if pick % 4 == 0 else 0]
        self.world.concurrent = (phase, second)
        self._consume(first)
        self.world.concurrent = None
        self._end_step()

    @precondition(lambda self: any(e.visible_at > self.world.clock() for e in self.world.sqs.messages))
    @rule(pick=st.integers(0, 1_000))
    def deliver_before_its_time(self, pick: int) -> None:
        """A copy of a message that is not visible yet, as a consumer whose clock runs behind would see it: the
        publisher must still wait for the planned second."""
        waiting = [e for e in self.world.sqs.messages if e.visible_at > self.world.clock()]
        self.world.consume_duplicate(waiting[pick % len(waiting)].message)
        self._end_step()

    # -------------------------------------------------------------- faults
    @rule(channel=st.sampled_from([c.id for c in CHANNELS]),
          fault=st.sampled_from(FAULTS + ("transient", "timeout_after", "rate_limited", "timeout_before")),
          retry_after=st.sampled_from([0.0, 1.0, 30.0, 120.0, 1_000.0]), times=st.sampled_from([1, 1, 1, 2, 6]))
    def script_platform_fault(self, channel: str, fault: str, retry_after: float, times: int) -> None:
        """The platform's next `times` publish calls fail this way (6 in a row: an outage longer than the retries)."""
        script = self.world.platforms[channel].script
        script.extend([(fault, retry_after)] * max(0, min(times, 8 - len(script))))
        self._end_step()

    @rule(point=st.sampled_from(["save", "send", "publish", "tell"]), phase=st.sampled_from(["before", "after"]),
          skip=st.integers(0, 2))
    def crash_during_next_step(self, point: str, phase: str, skip: int) -> None:
        self.world.crashes.arm(point, phase, skip)  # stays armed for the next step only

    @rule()
    def the_inbox_is_down_for_a_step(self) -> None:
        self.world.inbox.down = True  # for the next step only

    @precondition(lambda self: bool(self.world.sqs.visible()))
    @rule(point=st.sampled_from(["save", "publish"]), phase=st.sampled_from(["before", "after"]),
          skip=st.integers(0, 1),
          answer=st.sampled_from(["ok", "ok", "timeout_after", "timeout_after", "permanent", "credentials", "transient",
                                  "timeout_before"]))
    def the_consumer_dies(self, point: str, phase: str, skip: int, answer: str) -> None:
        """The publish_post Lambda is killed during the next message: before or after its lease, its platform call
        or its final write (skip=1 on save is the write that records the outcome); the platform answers `answer`."""
        envelope = self._live_first(self.world.sqs.visible())
        self.world.platforms[envelope.message.channel_id].script.insert(0, (answer, 30.0))
        self.world.crashes.arm(point, phase, skip)
        self._consume(envelope)
        self._end_step()

    @rule(channel=st.sampled_from([c.id for c in CHANNELS]), fault=st.sampled_from(READ_FAULTS),
          times=st.sampled_from([1, 1, 3]))
    def script_platform_read_fault(self, channel: str, fault: str, times: int) -> None:
        """The platform's next reads of the account's recent posts (reconciliation) fail."""
        script = self.world.platforms[channel].read_script
        script.extend([fault] * max(0, min(times, 6 - len(script))))
        self._end_step()

    @rule(kind=st.sampled_from(["touch", "editor"]))
    def race_the_next_save(self, kind: str) -> None:
        """Just before the publisher's next write, someone else writes the same post (its write then conflicts)."""
        def race(post_id: str) -> None:
            post = self.world.store.get(post_id)
            if post is None:
                return
            if kind == "editor" and post.status == Status.SCHEDULED:
                self.world.cancel(post_id)
                self.planned[post_id].cancelled_after = self.world.accepted
            else:
                self.world.store.save(post)  # e.g. an overlapping due run writing the same due_at
        self.world.service_posts.race = race  # stays armed for the next step only

    # -------------------------------------------------------------- helpers
    def _consume(self, envelope: Envelope) -> None:
        self.delivered.append(envelope.message)
        self.world.consume(envelope)

    def _live_first(self, envelopes: list[Envelope]) -> Envelope:
        """The first message that still has work to do (not for a settled, cancelled or moved delivery)."""
        for envelope in envelopes:
            post = self.world.store.get(envelope.message.post_id)
            delivery = post.deliveries.get(envelope.message.channel_id) if post else None
            if post and delivery and not delivery.final and post.publish_at == envelope.message.publish_at \
                    and post.status in (Status.SCHEDULED, Status.PUBLISHING):
                return envelope
        return envelopes[0]

    def _end_step(self) -> None:
        """Crashes, races and an inbox that is down last one step: whatever did not fire is gone after it."""
        self.world.crashes.disarm()
        self.world.service_posts.race = None
        self.world.inbox.down = False

    # -------------------------------------------------------------- invariants
    @invariant()
    def safety(self) -> None:
        check_safety(self.world, self.planned)

    def teardown(self) -> None:
        if sys.exc_info()[0] is not None:
            return  # the run failed already: keep that failure
        self.world.drain()
        check_safety(self.world, self.planned)
        check_liveness(self.world, self.planned)


def check_safety(world: World, planned: dict[str, Planned]) -> None:
    posts = {p.id: p for p in world.store.all()}
    for channel_id, platform in world.platforms.items():
        seen: dict[str, int] = {}
        for accepted in platform.posts:
            post_id, key_channel, _ = accepted.key.split(".")
            assert key_channel == channel_id, accepted
            seen[post_id] = seen.get(post_id, 0) + 1
            assert seen[post_id] == 1, f"{post_id} is on {channel_id} twice: {platform.posts}"
            plan = planned[post_id]
            assert accepted.key == delivery_rules.idempotency_key(post_id, channel_id, plan.publish_at), (
                f"{post_id} was posted on {channel_id} for a time it was moved away from: "
                f"{accepted.key} vs {plan.publish_at}")
            assert plan.cancelled_after is None or accepted.sequence <= plan.cancelled_after, (
                f"cancelled {post_id} was posted")
            assert accepted.accepted_at >= timing.from_iso_utc(plan.publish_at), (
                f"{post_id} posted at {accepted.accepted_at}, planned for {plan.publish_at}")
            assert channel_id in plan.channels and accepted.text == plan.text, accepted
    for post in posts.values():
        for channel_id, delivery in post.deliveries.items():
            platform = world.platforms[channel_id]
            if delivery.status == "published":
                mine = [a for a in platform.posts if a.key.startswith(f"{post.id}.{channel_id}.")]
                assert [a.platform_id for a in mine] == [delivery.platform_id], (
                    f"{post.id} on {channel_id}: stored {delivery.platform_id}, platform has {mine}")
            if delivery.status == "failed":
                check_failure(world, post, channel_id)
    for alert in world.alerts.sent:
        if alert.attributes.get("kind") == "publish_failure":
            key = alert_key(alert)
            assert key, alert
            assert posts[key[0]].deliveries[key[1]].status == "failed", (
                f"alert for a delivery that did not fail: {alert}")
            assert posts[key[0]].reply_to is None, f"the editors were told about a reply: {alert}"
    for post_id, channel_id, outcome in world.inbox.told:
        post = posts[post_id]
        assert post.reply_to is not None, f"the inbox was told about {post_id}, which is no reply"
        assert post.deliveries[channel_id].status == outcome, f"the inbox heard {outcome} for {post.deliveries}"
    for (post_id, channel_id), count in Counter((p, c) for p, c, _ in world.inbox.told).items():
        assert count == 1 or (post_id, channel_id) in world.told_then_died, f"the inbox heard {post_id} {count}x"
    unverified = Counter((post_of(a), a.attributes["channel"])
                         for a in world.alerts.sent if a.attributes.get("kind") == "publish_unverified")
    assert all(count == 1 for count in unverified.values()), f"'cannot verify' told more than once: {unverified}"


def post_of(alert: Alert) -> str:
    """The post an alert is about (its message starts "Post <id> ")."""
    found = re.match(r"Post (\S+) ", alert.message)
    assert found is not None, alert
    return found.group(1)


def alert_key(alert: Alert) -> tuple[str, str] | None:
    """(post, channel) of a publish failure alert; None for other alerts."""
    found = re.match(r"Post (\S+) ", alert.message)
    if alert.attributes.get("kind") != "publish_failure" or not found:
        return None
    return found.group(1), alert.attributes["channel"]


def failure_alerts(world: World, post_id: str, channel_id: str) -> int:
    return sum(1 for a in world.alerts.sent if alert_key(a) == (post_id, channel_id))


def check_failure(world: World, post: Post, channel_id: str) -> None:
    delivery = post.deliveries[channel_id]
    assert delivery.error, f"{post.id} failed on {channel_id} without an error"
    platform = world.platforms[channel_id]
    key = delivery_rules.idempotency_key(post.id, channel_id, post.publish_at or "")
    answers = platform.answers.get(key, [])
    refused = bool(FINAL & set(answers))  # or it gave up after every attempt it had (its reads may have failed too)
    assert refused or delivery.attempts >= delivery_rules.MAX_ATTEMPTS, (
        f"{post.id} failed on {channel_id} ({delivery.error}) after {delivery.attempts} attempts; "
        f"publish answers {answers}")
    assert not any(a.key == key for a in platform.posts), (
        f"{post.id} is on {channel_id} but recorded as failed ({delivery.error})")
    excused_twice = {(post.id, channel_id)} & world.told_then_died
    if not excused_twice:  # a failure is recorded first, told next: none for a moment, never two
        assert failure_alerts(world, post.id, channel_id) <= 1, f"{post.id} failed on {channel_id}: alerted twice"


def check_liveness(world: World, planned: dict[str, Planned]) -> None:
    for post in world.store.all():
        plan = planned[post.id]
        assert post.due_at is None
        assert all(d.status != "publishing" for d in post.deliveries.values()), world.describe()
        if plan.cancelled_after is not None:
            assert post.status == Status.CANCELLED
            continue
        assert post.status in (Status.PUBLISHED, Status.FAILED), world.describe()
        assert all(d.final for d in post.deliveries.values()), world.describe()
        for channel_id, delivery in post.deliveries.items():
            if plan.reply:
                assert (post.id, channel_id, delivery.status) in world.inbox.told, f"{post.id}'s outcome untold"
            elif delivery.status == "failed":
                assert failure_alerts(world, post.id, channel_id) >= 1, f"{post.id} failed on {channel_id} unalerted"
            if delivery.status == "published":
                on_platform = [a for a in world.platforms[channel_id].posts if a.platform_id == delivery.platform_id]
                assert len(on_platform) == 1 and on_platform[0].key.startswith(f"{post.id}.{channel_id}.")


def test_the_publish_path_survives_faults() -> None:
    run_state_machine_as_test(
        PublishFaults,
        settings=settings(max_examples=EXAMPLES, stateful_step_count=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]),
    )


# ------------------------------------------------------------------------------------------------ found bugs
# Minimal examples of what the machine found, kept as regression tests. The first five failed on commit f8dd147;
# the next three on an uncommitted first version of 733bbf4 (which fixed the five); the last one on 733bbf4.

def test_a_crash_after_recording_a_failure_still_alerts() -> None:
    """f8dd147 sent the alert after the write that recorded the failure: a Lambda dying in between lost it for good."""
    world = World()
    world.platforms["masto"].script.append(("permanent", 0.0))
    world.schedule_new("post00", "Hallo", ("masto",), T0 + timedelta(seconds=5))  # enqueued at once, delayed 5 s
    world.clock.advance(timedelta(seconds=5))
    world.crashes.arm("save", "after", skip=1)  # the lease write goes through; the Lambda dies after the next one
    world.consume(world.sqs.visible()[0])
    world.drain()  # SQS shows the message again after the visibility timeout
    post = world.store.get("post00")
    assert post is not None and post.deliveries["masto"].status == "failed"
    assert [a.attributes["kind"] for a in world.alerts.sent] == ["publish_failure"]


def test_a_platform_that_never_answers_fails_the_delivery_after_max_attempts() -> None:
    """f8dd147 never counted OutcomeUnknown towards MAX_ATTEMPTS: the post stayed `publishing` for ever, unalerted."""
    world = World()
    world.platforms["masto"].script.extend([("timeout_before", 0.0)] * 100)
    world.schedule_new("post00", "Hallo", ("masto",), T0 + timedelta(seconds=5))
    try:
        world.drain(faults=True, rounds=120)  # two hours of simulated time
    except pytest.fail.Exception:
        pass  # still not settled: the assertions below say in what state
    post = world.store.get("post00")
    assert post is not None
    assert world.platforms["masto"].calls <= delivery_rules.MAX_ATTEMPTS, f"{world.platforms['masto'].calls} calls"
    assert post.deliveries["masto"].status == "failed" and post.status == Status.FAILED
    assert [a.attributes["kind"] for a in world.alerts.sent] == ["publish_failure"]


def test_a_retry_never_adopts_another_post_with_the_same_text() -> None:
    """f8dd147 reconciled on text alone: a retry took another post's identical text for its own."""
    world = World()
    world.platforms["x"].script.append(("rate_limited", 30.0))  # nothing was posted: retry in 30 s
    world.schedule_new("early", "Vacature: kom bij ons werken!", ("x",), T0 + timedelta(seconds=10))
    world.schedule_new("later", "Vacature: kom bij ons werken!", ("x",), T0 + timedelta(seconds=20))
    world.drain(faults=True)
    early, later = world.store.get("early"), world.store.get("later")
    assert early is not None and later is not None
    early_key = delivery_rules.idempotency_key("early", "x", early.publish_at or "")
    assert world.platforms["x"].answers[early_key][0] == "rate_limited"
    assert early.status == later.status == Status.PUBLISHED
    assert early.deliveries["x"].platform_id != later.deliveries["x"].platform_id
    assert len(world.platforms["x"].posts) == 2


def test_no_post_goes_out_before_its_planned_second() -> None:
    """f8dd147 rounded the delay with int(seconds + 0.999), no ceiling: 0.0005 s became 0 s."""
    world = World()
    world.clock.now = T0 + timedelta(seconds=1, microseconds=999_500)
    world.schedule_new("post00", "Hallo", ("masto",), T0 + timedelta(seconds=2))  # enqueue_soon: a delay of 1 s, not 0
    world.drain()
    accepted = world.platforms["masto"].posts
    assert len(accepted) == 1 and accepted[0].accepted_at >= T0 + timedelta(seconds=2), accepted


def test_an_early_message_waits_even_for_a_fraction_of_a_second() -> None:
    """f8dd147 leased a message up to EARLY_TOLERANCE (500 ms) before the planned second."""
    world = World()
    world.schedule_new("post00", "Hallo", ("masto",), T0 + timedelta(seconds=10))
    message = world.sqs.messages[0].message
    world.clock.now = T0 + timedelta(seconds=9, milliseconds=700)  # a consumer 300 ms early (clock skew, or a copy)
    world.consume_duplicate(message)
    world.drain()
    accepted = world.platforms["masto"].posts
    assert len(accepted) == 1 and accepted[0].accepted_at >= T0 + timedelta(seconds=10), accepted


def test_a_crash_between_the_alert_and_the_record_raises_no_false_alarm() -> None:
    """Alerting before recording the failure told the editors a post failed that its retry then published."""
    world = World()
    world.platforms["masto"].script.append(("permanent", 0.0))  # e.g. a 422 on a momentarily broken media link
    world.schedule_new("post00", "Hallo", ("masto",), T0 + timedelta(seconds=5))
    world.clock.advance(timedelta(seconds=5))
    world.crashes.arm("save", "before", skip=1)  # dies on the write that would record the failure
    world.consume(world.sqs.visible()[0])
    world.drain()  # the lease runs out; the retry is answered normally
    post = world.store.get("post00")
    assert post is not None
    alerts = [a for a in world.alerts.sent if a.attributes.get("kind") == "publish_failure"]
    assert len(alerts) == (1 if post.deliveries["masto"].status == "failed" else 0), (post.deliveries, alerts)


def test_a_failed_reconciliation_read_does_not_lead_to_a_second_post() -> None:
    """A failed read of recent posts sent the delivery back to `pending`, and the next attempt no longer looked."""
    world = World()
    world.platforms["x"].script.append(("timeout_after", 0.0))  # X accepts; the answer is lost
    world.platforms["x"].read_script.append("transient")  # the reconciling worker cannot read the timeline once
    world.schedule_new("post00", "Hallo", ("x",), T0 + timedelta(seconds=5))
    world.drain(faults=True)
    assert len(world.platforms["x"].posts) == 1, world.platforms["x"].posts


def test_a_retry_that_dies_after_taking_the_lease_does_not_hide_the_first_post() -> None:
    """A reconcile window taken from the latest attempt moved past the attempt that posted when a worker died."""
    world = World()
    world.platforms["x"].script.append(("timeout_after", 0.0))
    world.schedule_new("post00", "Hallo", ("x",), T0 + timedelta(seconds=5))
    world.clock.advance(timedelta(seconds=5))
    world.consume(world.sqs.visible()[0])  # X accepted, the answer was lost: the lease is kept
    world.clock.advance(delivery_rules.LEASE + timedelta(seconds=1))
    world.run_due()  # the lease has ended: sent again to reconcile
    world.crashes.arm("save", "after")  # the next worker writes its lease and dies before it reconciles
    world.consume(world.sqs.visible()[0])
    world.drain()
    assert len(world.platforms["x"].posts) == 1, world.platforms["x"].posts


def test_a_post_that_went_out_is_not_reported_as_failed() -> None:
    """733bbf4 gave up as `failed` when every reconciling read failed, although an earlier attempt's post was live."""
    world = World()
    world.platforms["x"].script.append(("timeout_after", 0.0))  # X accepts; the answer is lost
    world.platforms["x"].read_script.extend(["rate_limited"] * 4)  # and the timeline cannot be read for a while
    world.schedule_new("post00", "Hallo", ("x",), T0 + timedelta(seconds=5))
    world.drain(faults=True)
    post = world.store.get("post00")
    assert post is not None and len(world.platforms["x"].posts) == 1
    assert post.deliveries["x"].status == "published", post.deliveries["x"]


def test_an_account_that_stays_unreadable_is_reported_once_and_never_posted_twice() -> None:
    """A lost answer followed by reads that keep failing used to retry quietly for ever: now the editors are told
    once to look at the account, while Chorus keeps checking and settles when the account can be read again."""
    world = World()
    world.platforms["x"].script.append(("timeout_after", 0.0))  # X accepts; the answer is lost
    world.platforms["x"].read_script.extend(["transient"] * 12)  # and the timeline cannot be read for a long while
    world.schedule_new("post00", "Hallo", ("x",), T0 + timedelta(seconds=5))
    world.drain(faults=True)
    post = world.store.get("post00")
    assert post is not None and len(world.platforms["x"].posts) == 1
    assert post.deliveries["x"].status == "published", post.deliveries["x"]
    kinds = [a.attributes["kind"] for a in world.alerts.sent]
    assert kinds == ["publish_unverified"], kinds
    assert "Chorus keeps checking" in world.alerts.sent[0].message


def test_overlapping_due_runs_alert_a_failure_once() -> None:
    world = World()
    world.platforms["masto"].script.append(("permanent", 0.0))
    world.schedule_new("post00", "Hallo", ("masto",), T0 + timedelta(seconds=5))
    world.clock.advance(timedelta(seconds=5))
    world.crashes.arm("save", "after", skip=1)  # the failure is recorded; the Lambda dies before telling anyone
    world.consume(world.sqs.visible()[0])
    read_by_a = world.store.due(world.clock() + HORIZON)  # due run A reads the index
    world.run_due()  # due run B tells the editors and notes it
    world.service_posts.stale_due = read_by_a
    world.run_due()  # A goes on with what it read
    assert [a.attributes["kind"] for a in world.alerts.sent] == ["publish_failure"]




# ------------------------------------------------------------------------------------------------ replies
# Issue 11, item 3: a reply whose delivery failed still counted as the mention's answer. The publisher now reports each
# reply's final outcome to the inbox (chorus.container.ReportReplies), after recording it, like a failure alert.

def test_a_published_reply_is_reported_to_the_inbox_once() -> None:
    world = World()
    world.schedule_new("reply00", "Sorry, we kijken ernaar", ("x",), T0 + timedelta(seconds=5), reply=True)
    world.drain()
    assert world.inbox.told == [("reply00", "x", "published")] and world.alerts.sent == []
    post = world.store.get("reply00")
    assert post is not None and post.due_at is None and post.deliveries["x"].alerted_at is not None


def test_a_failed_reply_is_reported_to_the_inbox_not_to_the_editors() -> None:
    world = World()
    world.platforms["x"].script.append(("credentials", 0.0))
    world.schedule_new("reply00", "Sorry, we kijken ernaar", ("x",), T0 + timedelta(seconds=5), reply=True)
    world.drain(faults=True)
    assert world.inbox.told == [("reply00", "x", "failed")]
    assert [a.attributes["kind"] for a in world.alerts.sent] == ["channel_needs_reconnect"]  # the channel, not the post


def test_a_crash_after_recording_a_replys_outcome_still_reports_it() -> None:
    world = World()
    world.schedule_new("reply00", "Sorry", ("x",), T0 + timedelta(seconds=5), reply=True)
    world.clock.advance(timedelta(seconds=5))
    world.crashes.arm("tell", "before")
    world.consume(world.sqs.visible()[0])  # published and recorded; the Lambda dies before telling the inbox
    assert world.inbox.told == []
    world.drain()
    assert world.inbox.told == [("reply00", "x", "published")]


def test_an_inbox_that_cannot_take_the_outcome_hears_it_from_a_later_due_run() -> None:
    world = World()
    world.schedule_new("reply00", "Sorry", ("x",), T0 + timedelta(seconds=5), reply=True)
    world.clock.advance(timedelta(seconds=5))
    world.inbox.down = True
    world.consume(world.sqs.visible()[0])
    post = world.store.get("reply00")
    assert post is not None and post.deliveries["x"].status == "published" and post.due_at is not None
    world.inbox.down = False
    world.clock.advance(delivery_rules.ALERT_CLAIM)
    world.drain()
    assert world.inbox.told == [("reply00", "x", "published")]


def test_overlapping_due_runs_report_a_reply_once() -> None:
    world = World()
    world.schedule_new("reply00", "Sorry", ("x",), T0 + timedelta(seconds=5), reply=True)
    world.clock.advance(timedelta(seconds=5))
    world.crashes.arm("tell", "before")
    world.consume(world.sqs.visible()[0])
    read_by_a = world.store.due(world.clock() + HORIZON)
    world.clock.advance(delivery_rules.ALERT_CLAIM)
    world.run_due()
    world.service_posts.stale_due = read_by_a
    world.run_due()
    assert world.inbox.told == [("reply00", "x", "published")]
