"""X (formerly Twitter), API v2: publishing as a channel's account and listening to a source.

XConnector publishes with an OAuth 2 user-context bearer token (XTokens). Access tokens live two hours. With the
`offline.access` scope X also issues a refresh token, which is single-use: every refresh returns a new one. The
connector refreshes a minute before `expires_at` (or once after a 401), writes both tokens back to the channel's
secret at once, and when X refuses a refresh token it re-reads the secret first (another Lambda may have rotated
it) before it gives up and asks the owner to reconnect.

Photos go up first, one request each (`POST /2/media/upload`), with their alt text (`POST /2/media/metadata`), and
the post names them (`media.media_ids`); Chorus does not send video to X (that needs the chunked upload).

X has no idempotency key, so a lost answer to `POST /2/tweets` can only be settled by reading the account's recent
posts: that is why the publisher reconciles. X rewrites posted text (links become t.co links, `&`, `<` and `>` come
back HTML-escaped), so recent posts ask for `entities` and undo both, or reconciliation would never match a post
with a link in it. `metrics` reads our posts' public and non-public metrics, 100 a request (`GET /2/tweets`).

XFetcher reads a recent search (`GET /2/tweets/search/recent`) or the mentions of one user
(`GET /2/users/:id/mentions`). Both are newest first and take `since_id`, so the watermark is the newest post id
seen. The author of each post comes from `includes.users` (expansions=author_id), with `public_metrics` for the
follower count. Every page costs against a monthly post cap on X's paid tiers, so pages are as big as allowed and a
first poll reads only one."""
from __future__ import annotations

import base64
import html
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from chorus.platforms.base import (
    MAX_PAGES,
    Author,
    BadSetting,
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
    Published,
    PublishRequest,
    RecentPost,
    SecretStore,
    SourceKind,
    SourceSpec,
    TransientFailure,
    count,
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
    error_message,
    multipart,
    raise_for_outcome,
    shared_transport,
)

MIN_PAGE, MAX_PAGE = 5, 100  # `max_results` bounds of GET /2/users/:id/tweets
REFRESH_MARGIN_SECONDS = 60.0


@dataclass
class XTokens:
    """The channel's OAuth 2 user-context tokens (the secret's values). Without a refresh token and client id the
    access token is used as it is until X rejects it."""

    access_token: str
    refresh_token: str | None = None
    client_id: str | None = None
    client_secret: str | None = None  # confidential clients authenticate the refresh with HTTP Basic
    expires_at: float | None = None  # epoch seconds

    @classmethod
    def from_secret(cls, values: dict[str, str]) -> XTokens:
        expires = values.get("expires_at")
        return cls(
            values.get("access_token") or "",
            values.get("refresh_token") or None,
            values.get("client_id") or None,
            values.get("client_secret") or None,
            float(expires) if expires else None,
        )

    @property
    def refreshable(self) -> bool:
        return bool(self.refresh_token and self.client_id)


