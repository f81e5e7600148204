"""Bluesky (any atproto PDS): publishing as a channel's account, listening to a source, and reading a publisher's
public posts.

BlueskyConnector: XRPC over HTTP with an app password. Photos are uploaded as blobs (`com.atproto.repo.uploadBlob`)
and embedded with their alt text (`app.bsky.embed.images`); Chorus does not send video to Bluesky. Exactly once
without an idempotency header: the record key of every post is derived from the delivery's idempotency key
(`tid_for`), and the post is written with `putRecord` + `swapRecord: null` ("create, and only if absent"). A retry
after a lost answer therefore finds its own earlier post (the PDS answers `InvalidSwap`) and returns it, instead of
posting twice or overwriting the first post with a new `createdAt` (a new CID would break the strong refs of any
reply made in between). A PDS that ignores `swapRecord` simply overwrites: still one post. The session (access +
refresh JWT) lives in memory for the life of the connector: `createSession` is limited to 30 per 5 minutes per
account, so keep connectors alive across invocations where possible. `metrics` reads our posts' replies, reposts,
likes and quotes, 25 a request (`app.bsky.feed.getPosts`).

BlueskyFetcher: a post search (`app.bsky.feed.searchPosts`) or our account's mentions, replies and quotes
(`app.bsky.notification.listNotifications`). Signed in (credentials `handle` + `app_password`), every call goes to
the account's PDS (`service_url`, default bsky.social), which passes app.bsky calls on to the AppView. The session
is the publishing connector's: one `createSession` per account for the life of this fetcher, refreshed when it
expires. Without credentials a search goes to the public AppView; Bluesky often refuses unauthenticated search
there (403), and always refuses its `cursor`, so an anonymous search reads one page per poll. Neither call takes
"since this id", so the watermark is a TimeMark: searchPosts gets `since` (inclusive, on the post's sort time: the
earlier of createdAt and indexedAt), notifications are newest first by indexedAt. Notifications are only read: they
are never marked as seen, which is the account owner's business.

BlueskyReader: a publisher's recent public posts, read anonymously, so track_shares can find the posts that share
an offer and count the replies to them: the public AppView's `app.bsky.feed.getAuthorFeed` (reposts left out), with
a TimeMark on indexedAt (the feed has no "since"); replies: `replyCount`, from the page or `app.bsky.feed.getPosts`
(25 URIs a call). One post a publisher says is theirs (`read_post`): `app.bsky.feed.getPostThread` without parents or
replies, which takes an at:// URI naming the author by handle (a bsky.app link's form; getPosts needs the DID)."""
from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from chorus.advocacy.pool.rules import urls_in_text
from chorus.platforms.base import (
    MAX_PAGES,
    Author,
    Credentials,
    CredentialsRejected,
    Engagement,
    FetchResult,
    MediaFile,
    Mention,
    MetricsReading,
    OutcomeUnknown,
    PermanentFailure,
    PostCounts,
    PublicPost,
    Published,
    PublishRequest,
    Reading,
    RecentPost,
    SourceKind,
    SourceSpec,
    TimeMark,
    TransientFailure,
    count,
    http_url_setting,
    mode_of,
    parse_time,
    primary_language,
    required_credential,
    required_setting,
)
from chorus.platforms.registry import DEFAULT_BLUESKY_SERVICE
from chorus.platforms.transport import (
    Clock,
    CountingTransport,
    HttpClient,
    Response,
    raise_for_outcome,
    shared_transport,
)

POST_COLLECTION = "app.bsky.feed.post"
MAX_PAGE = 100  # `limit` bound of com.atproto.repo.listRecords
# Query parameters: a dict, or pairs when an array parameter repeats (`reasons=mention&reasons=reply`).
XrpcParams = dict[str, Any] | list[tuple[str, str]]
# ---------------------------------------------------------------------------------------------- record keys (TID)
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable: string order is numeric order
_TID_FIRST = int(datetime(2023, 1, 1, tzinfo=UTC).timestamp() * 1_000_000)
_TID_SPAN = int(datetime(2100, 1, 1, tzinfo=UTC).timestamp() * 1_000_000) - _TID_FIRST


