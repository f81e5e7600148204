"""Issue 11, items 13, 15 and 18 for alerting, through the API on moto: routing rules are versions (who, when, what)
with an ETag and If-Match; switching off complaint alerts needs saying so; subscriptions keep a history; Dutch phone
numbers are stored in E.164; and each subscriber reads alerts in their own language (the local mailbox evaluates the
same filter policies SNS would)."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.client import BaseClient

from tests.integration.conftest import Api, Stack
from tests.integration.listening.test_listening import DUTCH_COMPLAINT, drain_ingest_queue


def etag_of(api: Api, token: str, path: str) -> str:
    return str(api.client.http.get(path, headers={"Authorization": f"Bearer {token}"}).headers["ETag"])


def test_routing_rules_are_versions_with_who_and_when_and_if_match_protects_them(
        listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    master, care = stack.user("master", "marit"), stack.user("care", "carla")
    status, rules = api.call("GET", "/routing-rules", care)
    assert status == 200 and (rules["version"], rules["changed_by"]) == (0, None)  # the built-in defaults
    assert etag_of(api, care, "/routing-rules") == '"0"'

    rules["escalation"]["min_followers"] = 5_000  # the GET answer as it is, read-only fields included
    status, saved = api.call("PUT", "/routing-rules", care, rules, {"If-Match": '"0"'})
    assert status == 200 and (saved["version"], saved["changed_by"]) == (1, "carla") and saved["changed_at"]
    assert etag_of(api, care, "/routing-rules") == '"1"'

    rules["escalation"]["min_followers"] = 1  # someone who read version 0 too: a 412 naming the current version
    status, error = api.call("PUT", "/routing-rules", master, rules, {"If-Match": '"0"'})
    assert status == 412 and error["error"]["details"]["current_version"] == 1
    assert api.call("GET", "/routing-rules", care)[1]["escalation"]["min_followers"] == 5_000

    status, saved = api.call("PUT", "/routing-rules", master, {**rules, "sms_per_hour": 2}, {"If-Match": '"1"'})
    assert status == 200 and saved["version"] == 2
    status, page = api.call("GET", "/routing-rules/versions?limit=1", care)
    assert status == 200 and [(v["version"], v["changed_by"]) for v in page["items"]] == [(2, "marit")]
    status, rest = api.call("GET", f"/routing-rules/versions?limit=5&cursor={page['next_cursor']}", care)
    assert [(v["version"], v["changed_by"], v["escalation"]["min_followers"]) for v in rest["items"]] == [
        (1, "carla", 5_000)]
    assert rest["next_cursor"] is None
    status, error = api.call("GET", "/routing-rules/versions?cursor=bm9wZQ", care)
    assert status == 400 and error["error"]["field"] == "cursor"


def test_switching_off_complaint_alerts_needs_saying_so(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    care, master = stack.user("care", "carla"), stack.user("master")
    status, error = api.call("PUT", "/routing-rules", care, {"rules": []})
    assert status == 400 and error["error"]["field"] == "confirm_no_complaint_route"
    assert "no team is told about complaints in Dutch; complaints in English" in error["error"]["message"]
    assert "nobody gets an alert" in error["error"]["message"]
    assert api.call("GET", "/routing-rules", care)[1]["version"] == 0  # nothing changed

    only_dutch = {"rules": [{"intent": "complaint", "team": "care", "languages": ["nl"]}]}
    status, error = api.call("PUT", "/routing-rules", care, only_dutch)
    assert status == 400 and "complaints in English:" in error["error"]["message"]
    dutch_and_english_brand = {"rules": [{"intent": "complaint", "team": "care", "languages": ["nl"]},
                                         {"intent": "complaint", "team": "care", "facets": ["brand"]}]}
    status, error = api.call("PUT", "/routing-rules", care, dutch_and_english_brand)
    assert status == 400 and "complaints in English about the company or employees" in error["error"]["message"]

    status, saved = api.call("PUT", "/routing-rules", care, {"rules": [], "confirm_no_complaint_route": True})
    assert status == 200 and saved["rules"] == [] and saved["no_complaint_route"] is True
    assert "confirm_no_complaint_route" not in saved
    assert api.call("POST", "/subscriptions", master, {"name": "Care desk", "team": "care", "protocol": "email",
                                                       "endpoint": "care@example.org"})[0] == 201
    mention = {"platform": "x", "id": "1850000000000000071", "text": DUTCH_COMPLAINT, "author": {"handle": "k71"}}
    assert api.call("POST", "/mentions", care, mention)[0] == 202
    assert drain_ingest_queue(stack) == {"failures": []}
    assert api.call("GET", "/mailbox", care)[1]["items"] == []  # as the message said: nobody is told
    [version] = api.call("GET", "/routing-rules/versions", care)[1]["items"]
    assert (version["changed_by"], version["no_complaint_route"]) == ("carla", True)


def test_dutch_phone_numbers_are_stored_in_e164_and_bad_ones_are_a_400_on_endpoint(
        listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    master = stack.user("master")
    for typed in ("06 1234 5678", "+31 6 1234 5678", "0031 6 12345678", "06-12345678"):
        status, created = api.call("POST", "/subscriptions", master,
                                   {"name": "PR phone", "team": "pr", "protocol": "sms", "endpoint": typed})
        assert status == 201 and created["endpoint"] == "+31612345678", (typed, created)
    for typed, words in (("020 123 4567", "landline"), ("12345", "not a valid phone number"),
                         ("bel me maar", "not a phone number")):
        status, error = api.call("POST", "/subscriptions", master,
                                 {"name": "x", "team": "pr", "protocol": "sms", "endpoint": typed})
        assert status == 400 and error["error"]["field"] == "endpoint" and words in error["error"]["message"], error
    status, error = api.call("POST", "/subscriptions", master, {"name": "x", "team": "pr", "protocol": "email",
                                                                "endpoint": "06 1234 5678"})
    assert status == 400 and error["error"]["field"] == "endpoint" and "email address" in error["error"]["message"]
    status, error = api.call("POST", "/subscriptions", master, {"name": "x", "team": "pr", "protocol": "email",
                                                                "endpoint": "a@b.nl", "language": "fr"})
    assert status == 400 and error["error"]["field"] == "language"


def test_subscriptions_keep_a_history_and_the_last_complaint_subscriber_needs_confirmation(
        listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    admin = stack.user("pr", "piet")
    ids = {}
    for name, endpoint in (("Care desk", "care@example.org"), ("Care backup", "backup@example.org")):
        status, created = api.call("POST", "/subscriptions", admin, {"name": name, "team": "care",
                                                                     "protocol": "email", "endpoint": endpoint})
        ids[name] = created["id"]
    assert api.call("DELETE", f"/subscriptions/{ids['Care backup']}", admin)[0] == 204  # the desk still hears

    status, error = api.call("DELETE", f"/subscriptions/{ids['Care desk']}", admin)
    assert status == 409 and error["error"]["details"]["teams"] == ["care (medium)"]
    assert "nobody is told about new complaints" in error["error"]["message"]
    assert [s["id"] for s in api.call("GET", "/subscriptions", admin)[1]["items"]] == [ids["Care desk"]]
    status, _ = api.call("DELETE", f"/subscriptions/{ids['Care desk']}?confirm_no_complaint_subscriber=true", admin)
    assert status == 204

    status, history = api.call("GET", "/subscriptions/history", admin)
    assert status == 200 and history["next_cursor"] is None
    assert [(c["change"], c["subscription"]["name"], c["by"], c["confirmed_no_complaint_subscriber"])
            for c in history["items"]] == [("unsubscribed", "Care desk", "piet", True),
                                           ("unsubscribed", "Care backup", "piet", False),
                                           ("subscribed", "Care backup", "piet", False),
                                           ("subscribed", "Care desk", "piet", False)]
    assert history["items"][0]["subscription"]["endpoint"] == "ca…@example.org"  # partly hidden, as listed
    first = api.call("GET", "/subscriptions/history?limit=3", admin)[1]
    second = api.call("GET", f"/subscriptions/history?cursor={first['next_cursor']}", admin)[1]
    assert len(first["items"]) == 3 and [c["change"] for c in second["items"]] == ["subscribed"]


@contextmanager
def sns_publishes() -> Iterator[Counter[str]]:
    original = BaseClient._make_api_call
    counted: Counter[str] = Counter()

    def counting(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "sns" and operation == "Publish":
            attributes = params.get("MessageAttributes") or {}
            counted[attributes.get("locale", {}).get("StringValue", "none")] += 1
        return original(client, operation, params)

    BaseClient._make_api_call = counting
    try:
        yield counted
    finally:
        BaseClient._make_api_call = original


def test_each_subscriber_reads_the_alert_in_their_own_language(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    master, care = stack.user("master"), stack.user("care")
    for body in ({"name": "Klantenservice", "team": "care", "protocol": "email", "endpoint": "kc@example.org"},
                 {"name": "Care (English)", "team": "care", "protocol": "email", "endpoint": "en@example.org",
                  "language": "en"}):
        assert api.call("POST", "/subscriptions", master, body)[0] == 201
    mention = {"platform": "x", "id": "1850000000000000081", "text": DUTCH_COMPLAINT,
               "author": {"handle": "klant81", "followers": 1200}, "url": "https://x.com/klant81/status/81"}
    assert api.call("POST", "/mentions", care, mention)[0] == 202
    with sns_publishes() as published:
        assert drain_ingest_queue(stack) == {"failures": []}
    assert published == {"nl": 1, "en": 1}  # one publish per language; each subscriber still gets one message

    box = {e["subscriber"]: e for e in api.call("GET", "/mailbox", care)[1]["items"]}
    assert set(box) == {"Klantenservice", "Care (English)"}
    dutch, english = box["Klantenservice"], box["Care (English)"]
    assert dutch["subject"] == "[care middel] klacht (nl) op x door @klant81, 1.200 volgers"
    assert english["subject"] == "[care medium] complaint (nl) on x by @klant81, 1,200 followers"
    assert "Waarom: klacht (nl)" in dutch["text"] and "Why: complaint (nl)" in english["text"]
    assert DUTCH_COMPLAINT in dutch["text"] and DUTCH_COMPLAINT in english["text"]
    assert (dutch["attributes"]["locale"], english["attributes"]["locale"]) == ("nl", "en")
