"""Reading how our own posts do, per connector: the request each platform documents, the counts it answers with
(shapes as the platforms' references give them), posts that are gone, and rate limits."""
from __future__ import annotations

import pytest

from chorus.platforms.base import MetricsReader, PermanentFailure, PostCounts, RateLimited
from chorus.platforms.bluesky import BlueskyConnector
from chorus.platforms.linkedin import LinkedInConnector
from chorus.platforms.mastodon import MastodonConnector
from chorus.platforms.transport import Response
from chorus.platforms.x import XConnector
from tests.unit.platforms.fakes import Clock, FakeTransport, json_response

NOW = 1_795_000_000.0
ORG = "urn:li:organization:2414183"
SESSION = {"accessJwt": "access-1", "refreshJwt": "refresh-1", "handle": "chorus.example.com", "did": "did:plc:chorus"}


def status(status_id: str, replies: int, boosts: int, favourites: int, **more: object) -> dict[str, object]:
    """A Mastodon Status entity, the fields the counts come from (docs.joinmastodon.org/entities/Status)."""
    return {"id": status_id, "created_at": "2026-11-23T09:00:00.000Z", "visibility": "public",
            "url": f"https://m.example/@chorus/{status_id}", "content": "<p>Hallo</p>", "replies_count": replies,
            "reblogs_count": boosts, "favourites_count": favourites, **more}


# ------------------------------------------------------------------------------------------- Mastodon
def test_mastodon_reads_twenty_statuses_in_one_request_and_leaves_out_those_that_are_gone() -> None:
    fake = FakeTransport(json_response(200, [status("1", 2, 3, 4), status("3", 0, 1, 9, quotes_count=2)]))
    connector = MastodonConnector("https://m.example/", "tok", transport=fake, clock=Clock(NOW))
    reading = connector.metrics(["1", "2", "3"])
    assert reading.counts == {"1": PostCounts(2, 3, 4), "3": PostCounts(0, 1, 9, quotes=2)}
    assert reading.requests == 1
    (sent,) = fake.sent
    assert (sent.method, sent.path, sent.query) == ("GET", "/api/v1/statuses", {"id[]": ["1", "2", "3"]})
    assert sent.header("Authorization") == "Bearer tok"
    assert isinstance(connector, MetricsReader) and connector.metrics_batch == 20


def test_mastodon_without_the_batch_call_reads_one_status_at_a_time_and_remembers_that() -> None:
    fake = FakeTransport(
        json_response(404, {"error": "Record not found"}),  # GET /api/v1/statuses: older Mastodon, snac
        json_response(200, status("1", 1, 0, 5)),
        json_response(404, {"error": "Record not found"}),  # deleted
        json_response(200, status("1", 2, 0, 6)),
    )
    connector = MastodonConnector("https://m.example", "tok", transport=fake, clock=Clock(NOW))
    first = connector.metrics(["1", "2"])
    assert first.counts == {"1": PostCounts(1, 0, 5)} and first.requests == 3
    second = connector.metrics(["1"])
    assert second.counts == {"1": PostCounts(2, 0, 6)} and second.requests == 1
    assert [s.path for s in fake.sent] == ["/api/v1/statuses", "/api/v1/statuses/1", "/api/v1/statuses/2",
                                           "/api/v1/statuses/1"]
    fake.assert_done()


def test_mastodon_rate_limit_is_raised_with_the_reset_it_names() -> None:
    fake = FakeTransport(json_response(429, {"error": "Too many requests"},
                                       {"x-ratelimit-reset": "2026-11-18T20:18:20.000Z"}))
    clock = Clock(1_795_032_800.0)  # 2026-11-18T20:13:20Z
    with pytest.raises(RateLimited) as raised:
        MastodonConnector("https://m.example", "tok", transport=fake, clock=clock).metrics(["1"])
    assert raised.value.retry_after == pytest.approx(300.0)


def test_nothing_asked_is_no_request() -> None:
    fake = FakeTransport()
    for connector in (MastodonConnector("https://m.example", "tok", transport=fake),
                      XConnector("tok", transport=fake), LinkedInConnector("tok", ORG, transport=fake),
                      BlueskyConnector("https://pds.example", "chorus.example.com", "app-pw", transport=fake)):
        assert connector.metrics([]).requests == 0
    assert fake.sent == []


# ------------------------------------------------------------------------------------------- Bluesky
def test_bluesky_reads_up_to_25_posts_with_get_posts_through_the_pds() -> None:
    ours = [f"at://did:plc:chorus/app.bsky.feed.post/3k{n:011d}" for n in range(3)]
    views = [{"uri": ours[0], "cid": "bafy1", "author": {"did": "did:plc:chorus", "handle": "chorus.example.com"},
              "record": {"$type": "app.bsky.feed.post", "text": "Hallo", "createdAt": "2026-11-23T09:00:00.000Z"},
              "indexedAt": "2026-11-23T09:00:01.000Z", "replyCount": 4, "repostCount": 2, "likeCount": 11,
              "quoteCount": 1},
             {"uri": ours[2], "cid": "bafy3", "author": {"did": "did:plc:chorus", "handle": "chorus.example.com"},
              "record": {}, "indexedAt": "2026-11-23T09:00:01.000Z"}]  # counts absent: none yet
    fake = FakeTransport(json_response(200, SESSION), json_response(200, {"posts": views}),
                         json_response(200, {"posts": []}))
    connector = BlueskyConnector("https://pds.example", "chorus.example.com", "app-pw", transport=fake,
                                 clock=Clock(NOW))
    reading = connector.metrics(ours)
    assert reading.counts == {ours[0]: PostCounts(4, 2, 11, quotes=1), ours[2]: PostCounts(0, 0, 0, quotes=0)}
    assert reading.requests == 2  # signing in, then the read
    assert connector.metrics(ours[:1]).requests == 1  # the session is kept
    read = fake.sent[1]
    assert (read.method, read.url.split("?")[0]) == ("GET", "https://pds.example/xrpc/app.bsky.feed.getPosts")
    assert read.query == {"uris": ours}
    assert read.header("Authorization") == "Bearer access-1"
    assert connector.metrics_batch == 25


