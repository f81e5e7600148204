"""The metrics reads against the platforms' own references in ../shared/data (read at test time): Mastodon's Status
entity example, the Bluesky postView lexicon, and X's OpenAPI spec for GET /2/tweets."""
from __future__ import annotations

import json

from chorus.platforms.base import PostCounts
from chorus.platforms.bluesky import BlueskyConnector
from chorus.platforms.mastodon import MastodonConnector
from chorus.platforms.x import XConnector
from tests.contract.recorded import load, platform_dir
from tests.unit.platforms.fakes import FakeTransport, json_response

SESSION = {"accessJwt": "a", "refreshJwt": "r", "handle": "chorus.example.com", "did": "did:plc:chorus"}


def test_mastodon_counts_come_from_the_documented_status_entity() -> None:
    entity = load(platform_dir("mastodon"), "status_entity.docs-example.json")
    fake = FakeTransport(json_response(200, [entity]))
    reading = MastodonConnector("https://mastodon.social", "tok", transport=fake).metrics([entity["id"]])
    assert reading.counts == {entity["id"]: PostCounts(
        replies=entity["replies_count"], reposts=entity["reblogs_count"], likes=entity["favourites_count"],
        quotes=entity["quotes_count"])}


def test_bluesky_counts_are_the_post_view_fields_of_the_lexicon() -> None:
    defs = load(platform_dir("bluesky") / "lexicons" / "app" / "bsky" / "feed", "defs.json")
    post_view = defs["defs"]["postView"]["properties"]
    used = {"replyCount": "replies", "repostCount": "reposts", "likeCount": "likes", "quoteCount": "quotes"}
    assert set(used) <= set(post_view) and all(post_view[f]["type"] == "integer" for f in used)
    uri = "at://did:plc:chorus/app.bsky.feed.post/3kabc"
    fake = FakeTransport(json_response(200, SESSION), json_response(200, {"posts": [
        {"uri": uri, "cid": "bafy", "author": {}, "record": {}, "indexedAt": "2026-11-23T09:00:00Z",
         **{field: n for n, field in enumerate(used, start=1)}}]}))
    counts = BlueskyConnector("https://pds.example", "chorus.example.com", "pw", transport=fake).metrics([uri]).counts
    assert counts[uri] == PostCounts(replies=1, reposts=2, likes=3, quotes=4)


def test_x_batch_and_fields_are_what_the_openapi_spec_allows() -> None:
    spec = json.loads((platform_dir("x") / "openapi.xdk.json").read_text(encoding="utf-8"))
    ids = spec["paths"]["/2/tweets"]["get"]["parameters"][0]
    assert ids["name"] == "ids" and ids["schema"]["maxItems"] == XConnector.metrics_batch
    assert ids["style"] == "form" and ids["explode"] is False  # one comma-separated value
    fields = spec["components"]["parameters"]["PostFieldsParameter"]["schema"]["items"]["enum"]
    assert {"public_metrics", "non_public_metrics"} <= set(fields)
    public = spec["components"]["schemas"]["PostPublicMetrics"]["properties"]
    assert {"reply_count", "like_count", "quote_count", "impression_count"} <= set(public)
    # the spec names reposts `repost_count`, the live API (and its recorded answers) `retweet_count`: both are read
    post = {"id": "1", "text": "t", "public_metrics": {name: 2 for name in public}}
    counts = XConnector("tok", transport=FakeTransport(json_response(200, {"data": [post]}))).metrics(["1"]).counts
    assert counts["1"] == PostCounts(replies=2, reposts=2, likes=2, quotes=2, impressions=2)
