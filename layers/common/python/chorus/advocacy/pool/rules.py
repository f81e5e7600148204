"""Rules of the content pool: which posts an editor may offer and with which texts, what each publisher is offered
(or why nothing), personal share links, the shares publishers make, and how often they hear about new offers. Pure:
callers pass the time.

Seed 003: publishers share only what they enjoy (no obligation), each with a personal link so the programme sees
clicks per person; seeds 001/002: nothing is offered before the person acknowledged the current policy.

Personal share links: platform share intents with the text filled in, tracked short links `/r/{code}` and the UTM
parameters they add, link-preview bots, and telling a shared post's platform from its URL. A tracked code is a
person's link to one offer: nine random base62 characters, then one letter for the channel the link was handed out
for (x, l linkedin, b bluesky, m mastodon, f facebook, c copied). One stored link per person and offer counts clicks
per channel; changing the letter only moves a click between that person's own channels."""
from __future__ import annotations

import hashlib
import re
import string
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from chorus.advocacy.pool.schemas import (
    FoundBy,
    Offer,
    OfferIn,
    OfferPlatform,
    PoolEntry,
    Recipient,
    Share,
    ShareStatus,
)
from chorus.calendar.schemas import Post, Status
from chorus.core import text as text_rules
from chorus.core import time as timing
from chorus.core.errors import Conflict, Forbidden, ValidationError
from chorus.core.roles import EDITORS, Principal
from chorus.platforms.base import PublicPost

BASE62 = string.digits + string.ascii_letters
CODE_BASE_LENGTH = 9  # 62**9 ≈ 1.4e16: unguessable for a link that only counts clicks
COPIED = "chorus"  # the plain tracked link, for pasting anywhere
CHANNEL_LETTERS = {"x": "x", "linkedin": "l", "bluesky": "b", "mastodon": "m", "facebook": "f", COPIED: "c"}
CHANNELS_BY_LETTER = {letter: channel for channel, letter in CHANNEL_LETTERS.items()}
TEXT_PLATFORMS: tuple[OfferPlatform, ...] = ("x", "linkedin", "bluesky", "mastodon")  # platforms with a suggested text
UTM_MEDIUM = "ambassador"
OURS = ("utm_source", "utm_medium", "utm_campaign")
MAX_URL_LENGTH = 2000
_CODE = re.compile(rf"^[0-9A-Za-z]{{{CODE_BASE_LENGTH}}}[{''.join(CHANNELS_BY_LETTER)}]$")
_TRACKED_PATH = re.compile(rf"/r/([0-9A-Za-z]{{{CODE_BASE_LENGTH}}})[{''.join(CHANNELS_BY_LETTER)}](?![0-9A-Za-z])")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+[^\s<>\"'.,:;!?)\]}]", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_MASTODON_STATUS_PATH = re.compile(r"^/@[\w.-]+/\d+$")
_MASTODON_STATUS_ID = re.compile(r"^/(?:@[\w.-]+|users/[\w.-]+/statuses)/(\d+)/?$")
_BLUESKY_POST = re.compile(r"^/profile/([\w.:-]+)/post/([a-z0-9]+)/?$")
# Query parameters that only say where a link was clicked: dropped so one post has one normalised URL.
_TRACKING_PARAMS = {"fbclid", "gclid", "igshid", "s", "t", "si", "ref_src", "ref_url", "trk"}
_PLATFORM_HOSTS = {
    "x.com": "x", "twitter.com": "x", "linkedin.com": "linkedin", "lnkd.in": "linkedin", "bsky.app": "bluesky",
    "facebook.com": "facebook", "fb.com": "facebook", "fb.me": "facebook",
}
# User agents of link unfurlers: they fetch every link in a post to draw its card, which is not a person clicking.
# Mastodon servers fetch as "http.rb/… (Mastodon/4.x; +https://instance/)"; Bluesky's card service is "Cardyb".
LINK_PREVIEW_AGENTS = (
    "slackbot", "slack-imgproxy", "twitterbot", "facebookexternalhit", "facebot", "linkedinbot", "mastodon/",
    "cardyb", "discordbot", "telegrambot", "whatsapp", "skypeuripreview", "iframely", "embedly", "googlebot",
    "bingbot", "applebot", "redditbot", "pinterestbot", "vkshare", "outbrain", "quora link preview", "bitlybot",
    "crawler", "spider",
)


def code_for(base: str, channel: str) -> str:
    return base + CHANNEL_LETTERS[channel]


def parse_code(code: str) -> tuple[str, str] | None:
    """(link base, channel) of a well-formed code; None for anything else (answered 404 without a lookup)."""
    if not _CODE.match(code):
        return None
    return code[:CODE_BASE_LENGTH], CHANNELS_BY_LETTER[code[-1]]


def new_link_base(random_indexes: Iterable[int]) -> str:
    """A link base from nine random numbers in 0..61 (the caller draws them with `secrets`)."""
    base = "".join(BASE62[n] for n in random_indexes)
    if len(base) != CODE_BASE_LENGTH:
        raise ValueError(f"a link base has {CODE_BASE_LENGTH} characters")
    return base


def tracked_url(api_base: str, link_base: str, channel: str) -> str:
    return f"{api_base.rstrip('/')}/r/{code_for(link_base, channel)}"


def tracked_links(api_base: str, link_base: str) -> dict[str, str]:
    """The person's tracked link for each channel."""
    return {channel: tracked_url(api_base, link_base, channel) for channel in CHANNEL_LETTERS}


def is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return (parts.scheme in ("http", "https") and bool(parts.hostname) and len(url) <= MAX_URL_LENGTH
            and not any(c.isspace() or ord(c) < 32 for c in url))


def with_utm(target: str, source: str, campaign: str) -> str:
    """`target` with utm_source, utm_medium=ambassador and utm_campaign set once each: the target's other parameters
    stay as they were, in order (its own utm_term/utm_content too); its own source, medium or campaign are replaced."""
    parts = urlsplit(target)
    kept = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in OURS]
    ours = [("utm_source", source), ("utm_medium", UTM_MEDIUM), ("utm_campaign", campaign)]
    return urlunsplit(parts._replace(query=urlencode(kept + ours, quote_via=quote)))


