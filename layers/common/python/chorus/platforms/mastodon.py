"""Mastodon (any instance with the Mastodon client API): publishing as a channel's account, listening to a source,
and reading a publisher's public posts.

MastodonConnector: REST API v1 with a user access token. Mastodon honours `Idempotency-Key` on
`POST /api/v1/statuses` for about an hour, so a retry with the same key returns the first status instead of posting
twice (snac2 and some other servers ignore it: the publisher still reconciles). Status `content` is HTML; recent
posts are turned back into the plain text that was posted. Photos and videos are uploaded first
(`POST /api/v2/media` with the alt text as `description`) and named on the status (`media_ids[]`). `metrics` reads
our statuses' replies, boosts and favourites, 20 a request (`GET /api/v1/statuses?id[]=`, Mastodon 4.3+; one status
a request on older servers).

MastodonFetcher: mentions of our account, a hashtag timeline, or a search.
- `notifications`: `GET /api/v1/notifications?types[]=mention` with the account's token.
- `hashtag`: `GET /api/v1/timelines/tag/:tag` (public on most instances; the token is sent when there is one).
- `search`: `GET /api/v2/search?type=statuses`. Full-text search of statuses needs a token, and an instance with a
  search backend; without one the instance only finds statuses its users interacted with.
The watermark is the newest id seen (notification id, or status id). `min_id` asks for the items just after it,
oldest page first, so following pages forward never skips anything and a capped poll resumes where it stopped.
Search pages by `offset` instead. Ids are compared client-side too: not every server honours `min_id`.

MastodonReader: a publisher's recent public posts, read anonymously, so track_shares can find the posts that share
an offer and count the replies to them. The account is looked up once on the person's own instance
(`GET /api/v1/accounts/lookup?acct=`; its id is kept in the watermark), then `GET /api/v1/accounts/:id/statuses`
(boosts left out: a share is their own post). The watermark is the newest status id seen; `min_id` pages forward
from it, oldest page first, so a burst bigger than a page is read over the next pages, never skipped. Replies:
`replies_count` of each share, from the page when it is in it, else `GET /api/v1/statuses/:id`. One status a
publisher says is theirs (`read_post`): `GET /api/v1/statuses/:id` on their own instance, with its author's account.
In the functions and the API the reader's transport is PublicOnlyTransport, because the instance comes from a handle
the person typed."""
from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from chorus.advocacy.pool.rules import mastodon_instance, urls_in_html
from chorus.platforms.base import (
    MAX_PAGES,
    Author,
    Credentials,
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
    TransientFailure,
    count,
    http_url_setting,
    id_order,
    mode_of,
    parse_time,
    primary_language,
    required_credential,
    required_setting,
)
from chorus.platforms.transport import (
    Clock,
    CountingTransport,
    HttpClient,
    Response,
    multipart,
    raise_for_outcome,
    shared_transport,
)

MAX_PAGE = 40  # the API's maximum `limit` for account statuses
MEDIA_POLL_SECONDS = 2.0  # between looks at an attachment Mastodon is still processing (a video)
MEDIA_PROCESSING_SECONDS = 30.0  # then the publisher retries later (the consumer's timeout is 60 s)


