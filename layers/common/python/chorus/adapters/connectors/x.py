"""X (formerly Twitter): API v2 with an OAuth 2 user-context bearer token.

X has no idempotency key, so a lost answer to `POST /2/tweets` can only be settled by reading the account's recent
posts: that is why the publisher reconciles. X rewrites posted text (links become t.co links, `&`, `<` and `>` come
back HTML-escaped), so recent posts ask for `entities` and undo both, or reconciliation would never match a post
with a link in it.
"""
from __future__ import annotations

import html
import time
from typing import Any
from urllib.parse import quote, urlencode

from chorus.adapters.connectors.base import PermanentFailure, Published, PublishRequest, RecentPost
from chorus.adapters.connectors.transport import (
    Clock,
    Response,
    Transport,
    error_message,
    raise_for_outcome,
    shared_transport,
)

MIN_PAGE, MAX_PAGE = 5, 100  # `max_results` bounds of GET /2/users/:id/tweets


class XConnector:
    platform = "x"

    def __init__(self, access_token: str, transport: Transport | None = None, base_url: str = "https://api.x.com",
                 clock: Clock | None = None) -> None:
        self._token = access_token
        self._transport = transport or shared_transport()
        self._base_url = base_url.rstrip("/")
        self._clock = clock or time.time
        self._user_id: str | None = None

    def publish(self, request: PublishRequest) -> Published:
        payload: dict[str, Any] = {"text": request.text}
        if request.in_reply_to:
            payload["reply"] = {"in_reply_to_tweet_id": request.in_reply_to}
        response = self._call("POST", "/2/tweets", json=payload)
        data = (response.json() or {}).get("data") or {}
        if not data.get("id"):  # X can answer 2xx with only `errors`
            raise PermanentFailure(f"X created no post: {error_message(response)}")
        return Published(platform_id=str(data["id"]), url=f"https://x.com/i/web/status/{data['id']}")

    def delete(self, platform_id: str) -> None:
        self._call("DELETE", f"/2/tweets/{quote(platform_id, safe='')}", missing_ok=True)

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        if self._user_id is None:
            self.verify_credentials()
        query = urlencode({
            "max_results": max(MIN_PAGE, min(limit, MAX_PAGE)), "tweet.fields": "created_at,entities", "exclude": "retweets",
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

    def _call(self, method: str, path: str, json: Any = None, missing_ok: bool = False) -> Response:
        response = self._transport.request(
            method, self._base_url + path, headers={"Authorization": f"Bearer {self._token}"}, json=json
        )
        if missing_ok and response.status == 404:  # already gone: deleting twice is not an error
            return response
        return raise_for_outcome(method, response, self._clock())


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
