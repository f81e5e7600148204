"""The content calendar through the REST API, on moto: workflow, roles, validation, warnings, queue, paging."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chorus.core import time as timing
from chorus.core.errors import Conflict
from tests.integration.conftest import Api, Stack

Tokens = dict[str, str]  # a real access token per role
FUTURE = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT10:00")


@pytest.fixture
def tokens(stack: Stack) -> Tokens:
    roles = ("master", "editor", "creator", "publisher", "viewer", "pr")
    return {role: stack.user(role, f"{role}-user") for role in roles}


@pytest.fixture
def channels(api: Api, tokens: Tokens) -> list[str]:
    made: list[dict[str, Any]] = [
        {"id": "x-main", "platform": "x", "handle": "@org"},
        {"id": "masto", "platform": "mastodon", "handle": "@org@social.example", "tone": "informal",
         "slots": [{"weekday": "mon", "time": "09:00"}, {"weekday": "thu", "time": "14:30"}]},
        {"id": "linkedin", "platform": "linkedin", "handle": "urn:li:organization:1", "tone": "formal"},
        {"id": "sky", "platform": "bluesky", "handle": "org.example"},
    ]
    for channel in made:
        status, body = api.call("POST", "/channels", tokens["editor"], channel)
        assert status == 201, body
    return [c["id"] for c in made]


def _approved(api: Api, tokens: Tokens, **content: Any) -> str:
    status, body = api.call("POST", "/posts", tokens["creator"],
                            {"text": "Hallo allemaal", "channels": ["x-main"], **content})
    assert status == 201, body
    post_id = body["post"]["id"]
    assert api.call("POST", f"/posts/{post_id}/submit", tokens["creator"])[0] == 200
    assert api.call("POST", f"/posts/{post_id}/approve", tokens["editor"])[0] == 200
    return post_id


def test_post_walks_from_draft_to_scheduled_with_an_audit_trail(api: Api, tokens: Tokens, channels: list[str]) -> None:
    status, body = api.call("POST", "/posts", tokens["creator"], {
        "text": "Open dag zaterdag!", "channels": ["x-main", "masto"], "category": "event", "campaign": "open-dag",
        "variants": {"masto": "Open dag zaterdag! Kom je ook? #opendag"},
    })
    assert status == 201 and body["post"]["status"] == "draft"
    post_id = body["post"]["id"]
    assert api.call("POST", f"/posts/{post_id}/submit", tokens["creator"])[1]["post"]["status"] == "submitted"
    assert api.call("POST", f"/posts/{post_id}/approve", tokens["editor"])[1]["post"]["status"] == "approved"
    status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": FUTURE})
    assert status == 200, body
    post = body["post"]
    assert post["status"] == "scheduled"
    assert post["publish_at"] == timing.iso_utc(timing.parse_publish_at(FUTURE, "Europe/Amsterdam"))
    assert post["publish_at_local"].startswith(FUTURE)
    assert [(e["action"], e["from"], e["to"], e["by"]) for e in post["audit"]] == [
        ("create", None, "draft", "creator-user"),
        ("submit", "draft", "submitted", "creator-user"),
        ("approve", "submitted", "approved", "editor-user"),
        ("schedule", "approved", "scheduled", "editor-user"),
    ]
    status, page = api.call("GET", f"/posts?from={FUTURE[:10]}&to={FUTURE[:10]}T23:59&channel=masto", tokens["viewer"])
    assert status == 200 and [p["id"] for p in page["items"]] == [post_id]
    assert api.call("GET", f"/posts/{post_id}", tokens["publisher"])[1]["audit"] == post["audit"]


def test_publish_time_is_stored_in_utc_and_correct_across_dst(api: Api, tokens: Tokens, channels: list[str]) -> None:
    year = datetime.now(UTC).year + 1
    expected = {f"{year}-07-01T09:00": f"{year}-07-01T07:00:00Z", f"{year}-12-01T09:00": f"{year}-12-01T08:00:00Z"}
    for local, utc in expected.items():
        post_id = _approved(api, tokens)
        status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": local})
        assert status == 200, body
        assert (body["post"]["publish_at"], body["post"]["timezone"]) == (utc, "Europe/Amsterdam")
    post_id = _approved(api, tokens)
    status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"],
                            {"publish_at": f"{year}-03-20T02:30"})
    assert status == 200, body
    post_id = _approved(api, tokens)
    gap = f"{year}-03-{_last_sunday(year, 3):02d}T02:30"
    status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": gap})
    assert status == 400 and body["error"]["field"] == "publish_at"


def _last_sunday(year: int, month: int) -> int:
    day = datetime(year, month, 31)
    return day.day - (day.weekday() + 1) % 7


@pytest.mark.parametrize("action,role", [("approve", "creator"), ("schedule", "creator"), ("approve", "publisher"),
                                         ("cancel", "viewer"), ("reject", "pr")])
def test_wrong_role_gets_403_and_changes_nothing(api: Api, tokens: Tokens, channels: list[str], action: str,
                                                 role: str) -> None:
    status, body = api.call("POST", "/posts", tokens["creator"], {"text": "x", "channels": ["x-main"]})
    post_id = body["post"]["id"]
    api.call("POST", f"/posts/{post_id}/submit", tokens["creator"])
    before = api.call("GET", f"/posts/{post_id}", tokens["viewer"])[1]
    request = {"reason": "r"} if action != "schedule" else {"publish_at": FUTURE}
    status, body = api.call("POST", f"/posts/{post_id}/{action}", tokens[role], request)
    assert status == 403 and body["error"]["code"] == "forbidden"
    assert api.call("GET", f"/posts/{post_id}", tokens["viewer"])[1] == before


def test_creator_cannot_submit_someone_elses_draft(api: Api, tokens: Tokens, stack: Stack, channels: list[str]) -> None:
    other = stack.user("creator", "other-creator")
    post_id = api.call("POST", "/posts", tokens["creator"], {"text": "x", "channels": ["x-main"]})[1]["post"]["id"]
    assert api.call("POST", f"/posts/{post_id}/submit", other)[0] == 403
    assert api.call("PATCH", f"/posts/{post_id}", other, {"text": "hijack"})[0] == 403


def test_someone_elses_draft_is_hidden_until_it_is_approved(api: Api, tokens: Tokens, stack: Stack,
                                                            channels: list[str]) -> None:
    other = stack.user("creator", "other-creator")
    draft = {"text": "nog geheim", "channels": ["x-main"]}
    post_id = api.call("POST", "/posts", tokens["creator"], draft)[1]["post"]["id"]
    assert api.call("GET", f"/posts/{post_id}", other)[0] == 404
    assert api.call("GET", f"/posts/{post_id}", tokens["publisher"])[0] == 404
    assert post_id not in [p["id"] for p in api.call("GET", "/posts?status=draft", other)[1]["items"]]
    assert post_id in [p["id"] for p in api.call("GET", "/posts?status=draft", tokens["editor"])[1]["items"]]
    api.call("POST", f"/posts/{post_id}/submit", tokens["creator"])
    assert api.call("POST", f"/posts/{post_id}/approve", tokens["editor"])[0] == 200
    assert api.call("GET", f"/posts/{post_id}", other)[0] == 200


def test_illegal_transitions_get_409(api: Api, tokens: Tokens, channels: list[str]) -> None:
    post_id = api.call("POST", "/posts", tokens["creator"], {"text": "x", "channels": ["x-main"]})[1]["post"]["id"]
    status, body = api.call("POST", f"/posts/{post_id}/approve", tokens["editor"])
    assert status == 409 and body["error"]["details"]["status"] == "draft"
    assert api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": FUTURE})[0] == 409
    assert api.call("POST", f"/posts/{post_id}/cancel", tokens["editor"], {})[0] == 200
    for action in ("submit", "approve", "cancel"):
        assert api.call("POST", f"/posts/{post_id}/{action}", tokens["master"], {})[0] == 409
    assert api.call("PATCH", f"/posts/{post_id}", tokens["master"], {"text": "y"})[0] == 409


def test_reject_needs_a_reason_and_returns_the_post_to_draft(api: Api, tokens: Tokens, channels: list[str]) -> None:
    post_id = _approved(api, tokens)
    status, body = api.call("POST", f"/posts/{post_id}/reject", tokens["editor"], {})
    assert status == 400 and body["error"]["field"] == "reason"
    status, body = api.call("POST", f"/posts/{post_id}/reject", tokens["editor"], {"reason": "toon klopt niet"})
    post = body["post"]  # every action answers the post envelope (issue 11 item 16)
    assert status == 200 and post["status"] == "draft" and post["reject_reason"] == "toon klopt niet"
    assert post["audit"][-1]["reason"] == "toon klopt niet"


@pytest.mark.parametrize("content,field", [
    ({"text": "a" * 281, "channels": ["x-main"]}, "text"),
    ({"text": "ok", "variants": {"x-main": "https://example.org/" + "a" * 300 + " " + "b" * 258},
      "channels": ["x-main"]}, "variants.x-main"),
    ({"text": "👨‍👩‍👧" * 301, "channels": ["sky"]}, "text"),
    ({"text": "a" * 501, "channels": ["masto"]}, "text"),
    ({"text": "a" * 3001, "channels": ["linkedin"]}, "text"),
    ({"text": "   ", "channels": ["x-main"]}, "text"),
    ({"text": "ok", "channels": []}, "channels"),
])
def test_schedule_validation_names_the_field(api: Api, tokens: Tokens, channels: list[str], content: dict[str, Any],
                                             field: str) -> None:
    post_id = _approved(api, tokens, **content)
    status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": FUTURE})
    assert status == 400, body
    assert body["error"]["field"] == field
    assert api.call("GET", f"/posts/{post_id}", tokens["editor"])[1]["status"] == "approved"


def test_url_counts_as_23_on_x(api: Api, tokens: Tokens, channels: list[str]) -> None:
    text = "https://example.org/" + "a" * 300 + " " + "b" * 256  # 23 + 1 + 256 = 280
    post_id = _approved(api, tokens, text=text)
    assert api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": FUTURE})[0] == 200


def test_mastodon_channel_limit_is_configurable(api: Api, tokens: Tokens, channels: list[str]) -> None:
    assert api.call("PATCH", "/channels/masto", tokens["editor"], {"max_length": 1000})[0] == 200
    post_id = _approved(api, tokens, text="a" * 900, channels=["masto"])
    assert api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": FUTURE})[0] == 200


def test_time_in_the_past_and_unknown_channels_are_400(api: Api, tokens: Tokens, channels: list[str]) -> None:
    post_id = _approved(api, tokens)
    status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": "2020-01-01T09:00"})
    assert status == 400 and body["error"]["field"] == "publish_at"
    status, body = api.call("POST", "/posts", tokens["creator"], {"text": "x", "channels": ["nope"]})
    assert status == 400 and body["error"]["field"] == "channels"
    status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": "next tuesday"})
    assert status == 400 and body["error"]["field"] == "publish_at"
    status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"],
                            {"publish_at": FUTURE, "timezone": "Mars/Olympus"})
    assert status == 400 and body["error"]["field"] == "timezone"


@pytest.mark.parametrize("raw,field", [("{not json", "body"), ("[1,2]", "body"), ('{"text": 5}', "text"),
                                       ('{"category": "gossip"}', "category"), ('{"surprise": 1}', "surprise")])
def test_bad_bodies_are_400_and_create_nothing(api: Api, tokens: Tokens, channels: list[str], raw: str,
                                               field: str) -> None:
    status, body = api.call("POST", "/posts", tokens["creator"], raw=raw)
    assert status == 400 and body["error"]["field"] == field
    assert api.call("GET", "/posts?status=draft", tokens["editor"])[1]["items"] == []


def test_tone_of_voice_warning_names_the_words(api: Api, tokens: Tokens, channels: list[str]) -> None:
    status, body = api.call("POST", "/posts", tokens["creator"], {
        "text": "Wij helpen je graag met jouw vraag.", "channels": ["linkedin", "x-main"]})
    assert status == 201
    tone = [w for w in body["warnings"] if w["code"] == "tone"]
    assert len(tone) == 1 and tone[0]["channel"] == "linkedin"
    assert "je" in tone[0]["message"] and "jouw" in tone[0]["message"]
    status, body = api.call("POST", "/posts", tokens["creator"],
                            {"text": "Kunt u ons uw mening geven?", "channels": ["masto"]})
    assert [w["channel"] for w in body["warnings"] if w["code"] == "tone"] == ["masto"]


def test_same_text_on_a_channel_within_24_hours_warns_but_does_not_block(api: Api, tokens: Tokens,
                                                                         channels: list[str]) -> None:
    first = _approved(api, tokens, text="Dubbel bericht")
    assert api.call("POST", f"/posts/{first}/schedule", tokens["editor"], {"publish_at": FUTURE})[0] == 200
    second = _approved(api, tokens, text="  dubbel   BERICHT ")
    later = FUTURE[:11] + "20:00"
    status, body = api.call("POST", f"/posts/{second}/schedule", tokens["editor"], {"publish_at": later})
    assert status == 200 and body["post"]["status"] == "scheduled"
    assert [w["code"] for w in body["warnings"]] == ["duplicate"] and first in body["warnings"][0]["message"]


def test_ghostwriting_guard_needs_the_named_persons_approval(api: Api, tokens: Tokens, stack: Stack,
                                                             channels: list[str]) -> None:
    post_id = _approved(api, tokens, on_behalf_of="pr-user", text="Namens de directeur: dank!")
    status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": FUTURE})
    assert status == 409 and body["error"]["details"]["awaiting"] == "pr-user"
    assert api.call("POST", f"/posts/{post_id}/endorse", tokens["editor"])[0] == 403
    status, body = api.call("POST", f"/posts/{post_id}/endorse", tokens["pr"])
    assert status == 200 and body["post"]["endorsed_at"]
    assert api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": FUTURE})[0] == 200


def test_editing_the_words_withdraws_the_endorsement(api: Api, tokens: Tokens, channels: list[str]) -> None:
    draft = {"text": "a", "channels": ["x-main"], "on_behalf_of": "pr-user"}
    post_id = api.call("POST", "/posts", tokens["creator"], draft)[1]["post"]["id"]
    assert api.call("POST", f"/posts/{post_id}/endorse", tokens["pr"])[1]["post"]["endorsed_at"]
    status, body = api.call("PATCH", f"/posts/{post_id}", tokens["creator"], {"text": "other words"})
    assert status == 200 and body["post"]["endorsed_at"] is None


def test_add_to_queue_takes_the_next_free_slot(api: Api, tokens: Tokens, channels: list[str]) -> None:
    first = _approved(api, tokens, channels=["masto"])
    status, body = api.call("POST", f"/posts/{first}/schedule", tokens["editor"], {"queue": True})
    assert status == 200, body
    slot = timing.from_iso_utc(body["post"]["publish_at"])
    local = slot.astimezone(timing.zone("Europe/Amsterdam"))
    assert (local.strftime("%a %H:%M") in ("Mon 09:00", "Thu 14:30")) and slot > datetime.now(UTC)
    second = _approved(api, tokens, channels=["masto"])
    status, body = api.call("POST", f"/posts/{second}/schedule", tokens["editor"], {"queue": True})
    assert timing.from_iso_utc(body["post"]["publish_at"]) > slot
    no_slots = _approved(api, tokens, channels=["x-main"])
    status, body = api.call("POST", f"/posts/{no_slots}/schedule", tokens["editor"], {"queue": True})
    assert status == 400 and body["error"]["field"] == "queue"


def test_calendar_pages_through_a_date_range(api: Api, tokens: Tokens, channels: list[str]) -> None:
    base = datetime.now(UTC) + timedelta(days=2)
    ids = []
    for i in range(7):
        post_id = _approved(api, tokens, text=f"post {i}")
        when = (base + timedelta(days=i * 9)).strftime("%Y-%m-%dT08:00Z")  # spans several months
        assert api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": when})[0] == 200
        ids.append(post_id)
    seen, cursor = [], None
    start, end = base.strftime("%Y-%m-%d"), (base + timedelta(days=70)).strftime("%Y-%m-%d")
    while True:
        query = f"/posts?from={start}T00:00Z&to={end}T00:00Z&limit=3" + (f"&cursor={cursor}" if cursor else "")
        status, page = api.call("GET", query, tokens["viewer"])
        assert status == 200 and len(page["items"]) <= 3
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == ids
    assert api.call("GET", "/posts?cursor=garbage!", tokens["viewer"])[0] == 400
    assert api.call("GET", "/posts?limit=0", tokens["viewer"])[1]["error"]["field"] == "limit"
    assert api.call("GET", "/posts?bogus=1", tokens["viewer"])[1]["error"]["field"] == "bogus"


def test_idempotency_key_makes_a_retried_create_return_the_first_post(api: Api, tokens: Tokens,
                                                                      channels: list[str]) -> None:
    headers = {"Idempotency-Key": "retry-me-1"}
    first = api.call("POST", "/posts", tokens["creator"], {"text": "once", "channels": ["x-main"]}, headers)
    again = api.call("POST", "/posts", tokens["creator"], {"text": "once", "channels": ["x-main"]}, headers)
    assert (first[0], again[0]) == (201, 200) and first[1]["post"]["id"] == again[1]["post"]["id"]
    assert len(api.call("GET", "/posts?status=draft", tokens["editor"])[1]["items"]) == 1


def test_concurrent_change_is_a_409_not_a_lost_update(api: Api, tokens: Tokens, channels: list[str]) -> None:
    from chorus import container

    post_id = _approved(api, tokens)
    stale = container.calendar().get_post(post_id)
    assert api.call("POST", f"/posts/{post_id}/cancel", tokens["editor"], {})[0] == 200
    with pytest.raises(Exception) as raised:
        container.calendar().posts.save(stale.model_copy(update={"text": "overwrite"}))
    assert isinstance(raised.value, Conflict)  # Stale, the Conflict (409) of a write on an outdated read
    assert api.call("GET", f"/posts/{post_id}", tokens["editor"])[1]["status"] == "cancelled"


# ---------------------------------------------------------------------------------------------- issue 11 item 1
@pytest.mark.parametrize("publish_at", ["9999-12-31T23:59", "0001-01-01T00:30", "1999-12-31T23:59:59Z"])
def test_a_moment_outside_2000_to_2100_is_a_400_naming_the_field_and_changes_nothing(
        api: Api, tokens: Tokens, channels: list[str], publish_at: str) -> None:
    post_id = _approved(api, tokens)
    before = api.call("GET", f"/posts/{post_id}", tokens["editor"])[1]
    status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": publish_at})
    assert (status, body["error"]["field"]) == (400, "publish_at"), body
    assert "2000" in body["error"]["message"] and "2100" in body["error"]["message"]
    assert api.call("GET", f"/posts/{post_id}", tokens["editor"])[1] == before


@pytest.mark.parametrize("query", ["from=0001-01-01&to=0001-02-01", "from=2026-01-01&to=9999-01-01"])
def test_a_calendar_range_outside_2000_to_2100_is_a_400(api: Api, tokens: Tokens, query: str) -> None:
    status, body = api.call("GET", f"/posts?{query}", tokens["editor"])
    assert status == 400 and body["error"]["field"] in ("from", "to"), body


def test_a_schedule_whose_queueing_fails_still_answers_what_it_saved(
        api: Api, tokens: Tokens, channels: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A post due at once is queued in the request; when the queue is down, the due run sends it a minute later, so
    the request answers the scheduled post instead of a 500 over a change that was made."""
    from chorus import container

    post_id = _approved(api, tokens)

    def queue_down(post: Any) -> int:
        raise ConnectionError("SQS is unreachable")

    monkeypatch.setattr(container.publishing(), "enqueue_soon", queue_down)
    soon = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, body = api.call("POST", f"/posts/{post_id}/schedule", tokens["editor"], {"publish_at": soon})
    assert status == 200 and body["post"]["status"] == "scheduled", body


