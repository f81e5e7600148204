"""MastodonConnector against exchanges recorded from a real Mastodon server (Mastodon.py cassettes) and the
documentation's entity examples."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import pytest

from chorus.platforms.base import CredentialsRejected, PublishRequest, RateLimited, TransientFailure
from chorus.platforms.mastodon import MastodonConnector, html_to_text
from chorus.platforms.transport import Response
from tests.contract.recorded import load, platform_dir, replay, response_of
from tests.unit.platforms.fakes import Clock, FakeTransport, Reply, Sent, json_response

FOLDER = platform_dir("mastodon")
BASE_URL = "http://localhost:3000"  # where the cassettes were recorded
TOKEN = "__MASTODON_PY_TEST_ACCESS_TOKEN"  # the suite's placeholder, not a credential


def exchange(name: str) -> dict[str, Any]:
    return load(FOLDER, f"{name}.exchange.json")


def connector(*replies: Reply, clock: Clock | None = None) -> tuple[MastodonConnector, FakeTransport]:
    fake = FakeTransport(*replies)
    return MastodonConnector(BASE_URL, TOKEN, transport=fake, clock=clock), fake


@pytest.mark.parametrize("name", ["post_status", "post_status_with_mention"])
def test_publish_sends_the_recorded_request_and_reads_the_status(name: str) -> None:
    recorded = exchange(name)
    text = parse_qs(recorded["request"]["body"])["status"][0]
    mastodon, fake = connector(replay(recorded))
    published = mastodon.publish(PublishRequest(text, idempotency_key="post-1.mastodon.20260801T135356Z"))
    status = recorded["response"]["body"]
    assert (published.platform_id, published.url) == (status["id"], status["url"])
    assert fake.sent[0].header("Idempotency-Key") == "post-1.mastodon.20260801T135356Z"  # the cassettes never sent one
    assert fake.sent[0].form()["visibility"] == ["public"]
    fake.assert_done()


def test_verify_credentials_returns_the_acct() -> None:
    mastodon, _ = connector(replay(exchange("account_verify_credentials")))
    assert mastodon.verify_credentials() == "@mastodonpy_test"


def test_recent_posts_reads_the_accounts_statuses_as_plain_text() -> None:
    verify = exchange("account_verify_credentials")
    account_id = verify["response"]["body"]["id"]
    # No statuses-list exchange was recorded: answer with the recorded Status entities, in the recorded headers.
    statuses = [
        exchange("post_status")["response"]["body"],
        exchange("post_status_with_mention")["response"]["body"],
        load(FOLDER, "status_entity.docs-example.json"),
    ]

    def statuses_page(sent: Sent) -> Response:
        assert sent.method == "GET" and sent.path == f"/api/v1/accounts/{account_id}/statuses"
        assert sent.query == {"limit": ["3"], "exclude_replies": ["false"], "exclude_reblogs": ["true"]}
        limits = {k: v for k, v in verify["response"]["headers"].items() if k.startswith("x-ratelimit")}
        return json_response(200, statuses, limits)

    mastodon, fake = connector(replay(verify), statuses_page)
    recent = mastodon.recent_posts(limit=3)
    assert [post.text for post in recent] == [
        "Toot!",
        "@mastodonpy_test hello!",
        '"I lost my inheritance with one wrong digit on my sort code"\n\n'
        "https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code",
    ]
    assert [post.platform_id for post in recent] == [s["id"] for s in statuses]
    assert recent[0].url == "http://localhost:3000/@mastodonpy_test/117020585924712638"
    assert recent[0].created_at == "2026-08-01T13:53:56.596Z"
    fake.assert_done()


def test_every_recorded_status_content_becomes_tag_free_text() -> None:
    contents = [exchange(n)["response"]["body"]["content"] for n in ("post_status", "post_status_with_mention")]
    contents += [item["status"]["content"] for item in exchange("notifications_type_mention")["response"]["body"]]
    contents += [status["content"] for status in exchange("search_v2")["response"]["body"]["statuses"]]
    for content in contents:
        text = html_to_text(content)
        assert text and "<" not in text and "&amp;" not in text


def test_delete_is_a_delete_of_the_status() -> None:
    status = exchange("post_status")["response"]["body"]
    mastodon, fake = connector(json_response(200, status))
    mastodon.delete(status["id"])
    assert (fake.sent[0].method, fake.sent[0].path) == ("DELETE", f"/api/v1/statuses/{status['id']}")


def test_a_429_waits_until_the_recorded_iso_reset() -> None:
    recorded = exchange("post_status")
    reset = recorded["response"]["headers"]["x-ratelimit-reset"]  # "2026-08-01T15:00:00.627625Z"
    clock = Clock(datetime(2026, 8, 1, 14, 55, tzinfo=UTC).timestamp())
    mastodon, _ = connector(replay(recorded, status=429), clock=clock)
    with pytest.raises(RateLimited) as raised:
        mastodon.publish(PublishRequest("Toot!", "k"))
    assert raised.value.retry_after == pytest.approx(datetime.fromisoformat(reset).timestamp() - clock.now)
    assert raised.value.retry_after == pytest.approx(300.627625)


def test_a_429_on_a_read_uses_the_reads_own_reset() -> None:
    clock = Clock(datetime(2026, 8, 1, 13, 45, tzinfo=UTC).timestamp())
    mastodon, _ = connector(replay(exchange("account_verify_credentials"), status=429), clock=clock)
    with pytest.raises(RateLimited) as raised:
        mastodon.verify_credentials()
    assert raised.value.retry_after == pytest.approx(300.037659)  # reset 2026-08-01T13:50:00.037659Z


def test_the_documented_oauth_error_is_credentials_rejected_with_its_description() -> None:
    error = load(FOLDER, "error_entity.docs-example.json")
    mastodon, _ = connector(json_response(401, error))
    documented = "invalid_grant: The provided authorization grant is invalid"
    with pytest.raises(CredentialsRejected, match=documented) as raised:
        mastodon.verify_credentials()
    assert TOKEN not in str(raised.value)


def test_a_503_from_the_instance_is_transient() -> None:
    mastodon, _ = connector(Response(503, {}, b"<html>maintenance</html>"))
    with pytest.raises(TransientFailure):
        mastodon.publish(PublishRequest("Toot!", "k"))


def test_recorded_rate_limit_headers_are_iso_8601() -> None:
    for path in FOLDER.glob("*.exchange.json"):
        reset = load(FOLDER, path.name)["response"]["headers"]["x-ratelimit-reset"]
        assert datetime.fromisoformat(reset).tzinfo is not None, path.name
    assert response_of(exchange("post_status")).headers["X-RateLimit-Limit"] == "300"
