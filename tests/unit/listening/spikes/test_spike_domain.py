"""The spike rules (chorus.listening.spikes.rules): what counts, in which bucket, against which baseline, and when to
alert."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.listening.schemas import SpikeRules
from chorus.listening.spikes import rules as spikes
from chorus.listening.spikes.rules import Reading
from chorus.listening.spikes.schemas import Watch, threshold
from tests.unit.listening.spikes.fakes import record

NOW = datetime(2026, 11, 20, 9, 7, 30, tzinfo=UTC)
RULES = SpikeRules()


def test_a_mention_is_negative_when_it_complains_or_its_sentiment_is_low_enough() -> None:
    assert spikes.is_negative("complaint", 0.3)
    assert spikes.is_negative("question", -0.5)
    assert not spikes.is_negative("question", -0.49)
    assert not spikes.is_negative("praise", 0.8)


def test_a_negative_mention_counts_in_its_facet_language_and_ten_minute_bucket_of_when_it_was_said() -> None:
    said = datetime(2026, 11, 20, 8, 59, 59, tzinfo=UTC)
    tally = spikes.counter_of(record(1, said, received=NOW, language="en"))
    assert tally is not None and tally.name == "spike#n#brand#en#20261120T0850"
    assert tally.expires_at == int((datetime(2026, 11, 20, 8, 50, tzinfo=UTC) + timedelta(days=30)).timestamp())
    assert spikes.counter_of(record(2, NOW, intent="praise", sentiment=0.6)) is None
    assert spikes.series_of(record(3, NOW, facet=None)) == "brand#nl"  # POST /mentions' default facet


def test_a_platform_clock_ahead_of_ours_counts_when_we_received_it() -> None:
    future = NOW + timedelta(hours=5)
    tally = spikes.counter_of(record(1, future, received=NOW))
    assert tally is not None and tally.name.endswith("#20261120T0900")


def test_the_last_hour_is_six_buckets_and_the_baseline_the_same_buckets_on_earlier_days() -> None:
    window = spikes.windows("company#en", NOW, baseline_days=3)
    assert window.recent == tuple(f"spike#n#company#en#20261120T{hhmm}"
                                  for hhmm in ("0810", "0820", "0830", "0840", "0850", "0900"))
    assert [day[0] for day in window.baseline] == [f"spike#n#company#en#202611{d}T0810" for d in (19, 18, 17)]
    assert len(window.names()) == 6 * 4


def test_sigma_is_at_least_the_square_root_of_the_mean() -> None:
    assert spikes.baseline_stats([4, 4, 4, 4]) == (4.0, 2.0)
    mean, sigma = spikes.baseline_stats([0, 10])
    assert (mean, sigma) == (5.0, 5.0)
    assert spikes.baseline_stats([]) == (0.0, 0.0)


def test_a_reading_sums_the_hour_and_compares_it_with_the_daily_baseline() -> None:
    window = spikes.windows("brand#nl", NOW, baseline_days=2)
    counts = {window.recent[0]: 10, window.recent[-1]: 6, window.baseline[0][2]: 1, window.baseline[1][3]: 3}
    reading = spikes.read(window, counts, SpikeRules(sigmas=2, min_count=5, baseline_days=2))
    assert (reading.count, reading.mean, reading.sigma) == (16, 2.0, 2 ** 0.5)
    assert reading.threshold == 2.0 + 2 * 2 ** 0.5
    assert reading.is_spike and (reading.facet, reading.language) == ("brand", "nl")


# ---------------------------------------------------------------------------------------------- properties
daily = st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=28)


@settings(max_examples=200, deadline=None)
@given(daily, st.integers(min_value=0, max_value=2000), st.floats(min_value=0.5, max_value=10),
       st.floats(min_value=0.5, max_value=10), st.integers(min_value=1, max_value=100))
def test_the_threshold_never_falls_as_k_grows(baseline: list[int], count: int, k1: float, k2: float,
                                              min_count: int) -> None:
    low, high = sorted((k1, k2))
    mean, sigma = spikes.baseline_stats(baseline)
    assert threshold(mean, sigma, low) <= threshold(mean, sigma, high)
    strict = Reading("brand#nl", count, mean, sigma, threshold(mean, sigma, high), min_count)
    loose = Reading("brand#nl", count, mean, sigma, threshold(mean, sigma, low), min_count)
    assert not strict.is_spike or loose.is_spike  # whatever a larger k calls a spike, a smaller k does too


@settings(max_examples=200, deadline=None)
@given(daily, st.integers(min_value=1, max_value=1000), st.data())
def test_no_spike_below_the_minimum_count(baseline: list[int], min_count: int, data: st.DataObject) -> None:
    count = data.draw(st.integers(min_value=0, max_value=min_count - 1))
    mean, sigma = spikes.baseline_stats(baseline)
    for k in (0.5, 1.0, 3.0):
        assert not Reading("brand#nl", count, mean, sigma, threshold(mean, sigma, k), min_count).is_spike


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=1, max_value=90), st.integers(min_value=0, max_value=60)), max_size=60),
       st.integers(min_value=10, max_value=600))
def test_alerts_of_one_series_are_at_least_a_cooldown_apart(runs: list[tuple[int, int]], cooldown: int) -> None:
    """Runs at arbitrary intervals with arbitrary counts: whatever happens, two alerts are a cooldown apart."""
    rules = SpikeRules(min_count=10, cooldown_minutes=cooldown)
    watch, now, alerts = Watch(series="brand#nl"), NOW, []
    for minutes_later, count in runs:
        now += timedelta(minutes=minutes_later)
        reading = Reading("brand#nl", count, 1.0, 1.0, 4.0, rules.min_count)
        if spikes.next_step(watch, reading, now, rules) == "new":
            spike = spikes.new_spike(reading, spikes.evidence([]), rules, now, timedelta(days=90), "off", sms=False)
            watch = spikes.sent(spikes.claim(watch, spike, now))
            alerts.append(now)
    assert all(later - earlier >= timedelta(minutes=cooldown) for earlier, later in pairwise(alerts))
    assert all(count < 10 for _, count in runs) or alerts  # something above the threshold does alert


def test_a_claimed_spike_is_left_to_its_claimer_until_the_claim_runs_out() -> None:
    reading = Reading("brand#nl", 50, 1.0, 1.0, 4.0, 10)
    spike = spikes.new_spike(reading, spikes.evidence([]), RULES, NOW, timedelta(days=90), "off", sms=False)
    claimed = spikes.claim(Watch(series="brand#nl"), spike, NOW)
    assert spikes.next_step(claimed, reading, NOW + timedelta(seconds=30), RULES) is None
    assert spikes.next_step(claimed, reading, NOW + spikes.NOTIFY_CLAIM, RULES) == "resume"
    assert spikes.next_step(spikes.sent(claimed), reading, NOW + timedelta(minutes=5), RULES) is None  # cooling down


# ---------------------------------------------------------------------------------------------- what the alert says
def test_evidence_names_the_top_terms_and_authors_and_three_linked_examples_one_per_author() -> None:
    records = [
        record(1, NOW, author="anna", followers=50, text="Storing bij het internet, weer! https://t.co/x @KPN"),
        record(2, NOW, author="anna", followers=50, text="Internet storing duurt al uren #storing"),
        record(3, NOW, author="bert", followers=90_000, text="Geen internet hier in Utrecht", url=False),
        record(4, NOW, author="carla", followers=5_000, text="Storing: geen tv en geen internet"),
        record(5, NOW, author="dirk", followers=200, text="Storing in Amersfoort"),
    ]
    found = spikes.evidence(records)
    assert [(t.term, t.mentions) for t in found.terms[:2]] == [("internet", 4), ("storing", 4)]
    assert all(t.term not in ("het", "bij", "kpn", "https") for t in found.terms)
    assert [(a.handle, a.mentions) for a in found.authors] == [("anna", 2), ("bert", 1), ("carla", 1)]
    # Linked ones first, then reach; one per author.
    assert [e.author_handle for e in found.examples] == ["carla", "dirk", "anna"]
    assert all(e.url for e in found.examples) and found.platform == "x"


def test_the_alert_says_why_with_counts_baseline_terms_authors_examples_and_the_crisis_hold() -> None:
    reading = Reading("employees#en", 42, 3.14, 1.5, 7.64, 10)
    found = spikes.evidence([record(1, NOW, author="anna", text="Terrible service from your staff again",
                                    language="en")])
    spike = spikes.new_spike(reading, found, SpikeRules(), NOW, timedelta(days=90), "switched_on", sms=True)
    text = spike.message()
    assert spike.subject() == "[pr high] spike: 42 negative mentions about the employees in English in the last hour"
    assert ("42 negative mentions in the last hour; usually 3.1 ± 1.5 at this hour over the last 7 days, "
            "threshold 7.6") in text
    assert "mean + 3·σ, at least 10" in text
    assert "Top terms: " in text and "terrible (1)" in text and "Top authors: @anna (1, 100 followers)" in text
    assert "1. @anna on x: \"Terrible service from your staff again\"" in text and "https://x.com/u/status/1" in text
    assert "Crisis hold: switched ON" in text
    assert spike.attributes() == {"team": "pr", "severity": "high", "intent": "complaint", "language": "en",
                                  "platform": "x", "facet": "employees", "kind": "spike", "sms": "yes"}
    off = spike.model_copy(update={"crisis_hold": "off"}).message()
    assert "not switched on (spike.crisis_hold is off)" in off
    assert spikes.hold_effect(opted_in=True, hold_active=True) == "already_on"
    assert spikes.hold_effect(opted_in=False, hold_active=False) == "off"
