"""In-memory stand-ins for everything the publisher talks to, with the faults production can throw at it.

Each fake mirrors its real adapter's contract, not its implementation:
- `PostStore` locks optimistically like `dynamodb.PostRepository` (deep copies in and out, version + 1 per save);
- `Sqs` keeps each message with the moment it becomes visible, hides it for the visibility timeout while a consumer
  works on it, and dead-letters it after `maxReceiveCount` failed receives (values from infra/template.yaml);
- `Platform` behaves like Mastodon (Idempotency-Key honoured for an hour), Bluesky (client-chosen record key,
  create-only) or X (no idempotency at all), and can be scripted call by call to fail;
- `CrashPlan` makes one chosen call die, before or after it took effect, as a Lambda that is killed between steps.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chorus.calendar import service as calendar
from chorus.calendar.schemas import Channel, Post
from chorus.core import time as timing
from chorus.core.errors import Stale
from chorus.platforms.base import (
    Connector,
    CredentialsRejected,
    OutcomeUnknown,
    PermanentFailure,
    Published,
    PublishRequest,
    RateLimited,
    RecentPost,
    TransientFailure,
)
from chorus.publishing.service import DuePosts, Queue
from chorus.publishing.store import PublishMessage
from tests.clock import Clock

VISIBILITY_TIMEOUT = timedelta(seconds=360)  # infra/template.yaml PublishQueue
MAX_RECEIVES = 5  # its redrive policy
MAX_DELAY = 900  # SQS DelaySeconds limit (PublishQueue.MAX_DELAY)
MASTODON_KEY_TTL = timedelta(hours=1)


class Crash(BaseException):
    """The Lambda died here. A BaseException, so no `except Exception` in the code under test can swallow it."""


def platform_time(moment: datetime) -> str:
    """How Mastodon, X and Bluesky write created_at: milliseconds and a Z."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# ---------------------------------------------------------------------------------------------- crashes
@dataclass
class CrashPlan:
    """At most one armed crash: the `skip`-th next call at `point` dies `before` or `after` it takes effect."""

    point: str | None = None
    phase: str = "before"
    skip: int = 0
    fired: list[str] = field(default_factory=list)

    def arm(self, point: str, phase: str, skip: int = 0) -> None:
        self.point, self.phase, self.skip = point, phase, skip

    def disarm(self) -> None:
        self.point = None

    def call(self, point: str, action: Callable[..., Any], *args: Any) -> Any:
        if self.point != point:
            return action(*args)
        if self.skip:
            self.skip -= 1
            return action(*args)
        phase = self.phase
        self.disarm()
        self.fired.append(f"{phase} {point}")
        if phase == "before":
            raise Crash(f"died before {point}")
        action(*args)  # took effect (a platform error raised here means there was nothing to die after)
        raise Crash(f"died after {point}, before seeing its answer")


# ---------------------------------------------------------------------------------------------- stores
class PostStore(DuePosts):
    """`PostRepository` semantics: save raises Conflict unless the stored version is post.version."""

    def __init__(self) -> None:
        self._items: dict[str, Post] = {}

    def create(self, post: Post) -> bool:
        if post.id in self._items:
            return False
        self._items[post.id] = post.model_copy(deep=True, update={"version": 1})
        return True

    def get(self, post_id: str) -> Post | None:
        stored = self._items.get(post_id)
        return stored.model_copy(deep=True) if stored else None

    def save(self, post: Post) -> Post:
        stored = self._items.get(post.id)
        if (stored.version if stored else 0) != post.version:
            raise Stale("the post was changed by someone else meanwhile; reload it and try again")
        saved = post.model_copy(deep=True, update={"version": post.version + 1})
        self._items[post.id] = saved
        return saved.model_copy(deep=True)

    def due(self, until: datetime, limit: int = 100) -> list[Post]:
        bound = timing.iso_utc(until)
        due = sorted((p for p in self._items.values() if p.due_at and p.due_at <= bound),
                     key=lambda p: (p.due_at, p.id))
        return [p.model_copy(deep=True) for p in due[:limit]]

    def all(self) -> list[Post]:
        return [p.model_copy(deep=True) for p in sorted(self._items.values(), key=lambda p: p.id)]


