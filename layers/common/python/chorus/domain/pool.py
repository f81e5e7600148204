"""The content pool: posts an editor offers to publishers, what each publisher is offered, the shares they make, and
how often they hear about new offers. Pure: callers pass the time.

Seed 003: publishers share only what they enjoy (no obligation), each with a personal link so the programme sees
clicks per person; seeds 001/002: nothing is offered before the person acknowledged the current policy.
"""
from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from chorus.domain import text as text_rules
from chorus.domain import timing
from chorus.domain.errors import Conflict, Forbidden, ValidationError
from chorus.domain.posts import Post, Status
from chorus.domain.roles import EDITORS, Principal
from chorus.domain.share_links import (
    TEXT_PLATFORMS,
    is_http_url,
    link_bases_in,
    normalise_url,
    share_intents,
    tracked_links,
    tracked_url,
    url_key,
    with_link,
)

OfferPlatform = Literal["x", "linkedin", "bluesky", "mastodon"]
Rhythm = Literal["immediate", "daily", "weekly"]
FoundBy = Literal["publisher", "mastodon", "bluesky"]
OFFERABLE = frozenset({Status.APPROVED, Status.SCHEDULED, Status.PUBLISHING, Status.PUBLISHED})
RECEIVERS = frozenset({"publisher"})
POOL_READERS = EDITORS | RECEIVERS
RHYTHM_PERIODS: dict[str, timedelta] = {"immediate": timedelta(0), "daily": timedelta(days=1), "weekly": timedelta(days=7)}
SAMPLE_LINK_BASE = "0" * 9  # every tracked link has the same length: a sample measures the texts

Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class Publisher(Protocol):
    """What the pool reads of a person (chorus.domain.people.Person)."""

    id: str
    team: str
    platforms: dict[str, str]
    email: str | None
    phone: str | None
    notify_by: str
    rhythm: str
    opted_in: bool
    erased_at: str | None

    def can_receive_offers(self, current_policy: str | None) -> bool: ...


# ---------------------------------------------------------------------------------------------------- offers
class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    post_id: str = Field(min_length=1, max_length=64)
    teams: list[Label] = Field(default_factory=list, max_length=20, description="only people in these teams (default: all)")
    topics: list[Label] = Field(default_factory=list, max_length=20,
                                description="only people interested in one of these topics (default: any)")
    texts: dict[OfferPlatform, Annotated[str, StringConstraints(max_length=10_000)]] = Field(
        default_factory=dict, description="suggested text per platform (default: the post's text)")
    url: str | None = Field(default=None, max_length=2000,
                            description="the page the tracked links lead to (default: the post where it was published)")


class Offer(BaseModel):
    id: str
    post_id: str
    teams: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    texts: dict[str, str] = Field(description="suggested text per platform, checked against its length limit with the link")
    url: str = Field(description="where the tracked links lead (UTM parameters are added on the way)")
    campaign: str = Field(description="utm_campaign: the post's campaign, or offer-<id>")
    created_by: str
    created_at: str
    status: Literal["active", "withdrawn"] = "active"
    withdrawn_at: str | None = None
    withdrawn_by: str | None = None
    recipients: int | None = Field(default=None, description="people it was offered to, once that is done")


def new_offer_id() -> str:
    return uuid.uuid4().hex


def make_offer(offer_id: str, body: OfferIn, post: Post, actor: Principal, now: datetime, api_base: str) -> Offer:
    """403 unless an editor or master offers; 409 unless the post is approved, scheduled or published; 400 for a
    text that, with the tracked link after it, is too long for its platform, or for no page to link to."""
    if not actor.is_editor:
        raise Forbidden("only editors and masters offer posts to publishers")
    if post.status not in OFFERABLE:
        raise Conflict(f"a {post.status} post cannot be offered; approve it first", status=str(post.status))
    url = (body.url or "").strip() or published_url(post)
    if url is None:
        raise ValidationError("url", "the post has no public URL yet: give the page the tracked links lead to")
    if not is_http_url(url):
        raise ValidationError("url", "must be an http(s) URL of at most 2000 characters")
    sample = tracked_url(api_base, SAMPLE_LINK_BASE, "x")
    texts = {platform: (body.texts.get(platform) or post.text).strip() for platform in TEXT_PLATFORMS}
    for platform, suggested in texts.items():
        if not suggested:
            raise ValidationError(f"texts.{platform}", "is empty, and so is the post's text")
        text_rules.check_length(with_link(suggested, sample), platform, f"texts.{platform}")
    return Offer(id=offer_id, post_id=post.id, teams=list(dict.fromkeys(body.teams)),
                 topics=list(dict.fromkeys(body.topics)), texts=texts, url=url,
                 campaign=_slug(post.campaign) or f"offer-{offer_id}", created_by=actor.username,
                 created_at=timing.iso_utc(now))


