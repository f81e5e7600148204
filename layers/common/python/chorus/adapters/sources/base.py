"""The interface every source fetcher implements, and what fetchers share: settings checks, request counting, the
two kinds of watermark (an id the platform pages from, or a time plus the keys seen at that time).

A fetcher turns one poll of one source into normalised mentions and the next watermark. It never sleeps, retries
or logs: outcomes are the connectors' exceptions (RateLimited with the platform's delay, CredentialsRejected,
TransientFailure, PermanentFailure), and the scheduled function decides what to do with them.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol
from urllib.parse import urlsplit

from chorus.adapters.connectors.base import Credentials, CredentialsRejected
from chorus.adapters.connectors.transport import Response, Transport
from chorus.domain.mentions import Mention
from chorus.domain.sources import SourceKind

SOURCE_KINDS: tuple[SourceKind, ...] = ("rss", "mastodon", "bluesky", "x", "reddit")
MAX_PAGES = 5  # per poll: a backlog bigger than this is left for the next poll (or skipped, see FetchResult.capped)
MAX_SEEN_KEYS = 100  # keys kept in a time watermark: enough for the entries that share one timestamp


@dataclass(frozen=True)
class SourceSpec:
    """What a fetcher needs to know about a configured source. `settings` per kind: see the README, "Sources"."""

    id: str
    kind: SourceKind
    settings: Mapping[str, str]
    language_hint: str | None = None


@dataclass(frozen=True)
class FetchResult:
    mentions: list[Mention]  # oldest first
    watermark: dict[str, str]  # store it and pass it back next time; unchanged when nothing new was seen
    requests: int  # HTTP requests made, token and session requests included
    not_modified: bool = False  # the feed answered 304 to the conditional GET
    capped: bool = False  # MAX_PAGES were read and more was waiting: a burst bigger than the cap was not all read


class Fetcher(Protocol):
    kind: SourceKind

    def fetch(self, spec: SourceSpec, watermark: Mapping[str, str], credentials: Credentials | None,
              now: float) -> FetchResult: ...

    def check(self, spec: SourceSpec) -> None:
        """BadSetting when `fetch` would refuse these settings; no request is made (the API checks before saving)."""


class BadSetting(ValueError):
    """A source's settings cannot be fetched with (a required setting missing, an unknown mode)."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(message)
        self.setting = setting


# ---------------------------------------------------------------------------------------------- settings
def required_setting(spec: SourceSpec, name: str) -> str:
    value = (spec.settings.get(name) or "").strip()
    if not value:
        raise BadSetting(name, f"the {spec.kind} source {spec.id!r} needs the setting {name!r}")
    return value


def http_url_setting(spec: SourceSpec, name: str) -> str:
    url = required_setting(spec, name)
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise BadSetting(name, f"the {spec.kind} source {spec.id!r} has setting {name!r} {url!r}: expected an http(s) URL")
    return url


def mode_of(spec: SourceSpec, modes: tuple[str, ...]) -> str:
    mode = required_setting(spec, "mode")
    if mode not in modes:
        raise BadSetting("mode", f"the {spec.kind} source {spec.id!r} has setting 'mode' {mode!r}; "
                                 f"expected one of {', '.join(modes)}")
    return mode


def required_credential(spec: SourceSpec, credentials: Credentials | None, name: str, why: str = "") -> str:
    """CredentialsRejected (not BadSetting): the owner must connect an account, as for a channel."""
    value = credentials.get(name) if credentials else None
    if not value:
        raise CredentialsRejected(f"the {spec.kind} source {spec.id!r} needs credentials with {name!r}{why}")
    return value


# ---------------------------------------------------------------------------------------------- HTTP
class CountingTransport:
    """The injected transport, counting requests: `FetchResult.requests` is the difference across one fetch."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.count = 0

    def request(self, method: str, url: str, headers: Mapping[str, str] | None = None, body: bytes | None = None,
                json: Any = None) -> Response:
        self.count += 1
        return self._transport.request(method, url, headers=headers, body=body, json=json)


# ---------------------------------------------------------------------------------------------- watermarks
def id_order(platform_id: str) -> tuple[int, str]:
    """Mastodon and X ids are numbers as strings that grow longer over time: compare by length, then by text."""
    return len(platform_id), platform_id


@dataclass(frozen=True)
class TimeMark:
    """For APIs without "since this id": the newest time seen and (hashed) the keys seen at exactly that time.

    An item is new if it is later than `newest`, or at `newest` with a key not seen. Items without a time (some
    RSS entries) are new until their key is seen; their keys are kept for as long as they are still served.
    """

    newest: datetime | None = None
    seen: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def read(cls, watermark: Mapping[str, str]) -> TimeMark:
        newest = parse_time(watermark.get("newest"))
        return cls(newest, frozenset(filter(None, (watermark.get("seen") or "").split(","))))

    def admits(self, moment: datetime | None, key: str) -> bool:
        if _digest(key) in self.seen:
            return False
        return moment is None or self.newest is None or moment >= self.newest

    def advanced(self, served: Iterable[tuple[datetime | None, str]]) -> TimeMark:
        """The mark after a poll that was served these (time, key) pairs, all of them, new or not."""
        served = list(served)
        newest = max([moment for moment, _ in served if moment is not None] + ([self.newest] if self.newest else []),
                     default=None)
        keys = sorted({_digest(key) for moment, key in served if moment is None or moment == newest})
        return TimeMark(newest, frozenset(keys[:MAX_SEEN_KEYS]))

    def written(self) -> dict[str, str]:
        if self.newest is None and not self.seen:
            return {}
        mark = {"seen": ",".join(sorted(self.seen))}
        if self.newest is not None:
            mark["newest"] = self.newest.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
        return mark


def _digest(key: str) -> str:
    """64 bits of SHA-256: keys can be long URLs, and the watermark is stored with the source."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


# ---------------------------------------------------------------------------------------------- values
def parse_time(value: Any) -> datetime | None:
    """An ISO 8601 / RFC 3339 time with a zone (a zoneless one is UTC); None when absent or unreadable."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def primary_language(tag: str | None) -> str | None:
    """"nl-NL" → "nl"; "und" (X: undetermined) and empty → None."""
    primary = (tag or "").strip().split("-")[0].split("_")[0].lower()
    return primary if primary.isalpha() and primary != "und" else None


def count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0