class ServicePosts(DuePosts):
    """The publisher's view of the post store: crashes, a racing writer, and a stale (lagging) due index."""

    def __init__(self, store: PostStore, crashes: CrashPlan) -> None:
        self.store = store
        self.crashes = crashes
        self.race: Callable[[str], None] | None = None  # runs just before the publisher's next save
        self.stale_due: list[Post] | None = None  # what the next due() returns (read earlier)

    def get(self, post_id: str) -> Post | None:
        return self.store.get(post_id)

    def due(self, until: datetime, limit: int = 100) -> list[Post]:
        if self.stale_due is None:
            return self.store.due(until, limit)
        stale, self.stale_due = self.stale_due, None
        bound = timing.iso_utc(until)
        return [p.model_copy(deep=True) for p in stale if p.due_at and p.due_at <= bound][:limit]

    def save(self, post: Post) -> Post:
        if self.race is not None:
            race, self.race = self.race, None
            race(post.id)
        return self.crashes.call("save", self.store.save, post)


class ChannelStore(calendar.ChannelStore):
    def __init__(self, channels: list[Channel]) -> None:
        self._items = {c.id: c for c in channels}

    def get(self, channel_id: str) -> Channel | None:
        found = self._items.get(channel_id)
        return found.model_copy(deep=True) if found else None

    def all(self) -> list[Channel]:
        return [c.model_copy(deep=True) for c in self._items.values()]

    def create(self, channel: Channel) -> bool:
        if channel.id in self._items:
            return False
        self._items[channel.id] = channel.model_copy(deep=True)
        return True

    def save(self, channel: Channel) -> None:
        self._items[channel.id] = channel.model_copy(deep=True)

    def delete(self, channel_id: str) -> bool:
        return self._items.pop(channel_id, None) is not None


# ---------------------------------------------------------------------------------------------- queue
@dataclass
class Envelope:
    number: int
    message: PublishMessage
    visible_at: datetime
    receives: int = 0


class Sqs:
    """A standard queue: delayed messages, a visibility timeout, a redrive to a dead-letter queue."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.messages: list[Envelope] = []
        self.dead: list[Envelope] = []
        self.sent = 0

    def send(self, message: PublishMessage, delay_seconds: int) -> None:
        self.sent += 1
        delay = timedelta(seconds=max(0, min(MAX_DELAY, delay_seconds)))
        self.messages.append(Envelope(self.sent, message, self.clock() + delay))

    def visible(self) -> list[Envelope]:
        now = self.clock()
        return sorted((e for e in self.messages if e.visible_at <= now), key=lambda e: (e.visible_at, e.number))

    def next_visible_at(self) -> datetime | None:
        return min((e.visible_at for e in self.messages), default=None)

    def receive(self, envelope: Envelope) -> None:
        envelope.receives += 1
        envelope.visible_at = self.clock() + VISIBILITY_TIMEOUT

    def delete(self, envelope: Envelope) -> None:
        self.messages.remove(envelope)

    def abandon(self, envelope: Envelope) -> None:
        """The consumer died or reported the record as failed: SQS shows it again after the visibility timeout."""
        if envelope.receives >= MAX_RECEIVES:
            self.messages.remove(envelope)
            self.dead.append(envelope)


class ServiceQueue(Queue):
    def __init__(self, sqs: Sqs, crashes: CrashPlan) -> None:
        self.sqs = sqs
        self.crashes = crashes

    def send(self, message: PublishMessage, delay_seconds: int) -> None:
        self.crashes.call("send", self.sqs.send, message, delay_seconds)


@dataclass
class Alert:
    subject: str
    message: str
    attributes: dict[str, str]


class Alerts(calendar.AlertSink):
    def __init__(self) -> None:
        self.sent: list[Alert] = []

    def send(self, subject: str, message: str, **attributes: str) -> None:
        self.sent.append(Alert(subject, message, attributes))


# ---------------------------------------------------------------------------------------------- platforms
@dataclass(frozen=True)
class Accepted:
    """One post that exists on the platform. `key` is the test's oracle (X itself never sees it)."""

    sequence: int
    platform_id: str
    text: str
    key: str
    accepted_at: datetime
    created_at: str


