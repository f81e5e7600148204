"""/ambassadors, /policy and /inventory on moto, through the API with real Cognito tokens: role rules, consent,
policy versions and the eligible-publishers index, erase and export."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest

from chorus import container
from chorus.advocacy.people.schemas import PersonChange
from chorus.core.roles import Principal
from tests.integration.conftest import REGION, Api, Stack

ANN = {"username": "ann", "name": "Ann de Vries", "email": "ann.devries@example.org", "phone": "+31 6 1234 5678",
       "team": "sales", "roles": ["publisher", "creator"], "topics": ["cycling"],
       "platforms": {"mastodon": "https://social.example/@AnnDV", "bluesky": "@anndv.bsky.social", "x": "@AnnDV_nl",
                     "linkedin": "https://www.linkedin.com/in/ann-de-vries-42/"}}
ANN_HANDLES = ("@anndv@social.example", "anndv.bsky.social", "anndv_nl", "ann-de-vries-42")
POLICY = {"version": "2026-1", "summary": "Say you work here; never share customer data.", "text": "The policy."}


class People:
    """Tokens of a master, an editor and two publishers, and the API."""

    def __init__(self, stack: Stack, api: Api) -> None:
        self.api = api
        self.master = stack.user("master", "mia")
        self.editor = stack.user("editor", "ed")
        self.ann = stack.user("publisher", "ann")
        self.bo = stack.user("publisher", "bo")

    def add(self, body: dict[str, Any]) -> str:
        status, created = self.api.call("POST", "/ambassadors", self.master, body)
        assert status == 201, created
        return created["id"]


@pytest.fixture
def people(stack: Stack, api: Api) -> People:
    return People(stack, api)


def table_items(stack: Stack) -> list[dict[str, Any]]:
    """Test-only: every item of the programme's table (a Scan, which no request path uses)."""
    table = boto3.resource("dynamodb", region_name=REGION).Table(stack.environment["CHORUS_ADVOCACY_TABLE"])
    return table.scan(ConsistentRead=True)["Items"]


# ---------------------------------------------------------------------------------------------------- people
def test_a_master_adds_a_person_with_cleaned_details(people: People) -> None:
    status, ann = people.api.call("POST", "/ambassadors", people.master, ANN)
    assert status == 201
    assert (ann["phone"], ann["platforms"]["mastodon"], ann["platforms"]["x"]) == (
        "+31612345678", "@anndv@social.example", "anndv_nl")
    assert (ann["opted_in"], ann["receives_offers"]) == (False, False)
    assert people.api.call("GET", "/ambassadors/me", people.ann)[1]["id"] == ann["id"]


def test_a_username_has_one_profile_and_a_retry_creates_nothing(people: People) -> None:
    people.add(ANN)
    status, error = people.api.call("POST", "/ambassadors", people.master, {**ANN, "username": "ANN"})
    assert (status, error["error"]["code"]) == (409, "conflict")
    outside = {"name": "Olga Outside", "team": "partners", "email": "olga@partner.example"}
    first = people.api.call("POST", "/ambassadors", people.master, outside, headers={"Idempotency-Key": "olga-1"})
    again = people.api.call("POST", "/ambassadors", people.master, outside, headers={"Idempotency-Key": "olga-1"})
    assert (first[0], again[0], again[1]["id"]) == (201, 200, first[1]["id"])
    assert len(people.api.call("GET", "/ambassadors", people.master)[1]["items"]) == 2


@pytest.mark.parametrize(("change", "field"), [({"phone": "020 123 4567"}, "phone"), ({"roles": ["care"]}, "roles"),
                                               ({"platforms": {"bluesky": "ann"}}, "platforms.bluesky"),
                                               ({"opted_in": True}, "opted_in")])
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(people: People, change: dict[str, Any],
                                                                field: str) -> None:
    ann_id = people.add(ANN)
    status, error = people.api.call("PUT", f"/ambassadors/{ann_id}", people.master, change)
    assert (status, error["error"]["field"]) == (400, field)
    assert people.api.call("GET", f"/ambassadors/{ann_id}", people.master)[1]["version"] == 1


