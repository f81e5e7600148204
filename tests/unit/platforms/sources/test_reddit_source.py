"""RedditFetcher: an app-only token cached until it expires, search newest first, the created_utc watermark,
paging with `after`, the cap, limits and bad settings."""
from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from chorus.platforms.base import (
    BadSetting,
    Credentials,
    CredentialsRejected,
    RateLimited,
    SourceSpec,
    TimeMark,
    TransientFailure,
)
from chorus.platforms.reddit import RedditFetcher
from chorus.platforms.transport import Response
from tests.unit.platforms.fakes import FakeTransport, Sent, json_response

NOW = 1_785_585_600.0  # 2026-08-01T12:00:00Z
APP = Credentials({"client_id": "app-id", "client_secret": "app-secret"})
SPEC = SourceSpec("r1", "reddit", {"query": "chorus gemeente"}, language_hint="nl")


def token(sent: Sent, access_token: str = "tok-1", expires_in: int = 3600) -> Response:
    assert (sent.method, sent.url) == ("POST", "https://www.reddit.com/api/v1/access_token")
    assert sent.header("Authorization") == "Basic " + base64.b64encode(b"app-id:app-secret").decode()
    assert sent.form() == {"grant_type": ["client_credentials"]}
    assert sent.header("User-Agent")
    return json_response(200,
                         {"access_token": access_token, "token_type": "bearer", "expires_in": expires_in, "scope": "*"})


def link(number: int, **extra: Any) -> dict[str, Any]:
    return {"kind": "t3", "data": {
        "name": f"t3_{number:05d}", "title": f"Chorus {number}?", "selftext": "", "author": "buurman",
        "permalink": f"/r/thenetherlands/comments/{number:05d}/chorus/", "created_utc": NOW - 3600 + number,
        "num_comments": 3, "score": 7, "num_crossposts": 1, **extra}}


def listing(*children: dict[str, Any], after: str | None = None) -> Response:
    return json_response(200, {"kind": "Listing", "data": {"after": after, "before": None, "children": list(children)}})


def searched(answer: Response | Callable[[Sent], Response], path: str = "/search",
             bearer: str = "tok-1") -> Callable[[Sent], Response]:
    def reply(sent: Sent) -> Response:
        assert sent.url.startswith("https://oauth.reddit.com/") and sent.path == path
        assert sent.header("Authorization") == f"Bearer {bearer}"
        return answer(sent) if callable(answer) else answer
    return reply


def seen(number: int) -> dict[str, str]:
    data = link(number)["data"]
    return TimeMark().advanced([(datetime.fromtimestamp(data["created_utc"], tz=UTC), data["name"])]).written()


def test_the_first_poll_gets_a_token_and_the_newest_page() -> None:
    def check(sent: Sent) -> Response:
        assert sent.query == {"q": ["chorus gemeente"], "sort": ["new"], "type": ["link"], "limit": ["100"],
                              "raw_json": ["1"]}
        return listing(link(2, selftext="Waarom is het loket dicht?"), link(1), after="t3_00001")

    fake = FakeTransport(token, searched(check))
    result = RedditFetcher(fake).fetch(SPEC, {}, APP, NOW)

    assert [m.platform_id for m in result.mentions] == ["t3_00001", "t3_00002"]
    first, second = result.mentions
    assert (first.text, first.title, second.text) == ("Chorus 1?", "Chorus 1?", "Waarom is het loket dicht?")
    assert first.url == "https://www.reddit.com/r/thenetherlands/comments/00001/chorus/"
    assert (first.author.handle, first.author.url) == ("u/buurman", "https://www.reddit.com/user/buurman")
    assert (first.engagement.replies, first.engagement.reposts, first.engagement.likes) == (3, 1, 7)
    assert (first.language_hint, first.source_id, first.created_at.timestamp()) == ("nl", "r1", NOW - 3599)
    assert result.requests == 2 and not result.capped
    assert result.watermark == seen(2)


def test_a_subreddit_search_stays_in_the_subreddit() -> None:
    fake = FakeTransport(token, searched(listing(), path="/r/thenetherlands/search"))
    RedditFetcher(fake).fetch(SourceSpec("r1", "reddit", {"query": "chorus", "subreddit": "r/thenetherlands"}), {}, APP,
                              NOW)
    assert fake.sent[1].query["restrict_sr"] == ["1"]