# ---------------------------------------------------------------------------------------------- issue 11 item 14
def test_an_idempotency_key_reused_for_another_body_is_a_422_that_changes_nothing(
        api: Api, tokens: Tokens, channels: list[str]) -> None:
    key = {"Idempotency-Key": "draft-7"}
    first = api.call("POST", "/posts", tokens["creator"], {"text": "versie één", "channels": ["x-main"]}, key)
    again = api.call("POST", "/posts", tokens["creator"], {"text": "versie één", "channels": ["x-main"]}, key)
    other = api.call("POST", "/posts", tokens["creator"], {"text": "versie twee", "channels": ["x-main"]}, key)
    assert (first[0], again[0], other[0]) == (201, 200, 422), other
    assert other[1]["error"]["code"] == "unprocessable" and "Idempotency-Key" in other[1]["error"]["message"]
    drafts = api.call("GET", "/posts?status=draft", tokens["editor"])[1]["items"]
    assert [d["text"] for d in drafts] == ["versie één"]
    someone_else = api.call("POST", "/posts", tokens["editor"], {"text": "versie twee", "channels": ["x-main"]}, key)
    assert someone_else[0] == 201  # a key belongs to the person who sent it


# ---------------------------------------------------------------------------------------------- issue 11 items 13, 16
def test_every_action_on_a_post_answers_the_same_envelope(api: Api, tokens: Tokens, channels: list[str]) -> None:
    created = api.call("POST", "/posts", tokens["creator"], {"text": "Hallo", "channels": ["x-main"]})[1]
    post_id = created["post"]["id"]
    answers = [created, api.call("PATCH", f"/posts/{post_id}", tokens["creator"], {"text": "Hallo allemaal"})[1],
               api.call("POST", f"/posts/{post_id}/submit", tokens["creator"])[1],
               api.call("POST", f"/posts/{post_id}/reject", tokens["editor"], {"reason": "korter"})[1],
               api.call("POST", f"/posts/{post_id}/submit", tokens["creator"])[1],
               api.call("POST", f"/posts/{post_id}/approve", tokens["editor"])[1],
               api.call("POST", f"/posts/{post_id}/cancel", tokens["editor"], {"reason": "dubbel"})[1]]
    assert all(set(answer) == {"post", "warnings"} for answer in answers), answers
    assert [a["post"]["status"] for a in answers] == ["draft", "draft", "submitted", "draft", "submitted", "approved",
                                                       "cancelled"]