def test_role_rules_on_every_people_route(people: People) -> None:
    api = people.api
    ann_id, bo_id = people.add(ANN), people.add({"username": "bo", "name": "Bo", "team": "hr"})
    forbidden = [
        ("POST", "/ambassadors", people.ann, {"name": "X", "team": "sales"}),
        ("POST", "/ambassadors", people.editor, {"name": "X", "team": "sales"}),
        ("GET", "/ambassadors", people.ann, None),
        ("GET", f"/ambassadors/{bo_id}", people.ann, None),
        ("PUT", f"/ambassadors/{bo_id}", people.ann, {"name": "Bo B."}),
        ("PUT", "/ambassadors/me", people.ann, {"roles": ["master", "publisher"]}),
        ("PUT", f"/ambassadors/{ann_id}", people.ann, {"team": "board"}),
        ("PUT", f"/ambassadors/{ann_id}", people.master, {"named_consent": True}),
        ("POST", f"/ambassadors/{bo_id}/training", people.ann, {"completed": True}),
        ("DELETE", f"/ambassadors/{bo_id}", people.ann, None),
        ("GET", f"/ambassadors/{bo_id}/export", people.ann, None),
        ("POST", "/policy", people.ann, POLICY),
        ("GET", "/inventory", people.ann, None),
    ]
    for method, path, token, body in forbidden:
        status, error = api.call(method, path, token, body)
        assert (status, error["error"]["code"]) == (403, "forbidden"), (method, path)
    ann = api.call("GET", "/ambassadors/me", people.ann)[1]
    assert (ann["roles"], ann["team"], ann["named_consent"]) == (["creator", "publisher"], "sales", False)
    assert api.call("GET", "/ambassadors/me", people.editor)[0] == 404  # no profile: told so, not an error
    assert api.call("GET", "/inventory", people.editor)[0] == 200


def test_a_person_edits_their_own_contact_handles_and_choices(people: People) -> None:
    people.add(ANN)
    status, ann = people.api.call("PUT", "/ambassadors/me", people.ann, {
        "phone": None, "notify_by": "email", "rhythm": "weekly", "named_consent": True, "hide_from_leaderboard": True,
        "platforms": {"threads": "https://www.threads.net/@ann.dv"}})
    assert status == 200
    assert (ann["phone"], ann["rhythm"], ann["named_consent"], ann["platforms"]) == (
        None, "weekly", True, {"threads": "ann.dv"})
    status, error = people.api.call("PUT", "/ambassadors/me", people.ann, {"email": None})
    assert (status, error["error"]["field"]) == (400, "notify_by")  # offers by email need an address


def test_a_change_on_an_outdated_version_of_a_person_is_a_412_and_changes_nothing(people: People) -> None:
    ann_id = people.add(ANN)
    etag = people.api.client.http.get(f"/ambassadors/{ann_id}",
                                      headers={"Authorization": f"Bearer {people.master}"}).headers["ETag"]
    mine = people.api.call("PUT", "/ambassadors/me", people.ann, {"rhythm": "weekly"}, {"If-Match": etag})
    stale = people.api.call("PUT", f"/ambassadors/{ann_id}", people.master, {"team": "marketing"}, {"If-Match": etag})
    assert (mine[0], stale[0]) == (200, 412), stale
    assert stale[1]["error"]["details"]["current_version"] == mine[1]["version"]
    assert people.api.call("GET", f"/ambassadors/{ann_id}", people.master)[1]["team"] == ANN["team"]
    fresh = {"If-Match": f'"{mine[1]["version"]}"'}
    assert people.api.call("PUT", f"/ambassadors/{ann_id}", people.master, {"team": "marketing"}, fresh)[0] == 200


def test_nobody_is_opted_in_by_someone_else(people: People) -> None:
    ann_id = people.add(ANN)
    assert people.api.call("PUT", f"/ambassadors/{ann_id}", people.master, {"opted_in": True})[0] == 400
    assert people.api.call("POST", "/ambassadors/me/opt-in", people.master)[0] == 404  # the master's own profile: none
    assert people.api.call("GET", f"/ambassadors/{ann_id}", people.master)[1]["opted_in"] is False
    assert people.api.call("POST", "/ambassadors/me/opt-in", people.ann)[1]["opted_in"] is True
    assert people.api.call("POST", "/ambassadors/me/opt-out", people.ann)[1]["opted_in"] is False


