"""Saved replies on moto through the API: writing them (roles, placeholders, If-Match, Idempotency-Key, the cap in
one transaction), listing them with one Query, and using one on a mention (the preview filled in, then the reply
that reaches the outbox with the same words)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from chorus import container
from chorus.calendar.schemas import ChannelCreate
from chorus.listening.store import MentionRepository
from tests.integration.conftest import REGION, Api, Stack
from tests.integration.inbox.test_inbox import MASTER, NOW, Inbox, drain_publish_queue, record, store

SORRY = {"title": "Pakket kwijt", "team": "care", "language": "nl",
         "text": "Hoi {name}, wat vervelend! Stuur je ordernummer via een DM o.v.v. {case}. Groet, {agent}"}
THANKS = {"title": "Thanks", "team": "care", "language": "en", "text": "Thanks {name}! Reference {case}. {agent}"}


@pytest.fixture
def inbox(stack: Stack, api: Api) -> Iterator[Inbox]:
    container.inbox()  # binds the models to this stack's tables
    yield stack, api, MentionRepository()


def named(stack: Stack, role: str, username: str, name: str) -> str:
    """A user with a name in the user pool (what {agent} reads)."""
    token = stack.user(role, username)
    boto3.client("cognito-idp", region_name=REGION).admin_update_user_attributes(
        UserPoolId=stack.environment["CHORUS_USER_POOL_ID"], Username=username,
        UserAttributes=[{"Name": "name", "Value": name}])
    return token


def counting_requests(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from pynamodb.connection.base import Connection

    calls: list[str] = []
    real = Connection.dispatch

    def counting(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        calls.append(operation_name)
        return real(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", counting)
    return calls


def test_saved_replies_are_written_by_their_team_and_read_by_everyone_in_the_inbox(inbox: Inbox) -> None:
    stack, api, _ = inbox
    care, pr, viewer, publisher = (stack.user(role) for role in ("care", "pr", "viewer", "publisher"))
    status, made = api.call("POST", "/saved-replies", care, SORRY)
    assert status == 201 and made["placeholders"] == ["name", "case", "agent"] and made["version"] == 1
    status, shown = api.call("GET", f"/saved-replies/{made['id']}", viewer)
    assert status == 200 and shown == made
    assert api.call("POST", "/saved-replies", pr, SORRY)[0] == 403  # care's template, not PR's
    assert api.call("POST", "/saved-replies", viewer, SORRY)[0] == 403
    assert api.call("GET", "/saved-replies", publisher)[0] == 403
    assert api.call("POST", "/saved-replies", pr, {**SORRY, "team": "pr", "title": "Pers"})[0] == 201
    assert api.call("POST", "/saved-replies", care, THANKS)[0] == 201

    status, everything = api.call("GET", "/saved-replies", viewer)
    assert [(r["team"], r["language"], r["title"]) for r in everything["items"]] == [
        ("care", "en", "Thanks"), ("care", "nl", "Pakket kwijt"), ("pr", "nl", "Pers")]
    assert everything["next_cursor"] is None
    dutch_care = api.call("GET", "/saved-replies?team=care&language=nl", viewer)[1]
    assert [r["title"] for r in dutch_care["items"]] == ["Pakket kwijt"]
    first = api.call("GET", "/saved-replies?limit=2", viewer)[1]
    rest = api.call("GET", f"/saved-replies?limit=2&cursor={first['next_cursor']}", viewer)[1]
    assert [r["title"] for r in first["items"] + rest["items"]] == ["Thanks", "Pakket kwijt", "Pers"]
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("body, field", [
    ({**SORRY, "text": "Hoi {naam}, ..."}, "text"),
    ({**SORRY, "text": "Hoi {name"}, "text"),
    ({**SORRY, "language": "de"}, "language"),
    ({**SORRY, "team": "sales"}, "team"),
    ({**SORRY, "title": "   "}, "title"),
    ({**SORRY, "text": "x" * 1001}, "text"),
    ({**SORRY, "colour": "red"}, "colour"),
    ({k: v for k, v in SORRY.items() if k != "text"}, "text"),
])
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(inbox: Inbox, body: dict[str, Any],
                                                                 field: str) -> None:
    stack, api, _ = inbox
    care = stack.user("care")
    status, error = api.call("POST", "/saved-replies", care, body)
    assert status == 400 and error["error"]["field"] == field, error
    if field == "text" and "naam" in body.get("text", ""):
        assert "{naam} is not a placeholder" in error["error"]["message"]
    assert api.call("GET", "/saved-replies", care)[1]["items"] == []


def test_changes_need_the_version_read_and_a_retry_is_not_a_second_template(inbox: Inbox) -> None:
    stack, api, _ = inbox
    care, other = stack.user("care", "carla"), stack.user("care", "ann")
    key = {"Idempotency-Key": "save-sorry-1"}
    status, made = api.call("POST", "/saved-replies", care, SORRY, headers=key)
    assert status == 201
    status, again = api.call("POST", "/saved-replies", care, SORRY, headers=key)
    assert status == 200 and again["id"] == made["id"]
    assert api.call("POST", "/saved-replies", care, {**SORRY, "title": "Anders"}, headers=key)[0] == 422
    path = f"/saved-replies/{made['id']}"

    response = api.client.http.get(path, headers={"Authorization": f"Bearer {care}"})
    assert response.headers["ETag"] == '"1"'
    status, changed = api.call("PATCH", path, other, {"title": "Pakket zoek"}, headers={"If-Match": '"1"'})
    assert status == 200 and (changed["title"], changed["version"], changed["updated_by"]) == ("Pakket zoek", 2, "ann")
    status, stale = api.call("PATCH", path, care, {"text": "Hoi {name}"}, headers={"If-Match": '"1"'})
    assert status == 412 and stale["error"]["details"]["current_version"] == 2
    assert api.call("PATCH", path, care, {"text": "Hoi {nmae}"}, headers={"If-Match": '"2"'})[0] == 400
    assert api.call("PATCH", path, care, {"team": "pr"})[0] == 403
    assert api.call("DELETE", path, care, headers={"If-Match": '"1"'})[0] == 412
    assert api.call("GET", path, care)[1] == changed  # every refusal above changed nothing
    assert api.call("DELETE", path, care, headers={"If-Match": '"2"'})[0] == 204
    assert api.call("GET", path, care)[0] == 404
    assert api.call("DELETE", path, care)[0] == 404


def test_the_cap_holds_and_the_library_is_one_query(inbox: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    """Measured: with the organisation at its cap of saved replies, listing them is one DynamoDB Query."""
    from chorus.inbox.saved.schemas import TEXT_MAX_CHARS, TITLE_MAX_CHARS
    from chorus.inbox.saved.store import MAX_SAVED_REPLIES

    stack, api, _ = inbox
    care = stack.user("care")
    library = container.saved_replies()
    library.store.max_saved = 20  # type: ignore[attr-defined]  # the real cap is 200; the rule is the same
    made = [api.call("POST", "/saved-replies", care, {**SORRY, "title": f"Antwoord {n:02d}", "text": "x" * 1000})
            for n in range(21)]
    assert [status for status, _ in made] == [201] * 20 + [409]
    assert "20 saved replies" in made[-1][1]["error"]["message"]
    assert api.call("DELETE", f"/saved-replies/{made[0][1]['id']}", care)[0] == 204
    assert api.call("POST", "/saved-replies", care, {**SORRY, "title": "Nieuw"})[0] == 201  # room again
    # At the cap, every title and text at its longest in 4-byte characters, with ~400 bytes of keys, names and
    # times per item, the library still fits the 1 MB one Query page returns.
    assert MAX_SAVED_REPLIES * (4 * (TITLE_MAX_CHARS + TEXT_MAX_CHARS) + 400) < 1024 * 1024

    calls = counting_requests(monkeypatch)
    status, listed = api.call("GET", "/saved-replies?limit=100", care)
    assert status == 200 and len(listed["items"]) == 20
    assert calls == ["Query"]


def test_a_care_agent_previews_the_saved_replies_and_sends_one_as_it_is(inbox: Inbox,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    stack, api, mentions = inbox
    care, editor = named(stack, "care", "carla", "Carla de Vries"), stack.user("editor")
    container.calendar().create_channel(MASTER, ChannelCreate(id="demo-local", platform="local", handle="@org"))
    store(mentions, record(1, platform="local", author_name="Jan de Vries"))
    sorry = api.call("POST", "/saved-replies", care, SORRY)[1]
    thanks = api.call("POST", "/saved-replies", care, THANKS)[1]
    api.call("POST", "/saved-replies", stack.user("pr"), {**SORRY, "team": "pr", "title": "Pers"})

    shown = api.call("GET", "/mentions/m001", care)[1]
    case = shown["case_number"]
    assert case.startswith("C-") and len(case) == 11
    calls = counting_requests(monkeypatch)
    status, preview = api.call("GET", "/mentions/m001/saved-replies", care)
    assert status == 200 and preview["case_number"] == case and preview["next_cursor"] is None
    print(f"GET /mentions/{{id}}/saved-replies: {len(calls)} DynamoDB requests: {sorted(calls)}")
    assert sorted(calls) == ["GetItem", "Query", "Query"]  # the mention, the library, the channels
    expected = f"Hoi Jan de Vries, wat vervelend! Stuur je ordernummer via een DM o.v.v. {case}. Groet, Carla"
    assert [(f["id"], f["text"]) for f in preview["items"]] == [
        (sorry["id"], expected), (thanks["id"], f"Thanks Jan de Vries! Reference {case}. Carla")]
    assert (preview["items"][0]["length"], preview["items"][0]["limit"], preview["items"][0]["fits"]) == (
        len(expected), 5000, True)

    status, made = api.call("POST", "/mentions/m001/reply", care, {"saved_reply_id": sorry["id"]})
    assert status == 201 and made["post"]["text"] == expected
    assert drain_publish_queue(stack) >= 1
    outbox = api.call("GET", "/channels/demo-local/outbox", editor)[1]["items"]
    assert [(e["in_reply_to"], e["text"]) for e in outbox] == [("local-1", expected)]


def test_a_saved_reply_that_does_not_fit_or_does_not_exist_is_a_400_and_nothing_is_sent(inbox: Inbox) -> None:
    stack, api, mentions = inbox
    care = stack.user("care")
    container.calendar().create_channel(MASTER, ChannelCreate(id="x-main", platform="x", handle="@org"))
    store(mentions, record(1, platform="x"))
    long = api.call("POST", "/saved-replies", care, {**SORRY, "text": "Hoi {name}, " + "x" * 300})[1]
    preview = api.call("GET", "/mentions/m001/saved-replies", care)[1]
    assert [(f["limit"], f["fits"]) for f in preview["items"]] == [(280, False)]
    status, error = api.call("POST", "/mentions/m001/reply", care, {"saved_reply_id": long["id"]})
    assert status == 400 and error["error"]["field"] == "saved_reply_id" and "shorten it" in error["error"]["message"]
    for body in ({"saved_reply_id": "sr0000000000000000"}, {"saved_reply_id": long["id"], "text": "Hoi"}, {}):
        status, error = api.call("POST", "/mentions/m001/reply", care, body)
        assert status == 400 and error["error"]["field"] in ("saved_reply_id", "text"), error
    assert api.call("GET", "/mentions/m001/saved-replies?channel=nope", care)[0] == 400
    assert api.call("GET", "/mentions/nope/saved-replies", care)[0] == 404
    assert api.call("GET", "/posts?status=scheduled&kind=all", care)[1]["items"] == []
    assert mentions.get("m001", NOW).our_replies == []  # type: ignore[union-attr]


def test_the_demo_saved_replies_fill_in_and_fit_every_platform_chorus_replies_on(inbox: Inbox) -> None:
    from chorus.local.demo import seed_saved_replies

    stack, api, mentions = inbox
    care = stack.user("care")
    for channel in (ChannelCreate(id="x-main", platform="x", handle="@org"),
                    ChannelCreate(id="bluesky-main", platform="bluesky", handle="org.example")):
        container.calendar().create_channel(MASTER, channel)
    assert seed_saved_replies(container.saved_replies()) == 4
    listed = api.call("GET", "/saved-replies?team=care", care)[1]["items"]
    assert sorted(r["language"] for r in listed) == ["en", "en", "nl", "nl"]
    assert all(r["placeholders"] == ["name", "case", "agent"] for r in listed)
    store(mentions, record(1, platform="x", author_name="Johanna van der Berg-Hoogendijk"),
          record(2, platform="bluesky", language="en", author_handle="someone.bsky.social"))
    for mention_id, first, then in (("m001", "nl", "en"), ("m002", "en", "nl")):
        offered = api.call("GET", f"/mentions/{mention_id}/saved-replies", care)[1]["items"]
        assert [f["language"] for f in offered] == [first, first, then, then]
        assert all(f["fits"] for f in offered), offered
