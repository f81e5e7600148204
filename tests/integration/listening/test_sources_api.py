"""/sources over the REST API on moto: who may do what, validation before anything is stored, and an edit that
never touches the fetch state fetch_mentions wrote (or starts it afresh when what is fetched changes)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chorus import container
from chorus.local.demo_feed import FeedServer
from chorus.local.scheduler import LambdaContext
from tests.integration.conftest import Api, Stack

FEED = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><id>tag:test,2026:alerts</id><title>Alert</title>
<entry><id>tag:test,2026:1</id><title>Storing bij de gemeente</title><link href="https://news.example.nl/1"/>
<published>2026-11-20T08:00:00Z</published>\
<content type="html">Al twee dagen kan ik niet inloggen bij de gemeente.</content></entry>
</feed>"""
ALERT: dict[str, Any] = {"kind": "rss", "name": "Google Alert: gemeente", "facet": "brand", "language": "nl",
         "settings": {"url": "https://93.184.215.14/alerts/feeds/1/2"}}  # a public address: no DNS lookup in tests


def stored_watermark(source_id: str) -> dict[str, str]:
    stored = container.sources().store.get(source_id)
    assert stored is not None, source_id
    return stored.watermark


@pytest.fixture
def tokens(stack: Stack) -> dict[str, str]:
    return {role: stack.user(role) for role in ("care", "editor", "viewer", "publisher", "creator")}


@pytest.fixture
def feed(monkeypatch: pytest.MonkeyPatch, stack: Stack) -> Iterator[FeedServer]:
    monkeypatch.setenv("CHORUS_SOURCES_ALLOW_LOOPBACK", "true")  # the feed is on 127.0.0.1, as in make run
    container.reset()
    server = FeedServer()
    server.publish("/feed.xml", FEED, modified_at=1_700_000_000)
    yield server.start()
    server.stop()


def test_add_list_show_replace_and_remove_a_source(api: Api, tokens: dict[str, str]) -> None:
    status, created = api.call("POST", "/sources", tokens["care"], {**ALERT, "id": "alerts-gemeente"})
    assert status == 201, created
    assert (created["id"], created["poll_minutes"], created["enabled"], created["created_by"].startswith("care")) == (
        "alerts-gemeente", 15, True, True)
    assert created["fetch"]["next_poll_at"] and created["fetch"]["last_fetched_at"] is None
    assert set(created["fetch"]) >= {"last_fetched_at", "last_error", "consecutive_failures", "next_poll_at",
                                     "items_last_run", "capped"}

    status, listed = api.call("GET", "/sources", tokens["viewer"])
    assert status == 200 and [s["id"] for s in listed["items"]] == ["alerts-gemeente"]
    status, shown = api.call("GET", "/sources/alerts-gemeente", tokens["viewer"])
    assert status == 200 and shown == created

    status, replaced = api.call("PUT", "/sources/alerts-gemeente", tokens["editor"],
                                {**ALERT, "name": "Alert (company)", "facet": "company", "poll_minutes": 30})
    assert status == 200, replaced
    assert (replaced["name"], replaced["facet"], replaced["poll_minutes"]) == ("Alert (company)", "company", 30)

    status, paused = api.call("PUT", "/sources/alerts-gemeente", tokens["editor"], {**ALERT, "enabled": False})
    assert status == 200 and paused["fetch"]["next_poll_at"] is None

    assert api.call("DELETE", "/sources/alerts-gemeente", tokens["care"])[0] == 204
    assert api.call("GET", "/sources/alerts-gemeente", tokens["viewer"])[0] == 404
    assert api.call("DELETE", "/sources/alerts-gemeente", tokens["care"])[0] == 404


def test_an_edit_on_an_outdated_version_is_a_412_and_changes_nothing(api: Api, tokens: dict[str, str]) -> None:
    assert api.call("POST", "/sources", tokens["care"], {**ALERT, "id": "feed-a"})[0] == 201
    etag = api.client.http.get("/sources/feed-a", headers={"Authorization": f"Bearer {tokens['care']}"}).headers["ETag"]
    first = api.call("PUT", "/sources/feed-a", tokens["care"], {**ALERT, "poll_minutes": 30}, {"If-Match": etag})
    second = api.call("PUT", "/sources/feed-a", tokens["editor"], {**ALERT, "name": "B's"}, {"If-Match": etag})
    assert (first[0], second[0]) == (200, 412), second
    assert second[1]["error"]["details"]["current_version"] == first[1]["version"] == int(etag.strip('"')) + 1
    shown = api.call("GET", "/sources/feed-a", tokens["viewer"])[1]
    assert (shown["poll_minutes"], shown["name"]) == (30, ALERT["name"])
    assert api.call("PUT", "/sources/feed-a", tokens["care"], {**ALERT, "poll_minutes": 60},
                    {"If-Match": "yesterday"})[0] == 400


