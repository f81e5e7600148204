"""The fetch run with in-memory ports: claims, at-least-once saving, rate limits, backoff, the time budget."""
from __future__ import annotations

from datetime import timedelta

import pytest

from chorus.core import time as timing
from chorus.core.roles import Principal
from chorus.listening.sources.rules import BACKOFF_CAP
from chorus.listening.sources.schemas import SourceFields
from chorus.listening.sources.service import RESERVE_SECONDS, FetchingService, SourcesService
from chorus.platforms.base import Credentials, CredentialsRejected, Fetcher, FetchResult, RateLimited, TransientFailure
from tests.clock import Clock
from tests.unit.listening.sources.fakes import T0, MemoryQueue, MemorySources, ScriptedFetcher, mention, source

PLENTY = lambda: 100.0  # noqa: E731 - seconds left in the Lambda
ADMIN = Principal("admin", frozenset({"master"}))


def service(store: MemorySources, queue: MemoryQueue, clock: Clock, *fetchers: ScriptedFetcher,
            credentials=lambda source: None) -> FetchingService:
    by_kind: dict[str, Fetcher] = {fetcher.kind: fetcher for fetcher in fetchers}
    return FetchingService(store, queue, by_kind.__getitem__, credentials, clock)


def result(*ids: str, watermark: dict[str, str] | None = None, **flags) -> FetchResult:
    return FetchResult([mention(i) for i in ids],
                       watermark if watermark is not None else {"newest": ids[-1] if ids else ""},
                       requests=1, **flags)


def test_a_due_source_is_fetched_since_its_watermark_and_its_mentions_queued_with_facet_and_source() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts", facet="company"), watermark={"etag": '"v1"'})
    fetcher = ScriptedFetcher("rss", result("a", "b", watermark={"etag": '"v2"'}))
    clock.advance(seconds=5)

    summary = service(store, queue, clock, fetcher).run(PLENTY)

    (spec, watermark, credentials, now), = fetcher.calls
    assert (spec.id, spec.settings["url"], watermark, credentials, now) == (
        "alerts", "https://alerts.example/alerts.xml", {"etag": '"v1"'}, None, clock.now.timestamp())
    assert [(m.platform_id, m.source_id, facet) for m, facet in queue.sent] == [
        ("a", "alerts", "company"), ("b", "alerts", "company")]
    row = store.rows["alerts"]
    assert row.watermark == {"etag": '"v2"'} and row.lease_owner is None
    assert row.next_poll_at == clock.now + timedelta(minutes=15)
    assert (row.fetch.items_last_run, row.fetch.last_error, row.fetch.consecutive_failures) == (2, None, 0)
    assert (summary.due, summary.polled, summary.mentions_queued, summary.requests) == (1, 1, 2, 1)


def test_sources_not_yet_due_and_disabled_ones_are_left_alone() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("later"), next_poll_at=T0 + timedelta(minutes=1))
    store.add(source("off", enabled=False), next_poll_at=None)
    assert service(store, queue, clock, ScriptedFetcher("rss")).run(PLENTY).due == 0


def test_overlapping_runs_never_fetch_the_same_source_twice() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts"))
    second_run = []

    def while_fetching(spec, watermark):  # the next minute's run starts while this fetch is still going
        second_run.append(service(store, queue, clock, ScriptedFetcher("rss")).run(PLENTY))
        return result("a")

    fetcher = ScriptedFetcher("rss", while_fetching)
    first = service(store, queue, clock, fetcher).run(PLENTY)

    assert len(fetcher.calls) == 1 and first.polled == 1
    assert (second_run[0].due, second_run[0].claimed_elsewhere, second_run[0].polled) == (1, 1, 0)
    assert len(queue.sent) == 1


def test_a_failed_send_does_not_advance_the_watermark_and_the_next_poll_fetches_the_same_items() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts"), watermark={"newest": "old"})
    fetcher = ScriptedFetcher("rss", result("a", watermark={"newest": "a"}), result("a", watermark={"newest": "a"}))
    queue.error = RuntimeError("1 mentions could not be queued: throttled")

    summary = service(store, queue, clock, fetcher).run(PLENTY)

    row = store.rows["alerts"]
    assert row.watermark == {"newest": "old"} and summary.failed == 1 and summary.mentions_queued == 0
    assert row.fetch.last_error is not None
    assert row.fetch.consecutive_failures == 1 and "could not be queued" in row.fetch.last_error
    assert row.next_poll_at == T0 + timedelta(minutes=15)
    queue.error = None
    clock.now = row.next_poll_at
    service(store, queue, clock, fetcher).run(PLENTY)
    assert fetcher.calls[1][1] == {"newest": "old"}  # fetched again from where the failed poll started
    assert [m.platform_id for m, _ in queue.sent] == ["a"] and store.rows["alerts"].watermark == {"newest": "a"}
    assert store.rows["alerts"].fetch.consecutive_failures == 0


