"""Mastodon (any instance with the Mastodon client API): mentions of our account, a hashtag timeline, or a search.

Modes:
- `notifications`: `GET /api/v1/notifications?types[]=mention` with the account's token.
- `hashtag`: `GET /api/v1/timelines/tag/:tag` (public on most instances; the token is sent when there is one).
- `search`: `GET /api/v2/search?type=statuses`. Full-text search of statuses needs a token, and an instance with a
  search backend; without one the instance only finds statuses its users interacted with.

The watermark is the newest id seen (notification id, or status id). `min_id` asks for the items just after it,
oldest page first, so following pages forward never skips anything and a capped poll resumes where it stopped.
Search pages by `offset` instead. Ids are compared client-side too: not every server honours `min_id`.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from chorus.adapters.connectors.base import Credentials, PermanentFailure
from chorus.adapters.connectors.mastodon import html_to_text
from chorus.adapters.connectors.transport import Transport, raise_for_outcome, shared_transport
from chorus.adapters.sources.base import (
    MAX_PAGES,
    CountingTransport,
    FetchResult,
    SourceSpec,
    count,
    http_url_setting,
    id_order,
    mode_of,
    parse_time,
    primary_language,
    required_credential,
    required_setting,
)
from chorus.domain.mentions import Author, Engagement, Mention

MODES = ("notifications", "hashtag", "search")
PAGE_SIZE = 40  # the API's maximum `limit` for notifications, timelines and search


@dataclass(frozen=True)
class _Found:
    order_id: str  # what the watermark and `min_id` count in: the notification id, or the status id
    status: dict[str, Any]


class MastodonFetcher:
    kind = "mastodon"

    def __init__(self, transport: Transport | None = None) -> None:
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
        cursor = {"min_id": last_id} if last_id else {}
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
