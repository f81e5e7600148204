"""Use cases of sources: fetch_mentions' polls, and the edits of /sources (add, list, show, replace, remove).

fetch_mentions polls every source that is due, each under a lease, and queues what it found for process_mentions.
Per source: claim it (a conditional update: it is due and no live lease is on it) → fetch since its watermark →
send the mentions to the ingest queue → only then save the new watermark and the next poll, under the same lease.
- Two overlapping runs: only one claim succeeds, so a source is never fetched twice at once.
- A crash, a timeout or a failed send before the save leaves the old watermark: the next poll fetches the same
  items again and process_mentions drops the exact duplicates (at least once; nothing is lost).
- An edit of the source meanwhile (another feed, disabled) ends the lease: this poll's result is not saved over it.
- Rate limited: the next poll waits for the platform's reset. Any other failure: backoff, doubling per failure
  (capped); the error is kept on the source, and the run goes on with the next source.
- No new source is started when the Lambda has less than RESERVE_SECONDS left.

Edits touch only a source's configuration (and, through `plan_edit`, when it is polled next); the watermark and
fetch state stay fetch_mentions' own. Two edits based on the same read: the second is a 409."""
from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Protocol

from chorus.core import time as timing
from chorus.core.errors import Conflict, NotFound, require_version
from chorus.core.observability import logger
from chorus.core.roles import Principal
from chorus.core.time import Clock
from chorus.listening.sources.rules import (
    EditPlan,
    StoredSource,
    next_poll_after_failure,
    next_poll_after_rate_limit,
    next_poll_after_success,
    plan_edit,
)
from chorus.listening.sources.schemas import FetchState, Source, SourceCreate, SourceFields, SourceView
from chorus.platforms.base import (
    BadSetting,
    Credentials,
    Fetcher,
    FetchResult,
    Mention,
    PublishError,
    RateLimited,
    SourceSpec,
)

# A poll usually takes well under a second; at worst (5 slow pages) about a minute. Being stopped mid-poll loses
# nothing (the lease ends and the poll is repeated), so the reserve covers the usual slow case, not the worst one.
RESERVE_SECONDS = 30.0
MAX_SOURCES_PER_RUN = 500


class SourcePolls(Protocol):
    def due(self, now: datetime, limit: int) -> list[str]: ...
    def claim(self, source_id: str, now: datetime, owner: str) -> StoredSource | None: ...
    def finish(self, source_id: str, owner: str, state: FetchState, next_poll_at: datetime,
               watermark: dict[str, str] | None) -> bool: ...


class MentionQueue(Protocol):
    def send_many(self, mentions: list[Mention], facet: str | None) -> int: ...


@dataclass
class RunSummary:
    due: int = 0
    polled: int = 0
    claimed_elsewhere: int = 0
    failed: int = 0
    rate_limited: int = 0
    capped: int = 0
    not_saved: int = 0  # the source was edited or removed while it was polled
    mentions_queued: int = 0
    requests: int = 0  # HTTP requests to the platforms
    stopped_early: bool = False  # the Lambda's time ran short: the rest stays due for the next run


@dataclass(frozen=True)
class _Poll:
    state: FetchState
    next_poll_at: datetime
    watermark: dict[str, str] | None  # None: keep the stored one
    outcome: str
    result: FetchResult | None = None


