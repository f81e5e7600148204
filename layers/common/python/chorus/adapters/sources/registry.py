"""One fetcher per source kind, its module imported only when a source of that kind is fetched. A fetcher keeps
what is worth keeping between polls (Bluesky sessions, Reddit tokens): build one per kind and reuse it."""
from __future__ import annotations

from chorus.adapters.connectors.transport import Transport
from chorus.adapters.sources.base import SOURCE_KINDS, BadSetting, Fetcher


def fetcher_for(kind: str, transport: Transport | None = None) -> Fetcher:
    if kind == "rss":
        from chorus.adapters.sources.rss import RssFetcher

        return RssFetcher(transport)
    if kind == "mastodon":
        from chorus.adapters.sources.mastodon import MastodonFetcher

        return MastodonFetcher(transport)
    if kind == "bluesky":
        from chorus.adapters.sources.bluesky import BlueskyFetcher

        return BlueskyFetcher(transport)
    if kind == "x":
        from chorus.adapters.sources.x import XFetcher

        return XFetcher(transport)
    if kind == "reddit":
        from chorus.adapters.sources.reddit import RedditFetcher

        return RedditFetcher(transport)
    raise BadSetting("kind", f"no fetcher for source kind {kind!r}; expected one of {', '.join(SOURCE_KINDS)}")
