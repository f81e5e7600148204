"""Share intents, tracked codes, UTM parameters, link-preview bots and share URLs (chorus.advocacy.pool.rules)."""
from __future__ import annotations

from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.advocacy.pool.rules import (
    BASE62,
    CHANNEL_LETTERS,
    CODE_BASE_LENGTH,
    OURS,
    is_http_url,
    is_link_preview,
    link_bases_in,
    mastodon_instance,
    normalise_url,
    parse_code,
    platform_of,
    post_id_of,
    share_intents,
    tracked_links,
    url_key,
    urls_in_html,
    with_utm,
)

API = "https://abc123.execute-api.eu-west-1.amazonaws.com/api"
bases = st.text(alphabet=BASE62, min_size=CODE_BASE_LENGTH, max_size=CODE_BASE_LENGTH)
texts = st.text(min_size=0, max_size=400)
query_keys = st.text(alphabet="abcdefghij_", min_size=1, max_size=8).filter(lambda k: k not in OURS)
query_pairs = st.lists(st.tuples(query_keys, st.text(max_size=12)), max_size=6)


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


# ---------------------------------------------------------------------------------------------------- intents
@given(texts, texts, texts, texts, bases)
def test_every_text_survives_the_url_encoding_of_its_intent(x: str, linkedin: str, bluesky: str, mastodon: str,
                                                            base: str) -> None:
    links = tracked_links(API, base)
    intents = share_intents({"x": x, "linkedin": linkedin, "bluesky": bluesky, "mastodon": mastodon}, links,
                            {"mastodon": "@ann@social.example"})
    assert query_of(intents["x"]) == {"text": [x], "url": [links["x"]]}
    assert query_of(intents["bluesky"]) == {"text": [f"{bluesky.rstrip()} {links['bluesky']}"]}
    assert query_of(intents["mastodon"]) == {"text": [f"{mastodon.rstrip()} {links['mastodon']}"]}
    assert query_of(intents["linkedin"]) == {"url": [links["linkedin"]]}
    assert query_of(intents["facebook"]) == {"u": [links["facebook"]]}
    assert {urlsplit(url).netloc for url in intents.values()} == {
        "x.com", "www.linkedin.com", "bsky.app", "social.example", "www.facebook.com"}


def test_each_platform_gets_its_documented_intent_and_its_own_tracked_link() -> None:
    links = tracked_links(API, "Ab3dE5gH9")
    intents = share_intents({p: "Hallo & welkom" for p in ("x", "linkedin", "bluesky", "mastodon")}, links, {})
    assert intents["x"].startswith("https://x.com/intent/tweet?text=Hallo%20%26%20welkom&url=")
    assert intents["linkedin"].startswith("https://www.linkedin.com/sharing/share-offsite/?url=")
    assert intents["bluesky"].startswith("https://bsky.app/intent/compose?text=")
    assert intents["facebook"].startswith("https://www.facebook.com/sharer/sharer.php?u=")
    assert "mastodon" not in intents  # no handle, no instance to share on
    assert links == {channel: f"{API}/r/Ab3dE5gH9{letter}" for channel, letter in CHANNEL_LETTERS.items()}


@pytest.mark.parametrize(("handle", "instance"), [("@ann@social.example", "social.example"),
                                                  ("ann@Mastodon.Social", "mastodon.social"), ("@ann", None),
                                                  ("@ann@localhost", None), ("@ann@evil.example/path", None),
                                                  (None, None)])
def test_the_mastodon_instance_comes_from_the_handle(handle: str | None, instance: str | None) -> None:
    assert mastodon_instance(handle) == instance


# ---------------------------------------------------------------------------------------------------- codes
@given(bases, st.sampled_from(sorted(CHANNEL_LETTERS)))
def test_a_code_names_its_link_and_channel(base: str, channel: str) -> None:
    code = tracked_links(API, base)[channel].rsplit("/", 1)[1]
    assert len(code) == CODE_BASE_LENGTH + 1 and parse_code(code) == (base, channel)


@pytest.mark.parametrize("code", ["", "short", "Ab3dE5gH9z", "Ab3dE5gH9xx", "Ab3dE5g-9x", "../../etc", "Ab3dE5gH9X"])
def test_a_malformed_code_is_no_link(code: str) -> None:
    assert parse_code(code) is None


def test_tracked_links_are_found_in_a_posts_html_on_any_host() -> None:
    html = ('<p>Kijk! <a href="https://chorus.example.org/r/Ab3dE5gH9m" rel="nofollow noopener" target="_blank">'
            '<span class="invisible">https://</span>chorus.example.org/r/Ab3dE5gH9m</a> and https://x.example/r/zz</p>')
    assert link_bases_in(urls_in_html(html)) == {"Ab3dE5gH9"}
    assert link_bases_in(["https://a.example/r/Ab3dE5gH9mm"]) == set()  # not a code: one character too many