class MastodonConnector:
    platform = "mastodon"

    def __init__(
        self, base_url: str, access_token: str, transport: HttpClient | None = None, clock: Clock | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = access_token
        self._transport = transport or shared_transport()
        self._clock = clock or time.time
        self._sleep = sleep  # between looks at a video Mastodon is still processing
        self._account_id: str | None = None
        self._batch_statuses: bool | None = None  # does the server have GET /api/v1/statuses? (None: not asked yet)

    def publish(self, request: PublishRequest) -> Published:
        form = [("status", request.text), ("visibility", "public")]
        if request.in_reply_to:
            form.append(("in_reply_to_id", request.in_reply_to))
        form += [("media_ids[]", self._upload(file)) for file in request.media]
        status = self._call(
            "POST",
            "/api/v1/statuses",
            body=urlencode(form).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": request.idempotency_key},
        ).json()
        return Published(platform_id=str(status["id"]), url=status.get("url") or status.get("uri"))

    def _upload(self, file: MediaFile) -> str:
        """`POST /api/v2/media` with the file and its alt text as `description`; the attachment's id goes on the
        status. 202 means still processing (video): the status may only name it once `GET /api/v1/media/:id` answers
        200. An upload whose answer is lost is simply done again (an unused attachment is only a leftover)."""
        body, content_type = multipart({"description": file.alt}, "file", file.filename, file.content_type, file.data)
        try:
            response = self._call("POST", "/api/v2/media", body=body, headers={"Content-Type": content_type})
        except OutcomeUnknown as error:
            raise TransientFailure(f"uploading {file.filename} to Mastodon: {error}") from None
        media_id = str(response.json()["id"])
        waited = 0.0
        while response.status in (202, 206):  # accepted or still processing: not yet ready to attach
            if waited >= MEDIA_PROCESSING_SECONDS:
                raise TransientFailure(f"Mastodon was still processing {file.filename} after {waited:.0f} s")
            self._sleep(MEDIA_POLL_SECONDS)
            waited += MEDIA_POLL_SECONDS
            response = self._call("GET", f"/api/v1/media/{quote(media_id, safe='')}")
        return media_id

    def delete(self, platform_id: str) -> None:
        """A 404 means gone, unless the status can still be read: some servers (snac) cannot delete through the API."""
        path = f"/api/v1/statuses/{quote(platform_id, safe='')}"
        gone = self._call("DELETE", path, missing_ok=True).status == 404
        if gone and self._call("GET", path, missing_ok=True).status != 404:
            raise PermanentFailure(
                "the server answered 404 to DELETE but still has the status: it cannot delete through its API"
            )

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        if self._account_id is None:
            self.verify_credentials()
        query = urlencode(
            {"limit": max(1, min(limit, MAX_PAGE)), "exclude_replies": "false", "exclude_reblogs": "true"}
        )
        statuses = self._call("GET", f"/api/v1/accounts/{self._account_id}/statuses?{query}").json()
        return [
            RecentPost(
                platform_id=str(status["id"]),
                url=status.get("url") or status.get("uri"),
                text=html_to_text(status.get("content") or ""),
                created_at=status.get("created_at"),
            )
            for status in statuses[:limit]
        ]

    def verify_credentials(self) -> str:
        account = self._call("GET", "/api/v1/accounts/verify_credentials").json()
        self._account_id = str(account["id"])
        return f"@{account['acct']}"

    # ------------------------------------------------------------------------------------------ our posts' metrics
    metrics_batch = 20  # GET /api/v1/statuses takes at most 20 ids (Mastodon's DEFAULT_STATUSES_LIMIT)

    def metrics(self, platform_ids: Sequence[str]) -> MetricsReading:
        """Replies, boosts and favourites of our statuses: `GET /api/v1/statuses?id[]=…` (Mastodon 4.3+: one request
        for up to 20), or one `GET /api/v1/statuses/:id` each on a server without it (older Mastodon, snac), which is
        found out once per connector. A status that is gone (deleted, or no longer visible) is left out. Mastodon
        counts no impressions or clicks."""
        ids = list(dict.fromkeys(platform_ids))[: self.metrics_batch]
        if not ids:
            return MetricsReading({}, 0)
        if self._batch_statuses is not False:
            response = self._transport.request(
                "GET", f"{self._base_url}/api/v1/statuses?{urlencode([('id[]', i) for i in ids])}",
                headers={"Authorization": f"Bearer {self._token}"},
            )
            if self._batch_statuses is None and response.status in (400, 404, 405, 422):
                self._batch_statuses = False  # the server has no such call: one status at a time from now on
            else:
                statuses = raise_for_outcome("GET", response, self._clock()).json()
                if isinstance(statuses, list):
                    self._batch_statuses = True
                    return MetricsReading(_status_counts(statuses, ids), 1)
                self._batch_statuses = False
            requests = 1
        else:
            requests = 0
        found: list[Any] = []
        for status_id in ids:
            response = self._call("GET", f"/api/v1/statuses/{quote(status_id, safe='')}", missing_ok=True)
            requests += 1
            if response.status != 404:
                found.append(response.json())
        return MetricsReading(_status_counts(found, ids), requests)

    def _call(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
              missing_ok: bool = False) -> Response:
        response = self._transport.request(
            method,
            self._base_url + path,
            headers={"Authorization": f"Bearer {self._token}", **(headers or {})},
            body=body,
        )
        if missing_ok and response.status == 404:  # already gone: deleting twice is not an error
            return response
        return raise_for_outcome(method, response, self._clock())


def _status_counts(statuses: list[Any], wanted: list[str]) -> dict[str, PostCounts]:
    """The counts of the statuses asked for (a server may answer with more, or with none of them)."""
    counts: dict[str, PostCounts] = {}
    for status in statuses:
        if isinstance(status, dict) and str(status.get("id")) in wanted:
            quotes = status.get("quotes_count")  # Mastodon 4.5+ counts quote posts
            counts[str(status["id"])] = PostCounts(
                replies=count(status.get("replies_count")), reposts=count(status.get("reblogs_count")),
                likes=count(status.get("favourites_count")), quotes=count(quotes) if quotes is not None else None,
            )
    return counts


def html_to_text(content: str) -> str:
    """Mastodon renders `a\\n\\nb` as `<p>a</p><p>b</p>` and `a\\nb` as `a<br />b`: undo that. Links keep their full
    URL (the hidden `invisible` spans hold the parts the web UI leaves out)."""
    parser = _TextExtractor()
    parser.feed(content)
    parser.close()
    return "".join(parser.parts).strip()


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._paragraphs = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag == "p":
            if self._paragraphs:
                self.parts.append("\n\n")
            self._paragraphs += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


MASTODON_PAGE = 40  # the API's maximum `limit`


class MastodonReader:
    platform = "mastodon"

    def __init__(self, transport: HttpClient) -> None:
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
            fresh = [post for post in (_mastodon_post(status, mastodon_instance(handle)) for status in page)
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

    def read_post(self, handle: str, post_id: str, now: float) -> PublicPost | None:
        """A status on the person's own instance, with its author (`author`: @user@instance); None when the instance
        has no public status with that id (deleted, followers only, or never there: Mastodon answers 404 to all)."""
        base = _instance_url(handle)
        response = self._transport.request("GET", f"{base}/api/v1/statuses/{quote(post_id, safe='')}")
        if response.status == 404:
            return None
        return _mastodon_post(raise_for_outcome("GET", response, now).json(), mastodon_instance(handle))

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


def _mastodon_post(status: Any, instance: str | None) -> PublicPost | None:
    """A status as a post of its author's (a boost is none); `instance` is the server it was read from, whose own
    accounts' `acct` has no domain."""
    if not isinstance(status, dict) or not status.get("id") or status.get("reblog"):
        return None
    created_at = parse_time(status.get("created_at"))
    url = status.get("url") or status.get("uri")
    if created_at is None or not url:
        return None
    card = status.get("card")
    card_url = card.get("url") if isinstance(card, dict) else None
    links = [*urls_in_html(status.get("content") or ""), *([card_url] if card_url else [])]
    replies = count(status.get("replies_count"))
    account = status.get("account")
    acct = str(account.get("acct") or "") if isinstance(account, dict) else ""
    author = (f"@{acct}" if "@" in acct else f"@{acct}@{instance}" if instance else None) if acct else None
    return PublicPost(str(status["id"]), str(url), created_at, tuple(dict.fromkeys(links)), replies,
                      author.casefold() if author else None)


MODES = ("notifications", "hashtag", "search")
PAGE_SIZE = 40  # the API's maximum `limit` for notifications, timelines and search


@dataclass(frozen=True)
class _Found:
    order_id: str  # what the watermark and `min_id` count in: the notification id, or the status id
    status: dict[str, Any]


class MastodonFetcher:
    kind: SourceKind = "mastodon"

    def __init__(self, transport: HttpClient | None = None) -> None:
        self._transport = CountingTransport(transport or shared_transport())

    def check(self, spec: SourceSpec) -> None:
        http_url_setting(spec, "instance_url")
        _request_for(spec, mode_of(spec, MODES))

    def fetch(self, spec: SourceSpec, watermark: Mapping[str, str], credentials: Credentials | None,
              now: float) -> FetchResult:
        base_url = http_url_setting(spec, "instance_url").rstrip("/")
        mode = mode_of(spec, MODES)
        path, params = _request_for(spec, mode)
        token = (required_credential(spec, credentials, "access_token", f" to read {mode}") if mode != "hashtag"
                 else credentials.get("access_token") if credentials else None)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        started = self._transport.count
        last_id = watermark.get("last_id")

        found: dict[str, _Found] = {}
        capped = False
        cursor: dict[str, str | int] = {"min_id": last_id} if last_id else {}
        for page_number in range(1, MAX_PAGES + 1):
            query = urlencode({**params, "limit": PAGE_SIZE, **cursor}, doseq=True)
            response = self._transport.request("GET", f"{base_url}{path}?{query}", headers=headers)
            page = _page(raise_for_outcome("GET", response, now).json(), mode)
            items = [item for item in map(_found, page) if item]
            fresh = [item for item in items if _is_after(item.order_id, last_id) and item.order_id not in found]
            found.update((item.order_id, item) for item in fresh)
            if last_id is None or len(page) < PAGE_SIZE or not fresh:
                break  # first poll: the newest page only; otherwise: caught up
            if page_number == MAX_PAGES:
                capped = True
                break
            cursor = ({"min_id": max(found, key=id_order)} if mode != "search"
                      else {"min_id": last_id, "offset": page_number * PAGE_SIZE})

        host = urlsplit(base_url).netloc
        mentions = [_mention(spec, item.status, host) for item in found.values()]
        newest = max([*found, *([last_id] if last_id else [])], key=id_order, default=None)
        return FetchResult(
            mentions=sorted(mentions, key=lambda mention: (mention.created_at, id_order(mention.platform_id))),
            watermark={**watermark, "last_id": newest} if newest else dict(watermark),
            requests=self._transport.count - started,
            capped=capped,
        )


def _request_for(spec: SourceSpec, mode: str) -> tuple[str, dict[str, Any]]:
    if mode == "notifications":
        return "/api/v1/notifications", {"types[]": ["mention"]}
    if mode == "hashtag":
        tag = required_setting(spec, "tag").lstrip("#")
        return f"/api/v1/timelines/tag/{quote(tag, safe='')}", {}
    # resolve=false: a query that looks like an address would otherwise make the instance fetch it (slow, remote)
    return "/api/v2/search", {"q": required_setting(spec, "query"), "type": "statuses", "resolve": "false"}


def _page(body: Any, mode: str) -> list[Any]:
    """The listed items, as many as the server sent (a short page means there is no more)."""
    listed = body.get("statuses") if mode == "search" and isinstance(body, dict) else body
    if not isinstance(listed, list):
        raise PermanentFailure(f"unexpected answer from the Mastodon API: {type(listed).__name__}, not a list")
    return listed


def _found(item: Any) -> _Found | None:
    """A status, or a mention notification with its status; anything else is skipped (a server may ignore types[])."""
    if not isinstance(item, dict) or not item.get("id"):
        return None
    if "type" not in item:
        return _Found(str(item["id"]), item)
    if item["type"] == "mention" and isinstance(item.get("status"), dict):
        return _Found(str(item["id"]), item["status"])
    return None


def _is_after(order_id: str, last_id: str | None) -> bool:
    return last_id is None or id_order(order_id) > id_order(last_id)


def _mention(spec: SourceSpec, status: dict[str, Any], host: str) -> Mention:
    account = status.get("account") or {}
    acct = str(account.get("acct") or account.get("username") or "unknown")
    text = html_to_text(status.get("content") or "")
    warning = (status.get("spoiler_text") or "").strip()  # a content warning is part of what was said
    created_at: datetime | None = parse_time(status.get("created_at"))
    if created_at is None:
        raise PermanentFailure(f"Mastodon status {status.get('id')} has no readable created_at")
    return Mention(
        platform="mastodon",
        platform_id=str(status["id"]),
        text=f"{warning}\n\n{text}" if warning else text,
        created_at=created_at,
        author=Author(
            handle=f"@{acct}" if "@" in acct else f"@{acct}@{host}",  # local accounts come without their domain
            name=account.get("display_name") or None,
            followers=account.get("followers_count") if isinstance(account.get("followers_count"), int) else None,
            url=account.get("url"),
        ),
        url=status.get("url") or status.get("uri"),
        language_hint=primary_language(status.get("language")) or spec.language_hint,
        engagement=Engagement(
            replies=count(status.get("replies_count")),
            reposts=count(status.get("reblogs_count")) + count(status.get("quotes_count")),
            likes=count(status.get("favourites_count")),
        ),
        in_reply_to=str(status["in_reply_to_id"]) if status.get("in_reply_to_id") else None,
        source_id=spec.id,
    )
