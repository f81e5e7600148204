"""Per-platform text rules for posts: length as each network counts it, Dutch tone of voice, duplicates.

Each network counts differently, so a post that fits one may be rejected by another; checking here, at
planning time, keeps the publisher from failing at the scheduled minute."""
from __future__ import annotations

import unicodedata

import regex

from chorus.core.errors import ValidationError

DEFAULT_LIMITS = {"x": 280, "mastodon": 500, "bluesky": 300, "linkedin": 3000, "local": 5000}
URL_LENGTH = 23  # X's t.co and Mastodon both count every link as 23 characters.
# An http(s) link, not glued to a preceding word, without the punctuation that usually ends a sentence.
_URL = regex.compile(r"(?<![\w@$#/])https?://[^\s<>\"']*[^\s<>\"'.,:;!?)\]}]", regex.IGNORECASE)
# Mastodon's Account::MENTION_RE: `@user@domain.tld` counts as `@user`.
_MASTODON_MENTION = regex.compile(
    r"(?<![=/\w])@([a-z0-9_]+(?:[.-]+[a-z0-9_]+)*)(?:@\w+(?:[.-]+\w+)*)?", regex.IGNORECASE
)
# twitter-text v3: these code points weigh 1, all others 2.
_X_LIGHT = ((0x0000, 0x10FF), (0x2000, 0x200D), (0x2010, 0x201F), (0x2032, 0x2037))
_EMOJI_PART = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]")
_GRAPHEME = regex.compile(r"\X")
FORMAL = {"u", "uw"}
INFORMAL = {"je", "jij", "jouw", "jou"}
# Whole words only: hyphens join words ("U-bocht" is not a form of address), other punctuation separates.
_TONE_WORD = regex.compile(
    r"(?<![\w-])(" + "|".join(sorted(FORMAL | INFORMAL, key=len, reverse=True)) + r")(?![\w-])",
    regex.IGNORECASE,
)
TONES = ("formal", "informal", "none")


def _graphemes(text: str) -> list[str]:
    return _GRAPHEME.findall(text)


def _x_weight(cluster: str) -> int:
    """Weight of one grapheme cluster on X; an emoji sequence (ZWJ family, flag, keycap) weighs 2 in all."""
    if len(cluster) > 1 and _EMOJI_PART.search(cluster):
        return 2
    return sum(1 if any(lo <= ord(c) <= hi for lo, hi in _X_LIGHT) else 2 for c in cluster)


def text_length(text: str, platform: str) -> int:
    """The length of `text` as `platform` counts it against its limit."""
    if platform == "x":
        text = _URL.sub("x" * URL_LENGTH, unicodedata.normalize("NFC", text))
        return sum(_x_weight(cluster) for cluster in _graphemes(text))
    if platform == "mastodon":
        text = _MASTODON_MENTION.sub(r"@\1", _URL.sub("x" * URL_LENGTH, text))
        return len(_graphemes(text))
    if platform == "bluesky":
        return len(_graphemes(text))
    if platform in ("linkedin", "local"):
        return len(text)
    raise ValidationError("platform", f"unknown platform '{platform}'")


def length_limit(platform: str, configured: int | None = None) -> int:
    """The channel's own limit when configured (Mastodon instances differ), else the network's default."""
    if platform not in DEFAULT_LIMITS:
        raise ValidationError("platform", f"unknown platform '{platform}'")
    return configured if configured is not None else DEFAULT_LIMITS[platform]


def check_length(text: str, platform: str, field: str, configured: int | None = None) -> None:
    """Reject an empty text or one the platform would refuse as too long."""
    if not text.strip():
        raise ValidationError(field, "text is empty")
    length, limit = text_length(text, platform), length_limit(platform, configured)
    if length > limit:
        raise ValidationError(
            field, f"is {length} characters as {platform} counts them; the limit is {limit}", length=length, limit=limit
        )


def tone_words(text: str) -> tuple[list[str], list[str]]:
    """The (formal, informal) Dutch forms of address in `text`, lower-cased, each once, in order of appearance."""
    found = list(dict.fromkeys(m.casefold() for m in _TONE_WORD.findall(text)))
    return [w for w in found if w in FORMAL], [w for w in found if w in INFORMAL]


def tone_warning(text: str, tone: str) -> str | None:
    """A warning when the post addresses the reader differently from the channel ("u" versus "je"), else None."""
    if tone not in TONES:
        raise ValidationError("tone", f"must be one of {', '.join(TONES)}")
    if tone == "none":
        return None
    formal, informal = tone_words(text)
    channel = "formally (u/uw)" if tone == "formal" else "informally (je/jij)"
    if formal and informal:
        return f"Post mixes formal ({', '.join(formal)}) and informal ({', '.join(informal)}); channel speaks {channel}"
    offending = informal if tone == "formal" else formal
    return f"Channel speaks {channel} but the post uses: {', '.join(offending)}" if offending else None


def duplicate_key(text: str) -> str:
    """Key under which two posts count as the same text: case and whitespace differences do not matter."""
    return " ".join(text.casefold().split())


def spreadsheet_cell(text: str) -> str:
    """A spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return before one) as a formula: text
    people typed is kept as text."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
