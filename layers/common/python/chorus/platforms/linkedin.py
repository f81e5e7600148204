"""LinkedIn organisation pages: the versioned Posts API (`/rest/posts`).

Every call carries `LinkedIn-Version` (there is no default and old versions are sunset) and
`X-Restli-Protocol-Version: 2.0.0`. `commentary` is "little text": its reserved characters must be escaped or
LinkedIn reads them as markup (or refuses the post), and are unescaped again when recent posts are read back.
The new post's URN comes in the `x-restli-id` header of an empty 201. LinkedIn has no idempotency key and posts
cannot be replies (comments are another API), so `in_reply_to` is refused. Photos go up through the Images API
first and the post names them with their alt text (`content.media`, or `content.multiImage` for 2 to 20); Chorus
does not send video to LinkedIn. `metrics` reads our posts' lifetime
statistics, 20 a request (`/rest/organizationalEntityShareStatistics`)."""
from __future__ import annotations

import re
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode

from chorus.platforms.base import (
    MediaFile,
    MetricsReading,
    OutcomeUnknown,
    PermanentFailure,
    PostCounts,
    Published,
    PublishRequest,
    RecentPost,
    TransientFailure,
    count,
)
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
        post: dict[str, Any] = {
            "author": self._author,
            "commentary": escape_little_text(request.text),
            "visibility": "PUBLIC",
            "distribution": {
                "feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []
            },
            "lifecycleState": "PUBLISHED",
            "isReshareDisabledByAuthor": False,
        }
        images = [{"id": self._upload_image(file), "altText": file.alt} for file in request.media]
        if len(images) == 1:
            post["content"] = {"media": images[0]}
        elif images:
            post["content"] = {"multiImage": {"images": images}}
        response = self._call("POST", "/rest/posts", json=post)
        urn = response.headers.get("x-restli-id")
        if not urn:  # accepted, so it exists, but we cannot name it: let reconciliation find it
            raise OutcomeUnknown(f"LinkedIn answered {response.status} without the new post's id (x-restli-id)")
        return Published(platform_id=urn, url=post_url(urn))

    def _upload_image(self, file: MediaFile) -> str:
        """The Images API: `initializeUpload` for the page gives an upload URL and the image's URN, then the bytes are
        PUT there; the post names the URN with the alt text (`altText`). Safe to repeat: an unused image is a
        leftover."""
        try:
            started = self._call("POST", "/rest/images?action=initializeUpload",
                                 json={"initializeUploadRequest": {"owner": self._author}}).json() or {}
            value = started.get("value") or {}
            if not value.get("uploadUrl") or not value.get("image"):
                raise PermanentFailure(f"LinkedIn gave no upload URL for {file.filename}")
            uploaded = self._transport.request("PUT", str(value["uploadUrl"]), body=file.data, headers={
                "Authorization": f"Bearer {self._token}", "Content-Type": file.content_type})
            raise_for_outcome("PUT", uploaded, self._clock())
        except OutcomeUnknown as error:
            raise TransientFailure(f"uploading {file.filename} to LinkedIn: {error}") from None
        return str(value["image"])

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

    # ------------------------------------------------------------------------------------------ our posts' metrics
    metrics_batch = 20  # URNs a request: keeps the URL short (LinkedIn states no maximum)

    def metrics(self, platform_ids: Sequence[str]) -> MetricsReading:
        """Lifetime organic statistics of our page's posts: one `GET /rest/organizationalEntityShareStatistics`
        (`q=organizationalEntity`, `shares=List(…)` and `ugcPosts=List(…)`) for up to 20 post URNs: comments, reshares,
        reactions, impressions and clicks. It needs the `rw_organization_admin` permission and an ADMINISTRATOR role
        on the page (a 403 otherwise). LinkedIn leaves out a post it does not know, and keeps 12 months of data."""
        urns = list(dict.fromkeys(platform_ids))[: self.metrics_batch]
        lists = {kind: [u for u in urns if u.startswith(f"urn:li:{kind}:")] for kind in ("share", "ugcPost")}
        if not any(lists.values()):
            return MetricsReading({}, 0)
        query = f"q=organizationalEntity&organizationalEntity={quote(self._author, safe='')}"
        for kind, found in lists.items():
            if found:  # Rest.li 2.0: the list's parentheses and commas stay as they are, each URN is encoded
                query += f"&{kind}s=List({','.join(quote(urn, safe='') for urn in found)})"
        elements = (self._call("GET", f"/rest/organizationalEntityShareStatistics?{query}").json() or {}).get(
            "elements") or []
        counts: dict[str, PostCounts] = {}
        for element in elements:
            urn = (element.get("share") or element.get("ugcPost")) if isinstance(element, dict) else None
            if urn not in urns:
                continue
            total = element.get("totalShareStatistics") or {}
            counts[urn] = PostCounts(
                replies=count(total.get("commentCount")), reposts=count(total.get("shareCount")),
                likes=count(total.get("likeCount")), impressions=count(total.get("impressionCount")),
                link_clicks=count(total.get("clickCount")),
            )
        return MetricsReading(counts, 1)

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
