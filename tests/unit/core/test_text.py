"""Per-platform length rules, Dutch tone of voice and duplicate keys (chorus.core.text)."""
from __future__ import annotations

import unicodedata

import pytest
import regex
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.core.errors import ValidationError
from chorus.core.text import (
    DEFAULT_LIMITS,
    check_length,
    duplicate_key,
    length_limit,
    text_length,
    tone_warning,
    tone_words,
)

PLATFORMS = sorted(DEFAULT_LIMITS)
FAMILY = "\U0001F468\u200D\U0001F469\u200D\U0001F467"  # 👨‍👩‍👧: five code points, one grapheme
LONG_URL = "https://example.com/" + "a" * 200 + "?q=1"

url_paths = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_/?=&%~", max_size=300)
urls = st.builds(lambda scheme, host, path: f"{scheme}://{host}.nl/{path}x",
                 st.sampled_from(["http", "https"]), st.from_regex(r"[a-z]{1,30}", fullmatch=True), url_paths)
words = st.text(alphabet="abcdefghij ", max_size=40)


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


# --- text_length --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "platform", "expected"),
    [
        ("hallo", "x", 5),
        ("café", "x", 4),
        ("cafe\u0301", "x", 4),  # NFC first: e + combining accent is one code point
        ("日本語", "x", 6),  # CJK weighs 2
        ("😀", "x", 2),
        (FAMILY, "x", 2),  # an emoji sequence counts as one emoji
        ("🇳🇱", "x", 2),
        ("‘quote’ — dash", "x", 14),  # U+2018/2019 and U+2014 are in the weight-1 ranges
        ("€", "x", 2),  # U+20AC is outside them
        (f"Lees {LONG_URL} nu", "x", 5 + 23 + 3),
        (f"Lees {LONG_URL}.", "x", 5 + 23 + 1),  # the full stop ends the sentence, not the link
        ("example.com/path", "x", 16),  # only http(s) links are shortened
        (f"Zie {LONG_URL}", "mastodon", 4 + 23),
        ("Hoi @anna@mastodon.social!", "mastodon", len("Hoi @anna!")),
        ("Hoi @anna", "mastodon", 9),
        (FAMILY * 3, "mastodon", 3),
        (FAMILY * 3, "bluesky", 3),
        (LONG_URL, "bluesky", len(LONG_URL)),  # Bluesky counts the link as written
        (FAMILY, "linkedin", 5),
        (FAMILY, "local", 5),
    ],
)
def test_text_length_counts_as_the_platform_does(text: str, platform: str, expected: int) -> None:
    assert text_length(text, platform) == expected


def test_unknown_platform_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as err:
        text_length("hoi", "myspace")
    assert err.value.field == "platform"
    with pytest.raises(ValidationError):
        length_limit("myspace")


@given(url=urls)
def test_any_http_url_counts_23_on_x_and_mastodon(url: str) -> None:
    assert text_length(url, "x") == 23
    assert text_length(url, "mastodon") == 23
    assert text_length(f"Kijk: {url} !", "x") == 6 + 23 + 2


@given(a=st.text(max_size=60), b=st.text(max_size=60))
def test_code_point_platforms_are_additive(a: str, b: str) -> None:
    for platform in ("linkedin", "local"):
        assert text_length(a + b, platform) == text_length(a, platform) + text_length(b, platform)


@settings(max_examples=200)
@given(text=st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80))
def test_lengths_never_below_grapheme_count_without_links(text: str) -> None:
    """Without links or mentions to shorten, no platform counts fewer units than there are visible characters."""
    clusters = graphemes(text)
    assert text_length(text, "bluesky") == clusters
    assert text_length(text, "linkedin") >= clusters
    if "http" not in text.lower() and "@" not in text:
        assert text_length(text, "mastodon") == clusters
        assert text_length(text, "x") >= graphemes(unicodedata.normalize("NFC", text))


@given(text=st.text(alphabet="abcdefghijklmnopqrstuvwxyz .,!?", max_size=120))
def test_plain_ascii_counts_one_per_character_everywhere(text: str) -> None:
    for platform in PLATFORMS:
        assert text_length(text, platform) == len(text)


# --- limits -------------------------------------------------------------------------------------------------


def test_length_limit_prefers_the_configured_limit() -> None:
    assert length_limit("mastodon") == 500
    assert length_limit("mastodon", 1000) == 1000
    assert length_limit("x", 25000) == 25000
    assert length_limit("bluesky", None) == 300


def test_281_ascii_characters_fail_on_x_naming_the_field() -> None:
    check_length("a" * 280, "x", "variants.x")
    with pytest.raises(ValidationError) as err:
        check_length("a" * 281, "x", "variants.x")
    assert err.value.field == "variants.x"
    assert err.value.message == "is 281 characters as x counts them; the limit is 280"
    assert err.value.details["limit"] == 280