class FetchingService:
    def __init__(self, sources: SourcePolls, queue: MentionQueue, fetcher_for: Callable[[str], Fetcher],
                 credentials: Callable[[Source], Credentials | None], clock: Clock) -> None:
        self.sources = sources
        self.queue = queue
        self.fetcher_for = fetcher_for
        self.credentials = credentials
        self.clock = clock

    def run(self, seconds_left: Callable[[], float]) -> RunSummary:
        owner = secrets.token_hex(8)  # this run's name on its leases
        summary = RunSummary()
        due = self.sources.due(self.clock(), MAX_SOURCES_PER_RUN)
        summary.due = len(due)
        for source_id in due:
            if seconds_left() < RESERVE_SECONDS:
                summary.stopped_early = True
                break
            claimed = self.sources.claim(source_id, self.clock(), owner)
            if claimed is None:
                summary.claimed_elsewhere += 1  # another run has it, or it was polled since the index was read
                continue
            self._poll_and_save(claimed, owner, summary)
        logger.info("fetch run", extra=asdict(summary))
        return summary

    def _poll_and_save(self, claimed: StoredSource, owner: str, summary: RunSummary) -> None:
        source = claimed.source
        started = time.perf_counter()
        poll = self._poll(claimed, started)
        saved = self.sources.finish(source.id, owner, poll.state, poll.next_poll_at, poll.watermark)
        summary.polled += 1
        summary.failed += poll.outcome == "failed"
        summary.rate_limited += poll.outcome == "rate_limited"
        summary.capped += poll.state.capped
        summary.not_saved += not saved
        summary.mentions_queued += poll.state.items_last_run if poll.outcome == "ok" else 0
        summary.requests += poll.result.requests if poll.result else 0
        logger.info("source polled", extra={
            "source": source.id, "kind": source.kind, "outcome": poll.outcome, "items": poll.state.items_last_run,
            "requests": poll.result.requests if poll.result else None, "capped": poll.state.capped,
            "not_modified": poll.state.not_modified, "ms": poll.state.duration_ms, "saved": saved,
            "error": poll.state.last_error if poll.outcome != "ok" else None,
        })

    def _poll(self, claimed: StoredSource, started: float) -> _Poll:
        source, state = claimed.source, claimed.fetch
        spec = SourceSpec(source.id, source.kind, source.settings, source.language)
        try:
            fetcher = self.fetcher_for(source.kind)
            result = fetcher.fetch(spec, claimed.watermark, self.credentials(source), self.clock().timestamp())
            sent = self.queue.send_many(result.mentions, source.facet)
        except RateLimited as error:
            now = self.clock()
            return _Poll(state.failed(now, f"rate limited: {error}", duration_ms=_ms(started), counts=False),
                         next_poll_after_rate_limit(now, error.retry_after), None, "rate_limited")
        except (PublishError, BadSetting) as error:  # the platform's answer, or settings the fetcher refuses
            return self._failed(source, state, error, started)
        except Exception as error:  # noqa: BLE001 - a bug or an AWS failure in one source must not stop the run
            logger.exception("unexpected failure polling a source", extra={"source": source.id})
            return self._failed(source, state, error, started)
        now = self.clock()
        succeeded = state.succeeded(now, items=sent, requests=result.requests, capped=result.capped,
                                    not_modified=result.not_modified, duration_ms=_ms(started))
        return _Poll(succeeded, next_poll_after_success(now, source.kind, source.poll_minutes, result.capped),
                     result.watermark, "ok", result)

    def _failed(self, source: Source, state: FetchState, error: Exception, started: float) -> _Poll:
        now = self.clock()
        failed = state.failed(now, f"{type(error).__name__}: {error}", duration_ms=_ms(started))
        next_poll_at = next_poll_after_failure(now, source.poll_minutes, failed.consecutive_failures)
        return _Poll(failed, next_poll_at, None, "failed")


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


class SourceStore(Protocol):
    def all(self) -> list[StoredSource]: ...
    def get(self, source_id: str) -> StoredSource | None: ...
    def create(self, source: Source, next_poll_at: datetime | None) -> bool: ...
    def replace(self, source: Source, revision: int, plan: EditPlan) -> bool: ...
    def delete(self, source_id: str) -> bool: ...


SettingsCheck = Callable[[Source], None]  # ValidationError naming the setting its fetcher (or the address) refuses


class SourcesService:
    def __init__(self, store: SourceStore, check: SettingsCheck, clock: Clock) -> None:
        self.store = store
        self.check = check
        self.clock = clock

    def create(self, body: SourceCreate, principal: Principal) -> SourceView:
        source_id = body.id or f"src-{secrets.token_hex(4)}"
        fields = body.checked(source_id)
        now = self.clock()
        stamp = timing.iso_utc(now)
        source = Source(id=source_id, **fields.model_dump(exclude={"id"}), created_by=principal.username,
                        created_at=stamp, updated_by=principal.username, updated_at=stamp)
        self.check(source)
        next_poll_at = now if source.enabled else None  # a new source is polled at the next run
        if not self.store.create(source, next_poll_at):
            raise Conflict(f"a source with id {source_id!r} exists already")
        return StoredSource(source, revision=1, watermark={}, fetch=FetchState(),
                            next_poll_at=timing.iso_utc(next_poll_at) if next_poll_at else None).view()

    def all(self) -> list[SourceView]:
        return sorted((stored.view() for stored in self.store.all()), key=lambda view: view.id)

    def get(self, source_id: str) -> SourceView:
        return self._stored(source_id).view()

    def replace(self, source_id: str, body: SourceFields, principal: Principal,
                expected_version: int | None = None) -> SourceView:
        """Replace a source's settings; with `expected_version` (If-Match) only the version the person saw."""
        current = self._stored(source_id)
        require_version(current.revision, expected_version, "this source")
        fields = body.checked(source_id)
        now = self.clock()
        changed = current.source.model_copy(update={**fields.model_dump(), "updated_by": principal.username,
                                                     "updated_at": timing.iso_utc(now)})
        self.check(changed)
        if not self.store.replace(changed, current.revision, plan_edit(current.source, changed, now)):
            if expected_version is not None:
                require_version(self._stored(source_id).revision, expected_version, "this source")
            raise Conflict("the source was changed or removed by someone else meanwhile; reload it and try again")
        return self.get(source_id)

    def delete(self, source_id: str) -> None:
        if not self.store.delete(source_id):
            raise NotFound(f"no source {source_id!r}")

    def _stored(self, source_id: str) -> StoredSource:
        stored = self.store.get(source_id)
        if stored is None:
            raise NotFound(f"no source {source_id!r}")
        return stored