def tid_for(idempotency_key: str) -> str:
    """A valid TID (13 chars: a zero bit, 53 bits of microseconds since 1970, a 10-bit clock id) derived only from
    the idempotency key, so every retry of one delivery writes the same record key.

    The post lexicon requires key type `tid`, so the key must *look* like a timestamp. It cannot be the real time
    (a retry happens at another time and would get another key), so both the timestamp and the clock id come from
    SHA-256 of the key. The timestamp is kept between 2023 (before which no Bluesky post exists) and 2100: a
    syntactically valid, plausible TID that TID validators and sorters accept. Its meaning is lost: `listRecords`
    orders by key, so `recent_posts` sorts by `createdAt` itself.
    """
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()
    micros = _TID_FIRST + int.from_bytes(digest[:8], "big") % _TID_SPAN
    clock_id = int.from_bytes(digest[8:10], "big") & 0x3FF
    value = (micros << 10) | clock_id
    return "".join(TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


# ---------------------------------------------------------------------------------------------- rich text facets
# A link or mention starts the text or follows whitespace or an opening parenthesis.
_LINK = re.compile(r"(?<![^\s(])https?://[^\s<>\"]+")
_MENTION = re.compile(
    r"(?<![^\s(])@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)"
)
_TRAILING_PUNCTUATION = ".,;:!?'\""


@dataclass(frozen=True)
class Span:
    start: int  # character offsets in the text
    end: int
    value: str  # the URL, or the handle without '@'


def link_spans(text: str) -> list[Span]:
    spans = []
    for match in _LINK.finditer(text):
        url = match.group()
        while url and (url[-1] in _TRAILING_PUNCTUATION or (url[-1] == ")" and url.count("(") < url.count(")"))):
            url = url[:-1]
        if "://" in url and not url.endswith("://"):
            spans.append(Span(match.start(), match.start() + len(url), url))
    return spans


def mention_spans(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group(1)) for m in _MENTION.finditer(text)]


def byte_slice(text: str, span: Span) -> dict[str, int]:
    """Facet ranges count UTF-8 bytes, not characters: an emoji before a link moves it by four per code point."""
    start = len(text[: span.start].encode("utf-8"))
    return {"byteStart": start, "byteEnd": start + len(text[span.start : span.end].encode("utf-8"))}


def link_facet(text: str, span: Span) -> dict[str, Any]:
    return {"index": byte_slice(text, span), "features": [{"$type": "app.bsky.richtext.facet#link", "uri": span.value}]}


