"""Photos on posts through the API, on moto: the media library describes each file, alt text is required before
approval, answers show thumbnails (presigned GETs that S3 serves), and the local outbox receives each file's key with
its alt text."""
from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import boto3
import requests

from tests.integration.conftest import REGION, Api, Stack
from tests.integration.inbox.test_inbox import drain_publish_queue

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
KEY = "content/0123456789abcdef0123456789abcdef/boomplantdag.png"
ALT = "Vijf collega's in oranje hesjes planten een boom in het Vondelpark"


def library(stack: Stack, key: str, data: bytes, content_type: str) -> None:
    boto3.client("s3", region_name=REGION).put_object(Bucket=stack.environment["CHORUS_MEDIA_BUCKET"], Key=key,
                                                      Body=data, ContentType=content_type)


def test_a_photo_needs_alt_text_shows_as_a_thumbnail_and_reaches_the_outbox_with_it(stack: Stack, api: Api) -> None:
    editor, creator = stack.user("editor"), stack.user("creator")
    library(stack, KEY, PNG, "image/png")
    assert api.call("POST", "/channels", editor, {"id": "demo-local", "platform": "local", "handle": "demo"})[0] == 201

    status, made = api.call("POST", "/posts", creator,
                            {"text": "Boomplantdag!", "channels": ["demo-local"], "media": [{"key": KEY}]})
    assert status == 201, made
    post_id = made["post"]["id"]
    (item,) = made["post"]["media"]
    assert (item["key"], item["alt"], item["content_type"], item["size"]) == (KEY, None, "image/png", len(PNG))
    assert [w["field"] for w in made["warnings"]] == ["media.0.alt"]  # shown while drafting, blocking later

    assert api.call("POST", f"/posts/{post_id}/submit", creator)[0] == 200
    status, refused = api.call("POST", f"/posts/{post_id}/approve", editor)
    assert (status, refused["error"]["field"]) == (400, "media.0.alt"), refused
    assert api.call("GET", f"/posts/{post_id}", editor)[1]["status"] == "submitted"  # nothing changed

    status, edited = api.call("PATCH", f"/posts/{post_id}", creator, {"media": [{"key": KEY, "alt": ALT}]})
    assert status == 200 and edited["warnings"] == [], edited
    assert api.call("POST", f"/posts/{post_id}/approve", editor)[0] == 200

    status, shown = api.call("GET", f"/posts/{post_id}", editor)
    (item,) = shown["media"]
    assert (item["alt"], item["content_type"]) == (ALT, "image/png")
    assert parse_qs(urlsplit(item["url"]).query)["X-Amz-Expires"] == ["900"]  # 15 minutes
    thumbnail = requests.get(item["url"], timeout=10)
    assert thumbnail.status_code == 200 and thumbnail.content == PNG
    listed = api.call("GET", "/posts?status=approved", editor)[1]["items"]
    assert [m["alt"] for p in listed for m in p["media"]] == [ALT] and listed[0]["media"][0]["url"]

    soon = (datetime.now(UTC) + timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, scheduled = api.call("POST", f"/posts/{post_id}/schedule", editor, {"publish_at": soon})
    assert status == 200, scheduled
    time.sleep(3)  # the message waits for its second (SQS DelaySeconds)
    assert drain_publish_queue(stack) >= 1
    (entry,) = api.call("GET", "/channels/demo-local/outbox", editor)[1]["items"]
    assert (entry["text"], entry["media"]) == ("Boomplantdag!", [{"key": KEY, "alt": ALT}])
    assert api.call("GET", f"/posts/{post_id}", editor)[1]["status"] == "published"


def test_media_that_is_not_in_the_library_is_refused_naming_the_item(stack: Stack, api: Api) -> None:
    creator = stack.user("creator")
    status, refused = api.call("POST", "/posts", creator, {"text": "Hallo", "media": [
        {"key": "content/ffffffffffffffffffffffffffffffff/weg.jpg", "alt": "Een foto die er niet is"}]})
    assert (status, refused["error"]["field"]) == (400, "media.0.key"), refused
    status, refused = api.call("POST", "/posts", creator, {"text": "Hallo", "media": [{"key": KEY, "alt": "x" * 5001}]})
    assert (status, refused["error"]["field"]) == (400, "media.0.alt"), refused
    assert api.call("GET", "/posts?status=draft", creator)[1]["items"] == []
