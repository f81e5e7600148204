"""Use cases of the content pool: editors offer posts, publishers see them with their personal links, a tracked link
counts a click and redirects, and publishers hear about new offers no more often than the rhythm they chose.

Offering fans out to every eligible person (opted in, current policy acknowledged): per person one transaction
stores what they received, their tracked link and the offer in their notification queue, then the ledger counts
`offer_received` once per offer, for at most FANOUT_SECONDS within the request (API Gateway gives up after 29 s).
Every step repeats safely, so an offer whose fan-out did not finish (it ran out of time, or died: its item stays on
a sparse index until the fan-out finishes) is completed by the next notify_offers run.

Notifications (notify_offers, every 5 minutes): a person's queue is due when an offer joined it, and is planned
with the person's rhythm as it is now. Of overlapping runs the one that claims the queue sends; one that dies after
sending but before noting it leaves a claim that ends after CLAIM, and the bundle is sent again then (the duplicate
accepted, as for escalations: SNS cannot publish idempotently to email or SMS).

Shares: a publisher claims one (POST /shares), or track_shares finds it on their Mastodon or Bluesky account. A
share counts once it is verified: read on Mastodon or Bluesky as the person's own post, made after the offer and
linking to it (at once when the platform answers quickly, else by the next track_shares run), or confirmed by an
editor (other platforms); a claim counts nothing, and one found not to be theirs is rejected. Replies to verified
shares are counted as conversation.

A share is one per normalised URL (a conditional put) and the ledger counts it with that URL's hash as once-key, so
a second confirmation, a retried request or an overlapping run counts nothing more; a post read under a second
address is rejected as the same post. Replies count one by one with a once-key per share and reply number, so two
runs that both see a share go from 3 to 5 replies count two, not four.

track_shares (every 15 minutes) reads only what can hold new shares: offers of the last `window_days` (a Query),
the people they went to (a Query per offer), and per person with a Mastodon or Bluesky handle the posts since
their watermark on that platform, their claims there not read yet, and the reply counts of their verified shares of
that window."""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, cast

from chorus.advocacy.pool import rules
from chorus.advocacy.pool.rules import (
    RECEIVERS,
    OfferSubscription,
    Publisher,
    is_http_url,
    mastodon_instance,
    normalise_url,
    parse_code,
    platform_of,
    post_id_of,
    with_utm,
)
from chorus.advocacy.pool.schemas import (
    FoundBy,
    Offer,
    OfferIn,
    PoolEntry,
    PoolPage,
    Recipient,
    Share,
    ShareIn,
    SharePage,
    ShareStatus,
)
from chorus.calendar.schemas import Post
from chorus.core import time as timing
from chorus.core.errors import Conflict, Forbidden, NotFound
from chorus.core.observability import logger
from chorus.core.roles import Principal
from chorus.core.time import Clock
from chorus.platforms.base import PublicPost, PublishError, Reading

FANOUT_GRACE = timedelta(minutes=2)  # an offer younger than this may still be fanning out in its request
FANOUT_SECONDS = 20.0  # of an offer request; the rest is left to notify_offers
RUN_MARGIN_SECONDS = 15.0  # notify_offers starts nothing new this long before its timeout
CLAIM = timedelta(minutes=3)  # longer than notify_offers' timeout (120 s)
AWAIT_CONFIRMATION = timedelta(hours=1)  # an email address that has not confirmed its subscription is asked again then
DUE_PER_RUN = 200


class People(Protocol):
    """The parts of the AmbassadorService (chorus.advocacy.people.service) the pool uses."""

    def get(self, person_id: str) -> Publisher: ...
    def for_principal(self, principal: Principal) -> Publisher | None: ...
    def eligible(self, team: str | None, topic: str | None) -> Sequence[Publisher]: ...
    def current_policy(self) -> Any: ...


class Posts(Protocol):
    def get(self, post_id: str) -> Post | None: ...


class Ledger(Protocol):
    def record(self, person: str, event: str, moment: datetime, channel: str | None = None, count: int = 1,
               once_key: str | None = None) -> bool: ...


class LinkTarget(Protocol):
    person: str
    offer_id: str
    target: str
    campaign: str


