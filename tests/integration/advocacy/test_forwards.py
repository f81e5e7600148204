"""Forwarding a mention on moto (seed 001 BEdreiging): a publisher forwards a complaint, care is alerted as for any
complaint, the forward is counted once however often it is posted, and the publisher follows what became of it."""
from __future__ import annotations

from chorus import container
from chorus.core.time import utc_now
from tests.integration.conftest import Api, Stack
from tests.integration.listening.test_listening import DUTCH_COMPLAINT, drain_ingest_queue

COMPLAINT = {"platform": "x", "id": "1850000000000000077", "text": DUTCH_COMPLAINT,
             "author": {"handle": "klant123", "followers": 85}, "url": "https://x.com/klant123/status/1850000000000000077"}


def test_a_publisher_forwards_a_complaint_that_care_then_works(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    master, care = stack.user("master"), stack.user("care", "carla")
    ellen = stack.user("publisher", "ellen")
    assert api.call("POST", "/subscriptions", master, {"name": "Care desk", "team": "care", "protocol": "email",
                                                       "endpoint": "care@example.org"})[0] == 201
    status, person = api.call("POST", "/ambassadors", master, {"username": "ellen", "name": "Ellen", "team": "sales"})
    assert status == 201, person

    forward = {**COMPLAINT, "forwarded_by": "someone-else", "to": "care", "note": "A customer of my neighbour"}
    status, queued = api.call("POST", "/mentions", ellen, forward)
    assert status == 202, queued
    assert api.call("POST", "/mentions", ellen, forward)[0] == 202  # sent twice
    assert drain_ingest_queue(stack) == {"failures": []}

    box = api.call("GET", "/mailbox", care)[1]
    assert [(e["subscriber"], e["attributes"]["team"]) for e in box["items"]] == [("Care desk", "care")]
    counts = container.engagement_ledger().of_person(person["id"], *(2 * [utc_now().date()]))
    assert [(c.event, c.count) for c in counts] == [("forward", 1)]

    status, mine = api.call("GET", "/mentions/forwarded", ellen)
    assert status == 200
    assert [(m["id"], m["status"], m["teams"]) for m in mine["items"]] == [(queued["id"], "new", ["care"])]
    assert "notes" not in mine["items"][0]  # the team's internal notes stay with the team
    mention = api.call("GET", f"/mentions/{queued['id']}", care)[1]
    assert mention["forwarded_by"] == "ellen" and [(n["by"], n["text"]) for n in mention["notes"]] == [
        ("ellen", "A customer of my neighbour")]

    assert api.call("POST", f"/mentions/{queued['id']}/assign", care, {"assignee": "carla"})[0] == 200
    assert api.call("POST", f"/mentions/{queued['id']}/status", care, {"status": "responded"})[0] == 200
    [followed] = api.call("GET", "/mentions/forwarded", ellen)[1]["items"]
    assert (followed["status"], followed["assignee"]) == ("responded", "carla")
    assert followed["first_response_at"] and followed["first_response_seconds"] >= 0
    assert api.call("GET", f"/mentions/{queued['id']}", ellen)[0] == 403  # the inbox itself stays the team's


def test_forwards_are_each_persons_own_and_page_with_a_cursor(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    ellen, piet = stack.user("publisher", "ellen"), stack.user("creator", "piet")
    for n in range(3):
        question = {**COMPLAINT, "id": f"9{n}", "text": f"Vraag {n}: werkt de app weer?"}
        assert api.call("POST", "/mentions", ellen, question)[0] == 202
    assert api.call("POST", "/mentions", piet, {**COMPLAINT, "id": "99", "forwarded_by": "ellen"})[0] == 202
    assert drain_ingest_queue(stack) == {"failures": []}

    first = api.call("GET", "/mentions/forwarded?limit=2", ellen)[1]
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.call("GET", f"/mentions/forwarded?limit=2&cursor={first['next_cursor']}", ellen)[1]
    ids = [m["id"] for m in first["items"] + rest["items"]]
    assert len(ids) == len(set(ids)) == 3 and rest["next_cursor"] is None
    assert len(api.call("GET", "/mentions/forwarded", piet)[1]["items"]) == 1  # piet's, whatever name the body gave
    status, error = api.call("GET", f"/mentions/forwarded?cursor={first['next_cursor']}", piet)
    assert status == 400 and error["error"]["field"] == "cursor"


def test_erasing_a_person_blanks_their_name_on_forwards_and_keeps_the_count(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    master, care, ellen = stack.user("master"), stack.user("care"), stack.user("publisher", "ellen")
    person = api.call("POST", "/ambassadors", master, {"username": "ellen", "name": "Ellen", "team": "sales"})[1]
    anonymous = {key: value for key, value in COMPLAINT.items() if key != "author"}  # she did not say who wrote it
    queued = api.call("POST", "/mentions", ellen, {**anonymous, "note": "seen in a Facebook group"})[1]
    assert drain_ingest_queue(stack) == {"failures": []}

    exported = api.call("GET", f"/ambassadors/{person['id']}/export", master)[1]["sections"]["forwards"]
    assert [(f["mention_id"], f["notes"]) for f in exported] == [(queued["id"], ["seen in a Facebook group"])]
    assert api.call("DELETE", f"/ambassadors/{person['id']}", master)[0] == 204
    mention = api.call("GET", f"/mentions/{queued['id']}", care)[1]
    assert (mention["forwarded_by"], mention["author_handle"]) == (None, "erased")
    assert [(n["by"], n["text"]) for n in mention["notes"]] == [("erased", "seen in a Facebook group")]
    assert api.call("GET", "/mentions/forwarded", ellen)[1]["items"] == []
    counts = container.engagement_ledger().of_person(person["id"], *(2 * [utc_now().date()]))
    assert [(c.event, c.count) for c in counts] == [("forward", 1)]