def test_hold_and_release_answer_the_crisis_state_shape(api: Api, tokens: Tokens, channels: list[str]) -> None:
    state = api.call("GET", "/crisis", tokens["viewer"])[1]
    held = api.call("POST", "/crisis/hold", tokens["pr"], {"reason": "storing in de afvalinzameling"})[1]
    released = api.call("POST", "/crisis/release", tokens["pr"])[1]
    assert set(held) == set(released) == set(state)
    assert (held["active"], released["active"], released["released"], released["could_not_release"]) == (
        True, False, 0, [])


def test_a_change_on_an_outdated_version_is_a_412_not_a_lost_update(
        api: Api, tokens: Tokens, channels: list[str]) -> None:
    post_id = api.call("POST", "/posts", tokens["creator"], {"text": "Eerste versie", "channels": ["x-main"]})[1][
        "post"]["id"]
    read = api.client.http.get(f"/posts/{post_id}", headers={"Authorization": f"Bearer {tokens['editor']}"})
    etag = read.headers["ETag"]
    first = api.call("PATCH", f"/posts/{post_id}", tokens["editor"], {"text": "Versie van A"}, {"If-Match": etag})
    second = api.call("PATCH", f"/posts/{post_id}", tokens["editor"], {"text": "Versie van B"}, {"If-Match": etag})
    assert (first[0], second[0]) == (200, 412), second
    assert second[1]["error"]["code"] == "precondition_failed"
    assert second[1]["error"]["details"]["current_version"] == first[1]["post"]["version"]
    assert api.call("GET", f"/posts/{post_id}", tokens["editor"])[1]["text"] == "Versie van A"
    malformed = api.call("PATCH", f"/posts/{post_id}", tokens["editor"], {"text": "x"}, {"If-Match": "abc"})
    assert (malformed[0], malformed[1]["error"]["field"]) == (400, "If-Match")


