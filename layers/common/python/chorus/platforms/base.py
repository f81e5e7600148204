"""What every platform module shares: the interfaces (a `Connector` acts as a channel's account, a `Fetcher` polls a
source for mentions), the outcomes the publisher and `fetch_mentions` act on, and the shapes they exchange.

- Publishing: a channel's Credentials (and the SecretStore that rotated tokens are written back to), PublishRequest
  with its MediaFiles, Published, RecentPost, and the outcomes RateLimited, TransientFailure, OutcomeUnknown,
  PermanentFailure and CredentialsRejected (transport.py maps HTTP failures to them).
- Listening: one Mention shape for every platform, whatever fetched or forwarded it; the SourceSpec a fetcher polls
  and its FetchResult; settings checks (BadSetting); the two kinds of watermark (an id the platform pages from, or a
  TimeMark: a time plus the keys seen at that time).
- Share tracking: PublicPost and Reading, a publisher's recent public posts as MastodonReader and BlueskyReader read
  them.
- Our posts' metrics: a MetricsReader (a connector that can) reads PostCounts of the channel's own published posts
  in batches, for collect_post_metrics.

A fetcher turns one poll of one source into normalised mentions and the next watermark. It never sleeps, retries
or logs: outcomes are the connectors' exceptions (RateLimited with the platform's delay, CredentialsRejected,
TransientFailure, PermanentFailure), and the scheduled function decides what to do with them."""
from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Credentials:
    """What a connector needs to act as the channel's account (read from Secrets Manager, never logged)."""

    values: dict[str, str] = field(repr=False)

    def get(self, name: str) -> str | None:
        return self.values.get(name)


class SecretStore(Protocol):
    """Where a channel's credentials live. Platforms that rotate tokens (X refresh tokens are single-use) write the
    new ones back, and re-read them when another instance rotated first."""

    def load(self) -> dict[str, str]: ...

    def save(self, values: dict[str, str]) -> None: ...


@dataclass(frozen=True)
class MediaFile:
    """A photo or video to attach, with its alt text, read from the media library (or, for the local outbox only, a
    link as it is: `data` empty)."""

    key: str  # where it came from: a media library key, or a link
    alt: str
    content_type: str
    data: bytes = field(default=b"", repr=False)

    @property
    def filename(self) -> str:
        return self.key.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1] or "media"


@dataclass(frozen=True)
class PublishRequest:
    text: str
    idempotency_key: str  # stable per (post, channel): the same key for every retry of the same delivery
    # Uploading a file is safe to repeat (an unused upload is a leftover); creating the post is the idempotent step.
    media: tuple[MediaFile, ...] = ()
    in_reply_to: str | None = None  # platform id of the post this replies to


@dataclass(frozen=True)
class Published:
    platform_id: str
    url: str | None


@dataclass(frozen=True)
class RecentPost:
    platform_id: str
    url: str | None
    text: str
    created_at: str | None  # ISO 8601 as the platform gave it
    in_reply_to: str | None = None  # the post it replies to, where the platform says (the local outbox does)
    media: tuple[tuple[str, str], ...] = ()  # (key, alt text) of each attachment, where kept (the local outbox)


class PublishError(Exception):
    """Base of the outcomes that are not a success."""


class RateLimited(PublishError):
    """The platform said 429 (or its limit is used up): retry after `retry_after` seconds, nothing was posted."""

    def __init__(self, retry_after: float, message: str = "rate limited") -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientFailure(PublishError):
    """Nothing was posted (connection refused, 5xx before acceptance): safe to retry with backoff."""


class OutcomeUnknown(PublishError):
    """The request may have reached the platform but no answer came: reconcile with recent_posts before retrying."""


class PermanentFailure(PublishError):
    """The platform refused the post for good (validation, forbidden content): do not retry."""


class CredentialsRejected(PermanentFailure):
    """The token expired or was revoked: the channel needs to be reconnected by its owner."""


class Connector(Protocol):
    platform: str

    def publish(self, request: PublishRequest) -> Published: ...

    def delete(self, platform_id: str) -> None: ...

    def recent_posts(self, limit: int = 20) -> list[RecentPost]: ...

    def verify_credentials(self) -> str: ...


# `local` is the demo and test network of the `local` channel platform: mentions there can be answered from its
# outbox.
MentionPlatform = Literal["rss", "mastodon", "bluesky", "x", "reddit", "local", "other"]


@dataclass(frozen=True)
class Author:
    handle: str
    name: str | None = None
    followers: int | None = None  # None: the platform did not say (RSS, a forwarded mention without it)
    url: str | None = None


@dataclass(frozen=True)
class Engagement:
    replies: int = 0
    reposts: int = 0
    likes: int = 0


