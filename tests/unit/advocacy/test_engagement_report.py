"""The engagement report: rows add up to the totals in every grouping, inactive people are the expected ones who did
nothing, the leaderboard never shows someone who hid themselves, and the period is bounded."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.advocacy.engagement.rules import (
    EVENTS,
    MAX_PERIOD_DAYS,
    Count,
    Member,
    Period,
    leaderboard,
    period_of,
    report,
    tally_of,
    to_csv,
)
from chorus.advocacy.engagement.schemas import ReportSettings, ReportSettingsIn, Tally
from chorus.advocacy.engagement.service import Directory, EngagementReports, People, SettingsStore, member_of
from chorus.advocacy.people.schemas import Person
from chorus.core.errors import NotFound, ValidationError
from chorus.core.roles import Principal
from tests.unit.advocacy.fakes import MemoryLedger

DAY = date(2026, 11, 23)
PERIOD = Period(DAY, DAY + timedelta(days=6))
PEOPLE_IDS = ("p1", "p2", "p3", "p4", "p5", "gone")  # "gone": counts of someone no longer in the programme

members_st = st.lists(
    st.builds(Member, id=st.sampled_from(PEOPLE_IDS[:-1]), name=st.sampled_from(["Ann", "Bo", "Cas"]),
              team=st.sampled_from(["sales", "hr"]),
              roles=st.lists(st.sampled_from(["master", "editor", "creator", "publisher"]), unique=True).map(tuple),
              expected_active=st.booleans(), on_leaderboard=st.booleans(), erased=st.booleans()),
    unique_by=lambda m: m.id, max_size=5)
counts_st = st.lists(st.builds(Count, person=st.sampled_from(PEOPLE_IDS), day=st.just(DAY),
                               event=st.sampled_from(EVENTS),
                               channel=st.sampled_from(["-", "x", "mastodon", "bluesky"]), count=st.integers(1, 50)),
                     max_size=40)


def summed(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for each in tallies:
        total = total.plus(each)
    return total


def numbers(tally: Tally) -> dict:
    return tally.model_dump(exclude={"key", "name", "team", "roles", "people", "active_people"})


@settings(max_examples=300, deadline=None)
@given(counts_st, members_st)
def test_totals_are_every_count_and_equal_the_person_rows_plus_anonymous(counts: list[Count],
                                                                         members: list[Member]) -> None:
    result = report(counts, members, PERIOD, "person")
    assert numbers(result.totals) == numbers(tally_of(counts))
    assert numbers(result.totals) == numbers(summed([*result.rows, result.anonymous]))
    named = {m.id for m in members if not m.erased}
    assert [r.key for r in result.rows] == sorted(
        named, key=lambda i: (next(m.name for m in members if m.id == i).casefold(), i))
    assert numbers(result.anonymous) == numbers(tally_of(c for c in counts if c.person not in named))


@settings(max_examples=300, deadline=None)
@given(counts_st, members_st)
def test_team_rows_partition_the_people_and_role_rows_count_each_role_of_a_person(counts: list[Count],
                                                                                  members: list[Member]) -> None:
    people = {r.key: r for r in report(counts, members, PERIOD, "person").rows}
    by_team = report(counts, members, PERIOD, "team")
    assert numbers(by_team.totals) == numbers(summed([*by_team.rows, by_team.anonymous]))
    named = [m for m in members if not m.erased]
    for row in by_team.rows:
        in_team = [people[m.id] for m in named if m.team == row.key]
        assert numbers(row) == numbers(summed(in_team)) and row.people == len(in_team)
    assert sorted(r.key for r in by_team.rows) == sorted({m.team for m in named})
    by_role = report(counts, members, PERIOD, "role")
    for row in by_role.rows:
        with_role = [people[m.id] for m in named if row.key in m.roles]
        assert numbers(row) == numbers(summed(with_role))
        assert row.active_people == sum(p.active for p in with_role)
    assert sorted(r.key for r in by_role.rows) == sorted({role for m in named for role in m.roles})


@settings(max_examples=300, deadline=None)
@given(counts_st, members_st)
def test_inactive_are_the_expected_people_who_did_not_contribute_share_or_converse(counts: list[Count],
                                                                                   members: list[Member]) -> None:
    # Clicks and offers are not the person's doing; a claimed share is their word, not verified yet.
    active = {c.person for c in counts if c.event not in ("click", "offer_received", "share_claimed")}
    expected = {m.id for m in members if m.expected_active and not m.erased}
    assert {p.id for p in report(counts, members, PERIOD, "person").inactive} == expected - active


def test_claimed_shares_are_shown_apart_and_move_no_score_activity_or_leaderboard() -> None:
    members = [Member("p1", "Ann", "sales", ("publisher",), expected_active=True, on_leaderboard=True),
               Member("p2", "Bo", "sales", ("publisher",), expected_active=True, on_leaderboard=True)]
    counts = [Count("p1", DAY, "share_claimed", "linkedin", 3), Count("p2", DAY, "share", "mastodon", 1),
              Count("p2", DAY, "share_claimed", "x", 1)]
    rows = {row.key: row for row in report(counts, members, PERIOD, "person").rows}
    assert (rows["p1"].shares_claimed, rows["p1"].shares, rows["p1"].score, rows["p1"].active_people) == (3, 0, 0, 0)
    assert (rows["p2"].shares_claimed, rows["p2"].shares, rows["p2"].score) == (1, 1, 1)
    assert rows["p1"].shares_by_channel == {} and rows["p2"].shares_by_channel == {"mastodon": 1}
    assert [i.id for i in report(counts, members, PERIOD, "person").inactive] == ["p1"]
    assert [e.person_id for e in leaderboard(counts, members, PERIOD, 10).entries] == ["p2"]
    csv_rows = list(csv.DictReader(io.StringIO(to_csv(report(counts, members, PERIOD, "team")))))
    assert [(r["key"], r["shares"], r["shares_claimed"]) for r in csv_rows] == [
        ("sales", "1", "4"), ("anonymous", "0", "0"), ("total", "1", "4")]


@settings(max_examples=300, deadline=None)
@given(counts_st, members_st, st.integers(1, 10))
def test_the_leaderboard_shows_only_visible_people_with_a_score_highest_first(counts: list[Count],
                                                                              members: list[Member],
                                                                              limit: int) -> None:
    board = leaderboard(counts, members, PERIOD, limit)
    visible = {m.id for m in members if m.on_leaderboard and not m.erased}
    shown = [e.person_id for e in board.entries]
    assert set(shown) <= visible and len(shown) <= limit
    scores = [e.score for e in board.entries]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    for before, after in pairwise(board.entries):
        assert after.rank == (before.rank if after.score == before.score else board.entries.index(after) + 1)
    assert numbers(board.totals) == numbers(tally_of(counts))  # hidden and erased people count, anonymously


def test_the_score_weighs_contribution_conversation_and_shares_and_shares_are_per_channel() -> None:
    counts = [Count("p1", DAY, "submission_made", "-", 1), Count("p1", DAY, "post_edited", "-", 1),
              Count("p1", DAY, "share", "x", 2), Count("p1", DAY, "share", "mastodon", 1),
              Count("p1", DAY, "reply", "mastodon", 4), Count("p1", DAY, "forward", "-", 1),
              Count("p1", DAY, "click", "x", 30), Count("p1", DAY, "offer_received", "-", 5)]
    tally = tally_of(counts)
    assert (tally.contribution, tally.conversation, tally.shares) == (2, 5, 3)
    assert tally.score == 3 * 2 + 2 * 5 + 1 * 3
    assert tally.shares_by_channel == {"mastodon": 1, "x": 2}
    assert tally_of([Count("p1", DAY, "click", "x", 9), Count("p1", DAY, "offer_received", "-", 1)]).active is False


def test_a_period_is_whole_days_at_most_a_quarter() -> None:
    assert period_of(None, None, DAY) == Period(DAY - timedelta(days=29), DAY)  # the 30 days up to today
    assert period_of("2026-01-01", "2026-01-02", DAY).days == 1  # `to` is not counted
    assert period_of("2026-01-01", "2026-01-02T00:00:00Z", DAY).stop == date(2026, 1, 2)  # a midnight is a day
    assert period_of("2026-01-01", None, date(2026, 4, 3)).days == MAX_PERIOD_DAYS
    for start, end, field in (("2026-01-01", "2026-04-05", "to"), ("2026-02-02", "2026-02-01", "to"),
                              ("2026-02-02", "2026-02-02", "to"), ("yesterday", None, "from"),
                              (None, "2026-13-01", "to"), ("2026-01-01T09:30:00Z", None, "from")):
        with pytest.raises(ValidationError) as error:
            period_of(start, end, DAY)
        assert error.value.field == field


def test_csv_has_a_row_per_person_then_anonymous_and_total_and_defuses_formulas() -> None:
    members = [Member("p1", "=HYPERLINK(\"x\")", "sales", ("publisher",), True, True),
               Member("p2", "Bo", "hr", ("creator",), True, True)]
    counts = [Count("p1", DAY, "share", "x", 2), Count("gone", DAY, "share", "bluesky", 1)]
    rows = list(csv.DictReader(io.StringIO(to_csv(report(counts, members, PERIOD, "person")))))
    assert [r["key"] for r in rows] == ["p1", "p2", "anonymous", "total"]
    assert rows[0]["name"] == "'=HYPERLINK(\"x\")" and rows[0]["shares_x"] == "2" and rows[0]["score"] == "2"
    assert (rows[3]["shares"], rows[3]["shares_bluesky"], rows[2]["shares_bluesky"]) == ("3", "1", "1")


# ---------------------------------------------------------------------------------------------- the service
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
STAMP = "2026-11-01T00:00:00Z"


def person(pid: str, name: str, roles: list[str], *, team: str = "sales", acknowledged: str | None = "2026-1",
           opted_in: bool = True, hidden: bool = False, username: str | None = None) -> Person:
    return Person(id=pid, username=username or name.lower(), name=name, email=None, phone=None, team=team, roles=roles,
                  platforms={}, topics=[], opted_in=opted_in, policy_version=acknowledged,
                  policy_acknowledged_at=STAMP if acknowledged else None, training_completed_at=None, notify_by="none",
                  rhythm="daily", named_consent=False, hide_from_leaderboard=hidden, created_at=STAMP, updated_at=STAMP)


class FakePeople(People, Directory):
    """The AmbassadorService's reads and the people directory, over a list."""

    def __init__(self, people: list[Person], policy: str | None = "2026-1") -> None:
        self.people = people
        self.policy = policy

    def directory(self) -> list[Person]:
        return self.people

    def for_principal(self, principal: Principal) -> Person | None:
        return next((p for p in self.people if p.is_principal(principal) and p.erased_at is None), None)

    def current_policy_version(self) -> str | None:
        return self.policy