FAULTS = ("rate_limited", "transient", "timeout_before", "timeout_after", "credentials", "permanent")
READ_FAULTS = ("rate_limited", "transient", "timeout")
FINAL = frozenset({"credentials", "permanent"})


class Platform(Connector):
    """A social network account. `style` is mastodon (Idempotency-Key honoured for an hour), bluesky (record key
    derived from the key, create-only) or x (every call that gets through is a new post)."""

    def __init__(self, style: str, clock: Clock, accepted_counter: Callable[[], int]) -> None:
        self.platform = style
        self.style = style
        self.clock = clock
        self.next_sequence = accepted_counter
        self.posts: list[Accepted] = []
        self.script: list[tuple[str, float]] = []  # (fault, retry_after) for the next publish calls
        self.read_script: list[str] = []  # faults for the next recent_posts calls
        self.answers: dict[str, list[str]] = {}  # per idempotency key: what each publish call answered
        self.calls = 0
        self.while_in_flight: Callable[[str], None] = lambda phase: None  # phase: "sent" or "accepted"
        self._keys: dict[str, Accepted] = {}

    def publish(self, request: PublishRequest) -> Published:
        self.calls += 1
        fault, retry_after = self.script.pop(0) if self.script else ("ok", 0.0)
        self.answers.setdefault(request.idempotency_key, []).append(fault)
        self.while_in_flight("sent")  # the request is on its way: others may act meanwhile
        if fault == "rate_limited":
            raise RateLimited(retry_after, "429 too many requests")
        if fault == "transient":
            raise TransientFailure("503 service unavailable")
        if fault == "timeout_before":
            raise OutcomeUnknown("read timeout (the request never arrived)")
        if fault == "credentials":
            raise CredentialsRejected("401 the access token was revoked")
        if fault == "permanent":
            raise PermanentFailure("422 the text was refused")
        accepted = self._accept(request)
        self.while_in_flight("accepted")  # the post exists; the answer is on its way back
        if fault == "timeout_after":
            raise OutcomeUnknown("read timeout after the platform accepted the post")
        return Published(accepted.platform_id, f"https://{self.style}.example/{accepted.platform_id}")

    def _accept(self, request: PublishRequest) -> Accepted:
        now = self.clock()
        earlier = self._keys.get(request.idempotency_key)
        if earlier is not None and self.style == "bluesky":
            return earlier  # putRecord with swapRecord=None: the record exists, InvalidSwap is tolerated
        if earlier is not None and self.style == "mastodon" and now - earlier.accepted_at < MASTODON_KEY_TTL:
            return earlier
        sequence = self.next_sequence()
        if self.style == "bluesky":
            platform_id = f"at://did:plc:org/app.bsky.feed.post/{hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:13]}"
        else:
            platform_id = str(1_000_000 + sequence)
        accepted = Accepted(sequence, platform_id, request.text, request.idempotency_key, now, platform_time(now))
        self.posts.append(accepted)
        if self.style != "x":
            self._keys[request.idempotency_key] = accepted
        return accepted

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        fault = self.read_script.pop(0) if self.read_script else "ok"
        if fault == "rate_limited":
            raise RateLimited(60.0, "429 too many requests")
        if fault == "transient":
            raise TransientFailure("503 service unavailable")
        if fault == "timeout":
            raise OutcomeUnknown("read timeout")
        newest = sorted(self.posts, key=lambda a: (a.created_at, a.sequence), reverse=True)[:limit]
        return [RecentPost(a.platform_id, f"https://{self.style}.example/{a.platform_id}", a.text, a.created_at)
                for a in newest]

    def delete(self, platform_id: str) -> None:
        self.posts = [a for a in self.posts if a.platform_id != platform_id]

    def verify_credentials(self) -> str:
        return f"{self.style}:org"


class ServicePlatform(Connector):
    """What the publisher's connector factory hands out: the platform, with crashes around publish."""

    def __init__(self, platform: Platform, crashes: CrashPlan) -> None:
        self.real = platform
        self.platform = platform.platform
        self.crashes = crashes

    def publish(self, request: PublishRequest) -> Published:
        return self.crashes.call("publish", self.real.publish, request)

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        return self.real.recent_posts(limit)

    def delete(self, platform_id: str) -> None:
        self.real.delete(platform_id)

    def verify_credentials(self) -> str:
        return self.real.verify_credentials()