# ---------------------------------------------------------------------------------------------------- UTM
@given(query_pairs, st.sampled_from(sorted(CHANNEL_LETTERS)), st.text(alphabet="abc-123", min_size=1, max_size=20))
def test_utm_parameters_are_set_once_and_the_targets_own_parameters_stay_in_order(
        pairs: list[tuple[str, str]], source: str, campaign: str) -> None:
    from urllib.parse import urlencode

    query = urlencode(pairs + [("utm_source", "newsletter"), ("utm_campaign", "old")])
    target = f"https://www.example.org/jobs?{query}#apply"
    merged = with_utm(target, source, campaign)
    found = parse_qsl(urlsplit(merged).query, keep_blank_values=True)
    assert [pair for pair in found if pair[0] not in OURS] == pairs
    assert [pair for pair in found if pair[0] in OURS] == [("utm_source", source), ("utm_medium", "ambassador"),
                                                           ("utm_campaign", campaign)]
    assert urlsplit(merged).fragment == "apply" and urlsplit(merged).path == "/jobs"
    assert with_utm(merged, source, campaign) == merged


def test_utm_on_a_target_without_parameters() -> None:
    assert with_utm("https://example.org/", "x", "offer-1") == \
        "https://example.org/?utm_source=x&utm_medium=ambassador&utm_campaign=offer-1"


# ---------------------------------------------------------------------------------------------------- bots
@pytest.mark.parametrize("agent", [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
    "http.rb/5.1.1 (Mastodon/4.2.8; +https://mastodon.social/)",
    "Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "WhatsApp/2.23.20.0",
    "TelegramBot (like TwitterBot)",
    "",
    None,
])
def test_link_preview_bots_and_agentless_requests_are_not_people(agent: str | None) -> None:
    assert is_link_preview(agent)


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 "
    "Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36",
])
def test_browsers_are_people(agent: str) -> None:
    assert not is_link_preview(agent)


# ---------------------------------------------------------------------------------------------------- share URLs
@pytest.mark.parametrize("variant", [
    "https://x.com/ann/status/1850000000000000000",
    "https://twitter.com/ann/status/1850000000000000000?s=20&t=abc",
    "http://www.x.com/ann/status/1850000000000000000/",
    "https://mobile.twitter.com/ann/status/1850000000000000000#reply",
    "https://x.com/ann/status/1850000000000000000?utm_source=share",
])
def test_spellings_of_one_post_are_one_share(variant: str) -> None:
    assert normalise_url(variant) == "https://x.com/ann/status/1850000000000000000"
    assert url_key(variant) == url_key("https://x.com/ann/status/1850000000000000000")


@given(st.sampled_from(["https://", "http://"]),
       st.sampled_from(["www.example.org", "Example.ORG", "example.org:8443"]),
       st.text(alphabet="abc/-_", max_size=20), query_pairs)
def test_normalising_twice_changes_nothing(scheme: str, host: str, path: str, pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import urlencode

    once = normalise_url(f"{scheme}{host}/{path}?{urlencode(pairs)}")
    assert normalise_url(once) == once


@pytest.mark.parametrize(("url", "platform"), [
    ("https://x.com/ann/status/1", "x"), ("https://twitter.com/ann/status/1", "x"),
    ("https://www.linkedin.com/posts/ann_activity-1", "linkedin"),
    ("https://bsky.app/profile/ann.bsky.social/post/3k", "bluesky"),
    ("https://www.facebook.com/ann/posts/1", "facebook"), ("https://social.example/@ann/1234", "mastodon"),
    ("https://other.instance/@ann/1234", "mastodon"), ("https://ann.example/blog/post", "other"),
])
def test_the_platform_of_a_shared_post_comes_from_its_url(url: str, platform: str) -> None:
    assert platform_of(url, ["social.example"]) == platform


def test_the_platform_id_of_a_confirmed_share_lets_its_replies_be_counted() -> None:
    assert post_id_of("https://social.example/@ann/1234", "mastodon", "social.example") == "1234"
    assert post_id_of("https://other.example/@ann/1234", "mastodon", "social.example") is None  # not their instance
    assert post_id_of("https://bsky.app/profile/ann.bsky.social/post/3kabc", "bluesky", None) == \
        "at://ann.bsky.social/app.bsky.feed.post/3kabc"
    assert post_id_of("https://x.com/ann/status/1", "x", None) is None


@pytest.mark.parametrize(("url", "ok"), [("https://example.org/a", True), ("http://example.org", True),
                                         ("javascript:alert(1)", False), ("ftp://example.org/x", False),
                                         ("https:///nohost", False), ("https://example.org/a b", False),
                                         ("https://example.org/" + "a" * 2000, False)])
def test_only_http_urls_are_targets(url: str, ok: bool) -> None:
    assert is_http_url(url) is ok