# ---------------------------------------------------------------------------------------------- issue 11 item 19
def test_the_calendar_shows_planned_content_and_replies_only_on_request(
        api: Api, tokens: Tokens, channels: list[str]) -> None:
    from chorus import container
    from chorus.calendar import rules
    from chorus.calendar.schemas import Channel, ReplyTarget
    from chorus.core.roles import Principal

    planned = _approved(api, tokens)
    when = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    assert api.call("POST", f"/posts/{planned}/schedule", tokens["editor"],
                    {"publish_at": when.strftime("%Y-%m-%dT%H:%M:%SZ")})[0] == 200
    care = Principal("carla", frozenset({"care"}))
    reply = rules.reply("r1", "@klant Dank, we kijken ernaar.", Channel(id="x-main", platform="x", handle="@org"),
                        ReplyTarget(mention_id="m1", platform_id="42", author_handle="@klant"), care, when, None)
    container.calendar().posts.create(reply.model_copy(update={"publish_at": timing.iso_utc(when)}))
    span = f"from={when.date().isoformat()}&to={(when + timedelta(days=1)).date().isoformat()}"
    by_kind = {kind: [p["id"] for p in api.call("GET", f"/posts?{span}{query}", tokens["editor"])[1]["items"]]
               for kind, query in (("default", ""), ("replies", "&kind=replies"), ("all", "&kind=all"))}
    assert (by_kind["default"], by_kind["replies"], set(by_kind["all"])) == ([planned], ["r1"], {planned, "r1"})