def test_readers_and_writers(api: Api, tokens: dict[str, str]) -> None:
    assert api.call("POST", "/sources", tokens["viewer"], ALERT)[0] == 403
    assert api.call("POST", "/sources", tokens["creator"], ALERT)[0] == 403
    assert api.call("GET", "/sources", tokens["publisher"])[0] == 403
    assert api.call("GET", "/sources")[0] == 401
    assert api.call("POST", "/sources", tokens["editor"], ALERT)[0] == 201


@pytest.mark.parametrize("body, field", [
    ({k: v for k, v in ALERT.items() if k != "facet"}, "facet"),
    ({**ALERT, "kind": "myspace"}, "kind"),
    ({**ALERT, "facet": "weather"}, "facet"),
    ({**ALERT, "poll_minutes": 2}, "poll_minutes"),
    ({**ALERT, "settings": {}}, "settings.url"),
    ({**ALERT, "settings": {"url": "file:///etc/passwd"}}, "settings.url"),
    ({**ALERT, "settings": {"url": "http://127.0.0.1:9000/feed"}}, "settings.url"),
    ({**ALERT, "settings": {"url": "http://169.254.169.254/latest/meta-data/"}}, "settings.url"),
    ({**ALERT, "settings": {"url": "http://[::ffff:10.0.0.1]/feed"}}, "settings.url"),
    ({**ALERT, "settings": {**ALERT["settings"], "password": "hunter2"}}, "settings.password"),
    ({**ALERT, "secret": "alerts"}, "secret"),
    ({**ALERT, "kind": "x", "settings": {"mode": "search", "query": "q"}}, "secret"),
    ({**ALERT, "kind": "x", "settings": {"mode": "mentions", "user_id": "@me"}, "secret": "x-app"}, "settings.user_id"),
    ({**ALERT, "kind": "mastodon", "settings": {"instance_url": "https://93.184.215.14", "mode": "boost"}},
     "settings.mode"),
    ({**ALERT, "id": "Has Spaces"}, "id"),
    ({**ALERT, "token": "abc"}, "token"),
])
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(api: Api, tokens: dict[str, str], body: dict[str, Any],
                                                                  field: str) -> None:
    status, answer = api.call("POST", "/sources", tokens["care"], body)
    assert status == 400, answer
    assert answer["error"]["field"] == field, answer
    assert api.call("GET", "/sources", tokens["viewer"])[1]["items"] == []


def test_a_repeated_id_is_a_409_and_an_unknown_one_a_404(api: Api, tokens: dict[str, str]) -> None:
    assert api.call("POST", "/sources", tokens["care"], {**ALERT, "id": "a"})[0] == 201
    status, answer = api.call("POST", "/sources", tokens["care"], {**ALERT, "id": "a"})
    assert status == 409 and answer["error"]["code"] == "conflict"
    assert api.call("PUT", "/sources/nope", tokens["care"], ALERT)[0] == 404
    assert api.call("PUT", "/sources/a", tokens["care"], {**ALERT, "id": "b"})[0] == 400  # the id is the path's


def test_an_edit_keeps_the_watermark_unless_what_is_fetched_changes(api: Api, tokens: dict[str, str],
                                                                     feed: FeedServer) -> None:
    from functions.fetch_mentions.handler import handler

    status, created = api.call("POST", "/sources", tokens["care"],
                               {**ALERT, "id": "feed", "settings": {"url": feed.url("/feed.xml")}})
    assert status == 201, created
    assert handler({}, LambdaContext("FetchMentionsFunction"))["mentions_queued"] == 1
    fetched = api.call("GET", "/sources/feed", tokens["viewer"])[1]["fetch"]
    assert fetched["items_last_run"] == 1 and fetched["last_success_at"] and fetched["last_error"] is None
    watermark = stored_watermark("feed")
    assert watermark["etag"] and watermark["last_modified"]

    status, renamed = api.call("PUT", "/sources/feed", tokens["care"],
                               {**ALERT, "name": "Renamed", "settings": {"url": feed.url("/feed.xml")}})
    assert status == 200 and renamed["fetch"] == fetched
    assert stored_watermark("feed") == watermark

    feed.publish("/other.xml", FEED, modified_at=1_700_000_000)
    status, moved = api.call("PUT", "/sources/feed", tokens["care"],
                             {**ALERT, "settings": {"url": feed.url("/other.xml")}})
    assert status == 200 and moved["fetch"]["items_last_run"] == 0 and moved["fetch"]["last_success_at"] is None
    assert moved["fetch"]["next_poll_at"] == moved["updated_at"]  # another feed: polled at the next run
    assert stored_watermark("feed") == {}


def test_the_openapi_description_lists_the_sources_routes(api: Api) -> None:
    spec = api.call("GET", "/openapi.json")[1]
    assert set(spec["paths"]["/sources"]) == {"get", "post"}
    assert set(spec["paths"]["/sources/{id}"]) == {"get", "put", "delete"}