class Offers(Protocol):
    def create_offer(self, offer: Offer) -> bool: ...
    def offer(self, offer_id: str) -> Offer | None: ...
    def offers(self, limit: int, cursor: str | None) -> tuple[list[Offer], str | None]: ...
    def offers_by_id(self, offer_ids: Iterable[str]) -> dict[str, Offer]: ...
    def withdraw(self, offer: Offer) -> None: ...
    def unfinished_fanouts(self, started_before: datetime) -> list[Offer]: ...
    def finish_fanout(self, offer_id: str, recipients: int) -> None: ...
    def deliver(self, offer: Offer, person: str, now: datetime) -> bool: ...
    def recipients(self, offer_id: str) -> list[Recipient]: ...
    def recipient(self, offer_id: str, person: str) -> Recipient | None: ...
    def received(self, person: str, limit: int, cursor: str | None) -> tuple[list[Recipient], str | None]: ...
    def link(self, link_base: str) -> LinkTarget | None: ...


def policy_version(people: People) -> str | None:
    policy = people.current_policy()
    return getattr(policy, "version", None) if policy is not None else None


class PoolService:
    def __init__(self, offers: Offers, people: People, posts: Posts, ledger: Ledger, clock: Clock) -> None:
        self.offers = offers
        self.people = people
        self.posts = posts
        self.ledger = ledger
        self.clock = clock

    # ------------------------------------------------------------------ editors
    def offer(self, principal: Principal, body: OfferIn, api_base: str,
              idempotency_key: str | None = None) -> tuple[Offer, bool]:
        """The offer and True. With an Idempotency-Key a retry answers the first offer and False (and finishes its
        fan-out if the first request could not): publishers are never offered, or told about, one post twice."""
        deadline = time.monotonic() + FANOUT_SECONDS
        post = self.posts.get(body.post_id)
        if post is None:
            raise NotFound(f"no post {body.post_id!r}")
        offer_id = rules.new_offer_id()
        if idempotency_key:
            offer_id = hashlib.sha256(f"{principal.username}\n{idempotency_key}".encode()).hexdigest()[:32]
        offer = rules.make_offer(offer_id, body, post, principal, self.clock(), api_base)
        if not self.offers.create_offer(offer):
            existing = self._offer(offer_id)
            finished = existing.status != "active" or existing.recipients is not None
            return (existing if finished else self.fan_out(existing, deadline)), False
        return self.fan_out(offer, deadline), True

    def fan_out(self, offer: Offer, deadline: float) -> Offer:
        """Offer to everyone eligible now; safe to repeat (a person is offered it, and counted, once). People not
        reached by `deadline` (time.monotonic) are left for the next run; `recipients` stays None until then."""
        now = self.clock()
        version = policy_version(self.people)
        audience = {person.id: person for team, topic in rules.audience(offer)
                    for person in self.people.eligible(team, topic) if person.can_receive_offers(version)}

        reached = 0
        for person_id in sorted(audience):
            if time.monotonic() > deadline:
                break
            self.offers.deliver(offer, person_id, now)
            self.ledger.record(person_id, "offer_received", now, once_key=offer.id)
            reached += 1
        if reached < len(audience):
            logger.info("offer fan-out continues in notify_offers", extra={"offer": offer.id, "reached": reached,
                                                                          "audience": len(audience)})
            return offer
        self.offers.finish_fanout(offer.id, len(audience))
        return offer.model_copy(update={"recipients": len(audience)})

    def resume_fanouts(self, seconds_left: Callable[[], float]) -> int:
        """Finish the fan-outs that ran out of time or died midway (withdrawn offers go to nobody else)."""
        unfinished = self.offers.unfinished_fanouts(self.clock() - FANOUT_GRACE)
        for offer in unfinished:
            if offer.status == "active":
                self.fan_out(offer, time.monotonic() + seconds_left() - RUN_MARGIN_SECONDS)
            else:
                self.offers.finish_fanout(offer.id, len(self.offers.recipients(offer.id)))
        return len(unfinished)

    def withdraw(self, principal: Principal, offer_id: str) -> None:
        offer = self._offer(offer_id)
        withdrawn = rules.withdraw(offer, principal, self.clock())
        if withdrawn is not offer:
            self.offers.withdraw(withdrawn)

    def listing(self, principal: Principal, view: str | None, limit: int, cursor: str | None,
                api_base: str) -> PoolPage:
        """`view=all` (editors' default): every offer; `view=mine` (publishers' default): the offers meant for me."""
        if (view or ("all" if principal.is_editor else "mine")) == "all":
            if not principal.is_editor:
                raise Forbidden("only editors and masters see every offer; view=mine shows yours")
            return self.all_offers(limit, cursor)
        if not principal.has_any(RECEIVERS):
            raise Forbidden("only publishers receive offers")
        return self.pool(principal, limit, cursor, api_base)

    def all_offers(self, limit: int, cursor: str | None) -> PoolPage:
        offers, next_cursor = self.offers.offers(limit, cursor)
        return PoolPage(items=[PoolEntry(offer=offer) for offer in offers], next_cursor=next_cursor)

    # ------------------------------------------------------------------ publishers
    def pool(self, principal: Principal, limit: int, cursor: str | None, api_base: str) -> PoolPage:
        """The offers meant for this person, newest first, with their links; nothing while they cannot receive
        offers (not opted in, or the current policy not acknowledged), and then `notice` says why."""
        person = self.people.for_principal(principal)
        notice = rules.pool_notice(person, policy_version(self.people))
        if person is None or notice:
            return PoolPage(items=[], notice=notice)
        received, next_cursor = self.offers.received(person.id, limit, cursor)
        offers = self.offers.offers_by_id(r.offer_id for r in received)
        items = [rules.pool_entry(offers[r.offer_id], r, person.platforms, api_base)
                 for r in received if r.offer_id in offers and offers[r.offer_id].status == "active"]
        return PoolPage(items=items, next_cursor=next_cursor)

    def entry(self, principal: Principal, offer_id: str, api_base: str) -> PoolEntry:
        """An editor sees any offer; a publisher one that was offered to them, with their links."""
        offer = self._offer(offer_id)
        if principal.is_editor:
            return PoolEntry(offer=offer)
        person = self.people.for_principal(principal)
        notice = rules.pool_notice(person, policy_version(self.people))
        if person is None or notice:
            raise Forbidden(notice or "nothing is offered to you")
        recipient = self.offers.recipient(offer_id, person.id)
        if recipient is None or offer.status != "active":
            raise NotFound(f"offer {offer_id} is not in your pool")
        return rules.pool_entry(offer, recipient, person.platforms, api_base)

    # ------------------------------------------------------------------ tracked links
    def follow(self, code: str, counts: bool) -> str:
        """Where a tracked link leads, with UTM parameters; a click counts for the link's person on its channel
        unless `counts` is False (a HEAD request, a link-preview bot). One GetItem, and one UpdateItem to count."""
        parsed = parse_code(code)
        link = self.offers.link(parsed[0]) if parsed else None
        if parsed is None or link is None or not is_http_url(link.target):
            raise NotFound("no such link")
        channel = parsed[1]
        if counts:
            self.ledger.record(link.person, "click", self.clock(), channel=channel)
        return with_utm(link.target, channel, link.campaign)

    def _offer(self, offer_id: str) -> Offer:
        offer = self.offers.offer(offer_id)
        if offer is None:
            raise NotFound(f"no offer {offer_id!r}")
        return offer