# ---------------------------------------------------------------------------------------------- issue 11 item 24
def test_a_personal_calendar_feed_shows_planned_posts_until_it_is_replaced_or_revoked(
        api: Api, tokens: Tokens, channels: list[str]) -> None:
    from icalendar import Calendar

    planned = _approved(api, tokens, text="=Open dag op zaterdag")
    when = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    assert api.call("POST", f"/posts/{planned}/schedule", tokens["editor"],
                    {"publish_at": when.strftime("%Y-%m-%dT%H:%M:%SZ")})[0] == 200
    draft = api.call("POST", "/posts", tokens["creator"], {"text": "nog geheim", "channels": ["x-main"]})[1]
    status, feed = api.call("POST", "/calendar/feed", tokens["viewer"])
    assert status == 201 and feed["url"].startswith("http") and "/calendar/feed/" in feed["url"]
    path = feed["url"][feed["url"].index("/calendar/feed/"):]
    answer = api.client.http.get(path)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/calendar")
    events = Calendar.from_ical(answer.body).walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"{planned}@chorus"] and draft["post"]["id"] not in answer.body.decode()
    assert events[0].decoded("dtstart") == when
    replaced = api.call("POST", "/calendar/feed", tokens["viewer"])[1]
    assert api.client.http.get(path).status_code == 404  # the old URL stopped working
    assert api.call("DELETE", "/calendar/feed", tokens["viewer"])[0] == 204
    assert api.client.http.get(replaced["url"][replaced["url"].index("/calendar/feed/"):]).status_code == 404


