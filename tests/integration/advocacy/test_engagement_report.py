"""The engagement report on moto, through the API: ledger counts become rows per person, team and role, with totals,
inactive people and CSV; the leaderboard exists only once a master switches it on, and hidden or erased people never
appear on it."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from chorus import container
from tests.integration.conftest import Api, Stack

NOW = datetime.now(UTC)
FROM, TO = (NOW - timedelta(days=6)).date().isoformat(), (NOW + timedelta(days=1)).date().isoformat()  # TO: not in
PERIOD = f"from={FROM}&to={TO}"


def programme(stack: Stack, api: Api) -> tuple[str, dict[str, str], dict[str, str]]:
    """A master, four people with their own logins, a policy that Ann acknowledged, and a week of engagement."""
    master = stack.user("master", "mia")
    logins = {name: stack.user(role, name) for name, role in
              (("ann", "publisher"), ("bo", "creator"), ("cas", "publisher"), ("dee", "editor"))}
    people = {}
    for username, name, team, roles in (("ann", "Ann", "sales", ["publisher"]), ("bo", "Bo", "hr", ["creator"]),
                                        ("cas", "Cas", "sales", ["publisher"]),
                                        ("dee", "Dee", "hr", ["editor", "publisher"])):
        status, person = api.call("POST", "/ambassadors", master, {"username": username, "name": name, "team": team,
                                                                   "roles": roles})
        assert status == 201, person
        people[username] = person["id"]
    assert api.call("POST", "/policy", master, {"version": "2026-1", "summary": "Be kind", "text": "..."})[0] == 201
    assert api.call("POST", "/ambassadors/me/opt-in", logins["ann"])[0] == 200
    assert api.call("POST", "/ambassadors/me/acknowledge-policy", logins["ann"], {"version": "2026-1"})[0] == 200
    ledger = container.engagement_ledger()
    ledger.record(people["ann"], "offer_received", NOW)
    ledger.record(people["ann"], "share", NOW, "mastodon")
    ledger.record(people["ann"], "share", NOW - timedelta(days=2), "x", count=2)
    ledger.record(people["ann"], "click", NOW, "x", count=7)
    ledger.record(people["ann"], "reply", NOW, "mastodon")
    ledger.record(people["dee"], "post_edited", NOW - timedelta(days=1))
    ledger.record(people["dee"], "submission_accepted", NOW - timedelta(days=1))
    ledger.record(people["bo"], "submission_made", NOW - timedelta(days=30))  # before the period
    return master, logins, people


def test_ledger_counts_become_the_report_per_person_team_and_role(stack: Stack, api: Api) -> None:
    master, logins, people = programme(stack, api)
    status, report = api.call("GET", f"/reports/engagement?{PERIOD}", master)
    assert status == 200, report
    rows = {r["name"]: r for r in report["rows"]}
    assert list(rows) == ["Ann", "Bo", "Cas", "Dee"]
    assert (rows["Ann"]["shares"], rows["Ann"]["shares_by_channel"], rows["Ann"]["clicks"], rows["Ann"]["replies"]) == (
        3, {"mastodon": 1, "x": 2}, 7, 1)
    assert rows["Ann"]["score"] == 3 * 1 + 2 * 1
    assert rows["Dee"]["contribution"] == 2 and rows["Bo"]["contribution"] == 0
    assert report["totals"]["score"] == sum(r["score"] for r in report["rows"]) == 5 + 6
    assert [p["name"] for p in report["inactive"]] == ["Bo"]  # Cas has not acknowledged the policy: not expected yet
    assert report["score"]["weights"] == {"contribution": 3, "conversation": 2, "share": 1}

    by_team = api.call("GET", f"/reports/engagement?{PERIOD}&by=team", master)[1]
    assert [(r["key"], r["people"], r["active_people"], r["score"]) for r in by_team["rows"]] == [
        ("hr", 2, 1, 6), ("sales", 2, 1, 5)]
    by_role = api.call("GET", f"/reports/engagement?{PERIOD}&by=role", master)[1]
    assert {r["key"]: (r["people"], r["posts_edited"], r["shares"]) for r in by_role["rows"]} == {
        "creator": (1, 0, 0), "editor": (1, 1, 0), "publisher": (3, 1, 3)}  # Dee counts as editor and as publisher

    answer = api.client.http.get(f"/reports/engagement?{PERIOD}&format=csv",
                                 headers={"Authorization": f"Bearer {master}"})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.DictReader(io.StringIO(answer.body.decode())))
    assert [(r["name"], r["shares_x"]) for r in lines] == [("Ann", "2"), ("Bo", "0"), ("Cas", "0"), ("Dee", "0"),
                                                           ("", "0"), ("", "2")]

    status, mine = api.call("GET", f"/reports/engagement/me?{PERIOD}", logins["ann"])
    assert status == 200 and mine["row"]["key"] == people["ann"] and mine["row"]["clicks"] == 7
    assert api.call("GET", "/reports/engagement/me", stack.user("publisher"))[0] == 404  # not in the programme


def test_bad_periods_and_other_peoples_numbers_are_refused(stack: Stack, api: Api) -> None:
    master, logins, _ = programme(stack, api)
    status, error = api.call("GET", f"/reports/engagement?from={FROM}&to=2099-01-01", master)
    assert status == 400 and error["error"]["field"] == "to" and "93 days" in error["error"]["message"]
    status, error = api.call("GET", "/reports/engagement?from=last-week", master)
    assert status == 400 and error["error"]["field"] == "from"
    assert api.call("GET", "/reports/engagement?by=colour", master)[0] == 400
    for name in ("ann", "bo"):
        status, error = api.call("GET", "/reports/engagement", logins[name])
        assert status == 403 and "editor, master" in error["error"]["message"]
    assert api.call("GET", "/reports/engagement", logins["dee"])[0] == 200


def test_the_leaderboard_is_off_until_a_master_switches_it_on_and_never_shows_hidden_or_erased_people(
        stack: Stack, api: Api) -> None:
    master, logins, people = programme(stack, api)
    status, error = api.call("GET", "/reports/engagement/leaderboard", logins["ann"])
    assert status == 404 and "leaderboard is off" in error["error"]["message"]
    assert api.call("PUT", "/reports/engagement/settings", logins["dee"], {"leaderboard_enabled": True})[0] == 403
    status, settings = api.call("PUT", "/reports/engagement/settings", master, {"leaderboard_enabled": True})
    assert status == 200 and settings["leaderboard_enabled"] and settings["updated_by"] == "mia"
    assert api.call("GET", "/reports/engagement/settings", logins["dee"])[1]["leaderboard_enabled"] is True

    status, board = api.call("GET", f"/reports/engagement/leaderboard?{PERIOD}", logins["bo"])
    assert status == 200
    assert [(e["rank"], e["name"], e["score"]) for e in board["entries"]] == [(1, "Dee", 6), (2, "Ann", 5)]

    assert api.call("PUT", "/ambassadors/me", logins["ann"], {"hide_from_leaderboard": True})[0] == 200
    assert api.call("DELETE", f"/ambassadors/{people['dee']}", master)[0] in (200, 204)
    board = api.call("GET", f"/reports/engagement/leaderboard?{PERIOD}", logins["bo"])[1]
    assert board["entries"] == [] and board["totals"]["score"] == 11  # still counted, anonymously
    report = api.call("GET", f"/reports/engagement?{PERIOD}", master)[1]
    assert [r["name"] for r in report["rows"]] == ["Ann", "Bo", "Cas"] and report["anonymous"]["score"] == 6

    assert api.call("PUT", "/reports/engagement/settings", master, {"leaderboard_enabled": False})[0] == 200
    assert api.call("GET", "/reports/engagement/leaderboard", logins["bo"])[0] == 404
