"""Use cases of the publisher: every minute, enqueue what is due; per message, publish one post on one channel;
tell the editors, once, about a post that failed or whose fate cannot be checked; report a reply's final outcome to
the inbox (published or failed), which answers the mention or tells care.

Exactly once: the queue may deliver a message twice, two due runs may overlap, a Lambda may die between any two
steps. The lease (taken with optimistic locking on the post) lets one worker at a time talk to the platform; a
worker that inherits an expired lease reconciles with the account's recent posts before writing; the platform's own
idempotency (Mastodon Idempotency-Key, Bluesky record key, the local outbox key) covers the rest."""
from __future__ import annotations

import math
import os
import random
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from aws_lambda_powertools.metrics import MetricUnit, single_metric

from chorus.calendar.rules import is_link
from chorus.calendar.schemas import Channel, Post
from chorus.calendar.service import AlertSink, ChannelStore, mark_needs_reconnect
from chorus.core import text as text_rules
from chorus.core import time as timing
from chorus.core.errors import Conflict
from chorus.core.observability import logger
from chorus.core.retry import jittered_pause, retry_on_conflict
from chorus.core.time import Clock
from chorus.platforms.base import (
    Connector,
    CredentialsRejected,
    MediaFile,
    OutcomeUnknown,
    PermanentFailure,
    Published,
    PublishRequest,
    RateLimited,
    RecentPost,
    TransientFailure,
)
from chorus.publishing import rules as delivery_rules
from chorus.publishing.rules import claim_alerts, lease_delivery, mark_alerted, settle_delivery
from chorus.publishing.schemas import Delivery
from chorus.publishing.store import PublishMessage

# The due run looks two runs ahead, so a run that takes a while never makes the next minute's posts late; SQS
# DelaySeconds (at most 900 s) times each message to its post's second.
HORIZON = timedelta(seconds=120)


class DuePosts(Protocol):
    def get(self, post_id: str) -> Post | None: ...
    def save(self, post: Post) -> Post: ...
    def due(self, until: datetime, limit: int = 100) -> list[Post]: ...


class Queue(Protocol):
    def send(self, message: PublishMessage, delay_seconds: int) -> None: ...


class ReplyOutcomes(Protocol):
    """The inbox (chorus.inbox.service.InboxService.reply_settled, through chorus.container.ReportReplies): a reply's
    final outcome, once recorded on the post. At least once: a Lambda that dies before noting it reports it again."""

    def settled(self, post: Post, channel_id: str) -> object: ...


class MediaFiles(Protocol):
    """The media library (chorus.aws.media.MediaLibrary): a file's bytes and type. A missing file raises
    PermanentFailure, any other failure TransientFailure."""

    def read(self, key: str) -> tuple[bytes, str]: ...


