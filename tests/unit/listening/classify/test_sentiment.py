"""The lexicon rules, on a lexicon made for the test."""
from chorus.listening.classify.sentiment import polarity

LEXICON = {"goed": 0.6, "slecht": -0.7, "good": 0.6, "bad": -0.6, "👍": 0.5}


def test_no_sentiment_words_is_neutral():
    assert polarity(["de", "trein", "vertrekt", "om", "0"], LEXICON) == 0.0


def test_sign_follows_the_lexicon():
    assert polarity(["echt", "goed"], LEXICON) > 0
    assert polarity(["slecht"], LEXICON) < 0
    assert polarity(["👍"], LEXICON) > 0


def test_negation_flips_and_damps():
    assert -polarity(["bad"], LEXICON) > polarity(["not", "bad"], LEXICON) > 0
    assert polarity(["niet", "zo", "goed"], LEXICON) < 0
    assert polarity(["isn't", "good"], LEXICON) < 0


def test_intensifier_strengthens():
    assert polarity(["heel", "goed"], LEXICON) > polarity(["goed"], LEXICON)


def test_what_follows_but_weighs_more():
    assert polarity(["goed", "maar", "slecht"], LEXICON) < 0
    assert polarity(["bad", "but", "good"], LEXICON) > 0


def test_hashtags_count_as_words():
    assert polarity(["#slecht"], LEXICON) < 0


def test_stays_in_range_however_many_words():
    assert -1 < polarity(["slecht"] * 500, LEXICON) < -0.99
    assert 0.99 < polarity(["good"] * 500, LEXICON) < 1
