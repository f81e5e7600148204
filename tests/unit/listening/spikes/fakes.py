"""In-memory stand-ins for the spike and digest services' ports, with the stores' real optimistic locking."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chorus.core import time as timing
from chorus.core.errors import Stale
from chorus.core.roles import Principal
from chorus.listening.digests.schemas import SlotState
from chorus.listening.digests.service import Slots, SpikeLog
from chorus.listening.schemas import MentionRecord, MentionStatus
from chorus.listening.spikes.schemas import Spike, Watch
from chorus.listening.spikes.service import CrisisHold, NegativeMentions, SpikeStore
from tests.unit.listening.fakes import paged


def record(n: int, at: datetime, *, facet: str | None = "brand", language: str = "nl", intent: str = "complaint",
           sentiment: float = -0.7, author: str | None = None, followers: int | None = 100, url: bool = True,
           text: str = "Alweer een storing, internet ligt eruit en de klantenservice neemt niet op",
           teams: tuple[str, ...] = ("care",),
           status: MentionStatus = "new", received: datetime | None = None) -> MentionRecord:
    stamp = timing.iso_utc(at)
    return MentionRecord(
        id=f"m{n:024d}", platform="x", platform_id=str(n), text=text,
        url=f"https://x.com/u/status/{n}" if url else None,
        author_handle=author or f"user{n}", author_followers=followers, created_at=stamp,
        received_at=timing.iso_utc(received or at), language=language, intent=intent, sentiment=sentiment,
        complaint_score=0.9 if intent == "complaint" else 0.1, reach=followers or 0, facet=facet, conversation=f"x#{n}",
        teams=list(teams), status=status, expires_at=int((at + timedelta(days=90)).timestamp()),
    )


class MemorySpikeStore(SpikeStore, SpikeLog):
    """Counters, watches (versioned like the DynamoDB repository) and recorded spikes. `on_watches` runs after the
    watches were read: a test starts an overlapping run there."""

    def __init__(self) -> None:
        self.counters: dict[str, int] = {}
        self.watch_items: dict[str, Watch] = {}
        self.records: dict[str, Spike] = {}
        self.on_watches: Callable[[], None] | None = None
        self.keys_read = 0

    def counts(self, names: list[str]) -> dict[str, int]:
        self.keys_read += len(names)
        return {name: self.counters[name] for name in names if name in self.counters}

    def watches(self, series: list[str]) -> dict[str, Watch]:
        found = {name: self.watch_items.get(name, Watch(series=name)) for name in series}
        hook, self.on_watches = self.on_watches, None
        if hook:
            hook()
        return found

    def save_watch(self, watch: Watch, now: datetime) -> Watch:
        stored = self.watch_items.get(watch.series)
        if (stored.version if stored else 0) != watch.version:
            raise Stale("changed meanwhile")
        saved = watch.model_copy(update={"version": watch.version + 1})
        self.watch_items[watch.series] = saved
        return saved

    def record(self, spike: Spike) -> None:
        self.records[spike.id] = spike

    def between(self, since: datetime, until: datetime, now: datetime, limit: int, newest_first: bool) -> list[Spike]:
        found = sorted((s for s in self.records.values()
                        if timing.iso_utc(since) <= s.detected_at < timing.iso_utc(until)),
                       key=lambda s: s.detected_at, reverse=newest_first)
        return found[:limit]

    def page(self, since: datetime, until: datetime, now: datetime, limit: int,
             cursor: str | None) -> tuple[list[Spike], str | None]:
        return paged(self.between(since, until, now, 10**6, newest_first=True), limit, cursor)


@dataclass
class MemoryNegativeMentions(NegativeMentions):
    records: list[MentionRecord] = field(default_factory=list)

    def negative_since(self, series: str, since: datetime, now: datetime, limit: int) -> list[MentionRecord]:
        from chorus.listening.spikes.rules import series_of

        found = [r for r in self.records if series_of(r) == series and r.created_at >= timing.iso_utc(since)]
        return sorted(found, key=lambda r: r.created_at, reverse=True)[:limit]


@dataclass
class MemoryCrisis(CrisisHold):
    active: dict[str, Any] | None = None
    holds: list[tuple[str, str]] = field(default_factory=list)

    def active_hold(self) -> dict[str, Any] | None:
        return self.active

    def hold(self, actor: Principal, reason: str) -> dict[str, Any]:
        self.holds.append((actor.username, reason))
        self.active = {"active": True, "by": actor.username, "reason": reason}
        return self.active


class MemorySlots(Slots):
    def __init__(self) -> None:
        self.items: dict[str, SlotState] = {}
        self.saves = 0

    def get(self, key: str) -> SlotState:
        return self.items.get(key, SlotState(key=key))

    def save(self, state: SlotState, now: datetime) -> SlotState:
        stored = self.items.get(state.key)
        if (stored.version if stored else 0) != state.version:
            raise Stale("changed meanwhile")
        saved = state.model_copy(update={"version": state.version + 1})
        self.items[state.key] = saved
        self.saves += 1
        return saved