class XConnector:
    platform = "x"

    def __init__(self, tokens: XTokens | str, transport: HttpClient | None = None, base_url: str = "https://api.x.com",
                 clock: Clock | None = None, store: SecretStore | None = None) -> None:
        self._tokens = XTokens(tokens) if isinstance(tokens, str) else tokens
        self._store = store
        self._transport = transport or shared_transport()
        self._base_url = base_url.rstrip("/")
        self._clock = clock or time.time
        self._user_id: str | None = None

    def publish(self, request: PublishRequest) -> Published:
        payload: dict[str, Any] = {"text": request.text}
        if request.in_reply_to:
            payload["reply"] = {"in_reply_to_tweet_id": request.in_reply_to}
        if request.media:
            payload["media"] = {"media_ids": [self._upload(file) for file in request.media]}
        response = self._call("POST", "/2/tweets", json=payload)
        data = (response.json() or {}).get("data") or {}
        if not data.get("id"):  # X can answer 2xx with only `errors`
            raise PermanentFailure(f"X created no post: {error_message(response)}")
        return Published(platform_id=str(data["id"]), url=f"https://x.com/i/web/status/{data['id']}")

    def _upload(self, file: MediaFile) -> str:
        """A photo in one request (`POST /2/media/upload`, `media_category=tweet_image`), then its alt text
        (`POST /2/media/metadata`, `alt_text.text`); the media id goes on the post. Both are safe to repeat: an
        unused upload expires, and the metadata is set, not added."""
        body, content_type = multipart({"media_category": "tweet_image"}, "media", file.filename, file.content_type,
                                       file.data)
        try:
            uploaded = self._call("POST", "/2/media/upload", body=body, content_type=content_type).json() or {}
            media_id = str((uploaded.get("data") or {}).get("id") or "")
            if not media_id:
                raise PermanentFailure(f"X answered the upload of {file.filename} without a media id")
            self._call("POST", "/2/media/metadata",
                       json={"id": media_id, "metadata": {"alt_text": {"text": file.alt}}})
        except OutcomeUnknown as error:
            raise TransientFailure(f"uploading {file.filename} to X: {error}") from None
        return media_id

    def delete(self, platform_id: str) -> None:
        self._call("DELETE", f"/2/tweets/{quote(platform_id, safe='')}", missing_ok=True)

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        if self._user_id is None:
            self.verify_credentials()
        query = urlencode({
            "max_results": max(MIN_PAGE, min(limit, MAX_PAGE)),
            "tweet.fields": "created_at,entities",
            "exclude": "retweets",
        })
        posts = (self._call("GET", f"/2/users/{self._user_id}/tweets?{query}").json() or {}).get("data") or []
        return [
            RecentPost(
                platform_id=str(post["id"]),
                url=f"https://x.com/i/web/status/{post['id']}",
                text=posted_text(post),
                created_at=post.get("created_at"),
            )
            for post in posts[:limit]
        ]

    def verify_credentials(self) -> str:
        user = self._call("GET", "/2/users/me").json()["data"]
        self._user_id = str(user["id"])
        return f"@{user['username']}"

    # ------------------------------------------------------------------------------------------ our posts' metrics
    metrics_batch = 100  # GET /2/tweets takes at most 100 ids

    def metrics(self, platform_ids: Sequence[str]) -> MetricsReading:
        """Counts of our posts: one `GET /2/tweets?ids=…` for up to 100, with `public_metrics` (replies, reposts,
        likes, quotes, impressions) and `non_public_metrics` (url_link_clicks), which X gives only with the account's
        own user-context token and only for posts of the last 30 days. A deleted post comes back in `errors` and is
        left out. Every post read counts against the plan's monthly read cap."""
        ids = list(dict.fromkeys(platform_ids))[: self.metrics_batch]
        if not ids:
            return MetricsReading({}, 0)
        refreshing = 1 if self._tokens.refreshable and (
            (self._tokens.expires_at or 0) - self._clock() < REFRESH_MARGIN_SECONDS) else 0
        query = urlencode({"ids": ",".join(ids), "tweet.fields": "public_metrics,non_public_metrics"})
        posts = (self._call("GET", f"/2/tweets?{query}").json() or {}).get("data") or []
        counts: dict[str, PostCounts] = {}
        for post in posts:
            if not isinstance(post, dict) or str(post.get("id")) not in ids:
                continue
            public = post.get("public_metrics") or {}
            private = post.get("non_public_metrics") or {}
            impressions = public.get("impression_count", private.get("impression_count"))
            clicks = private.get("url_link_clicks")
            counts[str(post["id"])] = PostCounts(
                replies=count(public.get("reply_count")),
                reposts=count(public.get("retweet_count", public.get("repost_count"))),
                likes=count(public.get("like_count")),
                quotes=count(public.get("quote_count")),
                impressions=count(impressions) if impressions is not None else None,
                link_clicks=count(clicks) if clicks is not None else None,
            )
        return MetricsReading(counts, 1 + refreshing)

    def _call(self, method: str, path: str, json: Any = None, missing_ok: bool = False, body: bytes | None = None,
              content_type: str | None = None) -> Response:
        if self._tokens.refreshable and (self._tokens.expires_at or 0) - self._clock() < REFRESH_MARGIN_SECONDS:
            self._refresh()
        response = self._send(method, path, json, body, content_type)
        if response.status == 401 and self._tokens.refreshable:
            self._refresh()  # a 401 was not acted on, so sending the same request again cannot post twice
            response = self._send(method, path, json, body, content_type)
        if missing_ok and response.status == 404:  # already gone: deleting twice is not an error
            return response
        return raise_for_outcome(method, response, self._clock())

    def _send(self, method: str, path: str, json: Any, body: bytes | None = None,
              content_type: str | None = None) -> Response:
        headers = {"Authorization": f"Bearer {self._tokens.access_token}"}
        if content_type:
            headers["Content-Type"] = content_type
        return self._transport.request(method, self._base_url + path, headers=headers, json=json, body=body)

    def _refresh(self) -> None:
        tokens = self._tokens
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if tokens.client_secret:
            pair = f"{tokens.client_id}:{tokens.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        body = urlencode(
            {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token, "client_id": tokens.client_id}
        )
        try:
            response = self._transport.request(
                "POST", self._base_url + "/2/oauth2/token", headers=headers, body=body.encode()
            )
        except OutcomeUnknown as error:
            # Nothing was posted; the next try refreshes again.
            raise TransientFailure(f"X token refresh: {error}") from None
        if response.status in (400, 401) and self._adopt_rotated_tokens():
            return
        try:
            raise_for_outcome("POST", response, self._clock())
        except PermanentFailure as error:
            raise CredentialsRejected(f"X refused the refresh token: {error}") from None
        data = response.json() or {}
        if not data.get("access_token"):
            raise CredentialsRejected("X answered the token refresh without an access token")
        self._tokens = XTokens(
            data["access_token"],
            data.get("refresh_token") or tokens.refresh_token,
            tokens.client_id,
            tokens.client_secret,
            self._clock() + float(data.get("expires_in") or 7200),
        )
        if self._store is not None:
            self._store.save(self._secret_values())

    def _adopt_rotated_tokens(self) -> bool:
        """Another instance may have used our refresh token first: take the tokens it stored, if they are newer."""
        if self._store is None:
            return False
        latest = XTokens.from_secret(self._store.load())
        if not latest.refresh_token or latest.refresh_token == self._tokens.refresh_token:
            return False
        self._tokens = latest
        return True

    def _secret_values(self) -> dict[str, str]:
        values = {"access_token": self._tokens.access_token, "refresh_token": self._tokens.refresh_token or "",
                  "client_id": self._tokens.client_id or "", "expires_at": f"{self._tokens.expires_at:.0f}"}
        if self._tokens.client_secret:
            values["client_secret"] = self._tokens.client_secret
        return values