@dataclass(frozen=True)
class Mention:
    """A normalised mention. `platform` + `platform_id` identify it; `conversation` groups replies and cross-posts."""

    platform: MentionPlatform
    platform_id: str
    text: str
    created_at: datetime  # timezone-aware
    author: Author
    url: str | None = None
    title: str | None = None  # RSS/Atom entries and Reddit submissions have one
    language_hint: str | None = None  # what the platform or the source says ("nl", "en"); detection may overrule it
    engagement: Engagement = field(default_factory=Engagement)
    in_reply_to: str | None = None  # platform id of the parent post
    thread_root: str | None = None  # platform id of the conversation's first post (X conversation_id, Bluesky root)
    source_id: str | None = None  # the Chorus source that found it; None when posted to the API
    forwarded_by: str | None = None  # username of the employee who forwarded it
    forwarded_to: str | None = None  # the team the employee forwarded it to: routing adds that team
    forward_note: str | None = None  # what the employee told that team (kept as an internal note)

    @property
    def key(self) -> str:
        return f"{self.platform}#{self.platform_id}"

    @property
    def id(self) -> str:
        return mention_id(self.platform, self.platform_id)

    def with_source(self, source_id: str) -> Mention:
        return replace(self, source_id=source_id)


def mention_id(platform: str, platform_id: str) -> str:
    """Chorus's id of a mention: the same for the same post however often it arrives, and safe in a URL (platform
    ids are not: Bluesky's are at:// URIs)."""
    return "m" + hashlib.sha256(f"{platform}#{platform_id}".encode()).hexdigest()[:24]


SourceKind = Literal["rss", "mastodon", "bluesky", "x", "reddit"]
SOURCE_KINDS: tuple[SourceKind, ...] = ("rss", "mastodon", "bluesky", "x", "reddit")
MAX_PAGES = 5  # per poll: a backlog bigger than this is left for the next poll (or skipped, see FetchResult.capped)
MAX_SEEN_KEYS = 100  # keys kept in a time watermark: enough for the entries that share one timestamp


@dataclass(frozen=True)
class SourceSpec:
    """What a fetcher needs to know about a configured source. `settings` per kind: see docs/listening.md, "Sources"."""

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
        raise BadSetting(
            name, f"the {spec.kind} source {spec.id!r} has setting {name!r} {url!r}: expected an http(s) URL"
        )
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
            mark["newest"] = self.newest.astimezone(UTC).isoformat().replace("+00:00", "Z")
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
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def primary_language(tag: str | None) -> str | None:
    """"nl-NL" → "nl"; "und" (X: undetermined) and empty → None."""
    primary = (tag or "").strip().split("-")[0].split("_")[0].lower()
    return primary if primary.isalpha() and primary != "und" else None


def count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


@dataclass(frozen=True)
class PublicPost:
    id: str  # Mastodon status id, or the Bluesky post's at:// URI
    url: str  # where people see it
    created_at: datetime
    links: tuple[str, ...]  # every URL the post carries: in its text, its link card
    replies: int
    author: str | None = None  # its account as profiles spell it: @user@instance (Mastodon), name.host (Bluesky)


@dataclass(frozen=True)
class Reading:
    posts: list[PublicPost]  # new since the watermark, oldest first
    watermark: dict[str, str]  # store it and pass it back next time


# ---------------------------------------------------------------------------------------------- our posts' metrics
@dataclass(frozen=True)
class PostCounts:
    """How one of our own published posts does, as its platform counts it at the time of reading. None: the platform
    does not give that number (Mastodon and Bluesky show no impressions; link clicks need the account's own token)."""

    replies: int
    reposts: int  # boosts (Mastodon), reposts (Bluesky, X), reshares (LinkedIn)
    likes: int  # favourites (Mastodon), likes, reactions (LinkedIn)
    quotes: int | None = None
    impressions: int | None = None
    link_clicks: int | None = None  # X: url_link_clicks; LinkedIn: clicks on the post (clickCount)


@dataclass(frozen=True)
class MetricsReading:
    counts: dict[str, PostCounts]  # by platform id; an id left out is not (or no longer) visible on the platform
    requests: int  # HTTP requests made for this batch


@runtime_checkable
class MetricsReader(Protocol):
    """A connector that reads the counts of the channel's own published posts, `metrics_batch` posts a request at
    most. It raises the same outcomes as publishing (RateLimited with the platform's delay, TransientFailure,
    CredentialsRejected, PermanentFailure); it never retries or sleeps."""

    platform: str
    metrics_batch: int

    def metrics(self, platform_ids: Sequence[str]) -> MetricsReading: ...