def test_a_period_exports_as_csv_with_text_kept_as_text(api: Api, tokens: Tokens, channels: list[str]) -> None:
    planned = _approved(api, tokens, text="=SUM(A1:A9) is geen formule")
    when = (datetime.now(UTC) + timedelta(days=4)).replace(microsecond=0)
    scheduled = {"publish_at": when.strftime("%Y-%m-%dT%H:%M:%SZ")}
    assert api.call("POST", f"/posts/{planned}/schedule", tokens["editor"], scheduled)[0] == 200
    period = f"from={when.date().isoformat()}&to={(when + timedelta(days=1)).date().isoformat()}"
    answer = api.client.http.get(f"/calendar/export?{period}", headers={"Authorization": f"Bearer {tokens['viewer']}"})
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    rows = answer.body.decode().splitlines()
    assert rows[0].startswith("publish_at,publish_at_local,status") and len(rows) == 2
    assert planned in rows[1] and "'=SUM(A1:A9)" in rows[1]
    missing = api.call("GET", "/calendar/export", tokens["viewer"])
    assert missing[0] == 400 and missing[1]["error"]["field"] == "from"


def test_a_channel_change_on_an_outdated_version_is_a_412(api: Api, tokens: Tokens, channels: list[str]) -> None:
    auth = {"Authorization": f"Bearer {tokens['editor']}"}
    etag = api.client.http.get("/channels/x-main", headers=auth).headers["ETag"]
    first = api.call("PATCH", "/channels/x-main", tokens["editor"], {"cadence_per_week": 5}, {"If-Match": etag})
    second = api.call("PATCH", "/channels/x-main", tokens["editor"], {"cadence_per_week": 1}, {"If-Match": etag})
    assert (first[0], second[0]) == (200, 412) and first[1]["version"] == second[1]["error"]["details"][
        "current_version"]
    assert api.call("GET", "/channels/x-main", tokens["editor"])[1]["cadence_per_week"] == 5
    assert api.call("PATCH", "/channels/x-main", tokens["editor"], {"cadence_per_week": 2})[0] == 200  # no If-Match