def posted_text(post: dict[str, Any]) -> str:
    """The text as it was posted: t.co links expanded, the link X appends for attached media dropped, entities
    unescaped."""
    text = post.get("text") or ""
    for link in (post.get("entities") or {}).get("urls") or []:
        short = link.get("url")
        if not short:
            continue
        is_media = "media_key" in link or str(link.get("display_url", "")).startswith("pic.")
        text = text.replace(short, "" if is_media else link.get("expanded_url") or short)
    return html.unescape(text).strip()


MODES = ("search", "mentions")
PAGE_SIZE = 100  # the maximum `max_results` of both endpoints
TWEET_FIELDS = "created_at,lang,public_metrics,conversation_id,in_reply_to_user_id,referenced_tweets,entities"
USER_FIELDS = "username,name,public_metrics"
TWITTER_EPOCH_MS = 1288834974657  # post ids are snowflakes: milliseconds since this moment, shifted left 22 bits
# Recent search answers 400 to a since_id older than its 7-day window: a source paused that long starts afresh.
SEARCH_WINDOW = timedelta(days=7) - timedelta(hours=1)


class XFetcher:
    kind: SourceKind = "x"

    def __init__(self, transport: HttpClient | None = None, base_url: str = "https://api.x.com") -> None:
        self._transport = CountingTransport(transport or shared_transport())
        self._base_url = base_url.rstrip("/")

    def check(self, spec: SourceSpec) -> None:
        _endpoint(spec)

    def fetch(self, spec: SourceSpec, watermark: Mapping[str, str], credentials: Credentials | None,
              now: float) -> FetchResult:
        mode = mode_of(spec, MODES)
        path, page_param, params = _endpoint(spec)
        headers = {"Authorization": f"Bearer {required_credential(spec, credentials, 'access_token')}"}
        since_id = watermark.get("since_id")
        moment = datetime.fromtimestamp(now, tz=UTC)
        resume_from = since_id
        if since_id is not None and mode == "search" and _snowflake_time(since_id) <= moment - SEARCH_WINDOW:
            resume_from = None  # older than recent search's window: start afresh
        resumable = resume_from is not None
        params |= {"max_results": str(PAGE_SIZE), "tweet.fields": TWEET_FIELDS, "expansions": "author_id",
                   "user.fields": USER_FIELDS, **({"since_id": resume_from} if resume_from is not None else {})}
        started = self._transport.count

        found: dict[str, Mention] = {}
        capped = False
        token: str | None = None
        for page_number in range(1, MAX_PAGES + 1):
            query = urlencode({**params, **({page_param: token} if token else {})})
            response = self._transport.request("GET", f"{self._base_url}{path}?{query}", headers=headers)
            body = raise_for_outcome("GET", response, now).json() or {}
            users = {str(user.get("id")): user for user in (body.get("includes") or {}).get("users") or []
                     if isinstance(user, dict)}
            for post in body.get("data") or []:
                if isinstance(post, dict) and str(post.get("id", "")).isdigit() and (
                        since_id is None or id_order(str(post["id"])) > id_order(since_id)):
                    found[str(post["id"])] = _mention(spec, post, users.get(str(post.get("author_id"))))
            token = (body.get("meta") or {}).get("next_token")
            if not resumable or not token:
                break  # first poll (or one after too long a pause): the newest page only; otherwise: caught up
            if page_number == MAX_PAGES:
                capped = True
                break

        newest = max([*found, *([since_id] if since_id else [])], key=id_order, default=None)
        return FetchResult(
            mentions=sorted(found.values(), key=lambda mention: id_order(mention.platform_id)),
            watermark={**watermark, "since_id": newest} if newest else dict(watermark),
            requests=self._transport.count - started,
            capped=capped,
        )


