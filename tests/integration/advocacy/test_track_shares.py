"""track_shares on moto (the pool store, the ledger) with the Mastodon and Bluesky readers answered from recorded and
documented payloads (../shared/data, read at test time): the documentation's real mastodon.social status links the
offered Guardian article, the Bluesky docs' post record links a Wikipedia page; both are found as shares once, and
replies to them count once each, also when a second run reads the counts again. Publishers' claims of those posts that
could not be read while they waited are read by the next run (one status, one post thread) and verified, or rejected
when the platform has no such post."""
from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chorus import container
from chorus.advocacy.pool.schemas import Offer, ShareIn
from chorus.advocacy.pool.service import Reader, ShareService, ShareTracker, TrackSummary
from chorus.advocacy.pool.store import PoolStore
from chorus.platforms.base import RateLimited
from chorus.platforms.bluesky import BlueskyReader
from chorus.platforms.mastodon import MastodonReader
from chorus.platforms.transport import Response
from tests.clock import Clock
from tests.contract.lexicon import Lexicons
from tests.contract.recorded import load, platform_dir, response_of
from tests.integration.conftest import Stack
from tests.unit.advocacy.pool_fakes import FakePeople, person, principal
from tests.unit.platforms.fakes import FakeTransport, Sent, json_response

MASTODON = platform_dir("mastodon")
BLUESKY = platform_dir("bluesky")
LEXICONS = Lexicons(BLUESKY / "lexicons")
GUARDIAN = "https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
OFFERED_AT = "2019-12-01T09:00:00Z"
NOW = datetime(2019, 12, 8, 6, 0, tzinfo=UTC)


def status() -> dict[str, Any]:
    """Gargron's status from the Mastodon documentation: it links the Guardian article and has 5 replies."""
    return load(MASTODON, "status_entity.docs-example.json")


