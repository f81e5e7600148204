"""Shapes of sources: a source's configuration as people write and edit it (checked against its kind's poll
limits and settings), its fetch state as fetch_mentions writes it, and the bodies of /sources.

A source is one thing to watch (a feed, a Mastodon account or hashtag, a Bluesky, X or Reddit search), tagged with
the facet it watches (brand, company, employees). Its configuration and its fetch state are stored apart, so neither
ever overwrites the other."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chorus.core import time as timing
from chorus.core.errors import ValidationError
from chorus.listening.schemas import Facet
from chorus.platforms.base import SourceKind

SOURCE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
SECRET_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_+=.@-]{0,127}$")  # what Secrets Manager accepts in a name


@dataclass(frozen=True)
class PollLimits:
    minimum: int  # minutes
    default: int
    why: str


# The minimum keeps a source within what the platform allows one account or app, with room for 5 pages per poll.
POLL_LIMITS: dict[str, PollLimits] = {
    "rss": PollLimits(5, 15, "feeds change a few times an hour at most; Google Alerts batches 'as it happens' results"),
    "mastodon": PollLimits(1, 5, "300 requests per 5 minutes per account"),
    "bluesky": PollLimits(1, 5, "3,000 requests per 5 minutes per IP on the AppView; sessions are reused"),
    "x": PollLimits(15, 15, "the Free tier allows one search or mentions request per 15 minutes; every post read "
                            "counts against the monthly cap"),
    "reddit": PollLimits(2, 10, "100 requests per minute per OAuth client, averaged over 10 minutes"),
}
MAX_POLL_MINUTES = 1440
# The settings each kind reads (the fetchers check their values); anything else, a token above all, is refused.
SETTINGS_BY_KIND: dict[str, frozenset[str]] = {
    "rss": frozenset({"url"}),
    "mastodon": frozenset({"instance_url", "mode", "tag", "query"}),
    "bluesky": frozenset({"mode", "query", "service_url"}),
    "x": frozenset({"mode", "query", "user_id"}),
    "reddit": frozenset({"query", "subreddit"}),
}
MAX_ERROR_CHARS = 300


# ---------------------------------------------------------------------------------------------- API bodies
class SourceFields(BaseModel):
    """Everything a person sets on a source. PUT /sources/{id} sends all of it (a replacement, not a patch)."""

    model_config = ConfigDict(extra="forbid")
    kind: SourceKind
    name: str = Field(min_length=1, max_length=100, description="what people call it, e.g. 'Google Alert: gemeente'")
    facet: Facet = Field(description="what it watches: the brand, the company, or employees")
    language: Literal["nl", "en"] | None = Field(default=None, description="the language its posts are in when the "
                                                 "platform does not say")
    poll_minutes: int | None = Field(default=None, ge=1, le=MAX_POLL_MINUTES,
                                     description="minutes between polls; default and minimum depend on the kind")
    enabled: bool = True
    settings: dict[str, str] = Field(default_factory=dict, max_length=10,
                                     description="per kind: rss url; mastodon instance_url, mode, tag, query; bluesky "
                                                 "mode, query, service_url; x mode, query, user_id; reddit query, "
                                                 "subreddit")
    secret: str | None = Field(default=None, description="name of the Secrets Manager secret (under the stack's "
                               "'sources/' prefix) that holds this source's credentials; never the credentials "
                               "themselves")

    def checked(self, source_id: str) -> SourceFields:
        """These fields with the poll interval filled in; ValidationError naming the field otherwise."""
        limits = POLL_LIMITS[self.kind]
        minutes = self.poll_minutes if self.poll_minutes is not None else limits.default
        if minutes < limits.minimum:
            raise ValidationError("poll_minutes", f"{self.kind} sources are polled at most every {limits.minimum} "
                                                  f"minutes ({limits.why})")
        allowed = SETTINGS_BY_KIND[self.kind]
        for name, value in self.settings.items():
            if name not in allowed:
                raise ValidationError(f"settings.{name}", f"{self.kind} sources take the settings "
                                                          f"{', '.join(sorted(allowed))}; credentials go in a secret")
            if len(value) > 2000:
                raise ValidationError(f"settings.{name}", "is longer than 2,000 characters")
        if self.secret is not None:
            if self.kind == "rss":
                raise ValidationError("secret", "rss sources read public feeds and take no credentials")
            if not SECRET_NAME.match(self.secret):
                raise ValidationError("secret", "must be a secret name: letters, digits and /_+=.@- (at most 128)")
        elif self._needs_credentials():
            raise ValidationError("secret",
                                  f"this {self.kind} source needs credentials: name the secret that holds them")
        return self.model_copy(update={"poll_minutes": minutes})

    def _needs_credentials(self) -> bool:
        mode = self.settings.get("mode")
        return (self.kind in ("x", "reddit") or (self.kind == "mastodon" and mode in ("notifications", "search"))
                or (self.kind == "bluesky" and mode == "notifications"))


class SourceCreate(SourceFields):
    id: str | None = Field(default=None, pattern=SOURCE_ID.pattern,
                           description="short slug, e.g. 'alerts-gemeente' (default: generated); a repeat is a 409")


class Source(BaseModel):
    """A source's configuration as stored."""

    id: str
    kind: SourceKind
    name: str
    facet: Facet
    language: Literal["nl", "en"] | None = None
    poll_minutes: int
    enabled: bool = True
    settings: dict[str, str] = Field(default_factory=dict)
    secret: str | None = None
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str

    def fetch_target(self) -> tuple[str, dict[str, str], str | None]:
        """What decides what is fetched: when it changes, the old watermark means nothing any more."""
        return self.kind, self.settings, self.secret