# ---------------------------------------------------------------------------------------------------- notifications
class Queues(Protocol):
    def due_queues(self, now: datetime, limit: int) -> list[str]: ...
    def queue(self, person: str) -> Any: ...
    def clear_if_empty(self, person: str) -> bool: ...
    def postpone(self, person: str, until: datetime) -> None: ...
    def claim(self, person: str, now: datetime, until: datetime) -> bool: ...
    def finish(self, person: str, offer_ids: Iterable[str], now: datetime, was_sent: bool) -> None: ...
    def subscribed(self, person: str, subscription: OfferSubscription | None, arn: str | None,
                   confirmed_at: str | None) -> None: ...
    def offers_by_id(self, offer_ids: Iterable[str]) -> dict[str, Offer]: ...


class OfferMessages(Protocol):
    """The offers topic: a subscription per person, filtered on the `person` message attribute."""

    def subscribe(self, subscription: OfferSubscription) -> str: ...
    def unsubscribe(self, subscription_arn: str) -> None: ...
    def confirmed(self, subscription_arn: str) -> bool: ...
    def send(self, subscription: OfferSubscription, subject: str, message: str, sms_text: str) -> None: ...


class OfferNotifier:
    def __init__(self, queues: Queues, people: People, messages: OfferMessages, pool: PoolService, clock: Clock,
                 pool_url: str | None) -> None:
        self.queues = queues
        self.people = people
        self.messages = messages
        self.pool = pool
        self.clock = clock
        self.pool_url = pool_url

    def run(self, seconds_left: Callable[[], float]) -> dict[str, int]:
        summary = {"fanouts_resumed": self.pool.resume_fanouts(seconds_left), "due": 0, "sent": 0, "waiting": 0,
                   "dropped": 0}
        due = self.queues.due_queues(self.clock(), DUE_PER_RUN)
        summary["due"] = len(due)
        version = policy_version(self.people) if due else None
        for person_id in due:
            if seconds_left() < RUN_MARGIN_SECONDS:
                break  # the rest stay due: the next run takes them
            outcome = self._notify(person_id, version)
            if outcome in summary:
                summary[outcome] += 1
        return summary

    def _notify(self, person_id: str, version: str | None) -> str:
        queue = self.queues.queue(person_id)  # consistent: the index may lag a claim or a finished send
        now = self.clock()
        if queue is None or (queue.claimed_until and queue.claimed_until > timing.iso_utc(now)):
            return "claimed"
        try:
            person: Publisher | None = self.people.get(person_id)
        except NotFound:
            person = None
        subscription = rules.subscription_for(person) if person and person.can_receive_offers(version) else None
        if person is None or subscription is None:
            return self._drop(queue, person_id, now)
        decision = rules.plan(queue.state, person.rhythm, now)
        if decision.action == "idle":
            self.queues.clear_if_empty(person_id)
            return "idle"
        if decision.until is not None:
            self.queues.postpone(person_id, decision.until)
            return "waiting"
        if not self.queues.claim(person_id, now, now + CLAIM):
            return "claimed"
        queued = sorted(queue.state.queued)
        offers = self.queues.offers_by_id(queued)
        active = [offers[offer_id] for offer_id in queued if offer_id in offers and offers[offer_id].status == "active"]
        if not active:
            self.queues.finish(person_id, queued, now, was_sent=False)
            return "dropped"
        if not self._subscribed(queue, subscription, now):
            self.queues.postpone(person_id, now + AWAIT_CONFIRMATION)
            return "waiting"
        subject, text, sms = rules.offers_message(active, f"{self.pool_url}/pool" if self.pool_url else None)
        self.messages.send(subscription, subject, text, sms)
        self.queues.finish(person_id, queued, now, was_sent=True)
        return "sent"

    def _subscribed(self, queue: Any, subscription: OfferSubscription, now: datetime) -> bool:
        """The person's subscription matches how they want to hear from us (made or replaced here: they may have
        changed address or switched between email and SMS), and SNS has it confirmed (email asks its owner first)."""
        wanted = {"protocol": subscription.protocol, "endpoint": subscription.endpoint}
        arn, confirmed = queue.subscription_arn, queue.confirmed
        if arn is None or queue.subscribed != wanted:
            if arn:
                self.messages.unsubscribe(arn)
            arn, confirmed = self.messages.subscribe(subscription), False
            self.queues.subscribed(subscription.person, subscription, arn, None)
        if not confirmed:
            if not self.messages.confirmed(arn):
                logger.info("offer notifications wait for the subscription's confirmation",
                            extra={"person": subscription.person})
                return False
            self.queues.subscribed(subscription.person, subscription, arn, timing.iso_utc(now))
        return True

    def _drop(self, queue: Any, person_id: str, now: datetime) -> str:
        """Opted out, policy not acknowledged, no notifications wanted (or erased): the queue empties, and their
        subscription goes, so nothing more reaches them."""
        if queue.subscription_arn:
            self.messages.unsubscribe(queue.subscription_arn)
            self.queues.subscribed(person_id, None, None, None)
        if queue.state.queued:
            self.queues.finish(person_id, queue.state.queued, now, was_sent=False)
        else:
            self.queues.clear_if_empty(person_id)
        return "dropped"


