"""Per-platform details the recorded exchanges do not cover: text round trips, deletes, paging bounds, replies."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.platforms.base import OutcomeUnknown, PermanentFailure, PublishRequest
from chorus.platforms.linkedin import LinkedInConnector, escape_little_text, unescape_little_text
from chorus.platforms.mastodon import MastodonConnector, html_to_text
from chorus.platforms.transport import Response
from chorus.platforms.x import XConnector, posted_text
from tests.unit.platforms.fakes import FakeTransport, json_response

ORG = "urn:li:organization:2414183"


# ------------------------------------------------------------------------------------------- Mastodon
@pytest.mark.parametrize("content, text", [
    ("<p>Toot!</p>", "Toot!"),
    ("<p>Regel een<br />regel twee</p><p>Alinea twee &amp; &lt;drie&gt;</p>",
     "Regel een\nregel twee\n\nAlinea twee & <drie>"),
    ('<p>Zie <a href="https://chorus.example/a/b"><span class="invisible">https://</span>'
     '<span class="ellipsis">chorus.example/a</span><span class="invisible">/b</span></a> #<span>tag</span></p>',
     "Zie https://chorus.example/a/b #tag"),
    ("", ""),
])
def test_mastodon_html_becomes_the_text_that_was_posted(content: str, text: str) -> None:
    assert html_to_text(content) == text


def test_mastodon_reply_and_idempotency_key_go_with_the_status() -> None:
    fake = FakeTransport(json_response(200, {"id": "2", "url": "https://m.example/@c/2"}))
    published = MastodonConnector("https://m.example/", "tok",
                                  transport=fake).publish(PublishRequest("Dank je!", "key-1", in_reply_to="1"))
    assert published.platform_id == "2"
    (sent,) = fake.sent
    assert sent.url == "https://m.example/api/v1/statuses"
    assert sent.form() == {"status": ["Dank je!"], "visibility": ["public"], "in_reply_to_id": ["1"]}
    assert sent.header("Idempotency-Key") == "key-1"


def test_mastodon_account_id_is_looked_up_once() -> None:
    fake = FakeTransport(json_response(200, {"id": "7", "acct": "chorus"}), json_response(200, []),
                         json_response(200, []))
    connector = MastodonConnector("https://m.example", "tok", transport=fake)
    connector.recent_posts(100)
    connector.recent_posts(5)
    assert [s.path for s in fake.sent] == [
        "/api/v1/accounts/verify_credentials", "/api/v1/accounts/7/statuses", "/api/v1/accounts/7/statuses"]
    assert fake.sent[1].query == {"limit": ["40"], "exclude_replies": ["false"], "exclude_reblogs": ["true"]}


@pytest.mark.parametrize("build, platform_id, path", [
    (lambda fake: MastodonConnector("https://m.example", "tok", transport=fake), "1", "/api/v1/statuses/1"),
    (lambda fake: XConnector("tok", transport=fake), "1", "/2/tweets/1"),
    (lambda fake: LinkedInConnector("tok", ORG, transport=fake), "urn:li:share:1", "/rest/posts/urn%3Ali%3Ashare%3A1"),
])
def test_deleting_what_is_already_gone_is_not_an_error(build, platform_id: str, path: str) -> None:
    fake = FakeTransport(json_response(404, {"error": "Record not found"}),
                         json_response(404, {"error": "Record not found"}))
    build(fake).delete(platform_id)
    assert (fake.sent[0].method, fake.sent[0].path) == ("DELETE", path)


def test_mastodon_says_so_when_a_404_delete_left_the_status_in_place() -> None:
    fake = FakeTransport(json_response(404, {"error": "Not Found"}),
                         json_response(200, {"id": "1", "content": "<p>nog hier</p>"}))
    with pytest.raises(PermanentFailure):
        MastodonConnector("https://m.example", "tok", transport=fake).delete("1")
    assert [(s.method, s.path) for s in fake.sent] == [("DELETE", "/api/v1/statuses/1"), ("GET", "/api/v1/statuses/1")]


# ------------------------------------------------------------------------------------------- X
def test_x_reply_body_and_page_bounds() -> None:
    fake = FakeTransport(
        json_response(201, {"data": {"id": "10", "text": "ok"}}),
        json_response(200, {"data": {"id": "5", "username": "chorus"}}),
        json_response(200, {"meta": {"result_count": 0}}),
    )
    connector = XConnector("tok", transport=fake)
    connector.publish(PublishRequest("ok", "k", in_reply_to="9"))
    assert fake.sent[0].json == {"text": "ok", "reply": {"in_reply_to_tweet_id": "9"}}
    assert connector.recent_posts(2) == []  # no `data` at all when the account has no posts
    assert fake.sent[2].query["max_results"] == ["5"]  # the API refuses fewer than 5


def test_x_answer_without_a_post_is_a_permanent_failure() -> None:
    fake = FakeTransport(json_response(200, {"errors": [{"title": "Forbidden", "detail": "duplicate content"}]}))
    with pytest.raises(PermanentFailure, match="duplicate content"):
        XConnector("tok", transport=fake).publish(PublishRequest("ok", "k"))


def test_x_text_comes_back_as_posted() -> None:
    post = {
        "text": "Q&amp;A over &lt;Chorus&gt;: https://t.co/abc https://t.co/pic",
        "entities": {"urls": [
            {"url": "https://t.co/abc", "expanded_url": "https://chorus.example/qa",
             "display_url": "chorus.example/qa"},
            {"url": "https://t.co/pic", "expanded_url": "https://x.com/c/status/1/photo/1",
             "display_url": "pic.x.com/pic", "media_key": "3_1"},
        ]},
    }
    assert posted_text(post) == "Q&A over <Chorus>: https://chorus.example/qa"


# ------------------------------------------------------------------------------------------- LinkedIn
@given(st.text())
def test_little_text_escaping_round_trips(text: str) -> None:
    assert unescape_little_text(escape_little_text(text)) == text


def test_little_text_reserved_characters_are_escaped() -> None:
    assert escape_little_text("Vacature (m/v) @Acme [NL] {x} <y> a|b ~c_d*e \\") == (
        "Vacature \\(m/v\\) \\@Acme \\[NL\\] \\{x\\} \\<y\\> a\\|b \\~c\\_d\\*e \\\\"
    )
    assert escape_little_text("#hashtag blijft") == "#hashtag blijft"


def test_linkedin_cannot_reply_and_needs_the_new_posts_id() -> None:
    with pytest.raises(PermanentFailure, match="reply"):
        LinkedInConnector("tok", ORG,
                          transport=FakeTransport()).publish(PublishRequest("x", "k", in_reply_to="urn:li:share:1"))
    with pytest.raises(OutcomeUnknown, match="x-restli-id"):
        LinkedInConnector("tok", ORG, transport=FakeTransport(Response(201))).publish(PublishRequest("x", "k"))


def test_linkedin_hashtag_templates_read_back_as_hashtags() -> None:
    assert (unescape_little_text("Kom \\(gratis\\) {hashtag|\\#|werken} bij ons {hashtag|#|Lelystad}")
            == "Kom (gratis) #werken bij ons #Lelystad")
    assert unescape_little_text(escape_little_text("{hashtag|#|letterlijk}")) == "{hashtag|#|letterlijk}"
