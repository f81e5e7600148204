"""Use cases of the content calendar, over the ports declared below (the stores, the alerts topic, and the
publishing, crisis-hold and inbox features).

- CalendarService: posts and their approval workflow, and the channels they go out on.
- ChannelChecks: checks that keep the calendar healthy: enough posts planned per channel (seed 000 #6: regularity),
  and channels whose credentials will be rejected, found before their next post is due rather than when it fails.
  `mark_needs_reconnect` flags such a channel and tells its owner (the publisher calls it too).
- CrisisService: the crisis hold: stop everything that is scheduled at once, and release it afterwards without
  surprises."""
from __future__ import annotations

import functools
import hashlib
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from chorus.aws.cursors import MAX_PAGE
from chorus.calendar import rules as post_rules
from chorus.calendar.schemas import Channel, ChannelCreate, ChannelFields, Post, PostContent, Status
from chorus.core import time as timing
from chorus.core.errors import Conflict, Forbidden, NotFound, Stale, ValidationError, require_version
from chorus.core.observability import logger, metrics
from chorus.core.retry import retry_on_conflict
from chorus.core.roles import CRISIS_TEAM, EDITORS, Principal
from chorus.core.time import Clock
from chorus.platforms.base import Connector, CredentialsRejected, PublishError

QUEUE_HORIZON = timedelta(days=28)
DUPLICATE_WINDOW = timedelta(hours=24)
DEFAULT_RANGE = timedelta(days=31)
MAX_RANGE = timedelta(days=400)


class AlertSink(Protocol):
    """The alerts topic (chorus.aws.messaging.Alerts): message attributes let each subscription filter."""

    def send(self, subject: str, message: str, **attributes: str) -> None: ...


class PostStore(Protocol):
    def get(self, post_id: str) -> Post | None: ...
    def create(self, post: Post) -> bool: ...
    def save(self, post: Post) -> Post: ...
    def calendar(
        self, start: datetime, end: datetime, channel: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Post], str | None]: ...
    def in_window(self, start: datetime, end: datetime) -> list[Post]: ...
    def by_status(self, status: str, limit: int, cursor: str | None) -> tuple[list[Post], str | None]: ...


class ChannelStore(Protocol):
    def get(self, channel_id: str) -> Channel | None: ...
    def all(self) -> list[Channel]: ...
    def create(self, channel: Channel) -> bool: ...
    def save(self, channel: Channel) -> None: ...
    def delete(self, channel_id: str) -> bool: ...


class Publisher(Protocol):
    """Publishing (chorus.publishing.service.PublishingService): a post due before the next due run is queued now."""

    def enqueue_soon(self, post: Post) -> object: ...


class Holds(Protocol):
    """The crisis hold (CrisisService): while one is on, nothing new is scheduled."""

    def active_hold(self) -> dict[str, Any] | None: ...


class ReplyApprovals(Protocol):
    """The inbox (chorus.inbox.service.InboxService): an approved reply goes out now and answers its mention."""

    def approve_reply(self, actor: Principal, post: Post) -> Post: ...


class MediaLinks(Protocol):
    """The media library (chorus.aws.media.MediaLibrary): what a file is, and a thumbnail link to it."""

    def describe(self, key: str) -> tuple[str, int] | None: ...
    def link(self, key: str, expires_in: int) -> str: ...


class FeedStore(Protocol):
    """Who owns which calendar feed secret (chorus.aws.state.StateRepository); only hashes of secrets are kept."""

    def get(self, name: str) -> dict[str, Any]: ...
    def put(self, name: str, value: dict[str, Any], updated_at: str) -> None: ...
    def delete(self, name: str) -> None: ...


EXPORT_MAX_POSTS = 10_000  # a year of twenty posts a day fits; a bigger export is a narrower period
THUMBNAIL_SECONDS = 15 * 60  # a thumbnail link is for looking at the post now, not for sharing


