"""LinkedInConnector against the Posts API request shape stated in ../shared/data/platforms/linkedin/README.md
(no redistributable LinkedIn payload exists, so the answers are built from what that README and the official docs
state: an empty 201 with the URN in `x-restli-id`, 204 for a delete, `elements` for a finder)."""
from __future__ import annotations

import pytest

from chorus.platforms.base import CredentialsRejected, PermanentFailure, PublishRequest, RateLimited
from chorus.platforms.linkedin import LinkedInConnector
from chorus.platforms.transport import Response
from tests.contract.recorded import platform_dir
from tests.unit.platforms.fakes import Clock, FakeTransport, Reply, Sent, json_response

README = (platform_dir("linkedin") / "README.md").read_text(encoding="utf-8")
ORG = "urn:li:organization:2414183"
URN = "urn:li:share:7101234567890123456"


def connector(*replies: Reply, clock: Clock | None = None) -> tuple[LinkedInConnector, FakeTransport]:
    fake = FakeTransport(*replies)
    return LinkedInConnector("li-token", ORG, transport=fake, clock=clock), fake


def assert_rest_headers(sent: Sent) -> None:
    assert sent.header("Authorization") == "Bearer li-token"
    assert sent.header("LinkedIn-Version") == "202511"
    assert sent.header("X-Restli-Protocol-Version") == "2.0.0"
    for name in ("LinkedIn-Version", "X-Restli-Protocol-Version", "Authorization"):
        assert f"`{name}" in README  # the README lists every header sent


def test_publish_sends_the_documented_body_and_reads_the_urn_from_x_restli_id() -> None:
    def create(sent: Sent) -> Response:
        assert (sent.method, sent.url) == ("POST", "https://api.linkedin.com/rest/posts")
        assert_rest_headers(sent)
        return Response(201, {"x-restli-id": URN, "content-length": "0"})

    linkedin, fake = connector(create)
    published = linkedin.publish(PublishRequest("Wij zoeken een collega (m/v) voor ons team_Support!", "k"))
    assert (published.platform_id, published.url) == (URN, f"https://www.linkedin.com/feed/update/{URN}")
    body = fake.sent[0].json
    assert body == {
        "author": ORG,
        "commentary": "Wij zoeken een collega \\(m/v\\) voor ons team\\_Support!",
        "visibility": "PUBLIC",
        "distribution": {"feedDistribution": "MAIN_FEED", "targetEntities": [], "thirdPartyDistributionChannels": []},
        "lifecycleState": "PUBLISHED",
        "isReshareDisabledByAuthor": False,
    }
    for field in body:
        assert f"`{field}`" in README


def test_recent_posts_finds_the_organisations_posts() -> None:
    page = {"paging": {"start": 0, "count": 2, "links": []}, "elements": [
        {"id": URN, "author": ORG, "commentary": "Vacature \\(m/v\\): zie {hashtag|\\#|werken}",
         "createdAt": 1785585600000, "publishedAt": 1785585601000, "lifecycleState": "PUBLISHED",
         "visibility": "PUBLIC"},
        {"id": "urn:li:ugcPost:7101", "author": ORG, "commentary": "Tweede", "createdAt": 1785500000000,
         "lifecycleState": "PUBLISHED"},
    ]}

    def find(sent: Sent) -> Response:
        assert (sent.method, sent.path) == ("GET", "/rest/posts")
        assert sent.query == {"q": ["author"], "author": [ORG], "count": ["2"]}
        assert "author=urn%3Ali%3Aorganization%3A2414183" in sent.url  # Rest.li 2.0: URNs in a query are encoded
        assert_rest_headers(sent)
        return json_response(200, page)

    linkedin, _ = connector(find)
    recent = linkedin.recent_posts(limit=2)
    assert [p.platform_id for p in recent] == [URN, "urn:li:ugcPost:7101"]
    assert recent[0].text == "Vacature (m/v): zie #werken"
    assert (recent[0].created_at, recent[1].created_at) == ("2026-08-01T12:00:01.000Z", "2026-07-31T12:13:20.000Z")


def test_delete_encodes_the_urn_in_the_path() -> None:
    linkedin, fake = connector(Response(204))
    linkedin.delete(URN)
    assert (fake.sent[0].method, fake.sent[0].path) == ("DELETE", "/rest/posts/urn%3Ali%3Ashare%3A7101234567890123456")
    assert_rest_headers(fake.sent[0])


def test_a_429_without_headers_waits_the_default_minute() -> None:
    # LinkedIn documents no rate-limit headers (quotas are per app per day, shown in the developer portal).
    throttled = {"status": 429, "message": "Resource level throttle APPLICATION DAY limit"}
    linkedin, _ = connector(json_response(429, throttled), clock=Clock(0))
    with pytest.raises(RateLimited) as raised:
        linkedin.publish(PublishRequest("x", "k"))
    assert raised.value.retry_after == 60


def test_a_revoked_token_is_credentials_rejected() -> None:
    revoked = {"status": 401, "serviceErrorCode": 65601, "code": "REVOKED_ACCESS_TOKEN",
               "message": "The token used in the request has been revoked by the user"}
    linkedin, _ = connector(json_response(401, revoked))
    with pytest.raises(CredentialsRejected, match="REVOKED_ACCESS_TOKEN") as raised:
        linkedin.publish(PublishRequest("x", "k"))
    assert "li-token" not in str(raised.value)


def test_a_sunset_version_is_a_permanent_failure_with_linkedins_message() -> None:
    sunset = {"status": 426, "code": "NONEXISTENT_VERSION", "message": "Requested version 202301 is not active"}
    linkedin, _ = connector(json_response(426, sunset))
    with pytest.raises(PermanentFailure, match="not active"):
        linkedin.publish(PublishRequest("x", "k"))
