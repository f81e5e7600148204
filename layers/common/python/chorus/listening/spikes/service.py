"""Use case: every few minutes, look for spikes of negative mentions (chorus.listening.spikes.rules) and tell PR once.

Safe with overlapping and retried runs: each series' watch is saved with optimistic locking, so of two runs that
see the same spike only one claims it. The claimed spike waits in the watch until its alert went out; a run that
dies in between leaves it there, and the first run after the claim ran out sends it. So a spike alert goes out at
least once, and twice only when a Lambda dies between publishing and saving that it did."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from chorus.core import time as timing
from chorus.core.errors import Conflict
from chorus.core.observability import logger
from chorus.core.roles import Principal
from chorus.core.time import Clock
from chorus.listening.schemas import MentionRecord, RoutingRules, Texts
from chorus.listening.spikes import rules as spikes
from chorus.listening.spikes.schemas import Spike, Watch

# The crisis hold needs a member of the crisis team; a spike acts as PR would.
DETECTOR = Principal("spike-detector", frozenset({"pr"}))
EVIDENCE_LIMIT = 200  # negative mentions read for one alert's terms, authors and examples (newest first)
WINDOW = spikes.BUCKET * spikes.WINDOW_BUCKETS


class SpikeStore(Protocol):
    def counts(self, names: list[str]) -> dict[str, int]: ...
    def watches(self, series: list[str]) -> dict[str, Watch]: ...
    def save_watch(self, watch: Watch, now: datetime) -> Watch: ...
    def record(self, spike: Spike) -> None: ...
    def between(self, since: datetime, until: datetime, now: datetime, limit: int,
                newest_first: bool) -> list[Spike]: ...
    def page(self, since: datetime, until: datetime, now: datetime, limit: int,
             cursor: str | None) -> tuple[list[Spike], str | None]: ...


class NegativeMentions(Protocol):
    def negative_since(self, series: str, since: datetime, now: datetime, limit: int) -> list[MentionRecord]: ...


class CrisisHold(Protocol):
    def active_hold(self) -> dict[str, Any] | None: ...
    def hold(self, actor: Principal, reason: str) -> dict[str, Any]: ...


class AlertSink(Protocol):
    """The alerts topic: the message in `written_in`, and its translations for the other languages' subscribers
    (chorus.listening.store.LocalizedAlerts)."""

    def send(self, subject: str, message: str, *, written_in: str | None = None,
             translations: Mapping[str, Texts] | None = None, **attributes: str) -> None: ...


class SpikeService:
    def __init__(self, store: SpikeStore, mentions: NegativeMentions, notifier: AlertSink, crisis: CrisisHold,
                 rules: Callable[[], RoutingRules], sms_budget: Callable[[str, datetime, RoutingRules], bool],
                 clock: Clock, retention: timedelta) -> None:
        self.store = store
        self.mentions = mentions
        self.notifier = notifier
        self.crisis = crisis
        self.rules = rules
        self.sms_budget = sms_budget
        self.clock = clock
        self.retention = retention

    def detect(self) -> dict[str, int]:
        """One run: read every series' counters (BatchGetItem of known keys), alert on each new spike."""
        now = self.clock()
        rules = self.rules()
        if not rules.spike.enabled:
            return {"series": 0, "items_read": 1, "alerts": 0}
        series = spikes.all_series()
        windows = [spikes.windows(name, now, rules.spike.baseline_days) for name in series]
        names = [name for window in windows for name in window.names()]
        counts = self.store.counts(names)
        watches = self.store.watches(series)
        items_read = 1 + len(names) + len(series)
        alerts = 0
        for window in windows:
            reading = spikes.read(window, counts, rules.spike)
            watch = watches[window.series]
            step = spikes.next_step(watch, reading, now, rules.spike)
            if step is None:
                continue
            if step == "new":
                recent = self.mentions.negative_since(window.series, now - WINDOW, now, EVIDENCE_LIMIT)
                items_read += len(recent) + 1  # and the crisis state
                effect = spikes.hold_effect(rules.spike.crisis_hold, self.crisis.active_hold() is not None)
                spike = spikes.new_spike(reading, spikes.evidence(recent), rules.spike, now, self.retention, effect,
                                         sms=False)
                claimed = spikes.claim(watch, spike, now)
            else:
                claimed = spikes.reclaim(watch, now)
            try:
                claimed = self.store.save_watch(claimed, now)
            except Conflict:
                continue  # another run claimed it first: it sends
            self._send(claimed, now, rules)
            alerts += 1
        return {"series": len(series), "items_read": items_read, "alerts": alerts}

    def _send(self, watch: Watch, now: datetime, rules: RoutingRules) -> None:
        spike = watch.pending
        assert spike is not None
        if spike.crisis_hold == "switched_on" and self.crisis.active_hold() is None:
            self.crisis.hold(DETECTOR, spike.hold_reason())
        spike = spike.model_copy(update={"sms": self.sms_budget("pr", now, rules), "notified_at": timing.iso_utc(now)})
        self.notifier.send(spike.subject(), spike.message(), written_in="en",
                           translations={"nl": Texts(spike.subject("nl"), spike.message("nl"))}, **spike.attributes())
        self.store.record(spike)
        try:
            self.store.save_watch(spikes.sent(watch), now)
        except Conflict:
            # Only when this run outlived its claim and another run took the spike over: that one sends it too.
            logger.warning("spike claim lost while sending", extra={"spike": spike.id})
        logger.info("spike alert sent", extra={"spike": spike.id, "count": spike.count, "hold": spike.crisis_hold})

    def recent(self, days: int, limit: int, cursor: str | None = None) -> tuple[list[Spike], str | None]:
        """GET /spikes: a page of the spikes detected in the last `days`, newest first, and where the next starts."""
        now = self.clock()
        return self.store.page(now - timedelta(days=days), now + timedelta(seconds=1), now, limit, cursor)
