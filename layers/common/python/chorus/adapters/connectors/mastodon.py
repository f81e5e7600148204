"""Mastodon (any instance): REST API v1 with a user access token.

Mastodon honours `Idempotency-Key` on `POST /api/v1/statuses` for about an hour, so a retry with the same key
returns the first status instead of posting twice (snac2 and some other servers ignore it: the publisher still
reconciles). Status `content` is HTML; recent posts are turned back into the plain text that was posted.
"""
from __future__ import annotations

import time
from html.parser import HTMLParser
from urllib.parse import quote, urlencode

from chorus.adapters.connectors.base import PermanentFailure, Published, PublishRequest, RecentPost
from chorus.adapters.connectors.transport import Clock, Response, Transport, raise_for_outcome, shared_transport

MAX_PAGE = 40  # the API's maximum `limit` for account statuses


class MastodonConnector:
    platform = "mastodon"

    def __init__(self, base_url: str, access_token: str, transport: Transport | None = None, clock: Clock | None = None) -> None:
        self._base_url = base_url.rstrip("/")
        self._token = access_token
        self._transport = transport or shared_transport()
        self._clock = clock or time.time
        self._account_id: str | None = None

    def publish(self, request: PublishRequest) -> Published:
        form = {"status": request.text, "visibility": "public"}
        if request.in_reply_to:
            form["in_reply_to_id"] = request.in_reply_to
        status = self._call(
            "POST",
            "/api/v1/statuses",
            body=urlencode(form).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Idempotency-Key": request.idempotency_key},
        ).json()
        return Published(platform_id=str(status["id"]), url=status.get("url") or status.get("uri"))

    def delete(self, platform_id: str) -> None:
        """A 404 means gone, unless the status can still be read: some servers (snac) cannot delete through the API."""
        path = f"/api/v1/statuses/{quote(platform_id, safe='')}"
        if self._call("DELETE", path, missing_ok=True).status == 404 and self._call("GET", path, missing_ok=True).status != 404:
            raise PermanentFailure("the server answered 404 to DELETE but still has the status: it cannot delete through its API")

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        if self._account_id is None:
            self.verify_credentials()
        query = urlencode({"limit": max(1, min(limit, MAX_PAGE)), "exclude_replies": "false", "exclude_reblogs": "true"})
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

    def _call(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None,
              missing_ok: bool = False) -> Response:
        response = self._transport.request(
            method, self._base_url + path, headers={"Authorization": f"Bearer {self._token}", **(headers or {})}, body=body
        )
        if missing_ok and response.status == 404:  # already gone: deleting twice is not an error
            return response
        return raise_for_outcome(method, response, self._clock())


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