def mention_facet(text: str, span: Span, did: str) -> dict[str, Any]:
    return {"index": byte_slice(text, span), "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]}


# ---------------------------------------------------------------------------------------------- the connector
@dataclass(frozen=True)
class AtUri:
    repo: str
    collection: str
    rkey: str

    @classmethod
    def parse(cls, value: str) -> AtUri:
        parts = value.removeprefix("at://").split("/") if value.startswith("at://") else []
        if len(parts) != 3 or not all(parts):
            raise PermanentFailure(f"not a Bluesky record URI (at://<repo>/<collection>/<rkey>): {value!r}")
        return cls(*parts)

    def __str__(self) -> str:
        return f"at://{self.repo}/{self.collection}/{self.rkey}"


class BlueskyConnector:
    platform = "bluesky"

    def __init__(self, service_url: str, handle: str, app_password: str, transport: HttpClient | None = None,
                 clock: Clock | None = None) -> None:
        self._service_url = service_url.rstrip("/")
        self._identifier = handle.removeprefix("@")
        self._password = app_password
        self._transport = transport or shared_transport()
        self._clock = clock or time.time
        self._session: dict[str, Any] | None = None

    def publish(self, request: PublishRequest) -> Published:
        record = self.build_record(request)
        uri = AtUri(self._did, POST_COLLECTION, tid_for(request.idempotency_key))
        self.xrpc("POST", "com.atproto.repo.putRecord", body={
            "repo": uri.repo,
            "collection": uri.collection,
            "rkey": uri.rkey,
            "record": record,
            "swapRecord": None,  # create only: an existing record is an earlier attempt of this same delivery
        }, tolerated=("InvalidSwap",))
        return Published(platform_id=str(uri), url=self._post_url(uri.rkey))

    def build_record(self, request: PublishRequest) -> dict[str, Any]:
        """The app.bsky.feed.post record for a request: text, createdAt, link and mention facets, reply refs."""
        record: dict[str, Any] = {"$type": POST_COLLECTION, "text": request.text, "createdAt": self._now_iso()}
        facets = [link_facet(request.text, span) for span in link_spans(request.text)]
        for span in mention_spans(request.text):
            did = self._resolve_handle(span.value)
            if did:
                facets.append(mention_facet(request.text, span, did))
        if facets:
            record["facets"] = sorted(facets, key=lambda facet: facet["index"]["byteStart"])
        if request.in_reply_to:
            record["reply"] = self._reply_refs(AtUri.parse(request.in_reply_to))
        if request.media:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [
                {"alt": file.alt, "image": self._upload_blob(file)} for file in request.media
            ]}
        return record

    def _upload_blob(self, file: MediaFile) -> dict[str, Any]:
        """`com.atproto.repo.uploadBlob` with the raw bytes; the blob ref goes into the post's images embed (with
        `alt`). A blob no record names is dropped by the PDS, so an upload is safe to repeat."""
        def send(token: str) -> Response:
            return self._transport.request(
                "POST", f"{self._service_url}/xrpc/com.atproto.repo.uploadBlob",
                headers={"Authorization": f"Bearer {token}", "Content-Type": file.content_type}, body=file.data)

        try:
            response = send(self._signed_in()["accessJwt"])
            if xrpc_error(response) == "ExpiredToken":
                response = send(self._refreshed()["accessJwt"])
            blob = raise_for_outcome("POST", response, self._clock()).json().get("blob")
        except OutcomeUnknown as error:
            raise TransientFailure(f"uploading {file.filename} to Bluesky: {error}") from None
        if not isinstance(blob, dict):
            raise PermanentFailure(f"Bluesky answered the upload of {file.filename} without a blob")
        return blob

    def delete(self, platform_id: str) -> None:
        uri = AtUri.parse(platform_id)
        self.xrpc(
            "POST",
            "com.atproto.repo.deleteRecord",
            body={"repo": uri.repo, "collection": uri.collection, "rkey": uri.rkey},
        )

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        """Newest first by `createdAt`. Record keys of Chorus posts are hashes (see `tid_for`), so the key order of
        `listRecords` is not time order: a full page is read and sorted here."""
        page = self.xrpc("GET", "com.atproto.repo.listRecords", params={
            "repo": self._did, "collection": POST_COLLECTION, "limit": MAX_PAGE,
        }).json()
        posts = [
            RecentPost(
                platform_id=item["uri"],
                url=self._post_url(AtUri.parse(item["uri"]).rkey),
                text=(item.get("value") or {}).get("text", ""),
                created_at=(item.get("value") or {}).get("createdAt"),
            )
            for item in page.get("records") or []
        ]
        return sorted(posts, key=lambda post: post.created_at or "", reverse=True)[:limit]

    def verify_credentials(self) -> str:
        session = self.xrpc("GET", "com.atproto.server.getSession").json()
        return f"@{session['handle']}"

    # ------------------------------------------------------------------------------------------ our posts' metrics
    metrics_batch = 25  # app.bsky.feed.getPosts takes at most 25 URIs

    def metrics(self, platform_ids: Sequence[str]) -> MetricsReading:
        """Replies, reposts, likes and quotes of our posts: one `app.bsky.feed.getPosts` for up to 25 at:// URIs,
        through the account's PDS (which passes it on to the AppView). A deleted post is left out of the answer.
        Bluesky counts no impressions or clicks."""
        uris = list(dict.fromkeys(platform_ids))[: self.metrics_batch]
        if not uris:
            return MetricsReading({}, 0)
        signing_in = 1 if self._session is None else 0
        body = self.xrpc("GET", "app.bsky.feed.getPosts", params=[("uris", uri) for uri in uris]).json() or {}
        counts = {
            str(view["uri"]): PostCounts(
                replies=count(view.get("replyCount")), reposts=count(view.get("repostCount")),
                likes=count(view.get("likeCount")), quotes=count(view.get("quoteCount")),
            )
            for view in body.get("posts") or []
            if isinstance(view, dict) and view.get("uri") in uris
        }
        return MetricsReading(counts, 1 + signing_in)

    # ------------------------------------------------------------------------------------------ helpers
    def _resolve_handle(self, handle: str) -> str | None:
        try:
            resolved = self.xrpc("GET", "com.atproto.identity.resolveHandle", params={"handle": handle}).json()
            return resolved.get("did")
        except CredentialsRejected:
            raise
        except PermanentFailure:  # not a handle anyone holds: the text stays, without a mention facet
            return None

    def _reply_refs(self, parent: AtUri) -> dict[str, Any]:
        found = self.xrpc("GET", "com.atproto.repo.getRecord", params={
            "repo": parent.repo, "collection": parent.collection, "rkey": parent.rkey,
        }).json()
        if not found.get("cid"):
            raise PermanentFailure(f"Bluesky gave no CID for the post replied to ({parent})")
        parent_ref = {"uri": found["uri"], "cid": found["cid"]}
        root = ((found.get("value") or {}).get("reply") or {}).get("root")
        return {"root": root or parent_ref, "parent": parent_ref}

    def _post_url(self, rkey: str) -> str:
        return f"https://bsky.app/profile/{self._handle}/post/{rkey}"

    def _now_iso(self) -> str:
        moment = datetime.fromtimestamp(self._clock(), tz=UTC)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    @property
    def _did(self) -> str:
        return self._signed_in()["did"]

    @property
    def _handle(self) -> str:
        return self._signed_in()["handle"]

    def _signed_in(self) -> dict[str, Any]:
        if self._session is None:
            self._session = self._session_call("com.atproto.server.createSession", None,
                                               {"identifier": self._identifier, "password": self._password})
        return self._session

    def _refreshed(self) -> dict[str, Any]:
        refresh_token = self._signed_in()["refreshJwt"]
        self._session = None
        try:
            self._session = self._session_call("com.atproto.server.refreshSession", refresh_token, None)
        except PermanentFailure:  # the refresh token expired or was revoked too: sign in again
            pass
        return self._signed_in()

    def _session_call(self, nsid: str, token: str | None, body: dict[str, str] | None) -> dict[str, Any]:
        """Signing in posts nothing: no answer to it is a plain transient failure, never an unknown outcome."""
        try:
            response = self._send("POST", nsid, token, body=body)
            return raise_for_outcome("POST", response, self._clock()).json()
        except OutcomeUnknown as error:
            raise TransientFailure(f"signing in to Bluesky: {error}") from None

    def xrpc(self, method: str, nsid: str, params: XrpcParams | None = None, body: dict[str, Any] | None = None,
             tolerated: tuple[str, ...] = ()) -> Response:
        """Call with the session's access token, refreshing it once if it expired. An XRPC error named in
        `tolerated` comes back as the response; every other failure raises its outcome."""
        response = self._send(method, nsid, self._signed_in()["accessJwt"], params, body)
        if xrpc_error(response) == "ExpiredToken":  # nothing was done: the request never got past authentication
            response = self._send(method, nsid, self._refreshed()["accessJwt"], params, body)
        if response.status >= 400 and xrpc_error(response) in tolerated:
            return response
        return raise_for_outcome(method, response, self._clock())

    def _send(self, method: str, nsid: str, token: str | None, params: XrpcParams | None = None,
              body: dict[str, Any] | None = None) -> Response:
        url = f"{self._service_url}/xrpc/{nsid}" + (f"?{urlencode(params)}" if params else "")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self._transport.request(method, url, headers=headers, json=body)


