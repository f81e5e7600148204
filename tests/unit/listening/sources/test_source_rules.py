"""The pure rules of sources: what a source may say, when it is polled next, what an edit does to its fetch state,
and which addresses a source may connect to."""
from __future__ import annotations

from datetime import timedelta

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.core.errors import ValidationError
from chorus.listening.sources.rules import (
    BACKOFF_CAP,
    KEEP,
    address_problem,
    next_poll_after_failure,
    next_poll_after_rate_limit,
    next_poll_after_success,
    plan_edit,
)
from chorus.listening.sources.schemas import POLL_LIMITS, FetchState, SourceCreate, SourceFields
from tests.unit.listening.sources.fakes import T0, source


def fields(**overrides) -> SourceFields:
    body = {"kind": "rss", "name": "Google Alert", "facet": "brand",
            "settings": {"url": "https://www.google.com/alerts/feeds/1/2"}}
    return SourceFields.model_validate({**body, **overrides})


def test_the_poll_interval_defaults_per_kind() -> None:
    assert fields().checked("s").poll_minutes == POLL_LIMITS["rss"].default == 15
    x = fields(kind="x", settings={"mode": "search", "query": "gemeente"}, secret="x-app").checked("s")
    assert x.poll_minutes == 15


@pytest.mark.parametrize("kind, settings, secret", [
    ("rss", {"url": "https://a.example/feed"}, None),
    ("x", {"mode": "search", "query": "q"}, "x-app"),
    ("reddit", {"query": "q"}, "reddit-app"),
])
def test_polling_faster_than_the_kinds_minimum_is_refused(kind: str, settings: dict, secret: str | None) -> None:
    minimum = POLL_LIMITS[kind].minimum
    with pytest.raises(ValidationError) as raised:
        fields(kind=kind, settings=settings, secret=secret, poll_minutes=minimum - 1).checked("s")
    assert raised.value.field == "poll_minutes" and str(minimum) in raised.value.message
    assert fields(kind=kind, settings=settings, secret=secret,
                  poll_minutes=minimum).checked("s").poll_minutes == minimum