def mastodon_instance(handle: str | None) -> str | None:
    """"@ann@social.example" → "social.example"; None when the handle names no instance."""
    parts = (handle or "").strip().lstrip("@").split("@")
    if len(parts) != 2 or not parts[0]:
        return None
    host = parts[1].lower()
    return host if _HOSTNAME.match(host) else None


def _query(**params: str) -> str:
    return urlencode(params, quote_via=quote)


def share_intents(texts: Mapping[str, str], links: Mapping[str, str], handles: Mapping[str, str]) -> dict[str, str]:
    """Per platform, the URL that opens its composer with the text and the person's tracked link for that platform
    filled in. X takes the link as `url` (it appends it); LinkedIn and Facebook take only the link (their dialogs
    have no text field: the suggested text is shown for copying); Bluesky's compose intent and Mastodon's share page
    take one text. Mastodon needs the person's instance, from their handle."""
    intents = {
        "x": f"https://x.com/intent/tweet?{_query(text=texts['x'], url=links['x'])}",
        "linkedin": f"https://www.linkedin.com/sharing/share-offsite/?{_query(url=links['linkedin'])}",
        "bluesky": f"https://bsky.app/intent/compose?{_query(text=with_link(texts['bluesky'], links['bluesky']))}",
        "facebook": f"https://www.facebook.com/sharer/sharer.php?{_query(u=links['facebook'])}",
    }
    instance = mastodon_instance(handles.get("mastodon"))
    if instance:
        intents["mastodon"] = f"https://{instance}/share?{_query(text=with_link(texts['mastodon'], links['mastodon']))}"
    return intents


def with_link(text: str, link: str) -> str:
    return f"{text.rstrip()} {link}"


def is_link_preview(user_agent: str | None) -> bool:
    """A card-drawing bot, or no user agent at all (every browser sends one)."""
    agent = (user_agent or "").strip().lower()
    return not agent or any(marker in agent for marker in LINK_PREVIEW_AGENTS)


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    for prefix in ("www.", "mobile.", "m."):
        if host.startswith(prefix) and host[len(prefix):] in _PLATFORM_HOSTS:
            return host[len(prefix):]
    return host.removeprefix("www.")


def normalise_url(url: str) -> str:
    """One spelling per page: https, host in lower case without www., X's old name replaced, no fragment, no
    trailing slash, no click-tracking or UTM parameters. Two confirmations of the same post are then one share."""
    parts = urlsplit(url.strip())
    host = _host(url.strip())
    host = "x.com" if host == "twitter.com" else host
    port = f":{parts.port}" if parts.port and parts.port not in (80, 443) else ""
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in _TRACKING_PARAMS and not k.lower().startswith("utm_")]
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit(("https", host + port, path, urlencode(query, quote_via=quote), ""))