class CalendarService:
    def __init__(
        self, posts: PostStore, channels: ChannelStore, clock: Clock, timezone: str,
        publisher: Publisher | None = None, holds: Holds | None = None, replies: ReplyApprovals | None = None,
        feeds: FeedStore | None = None, media: MediaLinks | None = None,
    ) -> None:
        self.media = media
        self.posts = posts
        self.channels = channels
        self.clock = clock
        self.timezone = timezone
        self.publisher = publisher
        self.holds = holds
        self.replies = replies
        self.feeds = feeds

    # ------------------------------------------------------------------ posts
    def create_post(
        self, actor: Principal, content: PostContent, idempotency_key: str | None = None
    ) -> tuple[Post, list[dict[str, str]], bool]:
        """Create a draft. With an Idempotency-Key, a retry returns the first post instead of a second one."""
        post_id = post_rules.new_post_id()
        if idempotency_key:
            post_id = hashlib.sha256(f"{actor.username}\n{idempotency_key}".encode()).hexdigest()[:32]
        post = self._described(post_rules.draft(post_id, content, actor, self.clock()))
        self._known_channels(post.channels)
        advice = self.advice(post)  # before the write: a request that fails changes nothing
        if not self.posts.create(post):
            existing = self._get(post_id)
            return existing, self.advice(existing), False
        return post, advice, True

    def get_post(self, post_id: str, viewer: Principal | None = None) -> Post:
        post = self._get(post_id)
        if viewer is not None and not post_rules.visible_to(post, viewer):
            raise NotFound(f"no post {post_id!r}")  # someone else's draft: not even its existence is shown
        return post

    def with_thumbnails(self, post: Post) -> Post:
        """The post as an answer shows it: each file of the media library with a short-lived link (signed here, no
        call to S3); a link stays as it is."""
        if not post.media:
            return post
        media = [item.model_copy(update={
            "url": item.key if post_rules.is_link(item.key)
            else self.media.link(item.key, THUMBNAIL_SECONDS) if self.media and item.key.startswith(
                post_rules.LIBRARY_PREFIX) else None,
        }) for item in post.media]
        return post.model_copy(update={"media": media})

    def _described(self, post: Post) -> Post:
        """Each media library file on the post must be there; its type and size decide what each platform takes
        (one HeadObject per file not described before; none for a post without media)."""
        if self.media is None:
            return post
        media = []
        for n, item in enumerate(post.media):
            if item.content_type is None and item.key.startswith(post_rules.LIBRARY_PREFIX):
                found = self.media.describe(item.key)
                if found is None:
                    raise ValidationError(f"media.{n}.key", f"there is no file {item.key} in the media library")
                item = item.model_copy(update={"content_type": found[0], "size": found[1]})
            media.append(item)
        return post.model_copy(update={"media": media})

    def visible(self, viewer: Principal, posts: list[Post], kind: str = "all") -> list[Post]:
        """The posts `viewer` may see, of one kind (a page can come out short; its cursor still goes on)."""
        return [post for post in posts if post_rules.visible_to(post, viewer) and post_rules.of_kind(post, kind)]

    def update_post(self, actor: Principal, post_id: str, changes: PostContent,
                    expected_version: int | None = None) -> tuple[Post, list[dict[str, str]]]:
        """Change a draft. With `expected_version` (If-Match), only the version the person saw is changed: another
        person's change since then is a 412, never silently overwritten."""
        current = self._get(post_id)
        require_version(current.version, expected_version, "this post")
        post = self._described(post_rules.edit(current, changes, actor, self.clock()))
        self._known_channels(post.channels)
        advice = self.advice(post)
        try:
            return self.posts.save(post), advice
        except Stale:
            if expected_version is None:
                raise
            require_version(self._get(post_id).version, expected_version, "this post")
            raise

    def act(self, actor: Principal, post_id: str, action: str,
            reason: str | None = None) -> tuple[Post, list[dict[str, str]]]:
        post = self._get(post_id)
        if action == "approve" and post.reply_to is not None and self.replies is not None:
            return self.replies.approve_reply(actor, post), []  # a reply goes out now: no calendar advice
        changed = post_rules.transition(post, action, actor, self.clock(), reason)
        advice = self.advice(changed)
        return self.posts.save(changed), advice

    def endorse(self, actor: Principal, post_id: str) -> tuple[Post, list[dict[str, str]]]:
        changed = post_rules.endorse(self._get(post_id), actor, self.clock())
        advice = self.advice(changed)
        return self.posts.save(changed), advice

    def schedule(
        self, actor: Principal, post_id: str, publish_at: str | None, timezone: str | None, queue: bool
    ) -> tuple[Post, list[dict[str, str]]]:
        """Plan a post at a given time, or with `queue` in the next free slot of its channels."""
        post = self._get(post_id)
        tz_name = timezone or post.timezone or self.timezone
        timing.zone(tz_name)
        now = self.clock()
        channels = self._channel_map()
        if queue == bool(publish_at):
            raise ValidationError("publish_at", "give either publish_at or queue=true")
        hold = self.holds.active_hold() if self.holds else None
        if hold:
            raise Conflict(
                f"a crisis hold is on since {hold.get('since')} ({hold.get('reason')}); release it before scheduling",
                crisis_since=hold.get("since"),
            )
        if queue:
            when = self._next_free_slot(post, channels, now)
        else:
            when = timing.parse_publish_at(publish_at or "", tz_name)
        scheduled = post_rules.schedule(post, when, tz_name, actor, now, channels)
        advice = self.advice(scheduled, channels)
        saved = self.posts.save(scheduled)
        metrics.add_metric(name="PostsScheduled", unit=MetricUnit.Count, value=1)
        self._enqueue_soon(saved)
        return saved, advice

    def _enqueue_soon(self, post: Post) -> None:
        """Queue a post due before the next due run now. The post is saved already: when the queue cannot be
        reached the due run sends it (at most a minute late), so that is no reason to fail the request."""
        if self.publisher is None:
            return
        try:
            self.publisher.enqueue_soon(post)
        except Exception:
            logger.exception("a post due soon could not be queued now; the due run sends it", extra={"post": post.id})

    def calendar(
        self, start: str | None, end: str | None, channel: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Post], str | None]:
        now = self.clock()
        begin = self._bound(start, "from") if start else now.replace(hour=0, minute=0, second=0)
        finish = self._bound(end, "to") if end else begin + DEFAULT_RANGE
        if finish <= begin:
            raise ValidationError("to", "must be after 'from'")
        if finish - begin > MAX_RANGE:
            raise ValidationError("to", f"the range may span at most {MAX_RANGE.days} days")
        return self.posts.calendar(begin, finish, channel, limit, cursor)

    def export(self, viewer: Principal, start: str, end: str, channel: str | None, kind: str) -> list[Post]:
        """Every post of a period the viewer may see (not page by page), for a spreadsheet."""
        found: list[Post] = []
        cursor: str | None = None
        while True:
            page, cursor = self.calendar(start, end, channel, MAX_PAGE, cursor)
            found.extend(self.visible(viewer, page, kind))
            if len(found) > EXPORT_MAX_POSTS:
                raise ValidationError("to", f"the period has more than {EXPORT_MAX_POSTS} posts; export a shorter one")
            if cursor is None:
                return found

    # ------------------------------------------------------------------ the calendar in other apps
    def open_feed(self, viewer: Principal) -> str:
        """A new secret feed URL for the viewer's agenda; the one they had before stops working."""
        feeds = self._feeds()
        self.close_feed(viewer)
        token, stamp = post_rules.feed_token(), timing.iso_utc(self.clock())
        key = post_rules.feed_key(token)
        feeds.put(f"feed#{key}", {"username": viewer.username, "created_at": stamp}, stamp)
        feeds.put(f"feed-of#{viewer.username}", {"key": key, "created_at": stamp}, stamp)
        return token

    def close_feed(self, viewer: Principal) -> None:
        """Revoke the viewer's feed URL (idempotent)."""
        feeds = self._feeds()
        mine = feeds.get(f"feed-of#{viewer.username}")
        if mine.get("key"):
            feeds.delete(f"feed#{mine['key']}")
            feeds.delete(f"feed-of#{viewer.username}")

    def feed(self, token: str) -> list[Post]:
        """The planned posts a feed shows: the last month and the next six, nothing unapproved."""
        if not self._feeds().get(f"feed#{post_rules.feed_key(token)}"):
            raise NotFound("no such calendar feed; it may have been replaced or revoked")
        now = self.clock()
        found: list[Post] = []
        cursor: str | None = None
        while len(found) <= EXPORT_MAX_POSTS:
            page, cursor = self.posts.calendar(now - post_rules.FEED_PAST, now + post_rules.FEED_AHEAD, None,
                                               MAX_PAGE, cursor)
            found.extend(p for p in page if p.status in post_rules.ON_CALENDAR and post_rules.of_kind(p, "content"))
            if cursor is None:
                break
        return found

    def _feeds(self) -> FeedStore:
        if self.feeds is None:
            raise RuntimeError("this calendar service was built without a feed store")
        return self.feeds

    def by_status(self, status: str, limit: int, cursor: str | None) -> tuple[list[Post], str | None]:
        return self.posts.by_status(status, limit, cursor)

    def advice(self, post: Post, channels: dict[str, Channel] | None = None) -> list[dict[str, str]]:
        """Everything worth knowing before scheduling: blocking problems (as warnings while drafting) and advice."""
        channels = channels if channels is not None else self._channel_map()
        found = [
            {"code": error.code, "field": error.field, "message": error.message}
            for error in post_rules.content_errors(post, channels)
        ]
        neighbours: list[Post] = []
        when = post.publish_time
        if when is not None:
            neighbours = self.posts.in_window(when - DUPLICATE_WINDOW, when + DUPLICATE_WINDOW)
        return found + post_rules.warnings(post, channels, neighbours)

    # ------------------------------------------------------------------ channels
    def list_channels(self) -> list[Channel]:
        return self.channels.all()

    def get_channel(self, channel_id: str) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None:
            raise NotFound(f"no channel {channel_id!r}")
        return channel

    def create_channel(self, actor: Principal, data: ChannelCreate) -> Channel:
        self._require_editor(actor)
        channel = Channel.create(data, default_owner=actor.username)
        if not self.channels.create(channel):
            raise Conflict(f"channel {channel.id!r} exists already")
        return channel

    def update_channel(self, actor: Principal, channel_id: str, changes: ChannelFields,
                       expected_version: int | None = None) -> Channel:
        """Change a channel; with `expected_version` (If-Match) only the version the person saw."""
        self._require_editor(actor)
        current = self.get_channel(channel_id)
        require_version(current.version, expected_version, "this channel")
        try:
            self.channels.save(current.updated(changes))
        except Stale:
            if expected_version is not None:
                require_version(self.get_channel(channel_id).version, expected_version, "this channel")
            raise
        return self.get_channel(channel_id)  # as stored: its new version is the answer's ETag

    def delete_channel(self, actor: Principal, channel_id: str) -> None:
        if "master" not in actor.roles:
            raise Forbidden("only a master may delete a channel")
        self.get_channel(channel_id)
        now = self.clock()
        planned = [
            p.id
            for p in self.posts.in_window(now, now + MAX_RANGE)
            if channel_id in p.channels and p.status in (Status.SCHEDULED, Status.HELD, Status.PUBLISHING)
        ]
        if planned:
            raise Conflict(
                f"{len(planned)} planned posts use channel {channel_id!r}; cancel or move them first",
                posts=planned[:20],
            )
        self.channels.delete(channel_id)

    # ------------------------------------------------------------------ helpers
    def _bound(self, value: str, field: str) -> datetime:
        return timing.parse_bound(value, self.timezone, field)

    def _get(self, post_id: str) -> Post:
        post = self.posts.get(post_id)
        if post is None:
            raise NotFound(f"no post {post_id!r}")
        return post

    def _channel_map(self) -> dict[str, Channel]:
        return {c.id: c for c in self.channels.all()}

    def _known_channels(self, channel_ids: list[str]) -> None:
        known = {c.id for c in self.channels.all()}
        unknown = [c for c in channel_ids if c not in known]
        if unknown:
            raise ValidationError("channels", f"unknown channels: {', '.join(unknown)}", unknown=unknown)

    def _next_free_slot(self, post: Post, channels: dict[str, Channel], now: datetime) -> datetime:
        mine = [channels[c] for c in post.channels if c in channels]
        candidates = [
            t
            for channel in mine
            for t in timing.slot_times([s.slot() for s in channel.slots], channel.timezone, now, now + QUEUE_HORIZON)
        ]
        if not candidates:
            raise ValidationError("queue", "none of the post's channels has posting slots in the next 4 weeks")
        occupied = [
            other.publish_time
            for other in self.posts.in_window(now, now + QUEUE_HORIZON)
            if other.id != post.id
            and other.status in post_rules.ON_CALENDAR
            and set(other.channels) & set(post.channels)
        ]
        when = timing.next_free_slot(candidates, [t for t in occupied if t], now)
        if when is None:
            raise Conflict("every slot of the post's channels in the next 4 weeks is taken")
        return when

    @staticmethod
    def _require_editor(actor: Principal) -> None:
        if not actor.has_any(EDITORS):
            raise Forbidden("only editors and masters manage channels")


