"""fetcher_for builds one fetcher per kind, importing only that kind's module; the shared watermark helpers."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.platforms.base import SOURCE_KINDS, BadSetting, TimeMark, id_order, primary_language
from chorus.platforms.registry import fetcher_for
from tests.unit.platforms.fakes import FakeTransport

T0 = datetime(2026, 8, 1, tzinfo=UTC)


@pytest.mark.parametrize("kind", SOURCE_KINDS)
def test_each_kind_gets_its_fetcher(kind: str) -> None:
    assert fetcher_for(kind, FakeTransport()).kind == kind


def test_an_unknown_kind_is_a_bad_setting() -> None:
    with pytest.raises(BadSetting, match="myspace"):
        fetcher_for("myspace")


def test_only_the_kind_asked_for_is_imported() -> None:
    script = textwrap.dedent("""
        import sys
        from chorus.platforms.registry import fetcher_for
        fetcher_for("rss")
        print(sorted(m for m in sys.modules if m.startswith("chorus.platforms.")))
    """)
    imported = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout.strip()
    assert imported == ("['chorus.platforms.base', 'chorus.platforms.registry', 'chorus.platforms.rss', "
                        "'chorus.platforms.transport']")


def test_ids_order_by_length_then_text() -> None:
    assert sorted(["100", "99", "1000", "101"], key=id_order) == ["99", "100", "101", "1000"]


@pytest.mark.parametrize("tag, language",
                         [("nl-NL", "nl"), ("EN", "en"), ("und", None), ("", None), (None, None), ("zh_Hant", "zh")])
def test_primary_language(tag: str | None, language: str | None) -> None:
    assert primary_language(tag) == language


def test_a_time_mark_admits_later_items_and_unseen_keys_at_its_time() -> None:
    mark = TimeMark().advanced([(T0, "a"), (T0 - timedelta(seconds=1), "old"), (None, "undated")])
    assert not mark.admits(T0, "a") and mark.admits(T0, "b") and mark.admits(T0 + timedelta(seconds=1), "b")
    assert not mark.admits(T0 + timedelta(seconds=1), "a")  # re-dated (an edited feed entry): still the same item
    assert not mark.admits(T0 - timedelta(seconds=1), "older")
    assert not mark.admits(None, "undated") and mark.admits(None, "another")
    assert TimeMark.read(mark.written()) == mark


@given(st.lists(st.tuples(st.integers(0, 5), st.sampled_from("abcdef")), max_size=20),
       st.lists(st.tuples(st.integers(0, 8), st.sampled_from("abcdefgh")), max_size=20))
def test_an_item_served_again_is_never_new_again(first: list[tuple[int, str]], second: list[tuple[int, str]]) -> None:
    """Two polls: what the first served is not new again; a later item with a key not served before is."""
    first_items = {(T0 + timedelta(seconds=s), k) for s, k in first}
    mark = TimeMark.read(TimeMark().advanced(first_items).written())
    for moment, key in first_items:
        assert not mark.admits(moment, key)
    newest = max((moment for moment, _ in first_items), default=None)
    for seconds, key in second:
        moment = T0 + timedelta(seconds=seconds)
        if (newest is None or moment > newest) and key not in {k for _, k in first_items}:
            assert mark.admits(moment, key)