def url_key(url: str) -> str:
    """A share's id: its normalised URL hashed (URLs can exceed what a key or a once-marker may hold)."""
    return hashlib.sha256(normalise_url(url).encode("utf-8")).hexdigest()[:32]


def platform_of(url: str, mastodon_instances: Iterable[str] = ()) -> str:
    """Where a post lives, from its URL: x, linkedin, bluesky, facebook, mastodon (the person's own instance, or a
    Mastodon status path /@user/123 anywhere), or other."""
    host = _host(url)
    if host in _PLATFORM_HOSTS:
        return _PLATFORM_HOSTS[host]
    if host in set(mastodon_instances) or _MASTODON_STATUS_PATH.match(urlsplit(url).path):
        return "mastodon"
    return "other"


def post_id_of(url: str, platform: str, mastodon_instance_host: str | None) -> str | None:
    """The platform id of a confirmed share, so its replies can be counted: a status id on the person's own
    Mastodon instance, or the at:// URI of a bsky.app post link; None for anything else."""
    parts = urlsplit(url.strip())
    if platform == "mastodon" and mastodon_instance_host and _host(url) == mastodon_instance_host:
        found = _MASTODON_STATUS_ID.match(parts.path)
        return found.group(1) if found else None
    if platform == "bluesky":
        found = _BLUESKY_POST.match(parts.path)
        return f"at://{found.group(1)}/app.bsky.feed.post/{found.group(2)}" if found else None
    return None


def urls_in_text(text: str) -> list[str]:
    return _URL_IN_TEXT.findall(text or "")


def urls_in_html(html: str) -> list[str]:
    """Link targets of an HTML post body (Mastodon's `content`), and URLs written out in it."""
    return list(dict.fromkeys(_HREF.findall(html or "") + urls_in_text(re.sub(r"<[^>]+>", " ", html or ""))))


def link_bases_in(urls: Iterable[str]) -> set[str]:
    """The link bases of tracked links (`…/r/<code>`) among `urls`, whatever host serves them."""
    return {match.group(1) for url in urls for match in _TRACKED_PATH.finditer(urlsplit(url).path)}


OFFERABLE = frozenset({Status.APPROVED, Status.SCHEDULED, Status.PUBLISHING, Status.PUBLISHED})
RECEIVERS = frozenset({"publisher"})
POOL_READERS = EDITORS | RECEIVERS
RHYTHM_PERIODS: dict[str, timedelta] = {
    "immediate": timedelta(0), "daily": timedelta(days=1), "weekly": timedelta(days=7),
}
SAMPLE_LINK_BASE = "0" * 9  # every tracked link has the same length: a sample measures the texts


class Publisher(Protocol):
    """What the pool reads of a person (chorus.advocacy.people.schemas.Person); read only, so a person's narrower
    types (notify_by and rhythm are Literals) fit."""

    @property
    def id(self) -> str: ...
    @property
    def team(self) -> str: ...
    @property
    def platforms(self) -> dict[str, str]: ...
    @property
    def email(self) -> str | None: ...
    @property
    def phone(self) -> str | None: ...
    @property
    def notify_by(self) -> str: ...
    @property
    def rhythm(self) -> str: ...
    @property
    def opted_in(self) -> bool: ...
    @property
    def erased_at(self) -> str | None: ...

    def can_receive_offers(self, current_policy: str | None) -> bool: ...


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
    texts: dict[str, str] = {platform: (body.texts.get(platform) or post.text).strip() for platform in TEXT_PLATFORMS}
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
    return offer.model_copy(
        update={"status": "withdrawn", "withdrawn_at": timing.iso_utc(now), "withdrawn_by": actor.username})


def audience(offer: Offer) -> list[tuple[str | None, str | None]]:
    """The (team, topic) pairs whose eligible people receive the offer; None means any."""
    teams: list[str | None] = [*offer.teams] or [None]
    topics: list[str | None] = [*offer.topics] or [None]
    return [(team, topic) for team in teams for topic in topics]


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


