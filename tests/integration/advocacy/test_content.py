"""Creators' content on moto through the API with real Cognito tokens: a photo uploaded with the presigned POST
straight to (moto's) S3, submitted, seen in the editors' queue with a working media link, accepted into a draft post
or declined with a reason; role rules; refused uploads; praise from listening as suggestions; the pre-share check;
export and erase."""
from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
import requests

from chorus import container
from tests.integration.conftest import REGION, Api, Stack
from tests.integration.listening.test_listening import drain_ingest_queue

JPEG = b"\xff\xd8\xff\xe0" + b"\x00\x10JFIF" + bytes(range(256)) * 40 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(2000)


class Programme:
    """A master, two editors, two creators and a publisher, each with a profile, and a channel to post on."""

    def __init__(self, stack: Stack, api: Api) -> None:
        self.stack, self.api = stack, api
        self.master = stack.user("master", "mia")
        self.editor = stack.user("editor", "ed")
        self.editor2 = stack.user("editor", "eva")
        self.cara = stack.user("creator", "cara")
        self.carl = stack.user("creator", "carl")
        self.pim = stack.user("publisher", "pim")
        self.ids = {username: self.add(username, name, roles) for username, name, roles in (
            ("ed", "Ed van Dijk", ["editor"]), ("eva", "Eva Smit", ["editor"]), ("cara", "Cara Jansen", ["creator"]),
            ("carl", "Carl de Boer", ["creator"]), ("pim", "Pim Bakker", ["publisher"]))}
        status, _ = api.call("POST", "/channels", self.editor, {"id": "masto", "platform": "mastodon",
                                                                "handle": "@chorus@social.example"})
        assert status == 201

    def add(self, username: str, name: str, roles: list[str]) -> str:
        status, person = self.api.call("POST", "/ambassadors", self.master,
                                       {"username": username, "name": name, "team": "sales", "roles": roles})
        assert status == 201, person
        return person["id"]

    def upload(self, token: str, filename: str, content_type: str, data: bytes, announced: str | None = None) -> str:
        """What a browser does: ask for a form, POST the file straight to S3 with it (a browser that lies announces
        another type, or a smaller size)."""
        status, ticket = self.api.call("POST", "/content/uploads", token, {"filename": filename,
                                                                         "content_type": announced or content_type,
                                                                         "size": min(len(data), 1024 * 1024)})
        assert status == 201, ticket
        sent = requests.post(ticket["url"], data=ticket["fields"], files={"file": (filename, data, content_type)},
                             timeout=10)
        assert sent.status_code == 204, sent.text
        return ticket["key"]

    def submit(self, token: str, text: str, media: list[Any], **extra: Any) -> tuple[int, dict]:
        return self.api.call("POST", "/content", token, {"text": text, "tags": ["team"], "pillar": "behind-the-scenes",
                                                         "media": media, **extra})

    def objects(self) -> list[str]:
        s3 = boto3.client("s3", region_name=REGION)
        listed = s3.list_objects_v2(Bucket=self.stack.environment["CHORUS_MEDIA_BUCKET"])
        return sorted(o["Key"] for o in listed.get("Contents", []))

    def counts(self, person: str) -> dict[str, int]:
        today = datetime.now(UTC).date()
        found: dict[str, int] = {}
        for count in container.engagement_ledger().of_person(person, date(today.year, 1, 1), today):
            found[count.event] = found.get(count.event, 0) + count.count
        return found


@pytest.fixture
def programme(stack: Stack, api: Api) -> Programme:
    return Programme(stack, api)


