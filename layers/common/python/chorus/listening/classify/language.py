"""Language of a mention: `nl`, `en` or `other`, offline, from character trigram profiles.

A naive Bayes over the letter trigrams of each word padded with spaces (as langdetect counts them), with
profiles for Dutch, English and the languages most easily mistaken for them (German, the Scandinavian and
Romance languages, ...); any winner but Dutch or English is reported as `other`. The profiles are in the model
file, derived from langdetect's Wikipedia n-gram counts at training time. Handles, links, hashtag signs and
digits are removed first: they say nothing about the language. A prior favours Dutch and English, the
languages an organisation's mentions are mostly in, so that a two-word reply is not called Danish on the
strength of one trigram."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat

import regex

LANGUAGES = ("nl", "en", "other")
_LETTER_WORD = regex.compile(r"\p{L}+")
_LATIN_LETTER = regex.compile(r"\p{Latin}")
_NOISE = regex.compile(r"(?:https?://|www\.)\S+|@\w+", regex.IGNORECASE)
_MOST_LETTERS = 240  # the verdict is settled long before; longer texts only cost time
# Wikipedia, where the profiles come from, hardly says "I", "my", "je" or "ff": conversational function words
# add evidence the trigrams lack. A word in both lists ("is", "in", "me") counts for both.
FUNCTION_WORDS = {
    "nl": frozenset("""ik je jij jou jouw u uw we wij ons onze jullie hij zij ze het de een en of maar niet geen
        wel nog al ook dat die dit deze wat wie waar waarom hoe wanneer welke van voor met op aan naar om te bij
        uit tot door over onder is zijn ben bent was waren heb hebt heeft hebben had kan kun kunt kunnen wil wilt
        moet moeten mag zal zou wordt worden werd dan toch even ff nu weer echt heel zo gewoon alweer nooit
        mijn me mij er hier daar nou hoor graag bedankt dank alvast hoi hallo dus prima oke jammer helaas lekker
        balen""".split()),
    "en": frozenset("""i you your me my mine we our us they them their he she his her it its the a an and
        or but not no nor is are was were be been am do does did can cannot will
        would should could have has had this that these those what who where why how when which of for
        with on at to from by about just so get got please thanks thank still again any anyone
        there here""".split()),
}
_FUNCTION_WORD_EVIDENCE = 2.0  # nats per function word


@dataclass(frozen=True)
class TrigramProfiles:
    """Log-probabilities of trigrams, one value per language in `languages` order; `unseen` holds each language's
    log-probability of a trigram not listed."""

    languages: Sequence[str]
    log_probabilities: Mapping[str, tuple[float, ...]]
    unseen: tuple[float, ...]
    log_priors: Sequence[float]


def _trigrams(words: list[str]) -> list[str]:
    grams: list[str] = []
    budget = _MOST_LETTERS
    for word in words:
        padded = f" {word[:budget]} "
        grams.extend(padded[start:start + 3] for start in range(len(padded) - 2))
        budget -= len(word)
        if budget <= 0:
            break
    return grams


def detect_language(text: str, profiles: TrigramProfiles) -> str:
    words = _LETTER_WORD.findall(_NOISE.sub(" ", text).lower())
    letters = "".join(words)
    if len(letters) < 2 or len(_LATIN_LETTER.findall(letters)) * 2 < len(letters):
        return "other"
    rows = map(profiles.log_probabilities.get, _trigrams(words), repeat(profiles.unseen))
    # Every row holds one value per language, and there is at least one trigram (two letters or more).
    columns = zip(*rows, strict=True)
    scores = [prior + sum(column) for prior, column in zip(profiles.log_priors, columns, strict=True)]
    for language, function_words in FUNCTION_WORDS.items():
        scores[profiles.languages.index(language)] += _FUNCTION_WORD_EVIDENCE * sum(
            map(function_words.__contains__, words))
    best = profiles.languages[max(range(len(scores)), key=scores.__getitem__)]
    return best if best in LANGUAGES else "other"
