"""Bluesky: a post search (`app.bsky.feed.searchPosts`) or our account's mentions, replies and quotes
(`app.bsky.notification.listNotifications`).

Signed in (credentials `handle` + `app_password`), every call goes to the account's PDS (`service_url`, default
bsky.social), which passes app.bsky calls on to the AppView. The session is the publishing connector's: one
`createSession` per account for the life of this fetcher (30 per 5 minutes are allowed), refreshed when it expires.
Without credentials a search goes to the public AppView; Bluesky often refuses unauthenticated search there
(403), and always refuses its `cursor`, so an anonymous search reads one page per poll.

Neither call takes "since this id", so the watermark is a TimeMark: searchPosts gets `since` (inclusive, on the
post's sort time: the earlier of createdAt and indexedAt), notifications are newest first by indexedAt.
Notifications are only read: they are never marked as seen, which is the account owner's business.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from chorus.adapters.connectors.base import Credentials, CredentialsRejected, PermanentFailure
from chorus.adapters.connectors.bluesky import AtUri, BlueskyConnector
from chorus.adapters.connectors.registry import DEFAULT_BLUESKY_SERVICE
from chorus.adapters.connectors.transport import Transport, raise_for_outcome, shared_transport
from chorus.adapters.sources.base import (
    MAX_PAGES,
    CountingTransport,
    FetchResult,
    SourceSpec,
    TimeMark,
    count,
    http_url_setting,
    mode_of,
    parse_time,
    primary_language,
    required_credential,
    required_setting,
)
from chorus.domain.mentions import Author, Engagement, Mention

MODES = ("search", "notifications")
PUBLIC_APPVIEW = "https://public.api.bsky.app"
PAGE_SIZE = 100  # the lexicons' maximum `limit` for both calls
REASONS = ("mention", "reply", "quote")

Query = list[tuple[str, str]]  # pairs, so an array parameter (`reasons`) repeats as XRPC expects


@dataclass(frozen=True)
class _Post:
    uri: str
    listed_at: datetime  # what the listing is ordered by: the sort time (search) or indexedAt (notifications)
    posted_at: datetime  # the sort time: createdAt, unless it claims a time after the post was indexed
    view: dict[str, Any]  # a postView or a notification


class BlueskyFetcher:
    kind = "bluesky"

    def __init__(self, transport: Transport | None = None) -> None:
        self._transport = CountingTransport(transport or shared_transport())
        self._sessions: dict[tuple[str, str, str], BlueskyConnector] = {}
        self._now = 0.0  # the clock of the sessions' rate-limit arithmetic: the `now` of the running fetch

    def check(self, spec: SourceSpec) -> None:
        if mode_of(spec, MODES) == "search":
            required_setting(spec, "query")
        _service(spec, DEFAULT_BLUESKY_SERVICE)

    def fetch(self, spec: SourceSpec, watermark: Mapping[str, str], credentials: Credentials | None,
              now: float) -> FetchResult:
        mode = mode_of(spec, MODES)
        query = required_setting(spec, "query") if mode == "search" else ""
        signed_in = mode == "notifications" or bool(credentials and credentials.get("handle"))
        session = self._session(spec, credentials) if signed_in else None
        self._now = now
        started = self._transport.count
        mark = TimeMark.read(watermark)
        first_poll = not watermark

        if mode == "search":
            nsid, listed = "app.bsky.feed.searchPosts", "posts"
            params: Query = [("q", query), ("sort", "latest"), ("limit", str(PAGE_SIZE))]
            if mark.newest:
                params.append(("since", mark.written()["newest"]))
        else:
            nsid, listed = "app.bsky.notification.listNotifications", "notifications"
            params = [*(("reasons", reason) for reason in REASONS), ("limit", str(PAGE_SIZE))]

        served: list[_Post] = []
        found: dict[str, _Post] = {}
        capped = False
        cursor: Query = []
        for page_number in range(1, MAX_PAGES + 1):
            body = self._get(session, spec, nsid, params + cursor)
            posts = [post for view in body.get(listed) or [] if (post := _post(view, mode))]
            served += posts
            fresh = [post for post in posts if mark.admits(post.listed_at, post.uri) and post.uri not in found]
            found.update((post.uri, post) for post in fresh)
            next_cursor = body.get("cursor") if isinstance(body.get("cursor"), str) else None
            if first_poll or not fresh or len(fresh) < len(posts) or not next_cursor:
                break  # first poll: the newest page only; otherwise: caught up (an item seen before, or the end)
            if session is None or page_number == MAX_PAGES:
                capped = True  # the public AppView refuses cursors; or the cap
                break
            cursor = [("cursor", next_cursor)]

        mentions = [_mention(spec, post) for post in found.values()]
        return FetchResult(
            mentions=sorted(mentions, key=lambda mention: (mention.created_at, mention.platform_id)),
            watermark=mark.advanced((post.listed_at, post.uri) for post in served).written() if served else dict(watermark),
            requests=self._transport.count - started,
            capped=capped,
        )

    def _session(self, spec: SourceSpec, credentials: Credentials | None) -> BlueskyConnector:
        handle = required_credential(spec, credentials, "handle")
        password = required_credential(spec, credentials, "app_password")
        service = _service(spec, DEFAULT_BLUESKY_SERVICE)
        key = (service, handle, password)
        if key not in self._sessions:
            self._sessions[key] = BlueskyConnector(service, handle, password, transport=self._transport,
                                                   clock=lambda: self._now)
        return self._sessions[key]

    def _get(self, session: BlueskyConnector | None, spec: SourceSpec, nsid: str, params: Query) -> dict[str, Any]:
        if session is not None:
            # The connector's call signs in, refreshes an expired session once, and maps failures to outcomes.
            response = session.xrpc("GET", nsid, params=params)
        else:
            response = self._transport.request("GET", f"{_service(spec, PUBLIC_APPVIEW)}/xrpc/{nsid}?{urlencode(params)}")
            if response.status in (401, 403):
                raise CredentialsRejected(f"Bluesky refused an unauthenticated search (HTTP {response.status}): "
                                          f"give the source {spec.id!r} a handle and an app password")
            raise_for_outcome("GET", response, self._now)
        body = response.json()
        if not isinstance(body, dict):
            raise PermanentFailure(f"unexpected answer to {nsid}: {type(body).__name__}, not an object")
        return body


def _service(spec: SourceSpec, default: str) -> str:
    """The PDS when signed in, the AppView when not: `service_url` overrides either."""
    return (http_url_setting(spec, "service_url") if spec.settings.get("service_url") else default).rstrip("/")


def _post(view: Any, mode: str) -> _Post | None:
    """A post view or notification with what a mention needs, or None: it is skipped. Notifications of other
    reasons are skipped too (a server may ignore `reasons`)."""
    if not isinstance(view, dict) or not isinstance(view.get("record"), dict) or not isinstance(view.get("author"), dict):
        return None
    if mode == "notifications" and view.get("reason") not in REASONS:
        return None
    indexed = parse_time(view.get("indexedAt"))
    if indexed is None or not isinstance(view["author"].get("handle"), str) or not isinstance(view.get("uri"), str):
        return None
    try:
        AtUri.parse(view["uri"])
    except PermanentFailure:
        return None
    created = parse_time(view["record"].get("createdAt"))
    posted = min(created, indexed) if created else indexed
    return _Post(view["uri"], indexed if mode == "notifications" else posted, posted, view)


def _mention(spec: SourceSpec, post: _Post) -> Mention:
    record, author = post.view["record"], post.view["author"]
    reply = record.get("reply") if isinstance(record.get("reply"), dict) else {}
    langs = [lang for lang in record.get("langs") or [] if isinstance(lang, str)] if isinstance(record.get("langs"), list) else []
    handle = author["handle"]
    return Mention(
        platform="bluesky",
        platform_id=post.uri,
        text=record["text"] if isinstance(record.get("text"), str) else "",
        created_at=post.posted_at,
        author=Author(handle=handle, name=author.get("displayName") or None, followers=None,  # views carry no count
                      url=f"https://bsky.app/profile/{handle}"),
        url=f"https://bsky.app/profile/{handle}/post/{AtUri.parse(post.uri).rkey}",
        language_hint=(primary_language(langs[0]) if langs else None) or spec.language_hint,
        engagement=Engagement(
            replies=count(post.view.get("replyCount")),
            reposts=count(post.view.get("repostCount")) + count(post.view.get("quoteCount")),
            likes=count(post.view.get("likeCount")),
        ),
        in_reply_to=_ref_uri(reply.get("parent")),
        thread_root=_ref_uri(reply.get("root")),
        source_id=spec.id,
    )


def _ref_uri(ref: Any) -> str | None:
    return ref["uri"] if isinstance(ref, dict) and isinstance(ref.get("uri"), str) else None