@pytest.mark.parametrize("settings, field", [
    ({"url": "https://a.example", "access_token": "secret!"}, "settings.access_token"),
    ({"URL": "https://a.example"}, "settings.URL"),
    ({"url": "https://a.example/" + "x" * 2001}, "settings.url"),
])
def test_settings_a_kind_does_not_read_are_refused_so_no_credential_lands_in_the_table(settings: dict,
                                                                                       field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        fields(settings=settings).checked("s")
    assert raised.value.field == field


@pytest.mark.parametrize("kind, settings", [
    ("x", {"mode": "search", "query": "q"}),
    ("reddit", {"query": "q"}),
    ("mastodon", {"instance_url": "https://social.example", "mode": "notifications"}),
    ("bluesky", {"mode": "notifications"}),
])
def test_kinds_that_cannot_read_without_an_account_need_a_secret(kind: str, settings: dict) -> None:
    with pytest.raises(ValidationError) as raised:
        fields(kind=kind, settings=settings).checked("s")
    assert raised.value.field == "secret"


def test_public_reads_need_no_secret_and_feeds_take_none() -> None:
    fields(kind="mastodon",
           settings={"instance_url": "https://social.example", "mode": "hashtag", "tag": "a"}).checked("s")
    fields(kind="bluesky", settings={"mode": "search", "query": "a"}).checked("s")
    with pytest.raises(ValidationError) as raised:
        fields(secret="feed-secret").checked("s")
    assert raised.value.field == "secret"
    with pytest.raises(ValidationError):
        fields(kind="x", settings={"mode": "search", "query": "q"}, secret="no spaces allowed").checked("s")


def test_the_body_refuses_unknown_fields_kinds_and_facets() -> None:
    for bad in ({"colour": "red"}, {"kind": "myspace"}, {"facet": "weather"}, {"language": "de"}, {"poll_minutes": 0}):
        with pytest.raises(Exception) as raised:
            fields(**bad)
        assert type(raised.value).__name__ == "ValidationError"
    with pytest.raises(pydantic.ValidationError):
        SourceFields.model_validate({"kind": "rss", "name": "no facet", "settings": {"url": "https://a.example"}})
    with pytest.raises(pydantic.ValidationError):
        SourceCreate.model_validate({"kind": "rss", "name": "n", "facet": "brand", "id": "Not A Slug"})


# ---------------------------------------------------------------------------------------------- the schedule
def test_next_polls() -> None:
    assert next_poll_after_success(T0, "rss", 15, capped=False) == T0 + timedelta(minutes=15)
    assert next_poll_after_success(T0, "mastodon", 15, capped=True) == T0 + timedelta(minutes=1)
    assert next_poll_after_rate_limit(T0, 90) == T0 + timedelta(seconds=90)
    assert next_poll_after_failure(T0, 15, 1) == T0 + timedelta(minutes=15)
    assert next_poll_after_failure(T0, 15, 2) == T0 + timedelta(minutes=30)
    assert next_poll_after_failure(T0, 1440, 5) == T0 + timedelta(minutes=1440)  # never faster than the interval


@given(st.integers(1, 1440), st.integers(1, 10_000))
def test_backoff_waits_at_least_the_interval_doubles_and_never_passes_its_cap(poll_minutes: int, failures: int) -> None:
    wait = next_poll_after_failure(T0, poll_minutes, failures) - T0
    interval = timedelta(minutes=poll_minutes)
    assert interval <= wait <= max(BACKOFF_CAP, interval)
    following = next_poll_after_failure(T0, poll_minutes, failures + 1) - T0
    assert wait <= following <= 2 * wait


@given(st.lists(st.sampled_from(["ok", "capped", "failed", "limited"]), max_size=30), st.integers(1, 120),
       st.floats(0, 10 ** 6))
def test_every_outcome_schedules_a_later_poll_and_failures_count_only_failures(outcomes: list[str], poll_minutes: int,
                                                                                 retry_after: float) -> None:
    state, now = FetchState(), T0
    streak = 0
    for outcome in outcomes:
        if outcome in ("ok", "capped"):
            state = state.succeeded(now, items=1, requests=1, capped=outcome == "capped", not_modified=False,
                                    duration_ms=1)
            later = next_poll_after_success(now, "mastodon", poll_minutes, outcome == "capped")
            streak = 0
        elif outcome == "failed":
            state = state.failed(now, "boom", duration_ms=1)
            streak += 1
            later = next_poll_after_failure(now, poll_minutes, state.consecutive_failures)
        else:
            state = state.failed(now, "rate limited", duration_ms=1, counts=False)
            later = next_poll_after_rate_limit(now, retry_after)
        assert later > now and state.consecutive_failures == streak
        assert (state.last_error is None) == (outcome in ("ok", "capped"))
        now = later


# ---------------------------------------------------------------------------------------------- edits
def test_an_edit_of_the_label_keeps_the_schedule_and_the_lease() -> None:
    before = source("s")
    plan = plan_edit(before, before.model_copy(update={"name": "other", "facet": "company", "poll_minutes": 30}), T0)
    assert (plan.next_poll_at, plan.reset_watermark, plan.end_lease) == (KEEP, False, False)


def test_an_edit_of_what_is_fetched_starts_afresh_now() -> None:
    before = source("s")
    for change in ({"settings": {"url": "https://b.example/feed"}}, {"secret": "other"}):
        plan = plan_edit(before, before.model_copy(update=change), T0)
        assert (plan.next_poll_at, plan.reset_watermark, plan.end_lease) == (T0, True, True)


def test_disabling_leaves_the_due_list_and_enabling_returns_now_with_the_watermark_kept() -> None:
    on = source("s")
    off = on.model_copy(update={"enabled": False})
    assert (plan_edit(on, off, T0).next_poll_at, plan_edit(on, off, T0).end_lease) == (None, True)
    again = plan_edit(off, on, T0)
    assert (again.next_poll_at, again.reset_watermark) == (T0, False)


# ---------------------------------------------------------------------------------------------- addresses
@pytest.mark.parametrize("address, problem", [
    ("93.184.215.14", None),
    ("2606:4700::6810:85e5", None),
    ("127.0.0.1", "a loopback address"),
    ("::1", "a loopback address"),
    ("::ffff:127.0.0.1", "a loopback address"),
    ("10.1.2.3", "a private address"),
    ("192.168.0.10", "a private address"),
    ("172.16.5.4", "a private address"),
    ("169.254.169.254", "a link-local address (such as the instance metadata service)"),
    ("fe80::1%eth0", "a link-local address (such as the instance metadata service)"),
    ("fd00:ec2::254", "a private address"),
    ("100.64.0.1", "not a public address"),
    ("0.0.0.0", "a private address"),
    ("224.0.0.1", "not a public address"),
])
def test_only_public_addresses_are_allowed(address: str, problem: str | None) -> None:
    assert address_problem(address, allow_loopback=False) == problem


def test_loopback_is_allowed_only_when_the_local_runtime_says_so_and_nothing_else_is() -> None:
    assert address_problem("127.0.0.1", allow_loopback=True) is None
    assert address_problem("::ffff:127.0.0.1", allow_loopback=True) is None
    assert address_problem("169.254.169.254", allow_loopback=True) is not None
    assert address_problem("10.0.0.1", allow_loopback=True) is not None
