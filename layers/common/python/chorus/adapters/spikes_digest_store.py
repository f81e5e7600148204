"""DynamoDB side of spike detection and digests (tables in infra/template.yaml; bound by chorus.adapters.dynamodb.bind).

  count a negative mention, exactly once .... MentionsTable conditional Put + StateTable ADD   one TransactWriteItems
  counters: last hour and baseline ......... StateTable `spike#n#<facet>#<language>#<bucket>`  BatchGetItem
  one spike alert per cooldown ............. StateTable `spike#watch#<series>` (version)       BatchGetItem, conditional Put
  spikes detected in a period .............. StateTable `spike#at#<time>#<series>`            Query name between
  a series' negative mentions, last hour ... MentionsTable GSI `negative` (sparse)            Query created_at >= since
  open complaints, oldest first ............ MentionsTable GSI `open_complaints` (sparse)     Query
  one digest per time, each team once ...... StateTable `digest#<time>` (version)             GetItem, conditional Put
"""
from __future__ import annotations

import random
import time
from datetime import datetime
from typing import Any

from pynamodb.attributes import NumberAttribute, VersionAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chorus.adapters.dynamodb import StateItem, cancellation_reasons, is_condition_failure, transaction_connection
from chorus.adapters.listening_store import OPEN_COMPLAINTS_PARTITION, MentionItem, MentionRepository
from chorus.domain import timing
from chorus.domain.digest import SlotState
from chorus.domain.errors import Conflict
from chorus.domain.inbox import MentionRecord
from chorus.domain.spikes import Spike, Tally, Watch

# Concurrent first stores of negative mentions in one series and bucket update one counter: DynamoDB refuses a
# transaction on an item another transaction holds (TransactionConflict). Such a clash lasts milliseconds: retry.
CONFLICT_ATTEMPTS = 8
SPIKE_RECORD = "spike#at#"
WATCH = "spike#watch#"


class CounterItem(StateItem):
    """A named counter in the state table, only ever changed by ADD."""

    class Meta:
        table_name = "unbound"

    count = NumberAttribute(default=0)


class VersionedStateItem(StateItem):
    """A state item saved with optimistic locking: of two runs that read the same version, one saves."""

    class Meta:
        table_name = "unbound"

    version = VersionAttribute()


class CountingMentionRepository(MentionRepository):
    """Mentions whose first store also counts them for spike detection, in the same transaction: the conditional
    put that drops a redelivered duplicate also drops its count, and a Lambda that dies before the write leaves
    neither (the redelivered message does both)."""

    def __init__(self, org: str) -> None:
        self.org = org

    def create(self, record: MentionRecord, counter: Tally | None = None) -> MentionRecord | None:
        if counter is None:
            return super().create(record)
        item = MentionItem.from_record(record)
        tally = CounterItem(self.org, counter.name)
        for attempt in range(1, CONFLICT_ATTEMPTS + 1):
            try:
                with TransactWrite(connection=transaction_connection()) as transaction:
                    transaction.save(item, condition=MentionItem.id.does_not_exist())
                    transaction.update(tally, actions=[CounterItem.count.add(1), CounterItem.expires_at.set(counter.expires_at)])
            except TransactWriteError as error:
                if cancellation_reasons(error)[0] == "ConditionalCheckFailed":
                    return None  # stored (and counted) before
                time.sleep(random.uniform(0.005, 0.02) * attempt)  # a TransactionConflict on the counter
                continue
            return record.model_copy(update={"version": item.version})
        raise Conflict("the spike counter stayed busy; the queue will retry this mention")


class SparseIndexReads:
    """Mentions from the two sparse indexes: a series' negative mentions, and the open complaints."""

    def negative_since(self, series: str, since: datetime, now: datetime, limit: int) -> list[MentionRecord]:
        """The series' negative mentions said since `since`, newest first, at most `limit`."""
        results = MentionItem.negative.query(
            series, MentionItem.created_at >= timing.iso_utc(since), scan_index_forward=False, limit=limit,
            filter_condition=MentionItem.expires_at > int(now.timestamp()),
        )
        return [item.to_record() for item in results]

    def open_complaints(self, now: datetime, limit: int) -> tuple[list[MentionRecord], bool]:
        """Complaints still new or assigned, oldest first; False when there are more than `limit`."""
        results = MentionItem.open_complaints.query(
            OPEN_COMPLAINTS_PARTITION, scan_index_forward=True, limit=limit + 1,
            filter_condition=MentionItem.expires_at > int(now.timestamp()),
        )
        records = [item.to_record() for item in results]
        return records[:limit], len(records) <= limit


class SpikeRepository:
    """Counters, watches and recorded spikes of one organisation."""

    def __init__(self, org: str) -> None:
        self.org = org

    def counts(self, names: list[str]) -> dict[str, int]:
        """BatchGetItem of known keys (100 per request); a counter never written counts 0."""
        return {item.name: int(item.count or 0) for item in CounterItem.batch_get([(self.org, name) for name in names])}

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
        item = VersionedStateItem(self.org, WATCH + watch.series, value=watch.model_dump(mode="json", exclude={"version"}),
                                  updated_at=timing.iso_utc(now))
        if watch.version:
            item.version = watch.version
        _save_versioned(item, "another run claimed this spike meanwhile")
        return watch.model_copy(update={"version": item.version})

    def record(self, spike: Spike) -> None:
        """Keep the spike for digests, reports and GET /spikes (the same spike again overwrites itself)."""
        StateItem(self.org, SPIKE_RECORD + spike.id, value=spike.model_dump(mode="json"), updated_at=spike.detected_at,
                  expires_at=spike.expires_at).save()

    def between(self, since: datetime, until: datetime, now: datetime, limit: int, newest_first: bool) -> list[Spike]:
        """Spikes detected in [since, until)."""
        results = StateItem.query(
            self.org, StateItem.name.between(SPIKE_RECORD + timing.iso_utc(since), SPIKE_RECORD + timing.iso_utc(until)),
            scan_index_forward=not newest_first, limit=limit,
        )
        spikes = [Spike.model_validate(item.value) for item in results]
        return [s for s in spikes if s.detected_at < timing.iso_utc(until) and s.expires_at > now.timestamp()]


class DigestSlotRepository:
    def __init__(self, org: str) -> None:
        self.org = org

    def get(self, key: str) -> SlotState:
        try:
            item = VersionedStateItem.get(self.org, key, consistent_read=True)
        except VersionedStateItem.DoesNotExist:
            return SlotState(key=key)
        return SlotState.model_validate({**item.value, "version": item.version or 0})

    def save(self, state: SlotState, now: datetime) -> SlotState:
        """Conflict when another run saved the slot since it was read."""
        item = VersionedStateItem(self.org, state.key, value=state.model_dump(mode="json", exclude={"version"}),
                                  updated_at=timing.iso_utc(now), expires_at=state.expires_at)
        if state.version:
            item.version = state.version
        _save_versioned(item, "another run is sending this digest")
        return state.model_copy(update={"version": item.version})


def _save_versioned(item: Any, conflict: str) -> None:
    try:
        item.save()
    except PutError as error:
        if is_condition_failure(error):
            raise Conflict(conflict) from None
        raise