class PublishingService:
    def __init__(
        self,
        posts: DuePosts,
        channels: ChannelStore,
        queue: Queue,
        alerts: AlertSink,
        connectors: Callable[[Channel], Connector],
        clock: Clock,
        replies: ReplyOutcomes,
        jitter: Callable[[], float] = random.random,
        pause: Callable[[int], None] = jittered_pause,
        media: MediaFiles | None = None,
    ) -> None:
        self.media = media
        self.posts = posts
        self.channels = channels
        self.queue = queue
        self.alerts = alerts
        self.connectors = connectors
        self.clock = clock
        self.replies = replies
        self.jitter = jitter
        self.pause = pause  # between attempts of a save that lost a race (chorus.core.retry)

    # ------------------------------------------------------------------ every minute
    def enqueue_due(self) -> dict[str, int]:
        now = self.clock()
        due = self.posts.due(now + HORIZON)
        enqueued = 0
        for post in due:
            if delivery_rules.untold(post):
                post = self._tell_outcomes(post) or post
            planned = post.publish_time
            work: list[delivery_rules.Enqueue] = []
            recheck: datetime | None = None
            if post.status in ("scheduled", "publishing") and planned is not None:
                work, recheck = delivery_rules.due_work(post.deliveries, planned, now, HORIZON)
            for item in work:
                self.queue.send(PublishMessage(post.id, item.channel_id, post.publish_at or ""), item.delay_seconds)
                enqueued += 1
            if delivery_rules.untold(post):
                continue  # its outcome could not be told: it stays due
            try:
                self.posts.save(post.model_copy(update={"due_at": timing.iso_utc(recheck) if recheck else None}))
            except Conflict:
                pass  # changed meanwhile: the next run reads the new state; duplicate messages are harmless
        return {"posts_read": len(due), "messages_sent": enqueued}

    def enqueue_soon(self, post: Post) -> int:
        """A post scheduled inside the due run's window is enqueued at once (the next run could be too late)."""
        now = self.clock()
        planned = post.publish_time
        if planned is None or planned > now + HORIZON:
            return 0
        work, _ = delivery_rules.due_work(post.deliveries, planned, now, HORIZON)
        for item in work:
            self.queue.send(PublishMessage(post.id, item.channel_id, post.publish_at or ""), item.delay_seconds)
        return len(work)

    def outbox(self, channel: Channel, limit: int) -> list[RecentPost]:
        """What the `local` platform published on a channel, newest first."""
        return self.connectors(channel).recent_posts(limit)

    # ------------------------------------------------------------------ one message
    def deliver(self, message: PublishMessage) -> str:
        leased = self._lease(message)
        if isinstance(leased, str):
            return leased
        post, lease = leased
        channel = self.channels.get(message.channel_id)
        if channel is None:
            outcome = delivery_rules.failed(lease.delivery, "the channel was deleted")
        else:
            outcome = self._attempt(post, channel, lease)
        if outcome is lease.delivery:
            return "outcome unknown; will reconcile when the lease ends"
        settled = self._settle(message, outcome, post)
        self._report(settled, message.channel_id, channel, outcome)
        recorded = settled.deliveries.get(message.channel_id)
        if outcome.unverified_alerted_at and not lease.delivery.unverified_alerted_at and recorded == outcome:
            self._alert_unverified(settled, message.channel_id)
        if message.channel_id in delivery_rules.untold(settled):
            # Recorded first, then told: a crash in between leaves the post on the due index and the next due run
            # tells it; nobody is ever told about an outcome that was not final.
            self._tell_outcomes(settled)
        return outcome.status

    def _lease(self, message: PublishMessage) -> tuple[Post, delivery_rules.Lease] | str:
        def lease(attempt: int) -> tuple[Post, delivery_rules.Lease] | str:
            post = self.posts.get(message.post_id)
            if post is None:
                return "skipped: the post no longer exists"
            now = self.clock()
            decision = lease_delivery(post, message.channel_id, message.publish_at, now)
            if isinstance(decision, delivery_rules.Skip):
                return f"skipped: {decision.reason}"
            if isinstance(decision, delivery_rules.Wait):
                self.queue.send(message, math.ceil(decision.seconds))
                return f"early by {decision.seconds:.1f} s; sent again with a delay"
            changed, taken = decision
            return self.posts.save(changed), taken

        return retry_on_conflict(lease, f"post {message.post_id} kept changing; the queue will retry", pause=self.pause)

    def _attempt(self, post: Post, channel: Channel, lease: delivery_rules.Lease) -> Delivery:
        request = PublishRequest(
            text=post.text_for(channel.id),
            idempotency_key=delivery_rules.idempotency_key(post.id, channel.id, post.publish_at or ""),
            in_reply_to=post.reply_to.platform_id if post.reply_to else None,
        )
        attempt = lease.delivery
        checked = lease.reconcile_window is None  # False until the account was read: earlier attempts stay suspect
        try:
            connector = self.connectors(channel)
            found = self._reconcile(connector, request, lease.reconcile_window) if lease.reconcile_window else None
            checked = True
            if found is None and attempt.attempts > delivery_rules.MAX_ATTEMPTS:
                # every attempt went unanswered and none of them shows on the account: give up, never write again
                return delivery_rules.failed(
                    attempt, f"no answer from {channel.platform} after {delivery_rules.MAX_ATTEMPTS} attempts, "
                    "and the post is not on the account")
            # The files are read only when the post is written, never for a reconciliation that finds it.
            result = found or connector.publish(replace(request, media=self._media_files(post)))
            return delivery_rules.published(attempt, result.platform_id, result.url, self.clock())
        except RateLimited as error:
            delay = timedelta(seconds=max(1.0, error.retry_after))
            return self._later(attempt, delay, f"rate limited: {error}", checked)
        except TransientFailure as error:
            delay = delivery_rules.backoff(attempt.attempts, self.jitter())
            return self._later(attempt, delay, f"temporary failure: {error}", checked)
        except OutcomeUnknown as error:
            logger.warning(
                "publish outcome unknown", extra={"post": post.id, "channel": channel.id, "error": str(error)}
            )
            # Keep the lease; when it ends the due run sends it again and the next worker reconciles (after the last
            # attempt, that worker only reconciles: published if the post is there, failed if not).
            return attempt
        except CredentialsRejected as error:
            self._needs_reconnect(channel, str(error))
            return delivery_rules.failed(attempt, f"credentials rejected: {error}")
        except PermanentFailure as error:
            return delivery_rules.failed(attempt, str(error))

    def _media_files(self, post: Post) -> tuple[MediaFile, ...]:
        """The post's photos and videos with their alt text: files from the media library, a link as it is (only the
        local outbox takes one; scheduling refuses it elsewhere)."""
        files = []
        for item in post.media:
            if is_link(item.key):
                files.append(MediaFile(item.key, item.alt or "", item.content_type or ""))
                continue
            if self.media is None:
                raise PermanentFailure("this publisher cannot read the media library")
            data, content_type = self.media.read(item.key)
            files.append(MediaFile(item.key, item.alt or "", content_type, data))
        return tuple(files)

    def _later(self, attempt: Delivery, delay: timedelta, reason: str, checked: bool) -> Delivery:
        later = delivery_rules.retry_later(attempt, self.clock(), delay, reason, resolved=checked)
        return later if checked else delivery_rules.note_unverified(later, self.clock())

    def _reconcile(
        self, connector: Connector, request: PublishRequest, window: tuple[datetime, datetime]
    ) -> Published | None:
        """Did the attempt whose answer was lost reach the platform after all? Look before writing again: our key,
        or our text posted while that attempt was under way (a post with the same text from another time is not
        ours)."""
        wanted = text_rules.duplicate_key(request.text)
        for recent in connector.recent_posts(limit=20):
            if recent.platform_id == request.idempotency_key:
                return Published(recent.platform_id, recent.url)
            created = _created_at(recent.created_at)
            if created and window[0] <= created <= window[1] and text_rules.duplicate_key(recent.text) == wanted:
                return Published(recent.platform_id, recent.url)
        return None

    def _settle(self, message: PublishMessage, outcome: Delivery, leased: Post) -> Post:
        """Store the outcome on the post as we leased it; re-read only when someone changed it meanwhile."""
        def settle(attempt: int) -> Post:
            post = leased if attempt == 0 else self.posts.get(message.post_id)
            if post is None:
                raise Conflict("the post disappeared while it was being published")
            current = post.deliveries.get(message.channel_id)
            if current is None or current.status != "publishing":
                return post  # someone else settled it (we lost the lease): theirs stands
            return self.posts.save(settle_delivery(post, message.channel_id, outcome, self.clock()))

        return retry_on_conflict(
            settle, f"post {message.post_id} kept changing while recording the outcome", pause=self.pause
        )

    def _needs_reconnect(self, channel: Channel, reason: str) -> None:
        mark_needs_reconnect(self.channels, self.alerts, channel, reason)

    def _report(self, post: Post, channel_id: str, channel: Channel | None, outcome: Delivery) -> None:
        platform = channel.platform if channel else "unknown"
        if outcome.status == "published" and post.publish_time and outcome.published_at:
            lateness = (timing.from_iso_utc(outcome.published_at) - post.publish_time).total_seconds()
            _metric("PostsPublished", MetricUnit.Count, 1, platform)
            _metric("PublishLatencySeconds", MetricUnit.Seconds, lateness, platform)
        elif outcome.status == "failed":
            _metric("PublishFailures", MetricUnit.Count, 1, platform)

    def _alert_unverified(self, post: Post, channel_id: str) -> None:
        delivery = post.deliveries[channel_id]
        self.alerts.send(
            f"Check {channel_id}: did the post go out?",
            f"Post {post.id} ({post.text_for(channel_id)[:80]!r}) planned for {post.publish_at_local}: an attempt on "
            f"{channel_id} since {delivery.unknown_since} got no answer, and Chorus has not been able to read the "
            f"account to check whether it went out ({delivery.error}). Chorus keeps checking and posts it again only "
            "when it is certainly not there. Please look at the account and at the platform's status.",
            team="editors", severity="high", kind="publish_unverified", channel=channel_id,
        )

    def _tell_outcomes(self, post: Post) -> Post | None:
        """Tell each recorded, not yet told outcome of the post, exactly once: a failure to the editors, a reply's
        outcome to the inbox. Claim them on a consistent read of the post (the due index may be stale, and two due
        runs may overlap), tell, then note that they were told. A Lambda that dies after claiming leaves a claim that
        ends, and the next due run tells."""
        def claim(attempt: int) -> tuple[Post | None, list[str]]:
            fresh = self.posts.get(post.id)
            if fresh is None:
                return None, []
            now = self.clock()
            channel_ids = delivery_rules.alerts_to_claim(fresh, now)
            if not channel_ids:
                return fresh, []
            return self.posts.save(claim_alerts(fresh, channel_ids, now)), channel_ids

        try:
            claimed, channel_ids = retry_on_conflict(claim, f"post {post.id} kept changing", pause=self.pause)
        except Conflict:
            return None  # the next due run claims them
        if claimed is None or not channel_ids:
            return claimed
        for channel_id in channel_ids:
            if claimed.reply_to is not None:
                self.replies.settled(claimed, channel_id)  # the inbox answers the mention, or tells care
                continue
            self.alerts.send(
                f"Post not published on {channel_id}",
                f"Post {claimed.id} ({(claimed.text_for(channel_id))[:80]!r}) planned for {claimed.publish_at_local} "
                f"could not be published on {channel_id}: {claimed.deliveries[channel_id].error}",
                team="editors", severity="high", kind="publish_failure", channel=channel_id,
            )

        def mark(attempt: int) -> Post | None:
            current = claimed if attempt == 0 else self.posts.get(post.id)
            return None if current is None else self.posts.save(mark_alerted(current, channel_ids, self.clock()))

        try:
            return retry_on_conflict(mark, f"post {post.id} kept changing", pause=self.pause)
        except Conflict:
            return None  # told but not noted: the claim ends and the next due run tells them again


def _created_at(value: str | None) -> datetime | None:
    """A platform's created_at (ISO 8601, with Z or an offset, any precision) in UTC; None when unreadable."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _metric(name: str, unit: MetricUnit, value: float, platform: str) -> None:
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        return  # single_metric does not honour the switch that Metrics honours
    with single_metric(name=name, unit=unit, value=value, namespace="Chorus") as metric:
        metric.add_dimension(name="platform", value=platform)