# ---------------------------------------------------------------------------------------------- fetch state
class FetchState(BaseModel):
    """What the last polls of a source did. Written only by fetch_mentions, under its lease."""

    last_fetched_at: str | None = Field(default=None, description="when the last poll ended, successful or not")
    last_success_at: str | None = None
    last_error: str | None = Field(default=None, description="why the last poll failed; null after a success")
    consecutive_failures: int = 0
    items_last_run: int = Field(default=0, description="mentions queued by the last successful poll")
    requests_last_run: int = 0
    capped: bool = Field(default=False, description="the last poll read its page cap while more was waiting")
    not_modified: bool = Field(default=False, description="the feed answered 304 Not Modified")
    duration_ms: int = 0

    def succeeded(self, now: datetime, *, items: int, requests: int, capped: bool, not_modified: bool,
                  duration_ms: int) -> FetchState:
        stamp = timing.iso_utc(now)
        return FetchState(last_fetched_at=stamp, last_success_at=stamp, items_last_run=items,
                          requests_last_run=requests,
                          capped=capped, not_modified=not_modified, duration_ms=duration_ms)

    def failed(self, now: datetime, error: str, *, duration_ms: int, counts: bool = True) -> FetchState:
        """`counts=False` for a rate limit: the source is fine, the platform asked for a pause."""
        return self.model_copy(update={
            "last_fetched_at": timing.iso_utc(now), "last_error": error[:MAX_ERROR_CHARS], "duration_ms": duration_ms,
            "consecutive_failures": self.consecutive_failures + (1 if counts else 0),
        })


# ---------------------------------------------------------------------------------------------- responses
class FetchStatus(FetchState):
    next_poll_at: str | None = Field(default=None, description="when it is polled next; null when disabled")
    fetching_until: str | None = Field(default=None, description="a poll is running (its lease ends then)")


class SourceView(Source):
    fetch: FetchStatus
    version: int = Field(default=1, description="changes with every edit of the settings (not with fetching): the "
                                                "ETag; send it as If-Match with PUT")


class SourceList(BaseModel):
    items: list[SourceView]
    next_cursor: str | None = Field(default=None, description="always null: the whole list is one page")
