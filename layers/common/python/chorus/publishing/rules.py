"""Delivering a scheduled post to each of its channels exactly once (pure rules; the publisher applies them).

Per (post, channel) a Delivery goes  pending -> publishing -> published | failed,  and back to pending for a retry.
`publishing` is a lease: whoever holds an unexpired lease is the only one allowed to talk to the platform. A lease
that expires means the outcome of that attempt is unknown: the next holder reconciles (reads the account's recent
posts) before it writes again, so a crash or a lost answer never becomes a second post.

The post carries `due_at`, the next moment the publisher must look at it: its planned time first, then the end of a
lease or the time of a retry. Only posts with a `due_at` are on the (sparse) due index, so the every-minute run reads
the posts that need work and nothing else.

The post-level rules at the bottom (lease_delivery, settle_delivery, claim_alerts, mark_alerted) apply these to a
post: the publisher, never a person, moves it scheduled -> publishing -> published | failed, in its audit trail.

A final outcome someone must hear about is recorded first, then told (`untold`): a failure to the editors, and a
reply's outcome, published or failed, to the inbox (it answers the mention, or puts it back and tells care). Until it
is told the post stays on the due index, so a Lambda that dies in between leaves it to the next due run."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from chorus.calendar.rules import audited
from chorus.calendar.schemas import Post, Status
from chorus.core import time as timing
from chorus.core.roles import Principal
from chorus.publishing.schemas import Delivery

LEASE = timedelta(seconds=90)
ALERT_CLAIM = timedelta(seconds=60)
MAX_ATTEMPTS = 5
# An attempt whose answer was lost stays suspect until the account can be read. After this many more attempts that
# could not read it, the editors are told (once) to look at the account themselves; Chorus keeps checking.
UNVERIFIED_ALERT_AFTER = MAX_ATTEMPTS + 2
RECONCILE_SLACK = timedelta(seconds=5)  # clock skew between us and the platform's created_at


def idempotency_key(post_id: str, channel_id: str, publish_at: str) -> str:
    """The same for every retry of one delivery; a new planned time is a new delivery."""
    return f"{post_id}.{channel_id}.{publish_at.replace(':', '').replace('-', '')}"


@dataclass(frozen=True)
class Enqueue:
    channel_id: str
    delay_seconds: int


def due_work(
    deliveries: dict[str, Delivery], publish_at: datetime, now: datetime, horizon: timedelta
) -> tuple[list[Enqueue], datetime | None]:
    """What the every-minute run does with one due post: which channels to enqueue (with their delay), and when to
    look at the post again (None when every delivery is final). Expired leases are enqueued again to reconcile."""
    work: list[Enqueue] = []
    recheck: list[datetime] = []
    for channel_id, delivery in sorted(deliveries.items()):
        if delivery.final:
            continue
        start = max(publish_at, _parse(delivery.not_before) or publish_at)
        if delivery.status == "publishing":
            lease_end = _parse(delivery.lease_until) or now
            if lease_end > now:
                recheck.append(lease_end)
                continue
            start = now
        if start <= now + horizon:
            work.append(Enqueue(channel_id, max(0, math.ceil((start - now).total_seconds()))))
            # if nothing happened by then (the message was lost), look again: beyond this run's window and the lease
            recheck.append(max(start, now) + horizon + LEASE)
        else:
            recheck.append(start)
    return work, (min(recheck) if recheck else None)


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass(frozen=True)
class Wait:
    seconds: float


@dataclass(frozen=True)
class Lease:
    delivery: Delivery
    # an earlier attempt's outcome is unknown: look for a post it made in this window before writing again
    reconcile_window: tuple[datetime, datetime] | None


def begin(
    delivery: Delivery | None, post_status: str, planned: str | None, message_planned: str, now: datetime
) -> Skip | Wait | Lease:
    """May this message publish now? Only for the planned time it was sent for, while the post is scheduled or
    publishing, when no one else holds the lease, and not before the planned second."""
    if delivery is None:
        return Skip("the post is no longer planned on this channel")
    if post_status not in ("scheduled", "publishing"):
        return Skip(f"the post is {post_status}")
    if planned != message_planned:
        return Skip("the post was moved to another time")
    if delivery.final:
        return Skip(f"already {delivery.status}")
    if delivery.status == "publishing" and (_parse(delivery.lease_until) or now) > now:
        return Skip("another delivery holds the lease")
    start = max(_parse(planned) or now, _parse(delivery.not_before) or now)
    if start > now:
        return Wait((start - now).total_seconds())  # never before the planned second
    # An expired lease means its holder vanished without a word; an unresolved earlier attempt stays suspect until
    # a reconciliation has looked. Either way, look for a post made since the earliest unknown attempt began.
    suspect = delivery.unknown_since or (delivery.attempt_at if delivery.status == "publishing" else None)
    suspect_since = _parse(suspect)
    window = (suspect_since - RECONCILE_SLACK, now + RECONCILE_SLACK) if suspect_since else None
    leased = delivery.model_copy(update={
        "status": "publishing",
        "attempts": delivery.attempts + 1,
        "first_attempt_at": delivery.first_attempt_at or timing.iso_utc(now),
        "attempt_at": timing.iso_utc(now),
        "unknown_since": suspect or timing.iso_utc(now),  # this attempt is unknown until its answer is recorded
        "lease_until": timing.iso_utc(now + LEASE),
        "not_before": None,
    })
    return Lease(leased, reconcile_window=window)


def published(delivery: Delivery, platform_id: str, url: str | None, now: datetime) -> Delivery:
    return delivery.model_copy(update={
        "status": "published", "platform_id": platform_id, "url": url, "published_at": timing.iso_utc(now),
        "lease_until": None, "error": None, "unknown_since": None,
    })


def retry_later(delivery: Delivery, now: datetime, delay: timedelta, reason: str, resolved: bool = True) -> Delivery:
    """Nothing was posted by this attempt: try again after `delay`, or fail for good after MAX_ATTEMPTS.
    `resolved` is False when an earlier attempt's outcome could not be checked (the read failed): it stays suspect."""
    if delivery.attempts >= MAX_ATTEMPTS and resolved:
        return failed(delivery, f"{reason} (gave up after {delivery.attempts} attempts)")
    # Unresolved: an earlier attempt may be live, so keep trying to read the account (the publisher writes again
    # only within MAX_ATTEMPTS); giving up now could report a published post as failed.
    return delivery.model_copy(update={
        "status": "pending", "lease_until": None, "not_before": timing.iso_utc(now + delay), "error": reason,
        "unknown_since": None if resolved else delivery.unknown_since,
    })


