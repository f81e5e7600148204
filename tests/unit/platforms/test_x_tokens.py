"""X access tokens live two hours and refresh tokens are single-use: the connector refreshes, writes both back, and
adopts what another instance stored when it lost the race."""
from __future__ import annotations

import base64

import pytest

from chorus.platforms.base import CredentialsRejected, OutcomeUnknown, PublishRequest, SecretStore, TransientFailure
from chorus.platforms.transport import Response
from chorus.platforms.x import XConnector, XTokens
from tests.unit.platforms.fakes import Clock, FakeTransport, Sent, json_response

NOW = 1_800_000_000.0
CREATED = json_response(201, {"data": {"id": "10", "text": "ok"}})


class MemoryStore(SecretStore):
    def __init__(self, values: dict[str, str]) -> None:
        self.values = dict(values)
        self.saved: list[dict[str, str]] = []

    def load(self) -> dict[str, str]:
        return dict(self.values)

    def save(self, values: dict[str, str]) -> None:
        self.values = {**self.values, **values}
        self.saved.append(dict(values))


def tokens(expires_at: float, secret: str | None = None) -> XTokens:
    return XTokens("old-access", "old-refresh", "client-1", secret, expires_at)


def refreshed(sent: Sent) -> Response:
    assert (sent.method, sent.path) == ("POST", "/2/oauth2/token")
    assert sent.header("Content-Type") == "application/x-www-form-urlencoded"
    assert sent.form() == {"grant_type": ["refresh_token"], "refresh_token": ["old-refresh"], "client_id": ["client-1"]}
    return json_response(200, {"token_type": "bearer", "expires_in": 7200, "access_token": "new-access",
                               "refresh_token": "new-refresh", "scope": "tweet.write offline.access"})


def test_a_token_about_to_expire_is_refreshed_first_and_both_tokens_are_stored() -> None:
    fake, store = FakeTransport(refreshed, CREATED), MemoryStore({"access_token": "old-access", "other": "kept"})
    connector = XConnector(tokens(NOW + 30), transport=fake, clock=Clock(NOW), store=store)
    connector.publish(PublishRequest("ok", "k"))
    assert fake.sent[1].header("Authorization") == "Bearer new-access"
    assert store.saved == [{"access_token": "new-access", "refresh_token": "new-refresh", "client_id": "client-1",
                            "expires_at": f"{NOW + 7200:.0f}"}]
    assert store.values["other"] == "kept"


def test_a_fresh_token_is_not_refreshed() -> None:
    fake = FakeTransport(CREATED)
    XConnector(tokens(NOW + 3600), transport=fake, clock=Clock(NOW),
               store=MemoryStore({})).publish(PublishRequest("ok", "k"))
    assert [s.path for s in fake.sent] == ["/2/tweets"]


def test_a_confidential_client_authenticates_the_refresh() -> None:
    fake = FakeTransport(refreshed, CREATED)
    XConnector(tokens(NOW, secret="s3cret"), transport=fake, clock=Clock(NOW),
               store=MemoryStore({})).publish(PublishRequest("ok", "k"))
    assert fake.sent[0].header("Authorization") == "Basic " + base64.b64encode(b"client-1:s3cret").decode()


def test_a_401_refreshes_once_and_sends_the_same_post_again() -> None:
    fake = FakeTransport(json_response(401, {"title": "Unauthorized"}), refreshed, CREATED)
    published = XConnector(tokens(NOW + 3600), transport=fake, clock=Clock(NOW), store=MemoryStore({})).publish(
        PublishRequest("ok", "k"))
    assert published.platform_id == "10"
    assert [s.path for s in fake.sent] == ["/2/tweets", "/2/oauth2/token", "/2/tweets"]
    assert fake.sent[0].json == fake.sent[2].json


def test_a_refresh_token_another_instance_used_first_is_replaced_by_what_it_stored() -> None:
    store = MemoryStore({"access_token": "their-access", "refresh_token": "their-refresh", "client_id": "client-1",
                         "expires_at": f"{NOW + 7000:.0f}"})
    fake = FakeTransport(json_response(400, {"error": "invalid_request", "error_description": "Value passed for the "
                                             "token was invalid."}), CREATED)
    XConnector(tokens(NOW), transport=fake, clock=Clock(NOW), store=store).publish(PublishRequest("ok", "k"))
    assert fake.sent[1].header("Authorization") == "Bearer their-access"
    assert store.saved == []


def test_a_refused_refresh_token_asks_for_a_reconnect() -> None:
    store = MemoryStore({"access_token": "old-access", "refresh_token": "old-refresh", "client_id": "client-1"})
    fake = FakeTransport(json_response(400, {"error": "invalid_request", "error_description": "Value passed for the "
                                             "token was invalid."}))
    with pytest.raises(CredentialsRejected, match="refresh token"):
        XConnector(tokens(NOW), transport=fake, clock=Clock(NOW), store=store).publish(PublishRequest("ok", "k"))


def test_a_token_without_a_refresh_token_is_used_until_rejected() -> None:
    fake = FakeTransport(json_response(401, {"title": "Unauthorized", "detail": "Unauthorized"}))
    with pytest.raises(CredentialsRejected):
        XConnector("only-access", transport=fake, clock=Clock(NOW)).publish(PublishRequest("ok", "k"))
    assert [s.path for s in fake.sent] == ["/2/tweets"]


def test_a_lost_refresh_answer_posts_nothing_and_is_retried_later() -> None:
    fake = FakeTransport(OutcomeUnknown("read timeout"))
    with pytest.raises(TransientFailure):
        XConnector(tokens(NOW), transport=fake, clock=Clock(NOW),
                   store=MemoryStore({})).publish(PublishRequest("ok", "k"))
    assert [s.path for s in fake.sent] == ["/2/oauth2/token"]


def test_tokens_from_the_secret() -> None:
    parsed = XTokens.from_secret({"access_token": "a", "refresh_token": "r", "client_id": "c",
                                  "expires_at": "1800000000"})
    assert parsed == XTokens("a", "r", "c", None, 1_800_000_000.0) and parsed.refreshable
    assert not XTokens.from_secret({"access_token": "a"}).refreshable