def test_a_crash_after_the_send_repeats_the_poll_after_the_lease_and_process_mentions_drops_the_repeat() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts"), watermark={"newest": "old"})
    fetcher = ScriptedFetcher("rss", result("a", watermark={"newest": "a"}), result("a", watermark={"newest": "a"}))
    store.finish_error = ConnectionError("the Lambda died here")
    with pytest.raises(ConnectionError):
        service(store, queue, clock, fetcher).run(PLENTY)
    store.finish_error = None

    assert service(store, queue, clock, fetcher).run(PLENTY).claimed_elsewhere == 1  # the dead run's lease holds
    clock.advance(minutes=3)
    service(store, queue, clock, fetcher).run(PLENTY)
    assert [m.platform_id for m, _ in queue.sent] == ["a", "a"]  # at least once: nothing lost
    assert store.rows["alerts"].watermark == {"newest": "a"}


def test_a_rate_limit_sets_the_next_poll_to_the_platforms_reset_without_counting_a_failure() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("x-search", kind="x", settings={"mode": "search", "query": "gemeente"}, secret="x-app"),
              watermark={"since_id": "10"})
    summary = service(store, queue, clock,
                      ScriptedFetcher("x", RateLimited(600, "HTTP 429 from GET /2/tweets"))).run(PLENTY)

    row = store.rows["x-search"]
    assert row.next_poll_at == T0 + timedelta(seconds=600)
    assert row.fetch.last_error is not None
    assert row.fetch.consecutive_failures == 0 and row.fetch.last_error.startswith("rate limited")
    assert row.watermark == {"since_id": "10"} and summary.rate_limited == 1


@pytest.mark.parametrize("retry_after, wait", [(5, timedelta(minutes=1)), (10 ** 7, timedelta(hours=24))])
def test_a_rate_limit_wait_stays_within_bounds(retry_after: float, wait: timedelta) -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts"))
    service(store, queue, clock, ScriptedFetcher("rss", RateLimited(retry_after))).run(PLENTY)
    assert store.rows["alerts"].next_poll_at == T0 + wait


def test_failures_back_off_doubling_up_to_the_cap_and_a_success_resets() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts", poll_minutes=5))
    failures = [TransientFailure("HTTP 503")] * 8
    fetcher = ScriptedFetcher("rss", *failures, result("a"))
    waits = []
    for _ in range(9):
        service(store, queue, clock, fetcher).run(PLENTY)
        row = store.rows["alerts"]
        assert row.next_poll_at is not None
        waits.append(row.next_poll_at - clock.now)
        clock.now = row.next_poll_at
    assert [w // timedelta(minutes=1) for w in waits] == [5, 10, 20, 40, 80, 120, 120, 120, 5]
    assert BACKOFF_CAP == timedelta(minutes=120)
    assert store.rows["alerts"].fetch.consecutive_failures == 0


def test_one_failing_source_does_not_stop_the_run_and_its_error_is_kept() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("broken"), next_poll_at=T0 - timedelta(minutes=1))
    store.add(source("fine"))
    fetcher = ScriptedFetcher("rss", ZeroDivisionError("a bug"), result("a"))

    summary = service(store, queue, clock, fetcher).run(PLENTY)

    assert (summary.polled, summary.failed, summary.mentions_queued) == (2, 1, 1)
    assert store.rows["broken"].fetch.last_error == "ZeroDivisionError: a bug"
    assert store.rows["fine"].fetch.items_last_run == 1


def test_a_capped_poll_is_flagged_and_polled_again_at_the_kinds_minimum_interval() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("masto", kind="mastodon", poll_minutes=10,
                     settings={"instance_url": "https://social.example", "mode": "hashtag", "tag": "gemeente"}))
    summary = service(store, queue, clock, ScriptedFetcher("mastodon", result("1", "2", capped=True))).run(PLENTY)
    row = store.rows["masto"]
    assert row.fetch.capped and summary.capped == 1
    assert row.next_poll_at == T0 + timedelta(minutes=1)