def published_url(post: Post) -> str | None:
    """The post's public URL on the first of its channels where it went out (a channel without a web page, such as
    the local outbox's `local://…`, has none)."""
    delivered = (post.deliveries[c].url for c in post.channels if c in post.deliveries)
    return next((url for url in delivered if url and is_http_url(url)), None)


def _slug(campaign: str | None) -> str:
    return re.sub(r"[^a-z0-9]+", "-", (campaign or "").casefold()).strip("-")[:100]


def withdraw(offer: Offer, actor: Principal, now: datetime) -> Offer:
    """Publishers no longer see it; links already shared keep leading to the page (and counting)."""
    if not actor.is_editor:
        raise Forbidden("only editors and masters withdraw offers")
    if offer.status == "withdrawn":
        return offer
    return offer.model_copy(update={"status": "withdrawn", "withdrawn_at": timing.iso_utc(now), "withdrawn_by": actor.username})


def audience(offer: Offer) -> list[tuple[str | None, str | None]]:
    """The (team, topic) pairs whose eligible people receive the offer; None means any."""
    return [(team, topic) for team in offer.teams or [None] for topic in offer.topics or [None]]


# ---------------------------------------------------------------------------------------------------- the pool
class Recipient(BaseModel):
    """An offer as one person received it, with the base of their tracked links to it."""

    offer_id: str
    person: str
    link_base: str
    created_at: str


class PoolEntry(BaseModel):
    offer: Offer
    links: dict[str, str] = Field(default_factory=dict,
                                  description="your tracked link per channel (chorus: to paste anywhere)")
    share: dict[str, str] = Field(default_factory=dict,
                                  description="per platform, a link that opens its composer with the text and your link")


class PoolPage(BaseModel):
    items: list[PoolEntry]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")
    notice: str | None = Field(default=None, description="why nothing is offered to you, when that is the case")


def pool_entry(offer: Offer, recipient: Recipient, handles: Mapping[str, str], api_base: str) -> PoolEntry:
    links = tracked_links(api_base, recipient.link_base)
    return PoolEntry(offer=offer, links=links, share=share_intents(offer.texts, links, handles))


def pool_notice(person: Publisher | None, current_policy: str | None) -> str | None:
    """Why this person is offered nothing right now (None when they can receive offers)."""
    if person is None:
        return "you have no ambassador profile yet; ask the social master to add you"
    if person.can_receive_offers(current_policy):
        return None
    if person.erased_at:
        return "your ambassador data was erased"
    if not person.opted_in:
        return "you have not opted in to the ambassador programme (you can at /ambassadors/me)"
    return f"acknowledge the current policy (version {current_policy}) to receive offers"


# ---------------------------------------------------------------------------------------------------- shares
class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offer_id: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=2000, description="the URL of your post")


class Share(BaseModel):
    id: str = Field(description="a hash of the normalised URL: one share per post, however often confirmed")
    person: str
    offer_id: str
    url: str | None = Field(description="None once the person's data was erased (the share still counts)")
    platform: str
    found_by: FoundBy
    created_at: str
    post_id: str | None = Field(default=None, description="the post's id on Mastodon or Bluesky, to count its replies")
    replies: int = Field(default=0, description="replies counted so far (Mastodon and Bluesky)")


class SharePage(BaseModel):
    items: list[Share]
    next_cursor: str | None = None


def new_share(person: str, offer_id: str, url: str, platform: str, found_by: FoundBy, moment: datetime,
              post_id: str | None = None) -> Share:
    url = url.strip()
    if not is_http_url(url):
        raise ValidationError("url", "must be the http(s) URL of your post")
    return Share(id=url_key(url), person=person, offer_id=offer_id, url=url, platform=platform, found_by=found_by,
                 created_at=timing.iso_utc(moment), post_id=post_id)


