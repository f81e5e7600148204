"""BlueskyConnector against the official lexicons and the documentation's post records. No Bluesky exchange with a
redistribution licence exists, so the fake PDS answers with bodies built from the lexicons' output schemas, and
every body the connector sends is validated against the lexicons."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.platforms.base import PermanentFailure, PublishRequest, RateLimited
from chorus.platforms.bluesky import BlueskyConnector, tid_for
from chorus.platforms.transport import Response
from tests.contract.lexicon import Lexicons
from tests.contract.recorded import load, platform_dir
from tests.unit.platforms.fakes import Clock, FakeTransport, Reply, Sent, json_response

FOLDER = platform_dir("bluesky")
LEXICONS = Lexicons(FOLDER / "lexicons")
NOW = 1_785_585_600.0  # 2026-08-01T12:00:00Z
SESSION = {  # com.atproto.server.createSession output: the required fields
    "accessJwt": "eyJ.access.1", "refreshJwt": "eyJ.refresh.1", "handle": "chorus.bsky.social",
    "did": "did:plc:u5cwb2mwiv2bfq53cjufe6yn",
}
CID = "bafyreig2fjxi3rptqdgylg7e5hmjl6mcke7rn2b6cugzlqq3i4zu6rq52q"


def example(name: str) -> dict[str, Any]:
    return load(FOLDER, f"examples/{name}.docs-example.json")


def xrpc(nsid: str, answer: Response | Any, method: str = "POST") -> Any:
    """Asserts the call is `nsid` (with a bearer token unless signing in) and answers."""
    def reply(sent: Sent) -> Response:
        assert (sent.method, sent.path) == (method, f"/xrpc/{nsid}")
        if nsid != "com.atproto.server.createSession":
            assert (sent.header("Authorization") or "").startswith("Bearer eyJ.")
        return answer if isinstance(answer, Response) else json_response(200, answer)
    return reply


def sign_in() -> Any:
    assert LEXICONS.errors(SESSION, "com.atproto.server.createSession", "output") == []
    def reply(sent: Sent) -> Response:
        assert LEXICONS.errors(sent.json, "com.atproto.server.createSession", "input") == []
        return xrpc("com.atproto.server.createSession", SESSION)(sent)
    return reply


def put_record(sent: Sent) -> Response:
    assert (sent.method, sent.path) == ("POST", "/xrpc/com.atproto.repo.putRecord")
    body = sent.json
    # putRecord's lexicon is not in the shared folder: its input is createRecord's with a required rkey and swapRecord.
    create_input = {k: v for k, v in body.items() if k != "swapRecord"}
    assert LEXICONS.errors(create_input, "com.atproto.repo.createRecord", "input") == []
    assert body["rkey"] and "swapRecord" in body and body["swapRecord"] is None
    assert body["record"]["$type"] == body["collection"] == "app.bsky.feed.post"
    assert LEXICONS.errors(body["record"], "app.bsky.feed.post", "record") == []
    output = {"uri": f"at://{body['repo']}/{body['collection']}/{body['rkey']}", "cid": CID}
    assert LEXICONS.errors(output, "com.atproto.repo.createRecord", "output") == []
    return json_response(200, output)


def connector(*replies: Reply, clock: Clock | None = None) -> tuple[BlueskyConnector, FakeTransport]:
    fake = FakeTransport(*replies)
    bluesky = BlueskyConnector("https://pds.example", "chorus.bsky.social", "app-pass-word", transport=fake,
                               clock=clock or Clock(NOW))
    return bluesky, fake


# ------------------------------------------------------------------------------------------- the validator itself
@pytest.mark.parametrize("name", ["post_record_langs", "post_record_facets_mention_link", "post_record_reply",
                                  "post_record_quote", "post_record_external_card"])
def test_the_documented_records_pass_the_validator(name: str) -> None:
    assert LEXICONS.errors(example(name), "app.bsky.feed.post", "record") == []


def test_the_basic_example_is_a_strong_ref_not_a_record() -> None:
    basic = example("post_record_basic")  # the docs' "basic" block is createRecord's answer: {uri, cid}
    assert LEXICONS.errors(basic, "com.atproto.repo.strongRef") == []
    assert LEXICONS.errors(basic, "app.bsky.feed.post", "record") == [
        "app.bsky.feed.post.text: required", "app.bsky.feed.post.createdAt: required"]


def test_the_validator_catches_what_the_post_lexicon_forbids() -> None:
    record = {"$type": "app.bsky.feed.post", "text": "é" * 301, "createdAt": "2026-08-01 12:00",
              "langs": ["nl", "en", "de", "fr"],
              "facets": [{"index": {"byteStart": -1, "byteEnd": 3},
                          "features": [{"$type": "app.bsky.richtext.facet#mention", "did": "alice"}]}]}
    errors = LEXICONS.errors(record, "app.bsky.feed.post", "record")
    assert any("graphemes" in e for e in errors) and any("datetime" in e for e in errors)
    assert any("4 items" in e for e in errors)
    assert any("out of range" in e for e in errors) and any("not a did" in e for e in errors)


# ------------------------------------------------------------------------------------------- publish
def test_publish_puts_a_valid_record_under_the_key_derived_from_the_idempotency_key() -> None:
    bluesky, fake = connector(sign_in(), put_record)
    published = bluesky.publish(PublishRequest("Goedemorgen!", "post-1.bsky.20260801T120000Z"))
    rkey = tid_for("post-1.bsky.20260801T120000Z")
    assert published.platform_id == f"at://{SESSION['did']}/app.bsky.feed.post/{rkey}"
    assert published.url == f"https://bsky.app/profile/chorus.bsky.social/post/{rkey}"
    record = fake.sent[1].json["record"]
    assert record == {"$type": "app.bsky.feed.post", "text": "Goedemorgen!", "createdAt": "2026-08-01T12:00:00.000Z"}
    assert fake.sent[1].json["repo"] == SESSION["did"]
    fake.assert_done()


def test_a_retry_finds_its_own_earlier_post_instead_of_posting_again() -> None:
    swap = json_response(400, {"error": "InvalidSwap", "message": "Record was at bafyrei..."})
    bluesky, fake = connector(sign_in(), put_record, xrpc("com.atproto.repo.putRecord", swap))
    first = bluesky.publish(PublishRequest("Goedemorgen!", "post-1"))
    again = bluesky.publish(PublishRequest("Goedemorgen!", "post-1"))
    assert again == first
    assert fake.sent[1].json["rkey"] == fake.sent[2].json["rkey"]


def test_the_documented_facets_are_reproduced_byte_for_byte() -> None:
    documented = example("post_record_facets_mention_link")
    did = documented["facets"][0]["features"][0]["did"]

    def resolve(sent: Sent) -> Response:
        assert sent.query == {"handle": ["atproto.com"]}
        return xrpc("com.atproto.identity.resolveHandle", {"did": did}, method="GET")(sent)

    bluesky, fake = connector(sign_in(), resolve, put_record)
    bluesky.publish(PublishRequest(documented["text"], "k"))
    assert fake.sent[2].json["record"]["facets"] == documented["facets"]


def test_a_handle_that_does_not_resolve_gets_no_facet() -> None:
    unknown = json_response(400, {"error": "InvalidRequest", "message": "Unable to resolve handle"})
    bluesky, fake = connector(sign_in(), xrpc("com.atproto.identity.resolveHandle", unknown, "GET"), put_record)
    bluesky.publish(PublishRequest("Hoi @nobody.example.nl, zie https://chorus.example/a", "k"))
    (facet,) = fake.sent[2].json["record"]["facets"]
    assert facet["features"][0] == {"$type": "app.bsky.richtext.facet#link", "uri": "https://chorus.example/a"}


def test_a_reply_carries_strong_refs_to_parent_and_root() -> None:
    documented = example("post_record_reply")
    parent = documented["reply"]["parent"]
    original = {"$type": "app.bsky.feed.post", "text": "vraag", "createdAt": "2023-08-07T05:49:00.000Z"}

    def get_record(sent: Sent) -> Response:
        uri = parent["uri"].removeprefix("at://").split("/")
        assert sent.query == {"repo": [uri[0]], "collection": [uri[1]], "rkey": [uri[2]]}
        return xrpc("com.atproto.repo.getRecord", {**parent, "value": original}, "GET")(sent)

    bluesky, fake = connector(sign_in(), get_record, put_record)
    bluesky.publish(PublishRequest("example of a reply", "k", in_reply_to=parent["uri"]))
    assert fake.sent[2].json["record"]["reply"] == documented["reply"]


def test_a_reply_to_a_reply_keeps_the_threads_root() -> None:
    root = {"uri": "at://did:plc:root/app.bsky.feed.post/3k43tv4rft22g", "cid": CID}
    parent = {"uri": "at://did:plc:other/app.bsky.feed.post/3k44deefqdk2g",
              "cid": "bafyreiecx6dujwoeqpdzl27w67z4h46hyklk3an4i4cvvmioaqb2qbyo5u"}
    value = {"$type": "app.bsky.feed.post", "text": "antwoord", "createdAt": "2023-08-07T05:49:39.417839Z",
             "reply": {"root": root, "parent": root}}
    bluesky, fake = connector(sign_in(), xrpc("com.atproto.repo.getRecord", {**parent, "value": value}, "GET"),
                              put_record)
    bluesky.publish(PublishRequest("en nog iets", "k", in_reply_to=parent["uri"]))
    assert fake.sent[2].json["record"]["reply"] == {"root": root, "parent": parent}


def test_a_reply_needs_an_at_uri() -> None:
    bluesky, _ = connector(sign_in())
    with pytest.raises(PermanentFailure, match="at://"):
        bluesky.publish(PublishRequest("hoi", "k", in_reply_to="https://bsky.app/profile/x/post/y"))


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=["Cs"], exclude_characters="@"), max_size=300))
def test_any_text_within_the_limits_makes_a_valid_record(text: str) -> None:
    bluesky, fake = connector()  # no mention, no reply: building the record needs no call
    record = bluesky.build_record(PublishRequest(text, "k"))
    assert LEXICONS.errors(record, "app.bsky.feed.post", "record") == []
    assert fake.sent == []


# ------------------------------------------------------------------------------------------- reading and deleting
def test_recent_posts_lists_the_accounts_post_records_newest_first() -> None:
    records = [
        {"uri": f"at://{SESSION['did']}/app.bsky.feed.post/{tid_for(str(n))}", "cid": CID, "value": example(name)}
        for n, name in enumerate(["post_record_reply", "post_record_langs", "post_record_quote"])
    ]
    page = {"records": records, "cursor": "3k43tv4rft22g"}
    assert LEXICONS.errors(records[0], "com.atproto.repo.strongRef") == []

    def list_records(sent: Sent) -> Response:
        assert sent.query == {"repo": [SESSION["did"]], "collection": ["app.bsky.feed.post"], "limit": ["100"]}
        return xrpc("com.atproto.repo.listRecords", page, "GET")(sent)

    bluesky, _ = connector(sign_in(), list_records)
    recent = bluesky.recent_posts(limit=2)
    assert [post.text for post in recent] == ["example of a reply", "example of a quote-post"]  # by createdAt
    assert recent[0].created_at == "2023-08-07T05:49:40.501974Z"
    assert recent[0].url == f"https://bsky.app/profile/chorus.bsky.social/post/{tid_for('0')}"


def test_delete_removes_the_record_named_by_the_uri() -> None:
    uri = f"at://{SESSION['did']}/app.bsky.feed.post/{tid_for('k')}"
    bluesky, fake = connector(sign_in(), xrpc("com.atproto.repo.deleteRecord", {}))
    bluesky.delete(uri)
    assert fake.sent[1].json == {"repo": SESSION["did"], "collection": "app.bsky.feed.post", "rkey": tid_for("k")}


def test_a_429_waits_until_the_ratelimit_reset() -> None:
    limited = Response(429, {"ratelimit-limit": "5000", "ratelimit-remaining": "0",
                             "ratelimit-reset": str(int(NOW) + 1800), "ratelimit-policy": "5000;w=3600"},
                       b'{"error":"RateLimitExceeded","message":"Rate Limit Exceeded"}')
    bluesky, _ = connector(sign_in(), xrpc("com.atproto.repo.putRecord", limited))
    with pytest.raises(RateLimited) as raised:
        bluesky.publish(PublishRequest("hoi", "k"))
    assert raised.value.retry_after == pytest.approx(1800)


def test_an_expired_session_is_refreshed_with_the_lexicons_output() -> None:
    refreshed = {**SESSION, "accessJwt": "eyJ.access.2", "refreshJwt": "eyJ.refresh.2"}
    assert LEXICONS.errors(refreshed, "com.atproto.server.refreshSession", "output") == []
    expired = json_response(400, {"error": "ExpiredToken", "message": "Token has expired"})
    bluesky, fake = connector(sign_in(), xrpc("com.atproto.repo.putRecord", expired),
                              xrpc("com.atproto.server.refreshSession", refreshed), put_record)
    bluesky.publish(PublishRequest("hoi", "k"))
    assert [s.header("Authorization") for s in fake.sent[1:]] == [
        "Bearer eyJ.access.1", "Bearer eyJ.refresh.1", "Bearer eyJ.access.2"]