def test_no_new_source_starts_when_the_lambdas_time_runs_short() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    for n in range(3):
        store.add(source(f"s{n}"), next_poll_at=T0 - timedelta(minutes=3 - n))
    left = iter([RESERVE_SECONDS + 5, RESERVE_SECONDS - 1])
    fetcher = ScriptedFetcher("rss", result("a"))

    summary = service(store, queue, clock, fetcher).run(lambda: next(left))

    assert (summary.due, summary.polled, summary.stopped_early) == (3, 1, True)
    assert store.rows["s0"].fetch.items_last_run == 1
    assert store.due(clock.now, 10) == ["s1", "s2"]  # still due: the next run takes them, unclaimed


def test_an_edit_of_what_is_fetched_during_a_poll_wins_over_the_polls_result() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts"), watermark={"etag": "old-feed"})
    sources = SourcesService(store, check=lambda source: None, clock=clock)

    def edited_meanwhile(spec, watermark):
        sources.replace("alerts", SourceFields(kind="rss", name="Nieuwe feed", facet="brand",
                                               settings={"url": "https://other.example/feed"}), ADMIN)
        return result("a", watermark={"etag": "old-feed-v2"})

    summary = service(store, queue, clock, ScriptedFetcher("rss", edited_meanwhile)).run(PLENTY)

    row = store.rows["alerts"]
    assert summary.not_saved == 1
    assert row.watermark == {} and row.source.settings == {"url": "https://other.example/feed"}
    assert row.next_poll_at == T0  # the new feed is polled at the next run
    assert [m.platform_id for m, _ in queue.sent] == ["a"]  # what the old feed had is still processed


def test_an_edit_of_the_name_during_a_poll_keeps_both_the_edit_and_the_new_watermark() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts"))
    sources = SourcesService(store, check=lambda source: None, clock=clock)

    def renamed_meanwhile(spec, watermark):
        sources.replace("alerts", SourceFields(kind="rss", name="Renamed", facet="brand", settings=dict(spec.settings)),
                        ADMIN)
        return result("a", watermark={"etag": "v2"})

    service(store, queue, clock, ScriptedFetcher("rss", renamed_meanwhile)).run(PLENTY)
    row = store.rows["alerts"]
    assert (row.source.name, row.watermark, row.fetch.items_last_run) == ("Renamed", {"etag": "v2"}, 1)


def test_a_source_disabled_during_a_poll_stays_out_of_the_due_list() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts"))
    sources = SourcesService(store, check=lambda source: None, clock=clock)

    def disabled_meanwhile(spec, watermark):
        sources.replace("alerts",
                        SourceFields(kind="rss", name="x", facet="brand", enabled=False, settings=dict(spec.settings)),
                        ADMIN)
        return result("a")

    service(store, queue, clock, ScriptedFetcher("rss", disabled_meanwhile)).run(PLENTY)
    assert store.rows["alerts"].next_poll_at is None
    assert store.due(clock.now + timedelta(days=1), 10) == []


def test_credentials_come_from_the_named_secret_and_a_missing_one_is_the_sources_error() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("x1", kind="x", settings={"mode": "search", "query": "a"}, secret="x-app"))
    store.add(source("x2", kind="x", settings={"mode": "search", "query": "b"}, secret="missing"))
    asked = []

    def credentials(src):
        asked.append(src.secret)
        if src.secret == "missing":
            raise CredentialsRejected("no credentials stored for x2 (secret chorus/sources/missing)")
        return Credentials({"access_token": "t0ken"})

    fetcher = ScriptedFetcher("x", result("1"))
    service(store, queue, clock, fetcher, credentials=credentials).run(PLENTY)

    used = fetcher.calls[0][2]
    assert asked == ["x-app", "missing"] and used is not None and used.get("access_token") == "t0ken"
    last_error = store.rows["x2"].fetch.last_error
    assert last_error is not None and "CredentialsRejected" in last_error and "t0ken" not in last_error


def test_a_source_removed_during_a_poll_is_not_brought_back() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts"))

    def removed_meanwhile(spec, watermark):
        store.delete("alerts")
        return result("a")

    summary = service(store, queue, clock, ScriptedFetcher("rss", removed_meanwhile)).run(PLENTY)
    assert "alerts" not in store.rows and summary.not_saved == 1


def test_last_fetched_at_is_when_the_poll_ended() -> None:
    store, queue, clock = MemorySources(), MemoryQueue(), Clock(T0)
    store.add(source("alerts"))

    def slow(spec, watermark):
        clock.advance(seconds=4)
        return result("a")

    service(store, queue, clock, ScriptedFetcher("rss", slow)).run(PLENTY)
    assert store.rows["alerts"].fetch.last_fetched_at == timing.iso_utc(T0 + timedelta(seconds=4))