# ------------------------------------------------------------------------------------------- X
def test_x_reads_public_and_non_public_metrics_of_100_posts_in_one_request() -> None:
    body = {
        "data": [
            {"id": "1860000000000000001", "text": "Hallo",
             "public_metrics": {"retweet_count": 3, "reply_count": 2, "like_count": 40, "quote_count": 1,
                                "bookmark_count": 0, "impression_count": 1200},
             "non_public_metrics": {"impression_count": 1200, "url_link_clicks": 17, "user_profile_clicks": 2}},
            {"id": "1860000000000000002", "text": "Zonder link",
             "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 1, "quote_count": 0,
                                "bookmark_count": 0, "impression_count": 90},
             "non_public_metrics": {"impression_count": 90, "user_profile_clicks": 0}},
        ],
        "errors": [{"value": "1860000000000000003", "detail": "Could not find tweet with ids: [1860000000000000003].",
                    "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                    "resource_id": "1860000000000000003",
                    "type": "https://api.twitter.com/2/problems/resource-not-found"}],
    }
    fake = FakeTransport(json_response(200, body))
    ids = ["1860000000000000001", "1860000000000000002", "1860000000000000003"]
    reading = XConnector("tok", transport=fake, clock=Clock(NOW)).metrics(ids)
    assert reading.counts == {
        ids[0]: PostCounts(2, 3, 40, quotes=1, impressions=1200, link_clicks=17),
        ids[1]: PostCounts(0, 0, 1, quotes=0, impressions=90, link_clicks=None),
    }
    assert reading.requests == 1
    (sent,) = fake.sent
    assert sent.path == "/2/tweets"
    assert sent.query == {"ids": [",".join(ids)], "tweet.fields": ["public_metrics,non_public_metrics"]}
    assert sent.header("Authorization") == "Bearer tok"  # the account's own user-context token


def test_x_rate_limit_names_its_reset() -> None:
    fake = FakeTransport(json_response(429, {"title": "Too Many Requests", "detail": "Too Many Requests"},
                                       {"x-rate-limit-reset": str(int(NOW) + 600)}))
    with pytest.raises(RateLimited) as raised:
        XConnector("tok", transport=fake, clock=Clock(NOW)).metrics(["1"])
    assert raised.value.retry_after == pytest.approx(600.0)


# ------------------------------------------------------------------------------------------- LinkedIn
def test_linkedin_reads_lifetime_share_statistics_of_shares_and_ugc_posts() -> None:
    share, ugc, unknown = "urn:li:share:7015970832908775123", "urn:li:ugcPost:7015970832908775999", \
        "urn:li:share:1111111111111111111"

    def answer(sent: object) -> Response:
        return json_response(200, {"paging": {"count": 10, "start": 0, "links": []}, "elements": [
            {"totalShareStatistics": {"uniqueImpressionsCount": 80, "shareCount": 2, "engagement": 0.05,
                                      "clickCount": 6, "likeCount": 9, "impressionCount": 120, "commentCount": 1},
             "organizationalEntity": ORG, "share": share},
            {"totalShareStatistics": {"uniqueImpressionsCount": 5, "shareCount": 0, "engagement": 0.0,
                                      "clickCount": 0, "likeCount": 0, "impressionCount": 7, "commentCount": 0},
             "organizationalEntity": ORG, "ugcPost": ugc},
        ]})

    fake = FakeTransport(answer)
    reading = LinkedInConnector("tok", ORG, transport=fake, clock=Clock(NOW)).metrics([share, ugc, unknown])
    assert reading.counts == {share: PostCounts(1, 2, 9, impressions=120, link_clicks=6),
                              ugc: PostCounts(0, 0, 0, impressions=7, link_clicks=0)}
    (sent,) = fake.sent
    assert sent.path == "/rest/organizationalEntityShareStatistics"
    # Rest.li 2.0: List(...) and its commas as they are, every URN percent-encoded
    assert sent.url.split("?", 1)[1] == (
        "q=organizationalEntity&organizationalEntity=urn%3Ali%3Aorganization%3A2414183"
        "&shares=List(urn%3Ali%3Ashare%3A7015970832908775123,urn%3Ali%3Ashare%3A1111111111111111111)"
        "&ugcPosts=List(urn%3Ali%3AugcPost%3A7015970832908775999)")
    assert sent.header("LinkedIn-Version") and sent.header("X-Restli-Protocol-Version") == "2.0.0"


def test_linkedin_without_the_page_admin_permission_is_a_refusal_that_says_so() -> None:
    fake = FakeTransport(json_response(403, {"status": 403, "serviceErrorCode": 100, "code": "ACCESS_DENIED",
                                             "message": "Not enough permissions to access: "
                                                        "organizationalEntityShareStatistics.FINDER-organizationalEntity"}))
    with pytest.raises(PermanentFailure, match="Not enough permissions"):
        LinkedInConnector("tok", ORG, transport=fake, clock=Clock(NOW)).metrics(["urn:li:share:1"])
