"""The content pool's persistence: offers, who received them, tracked links, offer-notification queues, shares and the
share tracker's watermarks in the AdvocacyTable (keys in chorus.advocacy.store's layout table); and the offers topic
(SNS), where each publisher has their own subscription, filtered on the `person` message attribute.

  offer an editor made ............ offer#<id> / offer
                                    gsi1 offer#all / <created_at>#<id> (newest first)
                                    gsi2 offer#fanout / <created_at> (sparse: fan-out unfinished)
  an offer one person received .... offer#<id> / to#<person>
                                    gsi1 offer#to#<person> / <created_at>#<id> (their pool)
  a person's offer notifications .. offer#notify#<person> / queue
                                    gsi2 offer#notify / <due_at> (sparse: due)
  tracked link (person × offer) ... link#<link base> / link: GetItem per click (then one UpdateItem: the count)
  share (one per normalised URL) .. share#<url hash> / share
                                    gsi1 share#by#<person>, gsi2 share#all / <created_at>#<id>
  share tracker watermarks ........ share#watch#<person> / watch: BatchGetItem per run

Receiving an offer is one TransactWriteItems: the recipient, their link and (when they want notifications) the offer
in their queue, together or not at all; a retried fan-out finds the recipient and changes nothing."""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError, UpdateError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chorus.advocacy.pool.rules import BASE62, CODE_BASE_LENGTH, NotifyState, OfferSubscription, new_link_base
from chorus.advocacy.pool.schemas import Offer, Recipient, Share
from chorus.advocacy.store import AdvocacyItem, Gsi1, Gsi2
from chorus.aws.cursors import decode_cursor, encode_cursor
from chorus.aws.messaging import Alerts, AlertSubscriptions, _client
from chorus.aws.tables import cancellation_reasons, is_condition_failure, put_if_absent, table, transaction_connection
from chorus.core import time as timing
from chorus.core.errors import Stale
from chorus.core.retry import retry_on_conflict


class OfferMessages(AlertSubscriptions):
    """The offers topic: each publisher's own email or SMS subscription, filtered on the `person` attribute."""

    def confirmed(self, subscription_arn: str) -> bool:
        """Email subscriptions wait for their owner to click SNS's confirmation link; until then nothing arrives."""
        sns = _client("sns", self.region)
        attributes = sns.get_subscription_attributes(SubscriptionArn=subscription_arn)["Attributes"]
        return attributes.get("PendingConfirmation") == "false"

    ANNOUNCE_BATCH = 1000  # person ids per message: ~20 KB of the 256 KB a message may carry with its attributes

    def send(self, subscription: Any, subject: str, message: str, sms_text: str) -> None:
        Alerts(self.topic_arn, self.region).send(subject, message, sms_text=sms_text, person=subscription.person)

    PUBLISH_BATCH = 10  # SNS PublishBatch's limit

    def send_each(self, messages: list[tuple[Any, str, str, str]]) -> None:
        """One message per person (subscription, subject, email text, SMS text), ten per PublishBatch request."""
        sns = _client("sns", self.region)
        for start in range(0, len(messages), self.PUBLISH_BATCH):
            entries = [{"Id": str(n), "Subject": subject[:100], "MessageStructure": "json",
                        "Message": json.dumps({"default": message, "sms": sms_text}),
                        "MessageAttributes": {"person": {"DataType": "String", "StringValue": subscription.person}}}
                       for n, (subscription, subject, message, sms_text)
                       in enumerate(messages[start:start + self.PUBLISH_BATCH])]
            failed = sns.publish_batch(TopicArn=self.topic_arn, PublishBatchRequestEntries=entries).get("Failed")
            if failed:
                raise RuntimeError(f"{len(failed)} messages could not be sent: {failed[0].get('Message')}")

    def announce(self, subscriptions: list[Any], subject: str, message: str, sms_text: str) -> None:
        """One message to many people: each person's filter policy {"person": [id]} matches their id in the array."""
        people = sorted({subscription.person for subscription in subscriptions})
        for start in range(0, len(people), self.ANNOUNCE_BATCH):
            Alerts(self.topic_arn, self.region).send(subject, message, sms_text=sms_text,
                                                     person=people[start:start + self.ANNOUNCE_BATCH])