def test_a_creator_submits_a_photo_and_an_editor_turns_it_into_a_post(programme: Programme) -> None:
    api, p = programme.api, programme
    key = p.upload(p.cara, "Boomplantdag 2026.jpg", "image/jpeg", JPEG)
    assert key.startswith("uploads/") and key.endswith("/Boomplantdag-2026.jpg")
    status, submitted = p.submit(p.cara, "Vandaag plantten we 200 bomen met Piet Jansen!", [key])
    assert status == 201 and submitted["status"] == "submitted" and submitted["creator"] == p.ids["cara"]
    kept = submitted["media"][0]["key"]
    assert kept == key.replace("uploads/", "content/", 1) and p.objects() == [kept]  # the upload itself is gone

    status, queue = api.call("GET", "/content/queue", p.editor)
    assert status == 200 and [item["id"] for item in queue["items"]] == [submitted["id"]]
    (item,) = queue["items"]
    assert item["creator_name"] == "Cara Jansen"
    assert [(f["kind"], f["text"]) for f in item["flags"]] == [("name", "Piet Jansen")]
    photo = requests.get(item["media"][0]["url"], timeout=10)
    assert photo.status_code == 200 and photo.content == JPEG

    status, accepted = api.call("POST", f"/content/{submitted['id']}/accept", p.editor,
                                {"text": "200 nieuwe bomen! Dank aan ons team.", "channels": ["masto"]})
    assert status == 201, accepted
    post = accepted["post"]
    assert post["status"] == "draft"
    assert [(m["key"], m["alt"], m["content_type"], m["size"]) for m in post["media"]] == [
        (kept, None, "image/jpeg", len(JPEG))]  # the editor adds the alt text before approving
    assert post["text"] == "200 nieuwe bomen! Dank aan ons team."
    assert post["source"] == {"kind": "content", "id": submitted["id"], "creator": p.ids["cara"]}
    assert api.call("GET", f"/posts/{post['id']}", p.editor)[1]["source"]["id"] == submitted["id"]
    seen = api.call("GET", f"/content/{submitted['id']}", p.cara)[1]
    assert (seen["status"], seen["post_id"]) == ("accepted", post["id"])
    assert api.call("GET", "/content/queue", p.editor)[1]["items"] == []

    status, again = api.call("POST", f"/content/{submitted['id']}/accept", p.editor2, {})
    assert status == 409 and again["error"]["details"]["post_id"] == post["id"]
    assert p.counts(p.ids["cara"]) == {"submission_made": 1, "submission_accepted": 1}
    assert p.counts(p.ids["ed"]) == {"post_edited": 1} and p.counts(p.ids["eva"]) == {}


def test_a_creator_describes_a_photo_and_the_post_made_from_it_carries_the_alt_text(programme: Programme) -> None:
    api, p = programme.api, programme
    alt = "Twee collega's dragen een boompje naar het plantgat"
    key = p.upload(p.cara, "boompje.png", "image/png", PNG)
    status, submitted = p.submit(p.cara, "Boomplantdag", [{"key": key, "alt": alt}])
    assert status == 201 and submitted["media"][0]["alt"] == alt, submitted
    status, accepted = api.call("POST", f"/content/{submitted['id']}/accept", p.editor, {"channels": ["masto"]})
    assert status == 201, accepted
    assert [(m["alt"], m["content_type"]) for m in accepted["post"]["media"]] == [(alt, "image/png")]
    post_id = accepted["post"]["id"]
    assert api.call("POST", f"/posts/{post_id}/submit", p.editor)[0] == 200
    assert api.call("POST", f"/posts/{post_id}/approve", p.editor)[0] == 200


def test_a_declined_submission_shows_its_reason_to_the_creator(programme: Programme) -> None:
    api, p = programme.api, programme
    status, submitted = p.submit(p.cara, "Onze koffieautomaat is kapot.", [])
    assert status == 201
    status, error = api.call("POST", f"/content/{submitted['id']}/decline", p.editor, {"reason": "  "})
    assert status == 400
    status, declined = api.call("POST", f"/content/{submitted['id']}/decline", p.editor,
                                {"reason": "Geen nieuws voor buiten; deel het intern?"})
    assert status == 200 and declined["status"] == "declined"
    status, mine = api.call("GET", "/content", p.cara)
    assert [(s["status"], s["decline_reason"]) for s in mine["items"]] == [
        ("declined", "Geen nieuws voor buiten; deel het intern?")]
    assert api.call("POST", f"/content/{submitted['id']}/accept", p.editor, {})[0] == 409