class FakeSettings(SettingsStore):
    def __init__(self) -> None:
        self.settings = ReportSettings(leaderboard_enabled=False)

    def get(self) -> ReportSettings:
        return self.settings

    def put(self, settings: ReportSettings) -> None:
        self.settings = settings


def test_who_is_expected_to_be_active_follows_policy_opt_in_and_roles() -> None:
    assert member_of(person("p1", "Ann", ["publisher"]), "2026-1").expected_active
    assert not member_of(person("p2", "Bo", ["publisher"], acknowledged="2025-9"), "2026-1").expected_active
    assert not member_of(person("p3", "Cas", ["publisher"], opted_in=False), "2026-1").expected_active
    assert member_of(person("p4", "Dee", ["creator"], opted_in=False, acknowledged=None), "2026-1").expected_active
    assert not member_of(person("p5", "Eve", ["master"]), "2026-1").expected_active
    erased = person("p6", "Fay", ["editor"]).erased(STAMP)
    assert member_of(erased, "2026-1") == member_of(erased, None) and member_of(erased, None).erased


def test_the_service_reports_people_and_hides_the_leaderboard_until_a_master_switches_it_on() -> None:
    ledger, settings_store = MemoryLedger(), FakeSettings()
    people = FakePeople([person("p1", "Ann", ["publisher"]), person("p2", "Bo", ["creator"], hidden=True),
                         person("p3", "Cas", ["publisher"], acknowledged=None),
                         person("p4", "Dee", ["editor"]).erased(STAMP)])
    service = EngagementReports(ledger, people, people, settings_store, clock=lambda: NOW)
    ledger.record("p1", "share", NOW, "x")
    ledger.record("p2", "submission_made", NOW)
    ledger.record("p4", "post_edited", NOW)
    period = service.period(None, None)
    result = service.report(period, "person")
    assert [r.name for r in result.rows] == ["Ann", "Bo", "Cas"]
    assert (result.anonymous.posts_edited, result.totals.score) == (1, 1 + 3 + 3)
    assert result.inactive == []  # Cas has not acknowledged the policy: nobody expects them to share yet
    with pytest.raises(NotFound, match="leaderboard is off"):
        service.leaderboard(period, 10)
    service.change_settings(ReportSettingsIn(leaderboard_enabled=True), Principal("mia", frozenset({"master"})))
    board = service.leaderboard(period, 10)
    assert [e.name for e in board.entries] == ["Ann"] and board.totals.score == 7
    assert service.report_settings().updated_by == "mia"


def test_my_row_needs_me_to_be_in_the_programme() -> None:
    ledger = MemoryLedger()
    people = FakePeople([person("p1", "Ann", ["publisher"], username="ann")])
    service = EngagementReports(ledger, people, people, FakeSettings(), clock=lambda: NOW)
    ledger.record("p1", "click", NOW, "x", count=4)
    ledger.record("p1", "click", NOW - timedelta(days=40), "x")
    period = service.period(None, None)
    mine = service.mine(Principal("ann", frozenset({"publisher"})), period)
    assert (mine.key, mine.clicks, mine.active) == ("p1", 4, False)
    with pytest.raises(NotFound, match="not in the ambassador programme"):
        service.mine(Principal("stranger", frozenset({"publisher"})), period)
