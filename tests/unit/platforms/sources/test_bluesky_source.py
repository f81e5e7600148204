"""BlueskyFetcher: searchPosts (anonymous on the public AppView, or signed in through the PDS) and mention
notifications; the time watermark, `since`, cursors, the cap, one session across polls, rate limits."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chorus.platforms.base import BadSetting, Credentials, CredentialsRejected, RateLimited, SourceSpec, TimeMark
from chorus.platforms.bluesky import BlueskyFetcher
from chorus.platforms.transport import Response
from tests.unit.platforms.fakes import FakeTransport, Sent, json_response

NOW = 1_785_585_600.0  # 2026-08-01T12:00:00Z
ACCOUNT = Credentials({"handle": "chorus.example.com", "app_password": "app-pass"})
SESSION = {"accessJwt": "eyJ.access", "refreshJwt": "eyJ.refresh", "handle": "chorus.example.com",
           "did": "did:plc:chorus"}
BASE = datetime(2026, 8, 1, 10, tzinfo=UTC)


def at(seconds: int) -> str:
    return (BASE + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def post(number: int, created: int | None = None, **record: Any) -> dict[str, Any]:
    return {
        "uri": f"at://did:plc:fan/app.bsky.feed.post/3k{number:011d}", "cid": "bafyreib2rxk3rh6kzwq",
        "author": {"did": "did:plc:fan", "handle": "fan.bsky.social", "displayName": "Fan"},
        "record": {"$type": "app.bsky.feed.post", "text": f"Chorus {number}",
                   "createdAt": at(number if created is None else created),
                   "langs": ["nl-NL"], **record},
        "replyCount": 1, "repostCount": 2, "quoteCount": 1, "likeCount": 4, "indexedAt": at(number),
    }


def notification(number: int, reason: str = "mention") -> dict[str, Any]:
    view = post(number)
    return {"uri": view["uri"], "cid": view["cid"], "author": view["author"], "reason": reason,
            "record": view["record"],
            "isRead": False, "indexedAt": view["indexedAt"]}


def seen(number: int) -> dict[str, str]:
    """The watermark after a poll whose newest item was post `number`."""
    return TimeMark().advanced([(BASE + timedelta(seconds=number), post(number)["uri"])]).written()


def search(query: str = "chorus", **settings: str) -> SourceSpec:
    return SourceSpec("b1", "bluesky", {"mode": "search", "query": query, **settings})


NOTIFICATIONS = SourceSpec("b2", "bluesky", {"mode": "notifications"})


def xrpc(nsid: str, body: Any, check: Callable[[Sent], object] | None = None, status: int = 200,
         headers: dict[str, str] | None = None) -> Callable[[Sent], Response]:
    def answer(sent: Sent) -> Response:
        assert sent.path == f"/xrpc/{nsid}"
        if check:
            check(sent)
        return json_response(status, body, headers)
    return answer


def signed_in(sent: Sent) -> Response:
    assert sent.url == "https://bsky.social/xrpc/com.atproto.server.createSession"
    assert sent.json == {"identifier": "chorus.example.com", "password": "app-pass"}
    return json_response(200, SESSION)


def test_an_anonymous_search_asks_the_public_appview_for_one_page_of_the_latest_posts() -> None:
    def check(sent: Sent) -> None:
        assert sent.url.startswith("https://public.api.bsky.app/xrpc/")
        assert sent.query == {"q": ["chorus"], "sort": ["latest"], "limit": ["100"]}
        assert sent.header("Authorization") is None

    fake = FakeTransport(xrpc("app.bsky.feed.searchPosts", {"posts": [post(2), post(1)], "cursor": "2"}, check))
    result = BlueskyFetcher(fake).fetch(search(), {}, None, NOW)

    assert [m.platform_id for m in result.mentions] == [post(1)["uri"], post(2)["uri"]]
    first = result.mentions[0]
    assert (first.text, first.language_hint, first.created_at) == ("Chorus 1", "nl", BASE + timedelta(seconds=1))
    assert (first.author.handle, first.author.name, first.author.followers) == ("fan.bsky.social", "Fan", None)
    assert first.url == "https://bsky.app/profile/fan.bsky.social/post/3k00000000001"
    assert (first.engagement.replies, first.engagement.reposts, first.engagement.likes) == (1, 3, 4)
    assert result.watermark["newest"] == at(2) and result.requests == 1 and not result.capped


def test_the_next_search_asks_since_the_newest_time_and_skips_what_it_saw_at_that_time() -> None:
    watermark = BlueskyFetcher(FakeTransport(xrpc("app.bsky.feed.searchPosts", {"posts": [post(2), post(1)]}))).fetch(
        search(), {}, None, NOW).watermark
    since_is_inclusive = {"posts": [post(3), post(2)]}
    fake = FakeTransport(xrpc("app.bsky.feed.searchPosts", since_is_inclusive,
                              lambda sent: sent.query["since"] == [at(2)] or pytest.fail(str(sent.query))))
    result = BlueskyFetcher(fake).fetch(search(), watermark, None, NOW)
    assert [m.platform_id for m in result.mentions] == [post(3)["uri"]]
    assert result.watermark["newest"] == at(3)


def test_a_backdated_post_sorts_at_its_creation_and_one_dated_in_the_future_at_its_indexing() -> None:
    fake = FakeTransport(xrpc("app.bsky.feed.searchPosts",
                              {"posts": [post(5, created=-3600), post(4, created=99_999)]}))
    mentions = {m.platform_id: m.created_at for m in BlueskyFetcher(fake).fetch(search(), {}, None, NOW).mentions}
    assert mentions == {post(5)["uri"]: BASE - timedelta(hours=1), post(4)["uri"]: BASE + timedelta(seconds=4)}


def test_a_signed_in_search_goes_through_the_pds_and_follows_cursors_while_all_is_new() -> None:
    def authorised(sent: Sent) -> None:
        assert sent.url.startswith("https://bsky.social/xrpc/") and sent.header("Authorization") == "Bearer eyJ.access"

    fake = FakeTransport(
        signed_in,
        xrpc("app.bsky.feed.searchPosts", {"posts": [post(20), post(19)], "cursor": "c1"}, authorised),
        xrpc("app.bsky.feed.searchPosts", {"posts": [post(18), post(10)], "cursor": "c2"},
             lambda sent: sent.query["cursor"] == ["c1"] or pytest.fail("no cursor")),
    )
    result = BlueskyFetcher(fake).fetch(search(), seen(10), ACCOUNT, NOW)
    assert [m.platform_id for m in result.mentions] == [post(n)["uri"] for n in (18, 19, 20)]
    assert result.requests == 3 and not result.capped


def test_a_signed_in_source_can_name_its_own_pds() -> None:
    def own_pds(sent: Sent) -> Response:
        assert sent.url == "https://pds.example/xrpc/com.atproto.server.createSession"
        return json_response(200, SESSION)

    def to_own_pds(sent: Sent) -> object:
        return sent.url.startswith("https://pds.example/") or pytest.fail(sent.url)

    fake = FakeTransport(own_pds, xrpc("app.bsky.notification.listNotifications", {"notifications": []}, to_own_pds))
    spec = SourceSpec("b2", "bluesky", {"mode": "notifications", "service_url": "https://pds.example/"})
    assert BlueskyFetcher(fake).fetch(spec, {}, ACCOUNT, NOW).mentions == []


def test_the_session_is_made_once_for_many_polls() -> None:
    fake = FakeTransport(signed_in, xrpc("app.bsky.feed.searchPosts", {"posts": []}),
                         xrpc("app.bsky.feed.searchPosts", {"posts": []}))
    fetcher = BlueskyFetcher(fake)
    assert fetcher.fetch(search(), {}, ACCOUNT, NOW).requests == 2
    assert fetcher.fetch(search(), {}, ACCOUNT, NOW).requests == 1
    fake.assert_done()


def test_an_expired_session_is_refreshed_once() -> None:
    expired = xrpc("app.bsky.feed.searchPosts", {"error": "ExpiredToken", "message": "Token has expired"}, status=400)

    def refreshed(sent: Sent) -> Response:
        assert sent.path == "/xrpc/com.atproto.server.refreshSession"
        assert sent.header("Authorization") == "Bearer eyJ.refresh"
        return json_response(200, {**SESSION, "accessJwt": "eyJ.access2"})

    def with_new_token(sent: Sent) -> object:
        return sent.header("Authorization") == "Bearer eyJ.access2" or pytest.fail("old token")

    fake = FakeTransport(signed_in, expired, refreshed,
                         xrpc("app.bsky.feed.searchPosts", {"posts": [post(1)]}, with_new_token))
    assert len(BlueskyFetcher(fake).fetch(search(), {}, ACCOUNT, NOW).mentions) == 1


def test_a_burst_beyond_the_page_cap_is_reported() -> None:
    pages = [xrpc("app.bsky.feed.searchPosts", {"posts": [post(100 - page)], "cursor": f"c{page}"})
             for page in range(5)]
    result = BlueskyFetcher(FakeTransport(signed_in, *pages)).fetch(search(), seen(1), ACCOUNT, NOW)
    assert result.capped and result.requests == 6 and len(result.mentions) == 5


def test_an_anonymous_search_cannot_follow_cursors_and_says_it_was_capped() -> None:
    fake = FakeTransport(xrpc("app.bsky.feed.searchPosts", {"posts": [post(9)], "cursor": "c"}))
    result = BlueskyFetcher(fake).fetch(search(), seen(1), None, NOW)
    assert result.capped and result.requests == 1


def test_an_anonymous_search_bluesky_refuses_asks_for_credentials() -> None:
    fake = FakeTransport(Response(403, {"content-type": "text/html"}, b"<html>403 Forbidden</html>"))
    with pytest.raises(CredentialsRejected, match="app password"):
        BlueskyFetcher(fake).fetch(search(), {}, None, NOW)


def test_notifications_ask_for_mentions_replies_and_quotes_and_keep_only_those() -> None:
    def check(sent: Sent) -> None:
        assert sent.query == {"reasons": ["mention", "reply", "quote"], "limit": ["100"]}

    reply = notification(3, "reply")
    reply["record"]["reply"] = {"root": {"uri": "at://did:plc:chorus/app.bsky.feed.post/root", "cid": "bafyreiroot"},
                                "parent": {"uri": "at://did:plc:chorus/app.bsky.feed.post/parent",
                                           "cid": "bafyreiparent"}}
    body = {"notifications": [notification(4, "like"), reply, notification(2, "quote"), notification(1)]}
    fake = FakeTransport(signed_in, xrpc("app.bsky.notification.listNotifications", body, check))
    result = BlueskyFetcher(fake).fetch(NOTIFICATIONS, {}, ACCOUNT, NOW)
    assert [m.platform_id for m in result.mentions] == [notification(n)["uri"] for n in (1, 2, 3)]
    assert result.mentions[-1].in_reply_to == "at://did:plc:chorus/app.bsky.feed.post/parent"
    assert result.mentions[-1].thread_root == "at://did:plc:chorus/app.bsky.feed.post/root"
    assert result.watermark["newest"] == at(3)  # the like is not ours to track


def test_notifications_stop_paging_at_the_first_one_already_seen() -> None:
    fake = FakeTransport(signed_in, xrpc("app.bsky.notification.listNotifications",
                                         {"notifications": [notification(6), notification(5)], "cursor": "more"}))
    result = BlueskyFetcher(fake).fetch(NOTIFICATIONS, seen(5), ACCOUNT, NOW)
    assert [m.platform_id for m in result.mentions] == [notification(6)["uri"]]
    assert result.requests == 2 and not result.capped


def test_notifications_need_an_account() -> None:
    fake = FakeTransport()
    with pytest.raises(CredentialsRejected, match="handle"):
        BlueskyFetcher(fake).fetch(NOTIFICATIONS, {}, None, NOW)
    assert fake.sent == []


def test_a_rate_limit_counts_from_the_poll_time() -> None:
    limited = xrpc("app.bsky.feed.searchPosts", {"error": "RateLimitExceeded"}, status=429,
                   headers={"ratelimit-reset": str(int(NOW) + 90)})
    with pytest.raises(RateLimited) as raised:
        BlueskyFetcher(FakeTransport(signed_in, limited)).fetch(search(), {}, ACCOUNT, NOW)
    assert raised.value.retry_after == 90


@pytest.mark.parametrize("settings, setting", [
    ({}, "mode"), ({"mode": "feed"}, "mode"), ({"mode": "search"}, "query"),
    ({"mode": "search", "query": "  "}, "query"),
    ({"mode": "notifications", "service_url": "pds.example"}, "service_url"),
])
def test_bad_settings_are_named_before_any_request(settings: dict[str, str], setting: str) -> None:
    fake = FakeTransport()
    with pytest.raises(BadSetting, match=f"'{setting}'"):
        BlueskyFetcher(fake).fetch(SourceSpec("b1", "bluesky", settings), {}, ACCOUNT, NOW)
    assert fake.sent == []
