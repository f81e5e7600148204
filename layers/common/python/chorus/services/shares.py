"""Shares: a publisher confirms one (POST /shares), or track_shares finds it on their Mastodon or Bluesky account;
replies to those shares are counted as conversation.

A share is one per normalised URL (a conditional put) and the ledger counts it with that URL's hash as once-key, so
a second confirmation, a retried request or an overlapping run counts nothing more. Replies count one by one with a
once-key per share and reply number, so two runs that both see a share go from 3 to 5 replies count two, not four.

track_shares (every 15 minutes) reads only what can hold new shares: offers of the last `window_days` (a Query),
the people they went to (a Query per offer), and per person with a Mastodon or Bluesky handle the posts since
their watermark on that platform, plus the reply counts of their shares of that window.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from chorus.adapters.connectors.base import PublishError
from chorus.domain import pool as rules
from chorus.domain import timing
from chorus.domain.errors import Conflict, Forbidden, NotFound
from chorus.domain.pool import FoundBy, Offer, Publisher, Recipient, Share, ShareIn, SharePage
from chorus.domain.roles import Principal
from chorus.domain.share_links import mastodon_instance, normalise_url, platform_of, post_id_of
from chorus.observability import logger
from chorus.services.pool import Clock, Ledger, People

STOP_MARGIN_SECONDS = 20.0  # the run stops starting people this long before its timeout


class ShareRecords(Protocol):
    def add_share(self, share: Share) -> tuple[Share, bool]: ...
    def recipient(self, offer_id: str, person: str) -> Recipient | None: ...
    def shares(self, person: str | None, offer_id: str | None, platform: str | None, limit: int,
               cursor: str | None) -> tuple[list[Share], str | None]: ...


class ShareService:
    def __init__(self, records: ShareRecords, people: People, ledger: Ledger, clock: Clock) -> None:
        self.records = records
        self.people = people
        self.ledger = ledger
        self.clock = clock

    def confirm(self, principal: Principal, body: ShareIn) -> tuple[Share, bool]:
        """The publisher's own word that they shared an offer: (the share, True when new)."""
        person = self.people.for_principal(principal)
        if person is None:
            raise Forbidden("you have no ambassador profile; ask the social master to add you")
        if self.records.recipient(body.offer_id, person.id) is None:
            raise NotFound(f"offer {body.offer_id} was not offered to you")
        instance = mastodon_instance(person.platforms.get("mastodon"))
        platform = platform_of(body.url, [instance] if instance else [])
        return self.record(person.id, body.offer_id, body.url, platform, "publisher", self.clock(),
                           post_id_of(body.url, platform, instance))

    def record(self, person_id: str, offer_id: str, url: str, platform: str, found_by: FoundBy, moment: datetime,
               post_id: str | None = None) -> tuple[Share, bool]:
        share, created = self.records.add_share(rules.new_share(person_id, offer_id, url, platform, found_by, moment, post_id))
        if share.person != person_id:
            raise Conflict("this post was recorded as someone else's share")
        # Counted after the share is stored, every time: a crash between the two is healed by the retry.
        self.ledger.record(share.person, "share", timing.from_iso_utc(share.created_at), channel=share.platform,
                           once_key=share.id)
        return share, created

    def list(self, principal: Principal, person: str | None, offer_id: str | None, platform: str | None, limit: int,
             cursor: str | None) -> SharePage:
        """Editors and masters see everyone's (filtered); anyone else only their own."""
        if not principal.is_editor:
            me = self.people.for_principal(principal)
            if person is not None and (me is None or person != me.id):
                raise Forbidden("you see only your own shares")
            if me is None:
                return SharePage(items=[])
            person = me.id
        items, next_cursor = self.records.shares(person, offer_id, platform, limit, cursor)
        return SharePage(items=items, next_cursor=next_cursor)


# ---------------------------------------------------------------------------------------------------- tracking
class Reading(Protocol):
    posts: list[Any]
    watermark: dict[str, str]


class Reader(Protocol):
    platform: str
    requests: int

    def recent_posts(self, handle: str, watermark: Mapping[str, str], now: float) -> Reading: ...
    def reply_counts(self, handle: str, post_ids: list[str], now: float) -> dict[str, int]: ...


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
        started = {offer.id: timing.from_iso_utc(offer.created_at) for offer in offers}
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
            self._track(person, dict(watch.marks) if watch else {}, links[person_id], offer_urls, started, now, summary)
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
               offer_urls: Mapping[str, str], started: Mapping[str, datetime], now: datetime,
               summary: TrackSummary) -> None:
        summary.read += 1
        since = now - self.window
        for reader in self.readers:
            handle = person.platforms.get(reader.platform)
            if not handle:
                continue
            try:
                reading = reader.recent_posts(handle, marks.get(reader.platform, {}), now.timestamp())
                for post in reading.posts:
                    offer_id = rules.offer_shared(post.links, link_bases, offer_urls)
                    if offer_id and post.created_at >= started[offer_id]:
                        _, created = self.shares.record(person.id, offer_id, post.url, reader.platform, reader.platform,
                                                        post.created_at, post.id)
                        summary.shares_found += created
                mine = [share for share in self.records.all_shares(person.id) if share.platform == reader.platform
                        and share.post_id and timing.from_iso_utc(share.created_at) >= since]
                summary.replies_counted += self._count_replies(person.id, reader, handle, mine, reading.posts, now)
                marks[reader.platform] = reading.watermark
            except PublishError as error:
                summary.failed += 1
                logger.warning("could not read a publisher's posts", extra={
                    "person": person.id, "platform": reader.platform, "error": type(error).__name__, "detail": str(error)})
        self.records.save_watch(person.id, marks, timing.iso_utc(now))

    def _count_replies(self, person_id: str, reader: Reader, handle: str, shares: list[Share], posts: list[Any],
                       now: datetime) -> int:
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
                counted += self.ledger.record(person_id, "reply", now, channel=share.platform, once_key=f"{share.id}#{number}")
            self.records.count_replies(share.id, seen)
        return counted
