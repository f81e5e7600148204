"""SpikeService with in-memory ports: one PR alert per spike and cooldown, whatever overlaps, retries or crashes."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chorus.listening.rules import DEFAULT_RULES
from chorus.listening.schemas import RoutingRules, SpikeRules
from chorus.listening.spikes import rules as spikes
from chorus.listening.spikes.service import SpikeService
from tests.clock import Clock
from tests.unit.listening.fakes import MemoryNotifier
from tests.unit.listening.spikes.fakes import MemoryCrisis, MemoryNegativeMentions, MemorySpikeStore, record

NOW = datetime(2026, 11, 20, 9, 7, tzinfo=UTC)


class World:
    def __init__(self, rules: RoutingRules | None = None, sms_left: int = 5) -> None:
        self.clock = Clock(NOW)
        self.store, self.mentions, self.crisis = MemorySpikeStore(), MemoryNegativeMentions(), MemoryCrisis()
        self.notifier = MemoryNotifier()
        self.rules = rules or DEFAULT_RULES
        self.sms_left = sms_left
        self.service = self.new_run()

    def new_run(self) -> SpikeService:
        """Another Lambda invocation on the same tables (runs may overlap)."""
        return SpikeService(self.store, self.mentions, self.notifier, self.crisis, rules=lambda: self.rules,
                            sms_budget=self.sms_budget, clock=self.clock, retention=timedelta(days=90))

    def sms_budget(self, team: str, now: datetime, rules: RoutingRules) -> bool:
        self.sms_left -= 1
        return self.sms_left >= 0

    def negative_mentions(self, count: int, series: str = "brand#nl", at: datetime | None = None,
                          start: int = 0) -> None:
        """Store `count` negative mentions said at `at` and count them, as process_mentions would."""
        facet, language = series.split("#")
        for n in range(start, start + count):
            mention = record(n, at or self.clock(), facet=facet, language=language, author=f"user{n % 4}")
            self.mentions.records.append(mention)
            tally = spikes.counter_of(mention)
            assert tally is not None
            self.store.counters[tally.name] = self.store.counters.get(tally.name, 0) + 1

    def usual_hours(self, per_hour: int, days: int = 7) -> None:
        """The same hour on earlier days had `per_hour` negative mentions."""
        for day in range(1, days + 1):
            name = spikes.counter_name("brand#nl", spikes.bucket_of(self.clock() - timedelta(days=day)))
            self.store.counters[name] = per_hour


def test_a_spike_alerts_pr_once_and_again_only_after_the_cooldown_if_it_persists() -> None:
    world = World()
    world.usual_hours(2)
    world.negative_mentions(30)
    assert world.service.detect() == {"series": 9, "items_read": 1 + 9 * 48 + 9 + 30 + 1, "alerts": 1}
    [sent] = world.notifier.sent
    assert sent.attributes["team"] == "pr" and sent.attributes["kind"] == "spike" and sent.attributes["sms"] == "yes"
    assert "30 negative mentions in the last hour; usually 2.0" in sent.message
    world.clock.advance(minutes=5)
    assert world.service.detect()["alerts"] == 0  # still elevated, but cooling down
    world.clock.advance(minutes=DEFAULT_RULES.spike.cooldown_minutes)
    world.negative_mentions(30, start=100)
    assert world.service.detect()["alerts"] == 1
    assert len(world.store.records) == 2 and all(s.notified_at for s in world.store.records.values())


def test_no_alert_below_the_minimum_count_or_when_switched_off() -> None:
    world = World()
    world.negative_mentions(DEFAULT_RULES.spike.min_count - 1)
    assert world.service.detect()["alerts"] == 0
    world.negative_mentions(5, start=100)
    world.rules = DEFAULT_RULES.model_copy(update={"spike": SpikeRules(enabled=False)})
    assert world.service.detect() == {"series": 0, "items_read": 1, "alerts": 0}
    assert world.notifier.sent == []


def test_a_run_that_overlaps_a_sending_run_sends_nothing() -> None:
    world = World()
    world.negative_mentions(25)
    overlapping: list[dict[str, int]] = []
    original = world.notifier.send

    def send_while_another_run_starts(subject: str, message: str, *, sms_text: str | None = None,
                                      **attributes: str) -> None:
        overlapping.append(world.new_run().detect())
        original(subject, message, sms_text=sms_text, **attributes)

    world.notifier.send = send_while_another_run_starts  # type: ignore[method-assign]  # a send that starts another run
    assert world.service.detect()["alerts"] == 1
    assert overlapping == [{"series": 9, "items_read": 1 + 9 * 48 + 9, "alerts": 0}]
    assert len(world.notifier.sent) == 1


def test_of_two_runs_that_read_the_same_watch_only_one_claims_the_spike() -> None:
    world = World()
    world.negative_mentions(25)
    other: list[dict[str, int]] = []
    world.store.on_watches = lambda: other.append(world.new_run().detect())  # B runs entirely after A read the watches
    mine = world.service.detect()
    assert other[0]["alerts"] + mine["alerts"] == 1
    assert len(world.notifier.sent) == 1 and len(world.store.records) == 1


def test_a_run_that_dies_after_claiming_leaves_the_spike_to_the_next_run_after_the_claim() -> None:
    world = World(rules=DEFAULT_RULES.model_copy(update={"spike": SpikeRules(crisis_hold=True)}))
    world.negative_mentions(25)
    original = world.notifier.send

    def sns_down(subject: str, message: str, *, sms_text: str | None = None, **attributes: str) -> None:
        raise ConnectionError("SNS unreachable")

    world.notifier.send = sns_down  # type: ignore[method-assign]  # SNS fails
    with pytest.raises(ConnectionError):
        world.service.detect()
    world.notifier.send = original  # type: ignore[method-assign]  # the fake's own send again
    assert world.service.detect()["alerts"] == 0  # the dead run's claim still holds
    world.clock.advance(seconds=spikes.NOTIFY_CLAIM.total_seconds())
    assert world.new_run().detect()["alerts"] == 1
    [sent] = world.notifier.sent
    assert "Crisis hold: switched ON" in sent.message
    assert len(world.crisis.holds) == 1  # switched on once, by the first attempt; the resend does not hold again
    world.clock.advance(minutes=5)
    assert world.service.detect()["alerts"] == 0


def test_an_opted_in_spike_switches_the_crisis_hold_on_with_its_reason_unless_it_is_on() -> None:
    world = World(rules=DEFAULT_RULES.model_copy(update={"spike": SpikeRules(crisis_hold=True)}))
    world.negative_mentions(25, series="company#en")
    world.service.detect()
    [(by, reason)] = world.crisis.holds
    assert by == "spike-detector"
    assert reason.startswith("spike of negative mentions about the company (en): 25 negative")
    world.clock.advance(minutes=DEFAULT_RULES.spike.cooldown_minutes)
    world.negative_mentions(25, series="company#en", start=100)
    world.service.detect()
    assert len(world.crisis.holds) == 1 and "Crisis hold: already on." in world.notifier.sent[-1].message


def test_without_opting_in_the_hold_stays_off_and_sms_follows_the_budget() -> None:
    world = World(sms_left=0)
    world.negative_mentions(25)
    world.service.detect()
    assert world.crisis.holds == [] and "not switched on" in world.notifier.sent[0].message
    assert world.notifier.sent[0].attributes["sms"] == "no"


def test_each_series_is_judged_on_its_own() -> None:
    world = World()
    world.negative_mentions(25, series="brand#en")
    world.negative_mentions(3, series="brand#nl", start=100)
    assert world.service.detect()["alerts"] == 1
    assert world.notifier.sent[0].attributes["language"] == "en"
    assert [s.id for s in world.service.recent(days=1, limit=10)[0]] == ["2026-11-20T09:07:00Z#brand#en"]
