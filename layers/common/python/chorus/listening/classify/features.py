"""Text → hashed feature buckets, shared by training and inference so both see exactly the same features.

A mention becomes three groups of binary features, each hashed into one table of `2**HASH_BITS` buckets:
word unigrams and bigrams, character 2–5-grams inside each word, and a few cues about form (question mark,
shouting, reply, link, lexicon sentiment). The classifier L2-normalises each group on its own, so the many
character n-grams cannot drown the few words and cues. Hashing (CRC-32, stable across processes, unlike
`hash`) means the model file holds only numbers, never a word list taken from training text."""
from __future__ import annotations

import html
import zlib
from collections.abc import Mapping
from functools import lru_cache
from itertools import pairwise
from typing import NamedTuple

import regex

from chorus.listening.classify.language import TrigramProfiles, closest_language, working_language
from chorus.listening.classify.sentiment import polarity

HASH_BITS = 20
_MASK = (1 << HASH_BITS) - 1
# Distinct CRC start values keep the groups apart: the same string as a word and as a character n-gram lands
# in different buckets.
_WORD_SEED, _CHAR_SEED, _CUE_SEED = 0x5151, 0xC4A2, 0x0C0E
CHAR_NGRAM_SIZES = (2, 3, 4, 5)
_LONGEST_WORD = 30  # longer "words" are pasted codes or hashes: their n-grams carry nothing but cost time
_URL = regex.compile(r"(?:https?://|www\.)\S+", regex.IGNORECASE)
_HANDLE = regex.compile(r"(?<![\w@])@(\w{1,30})")
_ELONGATION = regex.compile(r"(.)\1{2,}")
_DIGIT = regex.compile(r"\d")
_TOKEN = regex.compile(
    r"""@user|<url>
    | [#]?[\p{L}\p{N}_]+(?:['’][\p{L}]+)*   # words, hashtags, "don't", "zo'n"
    | \p{Extended_Pictographic}             # each emoji on its own
    | [!?]+ | \.{2,} | […] | [:;=][-']?[()dDpP/\\|]""",
    regex.VERBOSE,
)
_EMOJI = regex.compile(r"\p{Extended_Pictographic}")
_UPPER_WORD = regex.compile(r"\b\p{Lu}{3,}\b")


def normalise(text: str) -> str:
    """Lower-case text with entities decoded, links as `<url>`, elongations cut to two and digits as 0 ("3 uur"
    and "45 min" are the same kind of wait). A handle becomes `@user` plus its name as a word: the name's
    n-grams ("…support", "…_helpt", "…care") tell a message to customer service from chatter."""
    text = html.unescape(text)
    text = _URL.sub(" <url> ", text)
    text = _HANDLE.sub(r" @user \1 ", text)
    return _DIGIT.sub("0", _ELONGATION.sub(r"\1\1", text.lower()))


def tokens(normalised: str) -> list[str]:
    return _TOKEN.findall(normalised)


def _bucket(feature: str, seed: int) -> int:
    return zlib.crc32(feature.encode("utf-8", "surrogatepass"), seed) & _MASK


@lru_cache(maxsize=65536)
def _word_char_buckets(word: str) -> tuple[int, ...]:
    """The character n-gram buckets of one word, padded with spaces so word starts and ends are features."""
    if len(word) > _LONGEST_WORD:
        word = word[:_LONGEST_WORD]
    padded = f" {word} "
    return tuple({
        _bucket(padded[start:start + size], _CHAR_SEED)
        for size in CHAR_NGRAM_SIZES
        for start in range(len(padded) - size + 1)
    })


@lru_cache(maxsize=65536)
def _word_bucket(word: str) -> int:
    return _bucket(word, _WORD_SEED)


def _cue_names(raw: str, words: list[str], lexicon_polarity: float) -> list[str]:
    """Form cues a bag of words misses: questions, exclamations, shouting, replies, links, lexicon tone."""
    cues = []
    if "?" in raw:
        cues.append("question-mark")
    if "!" in raw:
        cues.append("exclamation")
    if _UPPER_WORD.search(raw):
        cues.append("shouting")
    if raw.lstrip().startswith("@"):
        cues.append("reply")
    if "<url>" in words:
        cues.append("link")
    if _EMOJI.search(raw):
        cues.append("emoji")
    if lexicon_polarity <= -0.5:
        cues.append("lexicon-very-negative")
    elif lexicon_polarity < -0.05:
        cues.append("lexicon-negative")
    elif lexicon_polarity >= 0.5:
        cues.append("lexicon-very-positive")
    elif lexicon_polarity > 0.05:
        cues.append("lexicon-positive")
    else:
        cues.append("lexicon-neutral")
    return cues


def _hashed_features(raw: str, words: list[str], lexicon_polarity: float) -> tuple[set[int], set[int], set[int]]:
    """The word, character and cue buckets of one mention; `words` are the `tokens` of its `normalise`d text."""
    word_buckets = {_word_bucket(word) for word in words}
    word_buckets.update(_bucket(f"{first} {second}", _WORD_SEED) for first, second in pairwise(words))
    char_buckets: set[int] = set()
    for word in words:
        char_buckets.update(_word_char_buckets(word))
    cue_buckets = {_bucket(name, _CUE_SEED) for name in _cue_names(raw, words, lexicon_polarity)}
    return word_buckets, char_buckets, cue_buckets


class Extracted(NamedTuple):
    language: str
    lexicon_polarity: float
    groups: tuple[set[int], set[int], set[int]]
    """word, character and cue buckets"""
    closest_language: str | None
    """what `other` is (chorus.listening.classify.language.closest_language)"""


def extract(text: str, lexicons: Mapping[str, Mapping[str, float]], profiles: TrigramProfiles) -> Extracted:
    """Language, lexicon polarity (with that language's lexicon) and feature buckets of one mention."""
    closest = closest_language(text, profiles)
    language = working_language(closest)
    words = tokens(normalise(text))
    lexicon_polarity = polarity(words, lexicons[language])
    return Extracted(language, lexicon_polarity, _hashed_features(text, words, lexicon_polarity), closest)
