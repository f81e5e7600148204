"""DynamoDB persistence of sources: each source's configuration and, on attributes of their own, fetch_mentions'
lease, watermark and fetch state, so an edit and a poll never overwrite each other (tables defined in
infra/template.yaml; bound by chorus.aws.tables.bind).

Access patterns:
  sources ................................. SourcesTable key org + id                    Query
  sources due for a poll .................. GSI `due` org + next_poll_at (sparse, keys)  Query next_poll_at <= now
  edit a source ........................... SourcesTable key org + id                    UpdateItem if revision
  claim a source / save a poll's result ... SourcesTable key org + id                    conditional UpdateItem"""
from __future__ import annotations

from datetime import datetime

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection

from chorus.aws.tables import is_condition_failure, put_if_absent, table, update_if
from chorus.core import time as timing
from chorus.listening.sources.rules import LEASE, EditPlan, StoredSource
from chorus.listening.sources.schemas import FetchState, Source
from chorus.listening.store import ConfigItem


class SourceDueIndex(GlobalSecondaryIndex["SourceItem"]):
    """Sparse: only enabled sources carry next_poll_at. Keys only, so a poll's watermark never costs an index write."""

    class Meta:
        index_name = "due"
        projection = KeysOnlyProjection()

    org = UnicodeAttribute(hash_key=True)
    next_poll_at = UnicodeAttribute(range_key=True)


@table("sources_table")
class SourceItem(ConfigItem):
    """`data` is the configuration people edit; the other attributes are fetch_mentions' state, each written
    with an update expression so an edit and a poll never overwrite each other."""

    class Meta:
        table_name = "unbound"

    revision = NumberAttribute(default=1)  # of `data`: an edit based on an older read is refused
    next_poll_at = UnicodeAttribute(null=True)
    lease_until = UnicodeAttribute(null=True)
    lease_owner = UnicodeAttribute(null=True)
    watermark = JSONAttribute(null=True)
    fetch = JSONAttribute(null=True)

    due = SourceDueIndex()

    def stored(self) -> StoredSource:
        return StoredSource(
            source=Source.model_validate(self.data), revision=int(self.revision or 1),
            watermark=dict(self.watermark or {}), fetch=FetchState.model_validate(self.fetch or {}),
            next_poll_at=self.next_poll_at, lease_until=self.lease_until,
        )


class SourceRepository:
    """Sources of one organisation: configuration edits and fetch_mentions' polls, on separate attributes."""

    def __init__(self, org: str) -> None:
        self.org = org

    def all(self) -> list[StoredSource]:
        return [item.stored() for item in SourceItem.query(self.org)]

    def get(self, source_id: str) -> StoredSource | None:
        try:
            return SourceItem.get(self.org, source_id, consistent_read=True).stored()
        except SourceItem.DoesNotExist:
            return None

    def create(self, source: Source, next_poll_at: datetime | None) -> bool:
        item = SourceItem(self.org, source.id, data=source.model_dump(mode="json"), revision=1,
                          next_poll_at=timing.iso_utc(next_poll_at) if next_poll_at else None)
        return put_if_absent(item, SourceItem.id)

    def replace(self, source: Source, revision: int, plan: EditPlan) -> bool:
        """Store an edit read at `revision`; False when someone else edited the source since."""
        actions = [SourceItem.data.set(source.model_dump(mode="json")), SourceItem.revision.set(revision + 1)]
        if plan.next_poll_at is None:
            actions.append(SourceItem.next_poll_at.remove())
        elif isinstance(plan.next_poll_at, datetime):  # otherwise KEEP
            actions.append(SourceItem.next_poll_at.set(timing.iso_utc(plan.next_poll_at)))
        if plan.end_lease:
            actions += [SourceItem.lease_until.remove(), SourceItem.lease_owner.remove()]
        if plan.reset_watermark:
            actions += [SourceItem.watermark.remove(), SourceItem.fetch.remove()]
        return update_if(SourceItem(self.org, source.id), actions, SourceItem.revision == revision)

    def delete(self, source_id: str) -> bool:
        try:
            SourceItem(self.org, source_id).delete(condition=SourceItem.id.exists())
        except DeleteError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def due(self, now: datetime, limit: int) -> list[str]:
        """Ids of enabled sources whose next poll has come, most overdue first (may be a moment stale: claim)."""
        results = SourceItem.due.query(self.org, SourceItem.next_poll_at <= timing.iso_utc(now), limit=limit)
        return [item.id for item in results]

    def claim(self, source_id: str, now: datetime, owner: str) -> StoredSource | None:
        """Take the source for one poll (a lease of LEASE); None when it is not due, or another run holds it."""
        stamp = timing.iso_utc(now)
        item = SourceItem(self.org, source_id)
        claimed = update_if(
            item, [SourceItem.lease_until.set(timing.iso_utc(now + LEASE)), SourceItem.lease_owner.set(owner)],
            (SourceItem.next_poll_at <= stamp)
            & (SourceItem.lease_until.does_not_exist() | (SourceItem.lease_until <= stamp)),
        )
        return item.stored() if claimed else None

    def finish(self, source_id: str, owner: str, state: FetchState, next_poll_at: datetime,
               watermark: dict[str, str] | None) -> bool:
        """Save a poll's result and end its lease; False when the lease was lost (the source was edited so that
        this poll's result no longer applies, or deleted)."""
        actions = [SourceItem.fetch.set(state.model_dump(mode="json")),
                   SourceItem.next_poll_at.set(timing.iso_utc(next_poll_at)),
                   SourceItem.lease_until.remove(), SourceItem.lease_owner.remove()]
        if watermark is not None:
            actions.append(SourceItem.watermark.set(watermark))
        return update_if(SourceItem(self.org, source_id), actions, SourceItem.lease_owner == owner)
