"""A publisher's recent public posts on Mastodon and Bluesky, read anonymously, so track_shares can find the posts
that share an offer and count the replies to them.

- Mastodon: the account is looked up once on the person's own instance (`GET /api/v1/accounts/lookup?acct=`; its
  id is kept in the watermark), then `GET /api/v1/accounts/:id/statuses` (boosts left out: a share is their own
  post). The watermark is the newest status id seen; `min_id` pages forward from it, oldest page first, so a burst
  bigger than a page is read over the next pages, never skipped. Replies: `replies_count` of each share, from the
  page when it is in it, else `GET /api/v1/statuses/:id`.
- Bluesky: the public AppView's `app.bsky.feed.getAuthorFeed` (reposts left out), with a TimeMark on indexedAt
  (the feed has no "since"); replies: `replyCount`, from the page or `app.bsky.feed.getPosts` (25 URIs a call).

Every request goes through the injected transport: in the functions that is PublicOnlyTransport, because the
Mastodon instance comes from a handle the person typed. Failures are the connectors' outcomes (transport.py).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode

from chorus.adapters.connectors.base import PermanentFailure
from chorus.adapters.connectors.transport import Response, Transport, raise_for_outcome
from chorus.adapters.sources.base import MAX_PAGES, CountingTransport, TimeMark, count, id_order, parse_time
from chorus.adapters.sources.bluesky import PUBLIC_APPVIEW
from chorus.domain.share_links import mastodon_instance, urls_in_html, urls_in_text

MASTODON_PAGE = 40  # the API's maximum `limit`
BLUESKY_PAGE = 100  # getAuthorFeed's maximum `limit`
BLUESKY_POSTS_PER_CALL = 25  # getPosts' maximum number of `uris`
LINK_FACET = "app.bsky.richtext.facet#link"


@dataclass(frozen=True)
class PublicPost:
    id: str  # Mastodon status id, or the Bluesky post's at:// URI
    url: str  # where people see it
    created_at: datetime
    links: tuple[str, ...]  # every URL the post carries: in its text, its link card
    replies: int


@dataclass(frozen=True)
class Reading:
    posts: list[PublicPost]  # new since the watermark, oldest first
    watermark: dict[str, str]  # store it and pass it back next time


class MastodonReader:
    platform = "mastodon"

    def __init__(self, transport: Transport) -> None:
        self._transport = CountingTransport(transport)

    @property
    def requests(self) -> int:
        return self._transport.count

    def recent_posts(self, handle: str, watermark: Mapping[str, str], now: float) -> Reading:
        base = _instance_url(handle)
        account = watermark.get("account_id") or self._lookup(base, handle, now)
        last_id = watermark.get("last_id")
        found: dict[str, PublicPost] = {}
        cursor = {"min_id": last_id} if last_id else {}
        for _ in range(MAX_PAGES):
            query = urlencode({"limit": MASTODON_PAGE, "exclude_reblogs": "true", **cursor})
            page = self._get(f"{base}/api/v1/accounts/{quote(account, safe='')}/statuses?{query}", now)
            if not isinstance(page, list):
                raise PermanentFailure(f"unexpected answer from {base}: {type(page).__name__}, not a list of statuses")
            fresh = [post for post in map(_mastodon_post, page)
                     if post and (last_id is None or id_order(post.id) > id_order(last_id)) and post.id not in found]
            found.update((post.id, post) for post in fresh)
            if last_id is None or len(page) < MASTODON_PAGE or not fresh:
                break  # first poll: the newest page only; otherwise caught up
            cursor = {"min_id": max(found, key=id_order)}
        newest = max([*found, *([last_id] if last_id else [])], key=id_order, default=None)
        mark = {"account_id": account, **({"last_id": newest} if newest else {})}
        return Reading(sorted(found.values(), key=lambda post: id_order(post.id)), mark)

    def reply_counts(self, handle: str, post_ids: list[str], now: float) -> dict[str, int]:
        base = _instance_url(handle)
        counts: dict[str, int] = {}
        for post_id in post_ids:
            response = self._transport.request("GET", f"{base}/api/v1/statuses/{quote(post_id, safe='')}")
            if response.status == 404:
                continue  # deleted: its replies stay counted
            status = raise_for_outcome("GET", response, now).json()
            if isinstance(status, dict):
                counts[post_id] = count(status.get("replies_count"))
        return counts

    def _lookup(self, base: str, handle: str, now: float) -> str:
        username = handle.strip().lstrip("@").split("@")[0]
        account = self._get(f"{base}/api/v1/accounts/lookup?{urlencode({'acct': username})}", now)
        if not isinstance(account, dict) or not account.get("id"):
            raise PermanentFailure(f"{base} knows no account {username!r}")
        return str(account["id"])

    def _get(self, url: str, now: float) -> Any:
        return raise_for_outcome("GET", self._transport.request("GET", url), now).json()


def _instance_url(handle: str) -> str:
    instance = mastodon_instance(handle)
    if instance is None:
        raise PermanentFailure(f"the Mastodon handle {handle!r} names no instance (expected @name@instance)")
    return f"https://{instance}"


def _mastodon_post(status: Any) -> PublicPost | None:
    if not isinstance(status, dict) or not status.get("id") or status.get("reblog"):
        return None
    created_at = parse_time(status.get("created_at"))
    url = status.get("url") or status.get("uri")
    if created_at is None or not url:
        return None
    card = status.get("card") if isinstance(status.get("card"), dict) else {}
    links = [*urls_in_html(status.get("content") or ""), *([card["url"]] if card.get("url") else [])]
    return PublicPost(str(status["id"]), str(url), created_at, tuple(dict.fromkeys(links)), count(status.get("replies_count")))


class BlueskyReader:
    platform = "bluesky"

    def __init__(self, transport: Transport, appview: str = PUBLIC_APPVIEW) -> None:
        self._transport = CountingTransport(transport)
        self._appview = appview.rstrip("/")

    @property
    def requests(self) -> int:
        return self._transport.count

    def recent_posts(self, handle: str, watermark: Mapping[str, str], now: float) -> Reading:
        actor = handle.strip().lstrip("@")
        mark = TimeMark.read(watermark)
        served: list[tuple[datetime | None, str]] = []
        found: dict[str, PublicPost] = {}
        cursor: list[tuple[str, str]] = []
        for _ in range(MAX_PAGES):
            body = self._get("app.bsky.feed.getAuthorFeed", [("actor", actor), ("limit", str(BLUESKY_PAGE)), *cursor], now)
            listed = [(item, _bluesky_post(item)) for item in body.get("feed") or [] if isinstance(item, dict)]
            served += [(parse_time(item.get("post", {}).get("indexedAt")), str(item.get("post", {}).get("uri")))
                       for item, _ in listed]
            posts = [(item, post) for item, post in listed if post]
            fresh = [post for item, post in posts
                     if mark.admits(parse_time(item["post"].get("indexedAt")), post.id) and post.id not in found]
            found.update((post.id, post) for post in fresh)
            next_cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            if not watermark or not fresh or len(fresh) < len(posts) or not next_cursor:
                break  # first poll: the newest page only; otherwise caught up
            cursor = [("cursor", next_cursor)]
        written = mark.advanced(served).written() if served else dict(watermark)
        return Reading(sorted(found.values(), key=lambda post: (post.created_at, post.id)), written)

    def reply_counts(self, handle: str, post_ids: list[str], now: float) -> dict[str, int]:
        counts: dict[str, int] = {}
        for start in range(0, len(post_ids), BLUESKY_POSTS_PER_CALL):
            uris = post_ids[start:start + BLUESKY_POSTS_PER_CALL]
            body = self._get("app.bsky.feed.getPosts", [("uris", uri) for uri in uris], now)
            for view in body.get("posts") or []:
                if isinstance(view, dict) and view.get("uri"):
                    counts[str(view["uri"])] = count(view.get("replyCount"))
        return counts

    def _get(self, nsid: str, params: list[tuple[str, str]], now: float) -> dict[str, Any]:
        response: Response = self._transport.request("GET", f"{self._appview}/xrpc/{nsid}?{urlencode(params)}")
        body = raise_for_outcome("GET", response, now).json()
        if not isinstance(body, dict):
            raise PermanentFailure(f"unexpected answer to {nsid}: {type(body).__name__}, not an object")
        return body


def _bluesky_post(item: dict[str, Any]) -> PublicPost | None:
    """The author's own post (a repost or a pinned post carries a `reason` and is left out)."""
    view = item.get("post")
    if item.get("reason") or not isinstance(view, dict) or not view.get("uri"):
        return None
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    author = view.get("author") if isinstance(view.get("author"), dict) else {}
    # createdAt is the client's word (a client may claim any time); the AppView sorts by the earlier of the two.
    times = [moment for moment in (parse_time(record.get("createdAt")), parse_time(view.get("indexedAt"))) if moment]
    if not times:
        return None
    created_at = min(times)
    uri = str(view["uri"])
    url = f"https://bsky.app/profile/{author.get('handle') or uri.split('/')[2]}/post/{uri.rsplit('/', 1)[-1]}"
    return PublicPost(uri, url, created_at, tuple(dict.fromkeys(_bluesky_links(record, view))), count(view.get("replyCount")))


def _bluesky_links(record: dict[str, Any], view: dict[str, Any]) -> list[str]:
    """Link facets hold the full URLs (the text may show them shortened); a link card holds one more."""
    links = [feature.get("uri") for facet in record.get("facets") or [] if isinstance(facet, dict)
             for feature in facet.get("features") or []
             if isinstance(feature, dict) and feature.get("$type") == LINK_FACET and feature.get("uri")]
    for embed in (record.get("embed"), view.get("embed")):
        external = embed.get("external") if isinstance(embed, dict) else None
        if isinstance(external, dict) and external.get("uri"):
            links.append(external["uri"])
    return [*links, *urls_in_text(record.get("text") or "")]