def xrpc_error(response: Response) -> str | None:
    """The XRPC error name (`{"error": "ExpiredToken", "message": ...}`) of a failed call."""
    if response.status < 400:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get("error") if isinstance(data, dict) else None


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
    kind: SourceKind = "bluesky"

    def __init__(self, transport: HttpClient | None = None) -> None:
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
            watermark=(
                mark.advanced((post.listed_at, post.uri) for post in served).written() if served else dict(watermark)
            ),
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
            response = self._transport.request(
                "GET", f"{_service(spec, PUBLIC_APPVIEW)}/xrpc/{nsid}?{urlencode(params)}"
            )
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
    if not isinstance(view, dict):
        return None
    if not isinstance(view.get("record"), dict) or not isinstance(view.get("author"), dict):
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
    listed_langs = record.get("langs")
    langs = [lang for lang in listed_langs if isinstance(lang, str)] if isinstance(listed_langs, list) else []
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


BLUESKY_PAGE = 100  # getAuthorFeed's maximum `limit`
BLUESKY_POSTS_PER_CALL = 25  # getPosts' maximum number of `uris`
LINK_FACET = "app.bsky.richtext.facet#link"


class BlueskyReader:
    platform = "bluesky"

    def __init__(self, transport: HttpClient, appview: str = PUBLIC_APPVIEW) -> None:
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
            params = [("actor", actor), ("limit", str(BLUESKY_PAGE)), *cursor]
            body = self._get("app.bsky.feed.getAuthorFeed", params, now)
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

    def read_post(self, handle: str, post_id: str, now: float) -> PublicPost | None:
        """A post by its at:// URI, with its author (`author`: their handle) and its own at:// URI (with the DID) as
        `id`; None when the AppView has no such post (XRPC NotFound, or a thread that is not a post view)."""
        params = [("uri", post_id), ("depth", "0"), ("parentHeight", "0")]
        response = self._transport.request(
            "GET", f"{self._appview}/xrpc/app.bsky.feed.getPostThread?{urlencode(params)}")
        if response.status == 400 and xrpc_error(response) == "NotFound":
            return None
        body = raise_for_outcome("GET", response, now).json()
        return _bluesky_post(_object(body.get("thread"))) if isinstance(body, dict) else None

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
    record = _object(view.get("record"))
    author = _object(view.get("author"))
    # createdAt is the client's word (a client may claim any time); the AppView sorts by the earlier of the two.
    times = [moment for moment in (parse_time(record.get("createdAt")), parse_time(view.get("indexedAt"))) if moment]
    if not times:
        return None
    created_at = min(times)
    uri = str(view["uri"])
    url = f"https://bsky.app/profile/{author.get('handle') or uri.split('/')[2]}/post/{uri.rsplit('/', 1)[-1]}"
    links = tuple(dict.fromkeys(_bluesky_links(record, view)))
    handle = author.get("handle")
    return PublicPost(uri, url, created_at, links, count(view.get("replyCount")),
                      str(handle).casefold() if handle else None)


def _object(value: Any) -> dict[str, Any]:
    """A JSON object from an answer, or an empty one when the platform sent something else."""
    return value if isinstance(value, dict) else {}


def _bluesky_links(record: dict[str, Any], view: dict[str, Any]) -> list[str]:
    """Link facets hold the full URLs (the text may show them shortened); a link card holds one more."""
    links: list[str] = [feature["uri"] for facet in record.get("facets") or [] if isinstance(facet, dict)
             for feature in facet.get("features") or []
             if isinstance(feature, dict) and feature.get("$type") == LINK_FACET and feature.get("uri")]
    for embed in (record.get("embed"), view.get("embed")):
        external = embed.get("external") if isinstance(embed, dict) else None
        if isinstance(external, dict) and external.get("uri"):
            links.append(external["uri"])
    return [*links, *urls_in_text(record.get("text") or "")]