def mark_needs_reconnect(channels: ChannelStore, alerts: AlertSink, channel: Channel, reason: str) -> None:
    """The channel's token expired or was revoked: flag it and tell its owner (once, not at every attempt)."""
    if channel.status == "needs_reconnect":
        return

    def flag(attempt: int) -> bool:  # edited meanwhile: flag what the editor saved
        current = channel if attempt == 0 else channels.get(channel.id)
        if current is None or current.status == "needs_reconnect":
            return False
        channels.save(current.model_copy(update={"status": "needs_reconnect"}))
        return True

    if not retry_on_conflict(flag, f"channel {channel.id} kept changing"):
        return
    alerts.send(
        f"Reconnect channel {channel.id}",
        f"Chorus can no longer post to {channel.platform} as {channel.handle}: {reason}. "
        f"The owner ({channel.owner or 'unknown'}) must reconnect it before the next post is due.",
        team="editors", severity="high", kind="channel_needs_reconnect", owner=channel.owner or "",
    )


CADENCE_WINDOW = timedelta(days=7)
CREDENTIALS_WINDOW = timedelta(hours=24)
PLANNED = (Status.SCHEDULED, Status.PUBLISHING, Status.PUBLISHED)


class ChannelChecks:
    def __init__(
        self,
        posts: PostStore,
        channels: ChannelStore,
        alerts: AlertSink,
        connectors: Callable[[Channel], Connector],
        clock: Clock,
    ) -> None:
        self.posts = posts
        self.channels = channels
        self.alerts = alerts
        self.connectors = connectors
        self.clock = clock

    def cadence(self) -> dict[str, object]:
        """Alert the editors when a channel's next 7 days hold fewer posts than its weekly cadence target."""
        now = self.clock()
        window = self.posts.in_window(now, now + CADENCE_WINDOW)
        planned = Counter(c for post in window if post.status in PLANNED for c in post.channels)
        short = [
            (channel, planned[channel.id])
            for channel in self.channels.all()
            if channel.cadence_per_week and planned[channel.id] < channel.cadence_per_week
        ]
        if short:
            lines = [f"- {c.id} ({c.platform} {c.handle}): {n} of {c.cadence_per_week} posts planned" for c, n in short]
            self.alerts.send(
                f"Calendar running dry on {len(short)} channel{'s' if len(short) > 1 else ''}",
                "The next 7 days fall short of the cadence targets:\n" + "\n".join(lines),
                team="editors", severity="low", kind="cadence",
            )
        return {"posts_read": len(window), "channels_short": [c.id for c, _ in short]}

    def credentials(self) -> dict[str, object]:
        """Verify the credentials of every channel that has a post due in the next 24 hours."""
        now = self.clock()
        upcoming = self.posts.in_window(now, now + CREDENTIALS_WINDOW)
        due = {c for post in upcoming if post.status == Status.SCHEDULED for c in post.channels}
        rejected, unreachable = [], []
        for channel in self.channels.all():
            if channel.id not in due or channel.status != "active" or channel.platform == "local":
                continue
            try:
                self.connectors(channel).verify_credentials()
            except CredentialsRejected as error:
                mark_needs_reconnect(self.channels, self.alerts, channel, str(error))
                rejected.append(channel.id)
            except PublishError:
                unreachable.append(channel.id)  # a passing outage says nothing about the token; the next run retries
        return {"checked": sorted(due), "rejected": rejected, "unreachable": unreachable}