def offer_shared(links: Iterable[str], link_bases: Mapping[str, str], offer_urls: Mapping[str, str]) -> str | None:
    """The offer a post shares: the person's own tracked link in it, else an offered page's URL (UTM and other
    tracking parameters do not matter). `link_bases` and `offer_urls` (normalised) map to offer ids."""
    links = list(links)
    for base in sorted(link_bases_in(links)):
        if base in link_bases:
            return link_bases[base]
    return next((offer_urls[normalise_url(url)] for url in links if normalise_url(url) in offer_urls), None)


# ---------------------------------------------------------------------------------------------------- notifications
@dataclass(frozen=True)
class NotifyState:
    """A person's queue of offers to tell them about. `due_at` is when a run looks at it next (None: nothing to do)."""

    queued: frozenset[str] = field(default_factory=frozenset)
    last_sent_at: datetime | None = None
    due_at: datetime | None = None


@dataclass(frozen=True)
class Plan:
    action: Literal["idle", "wait", "send"]
    until: datetime | None = None  # for wait: when the person's rhythm allows the next message


def enqueue(state: NotifyState, offer_id: str, now: datetime) -> NotifyState:
    """An offer joins the queue; a queue already due keeps its time (so a stream of offers never postpones it)."""
    return NotifyState(state.queued | {offer_id}, state.last_sent_at, state.due_at or now)


def earliest_message(last_sent_at: datetime | None, rhythm: str, now: datetime) -> datetime:
    if last_sent_at is None:
        return now
    return max(now, last_sent_at + RHYTHM_PERIODS.get(rhythm, RHYTHM_PERIODS["weekly"]))


def plan(state: NotifyState, rhythm: str, now: datetime) -> Plan:
    """What a run does with a due queue: nothing queued → idle (the due mark goes); the person's rhythm (as it is
    now) does not allow a message yet → wait until it does; otherwise send everything queued in one message."""
    if not state.queued:
        return Plan("idle")
    allowed = earliest_message(state.last_sent_at, rhythm, now)
    return Plan("wait", allowed) if allowed > now else Plan("send")


def sent(state: NotifyState, offer_ids: Iterable[str], now: datetime) -> NotifyState:
    """After a message: what arrived meanwhile stays queued and the next run plans it (it waits for the rhythm)."""
    return NotifyState(state.queued - frozenset(offer_ids), now, now)


def dropped(state: NotifyState, offer_ids: Iterable[str]) -> NotifyState:
    """Offers nobody will be told about (the person opted out, chose no notifications, or they were withdrawn)."""
    return NotifyState(state.queued - frozenset(offer_ids), state.last_sent_at, state.due_at)


@dataclass(frozen=True)
class OfferSubscription:
    """A person's own SNS subscription to the offers topic: its filter policy lets only their messages through."""

    person: str
    team: str
    protocol: Literal["email", "sms"]
    endpoint: str

    @property
    def id(self) -> str:
        return f"offers-{self.person}"

    @property
    def name(self) -> str:
        return f"offers for {self.person}"

    def filter_policy(self) -> dict[str, list[str]]:
        return {"person": [self.person]}


def subscription_for(person: Publisher) -> OfferSubscription | None:
    """Where the person wants to hear about offers; None for no notifications (or no address for the choice)."""
    if person.notify_by == "email" and person.email:
        return OfferSubscription(person.id, person.team, "email", person.email)
    if person.notify_by == "sms" and person.phone:
        return OfferSubscription(person.id, person.team, "sms", person.phone)
    return None


def offers_message(offers: list[Offer], pool_url: str | None) -> tuple[str, str, str]:
    """(subject, email text, SMS text) for a bundle of offers."""
    count = len(offers)
    subject = f"{count} new post{'s' if count != 1 else ''} to share"
    lines = [f"- {_shorten(offer.texts.get('linkedin') or next(iter(offer.texts.values()), ''), 140)}" for offer in offers]
    where = f"Open the pool for your personal share links: {pool_url}" if pool_url else "Open the pool (GET /pool) for your personal share links."
    text = "\n".join([f"New in the content pool ({count}):", "", *lines, "", where, "",
                      "Share only what you like. You choose how often we tell you (immediate, daily or weekly) in "
                      "your profile."])
    sms = f"Chorus: {subject}." + (f" {pool_url}" if pool_url else "")
    return subject, text, sms


def _shorten(value: str, limit: int) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
