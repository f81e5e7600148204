"""Language of a mention: `nl`, `en` or `other`, offline, from character trigram profiles; and, for `other`, the
closest language (`closest_language`): the winning profile (de, fr, …), or what the script tells (ar, ru, ja, …;
`und-<Script>` when several languages share it), so a mention Chorus cannot classify still says what it is in.

A naive Bayes over the letter trigrams of each word padded with spaces (as langdetect counts them), with
profiles for Dutch, English and the languages most easily mistaken for them (German, the Scandinavian and
Romance languages, ...); any winner but Dutch or English is reported as `other`. The profiles are in the model
file, derived from langdetect's Wikipedia n-gram counts at training time. Handles, links, hashtag signs and
digits are removed first: they say nothing about the language. A prior favours Dutch and English, the
languages an organisation's mentions are mostly in, so that a two-word reply is not called Danish on the
strength of one trigram."""
from __future__ import annotations

import unicodedata
from collections import Counter
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
    return working_language(closest_language(text, profiles))


def working_language(closest: str | None) -> str:
    """The language Chorus classifies in: nl or en, anything else is `other`."""
    return closest if closest in LANGUAGES else "other"


def closest_language(text: str, profiles: TrigramProfiles) -> str | None:
    """The closest language: a profile's code for Latin script, the script's language otherwise (ISO 639-1, or
    `und-<ISO 15924 script>`); None for a text with fewer than two letters."""
    words = _LETTER_WORD.findall(_NOISE.sub(" ", text).lower())
    letters = "".join(words)
    if len(letters) < 2:
        return None
    if len(_LATIN_LETTER.findall(letters)) * 2 < len(letters):
        return _script_language(letters)
    rows = map(profiles.log_probabilities.get, _trigrams(words), repeat(profiles.unseen))
    # Every row holds one value per language, and there is at least one trigram (two letters or more).
    columns = zip(*rows, strict=True)
    scores = [prior + sum(column) for prior, column in zip(profiles.log_priors, columns, strict=True)]
    for language, function_words in FUNCTION_WORDS.items():
        scores[profiles.languages.index(language)] += _FUNCTION_WORD_EVIDENCE * sum(
            map(function_words.__contains__, words))
    return profiles.languages[max(range(len(scores)), key=scores.__getitem__)]


# Scripts by the first word of their letters' Unicode names, as ISO 15924 codes.
_SCRIPTS = {"ARABIC": "Arab", "CYRILLIC": "Cyrl", "GREEK": "Grek", "HEBREW": "Hebr", "CJK": "Hani", "HIRAGANA": "Hira",
            "KATAKANA": "Kana", "HANGUL": "Hang", "DEVANAGARI": "Deva", "THAI": "Thai", "GEORGIAN": "Geor",
            "ARMENIAN": "Armn", "BENGALI": "Beng", "TAMIL": "Taml", "ETHIOPIC": "Ethi", "GURMUKHI": "Guru",
            "GUJARATI": "Gujr", "TELUGU": "Telu", "KANNADA": "Knda", "MALAYALAM": "Mlym", "SINHALA": "Sinh",
            "KHMER": "Khmr", "LAO": "Laoo", "MYANMAR": "Mymr", "TIBETAN": "Tibt"}
# Arabic writes none of the letters Urdu and Persian add, so Arabic script without them is Arabic.
_ONE_LANGUAGE = {"Arab": "ar", "Grek": "el", "Hebr": "he", "Thai": "th", "Geor": "ka", "Armn": "hy", "Hang": "ko",
                 "Hira": "ja", "Kana": "ja", "Hani": "zh"}
# Letters only one language of a shared script uses (Arabic script: Urdu, then Persian; Cyrillic: Ukrainian,
# Belarusian, Serbian, Macedonian, Russian), checked in this order; without any, the script is named instead.
_TELLING_LETTERS = {
    "Arab": (("ur", frozenset("ٹڈڑںےہ")), ("fa", frozenset("پچژگکی"))),
    "Cyrl": (("uk", frozenset("іїєґ")), ("be", frozenset("ў")), ("sr", frozenset("ђћџљњј")), ("mk", frozenset("ѓќѕ")),
             ("ru", frozenset("ыэё"))),
}


def _script_of(letter: str) -> str:
    return _SCRIPTS.get(unicodedata.name(letter, "").split(" ")[0], "und")


def _script_language(letters: str) -> str:
    scripts = Counter(_script_of(letter) for letter in letters if not _LATIN_LETTER.match(letter))
    if scripts["Hira"] or scripts["Kana"]:
        return "ja"  # Japanese mixes kana with Han characters
    script = scripts.most_common(1)[0][0]
    for language, telling in _TELLING_LETTERS.get(script, ()):
        if telling & set(letters):
            return language
    return _ONE_LANGUAGE.get(script, f"und-{script}" if script != "und" else "und")
