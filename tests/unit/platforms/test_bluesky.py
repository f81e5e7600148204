"""Bluesky record keys derived from idempotency keys, and rich-text facets with UTF-8 byte offsets."""
from __future__ import annotations

import re
from datetime import UTC, datetime

from hypothesis import assume, given
from hypothesis import strategies as st

from chorus.platforms.base import CredentialsRejected, PublishRequest
from chorus.platforms.bluesky import (
    TID_ALPHABET,
    BlueskyConnector,
    Span,
    byte_slice,
    link_facet,
    link_spans,
    mention_spans,
    tid_for,
)
from tests.unit.platforms.fakes import Clock, FakeTransport, json_response

TID_SYNTAX = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")  # atproto TID spec
SESSION = {"accessJwt": "access-1", "refreshJwt": "refresh-1", "handle": "chorus.example.com", "did": "did:plc:chorus"}


def tid_value(tid: str) -> int:
    value = 0
    for char in tid:
        value = value * 32 + TID_ALPHABET.index(char)
    return value


# ------------------------------------------------------------------------------------------- TIDs
@given(st.text(min_size=1, max_size=200))
def test_a_tid_is_deterministic_valid_and_in_a_plausible_range(key: str) -> None:
    tid = tid_for(key)
    assert tid == tid_for(key)
    assert len(tid) == 13 and TID_SYNTAX.match(tid)
    value = tid_value(tid)
    assert value >> 63 == 0
    moment = datetime.fromtimestamp((value >> 10) / 1_000_000, tz=UTC)
    assert datetime(2023, 1, 1, tzinfo=UTC) <= moment < datetime(2100, 1, 1, tzinfo=UTC)


@given(st.text(max_size=100), st.text(max_size=100))
def test_different_keys_give_different_tids(first: str, second: str) -> None:
    assume(first != second)
    assert tid_for(first) != tid_for(second)


def test_tids_sort_as_strings_in_numeric_order() -> None:
    keys = [f"post-{n}.channel.20261122T090000Z" for n in range(200)]
    tids = [tid_for(key) for key in keys]
    assert sorted(tids) == sorted(tids, key=tid_value)


# ------------------------------------------------------------------------------------------- facets
HOSTS = st.from_regex(r"\A[a-z0-9]{1,12}\.(nl|com|social|co\.uk)\Z")
PATHS = st.from_regex(r"\A(/[A-Za-z0-9_~%=&-]{0,10}){0,4}[A-Za-z0-9]?\Z")
PREFIXES = st.text(
    st.one_of(st.sampled_from("éèëçñøåüÄÖ€🙂👨‍❤️‍👨✨🇳🇱中文 \n"),
              st.characters(codec="utf-8", exclude_categories=["Cs"])),
    max_size=40,
)


@given(PREFIXES, HOSTS, PATHS, st.sampled_from(["", ".", "!", " en verder", ")", "\n"]))
def test_a_link_facet_slices_the_utf8_bytes_back_to_the_url(prefix: str, host: str, path: str, after: str) -> None:
    assume("://" not in prefix)
    url = f"https://{host}{path}"
    text = f"{prefix} {url}{after}"
    spans = link_spans(text)
    assert [span.value for span in spans] == [url]
    index = link_facet(text, spans[0])["index"]
    assert text.encode("utf-8")[index["byteStart"]:index["byteEnd"]].decode("utf-8") == url


def test_byte_offsets_count_bytes_not_characters() -> None:
    text = "Café ✨ 👨‍❤️‍👨 https://chorus.example/x"
    (span,) = link_spans(text)
    # Café + space: 6 bytes; ✨ + space: 4; the couple emoji is 6 code points, 20 bytes; then a space
    assert span.start == 14 and byte_slice(text, span) == {"byteStart": 31, "byteEnd": 55}


def test_link_ends_before_trailing_punctuation_and_unbalanced_parentheses() -> None:
    assert [s.value for s in link_spans("(zie https://nl.wikipedia.org/wiki/Lelystad_(stad)).")] == [
        "https://nl.wikipedia.org/wiki/Lelystad_(stad)"
    ]
    assert link_spans("geen link: mailto:x@y.nl of https://") == []


def test_mentions_are_handles_after_whitespace() -> None:
    spans = mention_spans("@alice.bsky.social dank! Mail a@b.com, of vraag (@bob.example.nl). @nodot")
    assert [(s.value, s.start) for s in spans] == [("alice.bsky.social", 0), ("bob.example.nl", 49)]
    assert Span(0, 18, "alice.bsky.social") == spans[0]


# ------------------------------------------------------------------------------------------- session
def test_an_expired_access_token_is_refreshed_once_and_the_call_repeated() -> None:
    fake = FakeTransport(
        json_response(200, SESSION),
        json_response(400, {"error": "ExpiredToken", "message": "Token has expired"}),
        json_response(200, {**SESSION, "accessJwt": "access-2", "refreshJwt": "refresh-2"}),
        json_response(200, {"handle": "chorus.example.com", "did": "did:plc:chorus"}),
    )
    connector = BlueskyConnector("https://pds.example", "chorus.example.com", "app-pass", transport=fake,
                                 clock=Clock(0))
    assert connector.verify_credentials() == "@chorus.example.com"
    assert [s.path.rsplit("/", 1)[1] for s in fake.sent] == [
        "com.atproto.server.createSession", "com.atproto.server.getSession",
        "com.atproto.server.refreshSession", "com.atproto.server.getSession",
    ]
    assert [s.header("Authorization") for s in fake.sent] == [
        None, "Bearer access-1", "Bearer refresh-1", "Bearer access-2"]
    fake.assert_done()


def test_an_expired_refresh_token_means_signing_in_again() -> None:
    fake = FakeTransport(
        json_response(200, SESSION),
        json_response(401, {"error": "ExpiredToken", "message": "Token has expired"}),
        json_response(400, {"error": "ExpiredToken", "message": "Token has expired"}),
        json_response(200, {**SESSION, "accessJwt": "access-3"}),
        json_response(200, {"handle": "chorus.example.com", "did": "did:plc:chorus"}),
    )
    connector = BlueskyConnector("https://pds.example", "chorus.example.com", "app-pass", transport=fake,
                                 clock=Clock(0))
    assert connector.verify_credentials() == "@chorus.example.com"
    assert fake.sent[3].json == {"identifier": "chorus.example.com", "password": "app-pass"}
    assert fake.sent[4].header("Authorization") == "Bearer access-3"


def test_a_revoked_app_password_is_credentials_rejected_without_the_password_in_the_message() -> None:
    fake = FakeTransport(json_response(401,
                                       {"error": "AuthenticationRequired",
                                        "message": "Invalid identifier or password"}))
    connector = BlueskyConnector("https://pds.example", "@chorus.example.com", "app-pass-secret", transport=fake)
    try:
        connector.publish(PublishRequest("hallo", "k1"))
    except CredentialsRejected as error:
        assert "app-pass-secret" not in str(error) and "Invalid identifier or password" in str(error)
    else:
        raise AssertionError("expected CredentialsRejected")
    assert fake.sent[0].json["identifier"] == "chorus.example.com"