def new_share(person: str, offer_id: str, url: str, platform: str, found_by: FoundBy, moment: datetime,
              post_id: str | None, note: str | None = None, verified_at: datetime | None = None) -> Share:
    """A share as a publisher claims it (claimed, with `note` saying what it waits for), or as track_shares found it
    on their own account (verified by that platform `verified_at`). `moment` is when it was made."""
    url = url.strip()
    if not is_http_url(url):
        raise ValidationError("url", "must be the http(s) URL of your post")
    return Share(id=url_key(url), person=person, offer_id=offer_id, url=url, platform=platform, found_by=found_by,
                 created_at=timing.iso_utc(moment), post_id=post_id, note=note,
                 status="claimed" if verified_at is None else "verified",
                 verified_by=None if verified_at is None else platform,
                 verified_at=None if verified_at is None else timing.iso_utc(verified_at))


# Shares on these platforms are checked by reading the post (chorus.platforms.mastodon and .bluesky readers).
READABLE = ("mastodon", "bluesky")
PLATFORM_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "linkedin": "LinkedIn",
                  "facebook": "Facebook"}


def can_read(platform: str, handle: str | None, post_id: str | None) -> bool:
    """A claimed share Chorus can check by reading it: on Mastodon or Bluesky, by a person who gave their handle there,
    at an address that names the post (a Mastodon status on their own instance, a bsky.app post link)."""
    return platform in READABLE and bool(handle) and post_id is not None


def claim_note(platform: str, handle: str | None, post_id: str | None) -> str:
    """What a claimed share waits for before it counts, in the publisher's words."""
    name = PLATFORM_NAMES.get(platform, "this site")
    if platform not in READABLE:
        return f"Chorus cannot read posts on {name}: it counts once an editor confirms it"
    if not handle:
        return (f"add your {name} handle to your profile and report this post again, so Chorus can read it (or ask "
                "an editor to confirm it); until then it does not count")
    if post_id is None:
        where = (f"on your own server ({mastodon_instance(handle)}), at its address there" if platform == "mastodon"
                 else "at its bsky.app address (https://bsky.app/profile/…/post/…)")
        return (f"Chorus reads {name} posts {where}: send that address (or ask an editor to confirm it); until then "
                "it does not count")
    return (f"Chorus reads this post on {name} to check that it is yours and links to the offer: it counts once that "
            "is done (within 15 minutes when the platform does not answer at once)")


def judge_claim(share: Share, post: PublicPost | None, handle: str, link_bases: Mapping[str, str], offer: Offer,
                others: Iterable[Share]) -> tuple[ShareStatus, str | None]:
    """What reading a claimed share found: verified when the post is public, by the person's own account, made after
    the offer and links to it (their tracked link, or the offered page) and is not a share counted already under
    another address; rejected otherwise, saying why."""
    name = PLATFORM_NAMES.get(share.platform, share.platform)
    if post is None:
        return "rejected", (f"there is no public post at this address on {name} (deleted, not public, or never "
                            "there); it does not count")
    if (post.author or "").lstrip("@").casefold() != handle.lstrip("@").casefold():
        return "rejected", (f"this post is by {post.author or 'someone else'}, not by your {name} account {handle}; "
                            "it does not count")
    if offer_shared(post.links, link_bases, {normalise_url(offer.url): offer.id}) != offer.id:
        return "rejected", (f"this post does not link to the offer (your tracked link, or {offer.url}); it does not "
                            "count")
    if post.created_at < timing.from_iso_utc(offer.created_at):
        return "rejected", "this post was posted before the offer was made; it does not count"
    same = next((other for other in others if other.id != share.id and other.status == "verified"
                 and other.platform == share.platform and other.post_id == post.id), None)
    if same is not None:
        return "rejected", f"this is the same post as your share {same.url or same.id}; a post counts once"
    return "verified", None


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
    lines = [f"- {_shorten(offer.texts.get('linkedin') or next(iter(offer.texts.values()), ''), 140)}"
             for offer in offers]
    where = (f"Open the pool for your personal share links: {pool_url}" if pool_url
             else "Open the pool (GET /pool) for your personal share links.")
    text = "\n".join([f"New in the content pool ({count}):", "", *lines, "", where, "",
                      "Share only what you like. You choose how often we tell you (immediate, daily or weekly) in "
                      "your profile."])
    sms = f"Chorus: {subject}." + (f" {pool_url}" if pool_url else "")
    return subject, text, sms


def _shorten(value: str, limit: int) -> str:
    flat = " ".join(value.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
