"""LinkedIn organisation pages: the versioned Posts API (`/rest/posts`).

Every call carries `LinkedIn-Version` (there is no default and old versions are sunset) and
`X-Restli-Protocol-Version: 2.0.0`. `commentary` is "little text": its reserved characters must be escaped or
LinkedIn reads them as markup (or refuses the post), and are unescaped again when recent posts are read back.
The new post's URN comes in the `x-restli-id` header of an empty 201. LinkedIn has no idempotency key and posts
cannot be replies (comments are another API), so `in_reply_to` is refused."""
from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from chorus.platforms.base import OutcomeUnknown, PermanentFailure, Published, PublishRequest, RecentPost
from chorus.platforms.transport import Clock, HttpClient, Response, raise_for_outcome, shared_transport

BASE_URL = "https://api.linkedin.com"
MAX_PAGE = 100
# The reserved characters of LinkedIn's little text format, plus the backslash itself (the escape character must be
# escaped too). `#` stays as typed so hashtags still work; it is unescaped on the way back in case another client
# escaped it.
_RESERVED = re.compile(r"([\\()\[\]{}<>@|~_*])")
# Read back left to right: an escaped character, or a hashtag template LinkedIn made of a typed `#tag`.
_LITTLE_TEXT_TOKEN = re.compile(r"\\([\\()\[\]{}<>@|~_*#])|\{hashtag\|\\?[#＃]\|([^}]*)\}")


class LinkedInConnector:
    platform = "linkedin"

    def __init__(self, access_token: str, organization_urn: str, transport: HttpClient | None = None,
                 version: str = "202511", clock: Clock | None = None) -> None:
        self._token = access_token
        self._author = organization_urn
        self._transport = transport or shared_transport()
        self._version = version
        self._clock = clock or time.time

    def publish(self, request: PublishRequest) -> Published:
        if request.in_reply_to:
            raise PermanentFailure("LinkedIn posts cannot reply to another post (that is a comment, not supported)")
        response = self._call("POST", "/rest/posts", json={
            "author": self._author,
            "commentary": escape_little_text(request.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        })
        urn = response.headers.get("x-restli-id")
        if not urn:  # accepted, so it exists, but we cannot name it: let reconciliation find it
            raise OutcomeUnknown(f"LinkedIn answered {response.status} without the new post's id (x-restli-id)")
        return Published(platform_id=urn, url=post_url(urn))

    def delete(self, platform_id: str) -> None:
        self._call("DELETE", f"/rest/posts/{quote(platform_id, safe='')}", method_header="DELETE", missing_ok=True)

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        query = urlencode({"q": "author", "author": self._author, "count": max(1, min(limit, MAX_PAGE))})
        found = self._call("GET", f"/rest/posts?{query}", method_header="FINDER").json() or {}
        elements = found.get("elements") or []
        return [
            RecentPost(
                platform_id=element["id"],
                url=post_url(element["id"]),
                text=unescape_little_text(element.get("commentary") or ""),
                created_at=_iso_from_millis(element.get("publishedAt") or element.get("createdAt")),
            )
            for element in elements[:limit]
        ]

    def verify_credentials(self) -> str:
        """The organisation's vanity name (its page handle); reading it needs an admin role on the page."""
        organization_id = self._author.rsplit(":", 1)[-1]
        organization = self._call("GET", f"/rest/organizations/{quote(organization_id, safe='')}").json() or {}
        return f"@{organization.get('vanityName') or organization.get('localizedName') or self._author}"

    def _call(self, method: str, path: str, json: Any = None, method_header: str | None = None,
              missing_ok: bool = False) -> Response:
        headers = {
            "Authorization": f"Bearer {self._token}",
            "LinkedIn-Version": self._version,
            "X-Restli-Protocol-Version": "2.0.0",
        }
        if method_header:
            headers["X-RestLi-Method"] = method_header
        response = self._transport.request(method, BASE_URL + path, headers=headers, json=json)
        if missing_ok and response.status == 404:  # already gone: deleting twice is not an error
            return response
        return raise_for_outcome(method, response, self._clock())


def post_url(urn: str) -> str:
    return f"https://www.linkedin.com/feed/update/{urn}"


def escape_little_text(text: str) -> str:
    return _RESERVED.sub(r"\\\1", text)


def unescape_little_text(text: str) -> str:
    return _LITTLE_TEXT_TOKEN.sub(lambda m: m.group(1) if m.group(1) is not None else f"#{m.group(2)}", text)


def _iso_from_millis(millis: Any) -> str | None:
    """LinkedIn gives epoch milliseconds; the rest of Chorus compares ISO 8601 strings."""
    if not isinstance(millis, (int, float)):
        return None
    moment = datetime.fromtimestamp(millis / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
