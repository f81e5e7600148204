"""In-memory stand-ins for the ports of the sources and fetching services, with the store's conditional semantics
(due, claim under a lease, finish only by the lease holder, edits at a revision)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chorus.core import time as timing
from chorus.listening.sources.rules import LEASE, EditPlan, StoredSource
from chorus.listening.sources.schemas import FetchState, Source
from chorus.listening.sources.service import MentionQueue, SourcePolls, SourceStore
from chorus.platforms.base import Author, Credentials, Fetcher, FetchResult, Mention, SourceKind, SourceSpec
from tests.unit.listening.fakes import T0


def source(source_id: str = "alerts", kind: SourceKind = "rss", poll_minutes: int = 15, **fields: Any) -> Source:
    stamp = timing.iso_utc(T0)
    settings = fields.pop("settings", {"url": f"https://alerts.example/{source_id}.xml"})
    return Source(id=source_id, kind=kind, name=f"Source {source_id}", facet=fields.pop("facet", "brand"),
                  poll_minutes=poll_minutes, settings=settings, created_by="admin", created_at=stamp,
                  updated_by="admin", updated_at=stamp, **fields)


def mention(platform_id: str, source_id: str = "alerts") -> Mention:
    return Mention(platform="rss", platform_id=platform_id, text=f"mention {platform_id}", created_at=T0,
                   author=Author(handle="site.example"), source_id=source_id)


@dataclass
class Row:
    source: Source
    next_poll_at: datetime | None
    revision: int = 1
    lease_until: datetime | None = None
    lease_owner: str | None = None
    watermark: dict[str, str] = field(default_factory=dict)
    fetch: FetchState = field(default_factory=FetchState)

    def stored(self) -> StoredSource:
        return StoredSource(self.source, self.revision, dict(self.watermark), self.fetch,
                            next_poll_at=timing.iso_utc(self.next_poll_at) if self.next_poll_at else None,
                            lease_until=timing.iso_utc(self.lease_until) if self.lease_until else None)


class MemorySources(SourceStore, SourcePolls):
    """Both stores: SourcesService's (configuration) and FetchingService's (polls)."""

    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.finish_error: Exception | None = None

    def add(self, src: Source, next_poll_at: datetime | None = T0, **state: Any) -> Row:
        self.rows[src.id] = Row(src, next_poll_at, **state)
        return self.rows[src.id]

    # ---------------------------------------------------------------- configuration
    def all(self) -> list[StoredSource]:
        return [row.stored() for row in self.rows.values()]

    def get(self, source_id: str) -> StoredSource | None:
        return self.rows[source_id].stored() if source_id in self.rows else None

    def create(self, source: Source, next_poll_at: datetime | None) -> bool:
        if source.id in self.rows:
            return False
        self.add(source, next_poll_at)
        return True

    def replace(self, source: Source, revision: int, plan: EditPlan) -> bool:
        row = self.rows.get(source.id)
        if row is None or row.revision != revision:
            return False
        row.source, row.revision = source, revision + 1
        if plan.next_poll_at is None or isinstance(plan.next_poll_at, datetime):  # not KEEP
            row.next_poll_at = plan.next_poll_at
        if plan.end_lease:
            row.lease_until = row.lease_owner = None
        if plan.reset_watermark:
            row.watermark, row.fetch = {}, FetchState()
        return True

    def delete(self, source_id: str) -> bool:
        return self.rows.pop(source_id, None) is not None

    # ---------------------------------------------------------------- polls
    def due(self, now: datetime, limit: int) -> list[str]:
        due = sorted((row.next_poll_at, sid) for sid, row in self.rows.items()
                     if row.next_poll_at and row.next_poll_at <= now)
        return [sid for _, sid in due][:limit]

    def claim(self, source_id: str, now: datetime, owner: str) -> StoredSource | None:
        row = self.rows.get(source_id)
        if row is None or row.next_poll_at is None or row.next_poll_at > now:
            return None
        if row.lease_until is not None and row.lease_until > now:
            return None
        row.lease_until, row.lease_owner = now + LEASE, owner
        return row.stored()

    def finish(self, source_id: str, owner: str, state: FetchState, next_poll_at: datetime,
               watermark: dict[str, str] | None) -> bool:
        if self.finish_error:
            raise self.finish_error
        row = self.rows.get(source_id)
        if row is None or row.lease_owner != owner:
            return False
        row.fetch, row.next_poll_at, row.lease_until, row.lease_owner = state, next_poll_at, None, None
        if watermark is not None:
            row.watermark = dict(watermark)
        return True


Reply = FetchResult | BaseException | Callable[[SourceSpec, dict[str, str]], FetchResult]


class ScriptedFetcher(Fetcher):
    """Answers each fetch with the next reply: a result, an exception to raise, or a function of the request."""

    def __init__(self, kind: SourceKind = "rss", *replies: Reply) -> None:
        self.kind = kind
        self.replies = list(replies)
        self.calls: list[tuple[SourceSpec, dict[str, str], Credentials | None, float]] = []

    def check(self, spec: SourceSpec) -> None:
        pass

    def fetch(self, spec: SourceSpec, watermark: Mapping[str, str], credentials: Credentials | None,
              now: float) -> FetchResult:
        self.calls.append((spec, dict(watermark), credentials, now))
        assert self.replies, f"unexpected fetch of {spec.id}"
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply if isinstance(reply, FetchResult) else reply(spec, dict(watermark))


class MemoryQueue(MentionQueue):
    def __init__(self) -> None:
        self.sent: list[tuple[Mention, str | None]] = []
        self.error: Exception | None = None

    def send_many(self, mentions: list[Mention], facet: str | None) -> int:
        if self.error:
            raise self.error
        self.sent += [(m, facet) for m in mentions]
        return len(mentions)
