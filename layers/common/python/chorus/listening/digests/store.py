"""DynamoDB side of the digests: one item per digest time in the StateTable, saved with optimistic locking (tables
in infra/template.yaml; bound by chorus.aws.tables.bind). The open complaints a digest lists are read from the
mentions' sparse index (chorus.listening.store).

  one digest per time, each team once ...... StateTable `digest#<time>` (version)   GetItem, conditional Put"""
from __future__ import annotations

from datetime import datetime

from chorus.aws.state import VersionedStateItem, save_versioned
from chorus.core import time as timing
from chorus.listening.digests.schemas import SlotState


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
        save_versioned(item, "another run is sending this digest")
        return state.model_copy(update={"version": item.version})