def note_unverified(delivery: Delivery, now: datetime) -> Delivery:
    """Mark a still-suspect delivery for the one "cannot verify" alert once its reads kept failing."""
    if delivery.unknown_since and delivery.attempts >= UNVERIFIED_ALERT_AFTER and not delivery.unverified_alerted_at:
        return delivery.model_copy(update={"unverified_alerted_at": timing.iso_utc(now)})
    return delivery


def failed(delivery: Delivery, reason: str) -> Delivery:
    return delivery.model_copy(update={
        "status": "failed", "lease_until": None, "error": reason, "alerted_at": None, "alert_claimed_until": None,
    })


def untold(post: Post) -> list[str]:
    """The channels whose final outcome must still be told: a failure (to the editors), or any outcome of a reply
    (to the inbox)."""
    return sorted(c for c, d in post.deliveries.items()
                  if d.final and not d.alerted_at and (d.status == "failed" or post.reply_to is not None))


def alerts_to_claim(post: Post, now: datetime) -> list[str]:
    """Outcomes nobody has told yet and nobody is telling right now."""
    return [c for c in untold(post)
            if (claimed_until := _parse(post.deliveries[c].alert_claimed_until)) is None or claimed_until <= now]


def backoff(attempts: int, jitter: float) -> timedelta:
    """Exponential backoff with full jitter (jitter in [0, 1)): 30 s, 60 s, 120 s, … capped at 15 minutes."""
    ceiling = min(900.0, 30.0 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=max(5.0, ceiling * jitter))


def overall(deliveries: dict[str, Delivery]) -> str | None:
    """The post's status once every delivery is final: published, or failed when any channel failed."""
    if not deliveries or not all(d.final for d in deliveries.values()):
        return None
    return "published" if all(d.status == "published" for d in deliveries.values()) else "failed"


def _parse(value: str | None) -> datetime | None:
    return timing.from_iso_utc(value) if value else None


PUBLISHER = Principal("chorus-publisher", frozenset())


def lease_delivery(
    post: Post, channel_id: str, message_planned: str, now: datetime
) -> tuple[Post, Lease] | Skip | Wait:
    """The publisher takes the lease on one channel's delivery (the caller stores it with optimistic locking)."""
    decision = begin(post.deliveries.get(channel_id), post.status, post.publish_at, message_planned, now)
    if not isinstance(decision, Lease):
        return decision
    changed = post.model_copy(deep=True)
    changed.deliveries[channel_id] = decision.delivery
    changed.due_at = min(filter(None, [post.due_at, decision.delivery.lease_until]))
    if post.status == Status.SCHEDULED:
        changed.status = Status.PUBLISHING
        audited(changed, PUBLISHER, now, "publish", Status.SCHEDULED, Status.PUBLISHING)
    return changed, decision


def settle_delivery(post: Post, channel_id: str, outcome: Delivery, now: datetime) -> Post:
    """Record what happened on one channel; once every channel is final the post is published or failed."""
    changed = post.model_copy(deep=True)
    changed.deliveries[channel_id] = outcome
    if outcome.status == "pending" and outcome.not_before:
        changed.due_at = min(filter(None, [post.due_at, outcome.not_before]))
    final = overall(changed.deliveries)
    if untold(changed):
        changed.due_at = timing.iso_utc(now)  # stays on the due index until the outcome has been told
    if final is not None and changed.status == Status.PUBLISHING:
        changed.status = Status(final)
        if not untold(changed):
            changed.due_at = None
        failures = [f"{c}: {d.error}" for c, d in changed.deliveries.items() if d.status == "failed"]
        audited(changed, PUBLISHER, now, "publish", Status.PUBLISHING, changed.status, "; ".join(failures) or None)
    return changed


def claim_alerts(post: Post, channel_ids: list[str], now: datetime) -> Post:
    """Whoever saves this (optimistic locking) is the one who tells the outcomes; the claim ends after ALERT_CLAIM."""
    changed = post.model_copy(deep=True)
    until = timing.iso_utc(now + ALERT_CLAIM)
    for channel_id in channel_ids:
        delivery = changed.deliveries[channel_id]
        changed.deliveries[channel_id] = delivery.model_copy(update={"alert_claimed_until": until})
    return changed


def mark_alerted(post: Post, channel_ids: list[str], now: datetime) -> Post:
    """These outcomes were told: the post leaves the due index once nothing else is pending."""
    changed = post.model_copy(deep=True)
    for channel_id in channel_ids:
        delivery = changed.deliveries[channel_id]
        changed.deliveries[channel_id] = delivery.model_copy(update={"alerted_at": timing.iso_utc(now)})
    if changed.status in (Status.PUBLISHED, Status.FAILED) and not untold(changed):
        changed.due_at = None
    return changed
