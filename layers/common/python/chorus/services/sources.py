"""Use cases of /sources: add, list, show, replace and remove what Chorus listens to.

Edits touch only a source's configuration (and, through `plan_edit`, when it is polled next); the watermark and
fetch state stay fetch_mentions' own. Two edits based on the same read: the second is a 409.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Callable, Protocol

from chorus.domain import timing
from chorus.domain.errors import Conflict, NotFound
from chorus.domain.roles import Principal
from chorus.domain.sources import (
    EditPlan,
    FetchState,
    Source,
    SourceCreate,
    SourceFields,
    SourceView,
    StoredSource,
    plan_edit,
)


class SourceStore(Protocol):
    def all(self) -> list[StoredSource]: ...
    def get(self, source_id: str) -> StoredSource | None: ...
    def create(self, source: Source, next_poll_at: datetime | None) -> bool: ...
    def replace(self, source: Source, revision: int, plan: EditPlan) -> bool: ...
    def delete(self, source_id: str) -> bool: ...


SettingsCheck = Callable[[Source], None]  # ValidationError naming the setting its fetcher (or the address) refuses


class SourcesService:
    def __init__(self, store: SourceStore, check: SettingsCheck, clock: Callable[[], datetime]) -> None:
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

    def replace(self, source_id: str, body: SourceFields, principal: Principal) -> SourceView:
        current = self._stored(source_id)
        fields = body.checked(source_id)
        now = self.clock()
        changed = current.source.model_copy(update={**fields.model_dump(), "updated_by": principal.username,
                                                     "updated_at": timing.iso_utc(now)})
        self.check(changed)
        if not self.store.replace(changed, current.revision, plan_edit(current.source, changed, now)):
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
