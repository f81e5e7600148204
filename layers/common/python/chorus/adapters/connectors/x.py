"""X (formerly Twitter): API v2 with an OAuth 2 user-context bearer token.

Access tokens live two hours. With the `offline.access` scope X also issues a refresh token, which is single-use:
every refresh returns a new one. The connector refreshes a minute before `expires_at` (or once after a 401), writes
both tokens back to the channel's secret at once, and when X refuses a refresh token it re-reads the secret first
(another Lambda may have rotated it) before it gives up and asks the owner to reconnect.

X has no idempotency key, so a lost answer to `POST /2/tweets` can only be settled by reading the account's recent
posts: that is why the publisher reconciles. X rewrites posted text (links become t.co links, `&`, `<` and `>` come
back HTML-escaped), so recent posts ask for `entities` and undo both, or reconciliation would never match a post
with a link in it.
"""
from __future__ import annotations

import base64
import html
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from chorus.adapters.connectors.base import (
    CredentialsRejected,
    OutcomeUnknown,
    PermanentFailure,
    Published,
    PublishRequest,
    RecentPost,
    SecretStore,
    TransientFailure,
)
from chorus.adapters.connectors.transport import (
    Clock,
    Response,
    Transport,
    error_message,
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
    def from_secret(cls, values: dict[str, str]) -> "XTokens":
        expires = values.get("expires_at")
        return cls(values.get("access_token") or "", values.get("refresh_token") or None, values.get("client_id") or None,
                   values.get("client_secret") or None, float(expires) if expires else None)

    @property
    def refreshable(self) -> bool:
        return bool(self.refresh_token and self.client_id)


class XConnector:
    platform = "x"

    def __init__(self, tokens: XTokens | str, transport: Transport | None = None, base_url: str = "https://api.x.com",
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
        if self._tokens.refreshable and (self._tokens.expires_at or 0) - self._clock() < REFRESH_MARGIN_SECONDS:
            self._refresh()
        response = self._send(method, path, json)
        if response.status == 401 and self._tokens.refreshable:
            self._refresh()  # a 401 was not acted on, so sending the same request again cannot post twice
            response = self._send(method, path, json)
        if missing_ok and response.status == 404:  # already gone: deleting twice is not an error
            return response
        return raise_for_outcome(method, response, self._clock())

    def _send(self, method: str, path: str, json: Any) -> Response:
        return self._transport.request(
            method, self._base_url + path, headers={"Authorization": f"Bearer {self._tokens.access_token}"}, json=json
        )

    def _refresh(self) -> None:
        tokens = self._tokens
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if tokens.client_secret:
            pair = f"{tokens.client_id}:{tokens.client_secret}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        body = urlencode({"grant_type": "refresh_token", "refresh_token": tokens.refresh_token, "client_id": tokens.client_id})
        try:
            response = self._transport.request("POST", self._base_url + "/2/oauth2/token", headers=headers, body=body.encode())
        except OutcomeUnknown as error:
            raise TransientFailure(f"X token refresh: {error}") from None  # nothing was posted; the next try refreshes again
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
            data["access_token"], data.get("refresh_token") or tokens.refresh_token, tokens.client_id, tokens.client_secret,
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