def test_a_new_policy_version_drops_everyone_from_eligible_until_they_acknowledge(people: People) -> None:
    api, service = people.api, container.ambassadors()
    ann_id = people.add(ANN)
    assert api.call("GET", "/policy", people.ann)[0] == 404
    assert api.call("POST", "/policy", people.master, POLICY)[0] == 201
    api.call("POST", "/ambassadors/me/opt-in", people.ann)
    ann = api.call("GET", "/ambassadors/me", people.ann)[1]
    assert ann["waiting_for"] == ["acknowledging policy version 2026-1 (POST /ambassadors/me/acknowledge-policy)"]
    assert service.eligible() == []
    ann = api.call("POST", "/ambassadors/me/acknowledge-policy", people.ann, {"version": "2026-1"})[1]
    assert (ann["receives_offers"], [p.id for p in service.eligible(team="sales", topic="cycling")]) == (True, [ann_id])

    assert api.call("POST", "/policy", people.master, {**POLICY, "version": "2026-2"})[0] == 201
    assert service.eligible() == []
    assert api.call("GET", "/ambassadors/me", people.ann)[1]["receives_offers"] is False
    status, error = api.call("POST", "/ambassadors/me/acknowledge-policy", people.ann, {"version": "2026-1"})
    assert status == 409 and "2026-2" in error["error"]["message"]
    assert api.call("POST", "/policy", people.master, POLICY)[0] == 409  # an old version is not published again
    api.call("POST", "/ambassadors/me/acknowledge-policy", people.ann, {"version": "2026-2"})
    assert [p.id for p in service.eligible()] == [ann_id]
    assert api.call("GET", "/policy", people.bo)[1]["version"] == "2026-2"


def test_policy_versions_only_move_forward_and_are_listed_with_who_published_them(people: People) -> None:
    api = people.api
    ann_id = people.add(ANN)
    for version in ("2026-1", "2026-2"):
        assert api.call("POST", "/policy", people.master, {**POLICY, "version": version})[0] == 201
    api.call("POST", "/ambassadors/me/opt-in", people.ann)
    api.call("POST", "/ambassadors/me/acknowledge-policy", people.ann, {"version": "2026-2"})

    status, error = api.call("POST", "/policy", people.master, {**POLICY, "version": "2025-9"})
    assert status == 409 and "comes before the current version 2026-2" in error["error"]["message"], error
    assert "2026-3" in error["error"]["message"]
    assert api.call("GET", "/policy", people.ann)[1]["version"] == "2026-2"  # nothing changed
    assert [p.id for p in container.ambassadors().eligible()] == [ann_id]

    status, page = api.call("GET", "/policy/versions?limit=1", people.ann)
    assert status == 200 and page["next_cursor"]
    rest = api.call("GET", f"/policy/versions?limit=1&cursor={page['next_cursor']}", people.ann)[1]
    listed = [(v["version"], v["published_by"], v["current"]) for v in page["items"] + rest["items"]]
    assert listed == [("2026-2", "mia", True), ("2026-1", "mia", False)] and rest["next_cursor"] is None
    assert all(v["published_at"] for v in page["items"] + rest["items"]) and "text" not in page["items"][0]


def test_training_is_recorded_by_the_person_or_a_master(people: People) -> None:
    ann_id = people.add(ANN)
    bo_id = people.add({"username": "bo", "name": "Bo", "team": "hr"})
    by_themselves = people.api.call("POST", "/ambassadors/me/training", people.ann, {"completed": True})[1]
    assert by_themselves["training_completed_at"]
    by_a_master = people.api.call("POST", f"/ambassadors/{bo_id}/training", people.master, {"completed": True})[1]
    assert by_a_master["training_completed_at"]
    assert people.api.call("GET", f"/ambassadors/{ann_id}", people.ann)[1]["training_completed_at"]


def test_concurrent_changes_to_one_profile_all_stick(people: People) -> None:
    people.add(ANN)
    service, ann = container.ambassadors(), Principal("ann", frozenset({"publisher"}))
    changes = [lambda: service.set_opted_in(ann, True), lambda: service.change_me(ann, PersonChange(rhythm="weekly")),
               lambda: service.change_me(ann, PersonChange(named_consent=True)),
               lambda: service.change_me(ann, PersonChange(topics=["hiking"])),
               lambda: service.record_training(ann, None, True)]
    with ThreadPoolExecutor(len(changes)) as pool:
        list(pool.map(lambda change: change(), changes))
    final = service.me(ann)
    assert (final.opted_in, final.rhythm, final.named_consent, final.topics) == (True, "weekly", True, ["hiking"])
    assert final.training_completed_at is not None and final.version == 1 + len(changes)


# ---------------------------------------------------------------------------------------------- list and inventory
def test_the_list_filters_and_pages(people: People) -> None:
    for n in range(5):
        people.add({"name": f"Seller {n}", "team": "sales"})
    people.add({"username": "bo", "name": "Bo", "team": "hr", "roles": ["creator"]})
    api = people.api
    first = api.call("GET", "/ambassadors?team=sales&limit=3", people.master)[1]
    rest = api.call("GET", f"/ambassadors?team=sales&limit=3&cursor={first['next_cursor']}", people.master)[1]
    assert [p["name"] for p in first["items"] + rest["items"]] == [f"Seller {n}" for n in range(5)]
    assert [p["name"] for p in api.call("GET", "/ambassadors?role=creator", people.master)[1]["items"]] == ["Bo"]
    api.call("POST", "/ambassadors/me/opt-in", people.bo)
    assert [p["name"] for p in api.call("GET", "/ambassadors?opted_in=true", people.master)[1]["items"]] == ["Bo"]
    assert api.call("GET", f"/ambassadors?team=hr&cursor={first['next_cursor']}", people.master)[0] == 400
    # Not JSON; JSON with a made-up position.
    for cursor in ("bm90LWEtY3Vyc29y", "eyJ0ZWFtIjpudWxsLCJrIjp7InBrIjp7Ik4iOiIxIn19fQ"):
        assert api.call("GET", f"/ambassadors?cursor={cursor}", people.master)[0] == 400