def test_the_token_is_kept_until_shortly_before_it_expires() -> None:
    fake = FakeTransport(token, searched(listing()), searched(listing()),
                         lambda sent: token(sent, "tok-2"), searched(listing(), bearer="tok-2"))
    fetcher = RedditFetcher(fake)
    assert fetcher.fetch(SPEC, {}, APP, NOW).requests == 2
    assert fetcher.fetch(SPEC, {}, APP, NOW + 3000).requests == 1
    assert fetcher.fetch(SPEC, {}, APP, NOW + 3550).requests == 2  # within a minute of expiry: renewed
    fake.assert_done()


def test_a_revoked_token_is_replaced_once() -> None:
    fake = FakeTransport(token, searched(json_response(401, {"message": "Unauthorized", "error": 401})),
                         lambda sent: token(sent, "tok-2"), searched(listing(link(1)), bearer="tok-2"))
    assert len(RedditFetcher(fake).fetch(SPEC, {}, APP, NOW).mentions) == 1


def test_later_polls_follow_after_while_everything_is_new() -> None:
    def next_page(sent: Sent) -> Response:
        assert sent.query["after"] == ["t3_00008"]
        return listing(link(7), link(5), link(4))

    fake = FakeTransport(token, searched(listing(link(9), link(8), after="t3_00008")), next_page)
    result = RedditFetcher(fake).fetch(SPEC, seen(5), APP, NOW)
    assert [m.platform_id for m in result.mentions] == ["t3_00007", "t3_00008", "t3_00009"]
    assert result.watermark == seen(9) and result.requests == 3


def test_a_burst_beyond_the_page_cap_is_reported() -> None:
    pages = [searched(listing(link(100 - n), after=f"t3_{100 - n:05d}")) for n in range(5)]
    result = RedditFetcher(FakeTransport(token, *pages)).fetch(SPEC, seen(1), APP, NOW)
    assert result.capped and result.requests == 6


def test_nothing_new_keeps_the_watermark() -> None:
    result = RedditFetcher(FakeTransport(token, searched(listing(link(5), link(4))))).fetch(SPEC, seen(5), APP, NOW)
    assert result.mentions == [] and result.watermark == seen(5)


def test_a_rate_limit_waits_the_seconds_reddit_gives() -> None:
    limited = json_response(429, {"message": "Too Many Requests"},
                            {"x-ratelimit-reset": "247", "x-ratelimit-remaining": "0.0"})
    with pytest.raises(RateLimited) as raised:
        RedditFetcher(FakeTransport(token, searched(limited))).fetch(SPEC, {}, APP, NOW)
    assert raised.value.retry_after == 247


def test_a_refused_or_empty_token_answer_asks_for_new_credentials() -> None:
    with pytest.raises(CredentialsRejected):
        RedditFetcher(FakeTransport(json_response(401, {"message": "Unauthorized"}))).fetch(SPEC, {}, APP, NOW)
    with pytest.raises(CredentialsRejected, match="invalid_grant"):
        RedditFetcher(FakeTransport(json_response(200, {"error": "invalid_grant"}))).fetch(SPEC, {}, APP, NOW)


def test_a_lost_token_answer_is_only_transient() -> None:
    with pytest.raises(TransientFailure):
        RedditFetcher(FakeTransport(json_response(502, {}))).fetch(SPEC, {}, APP, NOW)


def test_credentials_are_needed_and_never_shown() -> None:
    fake = FakeTransport()
    with pytest.raises(CredentialsRejected, match="client_secret") as raised:
        RedditFetcher(fake).fetch(SPEC, {}, Credentials({"client_id": "app-id"}), NOW)
    assert "app-id" not in str(raised.value) and fake.sent == []


@pytest.mark.parametrize("settings, setting", [
    ({}, "query"), ({"query": " "}, "query"), ({"query": "chorus", "subreddit": "r/no spaces"}, "subreddit"),
])
def test_bad_settings_are_named_before_any_request(settings: dict[str, str], setting: str) -> None:
    fake = FakeTransport()
    with pytest.raises(BadSetting, match=f"'{setting}'"):
        RedditFetcher(fake).fetch(SourceSpec("r1", "reddit", settings), {}, APP, NOW)
    assert fake.sent == []
