"""The source fetchers against recorded platform payloads (../shared/data, read at test time, never copied here).

- Google Alerts: the real Atom feed (20 entries) through RssFetcher.
- Mastodon, X, Reddit: recorded exchanges replayed (the requests we send are checked against the recorded ones
  where they ask the same thing) plus 429s built from the recorded rate-limit headers.
- X: the SDK fixture with `includes.users`, given the `public_metrics` the OpenAPI spec defines; the parameters we
  send are checked against the spec's enums.
- Bluesky: no recorded search or notification exists, so answers are built from the lexicons' postView and
  notification shapes around the documentation's post records, validated by the lexicons, and every query we send
  is validated against the query's parameter schema.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from chorus.platforms.base import Credentials, RateLimited, SourceSpec
from chorus.platforms.bluesky import BlueskyFetcher
from chorus.platforms.mastodon import MastodonFetcher
from chorus.platforms.reddit import RedditFetcher
from chorus.platforms.rss import RssFetcher
from chorus.platforms.transport import Response
from chorus.platforms.x import XFetcher
from tests.contract.lexicon import Lexicons
from tests.contract.recorded import load, platform_dir, replay, response_of
from tests.unit.platforms.fakes import FakeTransport, Sent, json_response

GOOGLE_ALERTS = platform_dir("google-alerts")
MASTODON = platform_dir("mastodon")
X = platform_dir("x")
REDDIT = platform_dir("reddit")
BLUESKY = platform_dir("bluesky")
LEXICONS = Lexicons(BLUESKY / "lexicons")


def epoch(moment: str) -> float:
    return datetime.fromisoformat(moment).timestamp()


# ------------------------------------------------------------------------------------------- Google Alerts
ALERTS = SourceSpec("alerts", "rss", {"url": "https://www.google.com/alerts/feeds/04175468913983673025/4428013283581841004"})


def alerts_feed() -> Response:
    feed = (GOOGLE_ALERTS / "google_alerts_atom.feedjira.xml").read_bytes()
    return Response(200, {"Content-Type": "application/atom+xml"}, feed)


def test_the_google_alerts_feed_gives_twenty_clean_mentions_with_article_links() -> None:
    result = RssFetcher(FakeTransport(alerts_feed())).fetch(ALERTS, {}, None, epoch("2019-07-10T12:00:00+00:00"))

    assert len(result.mentions) == 20 and len({m.platform_id for m in result.mentions}) == 20
    for mention in result.mentions:
        assert mention.platform_id.startswith("tag:google.com,2013:googlealerts/feed:")
        assert mention.url is not None
        assert mention.url.startswith(("http://", "https://")) and "google.com/url" not in mention.url
        assert mention.author.handle == mention.url.split("/")[2]
        for text in (mention.title, mention.text):
            assert text and text == text.strip()
            assert not any(markup in text for markup in ("<b>", "</b>", "&amp;", "&#39;", "&nbsp;", "\xa0", "  "))
        assert mention.created_at.tzinfo is not None
    by_id = {m.platform_id: m for m in result.mentions}
    second = by_id["tag:google.com,2013:googlealerts/feed:13685523368333461374"]
    assert second.title == "Slack Stock Has a Compelling Story and the Numbers to Back It Up"
    assert second.url == "https://investorplace.com/2019/07/slack-stock-truly-compelling/"
    assert "Company's decision to go public via ..." in second.text
    assert result.watermark["newest"] == "2019-07-10T11:53:37Z"


def test_the_same_google_alerts_feed_again_is_nothing_new() -> None:
    fetcher = RssFetcher(FakeTransport(alerts_feed(), alerts_feed()))
    first = fetcher.fetch(ALERTS, {}, None, epoch("2019-07-10T12:00:00+00:00"))
    again = fetcher.fetch(ALERTS, first.watermark, None, epoch("2019-07-10T12:15:00+00:00"))
    assert again.mentions == [] and again.watermark == first.watermark


# ------------------------------------------------------------------------------------------- Mastodon
TOKEN = Credentials({"access_token": "__MASTODON_PY_TEST_ACCESS_TOKEN"})


def mastodon(mode: str, **settings: str) -> SourceSpec:
    return SourceSpec("m1", "mastodon", {"instance_url": "http://localhost:3000", "mode": mode, **settings})


def test_recorded_mention_notifications_become_mentions() -> None:
    exchange = load(MASTODON, "notifications_type_mention.exchange.json")
    result = MastodonFetcher(FakeTransport(replay(exchange))).fetch(mastodon("notifications"), {}, TOKEN,
                                                                    epoch("2026-08-01T13:52:00+00:00"))
    (found,) = result.mentions
    assert (found.platform_id, found.text) == ("117020577157693549", "@mastodonpy_test hello!")
    assert (found.author.handle, found.author.followers, found.author.url) == ("@admin@localhost:3000", 1, "http://localhost:3000/@admin")
    assert (found.language_hint, found.url) == ("en", "http://localhost:3000/@admin/117020577157693549")
    assert found.created_at == datetime(2026, 8, 1, 13, 51, 42, 823000, tzinfo=UTC)
    assert result.watermark == {"last_id": "21"}


def test_a_recorded_rate_limit_waits_until_the_iso_reset() -> None:
    exchange = load(MASTODON, "notifications_type_mention.exchange.json")
    with pytest.raises(RateLimited) as raised:
        MastodonFetcher(FakeTransport(response_of(exchange, status=429))).fetch(
            mastodon("notifications"), {}, TOKEN, epoch("2026-08-01T13:54:00+00:00"))
    assert raised.value.retry_after == pytest.approx(60.940463)


@pytest.mark.parametrize("name", ["search_v2.exchange.json", "search_v2_statuses_empty.exchange.json"])
def test_a_recorded_search_without_statuses_is_no_mentions(name: str) -> None:
    fake = FakeTransport(response_of(load(MASTODON, name)))
    result = MastodonFetcher(fake).fetch(mastodon("search", query="mastodonpy_test"), {}, TOKEN, 0.0)
    assert result.mentions == [] and result.watermark == {}
    assert fake.sent[0].path == "/api/v2/search" and fake.sent[0].query["type"] == ["statuses"]


def test_the_documented_status_becomes_a_mention_through_a_hashtag_timeline() -> None:
    documented = load(MASTODON, "status_entity.docs-example.json")
    (found,) = MastodonFetcher(FakeTransport(json_response(200, [documented]))).fetch(
        mastodon("hashtag", tag="chorus"), {}, None, 0.0).mentions
    assert found.platform_id == documented["id"] and found.author.followers == documented["account"]["followers_count"]
    assert found.text and "<" not in found.text


# ------------------------------------------------------------------------------------------- X
X_TOKEN = Credentials({"access_token": "x-token"})
SPEC = json.loads((X / "openapi.xdk.json").read_text(encoding="utf-8"))


def operation_parameters(path: str) -> dict[str, dict[str, Any]]:
    parameters = SPEC["paths"][path]["get"]["parameters"]
    resolved = [SPEC["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p for p in parameters]
    return {parameter["name"]: parameter["schema"] for parameter in resolved}


def inline_tweet_fields() -> set[str]:
    """The spec's shared field components were renamed for the SDK (`post.fields`, `referenced_posts`); the API
    takes `tweet.fields`, whose values are still listed inline on other operations (the streams)."""
    for operation in (op for path in SPEC["paths"].values() for op in path.values() if isinstance(op, dict)):
        for parameter in operation.get("parameters", []):
            if parameter.get("name") == "tweet.fields":
                return set(parameter["schema"]["items"]["enum"])
    raise AssertionError("no inline tweet.fields parameter in the spec")


def assert_valid_x_query(sent: Sent, path: str) -> None:
    allowed = operation_parameters(path)
    assert "post.fields" in allowed  # the renamed component this operation refers to
    assert set(sent.query["tweet.fields"][0].split(",")) <= inline_tweet_fields()
    assert set(sent.query["user.fields"][0].split(",")) <= set(allowed["user.fields"]["items"]["enum"])
    assert set(sent.query["expansions"][0].split(",")) <= set(allowed["expansions"]["items"]["enum"])
    assert allowed["max_results"]["minimum"] <= int(sent.query["max_results"][0]) <= allowed["max_results"]["maximum"]


def test_a_recorded_recent_search_becomes_mentions_dated_by_their_ids() -> None:
    exchange = load(X, "search_recent.exchange.json")
    fake = FakeTransport(replay(exchange))
    result = XFetcher(fake).fetch(SourceSpec("x1", "x", {"mode": "search", "query": "Tweepy"}), {}, X_TOKEN, 0.0)

    assert_valid_x_query(fake.sent[0], "/2/tweets/search/recent")
    assert len(result.mentions) == 10
    for mention in result.mentions:  # each text starts with the time the test client posted it
        client_time = datetime.fromisoformat(mention.text[:26]).replace(tzinfo=UTC)
        assert 0 <= (mention.created_at - client_time).total_seconds() < 2
    assert result.watermark == {"since_id": exchange["response"]["body"]["meta"]["newest_id"]}


def test_recorded_user_mentions_become_mentions() -> None:
    exchange = load(X, "users_mentions.exchange.json")
    fake = FakeTransport(replay(exchange))
    result = XFetcher(fake).fetch(SourceSpec("x2", "x", {"mode": "mentions", "user_id": "783214"}), {}, X_TOKEN, 0.0)

    assert_valid_x_query(fake.sent[0], "/2/users/{id}/mentions")
    assert len(result.mentions) == 10 and all("@" in m.text.lower() for m in result.mentions)
    assert result.mentions[-1].platform_id == exchange["response"]["body"]["meta"]["newest_id"]


def test_authors_come_from_includes_users_with_their_followers() -> None:
    body = load(X, "search_with_expansions.sns-sdks.json")
    metrics_schema = SPEC["components"]["schemas"]["UserPublicMetrics"]
    assert "followers_count" in metrics_schema["required"]
    for number, user in enumerate(body["includes"]["users"]):
        user["public_metrics"] = {"followers_count": 1000 + number, "following_count": 1, "tweet_count": 1,
                                  "listed_count": 0}
    result = XFetcher(FakeTransport(json_response(200, body))).fetch(
        SourceSpec("x1", "x", {"mode": "search", "query": "snow"}), {}, X_TOKEN, 0.0)

    by_id = {m.platform_id: m for m in result.mentions}
    first = by_id["1276035977375477760"]
    assert (first.author.handle, first.author.name, first.author.followers) == (
        "@happycamper", "Emily Waligoske 🏕", 1000)
    assert first.in_reply_to == "1275653067283759104"
    assert "t.co" not in first.text  # the attached photo's link is not part of what was said
    assert by_id["1275882613572583424"].author.followers == 1001
    assert by_id["1275763727908798470"].language_hint is None  # lang "und"


def test_a_recorded_x_limit_waits_until_the_epoch_reset() -> None:
    exchange = load(X, "search_recent.exchange.json")
    reset = int(exchange["response"]["headers"]["x-rate-limit-reset"])
    with pytest.raises(RateLimited) as raised:
        XFetcher(FakeTransport(response_of(exchange, status=429))).fetch(
            SourceSpec("x1", "x", {"mode": "search", "query": "Tweepy"}), {}, X_TOKEN, reset - 420.0)
    assert raised.value.retry_after == 420


# ------------------------------------------------------------------------------------------- Reddit
APP = Credentials({"client_id": "<CLIENT_ID>", "client_secret": "<CLIENT_SECRET>"})
REDDIT_SEARCH = SourceSpec("r1", "reddit", {"query": "praw oauth search"})


def test_a_recorded_token_and_search_listing_become_mentions() -> None:
    token = load(REDDIT, "oauth_access_token.exchange.json")
    listing = load(REDDIT, "search_r_all.exchange.json")

    def search(sent: Sent) -> Response:
        assert sent.header("Authorization") == "Bearer <ACCESS_TOKEN>"
        assert sent.query["q"] == ["praw oauth search"]
        assert sent.query["sort"] == ["new"] and sent.query["raw_json"] == ["1"]
        return response_of(listing)

    result = RedditFetcher(FakeTransport(replay(token), search)).fetch(
        REDDIT_SEARCH, {}, APP, epoch("2016-07-12T17:11:28+00:00"))
    children = [child["data"] for child in listing["response"]["body"]["data"]["children"]]
    assert sorted(m.platform_id for m in result.mentions) == sorted(child["name"] for child in children)
    newest = max(children, key=lambda child: child["created_utc"])
    found = next(m for m in result.mentions if m.platform_id == newest["name"])
    assert (found.title, found.url) == (newest["title"], f"https://www.reddit.com{newest['permalink']}")
    assert found.author.handle == f"u/{newest['author']}" and found.engagement.replies == newest["num_comments"]
    created = datetime.fromtimestamp(newest["created_utc"], tz=UTC)
    assert result.watermark["newest"] == created.isoformat().replace("+00:00", "Z")
    assert result.requests == 2


def test_the_current_listing_format_parses_and_skips_comments() -> None:
    overview = load(REDDIT, "user_overview_listing_2026.exchange.json")
    token = load(REDDIT, "oauth_access_token.exchange.json")
    result = RedditFetcher(FakeTransport(replay(token), response_of(overview))).fetch(REDDIT_SEARCH, {}, APP, 0.0)
    submissions = [c for c in overview["response"]["body"]["data"]["children"] if c["kind"] == "t3"]
    assert len(result.mentions) == len(submissions) == 10


def test_a_limit_with_the_recorded_headers_waits_the_seconds_they_give() -> None:
    overview = load(REDDIT, "user_overview_listing_2026.exchange.json")
    token = load(REDDIT, "oauth_access_token.exchange.json")
    with pytest.raises(RateLimited) as raised:
        RedditFetcher(FakeTransport(replay(token), response_of(overview, status=429))).fetch(
            REDDIT_SEARCH, {}, APP, 0.0)
    assert raised.value.retry_after == float(overview["response"]["headers"]["x-ratelimit-reset"])


# ------------------------------------------------------------------------------------------- Bluesky
BSKY_NOW = epoch("2026-08-01T12:00:00+00:00")
SESSION = {"accessJwt": "eyJ.access", "refreshJwt": "eyJ.refresh", "handle": "chorus.bsky.social",
           "did": "did:plc:u5cwb2mwiv2bfq53cjufe6yn"}
RECORDS = ["post_record_langs", "post_record_facets_mention_link", "post_record_reply", "post_record_quote",
           "post_record_external_card"]
FAN = {"did": "did:plc:ewvi7nxzyoun6zhxrhs64oiz", "handle": "atproto.com", "displayName": "AT Protocol"}


def record(name: str) -> dict[str, Any]:
    return load(BLUESKY, f"examples/{name}.docs-example.json")


def post_view(number: int, name: str) -> dict[str, Any]:
    return {"uri": f"at://{FAN['did']}/app.bsky.feed.post/3k4duaz5vfs{number}b",
            "cid": "bafyreibjifzpqj6o6wcq3hejh7y4z4z2vmiklkvykc57tw3pcbx3kxifpm", "author": FAN, "record": record(name),
            "replyCount": 0, "repostCount": number, "likeCount": 2 * number, "quoteCount": 0,
            "indexedAt": f"2023-08-1{number}T12:00:00.000Z"}  # after every example's createdAt


def query_errors(nsid: str, sent: Sent) -> list[str]:
    """Everything wrong with a query's parameters against the lexicon's `parameters` (query strings typed first)."""
    parameters = LEXICONS.docs[nsid]["defs"]["main"]["parameters"]
    properties = parameters["properties"]
    unknown = [f"{name}: not a parameter of {nsid}" for name in sent.query if name not in properties]
    typed: dict[str, Any] = {}
    for name, values in sent.query.items():
        kind = properties.get(name, {}).get("type")
        typed[name] = values if kind == "array" else int(values[0]) if kind == "integer" else values[0]
    # The validator checks the defs of documents it knows: the parameters are registered as a document of their own.
    LEXICONS.docs.setdefault(f"{nsid}.parameters", {"id": f"{nsid}.parameters", "defs": {"main": parameters}})
    return unknown + LEXICONS.errors(typed, f"{nsid}.parameters")


def answer(nsid: str, body: dict[str, Any]) -> Callable[[Sent], Response]:
    assert LEXICONS.errors(body, nsid, "output") == []

    def reply(sent: Sent) -> Response:
        assert sent.path == f"/xrpc/{nsid}"
        assert query_errors(nsid, sent) == []
        return json_response(200, body)
    return reply


def sign_in(sent: Sent) -> Response:
    assert LEXICONS.errors(sent.json, "com.atproto.server.createSession", "input") == []
    assert LEXICONS.errors(SESSION, "com.atproto.server.createSession", "output") == []
    return json_response(200, SESSION)


def test_the_query_validator_catches_what_the_lexicon_forbids() -> None:
    wrong = Sent("GET", "https://x.example/xrpc/app.bsky.feed.searchPosts?limit=500&lang=not+a+language&colour=blue",
                 {}, None, None)
    errors = query_errors("app.bsky.feed.searchPosts", wrong)
    assert any("q: required" in e for e in errors) and any("out of range" in e for e in errors)
    assert any("not a language" in e for e in errors) and any("colour" in e for e in errors)


@pytest.mark.parametrize("credentials",
                         [None, Credentials({"handle": "chorus.bsky.social", "app_password": "app-pass"})],
                         ids=["anonymous", "signed-in"])
def test_search_results_built_from_the_lexicon_become_mentions(credentials: Credentials | None) -> None:
    posts = [post_view(number, name) for number, name in enumerate(RECORDS)]
    replies = ([sign_in] if credentials else []) + [answer("app.bsky.feed.searchPosts", {"posts": posts[::-1]})]
    result = BlueskyFetcher(FakeTransport(*replies)).fetch(
        SourceSpec("b1", "bluesky", {"mode": "search", "query": "atproto"}), {}, credentials, BSKY_NOW)

    by_text = {m.text: m for m in result.mentions}
    assert set(by_text) == {record(name)["text"] for name in RECORDS}
    assert by_text[record("post_record_langs")["text"]].language_hint == "th"
    reply = by_text["example of a reply"]
    assert reply.in_reply_to == reply.thread_root == record("post_record_reply")["reply"]["parent"]["uri"]
    assert reply.created_at == datetime(2023, 8, 7, 5, 49, 40, 501974, tzinfo=UTC)
    quote = by_text["example of a quote-post"]
    assert (quote.author.handle, quote.author.followers, quote.engagement.reposts) == ("atproto.com", None, 3)
    assert quote.url == "https://bsky.app/profile/atproto.com/post/3k4duaz5vfs3b"


def test_the_next_search_sends_a_valid_since() -> None:
    search = SourceSpec("b1", "bluesky", {"mode": "search", "query": "atproto"})
    found = {"posts": [post_view(1, "post_record_langs")]}
    first = BlueskyFetcher(FakeTransport(answer("app.bsky.feed.searchPosts", found))).fetch(search, {}, None, BSKY_NOW)
    fake = FakeTransport(answer("app.bsky.feed.searchPosts", {"posts": []}))
    BlueskyFetcher(fake).fetch(search, first.watermark, None, BSKY_NOW)
    assert fake.sent[0].query["since"] == [record("post_record_langs")["createdAt"]]


OUR_POST = "at://did:plc:u5cwb2mwiv2bfq53cjufe6yn/app.bsky.feed.post/3k43tv4rft22g"
ACCOUNT = Credentials({"handle": "chorus.bsky.social", "app_password": "app-pass"})


def notification(view: dict[str, Any], reason: str) -> dict[str, Any]:
    profile = {**FAN, "description": "The protocol", "indexedAt": "2023-08-01T00:00:00.000Z"}  # a profileView
    about_our_post = {"reasonSubject": OUR_POST} if reason != "mention" else {}
    made = {"uri": view["uri"], "cid": view["cid"], "author": profile, "reason": reason, "record": view["record"],
            "isRead": False, "indexedAt": view["indexedAt"], **about_our_post}
    assert LEXICONS.errors(made, "app.bsky.notification.listNotifications#notification") == []
    return made


def test_notifications_built_from_the_lexicon_become_mentions() -> None:
    kept = {"post_record_facets_mention_link": "mention", "post_record_reply": "reply", "post_record_quote": "quote"}
    notifications = [notification(post_view(number, name), reason)
                     for number, (name, reason) in enumerate([*kept.items(), ("post_record_langs", "like")])]
    fake = FakeTransport(sign_in,
                         answer("app.bsky.notification.listNotifications", {"notifications": notifications[::-1]}))
    result = BlueskyFetcher(fake).fetch(SourceSpec("b2", "bluesky", {"mode": "notifications"}), {}, ACCOUNT, BSKY_NOW)

    assert {m.text for m in result.mentions} == {record(name)["text"] for name in kept}
    assert result.watermark["newest"] == "2023-08-12T12:00:00Z"  # the quote's indexedAt: the like is not ours to track