def test_empty_or_blank_text_is_rejected() -> None:
    for text in ("", "   \n\t"):
        with pytest.raises(ValidationError) as err:
            check_length(text, "local", "text")
        assert (err.value.field, err.value.message) == ("text", "text is empty")


def test_bluesky_counts_family_emoji_as_one_grapheme_each() -> None:
    check_length(FAMILY * 300, "bluesky", "variants.bluesky")
    with pytest.raises(ValidationError, match="is 301 characters as bluesky counts them; the limit is 300"):
        check_length(FAMILY * 301, "bluesky", "variants.bluesky")


def test_x_counts_cjk_double() -> None:
    check_length("語" * 140, "x", "variants.x")
    with pytest.raises(ValidationError, match="is 282 characters"):
        check_length("語" * 141, "x", "variants.x")


def test_mastodon_instance_limit_applies() -> None:
    check_length("a" * 501, "mastodon", "variants.mastodon", configured=1000)
    with pytest.raises(ValidationError):
        check_length("a" * 501, "mastodon", "variants.mastodon")


@given(platform=st.sampled_from(PLATFORMS), limit=st.integers(1, 600), data=st.data())
def test_check_length_passes_at_the_limit_and_fails_one_above(platform: str, limit: int, data: st.DataObject) -> None:
    text = data.draw(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ", min_size=limit, max_size=limit))
    text = "a" + text[1:]  # never blank
    check_length(text, platform, "text", configured=limit)
    with pytest.raises(ValidationError):
        check_length(text + "b", platform, "text", configured=limit)


# --- tone of voice ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Wij helpen u graag. Jouw vraag", (["u"], ["jouw"])),
        ("U kunt uw pakket ophalen.", (["u", "uw"], [])),
        ("Over een uur is de uitslag bekend", ([], [])),  # "u" inside words does not count
        ("Heb jij je jas? Die is van jou, en dit is jouw tas. Je!", ([], ["jij", "je", "jou", "jouw"])),
        ("Neem de U-bocht bij de jeu de boules-baan", ([], [])),
        ("Zo'n dag, m'n vriend: 'u' bent welkom", (["u"], [])),
        ("", ([], [])),
    ],
)
def test_tone_words(text: str, expected: tuple[list[str], list[str]]) -> None:
    assert tone_words(text) == expected


def test_formal_channel_warns_about_je() -> None:
    warning = tone_warning("Dag! Wij helpen je graag", "formal")
    assert warning == "Channel speaks formally (u/uw) but the post uses: je"


def test_informal_channel_warns_about_u_and_uw() -> None:
    warning = tone_warning("Kunt u uw gegevens controleren?", "informal")
    assert warning == "Channel speaks informally (je/jij) but the post uses: u, uw"


def test_mixed_post_warns_on_both_tones_naming_both_forms() -> None:
    text = "Wij helpen u graag met jouw vraag"
    for tone in ("formal", "informal"):
        warning = tone_warning(text, tone)
        assert warning is not None and "mixes" in warning
        assert "(u)" in warning and "(jouw)" in warning


def test_matching_tone_gives_no_warning() -> None:
    assert tone_warning("Wij helpen u graag", "formal") is None
    assert tone_warning("Wij helpen je graag", "informal") is None
    assert tone_warning("Nieuwe vacature bij ons team", "formal") is None


def test_unknown_tone_is_rejected() -> None:
    with pytest.raises(ValidationError) as err:
        tone_warning("hoi", "casual")
    assert err.value.field == "tone"


@given(text=st.text(max_size=200))
def test_tone_none_never_warns(text: str) -> None:
    assert tone_warning(text, "none") is None


@given(prefix=words, suffix=words, word=st.sampled_from(["je", "jij", "jouw", "jou", "JE", "Jij"]))
def test_formal_channel_always_names_an_informal_word(prefix: str, suffix: str, word: str) -> None:
    warning = tone_warning(f"{prefix} {word} {suffix}", "formal")
    assert warning is not None and word.lower() in warning


# --- duplicates ---------------------------------------------------------------------------------------------


def test_duplicate_key_ignores_case_and_whitespace() -> None:
    assert duplicate_key("  Nieuwe   VACATURE\n\tbij ons ") == "nieuwe vacature bij ons"
    assert duplicate_key("Straße") == duplicate_key("STRASSE")
    assert duplicate_key("een twee") != duplicate_key("eentwee")


@given(text=st.text(max_size=100), spaces=st.sampled_from([" ", "  ", "\n", "\t \u00a0"]))
def test_duplicate_key_is_idempotent_and_whitespace_blind(text: str, spaces: str) -> None:
    key = duplicate_key(text)
    assert duplicate_key(key) == key
    assert duplicate_key(spaces + text.upper() + spaces) == duplicate_key(text.upper())
    assert duplicate_key(text.replace(" ", spaces)) == key