RELEASE_MARGIN = timedelta(minutes=2)  # a post due sooner than this after a release waits for an editor instead
PAGE = 100


class StateStore(Protocol):
    def get(self, name: str) -> dict[str, Any]: ...
    def put(self, name: str, value: dict[str, Any], updated_at: str) -> None: ...


class CrisisService:
    def __init__(self, posts: PostStore, state: StateStore, clock: Clock) -> None:
        self.posts = posts
        self.state = state
        self.clock = clock

    def status(self) -> dict[str, Any]:
        return self.state.get("crisis") or {"active": False}

    def active_hold(self) -> dict[str, Any] | None:
        current = self.status()
        return current if current.get("active") else None

    def hold(self, actor: Principal, reason: str) -> dict[str, Any]:
        """Switch the hold on (so nothing new gets scheduled), then hold every scheduled post."""
        self._require(actor)
        now = self.clock()
        since = timing.iso_utc(now)
        hold: dict[str, Any] = {"active": True, "since": since, "by": actor.username, "reason": reason.strip()}
        self.state.put("crisis", hold, since)
        held, missed = self._each("scheduled", lambda post: post_rules.hold(post, actor, self.clock(), reason))
        hold["held"] = held
        self.state.put("crisis", hold, since)
        return {**hold, "could_not_hold": missed}

    def release(self, actor: Principal) -> dict[str, Any]:
        """Switch the hold off; posts whose time is still ahead are scheduled again, the others wait for an editor."""
        self._require(actor)
        now = self.clock()
        previous = self.status()
        rescheduled = 0

        def release(post: Post) -> Post:
            nonlocal rescheduled
            released = post_rules.release(post, actor, self.clock(), RELEASE_MARGIN)
            rescheduled += released.status == Status.SCHEDULED
            return released

        count, missed = self._each("held", release)
        released_at = timing.iso_utc(now)
        record = {"active": False, "released_at": released_at, "released_by": actor.username,
                  "previous": {k: v for k, v in previous.items() if k != "previous"}}
        self.state.put("crisis", record, released_at)
        return {"released": count, "rescheduled": rescheduled, "awaiting_decision": count - rescheduled,
                "could_not_release": missed}

    def _each(self, status: str, change: Callable[[Post], Post]) -> tuple[int, list[str]]:
        """Apply `change` to every post in `status`, page by page. A post changed meanwhile is re-read: if it left
        the status it is no longer ours to change; if it keeps changing it is reported, not retried forever."""
        done = 0
        missed: set[str] = set()
        while True:
            page, _ = self.posts.by_status(status, PAGE, None)
            pending = [post for post in page if post.id not in missed]
            if not pending:
                return done, sorted(missed)
            for post in pending:
                try:
                    done += retry_on_conflict(functools.partial(self._change_one, post, status, change),
                                              f"post {post.id} kept changing")
                except Conflict:
                    missed.add(post.id)

    def _change_one(self, listed: Post, status: str, change: Callable[[Post], Post], attempt: int) -> int:
        """1 when changed; 0 when the post left `status` meanwhile (no longer ours to change)."""
        post = listed if attempt == 0 else self.posts.get(listed.id)
        if post is None or post.status != status:
            return 0
        self.posts.save(change(post))
        return 1

    @staticmethod
    def _require(actor: Principal) -> None:
        if not actor.has_any(CRISIS_TEAM):
            raise Forbidden("only masters, editors and PR hold or release publishing")


