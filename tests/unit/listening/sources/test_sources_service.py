"""/sources use cases with an in-memory store: ids, checks before anything is stored, edits at a revision."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chorus.core import time as timing
from chorus.core.errors import Conflict, NotFound, ValidationError
from chorus.core.roles import Principal
from chorus.listening.sources.rules import EditPlan
from chorus.listening.sources.schemas import Source, SourceCreate, SourceFields
from chorus.listening.sources.service import SourcesService
from tests.clock import Clock
from tests.unit.listening.sources.fakes import T0, MemorySources

CARE = Principal("anna", frozenset({"care"}))
FEED = {"kind": "rss", "name": "Google Alert: gemeente", "facet": "brand", "language": "nl",
        "settings": {"url": "https://www.google.com/alerts/feeds/1/2"}}


def refuse_private(source) -> None:
    if "10.0.0.1" in source.settings.get("url", ""):
        raise ValidationError("settings.url", "10.0.0.1 is a private address")


@pytest.fixture
def store() -> MemorySources:
    return MemorySources()


@pytest.fixture
def sources(store: MemorySources) -> SourcesService:
    return SourcesService(store, refuse_private, Clock(T0))


def test_a_new_source_is_due_at_once_and_shows_its_empty_fetch_state(sources: SourcesService,
                                                                     store: MemorySources) -> None:
    view = sources.create(SourceCreate.model_validate(FEED), CARE)
    assert view.id.startswith("src-") and view.poll_minutes == 15 and view.created_by == "anna"
    assert view.fetch.next_poll_at == timing.iso_utc(T0) and view.fetch.last_fetched_at is None
    assert store.due(T0, 10) == [view.id]
    assert sources.get(view.id) == view and [v.id for v in sources.all()] == [view.id]


def test_a_chosen_id_is_created_once(sources: SourcesService) -> None:
    sources.create(SourceCreate.model_validate({**FEED, "id": "alerts-nl"}), CARE)
    with pytest.raises(Conflict):
        sources.create(SourceCreate.model_validate({**FEED, "id": "alerts-nl"}), CARE)


def test_a_disabled_source_is_on_no_due_list(sources: SourcesService, store: MemorySources) -> None:
    view = sources.create(SourceCreate.model_validate({**FEED, "enabled": False}), CARE)
    assert view.fetch.next_poll_at is None and store.due(T0 + timedelta(days=9), 10) == []


def test_a_refused_source_stores_nothing(sources: SourcesService, store: MemorySources) -> None:
    with pytest.raises(ValidationError):
        sources.create(SourceCreate.model_validate({**FEED, "settings": {"url": "http://10.0.0.1/feed"}}), CARE)
    with pytest.raises(ValidationError):
        sources.create(SourceCreate.model_validate({**FEED, "poll_minutes": 1}), CARE)
    assert store.rows == {}


def test_replace_changes_the_configuration_and_keeps_the_fetch_state(sources: SourcesService,
                                                                     store: MemorySources) -> None:
    view = sources.create(SourceCreate.model_validate(FEED), CARE)
    store.rows[view.id].watermark = {"etag": "v1"}
    changed = sources.replace(view.id, SourceFields.model_validate({**FEED, "facet": "company", "poll_minutes": 60}),
                              Principal("ed", frozenset({"editor"})))
    assert (changed.facet, changed.poll_minutes, changed.updated_by, changed.created_by) == (
        "company", 60, "ed", "anna")
    assert store.rows[view.id].watermark == {"etag": "v1"}


def test_a_replace_based_on_a_stale_read_is_a_conflict(sources: SourcesService, store: MemorySources) -> None:
    view = sources.create(SourceCreate.model_validate(FEED), CARE)
    stale = store.replace

    def replace_after_someone_else(source: Source, revision: int, plan: EditPlan) -> bool:
        return stale(source, revision - 1, plan)  # someone saved in between

    store.replace = replace_after_someone_else  # type: ignore[method-assign]  # a race
    with pytest.raises(Conflict):
        sources.replace(view.id, SourceFields.model_validate(FEED), CARE)


def test_unknown_sources_are_404(sources: SourcesService) -> None:
    with pytest.raises(NotFound):
        sources.get("nope")
    with pytest.raises(NotFound):
        sources.replace("nope", SourceFields.model_validate(FEED), CARE)
    with pytest.raises(NotFound):
        sources.delete("nope")


def test_delete_removes(sources: SourcesService, store: MemorySources) -> None:
    view = sources.create(SourceCreate.model_validate(FEED), CARE)
    sources.delete(view.id)
    assert store.rows == {}