def test_the_inventory_shows_where_people_are_active(people: People) -> None:
    people.add(ANN)
    people.add({"username": "bo", "name": "Bo", "team": "hr", "platforms": {"x": "bo_hr", "instagram": "bo.hr"}})
    people.add({"name": "Cas", "team": "hr"})
    inventory = people.api.call("GET", "/inventory", people.editor)[1]
    assert (inventory["people"], inventory["active_somewhere"], inventory["on_no_platform"]) == (3, 2, 1)
    by_platform = {p["platform"]: p for p in inventory["platforms"]}
    assert by_platform["x"]["people"] == 2 and [w["handle"] for w in by_platform["x"]["who"]] == ["anndv_nl", "bo_hr"]
    assert set(by_platform) == {"mastodon", "bluesky", "x", "linkedin", "instagram"}


# ---------------------------------------------------------------------------------------------------- privacy
def test_erase_leaves_nothing_personal_in_the_table_and_keeps_the_counts(people: People, stack: Stack) -> None:
    api, ledger = people.api, container.engagement_ledger()
    ann_id = people.add(ANN)
    api.call("POST", "/policy", people.master, POLICY)
    api.call("POST", "/ambassadors/me/opt-in", people.ann)
    api.call("POST", "/ambassadors/me/acknowledge-policy", people.ann, {"version": "2026-1"})
    api.call("PUT", "/ambassadors/me", people.ann, {"named_consent": True})
    moment = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    ledger.record(ann_id, "share", moment, "mastodon")
    ledger.record(ann_id, "click", moment, "mastodon", count=3)
    personal = ("Ann de Vries", "ann.devries@example.org", "+31612345678", *ANN_HANDLES)
    assert any(value in json.dumps(table_items(stack), default=str) for value in personal)

    assert api.call("DELETE", f"/ambassadors/{ann_id}", people.ann) == (204, None)
    assert api.call("DELETE", f"/ambassadors/{ann_id}", people.ann) == (204, None)  # idempotent, for her too
    assert api.call("DELETE", f"/ambassadors/{ann_id}", people.master) == (204, None)

    stored = json.dumps(table_items(stack), default=str).lower()
    assert [value for value in personal if value.lower() in stored] == []
    assert '"ann"' not in stored  # nor the username (the login claim is gone)
    counts = ledger.of_person(ann_id, date(2026, 11, 1), date(2026, 11, 30))
    assert sorted((c.event, c.count) for c in counts) == [("click", 3), ("share", 1)]
    erased = api.call("GET", f"/ambassadors/{ann_id}", people.master)[1]
    assert (erased["name"], erased["team"], erased["roles"], erased["erased_at"] is not None) == (
        "erased", "sales", ["creator", "publisher"], True)
    assert container.ambassadors().eligible() == [] and container.ambassadors().named_people() == []
    assert api.call("GET", "/ambassadors/me", people.ann)[0] == 404
    assert api.call("PUT", f"/ambassadors/{ann_id}", people.master, {"name": "Ann"})[0] == 400
    assert api.call("POST", "/ambassadors", people.master, ANN)[0] == 201  # the username is free again
    assert api.call("DELETE", "/ambassadors/p-nobody", people.master)[0] == 404


def test_export_contains_every_section(people: People) -> None:
    ann_id = people.add(ANN)
    container.engagement_ledger().record(ann_id, "share", datetime(2026, 11, 23, tzinfo=UTC), "x")
    status, exported = people.api.call("GET", f"/ambassadors/{ann_id}/export", people.ann)
    assert status == 200
    assert set(exported["sections"]) == {section.section for section in container.privacy().sections}
    assert exported["sections"]["person"][0]["email"] == "ann.devries@example.org"
    assert exported["sections"]["engagement"] == [{"day": "2026-11-23", "event": "share", "channel": "x", "count": 1}]
    assert people.api.call("GET", f"/ambassadors/{ann_id}/export", people.master)[0] == 200
