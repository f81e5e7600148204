"""Any text at all: classify never raises and always answers within range."""
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.listening.classify import INTENTS, classify

emoji = st.sampled_from("😡👍🎉❤️🙄😂👏🏽🇳🇱👨‍👩‍👧\u200d\ufe0f")
mention_like = st.lists(
    st.one_of(st.text(max_size=30), emoji,
              st.sampled_from(["@KlikTel", "https://x.example/a?b=1", "#fail", "!!!", "?"])),
    max_size=20,
).map(" ".join)


def assert_valid(text: str) -> None:
    verdict = classify(text)
    assert verdict.intent in INTENTS
    assert verdict.language in ("nl", "en", "other")
    assert -1.0 <= verdict.sentiment <= 1.0
    assert 0.0 <= verdict.complaint_score <= 1.0


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), mention_like, st.lists(emoji).map("".join)))
def test_any_text_is_classified_within_range(text):
    assert_valid(text)


@settings(max_examples=5, deadline=None)
@given(st.text(min_size=1, max_size=5))
def test_very_long_text(fragment):
    assert_valid(fragment * 20_000)


def test_edge_cases():
    for text in ["", " ", "\n\t", "😡" * 1000, "\x00\ud800", "a" * 100_000, "0" * 50, "@@@@", "&amp;&lt;"]:
        assert_valid(text)
