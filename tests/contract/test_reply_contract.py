"""A reply from the inbox, the whole way out: a reply post for a mention recorded from a real platform (ids and
authors from ../shared/data) goes through the publisher (lease, delivery, settle) to the platform's connector, and the
request it sends carries the reply target the way each platform's API documents it:

- Mastodon: `in_reply_to_id` (form field of POST /api/v1/statuses) and the author's @handle in the text;
- X API v2: `reply.in_reply_to_tweet_id` in the JSON body, checked against the official OpenAPI schema;
- Bluesky: `reply.root` and `reply.parent` strong refs (uri + cid) in the record, validated against the lexicon.
"""
from __future__ import annotations

from datetime import UTC, datetime

from chorus.calendar import rules as post_rules
from chorus.calendar.schemas import Channel, Post, ReplyTarget
from chorus.core.roles import Principal
from chorus.platforms.base import Connector
from chorus.platforms.bluesky import BlueskyConnector
from chorus.platforms.mastodon import MastodonConnector
from chorus.platforms.transport import Response
from chorus.platforms.x import XConnector
from chorus.publishing.service import PublishingService, Queue, ReplyOutcomes
from chorus.publishing.store import PublishMessage
from tests.clock import Clock
from tests.contract.lexicon import Lexicons
from tests.contract.recorded import load, platform_dir, response_of
from tests.contract.test_x_contract import check_schema
from tests.unit.platforms.fakes import FakeTransport, Sent, json_response
from tests.unit.publishing.fakes import Alerts, ChannelStore, PostStore

MASTODON, X, BLUESKY = platform_dir("mastodon"), platform_dir("x"), platform_dir("bluesky")
LEXICONS = Lexicons(BLUESKY / "lexicons")
NOW = datetime(2026, 8, 1, 14, 0, tzinfo=UTC)
CARE = Principal("carla", frozenset({"care"}))


class NoQueue(Queue):
    def send(self, message: PublishMessage, delay_seconds: int) -> None:
        raise AssertionError("a reply due now is delivered, not sent again")


class Inbox(ReplyOutcomes):
    """Where the publisher reports the reply's outcome (the inbox answers the mention with it)."""

    def __init__(self) -> None:
        self.told: list[str] = []

    def settled(self, post: Post, channel_id: str) -> None:
        self.told.append(post.deliveries[channel_id].status)


def publish_reply(channel: Channel, connector: Connector, platform_id: str, author: str, text: str) -> Post:
    """Make the reply as the inbox does, and let the publisher deliver it once."""
    target = ReplyTarget(mention_id="m1", platform_id=platform_id, author_handle=author)
    reply = post_rules.reply("reply-1", text, channel, target, CARE, NOW, approval_reason=None)
    posts = PostStore()
    posts.create(reply)
    inbox = Inbox()
    service = PublishingService(posts, ChannelStore([channel]), NoQueue(), Alerts(), lambda _: connector, Clock(NOW),
                                replies=inbox)
    assert service.deliver(PublishMessage(reply.id, channel.id, reply.publish_at or "")) == "published"
    assert inbox.told == ["published"]
    published = posts.get(reply.id)
    assert published is not None and published.status == "published"
    return published


def test_a_reply_to_a_recorded_mastodon_mention_names_the_status_and_its_author() -> None:
    notification = load(MASTODON, "notifications_type_mention.exchange.json")["response"]["body"][0]
    status = notification["status"]
    fake = FakeTransport(response_of(load(MASTODON, "post_status.exchange.json")))
    connector = MastodonConnector("http://localhost:3000", "token", transport=fake)
    channel = Channel(id="mastodon-main", platform="mastodon", handle="@org@localhost:3000")
    publish_reply(channel, connector, status["id"], f"@{status['account']['acct']}", "Dank voor je bericht!")
    (sent,) = fake.sent
    assert sent.path == "/api/v1/statuses"
    assert sent.form() == {"status": [f"@{status['account']['acct']} Dank voor je bericht!"], "visibility": ["public"],
                           "in_reply_to_id": [status["id"]]}
    assert sent.header("Idempotency-Key") == "reply-1.mastodon-main.20260801T140000Z"


def test_a_reply_to_a_recorded_x_mention_is_a_valid_create_post_request() -> None:
    mention = load(X, "users_mentions.exchange.json")["response"]["body"]["data"][0]
    spec = load(X, "openapi.xdk.json")
    fake = FakeTransport(response_of(load(X, "create_tweet.exchange.json")))
    channel = Channel(id="x-main", platform="x", handle="@org")
    publish_reply(channel, XConnector("user-context-token", transport=fake), mention["id"], "klant",
                  "Sorry! Stuur ons een DM met je klantnummer.")
    (sent,) = fake.sent
    request_body = spec["paths"]["/2/tweets"]["post"]["requestBody"]
    check_schema(sent.json, request_body["content"]["application/json"]["schema"], spec)
    assert sent.json == {"text": "Sorry! Stuur ons een DM met je klantnummer.",
                         "reply": {"in_reply_to_tweet_id": mention["id"]}}


def test_a_reply_to_a_bluesky_reply_keeps_the_threads_root_and_is_a_valid_record() -> None:
    documented = load(BLUESKY, "examples/post_record_reply.docs-example.json")  # the mention: itself a reply
    mention_uri = "at://did:plc:fan/app.bsky.feed.post/3k44deefqdk2g"
    mention_cid = "bafyreiecx6dujwoeqpdzl27w67z4h46hyklk3an4i4cvvmioaqb2qbyo5u"
    session = {"accessJwt": "eyJ.access", "refreshJwt": "eyJ.refresh", "handle": "org.example", "did": "did:plc:org"}

    def get_record(sent: Sent) -> Response:
        assert sent.path == "/xrpc/com.atproto.repo.getRecord"
        assert sent.query == {"repo": ["did:plc:fan"], "collection": ["app.bsky.feed.post"], "rkey": ["3k44deefqdk2g"]}
        return json_response(200, {"uri": mention_uri, "cid": mention_cid, "value": documented})

    def put_record(sent: Sent) -> Response:
        assert sent.path == "/xrpc/com.atproto.repo.putRecord"
        uri = f"at://did:plc:org/app.bsky.feed.post/{sent.json['rkey']}"
        return json_response(200, {"uri": uri, "cid": mention_cid})

    fake = FakeTransport(json_response(200, session), get_record, put_record)
    connector = BlueskyConnector("https://pds.example", "org.example", "app-password", transport=fake)
    channel = Channel(id="bluesky-main", platform="bluesky", handle="org.example")
    publish_reply(channel, connector, mention_uri, "fan.example", "Dank je, we kijken ernaar!")
    record = fake.sent[2].json["record"]
    assert LEXICONS.errors(record, "app.bsky.feed.post", "record") == []
    assert record["reply"] == {"root": documented["reply"]["root"], "parent": {"uri": mention_uri, "cid": mention_cid}}
    assert record["text"] == "Dank je, we kijken ernaar!"