def feed_item(number: int, record_name: str) -> dict[str, Any]:
    item = {"post": {"uri": f"at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k4duaz5vfs{number}b",
                     "cid": "bafyreibjifzpqj6o6wcq3hejh7y4z4z2vmiklkvykc57tw3pcbx3kxifpm",
                     "author": {"did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "handle": "atproto.com"},
                     "record": load(BLUESKY, f"examples/{record_name}.docs-example.json"), "replyCount": 3 * number,
                     "indexedAt": f"2019-12-0{number + 2}T12:00:00.000Z"}}
    assert LEXICONS.errors(item, "app.bsky.feed.defs#feedViewPost") == []
    return item


def answer(path: str, body: Any, **query: list[str]) -> Callable[[Sent], Response]:
    def reply(sent: Sent) -> Response:
        assert sent.path == path, sent.url
        for name, values in query.items():
            assert sent.query.get(name) == values, (name, sent.query)
        return json_response(200, body)
    return reply


class Setup:
    def __init__(self) -> None:
        container.engagement_ledger()  # binds the models to the stack's tables
        self.store = PoolStore()
        self.people = FakePeople(person("ann", platforms={"mastodon": "@Gargron@mastodon.social",
                                                          "bluesky": "atproto.com"}))
        self.clock = Clock(NOW)
        self.ledger = container.engagement_ledger()
        self.shares = ShareService(self.store, self.people, self.ledger, self.clock)
        for offer_id, url in (("guardian", GUARDIAN + "?utm_source=newsletter"), ("cbor", "https://en.wikipedia.org/wiki/CBOR")):
            offer = Offer(id=offer_id, post_id="p", texts={"x": "t"}, url=url, campaign=f"offer-{offer_id}",
                          created_by="ed", created_at=OFFERED_AT)
            self.store.create_offer(offer)
            self.store.deliver(offer, "ann", NOW)
        self.mastodon_http, self.bluesky_http = FakeTransport(), FakeTransport()

    def run(self) -> TrackSummary:
        readers: list[Reader] = [MastodonReader(self.mastodon_http), BlueskyReader(self.bluesky_http)]
        tracker = ShareTracker(self.store, self.people, self.shares, self.ledger, readers, self.clock, window_days=14)
        return tracker.run(lambda: 300.0)

    def counts(self, event: str) -> dict[str, int]:
        counts: dict[str, int] = {}
        for c in self.ledger.of_person("ann", date(2019, 12, 1), NOW.date()):
            if c.event == event:
                counts[c.channel] = counts.get(c.channel, 0) + c.count
        return {channel: n for channel, n in counts.items() if n}


def test_recorded_posts_carrying_offered_pages_become_shares_and_their_replies_count_once(stack: Stack) -> None:
    world = Setup()
    account = load(MASTODON, "account_get.exchange.json")
    world.mastodon_http.replies += [
        answer("/api/v1/accounts/lookup", account["response"]["body"], acct=["Gargron"]),
        answer(f"/api/v1/accounts/{account['response']['body']['id']}/statuses", [status()], limit=["40"],
               exclude_reblogs=["true"]),
    ]
    feed = {"feed": [feed_item(2, "post_record_external_card"), feed_item(1, "post_record_facets_mention_link")]}
    world.bluesky_http.replies.append(answer("/xrpc/app.bsky.feed.getAuthorFeed", feed, actor=["atproto.com"],
                                             limit=["100"]))

    summary = world.run()
    assert (summary.offers, summary.people, summary.shares_found, summary.replies_counted, summary.requests) == (
        2, 1, 2, 8, 3)
    shares = {s.offer_id: s for s in world.store.all_shares("ann")}
    assert shares["guardian"].url == "https://mastodon.social/@Gargron/103270115826048975"
    assert (shares["guardian"].platform, shares["guardian"].found_by, shares["guardian"].replies) == (
        "mastodon", "mastodon", 5)
    assert shares["cbor"].url == "https://bsky.app/profile/atproto.com/post/3k4duaz5vfs1b"
    assert shares["cbor"].replies == 3
    assert world.counts("share") == {"mastodon": 1, "bluesky": 1}  # dated by the posts: 2019-12-08 and 2019-12-03
    assert world.counts("reply") == {"mastodon": 5, "bluesky": 3}

    # Next run: nothing new since the watermarks; the replies of the shares are read again, two more on Mastodon.
    more = copy.deepcopy(status()) | {"replies_count": 7}
    world.mastodon_http.replies += [
        answer(f"/api/v1/accounts/{account['response']['body']['id']}/statuses", [], min_id=["103270115826048975"]),
        answer("/api/v1/statuses/103270115826048975", more),
    ]
    shared_post = feed_item(1, "post_record_facets_mention_link")["post"]
    world.bluesky_http.replies += [answer("/xrpc/app.bsky.feed.getAuthorFeed", feed),
                                   answer("/xrpc/app.bsky.feed.getPosts", {"posts": [shared_post]},
                                          uris=["at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k4duaz5vfs1b"])]
    world.clock.now = NOW.replace(hour=6, minute=15)
    summary = world.run()
    assert (summary.shares_found, summary.replies_counted) == (0, 2)
    assert world.counts("reply") == {"mastodon": 7, "bluesky": 3}
    assert world.counts("share") == {"mastodon": 1, "bluesky": 1}
    world.mastodon_http.assert_done()
    world.bluesky_http.assert_done()


def test_a_recorded_rate_limit_leaves_the_watermark_for_the_next_run(stack: Stack) -> None:
    world = Setup()
    account = load(MASTODON, "account_get.exchange.json")
    world.people.change("ann", platforms={"mastodon": "@Gargron@mastodon.social"})
    world.mastodon_http.replies.append(lambda sent: response_of(account, status=429))
    summary = world.run()
    assert (summary.failed, summary.shares_found) == (1, 0)
    assert world.store.watches(["ann"])["ann"].marks == {}
    with pytest.raises(RateLimited) as limited:
        MastodonReader(FakeTransport(response_of(account, status=429))).recent_posts(
            "@Gargron@mastodon.social", {"account_id": "1"}, NOW.timestamp())
    assert limited.value.retry_after >= 1.0


def test_claims_the_platforms_did_not_answer_are_read_by_the_next_run_from_recorded_answers(stack: Stack) -> None:
    world = Setup()
    toot_url = "https://mastodon.social/@Gargron/103270115826048975"
    skeet_url = "https://bsky.app/profile/atproto.com/post/3k4duaz5vfs1b"
    for offer_id, url in (("guardian", toot_url), ("cbor", skeet_url)):
        claim, _ = world.shares.confirm(principal("ann"), ShareIn(offer_id=offer_id, url=url))
        assert claim.status == "claimed"  # this ShareService has no quick readers: as if nobody answered in time
    account = load(MASTODON, "account_get.exchange.json")["response"]["body"]
    world.mastodon_http.replies += [
        answer("/api/v1/accounts/lookup", account),
        answer(f"/api/v1/accounts/{account['id']}/statuses", []),  # nothing new on her account
        answer("/api/v1/statuses/103270115826048975", status()),  # the claim, read
        answer("/api/v1/statuses/103270115826048975", status()),  # its replies
    ]
    thread = {"thread": {"$type": "app.bsky.feed.defs#threadViewPost",
                         **feed_item(1, "post_record_facets_mention_link")}}
    assert LEXICONS.errors(thread["thread"], "app.bsky.feed.defs#threadViewPost") == []
    did_uri = "at://did:plc:ewvi7nxzyoun6zhxrhs64oiz/app.bsky.feed.post/3k4duaz5vfs1b"
    world.bluesky_http.replies += [
        answer("/xrpc/app.bsky.feed.getAuthorFeed", {"feed": []}),
        # The URI names the author by handle (a bsky.app link's form): getPostThread resolves it.
        answer("/xrpc/app.bsky.feed.getPostThread", thread, depth=["0"], parentHeight=["0"],
               uri=["at://atproto.com/app.bsky.feed.post/3k4duaz5vfs1b"]),
        answer("/xrpc/app.bsky.feed.getPosts", {"posts": [thread["thread"]["post"]]}, uris=[did_uri]),
    ]

    summary = world.run()
    assert (summary.claims_verified, summary.claims_rejected, summary.shares_found, summary.requests) == (2, 0, 0, 7)
    shares = {s.offer_id: s for s in world.store.all_shares("ann")}
    assert (shares["guardian"].status, shares["guardian"].verified_by, shares["guardian"].found_by) == (
        "verified", "mastodon", "publisher")
    assert (shares["cbor"].status, shares["cbor"].post_id) == ("verified", did_uri)  # its replies can be read now
    assert world.counts("share") == {"mastodon": 1, "bluesky": 1} and world.counts("share_claimed") == {}
    assert world.counts("reply") == {"mastodon": 5, "bluesky": 3}
    world.mastodon_http.assert_done()
    world.bluesky_http.assert_done()


def test_a_claimed_post_the_platforms_do_not_have_is_rejected(stack: Stack) -> None:
    world = Setup()
    for offer_id, url in (("guardian", "https://mastodon.social/@Gargron/1"),
                          ("cbor", "https://bsky.app/profile/atproto.com/post/3zzzzzzzzzzzz")):
        world.shares.confirm(principal("ann"), ShareIn(offer_id=offer_id, url=url))
    account = load(MASTODON, "account_get.exchange.json")["response"]["body"]
    world.mastodon_http.replies += [answer("/api/v1/accounts/lookup", account),
                                    answer(f"/api/v1/accounts/{account['id']}/statuses", []),
                                    lambda sent: json_response(404, {"error": "Record not found"})]
    world.bluesky_http.replies += [
        answer("/xrpc/app.bsky.feed.getAuthorFeed", {"feed": []}),
        lambda sent: json_response(400, {"error": "NotFound", "message": "Post not found: at://atproto.com/…"})]
    summary = world.run()
    assert (summary.claims_verified, summary.claims_rejected) == (0, 2)
    assert {s.status for s in world.store.all_shares("ann")} == {"rejected"}
    assert world.counts("share") == {} and world.counts("share_claimed") == {}