# ---------------------------------------------------------------------------------------------------- privacy
class PoolRecords(Protocol):
    def all_received(self, person: str) -> list[Recipient]: ...
    def all_shares(self, person: str) -> list[Any]: ...
    def queue(self, person: str) -> Any: ...
    def watches(self, people: Iterable[str]) -> dict[str, Any]: ...
    def forget_share_url(self, share_id: str) -> None: ...
    def delete_queue(self, person: str) -> bool: ...
    def delete_watch(self, person: str) -> bool: ...


class PoolPersonalData:
    """PersonalData (chorus.advocacy.privacy.service) for the pool: offers received, shares, notification and
    share-tracking state. Erasing drops the URLs and notes of their shares, their subscription, queue and watermarks;
    the counts and the tracked links (already out in the world, they keep leading to the page) stay, keyed by the
    opaque id only."""

    section = "pool"

    def __init__(self, records: PoolRecords, messages: OfferMessages) -> None:
        self.records = records
        self.messages = messages

    def export(self, person_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = [{"kind": "offer_received", **r.model_dump()}
                                       for r in self.records.all_received(person_id)]
        found += [{"kind": "share", **s.model_dump()} for s in self.records.all_shares(person_id)]
        queue = self.records.queue(person_id)
        if queue is not None:
            last_sent_at = queue.state.last_sent_at
            found.append({"kind": "offer_notifications", "queued": sorted(queue.state.queued),
                          "last_sent_at": timing.iso_utc(last_sent_at) if last_sent_at else None,
                          "subscribed": queue.subscribed, "confirmed": queue.confirmed})
        watch = self.records.watches([person_id]).get(person_id)
        if watch is not None:
            found.append({"kind": "share_tracking", "watermarks": watch.marks, "polled_at": watch.polled_at})
        return found

    def erase(self, person_id: str, now: datetime) -> int:
        changed = 0
        for share in self.records.all_shares(person_id):
            if share.url is not None or share.note is not None:
                self.records.forget_share_url(share.id)
                changed += 1
        return changed + self.stop_notifications(person_id) + self.records.delete_watch(person_id)

    def stop_notifications(self, person_id: str) -> int:
        """Nothing more reaches the person about offers: their subscription to the offers topic goes, and their
        queue with it (erasing, and opting out through chorus.advocacy.people.service). Safe to repeat."""
        queue = self.records.queue(person_id)
        if queue is not None and queue.subscription_arn:
            self.messages.unsubscribe(queue.subscription_arn)
        return int(self.records.delete_queue(person_id))


STOP_MARGIN_SECONDS = 20.0  # the run stops starting people this long before its timeout


class ShareRecords(Protocol):
    def add_share(self, share: Share) -> tuple[Share, bool]: ...
    def share(self, share_id: str) -> Share | None: ...
    def settle_share(self, share: Share, previous: Share) -> Share: ...
    def replace_share(self, share: Share, previous: Share) -> Share: ...
    def all_shares(self, person: str) -> list[Share]: ...
    def offer(self, offer_id: str) -> Offer | None: ...
    def recipient(self, offer_id: str, person: str) -> Recipient | None: ...
    def shares(self, person: str | None, offer_id: str | None, platform: str | None, status: str | None, limit: int,
               cursor: str | None) -> tuple[list[Share], str | None]: ...


class ShareService:
    """Shares count once they are verified: read on Mastodon or Bluesky (the person's own post, made after the offer,
    linking to it), or confirmed by an editor. A publisher's claim is stored at once and counts nothing until then;
    the ledger's `share_claimed` keeps, per day of the claim, the claims still waiting (+1 when claimed, -1 when
    verified or rejected), which the report shows apart from the score.

    Counts go to the ledger before the status that says they were made (each with its once-key), so a crash between
    the two is healed by the next check of the same share and nothing counts twice. `readers` read one post quickly
    (short timeouts) while a publisher waits for POST /shares; whatever they cannot read then, track_shares reads."""

    def __init__(self, records: ShareRecords, people: People, ledger: Ledger, clock: Clock,
                 readers: Sequence[Reader] = ()) -> None:
        self.records = records
        self.people = people
        self.ledger = ledger
        self.clock = clock
        self.readers = {reader.platform: reader for reader in readers}

    def confirm(self, principal: Principal, body: ShareIn) -> tuple[Share, bool]:
        """The publisher's word that they shared an offer: (the share, True when new). A Mastodon or Bluesky post is
        read at once when the platform answers quickly; a claim not verified before is checked again."""
        person = self.people.for_principal(principal)
        if person is None:
            raise Forbidden("you have no ambassador profile; ask the social master to add you")
        recipient = self.records.recipient(body.offer_id, person.id)
        if recipient is None:
            raise NotFound(f"offer {body.offer_id} was not offered to you")
        instance = mastodon_instance(person.platforms.get("mastodon"))
        platform = platform_of(body.url, [instance] if instance else [])
        post_id = post_id_of(body.url, platform, instance)
        handle = person.platforms.get(platform)
        share, created = self.records.add_share(rules.new_share(
            person.id, body.offer_id, body.url, platform, "publisher", self.clock(), post_id,
            rules.claim_note(platform, handle, post_id)))
        if share.person != person.id:
            raise Conflict("this post was recorded as someone else's share; Chorus counts a Mastodon or Bluesky post "
                           "for its author when it reads it on their account, and an editor can sort out the rest")
        if share.status == "verified":
            return share, created
        self._count_claim(share)  # every time: heals a crash right after the claim was stored
        if share.post_id is None and post_id is not None:
            # Reported again after adding the handle its address needed (their Mastodon instance): now it names the
            # post, and track_shares can read it too.
            share = self.records.settle_share(share.model_copy(update={
                "post_id": post_id, "note": rules.claim_note(share.platform, handle, post_id)}), share)
        reader = self.readers.get(share.platform)
        if reader is None or not rules.can_read(share.platform, handle, share.post_id):
            return share, created
        offer = self.records.offer(share.offer_id)
        if offer is None:
            return share, created
        try:
            return self.check(share, person, reader, {recipient.link_base: offer.id}, offer), created
        except PublishError as error:
            logger.info("a claimed share could not be read now; track_shares reads it again", extra={
                "person": person.id, "platform": share.platform, "error": type(error).__name__})
            return share, created

    def check(self, share: Share, person: Publisher, reader: Reader, link_bases: Mapping[str, str],
              offer: Offer) -> Share:
        """Read a claimed (or rejected) share on its platform and settle it: verified or rejected, as stored.
        PublishError when the platform did not answer: the share stays as it was."""
        handle = person.platforms[share.platform]
        now = self.clock()
        post = reader.read_post(handle, share.post_id or "", now.timestamp())
        status, note = rules.judge_claim(share, post, handle, link_bases, offer, self.records.all_shares(person.id))
        return self._settle(share, status, note, share.platform, now, post.id if post else share.post_id)

    def found(self, person_id: str, offer_id: str, post: PublicPost, platform: FoundBy) -> tuple[Share, bool]:
        """A post read on the person's own account (track_shares) that shares an offer: reading it is the proof, so
        it is a verified share, whether nobody had claimed it yet, they had, or someone else had claimed their post.
        (the share, True when new). Conflict when someone else's share of that post was verified before."""
        now = self.clock()
        mine = self.records.all_shares(person_id)
        same = next((s for s in mine if s.platform == platform and s.post_id == post.id and s.status == "verified"),
                    None)
        if same is not None:
            return same, False  # counted under another address of the same post
        share = rules.new_share(person_id, offer_id, post.url, platform, platform, post.created_at, post.id,
                                verified_at=now)
        stored, created = self.records.add_share(share)
        if stored.status == "verified":
            if stored.person != person_id:
                raise Conflict("this post was recorded as someone else's verified share")
            self._count(stored)  # every time: heals a crash right after the share was stored
            return stored, created
        if stored.person == person_id:
            return self._settle(stored, "verified", None, platform, now, post.id), False
        self._settle_claim(stored)  # someone else's claim of this post ends
        replaced = self.records.replace_share(share, stored)
        if replaced.person == person_id and replaced.status == "verified":
            self._count(replaced)
        return replaced, replaced.person == person_id

    def confirm_by_editor(self, principal: Principal, share_id: str) -> Share:
        """An editor's confirmation of a share Chorus could not verify by reading (LinkedIn, X, Facebook, elsewhere):
        it counts once. Nobody confirms their own shares."""
        share = self._decidable(principal, share_id)
        if share.status == "verified":
            return share
        logger.info("share confirmed by an editor", extra={"share": share.id, "by": principal.username})
        return self._settle(share, "verified", None, "editor", self.clock(), share.post_id)

    def reject(self, principal: Principal, share_id: str, reason: str) -> Share:
        """An editor's word that a claimed share is not one (made up, not public, not the offer): it never counts."""
        share = self._decidable(principal, share_id)
        if share.status == "verified":
            raise Conflict("this share was verified and counts already; a counted share stays counted")
        logger.info("share rejected by an editor", extra={"share": share.id, "by": principal.username})
        return self._settle(share, "rejected", reason.strip(), None, self.clock(), share.post_id)

    def list(self, principal: Principal, person: str | None, offer_id: str | None, platform: str | None,
             status: str | None, limit: int, cursor: str | None) -> SharePage:
        """Editors and masters see everyone's (filtered); anyone else only their own."""
        if not principal.is_editor:
            me = self.people.for_principal(principal)
            if person is not None and (me is None or person != me.id):
                raise Forbidden("you see only your own shares")
            if me is None:
                return SharePage(items=[])
            person = me.id
        items, next_cursor = self.records.shares(person, offer_id, platform, status, limit, cursor)
        return SharePage(items=items, next_cursor=next_cursor)

    def _decidable(self, principal: Principal, share_id: str) -> Share:
        if not principal.is_editor:
            raise Forbidden("only editors and masters confirm or reject shares")
        share = self.records.share(share_id)
        if share is None:
            raise NotFound(f"no share {share_id!r}")
        me = self.people.for_principal(principal)
        if me is not None and me.id == share.person:
            raise Forbidden("your own shares are confirmed by someone else")
        return share

    def _settle(self, share: Share, status: ShareStatus, note: str | None, verified_by: str | None, now: datetime,
                post_id: str | None) -> Share:
        verified = status == "verified"
        settled = share.model_copy(update={
            "status": status, "note": note, "post_id": post_id, "verified_by": verified_by if verified else None,
            "verified_at": timing.iso_utc(now) if verified else None})
        if settled == share:
            return share
        if verified:
            self._count(settled)
        if share.found_by == "publisher":
            self._settle_claim(share)
        return self.records.settle_share(settled, share)

    def _count(self, share: Share) -> None:
        """The share counts once, on the day it was made (claimed, or posted when track_shares found it)."""
        self.ledger.record(share.person, "share", timing.from_iso_utc(share.created_at), channel=share.platform,
                           once_key=share.id)

    def _count_claim(self, share: Share) -> None:
        self.ledger.record(share.person, "share_claimed", timing.from_iso_utc(share.created_at),
                           channel=share.platform, once_key=share.id)

    def _settle_claim(self, share: Share) -> None:
        """The claim no longer waits: its +1 (recorded first, once, in case the claim's own count was lost) and its
        -1, once."""
        self._count_claim(share)
        self.ledger.record(share.person, "share_claimed", timing.from_iso_utc(share.created_at),
                           channel=share.platform, count=-1, once_key=f"{share.id}#settled")


# ---------------------------------------------------------------------------------------------------- tracking
class Reader(Protocol):
    @property
    def platform(self) -> str: ...
    @property
    def requests(self) -> int: ...  # made so far

    def recent_posts(self, handle: str, watermark: Mapping[str, str], now: float) -> Reading: ...
    def reply_counts(self, handle: str, post_ids: list[str], now: float) -> dict[str, int]: ...
    def read_post(self, handle: str, post_id: str, now: float) -> PublicPost | None:
        """One post (None when the platform has no public post by that id)."""


class TrackingRecords(Protocol):
    def offers_since(self, since: datetime) -> list[Offer]: ...
    def recipients(self, offer_id: str) -> list[Recipient]: ...
    def all_shares(self, person: str) -> list[Share]: ...
    def count_replies(self, share_id: str, replies: int) -> None: ...
    def watches(self, people: Iterable[str]) -> dict[str, Any]: ...
    def save_watch(self, person: str, marks: dict[str, dict[str, str]], polled_at: str) -> None: ...


@dataclass
class TrackSummary:
    offers: int = 0
    people: int = 0  # people with a Mastodon or Bluesky handle who received those offers
    read: int = 0  # of them, read this run
    left: int = 0  # not reached before the timeout: first in line next run (least recently read first)
    failed: int = 0  # a platform read that failed (the watermark stays; the next run tries again)
    requests: int = 0
    shares_found: int = 0
    claims_verified: int = 0  # publishers' claims read this run and found to be their post, linking the offer
    claims_rejected: int = 0  # ... and found not to be
    replies_counted: int = 0


class ShareTracker:
    def __init__(self, records: TrackingRecords, people: People, shares: ShareService, ledger: Ledger,
                 readers: list[Reader], clock: Clock, window_days: int) -> None:
        self.records = records
        self.people = people
        self.shares = shares
        self.ledger = ledger
        self.readers = readers
        self.clock = clock
        self.window = timedelta(days=window_days)

    def run(self, seconds_left: Callable[[], float]) -> TrackSummary:
        now = self.clock()
        summary = TrackSummary()
        offers = self.records.offers_since(now - self.window)
        summary.offers = len(offers)
        links: dict[str, dict[str, str]] = {}  # person → their link bases → offer
        for offer in offers:
            for recipient in self.records.recipients(offer.id):
                links.setdefault(recipient.person, {})[recipient.link_base] = offer.id
        watches = self.records.watches(links)
        queue = sorted(links, key=lambda person: (watches[person].polled_at or "") if person in watches else "")
        offer_urls = {normalise_url(offer.url): offer.id for offer in offers}
        by_id = {offer.id: offer for offer in offers}
        requests_before = sum(reader.requests for reader in self.readers)
        for position, person_id in enumerate(queue):
            if seconds_left() < STOP_MARGIN_SECONDS:
                summary.left = len(queue) - position
                break
            person = self._person(person_id)
            if person is None or not any(person.platforms.get(reader.platform) for reader in self.readers):
                continue
            summary.people += 1
            watch = watches.get(person_id)
            self._track(person, dict(watch.marks) if watch else {}, links[person_id], offer_urls, by_id, now, summary)
        summary.requests = sum(reader.requests for reader in self.readers) - requests_before
        return summary

    def _person(self, person_id: str) -> Publisher | None:
        """Only people in the programme are read: after an opt-out or an erasure their accounts are left alone."""
        try:
            person = self.people.get(person_id)
        except NotFound:
            return None
        return person if person.opted_in and not person.erased_at else None

    def _track(self, person: Publisher, marks: dict[str, dict[str, str]], link_bases: Mapping[str, str],
               offer_urls: Mapping[str, str], offers: Mapping[str, Offer], now: datetime,
               summary: TrackSummary) -> None:
        summary.read += 1
        since = now - self.window
        for reader in self.readers:
            handle = person.platforms.get(reader.platform)
            if not handle:
                continue
            # The reader that finds a share (mastodon or bluesky) is its platform.
            platform = cast(FoundBy, reader.platform)
            try:
                reading = reader.recent_posts(handle, marks.get(reader.platform, {}), now.timestamp())
                for post in reading.posts:
                    offer_id = rules.offer_shared(post.links, link_bases, offer_urls)
                    if offer_id and post.created_at >= timing.from_iso_utc(offers[offer_id].created_at):
                        summary.shares_found += self._found(person.id, offer_id, post, platform)
                mine = [share for share in self.records.all_shares(person.id) if share.platform == reader.platform
                        and share.post_id and timing.from_iso_utc(share.created_at) >= since]
                mine = [self._check(share, person, reader, link_bases, offers, summary) for share in mine]
                verified = [share for share in mine if share.status == "verified"]
                summary.replies_counted += self._count_replies(person.id, reader, handle, verified, reading.posts,
                                                               now)
                marks[reader.platform] = reading.watermark
            except PublishError as error:
                summary.failed += 1
                logger.warning("could not read a publisher's posts", extra={
                    "person": person.id, "platform": reader.platform, "error": type(error).__name__,
                    "detail": str(error)})
        self.records.save_watch(person.id, marks, timing.iso_utc(now))

    def _found(self, person_id: str, offer_id: str, post: PublicPost, platform: FoundBy) -> bool:
        try:
            return self.shares.found(person_id, offer_id, post, platform)[1]
        except Conflict:
            logger.warning("a post found on a publisher's account is someone else's verified share",
                           extra={"person": person_id, "platform": platform})
            return False

    def _check(self, share: Share, person: Publisher, reader: Reader, link_bases: Mapping[str, str],
               offers: Mapping[str, Offer], summary: TrackSummary) -> Share:
        """A claim not read yet (the platform did not answer while the publisher waited) is read now."""
        if share.status != "claimed" or share.offer_id not in offers:
            return share
        checked = self.shares.check(share, person, reader, link_bases, offers[share.offer_id])
        summary.claims_verified += checked.status == "verified"
        summary.claims_rejected += checked.status == "rejected"
        return checked

    def _count_replies(self, person_id: str, reader: Reader, handle: str, shares: list[Share],
                       posts: Sequence[PublicPost], now: datetime) -> int:
        counts = {post.id: post.replies for post in posts}
        post_ids = {share.id: share.post_id for share in shares if share.post_id}
        missing = sorted({post_id for post_id in post_ids.values() if post_id not in counts})
        if missing:
            counts.update(reader.reply_counts(handle, missing, now.timestamp()))
        counted = 0
        for share in shares:
            seen = counts.get(post_ids.get(share.id, ""))
            if seen is None or seen <= share.replies:
                continue
            for number in range(share.replies + 1, seen + 1):
                counted += self.ledger.record(person_id, "reply", now, channel=share.platform,
                                              once_key=f"{share.id}#{number}")
            self.records.count_replies(share.id, seen)
        return counted