def test_creators_see_only_their_own_content_and_decide_nothing(programme: Programme) -> None:
    api, p = programme.api, programme
    _, caras = p.submit(p.cara, "Cara's verhaal", [])
    for method, path, body in (("GET", f"/content/{caras['id']}", None),
                               ("POST", f"/content/{caras['id']}/accept", {}),
                               ("POST", f"/content/{caras['id']}/decline", {"reason": "x"}),
                               ("GET", "/content/queue", None),
                               ("GET", f"/content?creator={p.ids['cara']}", None)):
        status, error = api.call(method, path, p.carl, body)
        assert status == 403 and error["error"]["code"] == "forbidden", (method, path)
    assert api.call("GET", "/content", p.carl)[1]["items"] == []
    assert api.call("POST", "/content", p.pim, {"text": "x", "pillar": "news"})[0] == 403  # publishers do not create
    status, theirs = api.call("GET", f"/content?creator={p.ids['cara']}", p.editor)
    assert status == 200 and [s["id"] for s in theirs["items"]] == [caras["id"]]


def test_the_upload_form_pins_type_and_size_and_a_wrong_file_is_refused_with_nothing_stored(
        programme: Programme) -> None:
    api, p = programme.api, programme
    for body, field in (({"filename": "cv.pdf", "content_type": "application/pdf", "size": 100}, "content_type"),
                        ({"filename": "big.jpg", "content_type": "image/jpeg", "size": 11 * 1024 * 1024}, "size"),
                        ({"filename": "long.mp4", "content_type": "video/mp4", "size": 201 * 1024 * 1024}, "size")):
        status, error = api.call("POST", "/content/uploads", p.cara, body)
        assert (status, error["error"]["field"]) == (400, field)
    status, ticket = api.call("POST", "/content/uploads", p.cara,
                              {"filename": "a.jpg", "content_type": "image/jpeg", "size": 99})
    policy = json.loads(base64.b64decode(ticket["fields"]["policy"]))
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ["content-length-range", 1, 10 * 1024 * 1024] in policy["conditions"]
    assert {"key": ticket["key"]} in policy["conditions"] and ticket["fields"]["Content-Type"] == "image/jpeg"

    # S3 labels a file with the form's Content-Type whatever it holds, and moto does not enforce the size range
    # either: the submission itself looks at what arrived.
    for data, message in ((PNG, "content is something else"), (JPEG[:4] + bytes(10 * 1024 * 1024), "bytes")):
        wrong = p.upload(p.cara, "photo.jpg", "image/png", data, announced="image/jpeg")
        status, error = p.submit(p.cara, "Met foto", [wrong])
        assert (status, error["error"]["field"]) == (400, "media.0") and message in error["error"]["message"], error
    status, error = p.submit(p.cara, "Zonder upload", [ticket["key"]])
    assert (status, error["error"]["field"]) == (400, "media.0")
    assert api.call("GET", "/content", p.cara)[1]["items"] == [] and p.objects() == []
    assert p.counts(p.ids["cara"]) == {}


def test_a_praise_mention_routed_to_marketing_is_a_suggestion_that_becomes_a_post(
        programme: Programme, monkeypatch: pytest.MonkeyPatch) -> None:
    api, p = programme.api, programme
    status, _ = api.call("POST", "/mentions", p.master, {
        "platform": "mastodon", "id": "109999", "url": "https://social.example/@fan/109999",
        "text": "Wat een geweldige service van jullie team! Dank jullie wel, super blij.",
        "author": {"handle": "fan@social.example", "followers": 40}})
    assert status == 202
    assert drain_ingest_queue(p.stack)["failures"] == []
    status, queue = api.call("GET", "/content/queue", p.editor)
    (suggestion,) = queue["suggestions"]
    assert suggestion["text"].startswith("Wat een geweldige service") and suggestion["platform"] == "mastodon"

    status, accepted = api.call("POST", f"/content/suggestions/{suggestion['mention_id']}/accept", p.editor, {})
    assert status == 201
    assert accepted["post"]["source"] == {"kind": "mention", "id": suggestion["mention_id"], "creator": None}
    assert "https://social.example/@fan/109999" in accepted["post"]["text"]
    assert [f["text"] for f in accepted["flags"]] == ["@fan@social.example"]  # citing a customer by name needs care
    assert api.call("GET", f"/mentions/{suggestion['mention_id']}", p.editor)[1]["status"] == "resolved"
    assert api.call("GET", "/content/queue", p.editor)[1]["suggestions"] == []
    status, again = api.call("POST", f"/content/suggestions/{suggestion['mention_id']}/accept", p.editor2, {})
    assert status == 409 and again["error"]["details"]["post_id"] == accepted["post"]["id"]


