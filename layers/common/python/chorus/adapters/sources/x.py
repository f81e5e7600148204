"""X (API v2): recent search (`GET /2/tweets/search/recent`) or the mentions of one user (`GET /2/users/:id/mentions`).

Both are newest first and take `since_id`, so the watermark is the newest post id seen. The author of each post
comes from `includes.users` (expansions=author_id), with `public_metrics` for the follower count. Every page costs
against a monthly post cap on X's paid tiers, so pages are as big as allowed and a first poll reads only one.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, urlencode

from chorus.adapters.connectors.base import Credentials
from chorus.adapters.connectors.transport import Transport, raise_for_outcome, shared_transport
from chorus.adapters.connectors.x import posted_text
from chorus.adapters.sources.base import (
    MAX_PAGES,
    BadSetting,
    CountingTransport,
    FetchResult,
    SourceSpec,
    count,
    id_order,
    mode_of,
    parse_time,
    primary_language,
    required_credential,
    required_setting,
)
from chorus.domain.mentions import Author, Engagement, Mention

MODES = ("search", "mentions")
PAGE_SIZE = 100  # the maximum `max_results` of both endpoints
TWEET_FIELDS = "created_at,lang,public_metrics,conversation_id,in_reply_to_user_id,referenced_tweets,entities"
USER_FIELDS = "username,name,public_metrics"
TWITTER_EPOCH_MS = 1288834974657  # post ids are snowflakes: milliseconds since this moment, shifted left 22 bits
# Recent search answers 400 to a since_id older than its 7-day window: a source paused that long starts afresh.
SEARCH_WINDOW = timedelta(days=7) - timedelta(hours=1)


class XFetcher:
    kind = "x"

    def __init__(self, transport: Transport | None = None, base_url: str = "https://api.x.com") -> None:
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
        moment = datetime.fromtimestamp(now, tz=timezone.utc)
        resumable = since_id is not None and (mode == "mentions" or _snowflake_time(since_id) > moment - SEARCH_WINDOW)
        params |= {"max_results": str(PAGE_SIZE), "tweet.fields": TWEET_FIELDS, "expansions": "author_id",
                   "user.fields": USER_FIELDS, **({"since_id": since_id} if resumable else {})}
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
        url=f"https://x.com/{username}/status/{post_id}" if user.get("username") else f"https://x.com/i/web/status/{post_id}",
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
    return datetime.fromtimestamp(((int(post_id) >> 22) + TWITTER_EPOCH_MS) / 1000, tz=timezone.utc)