ALL_OFFERS = "offer#all"
FANOUT = "offer#fanout"
NOTIFY = "offer#notify"
ALL_SHARES = "share#all"
BATCH = 100  # BatchGetItem's limit


def random_link_base() -> str:
    return new_link_base(secrets.randbelow(len(BASE62)) for _ in range(CODE_BASE_LENGTH))


@table("advocacy_table")
class OfferItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    post_id = UnicodeAttribute()
    teams = ListAttribute(of=UnicodeAttribute, default=list)
    topics = ListAttribute(of=UnicodeAttribute, default=list)
    texts = JSONAttribute(default=dict)
    url = UnicodeAttribute()
    campaign = UnicodeAttribute()
    created_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    status = UnicodeAttribute(default="active")
    withdrawn_at = UnicodeAttribute(null=True)
    withdrawn_by = UnicodeAttribute(null=True)
    recipients = NumberAttribute(null=True)

    gsi1: Gsi1[OfferItem] = Gsi1()
    gsi2: Gsi2[OfferItem] = Gsi2()

    @classmethod
    def from_offer(cls, offer: Offer) -> OfferItem:
        return cls(f"offer#{offer.id}", "offer", gsi1pk=ALL_OFFERS, gsi1sk=f"{offer.created_at}#{offer.id}",
                   gsi2pk=FANOUT, gsi2sk=offer.created_at, **offer.model_dump(exclude={"id"}))

    def to_offer(self) -> Offer:
        data = {name: getattr(self, name) for name in Offer.model_fields if name != "id"}
        return Offer(id=self.pk.removeprefix("offer#"), **data)


@table("advocacy_table")
class RecipientItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    offer_id = UnicodeAttribute()
    person = UnicodeAttribute()
    link_base = UnicodeAttribute()
    created_at = UnicodeAttribute()

    gsi1: Gsi1[RecipientItem] = Gsi1()

    def to_recipient(self) -> Recipient:
        return Recipient(offer_id=self.offer_id, person=self.person, link_base=self.link_base,
                         created_at=self.created_at)


@table("advocacy_table")
class LinkItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    person = UnicodeAttribute()
    offer_id = UnicodeAttribute()
    target = UnicodeAttribute()
    campaign = UnicodeAttribute()


@table("advocacy_table")
class NotifyQueueItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    person = UnicodeAttribute(null=True)
    queued = UnicodeSetAttribute(null=True)  # offer ids; DynamoDB drops the attribute when the set empties
    last_sent_at = UnicodeAttribute(null=True)
    claimed_until = UnicodeAttribute(null=True)
    subscription_arn = UnicodeAttribute(null=True)
    subscribed = JSONAttribute(null=True)  # {"protocol", "endpoint"} the subscription was made for
    confirmed = UnicodeAttribute(null=True)  # when SNS first reported the subscription confirmed

    gsi2: Gsi2[NotifyQueueItem] = Gsi2()


@table("advocacy_table")
class ShareItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    person = UnicodeAttribute()
    offer_id = UnicodeAttribute()
    url = UnicodeAttribute(null=True)
    platform = UnicodeAttribute()
    found_by = UnicodeAttribute()
    created_at = UnicodeAttribute()
    post_id = UnicodeAttribute(null=True)
    replies = NumberAttribute(default=0)
    status = UnicodeAttribute(null=True)  # absent on shares stored before claims were checked: they counted at once
    note = UnicodeAttribute(null=True)
    verified_by = UnicodeAttribute(null=True)
    verified_at = UnicodeAttribute(null=True)

    gsi1: Gsi1[ShareItem] = Gsi1()
    gsi2: Gsi2[ShareItem] = Gsi2()

    @classmethod
    def from_share(cls, share: Share) -> ShareItem:
        order = f"{share.created_at}#{share.id}"
        return cls(f"share#{share.id}", "share", gsi1pk=f"share#by#{share.person}", gsi1sk=order, gsi2pk=ALL_SHARES,
                   gsi2sk=order, **share.model_dump(exclude={"id"}))

    def to_share(self) -> Share:
        data = {name: getattr(self, name) for name in Share.model_fields if name != "id"}
        return Share(id=self.pk.removeprefix("share#"), **{**data, "status": self.status or "verified"})


