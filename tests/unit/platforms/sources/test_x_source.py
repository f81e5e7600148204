"""XFetcher: recent search and user mentions with since_id, authors from includes.users, paging, the cap, limits."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chorus.platforms.base import BadSetting, Credentials, CredentialsRejected, RateLimited, SourceSpec
from chorus.platforms.x import XFetcher
from tests.unit.platforms.fakes import FakeTransport, Sent, json_response

NOW = 1_785_585_600.0  # 2026-08-01T12:00:00Z


def snowflake(epoch_seconds: float) -> int:
    """An X post id made at that moment."""
    return (int(epoch_seconds * 1000) - 1288834974657) << 22


BASE_ID = snowflake(NOW - 86400)  # posts made a day before the polls
TOKEN = Credentials({"access_token": "tok"})
SEARCH = SourceSpec("x1", "x", {"mode": "search", "query": "chorus -is:retweet"}, language_hint="nl")
MENTIONS = SourceSpec("x2", "x", {"mode": "mentions", "user_id": "2244994945"})


def tweet(number: int, **extra: Any) -> dict[str, Any]:
    return {"id": str(BASE_ID + number), "text": f"@chorus &amp; co {number}", "author_id": "7",
            "created_at": "2026-08-01T10:00:00.000Z", "lang": "en", "conversation_id": str(BASE_ID + number),
            "public_metrics": {"retweet_count": 1, "reply_count": 2, "like_count": 3, "quote_count": 4}, **extra}


def page(*tweets: dict[str, Any], next_token: str | None = None) -> dict[str, Any]:
    meta = {"result_count": len(tweets), **({"next_token": next_token} if next_token else {})}
    users = [{"id": "7", "username": "klant", "name": "Boze Klant", "public_metrics": {"followers_count": 1234}}]
    return {"data": list(tweets), "includes": {"users": users}, "meta": meta}


def test_the_first_search_asks_for_authors_and_metrics_and_reads_one_page() -> None:
    fake = FakeTransport(json_response(200, page(tweet(2), tweet(1), next_token="older")))
    result = XFetcher(fake).fetch(SEARCH, {}, TOKEN, NOW)

    (sent,) = fake.sent
    assert sent.url.startswith("https://api.x.com/2/tweets/search/recent?")
    assert sent.header("Authorization") == "Bearer tok"
    assert sent.query["query"] == ["chorus -is:retweet"] and sent.query["max_results"] == ["100"]
    assert sent.query["expansions"] == ["author_id"]
    assert set(sent.query["user.fields"][0].split(",")) >= {"public_metrics", "username"}
    assert set(sent.query["tweet.fields"][0].split(",")) >= {"created_at", "lang", "public_metrics", "conversation_id",
                                                             "in_reply_to_user_id", "referenced_tweets"}
    assert "since_id" not in sent.query
    assert [m.platform_id for m in result.mentions] == [tweet(1)["id"], tweet(2)["id"]]
    first = result.mentions[0]
    assert first.text == "@chorus & co 1"
    assert (first.author.handle, first.author.name, first.author.followers) == ("@klant", "Boze Klant", 1234)
    assert first.url == f"https://x.com/klant/status/{tweet(1)['id']}"
    assert (first.engagement.replies, first.engagement.reposts, first.engagement.likes) == (2, 5, 3)
    assert (first.language_hint, first.thread_root, first.in_reply_to) == ("en", None, None)
    assert result.watermark == {"since_id": tweet(2)["id"]} and result.requests == 1 and not result.capped


def test_a_reply_knows_its_parent_and_conversation() -> None:
    reply = tweet(5, conversation_id="1700",
                  referenced_tweets=[{"type": "quoted", "id": "1"}, {"type": "replied_to", "id": "1701"}],
                  lang="und")
    (found,) = XFetcher(FakeTransport(json_response(200, page(reply)))).fetch(SEARCH, {}, TOKEN, NOW).mentions
    assert (found.in_reply_to, found.thread_root, found.language_hint) == ("1701", "1700", "nl")


def test_later_polls_ask_since_the_newest_id_and_follow_next_tokens() -> None:
    def second(sent: Sent):
        assert sent.query["next_token"] == ["n1"] and sent.query["since_id"] == [tweet(0)["id"]]
        return json_response(200, page(tweet(1)))

    fake = FakeTransport(json_response(200, page(tweet(3), tweet(2), next_token="n1")), second)
    result = XFetcher(fake).fetch(SEARCH, {"since_id": tweet(0)["id"]}, TOKEN, NOW)
    assert len(result.mentions) == 3 and result.watermark == {"since_id": tweet(3)["id"]} and result.requests == 2


def test_a_search_paused_beyond_the_seven_day_window_starts_afresh_but_repeats_nothing() -> None:
    week_old = str(snowflake(NOW - 8 * 86400))
    fake = FakeTransport(json_response(200, page(tweet(2), next_token="older")))
    result = XFetcher(fake).fetch(SEARCH, {"since_id": week_old}, TOKEN, NOW)
    assert "since_id" not in fake.sent[0].query and result.requests == 1
    assert result.watermark == {"since_id": tweet(2)["id"]}


def test_mentions_page_with_a_pagination_token_and_stop_at_the_cap() -> None:
    pages = [json_response(200, page(tweet(10 - n), next_token=f"p{n}")) for n in range(5)]
    fake = FakeTransport(*pages)
    result = XFetcher(fake).fetch(MENTIONS, {"since_id": tweet(0)["id"]}, TOKEN, NOW)
    assert fake.sent[0].path == "/2/users/2244994945/mentions"
    assert [s.query.get("pagination_token") for s in fake.sent] == [None, ["p0"], ["p1"], ["p2"], ["p3"]]
    assert result.capped and len(result.mentions) == 5


def test_an_empty_answer_keeps_the_watermark() -> None:
    result = XFetcher(FakeTransport(json_response(200, {"meta": {"result_count": 0}}))).fetch(
        SEARCH, {"since_id": "5"}, TOKEN, NOW)
    assert result.mentions == [] and result.watermark == {"since_id": "5"}


def test_a_post_without_created_at_or_author_expansion_is_still_a_mention() -> None:
    bare = {"id": "1578516068309794817", "text": "tweepy"}  # its id says 2022-10-07T22:42:12.752Z
    (found,) = XFetcher(FakeTransport(json_response(200, {"data": [bare]}))).fetch(SEARCH, {}, TOKEN, NOW).mentions
    assert found.created_at == datetime(2022, 10, 7, 22, 42, 12, 752000, tzinfo=UTC)
    assert (found.author.handle, found.author.followers) == ("@unknown", None)
    assert found.url == "https://x.com/i/web/status/1578516068309794817"


def test_a_rate_limit_waits_until_the_epoch_reset() -> None:
    limited = json_response(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": str(int(NOW) + 300)})
    with pytest.raises(RateLimited) as raised:
        XFetcher(FakeTransport(limited)).fetch(SEARCH, {}, TOKEN, NOW)
    assert raised.value.retry_after == 300


def test_a_token_is_needed_and_never_shown() -> None:
    fake = FakeTransport()
    with pytest.raises(CredentialsRejected, match="access_token"):
        XFetcher(fake).fetch(SEARCH, {}, Credentials({"access_token": ""}), NOW)
    assert fake.sent == []


@pytest.mark.parametrize("settings, setting", [
    ({"query": "chorus"}, "mode"), ({"mode": "stream"}, "mode"), ({"mode": "search"}, "query"),
    ({"mode": "mentions"}, "user_id"), ({"mode": "mentions", "user_id": "@chorus"}, "user_id"),
])
def test_bad_settings_are_named_before_any_request(settings: dict[str, str], setting: str) -> None:
    fake = FakeTransport()
    with pytest.raises(BadSetting, match=f"'{setting}'"):
        XFetcher(fake).fetch(SourceSpec("x1", "x", settings), {}, TOKEN, NOW)
    assert fake.sent == []
