"""DynamoDB side of spike detection: the counters, each series' watch and the spikes detected, all in the StateTable
(tables in infra/template.yaml; bound by chorus.aws.tables.bind). The counters are written as mentions are stored
(chorus.listening.store); the negative mentions a spike alert quotes are read there too.

  counters: last hour and baseline . StateTable `spike#n#<facet>#<language>#<bucket>` BatchGetItem
  one spike alert per cooldown ..... StateTable `spike#watch#<series>` (version)      BatchGetItem, conditional Put
  spikes detected in a period ...... StateTable `spike#at#<time>#<series>`            Query name between"""
from __future__ import annotations

from datetime import datetime

from chorus.aws.cursors import decode_cursor, encode_cursor
from chorus.aws.state import StateItem, VersionedStateItem, save_versioned
from chorus.core import time as timing
from chorus.listening.spikes.schemas import Spike, Watch
from chorus.listening.store import CounterItem

SPIKE_RECORD = "spike#at#"
WATCH = "spike#watch#"


class SpikeRepository:
    """Counters, watches and recorded spikes of one organisation."""

    def __init__(self, org: str) -> None:
        self.org = org

    def counts(self, names: list[str]) -> dict[str, int]:
        """BatchGetItem of known keys (100 per request); a counter never written counts 0."""
        counters = CounterItem.batch_get([(self.org, name) for name in names])
        return {item.name: int(item.total or 0) for item in counters}

    def watches(self, series: list[str]) -> dict[str, Watch]:
        found = {item.name: item for item in VersionedStateItem.batch_get([(self.org, WATCH + s) for s in series])}
        watches = {}
        for name in series:
            item = found.get(WATCH + name)
            watches[name] = (Watch.model_validate({**item.value, "version": item.version or 0}) if item
                             else Watch(series=name))
        return watches

    def save_watch(self, watch: Watch, now: datetime) -> Watch:
        """Conflict when another run saved the watch since it was read."""
        item = VersionedStateItem(self.org, WATCH + watch.series,
                                  value=watch.model_dump(mode="json", exclude={"version"}),
                                  updated_at=timing.iso_utc(now))
        if watch.version:
            item.version = watch.version
        save_versioned(item, "another run claimed this spike meanwhile")
        return watch.model_copy(update={"version": item.version})

    def record(self, spike: Spike) -> None:
        """Keep the spike for digests, reports and GET /spikes (the same spike again overwrites itself)."""
        StateItem(self.org, SPIKE_RECORD + spike.id, value=spike.model_dump(mode="json"), updated_at=spike.detected_at,
                  expires_at=spike.expires_at).save()

    def page(self, since: datetime, until: datetime, now: datetime, limit: int,
             cursor: str | None) -> tuple[list[Spike], str | None]:
        """Spikes detected in [since, until), newest first, and where the next page starts (None at the end)."""
        results = StateItem.query(
            self.org,
            StateItem.name.between(SPIKE_RECORD + timing.iso_utc(since), SPIKE_RECORD + timing.iso_utc(until)),
            scan_index_forward=False, limit=limit, last_evaluated_key=decode_cursor(cursor).get("k"),
        )
        spikes = [Spike.model_validate(item.value) for item in results]
        key = results.last_evaluated_key
        return ([s for s in spikes if s.detected_at < timing.iso_utc(until) and s.expires_at > now.timestamp()],
                encode_cursor({"k": key}) if key else None)

    def between(self, since: datetime, until: datetime, now: datetime, limit: int, newest_first: bool) -> list[Spike]:
        """Spikes detected in [since, until)."""
        results = StateItem.query(
            self.org,
            StateItem.name.between(SPIKE_RECORD + timing.iso_utc(since), SPIKE_RECORD + timing.iso_utc(until)),
            scan_index_forward=not newest_first, limit=limit,
        )
        spikes = [Spike.model_validate(item.value) for item in results]
        return [s for s in spikes if s.detected_at < timing.iso_utc(until) and s.expires_at > now.timestamp()]
