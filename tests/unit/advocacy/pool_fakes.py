"""In-memory stand-ins for the content pool's ports (chorus.advocacy.pool.store, the people service, SNS), with the
same behaviour as the DynamoDB ones: conditional writes, sets that vanish when emptied, newest-first listings."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from chorus.advocacy.people.schemas import Person, Policy
from chorus.advocacy.pool.rules import NotifyState, OfferSubscription
from chorus.advocacy.pool.schemas import Offer, Recipient, Share
from chorus.advocacy.pool.service import (
    OfferMessages,
    Offers,
    People,
    PoolRecords,
    Posts,
    Queues,
    ShareRecords,
    TrackingRecords,
)
from chorus.advocacy.pool.store import Queue, Watch
from chorus.calendar.schemas import Post, Status
from chorus.core import time as timing
from chorus.core.errors import NotFound
from chorus.core.roles import Principal
from chorus.core.time import Clock

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POLICY = "2026-1"


def person(person_id: str, **changes: Any) -> Person:
    fields: dict[str, Any] = dict(
        id=person_id, username=person_id, name=f"Person {person_id}", email=f"{person_id}@example.org", phone=None,
        team="sales", roles=["publisher"], platforms={}, topics=[], opted_in=True, policy_version=POLICY,
        policy_acknowledged_at="2026-11-01T09:00:00Z", training_completed_at=None, notify_by="email", rhythm="daily",
        named_consent=False, hide_from_leaderboard=False, created_at="2026-11-01T09:00:00Z",
        updated_at="2026-11-01T09:00:00Z")
    fields.update(changes)
    return Person(**fields)


def post(post_id: str = "post1", text: str = "Wij zoeken een collega!", status: Status = Status.APPROVED,
         campaign: str | None = None) -> Post:
    return Post(id=post_id, text=text, channels=["local"], author="creator", status=status, campaign=campaign,
                created_at="2026-11-30T09:00:00Z", updated_at="2026-11-30T09:00:00Z")


EDITOR = Principal("editor", frozenset({"editor"}))


def principal(person_id: str) -> Principal:
    return Principal(person_id, frozenset({"publisher"}))


class FakePeople(People):
    def __init__(self, *people: Person, policy: str | None = POLICY) -> None:
        self.people = {p.id: p for p in people}
        self.policy = policy

    def get(self, person_id: str) -> Person:
        if person_id not in self.people:
            raise NotFound(f"no person {person_id}")
        return self.people[person_id]

    def for_principal(self, principal: Principal) -> Person | None:
        return next((p for p in self.people.values() if p.is_principal(principal)), None)

    def eligible(self, team: str | None = None, topic: str | None = None) -> list[Person]:
        return [p for p in self.people.values()
                if p.can_receive_offers(self.policy) and "publisher" in p.roles and (team is None or p.team == team)
                and (topic is None or topic in p.topics)]

    def current_policy(self) -> Policy | None:
        if self.policy is None:
            return None
        return Policy(version=self.policy, summary="s", text=None, url=None, published_at="2026-11-01T00:00:00Z",
                      published_by="master")

    def change(self, person_id: str, **changes: Any) -> None:
        self.people[person_id] = self.people[person_id].model_copy(update=changes)


class FakePosts(Posts):
    def __init__(self, *posts: Post) -> None:
        self.posts = {p.id: p for p in posts}

    def get(self, post_id: str) -> Post | None:
        return self.posts.get(post_id)


@dataclass
class Link:
    person: str
    offer_id: str
    target: str
    campaign: str


@dataclass
class QueueRecord:
    queued: set[str] = field(default_factory=set)
    last_sent_at: str | None = None
    due_at: str | None = None
    claimed_until: str | None = None
    subscription_arn: str | None = None
    subscribed: dict[str, str] | None = None
    confirmed: str | None = None


class MemoryPoolStore(Offers, Queues, PoolRecords, ShareRecords, TrackingRecords):
    def __init__(self, bases: Iterable[str] | None = None) -> None:
        self.offers_: dict[str, Offer] = {}
        self.fanout_pending: set[str] = set()
        self.recipients_: dict[tuple[str, str], Recipient] = {}
        self.links: dict[str, Link] = {}
        self.queues: dict[str, QueueRecord] = {}
        self.shares_: dict[str, Share] = {}
        self.watches_: dict[str, Watch] = {}
        self._bases = iter(bases) if bases is not None else (f"{n:09d}" for n in range(10**9))
        self.fail_deliveries_after: int | None = None  # a crash midway through a fan-out

    # offers
    def create_offer(self, offer: Offer) -> bool:
        if offer.id in self.offers_:
            return False
        self.offers_[offer.id] = offer
        self.fanout_pending.add(offer.id)
        return True

    def offer(self, offer_id: str) -> Offer | None:
        return self.offers_.get(offer_id)

    def offers(self, limit: int, cursor: str | None) -> tuple[list[Offer], str | None]:
        ordered = sorted(self.offers_.values(), key=lambda o: (o.created_at, o.id), reverse=True)
        start = int(cursor or 0)
        page = ordered[start:start + limit]
        return page, str(start + limit) if start + limit < len(ordered) else None

    def offers_since(self, since: datetime) -> list[Offer]:
        return [o for o in self.offers_.values() if o.created_at >= timing.iso_utc(since)]

    def offers_by_id(self, offer_ids: Iterable[str]) -> dict[str, Offer]:
        return {i: self.offers_[i] for i in offer_ids if i in self.offers_}

    def withdraw(self, offer: Offer) -> None:
        self.offers_[offer.id] = offer

    def unfinished_fanouts(self, started_before: datetime) -> list[Offer]:
        return [self.offers_[i] for i in sorted(self.fanout_pending)
                if self.offers_[i].created_at <= timing.iso_utc(started_before)]

    def finish_fanout(self, offer_id: str, recipients: int) -> None:
        self.fanout_pending.discard(offer_id)
        self.offers_[offer_id] = self.offers_[offer_id].model_copy(update={"recipients": recipients})

    # recipients and links
    def deliver(self, offer: Offer, person: str, now: datetime) -> bool:
        if self.fail_deliveries_after is not None:
            if self.fail_deliveries_after == 0:
                raise RuntimeError("the Lambda died")
            self.fail_deliveries_after -= 1
        if (offer.id, person) in self.recipients_:
            return False
        base = next(self._bases)
        self.recipients_[(offer.id, person)] = Recipient(offer_id=offer.id, person=person, link_base=base,
                                                         created_at=timing.iso_utc(now))
        self.links[base] = Link(person, offer.id, offer.url, offer.campaign)
        queue = self.queues.setdefault(person, QueueRecord())
        queue.queued.add(offer.id)
        queue.due_at = queue.due_at or timing.iso_utc(now)
        return True

    def recipients(self, offer_id: str) -> list[Recipient]:
        return [r for (o, _), r in sorted(self.recipients_.items()) if o == offer_id]

    def recipient(self, offer_id: str, person: str) -> Recipient | None:
        return self.recipients_.get((offer_id, person))

    def received(self, person: str, limit: int, cursor: str | None) -> tuple[list[Recipient], str | None]:
        mine = sorted((r for r in self.recipients_.values() if r.person == person),
                      key=lambda r: (self.offers_[r.offer_id].created_at, r.offer_id), reverse=True)
        start = int(cursor or 0)
        return mine[start:start + limit], str(start + limit) if start + limit < len(mine) else None

    def all_received(self, person: str) -> list[Recipient]:
        return [r for r in self.recipients_.values() if r.person == person]

    def link(self, link_base: str) -> Link | None:
        return self.links.get(link_base)

    # notification queues
    def due_queues(self, now: datetime, limit: int) -> list[str]:
        return sorted(p for p, q in self.queues.items() if q.due_at and q.due_at <= timing.iso_utc(now))[:limit]

    def queue(self, person: str) -> Queue | None:
        q = self.queues.get(person)
        if q is None:
            return None
        state = NotifyState(frozenset(q.queued), timing.from_iso_utc(q.last_sent_at) if q.last_sent_at else None,
                            timing.from_iso_utc(q.due_at) if q.due_at else None)
        return Queue(person, state, q.claimed_until, q.subscription_arn, q.subscribed, bool(q.confirmed))

    def clear_if_empty(self, person: str) -> bool:
        q = self.queues[person]
        if q.queued:
            return False
        q.due_at = None
        return True

    def postpone(self, person: str, until: datetime) -> None:
        self.queues[person].due_at = timing.iso_utc(until)
        self.queues[person].claimed_until = None

    def claim(self, person: str, now: datetime, until: datetime) -> bool:
        q = self.queues[person]
        if q.claimed_until and q.claimed_until >= timing.iso_utc(now):
            return False
        q.claimed_until = timing.iso_utc(until)
        return True

    def finish(self, person: str, offer_ids: Iterable[str], now: datetime, was_sent: bool) -> None:
        q = self.queues[person]
        q.queued -= set(offer_ids)
        q.claimed_until = None
        q.due_at = timing.iso_utc(now)
        if was_sent:
            q.last_sent_at = timing.iso_utc(now)

    def subscribed(self, person: str, subscription: OfferSubscription | None, arn: str | None,
                   confirmed_at: str | None) -> None:
        q = self.queues[person]
        q.subscription_arn = arn
        q.subscribed = {"protocol": subscription.protocol, "endpoint": subscription.endpoint} if subscription else None
        q.confirmed = confirmed_at

    def delete_queue(self, person: str) -> bool:
        return self.queues.pop(person, None) is not None

    # shares
    def add_share(self, share: Share) -> tuple[Share, bool]:
        if share.id in self.shares_:
            return self.shares_[share.id], False
        self.shares_[share.id] = share
        return share, True

    def share(self, share_id: str) -> Share | None:
        return self.shares_.get(share_id)

    def settle_share(self, share: Share, previous: Share) -> Share:
        stored = self.shares_[share.id]
        if (stored.status, stored.person) == (previous.status, previous.person):
            self.shares_[share.id] = stored.model_copy(update=share.model_dump(
                include={"status", "note", "verified_by", "verified_at", "post_id"}))
        return self.shares_[share.id]

    def replace_share(self, share: Share, previous: Share) -> Share:
        stored = self.shares_[share.id]
        if (stored.status, stored.person) == (previous.status, previous.person):
            self.shares_[share.id] = share
        return self.shares_[share.id]

    def shares(self, person: str | None, offer_id: str | None, platform: str | None, status: str | None, limit: int,
               cursor: str | None) -> tuple[list[Share], str | None]:
        found = [s for s in self.shares_.values() if (person is None or s.person == person)
                 and (offer_id is None or s.offer_id == offer_id) and (platform is None or s.platform == platform)
                 and (status is None or s.status == status)]
        found.sort(key=lambda s: (s.created_at, s.id), reverse=True)
        start = int(cursor or 0)
        return found[start:start + limit], str(start + limit) if start + limit < len(found) else None

    def all_shares(self, person: str) -> list[Share]:
        return [s for s in self.shares_.values() if s.person == person]

    def count_replies(self, share_id: str, replies: int) -> None:
        share = self.shares_[share_id]
        if share.replies < replies:
            self.shares_[share_id] = share.model_copy(update={"replies": replies})

    def forget_share_url(self, share_id: str) -> None:
        self.shares_[share_id] = self.shares_[share_id].model_copy(update={"url": None, "note": None})

    # watermarks
    def watches(self, people: Iterable[str]) -> dict[str, Watch]:
        return {p: self.watches_[p] for p in people if p in self.watches_}

    def save_watch(self, person: str, marks: dict[str, dict[str, str]], polled_at: str) -> None:
        self.watches_[person] = Watch(person, marks, polled_at)

    def delete_watch(self, person: str) -> bool:
        return self.watches_.pop(person, None) is not None


@dataclass
class Sent:
    subscription: OfferSubscription
    subject: str
    message: str
    sms_text: str
    at: datetime | None = None


class FakeMessages(OfferMessages):
    """The offers topic: subscriptions and what was published, per person."""

    def __init__(self, confirmed: bool = True) -> None:
        self.subscriptions: dict[str, OfferSubscription] = {}
        self.unsubscribed: list[str] = []
        self.sent: list[Sent] = []
        self.confirm = confirmed
        self.clock: Clock | None = None  # stamps what is sent, when a test gives it one

    def subscribe(self, subscription: OfferSubscription) -> str:
        arn = f"arn:aws:sns:eu-west-1:1:offers:{subscription.person}-{len(self.subscriptions) + len(self.unsubscribed)}"
        self.subscriptions[arn] = subscription
        return arn

    def unsubscribe(self, subscription_arn: str) -> None:
        self.subscriptions.pop(subscription_arn, None)
        self.unsubscribed.append(subscription_arn)

    def confirmed(self, subscription_arn: str) -> bool:
        return self.confirm

    def send(self, subscription: OfferSubscription, subject: str, message: str, sms_text: str) -> None:
        self.sent.append(replace(Sent(subscription, subject, message, sms_text),
                                 at=self.clock() if self.clock else None))