def _endpoint(spec: SourceSpec) -> tuple[str, str, dict[str, str]]:
    """The path, its paging parameter and its own query parameters."""
    if mode_of(spec, MODES) == "search":
        return "/2/tweets/search/recent", "next_token", {"query": required_setting(spec, "query")}
    user_id = required_setting(spec, "user_id")
    if not user_id.isdigit():
        raise BadSetting("user_id", f"the x source {spec.id!r} has setting 'user_id' {user_id!r}: "
                                    "expected the numeric user id")
    return f"/2/users/{quote(user_id)}/mentions", "pagination_token", {}


def _mention(spec: SourceSpec, post: dict[str, Any], user: dict[str, Any] | None) -> Mention:
    post_id = str(post["id"])
    user = user or {}
    username = user.get("username") or str(post.get("author_id") or "unknown")
    followers = (user.get("public_metrics") or {}).get("followers_count")
    metrics = post.get("public_metrics") or {}
    replied_to = next((str(ref["id"]) for ref in post.get("referenced_tweets") or []
                       if isinstance(ref, dict) and ref.get("type") == "replied_to" and ref.get("id")), None)
    conversation = str(post.get("conversation_id") or "")
    return Mention(
        platform="x",
        platform_id=post_id,
        text=posted_text(post),
        created_at=parse_time(post.get("created_at")) or _snowflake_time(post_id),
        author=Author(handle=f"@{username}", name=user.get("name") or None,
                      followers=followers if isinstance(followers, int) else None,
                      url=f"https://x.com/{username}" if user.get("username") else None),
        url=(
            f"https://x.com/{username}/status/{post_id}" if user.get("username")
            else f"https://x.com/i/web/status/{post_id}"
        ),
        language_hint=primary_language(post.get("lang")) or spec.language_hint,
        engagement=Engagement(
            replies=count(metrics.get("reply_count")),
            reposts=count(metrics.get("retweet_count")) + count(metrics.get("quote_count")),
            likes=count(metrics.get("like_count")),
        ),
        in_reply_to=replied_to,
        thread_root=conversation if conversation and conversation != post_id else None,
        source_id=spec.id,
    )


def _snowflake_time(post_id: str) -> datetime:
    """When a post without `created_at` was made: X ids carry their creation time."""
    return datetime.fromtimestamp(((int(post_id) >> 22) + TWITTER_EPOCH_MS) / 1000, tz=UTC)
