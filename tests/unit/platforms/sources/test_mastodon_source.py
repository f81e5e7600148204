"""MastodonFetcher: mention notifications, hashtag timelines and search; min_id paging forward, the page cap,
rate limits and bad settings."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chorus.platforms.base import BadSetting, Credentials, CredentialsRejected, RateLimited, SourceSpec
from chorus.platforms.mastodon import MastodonFetcher
from tests.unit.platforms.fakes import FakeTransport, json_response

NOW = 1_785_585_600.0  # 2026-08-01T12:00:00Z
TOKEN = Credentials({"access_token": "tok"})


def spec(mode: str, **settings: str) -> SourceSpec:
    return SourceSpec("m1", "mastodon", {"instance_url": "https://social.example/", "mode": mode, **settings})


def status(number: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": str(number), "created_at": (datetime(2026, 8, 1, 10) + timedelta(seconds=number)).isoformat() + ".000Z",
        "language": "nl",
        "content": f"<p>Hallo <span class=\"h-card\"><a href=\"https://social.example/@chorus\">"
                   f"@<span>chorus</span></a></span> {number}</p>",
        "url": f"https://social.example/@fan/{number}", "uri": f"https://social.example/users/fan/statuses/{number}",
        "replies_count": 1, "reblogs_count": 2, "quotes_count": 1, "favourites_count": 3, "in_reply_to_id": None,
        "spoiler_text": "",
        "account": {"id": "9", "acct": "fan", "display_name": "Fan", "followers_count": 42,
                    "url": "https://social.example/@fan"},
        **extra,
    }


def mention(number: int, status_number: int | None = None) -> dict[str, Any]:
    return {"id": str(number), "type": "mention", "created_at": "2026-08-01T10:00:00.000Z",
            "status": status(status_number or number)}


def fetch(fake: FakeTransport, source: SourceSpec, watermark: dict[str, str] | None = None,
          credentials: Credentials | None = TOKEN):
    return MastodonFetcher(fake).fetch(source, watermark or {}, credentials, NOW)


def test_the_first_poll_reads_the_newest_page_of_mentions() -> None:
    fake = FakeTransport(json_response(200, [mention(11, 7), mention(10, 5)]))
    result = fetch(fake, spec("notifications"))

    (sent,) = fake.sent
    assert (sent.path, sent.query) == ("/api/v1/notifications", {"types[]": ["mention"], "limit": ["40"]})
    assert sent.header("Authorization") == "Bearer tok"
    assert [m.platform_id for m in result.mentions] == ["5", "7"]
    first = result.mentions[0]
    assert first.text == "Hallo @chorus 5"
    assert (first.author.handle, first.author.name, first.author.followers) == ("@fan@social.example", "Fan", 42)
    assert (first.engagement.replies, first.engagement.reposts, first.engagement.likes) == (1, 3, 3)
    assert first.created_at == datetime(2026, 8, 1, 10, 0, 5, tzinfo=UTC)
    assert (first.url, first.language_hint, first.source_id) == ("https://social.example/@fan/5", "nl", "m1")
    assert result.watermark == {"last_id": "11"} and result.requests == 1 and not result.capped


def test_later_polls_page_forward_from_the_watermark_until_a_short_page() -> None:
    full_page = [mention(n) for n in range(140, 100, -1)]  # 40, newest first, as Mastodon orders a page
    fake = FakeTransport(json_response(200, full_page), json_response(200, [mention(141)]))
    result = fetch(fake, spec("notifications"), {"last_id": "100"})

    assert [s.query.get("min_id") for s in fake.sent] == [["100"], ["140"]]
    assert len(result.mentions) == 41 and result.mentions[-1].platform_id == "141"
    assert result.watermark == {"last_id": "141"} and result.requests == 2


def test_a_backlog_beyond_the_page_cap_is_left_for_the_next_poll_and_reported() -> None:
    pages = [json_response(200, [mention(n) for n in range(start + 40, start, -1)]) for start in range(100, 300, 40)]
    result = fetch(FakeTransport(*pages), spec("notifications"), {"last_id": "100"})
    assert result.capped and result.requests == 5
    assert result.watermark == {"last_id": "300"}  # the next poll resumes after what was read: nothing skipped


def test_what_a_server_returns_despite_min_id_and_other_notification_types_are_dropped() -> None:
    follow = {"id": "13", "type": "follow", "account": {"acct": "x"}}
    result = fetch(FakeTransport(json_response(200, [follow, mention(12), mention(9), mention(3)])),
                   spec("notifications"), {"last_id": "9"})
    assert [m.platform_id for m in result.mentions] == ["12"]
    assert result.watermark == {"last_id": "12"}


def test_ids_compare_as_numbers_across_lengths() -> None:
    result = fetch(FakeTransport(json_response(200, [mention(100), mention(99)])), spec("notifications"),
                   {"last_id": "98"})
    assert result.watermark == {"last_id": "100"}


def test_nothing_new_leaves_the_watermark_as_it_was() -> None:
    result = fetch(FakeTransport(json_response(200, [])), spec("notifications"), {"last_id": "9"})
    assert result.mentions == [] and result.watermark == {"last_id": "9"}


def test_a_content_warning_and_a_reply_are_kept() -> None:
    reply = status(4, spoiler_text="Klacht", in_reply_to_id="2", account={"acct": "boos@elders.example"})
    (found,) = fetch(FakeTransport(json_response(200, [reply])), spec("hashtag", tag="#Chorus"),
                     credentials=None).mentions
    assert found.text == "Klacht\n\nHallo @chorus 4"
    assert (found.in_reply_to, found.author.handle, found.author.followers) == ("2", "@boos@elders.example", None)


def test_a_hashtag_timeline_needs_no_token_and_drops_the_hash() -> None:
    fake = FakeTransport(json_response(200, [status(2), status(1)]))
    result = fetch(fake, spec("hashtag", tag="#open dag"), credentials=None)
    assert fake.sent[0].path == "/api/v1/timelines/tag/open%20dag"
    assert fake.sent[0].header("Authorization") is None
    assert result.watermark == {"last_id": "2"}


def test_search_asks_for_statuses_without_resolving_and_pages_by_offset() -> None:
    fake = FakeTransport(json_response(200,
                                       {"accounts": [], "statuses": [status(n) for n in range(80, 40, -1)],
                                        "hashtags": []}),
                         json_response(200, {"accounts": [], "statuses": [], "hashtags": []}))
    result = fetch(fake, spec("search", query="gemeente chorus"), {"last_id": "40"})
    assert fake.sent[0].path == "/api/v2/search"
    assert fake.sent[0].query == {"q": ["gemeente chorus"], "type": ["statuses"], "resolve": ["false"], "limit": ["40"],
                                  "min_id": ["40"]}
    assert fake.sent[1].query["offset"] == ["40"] and fake.sent[1].query["min_id"] == ["40"]
    assert len(result.mentions) == 40 and result.watermark == {"last_id": "80"}


def test_a_rate_limit_gives_the_delay_until_the_instance_resets() -> None:
    limited = json_response(429, {"error": "Too many requests"}, {"x-ratelimit-reset": "2026-08-01T12:04:00.000Z"})
    with pytest.raises(RateLimited) as raised:
        fetch(FakeTransport(limited), spec("notifications"))
    assert raised.value.retry_after == 240


@pytest.mark.parametrize("mode, settings", [("notifications", {}), ("search", {"query": "chorus"})])
def test_notifications_and_search_need_a_token(mode: str, settings: dict[str, str]) -> None:
    fake = FakeTransport()
    with pytest.raises(CredentialsRejected, match="access_token"):
        fetch(fake, spec(mode, **settings), credentials=None)
    assert fake.sent == []


@pytest.mark.parametrize("settings, setting", [
    ({"mode": "notifications"}, "instance_url"),
    ({"instance_url": "social.example", "mode": "notifications"}, "instance_url"),
    ({"instance_url": "https://social.example"}, "mode"),
    ({"instance_url": "https://social.example", "mode": "timeline"}, "mode"),
    ({"instance_url": "https://social.example", "mode": "hashtag"}, "tag"),
    ({"instance_url": "https://social.example", "mode": "search", "query": ""}, "query"),
])
def test_bad_settings_are_named_before_any_request(settings: dict[str, str], setting: str) -> None:
    fake = FakeTransport()
    with pytest.raises(BadSetting, match=f"'{setting}'") as raised:
        fetch(fake, SourceSpec("m1", "mastodon", settings))
    assert raised.value.setting == setting and fake.sent == []
