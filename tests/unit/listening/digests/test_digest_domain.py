"""The digest rules (chorus.listening.digests.rules): when one is due, what each team's shows, and how it reads."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.core import time as timing
from chorus.listening.digests import rules as digest
from chorus.listening.digests.rules import Period
from chorus.listening.digests.schemas import SLOT_CLAIM, Slot, SlotState
from chorus.listening.schemas import Alert, AlertStatus, SpikeRules
from chorus.listening.spikes.rules import Reading, evidence, new_spike
from tests.unit.listening.spikes.fakes import record

AMS = "Europe/Amsterdam"
TIMES = ["09:00", "16:00"]
NINE = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam (winter time)
SLOT = Slot(at=NINE, since=datetime(2026, 11, 19, 15, 0, tzinfo=UTC))


def test_a_digest_is_due_from_its_time_until_three_hours_later_and_covers_the_time_since_the_previous() -> None:
    assert digest.due_slot(TIMES, AMS, NINE) == SLOT
    assert digest.due_slot(TIMES, AMS, NINE + timedelta(minutes=14)) == SLOT
    # 08:59:59: the 16:00 of yesterday is too old
    assert digest.due_slot(TIMES, AMS, NINE - timedelta(seconds=1)) is None
    assert digest.due_slot(TIMES, AMS, NINE + timedelta(hours=3, seconds=1)) is None
    afternoon = digest.due_slot(TIMES, AMS, datetime(2026, 11, 20, 15, 5, tzinfo=UTC))
    assert afternoon == Slot(at=datetime(2026, 11, 20, 15, 0, tzinfo=UTC), since=NINE)
    assert afternoon.key == "digest#2026-11-20T15:00:00Z"
    assert digest.due_slot([], AMS, NINE) is None


def test_digest_times_keep_their_wall_clock_time_across_daylight_saving() -> None:
    # Sunday 29 March 2026 clocks go forward: 09:00 is 07:00 UTC, the day before 16:00 was 15:00 UTC.
    slot = digest.due_slot(TIMES, AMS, datetime(2026, 3, 29, 7, 0, tzinfo=UTC))
    assert slot == Slot(at=datetime(2026, 3, 29, 7, 0, tzinfo=UTC), since=datetime(2026, 3, 28, 15, 0, tzinfo=UTC))


# Times outside 02:00-03:00, which the spring-forward night skips (see the test above for what happens then).
QUARTERS = [f"{h:02d}:{m:02d}" for h in range(24) if h != 2 for m in (0, 15, 30, 45)]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(QUARTERS), min_size=1, max_size=8), st.integers(min_value=0, max_value=366 * 24 * 4))
def test_every_due_slot_is_a_configured_local_time_after_its_previous(times: list[str], quarter: int) -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * quarter)
    slot = digest.due_slot(times, AMS, now)
    local = now.astimezone(timing.zone(AMS)).strftime("%H:%M")
    if slot is None:
        assert local not in times  # at a digest time, that digest is due
        return
    assert slot.since < slot.at <= now <= slot.at + digest.LATE_LIMIT
    assert slot.at.astimezone(timing.zone(AMS)).strftime("%H:%M") in times
    assert slot.since.astimezone(timing.zone(AMS)).strftime("%H:%M") in times
    if local in times:
        assert slot.at == now


def test_open_complaints_are_complaints_still_new_or_assigned() -> None:
    assert digest.is_open_complaint(record(1, NINE, status="assigned"))
    assert not digest.is_open_complaint(record(1, NINE, status="responded"))
    assert not digest.is_open_complaint(record(1, NINE, intent="question", sentiment=0.0))


def _alert(n: int, team: str, escalated_to: list[str], status: AlertStatus = "open",
           acknowledged_at: str | None = None) -> Alert:
    return Alert(id=f"a{n}", team=team, severity="medium", reason="complaint (nl)", intent="complaint", language="nl",
                 platform="x", mention_id=f"m{n}", conversation=f"x#{n}", author_handle=f"klant{n}",
                 excerpt="Geen internet",
                 url=f"https://x.com/klant{n}/status/{n}", created_at="2026-11-19T20:00:00Z", status=status,
                 acknowledged_at=acknowledged_at, acknowledged_by="anna" if acknowledged_at else None,
                 escalated_to=escalated_to, expires_at=2_000_000_000)


def _period(**parts: Any) -> Period:
    defaults: dict[str, Any] = {"slot": SLOT, "mentions": [], "mentions_complete": True, "open_complaints": [],
                                   "open_complete": True, "alerts": [], "spikes": []}
    return Period(**{**defaults, **parts})


def test_each_team_sees_its_own_work_and_the_care_lead_also_the_care_desks() -> None:
    night = datetime(2026, 11, 19, 22, 0, tzinfo=UTC)
    mentions = [record(1, night), record(2, night, intent="praise", sentiment=0.8, teams=("marketing",)),
                record(3, night, teams=("care", "pr"))]
    open_complaints = [record(3, night, teams=("care", "pr")), record(1, night)]
    alerts = [_alert(1, "care", ["care-lead"]),
              _alert(2, "care", ["care-lead", "pr"], "acknowledged", "2026-11-19T14:00:00Z"),
              _alert(3, "care", ["care-lead"], "acknowledged", "2026-11-20T07:00:00Z"), _alert(4, "care", [])]
    period = _period(mentions=mentions, open_complaints=open_complaints, alerts=alerts)
    care, lead, marketing, pr = (digest.for_team(team, period) for team in ("care", "care-lead", "marketing", "pr"))
    assert care.by_intent == {"complaint": 2, "question": 0, "praise": 1, "other": 0}
    assert care.routed_by_intent["complaint"] == 2
    assert marketing.routed_by_intent == {"complaint": 0, "question": 0, "praise": 1, "other": 0}
    oldest_two = [open_complaints[0].id, open_complaints[1].id]
    assert [m.id for m in lead.open_complaints] == [m.id for m in care.open_complaints] == oldest_two
    assert [m.id for m in pr.open_complaints] == [open_complaints[0].id] and marketing.open_complaints == []
    # Escalated: still open, or acknowledged during the period; one acknowledged before it was in an earlier digest.
    assert [a.id for a in lead.escalated] == ["a1", "a3"] and [a.id for a in care.escalated] == ["a1", "a3"]
    assert pr.escalated == [] and marketing.escalated == []
    assert not marketing.quiet and digest.for_team("marketing", _period()).quiet


def test_the_digest_reads_as_plain_text_with_counts_and_the_oldest_complaints_with_links() -> None:
    now = NINE + timedelta(minutes=1)
    old = [record(n, NINE - timedelta(days=2, hours=n), author=f"klant{n}") for n in range(12, 0, -1)]  # oldest first
    reading = Reading("brand#nl", 34, 3.12, 1.77, 8.42, 10)
    spike = new_spike(reading, evidence([]), SpikeRules(), NINE - timedelta(hours=2), timedelta(days=90),
                      "switched_on", False)
    team = digest.for_team("care", _period(mentions=old[:3], mentions_complete=False, open_complaints=old,
                                           alerts=[_alert(1, "care", ["care-lead"])], spikes=[spike]))
    subject, text = digest.render(team, AMS, now)
    assert subject == "[care digest] Fri 20 Nov 09:00: 3+ new, 12 open complaints, 1 escalated, 1 spike"
    assert text.startswith("Chorus digest for care, Friday 20 November 09:00 (Europe/Amsterdam); "
                           "since Thu 19 Nov 16:00.")
    assert "New mentions: 3+ (routed to care: 3+)" in text and "  complaint      3   care: 3" in text
    assert "counts are a lower bound" in text
    assert "Open complaints for care: 12, oldest first" in text
    assert "  1. waiting 2 d 12 h: @klant12 on x (nl, new)" in text and "https://x.com/u/status/12" in text
    assert "klant2 " not in text
    assert "... and 2 more in the Chorus inbox (open complaints for care, oldest first)" in text
    assert "GET /" not in text  # where to look, in words: no API paths in a mail
    assert "care -> care-lead, still open" in text and "https://x.com/klant1/status/1" in text
    assert ("Fri 07:00 brand, Dutch: 34 negative mentions in an hour (usually 3.1, threshold 8.4); "
            "crisis hold switched on") in text

    subject, text = digest.render(team, AMS, now, "nl")  # the same digest for a Dutch subscriber
    assert subject == "[care overzicht] vr 20 nov 09:00: 3+ nieuw, 12 open klachten, 1 geëscaleerd, 1 piek"
    assert text.startswith("Chorus-overzicht voor care, vrijdag 20 november 09:00 (Europe/Amsterdam); "
                           "sinds do 19 nov 16:00.")
    assert "Nieuwe berichten: 3+ (naar care: 3+)" in text and "  klacht         3   care: 3" in text
    assert "  1. wacht 2 d 12 u: @klant12 op x (nl, nieuw)" in text
    assert "... en nog 2 in de inbox van Chorus (open klachten voor care, oudste eerst)" in text
    assert "  - klacht (nl) op x door @klant1: care -> care-lead, nog open" in text
    assert ("vr 07:00 merk, Nederlands: 34 negatieve berichten in een uur (meestal 3,1, drempel 8,4); "
            "publicatiestop aangezet") in text


def test_a_quiet_period_still_sends_a_short_digest_that_says_so() -> None:
    subject, text = digest.render(digest.for_team("marketing", _period()), AMS, NINE)
    assert subject == "[marketing digest] Fri 20 Nov 09:00: quiet"
    assert "A quiet period: no new mentions, no open complaints for marketing, nothing escalated, no spikes." in text
    assert len(text.splitlines()) == 4


def test_a_slot_is_claimed_by_one_run_and_done_when_every_team_is_sent() -> None:
    state = SlotState(key=SLOT.key)
    assert state.claimable(NINE)
    claimed = state.claimed(SLOT, NINE)
    assert not claimed.claimable(NINE + timedelta(minutes=2)) and claimed.claimable(NINE + SLOT_CLAIM)
    for team in ("care", "care-lead", "marketing", "pr"):
        claimed = claimed.with_sent(team, NINE)
    assert claimed.done and not claimed.claimable(NINE + timedelta(hours=1)) and claimed.claim_until is None
    assert claimed.expires_at == int((NINE + timedelta(days=7)).timestamp())