def test_the_pre_share_check_uses_consent_and_the_organisations_lists(programme: Programme) -> None:
    api, p = programme.api, programme
    assert api.call("PUT", "/prechecks/lists", p.cara, {"named": [], "competitors": []})[0] == 403
    status, lists = api.call("PUT", "/prechecks/lists", p.editor,
                             {"named": ["Olga Buiten", "@olga"], "competitors": ["Jumbo"]})
    assert status == 200 and lists["updated_by"] == "ed"
    assert api.call("GET", "/prechecks/lists", p.master)[1]["competitors"] == ["Jumbo"]
    status, cara = api.call("PUT", "/ambassadors/me", p.cara, {"named_consent": True})
    assert status == 200, cara
    text = "Met Cara Jansen, Olga Buiten, @olga en Carl de Boer; beter dan JUMBO. @chorus zegt dank."
    status, checked = api.call("POST", "/prechecks", p.pim, {"text": text})
    assert status == 200
    assert [(f["kind"], f["text"], text[f["start"]:f["end"]]) for f in checked["flags"]] == [
        ("name", "Carl de Boer", "Carl de Boer"), ("competitor", "JUMBO", "JUMBO")]


def test_erasing_a_creator_unlinks_their_content_and_deletes_their_uploads(programme: Programme) -> None:
    api, p = programme.api, programme
    _, submitted = p.submit(p.cara, "Ons verhaal", [p.upload(p.cara, "a.jpg", "image/jpeg", JPEG)])
    _, accepted = api.call("POST", f"/content/{submitted['id']}/accept", p.editor, {})
    pending = p.upload(p.cara, "never.png", "image/png", PNG)
    status, exported = api.call("GET", f"/ambassadors/{p.ids['cara']}/export", p.master)
    assert status == 200
    assert [(e["kind"], e["key"] if e["kind"] == "upload" else e["id"]) for e in exported["sections"]["content"]] == [
        ("submission", submitted["id"]), ("upload", pending)]

    status, erased = api.call("DELETE", f"/ambassadors/{p.ids['cara']}", p.master)
    assert status in (200, 204), erased
    assert pending not in p.objects() and submitted["media"][0]["key"] in p.objects()
    kept = api.call("GET", f"/content/{submitted['id']}", p.editor)[1]
    assert kept["creator"] is None and kept["text"] == "Ons verhaal"
    assert api.call("GET", f"/posts/{accepted['post']['id']}", p.editor)[1]["source"]["creator"] is None
    assert api.call("GET", f"/ambassadors/{p.ids['cara']}/export", p.master)[1]["sections"]["content"] == []


def test_the_queue_reads_a_bounded_number_of_items_and_never_scans(programme: Programme,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Measured: what one page of the editors' queue costs in DynamoDB requests, with 30 waiting submissions."""
    from pynamodb.connection.base import Connection

    api, p = programme.api, programme
    for n in range(30):
        assert p.submit(p.cara if n % 2 else p.carl, f"Verhaal {n}", [])[0] == 201
    calls: list[str] = []
    real = Connection.dispatch

    def counting(self: Connection, operation_name: str, operation_kwargs: dict[str, Any]) -> dict[str, Any]:
        calls.append(operation_name)
        return real(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", counting)
    status, queue = api.call("GET", "/content/queue?limit=20", p.editor)
    first = list(calls)
    assert status == 200 and len(queue["items"]) == 20 and queue["next_cursor"]
    calls.clear()
    rest = api.call("GET", f"/content/queue?limit=20&cursor={queue['next_cursor']}", p.editor)[1]
    assert len(rest["items"]) == 10 and rest["next_cursor"] is None
    print(f"GET /content/queue: {len(first)} and {len(calls)} DynamoDB requests per page: {sorted(first)}")
    # Per page: one Query of the queue, of the consenting people, of the channels and of each open inbox status, the
    # lists' GetItem, and one GetItem per distinct creator on the page (here two).
    for page in (first, calls):
        assert "Scan" not in page and len(page) <= 8, page
