"""RSS and Atom feeds (Google Alerts feeds included), fetched with a conditional GET.

The watermark holds the feed's validators (ETag, Last-Modified: a 304 costs the server nothing and us no parsing)
and a TimeMark over the entries' publication times, so an entry served again is not a new mention.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import urljoin, urlsplit

from chorus.adapters.connectors.base import Credentials, PermanentFailure
from chorus.adapters.connectors.transport import Response, Transport, raise_for_outcome, shared_transport
from chorus.adapters.sources.base import (
    CountingTransport,
    FetchResult,
    SourceSpec,
    TimeMark,
    http_url_setting,
    primary_language,
)
from chorus.domain.feeds import FeedEntry, FeedError, parse_feed
from chorus.domain.mentions import Author, Mention

MAX_REDIRECTS = 3  # feeds move (http → https, a new path); the transport itself never follows redirects
REDIRECTS = frozenset({301, 302, 303, 307, 308})
ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.1"


class RssFetcher:
    kind = "rss"

    def __init__(self, transport: Transport | None = None) -> None:
        self._transport = CountingTransport(transport or shared_transport())

    def check(self, spec: SourceSpec) -> None:
        http_url_setting(spec, "url")

    def fetch(self, spec: SourceSpec, watermark: Mapping[str, str], credentials: Credentials | None,
              now: float) -> FetchResult:
        url = http_url_setting(spec, "url")
        started = self._transport.count
        response = self._get(url, watermark, now)
        if response.status == 304:
            return FetchResult([], dict(watermark), self._transport.count - started, not_modified=True)
        try:
            entries = parse_feed(response.body)
        except FeedError as error:
            raise PermanentFailure(f"the rss source {spec.id!r} did not serve a feed: {error}") from None

        fetched_at = datetime.fromtimestamp(now, tz=timezone.utc)
        # A date in the future is a mistake, and as the newest time it would hide every real entry after it.
        unique = {entry.key: replace(entry, published=min(entry.published, fetched_at) if entry.published else None)
                  for entry in reversed(entries)}.values()  # a key repeated in the document: the first one wins
        mark = TimeMark.read(watermark)
        mentions = [_mention(spec, entry, fetched_at) for entry in unique if mark.admits(entry.published, entry.key)]
        next_mark = mark.advanced((entry.published, entry.key) for entry in unique)
        validators = {name: response.headers[header] for name, header in (("etag", "ETag"), ("last_modified", "Last-Modified"))
                      if response.headers.get(header)}
        return FetchResult(
            mentions=sorted(mentions, key=lambda mention: mention.created_at),
            watermark={**next_mark.written(), **validators},
            requests=self._transport.count - started,
        )

    def _get(self, url: str, watermark: Mapping[str, str], now: float) -> Response:
        headers = {"Accept": ACCEPT}
        if watermark.get("etag"):
            headers["If-None-Match"] = watermark["etag"]
        if watermark.get("last_modified"):
            headers["If-Modified-Since"] = watermark["last_modified"]
        for _ in range(MAX_REDIRECTS + 1):
            response = self._transport.request("GET", url, headers=headers)
            location = response.headers.get("Location")
            if response.status not in REDIRECTS or not location:
                break
            url = urljoin(url, location)
        if response.status == 304:
            return response
        return raise_for_outcome("GET", response, now)


def _mention(spec: SourceSpec, entry: FeedEntry, fetched_at: datetime) -> Mention:
    """The site is the speaker (a feed entry's author, when named, is a person at that site)."""
    site = urlsplit(entry.link or "")
    return Mention(
        platform="rss",
        platform_id=entry.key,
        text=entry.summary or entry.title,
        created_at=entry.published or fetched_at,
        author=Author(handle=site.hostname or spec.id, name=entry.author,
                      url=f"{site.scheme}://{site.netloc}" if site.hostname else None),
        url=entry.link,
        title=entry.title or None,
        language_hint=primary_language(entry.language) or spec.language_hint,
        source_id=spec.id,
    )