@table("advocacy_table")
class WatchItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    person = UnicodeAttribute()
    marks = JSONAttribute(default=dict)  # platform → that platform's watermark
    polled_at = UnicodeAttribute(null=True)


@dataclass(frozen=True)
class Queue:
    person: str
    state: NotifyState
    claimed_until: str | None
    subscription_arn: str | None
    subscribed: dict[str, str] | None
    confirmed: bool


@dataclass(frozen=True)
class Watch:
    person: str
    marks: dict[str, dict[str, str]]
    polled_at: str | None


class PoolStore:
    def __init__(self, new_base: Callable[[], str] = random_link_base) -> None:
        self.new_base = new_base

    # ------------------------------------------------------------------ offers
    def create_offer(self, offer: Offer) -> bool:
        """False when an offer with that id exists already (an idempotent retry)."""
        return put_if_absent(OfferItem.from_offer(offer), OfferItem.pk)

    def offer(self, offer_id: str) -> Offer | None:
        try:
            return OfferItem.get(f"offer#{offer_id}", "offer", consistent_read=True).to_offer()
        except OfferItem.DoesNotExist:
            return None

    def offers(self, limit: int, cursor: str | None) -> tuple[list[Offer], str | None]:
        results = OfferItem.gsi1.query(ALL_OFFERS, scan_index_forward=False, limit=limit,
                                       last_evaluated_key=decode_cursor(cursor).get("k"))
        offers = [item.to_offer() for item in results]
        return offers, encode_cursor({"k": results.last_evaluated_key}) if results.last_evaluated_key else None

    def offers_since(self, since: datetime) -> list[Offer]:
        return [item.to_offer() for item in OfferItem.gsi1.query(ALL_OFFERS, OfferItem.gsi1sk >= timing.iso_utc(since))]

    def offers_by_id(self, offer_ids: Iterable[str]) -> dict[str, Offer]:
        keys = [(f"offer#{offer_id}", "offer") for offer_id in sorted(set(offer_ids))]
        return {offer.id: offer for offer in (item.to_offer() for item in OfferItem.batch_get(keys))}

    def withdraw(self, offer: Offer) -> None:
        """Store that `offer` (as chorus.advocacy.pool.rules.withdraw made it) was withdrawn."""
        if offer.withdrawn_at is None or offer.withdrawn_by is None:
            raise ValueError(f"offer {offer.id} says neither when nor by whom it was withdrawn")
        OfferItem(f"offer#{offer.id}", "offer").update(
            actions=[OfferItem.status.set(offer.status), OfferItem.withdrawn_at.set(offer.withdrawn_at),
                     OfferItem.withdrawn_by.set(offer.withdrawn_by)], condition=OfferItem.pk.exists())

    def unfinished_fanouts(self, started_before: datetime) -> list[Offer]:
        results = OfferItem.gsi2.query(FANOUT, OfferItem.gsi2sk <= timing.iso_utc(started_before))
        return [item.to_offer() for item in results]

    def finish_fanout(self, offer_id: str, recipients: int) -> None:
        OfferItem(f"offer#{offer_id}", "offer").update(
            actions=[OfferItem.recipients.set(recipients), OfferItem.gsi2pk.remove(), OfferItem.gsi2sk.remove()])

    # ------------------------------------------------------------------ recipients and links
    def deliver(self, offer: Offer, person: str, now: datetime) -> bool:
        """The offer reaches the person: their recipient item, their tracked link and the offer in their notification
        queue, in one transaction. False when they had received it already."""
        stamp = timing.iso_utc(now)

        def deliver(attempt: int) -> bool:
            base = self.new_base()
            recipient = RecipientItem(f"offer#{offer.id}", f"to#{person}", gsi1pk=f"offer#to#{person}",
                                      gsi1sk=f"{offer.created_at}#{offer.id}", offer_id=offer.id, person=person,
                                      link_base=base, created_at=stamp)
            link = LinkItem(f"link#{base}", "link", person=person, offer_id=offer.id, target=offer.url,
                            campaign=offer.campaign)
            try:
                with TransactWrite(connection=transaction_connection()) as transaction:
                    transaction.save(recipient, condition=RecipientItem.sk.does_not_exist())
                    transaction.save(link, condition=LinkItem.pk.does_not_exist())
                    transaction.update(NotifyQueueItem(f"offer#notify#{person}", "queue"), actions=[
                        NotifyQueueItem.queued.add({offer.id}), NotifyQueueItem.person.set(person),
                        NotifyQueueItem.gsi2pk.set(NOTIFY), NotifyQueueItem.gsi2sk.set(NotifyQueueItem.gsi2sk | stamp)])
            except TransactWriteError as error:
                if cancellation_reasons(error)[0] == "ConditionalCheckFailed":
                    return False
                raise Stale("the notification queue was busy, or the link base was taken") from None
            return True

        return retry_on_conflict(deliver, f"could not offer {offer.id} to {person}; the fan-out resumes it")

    def recipients(self, offer_id: str) -> list[Recipient]:
        results = RecipientItem.query(f"offer#{offer_id}", RecipientItem.sk.startswith("to#"))
        return [item.to_recipient() for item in results]

    def recipient(self, offer_id: str, person: str) -> Recipient | None:
        try:
            return RecipientItem.get(f"offer#{offer_id}", f"to#{person}", consistent_read=True).to_recipient()
        except RecipientItem.DoesNotExist:
            return None

    def received(self, person: str, limit: int, cursor: str | None) -> tuple[list[Recipient], str | None]:
        """What the person was offered, newest first."""
        results = RecipientItem.gsi1.query(f"offer#to#{person}", scan_index_forward=False, limit=limit,
                                           last_evaluated_key=decode_cursor(cursor).get("k"))
        received = [item.to_recipient() for item in results]
        return received, encode_cursor({"k": results.last_evaluated_key}) if results.last_evaluated_key else None

    def all_received(self, person: str) -> list[Recipient]:
        return [item.to_recipient() for item in RecipientItem.gsi1.query(f"offer#to#{person}")]

    def link(self, link_base: str) -> LinkItem | None:
        try:
            return LinkItem.get(f"link#{link_base}", "link")
        except LinkItem.DoesNotExist:
            return None

    # ------------------------------------------------------------------ notification queues
    def due_queues(self, now: datetime, limit: int) -> list[str]:
        results = NotifyQueueItem.gsi2.query(NOTIFY, NotifyQueueItem.gsi2sk <= timing.iso_utc(now), limit=limit)
        return [item.person or item.pk.removeprefix("offer#notify#") for item in results]

    def queue(self, person: str) -> Queue | None:
        try:
            item = NotifyQueueItem.get(f"offer#notify#{person}", "queue", consistent_read=True)
        except NotifyQueueItem.DoesNotExist:
            return None
        state = NotifyState(frozenset(item.queued or ()), _time(item.last_sent_at),
                            _time(item.gsi2sk) if item.gsi2pk == NOTIFY else None)
        return Queue(person, state, item.claimed_until, item.subscription_arn, item.subscribed, bool(item.confirmed))

    def clear_if_empty(self, person: str) -> bool:
        """Takes the queue off the due index, unless an offer arrived meanwhile."""
        return self._update_queue(person, [NotifyQueueItem.gsi2pk.remove(), NotifyQueueItem.gsi2sk.remove()],
                                  NotifyQueueItem.queued.does_not_exist())

    def postpone(self, person: str, until: datetime) -> None:
        """Due again at `until` (the person's rhythm, or a subscription awaiting confirmation); any claim ends."""
        self._update_queue(person,
                           [NotifyQueueItem.gsi2sk.set(timing.iso_utc(until)), NotifyQueueItem.claimed_until.remove()],
                           NotifyQueueItem.pk.exists())

    def claim(self, person: str, now: datetime, until: datetime) -> bool:
        """Of two overlapping runs, one sends; a claim whose holder died ends at `until`."""
        stamp = timing.iso_utc(now)
        unclaimed = NotifyQueueItem.claimed_until.does_not_exist() | (NotifyQueueItem.claimed_until < stamp)
        return self._update_queue(person, [NotifyQueueItem.claimed_until.set(timing.iso_utc(until))], unclaimed)

    def finish(self, person: str, offer_ids: Iterable[str], now: datetime, was_sent: bool) -> None:
        """The offers leave the queue; the queue stays due now, so the next run plans what arrived meanwhile (or
        clears the due mark)."""
        stamp = timing.iso_utc(now)
        actions: list[Any] = [NotifyQueueItem.claimed_until.remove(), NotifyQueueItem.gsi2sk.set(stamp)]
        ids = set(offer_ids)
        if ids:
            actions.append(NotifyQueueItem.queued.delete(ids))
        if was_sent:
            actions.append(NotifyQueueItem.last_sent_at.set(stamp))
        self._update_queue(person, actions, NotifyQueueItem.pk.exists())

    def subscribed(self, person: str, subscription: OfferSubscription | None, arn: str | None,
                   confirmed_at: str | None) -> None:
        where = {"protocol": subscription.protocol, "endpoint": subscription.endpoint} if subscription else None
        actions = [NotifyQueueItem.subscription_arn.set(arn) if arn else NotifyQueueItem.subscription_arn.remove(),
                   NotifyQueueItem.subscribed.set(where) if where else NotifyQueueItem.subscribed.remove(),
                   NotifyQueueItem.confirmed.set(confirmed_at) if confirmed_at else NotifyQueueItem.confirmed.remove()]
        self._update_queue(person, actions, NotifyQueueItem.pk.exists())

    def delete_queue(self, person: str) -> bool:
        try:
            NotifyQueueItem(f"offer#notify#{person}", "queue").delete(condition=NotifyQueueItem.pk.exists())
        except DeleteError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    @staticmethod
    def _update_queue(person: str, actions: list[Any], condition: Any) -> bool:
        try:
            NotifyQueueItem(f"offer#notify#{person}", "queue").update(actions=actions, condition=condition)
        except UpdateError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    # ------------------------------------------------------------------ shares
    def add_share(self, share: Share) -> tuple[Share, bool]:
        """(the share as stored, True if this call stored it): a URL is one share, however often confirmed."""
        if put_if_absent(ShareItem.from_share(share), ShareItem.pk):
            return share, True
        return ShareItem.get(f"share#{share.id}", "share", consistent_read=True).to_share(), False

    def share(self, share_id: str) -> Share | None:
        try:
            return ShareItem.get(f"share#{share_id}", "share", consistent_read=True).to_share()
        except ShareItem.DoesNotExist:
            return None

    def settle_share(self, share: Share, previous: Share) -> Share:
        """Store what checking `previous` found (`share`: its status, note, verification and post id), unless someone
        settled it differently meanwhile: the share as stored either way."""
        actions: list[Action] = [ShareItem.status.set(share.status), ShareItem.post_id.set(share.post_id)
                                 if share.post_id else ShareItem.post_id.remove()]
        for attribute, value in ((ShareItem.note, share.note), (ShareItem.verified_by, share.verified_by),
                                 (ShareItem.verified_at, share.verified_at)):
            actions.append(attribute.set(value) if value is not None else attribute.remove())
        unchanged = (ShareItem.status == previous.status) & (ShareItem.person == previous.person)
        try:
            ShareItem(f"share#{share.id}", "share").update(actions=actions, condition=unchanged)
        except UpdateError as error:
            if not is_condition_failure(error):
                raise
            return self.share(share.id) or share
        return share

    def replace_share(self, share: Share, previous: Share) -> Share:
        """`share` (found on its author's own account) in the place of `previous`, an unverified claim of the same
        post by someone else, unless that claim changed meanwhile: the share as stored either way."""
        try:
            ShareItem.from_share(share).save(
                condition=(ShareItem.status == previous.status) & (ShareItem.person == previous.person))
        except PutError as error:
            if not is_condition_failure(error):
                raise
            return self.share(share.id) or share
        return share

    def shares(self, person: str | None, offer_id: str | None, platform: str | None, status: str | None, limit: int,
               cursor: str | None) -> tuple[list[Share], str | None]:
        """Newest first: one person's (their index) or everyone's, optionally of one offer, platform or status."""
        condition = None
        if offer_id:
            condition = ShareItem.offer_id == offer_id
        if platform:
            on_platform = ShareItem.platform == platform
            condition = on_platform if condition is None else condition & on_platform
        if status:
            # Shares stored before claims were checked have no status: they are verified.
            in_status = ShareItem.status == status
            if status == "verified":
                in_status = in_status | ShareItem.status.does_not_exist()
            condition = in_status if condition is None else condition & in_status
        index, key = (ShareItem.gsi1, f"share#by#{person}") if person else (ShareItem.gsi2, ALL_SHARES)
        results = index.query(key, filter_condition=condition, scan_index_forward=False, limit=limit,
                              last_evaluated_key=decode_cursor(cursor).get("k"))
        shares = [item.to_share() for item in results]
        return shares, encode_cursor({"k": results.last_evaluated_key}) if results.last_evaluated_key else None

    def all_shares(self, person: str) -> list[Share]:
        return [item.to_share() for item in ShareItem.gsi1.query(f"share#by#{person}")]

    def count_replies(self, share_id: str, replies: int) -> None:
        """Replies seen so far; never moves back (an overlapping run may have seen more)."""
        try:
            ShareItem(f"share#{share_id}", "share").update(
                actions=[ShareItem.replies.set(replies)],
                condition=ShareItem.pk.exists() & (ShareItem.replies < replies))
        except UpdateError as error:
            if not is_condition_failure(error):
                raise

    def forget_share_url(self, share_id: str) -> None:
        """The share's address and its note (which may name the person's handle) go; the share and its counts stay."""
        ShareItem(f"share#{share_id}", "share").update(actions=[ShareItem.url.remove(), ShareItem.note.remove()],
                                                       condition=ShareItem.pk.exists())

    # ------------------------------------------------------------------ share tracker watermarks
    def watches(self, people: Iterable[str]) -> dict[str, Watch]:
        keys = [(f"share#watch#{person}", "watch") for person in sorted(set(people))]
        found: dict[str, Watch] = {}
        for start in range(0, len(keys), BATCH):
            for item in WatchItem.batch_get(keys[start:start + BATCH]):
                found[item.person] = Watch(item.person, dict(item.marks or {}), item.polled_at)
        return found

    def save_watch(self, person: str, marks: dict[str, dict[str, str]], polled_at: str) -> None:
        """Last writer wins: everything a run records from what it read counts once, whichever run records it."""
        WatchItem(f"share#watch#{person}", "watch", person=person, marks=marks, polled_at=polled_at).save()

    def delete_watch(self, person: str) -> bool:
        try:
            WatchItem(f"share#watch#{person}", "watch").delete(condition=WatchItem.pk.exists())
        except DeleteError as error:
            if is_condition_failure(error):
                return False
            raise
        return True


def _time(value: str | None) -> datetime | None:
    return timing.from_iso_utc(value) if value else None
