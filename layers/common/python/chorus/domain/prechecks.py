"""The pre-share check (seed 001, BEleefdheid): before a text is offered or shared, flag the people it names who have
not agreed to be named, and the competitors it names. Pure: the caller passes the lists.

What is found, and why:
- @handles (`@ann`, `@ann.bsky.social`, `@ann@social.example`), not part of an e-mail address or a link. A handle is
  fine when
  it belongs to someone who agreed to be named (an ambassador with named consent, or an outside person on the
  organisation's list) or to one of the organisation's own channels.
- Person names: two to four capitalised words, with Dutch tussenvoegsels between them ("Jan van der Berg",
  "Anna de Vries", "Piet ter Horst", "Joost van 't Hek"). Common words that start a sentence ("Welkom", "Vandaag",
  "Meet") are not taken for a first name. A single word is never a name: far too many ordinary words are
  capitalised. A run of more than four capitalised words is a title in title case, not a name.
- Competitors: every name on the organisation's competitor list, case-insensitively, as whole words.
A flag says what (`kind`, `text`), where (`start`, `end`: text[start:end] == flag text) and why (`reason`).
Flags never overlap: a competitor is flagged as a competitor, not also as a person.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

FlagKind = Literal["handle", "name", "competitor"]
MAX_LIST_ENTRIES = 1000
MAX_ENTRY_CHARS = 200
MAX_NAME_WORDS = 4  # capitalised words; a longer run is a title in title case

# Dutch (and a few neighbouring) name particles, as they appear between a first name and a surname.
TUSSENVOEGSELS = frozenset({
    "van", "de", "der", "den", "het", "'t", "ter", "ten", "te", "in", "op", "uit", "aan", "bij", "onder", "over",
    "von", "zu", "du", "la", "le", "da", "di", "dos", "del",
})
MAX_PARTICLES = 3  # "van de", "van der", "in 't", "van den"; more in a row is ordinary text
# Capitalised words that start a sentence or greet, and never start a person's name in the texts Chorus checks.
NOT_A_FIRST_NAME = frozenset({
    "een", "deze", "dit", "die", "dat", "onze", "ons", "mijn", "jouw", "uw", "hun", "haar", "zijn", "welkom",
    "vandaag", "gisteren", "morgen", "dank", "bedankt", "gefeliciteerd", "proficiat", "hallo", "hoi", "beste",
    "lieve", "geachte", "collega", "collega's", "maak", "kennis", "met", "voor", "door", "naar", "ook", "en", "maar",
    "want", "dus", "nu", "straks", "wie", "wat", "waar", "hoe", "waarom", "the", "a", "an", "our", "my", "your",
    "their", "this", "that", "these", "welcome", "today", "yesterday", "tomorrow", "thanks", "thank",
    "congratulations", "congrats", "hello", "hi", "dear", "meet", "with", "at", "on", "for", "from", "by", "and",
    "but", "so", "now", "who", "what", "where", "how", "why", "team", "happy", "niet", "wel", "geen", "ja", "nee",
    "zo", "als", "of", "toen", "hier", "daar", "er", "ik", "wij", "we", "jij", "je", "hij", "zij", "ze", "not",
    "yes", "no", "i", "you", "he", "she", "they", "it", "here", "there", "when", "if",
})

HANDLE = re.compile(
    r"(?<![\w@./])@([A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?"
    r"(?:@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+)?)"
)
WORD = re.compile(r"['’][tT](?![^\W\d_])|[^\W\d_]+(?:['’-][^\W\d_]+)*")
WORD_GAP = re.compile(r"[ \t\u00a0]+")  # words of one name stand on one line, apart by spaces only
NOT_PLAIN_BEFORE = set("@#/\\.:_-")  # a word right after these is part of a handle, tag, address or path
NOT_PLAIN_AFTER = set("@_")


class Flag(BaseModel):
    kind: FlagKind = Field(description="handle, name (a person's name) or competitor")
    text: str = Field(description="what was found, exactly as in the text")
    start: int = Field(description="offset of its first character in the text")
    end: int = Field(description="offset just after its last character: text[start:end] is `text`")
    reason: str


class PrecheckLists(BaseModel):
    """The organisation-managed lists (GET/PUT /prechecks/lists). Ambassadors who agreed to be named are on no list:
    their own profile says so (named consent)."""

    model_config = ConfigDict(extra="forbid")
    named: list[str] = Field(default_factory=list, max_length=MAX_LIST_ENTRIES,
                             description="outside people who agreed to be named: full names and/or @handles")
    competitors: list[str] = Field(default_factory=list, max_length=MAX_LIST_ENTRIES,
                                   description="competitors' names (and @handles), matched case-insensitively")

    @field_validator("named", "competitors")
    @classmethod
    def _clean(cls, entries: list[str]) -> list[str]:
        cleaned: dict[str, str] = {}
        for entry in entries:
            entry = " ".join(entry.split())
            if not entry or entry == "@":
                raise ValueError("entries must not be blank")
            if len(entry) > MAX_ENTRY_CHARS:
                raise ValueError(f"entries hold at most {MAX_ENTRY_CHARS} characters")
            cleaned.setdefault(entry.casefold(), entry)
        return list(cleaned.values())


@dataclass(frozen=True)
class Consent:
    """Who may be named: normalised full names and handles."""

    names: frozenset[str]
    handles: frozenset[str]

    @classmethod
    def of(cls, names: Iterable[str] = (), handles: Iterable[str] = ()) -> "Consent":
        """From people's names and handles (an `@` in front is optional), and the list entries, which are names or,
        with a leading `@`, handles."""
        all_names: set[str] = set()
        all_handles = {normal_handle(h) for h in handles if h.strip().lstrip("@")}
        for name in names:
            if name.strip().startswith("@"):
                all_handles.add(normal_handle(name))
            elif name.strip():
                all_names.add(normal_name(name))
        return cls(frozenset(all_names), frozenset(all_handles))


def normal_name(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).replace("’", "'").casefold().split())


def normal_handle(handle: str) -> str:
    return handle.strip().lstrip("@").casefold()


def check(text: str, consent: Consent, competitors: Iterable[str] = ()) -> list[Flag]:
    """Every flag for `text`, in order of appearance."""
    flags = _competitors(text, competitors)
    taken = [(f.start, f.end) for f in flags]
    for flag in (*_handles(text, consent), *_names(text, consent)):
        if not any(flag.start < end and start < flag.end for start, end in taken):
            flags.append(flag)
            taken.append((flag.start, flag.end))
    return sorted(flags, key=lambda f: f.start)


def _competitors(text: str, competitors: Iterable[str]) -> list[Flag]:
    entries = sorted({" ".join(c.split()) for c in competitors if c.strip().lstrip("@")}, key=len, reverse=True)
    if not entries:
        return []
    alternatives = "|".join(r"\s+".join(re.escape(part) for part in entry.split()) for entry in entries)
    pattern = re.compile(rf"(?<![\w@.])(?:{alternatives})(?![\w@]|\.\w)", re.IGNORECASE)
    return [Flag(kind="competitor", text=m.group(), start=m.start(), end=m.end(),
                 reason=f"{m.group()!r} is on the competitor list: name competitors with care, or not at all")
            for m in pattern.finditer(text)]


def _handles(text: str, consent: Consent) -> list[Flag]:
    return [Flag(kind="handle", text=m.group(), start=m.start(), end=m.end(),
                 reason=f"{m.group()} is not among the people who agreed to be named or tagged")
            for m in HANDLE.finditer(text) if normal_handle(m.group(1)) not in consent.handles]


@dataclass(frozen=True)
class _Word:
    text: str
    start: int
    end: int
    capital: bool  # starts with a capital and has lower case after it (not an acronym), and is no particle
    particle: bool  # a tussenvoegsel, capitalised or not


def _names(text: str, consent: Consent) -> list[Flag]:
    flags = []
    for run in _runs(text):
        for part in _unconsented(run, consent):
            start, end = part[0].start, part[-1].end
            flags.append(Flag(kind="name", text=text[start:end], start=start, end=end,
                              reason=f"{text[start:end]!r} looks like a person's name, and they are not among the "
                                     "people who agreed to be named"))
    return flags


def _runs(text: str) -> list[list[_Word]]:
    """Candidate names: capitalised words with particles between them, trimmed to start and end on a capital."""
    runs: list[list[_Word]] = []
    current: list[_Word] = []
    previous_end = None
    for match in WORD.finditer(text):
        word = _word(text, match)
        joined = previous_end is not None and WORD_GAP.fullmatch(text, previous_end, match.start()) is not None
        if not joined or word is None:
            runs.append(current)
            current = []
        if word is not None:
            current.append(word)
        previous_end = match.end() if word is not None else None
    runs.append(current)
    return [name for run in runs for name in _split(run)]


def _word(text: str, match: re.Match[str]) -> _Word | None:
    """The word if it can be part of a name; None for other words, and for words inside handles, tags or links."""
    value, start, end = match.group(), match.start(), match.end()
    if (start and text[start - 1] in NOT_PLAIN_BEFORE) or (end < len(text) and text[end] in NOT_PLAIN_AFTER):
        return None
    if end + 1 < len(text) and text[end] == "." and text[end + 1].isalnum():
        return None  # a domain name
    particle = value.replace("’", "'").casefold() in TUSSENVOEGSELS  # "Van" too: a surname alone is no full name
    capital = not particle and value[0].isupper() and any(c.islower() for c in value[1:])
    if not capital and not particle:
        return None
    return _Word(value, start, end, capital, particle)


def _split(run: list[_Word]) -> list[list[_Word]]:
    """Cut a run where too many particles follow each other, drop leading sentence words, trim particles off both
    ends; keep the parts that hold two to four capitalised words."""
    parts: list[list[_Word]] = [[]]
    particles = 0
    for word in run:
        particles = particles + 1 if word.particle else 0
        if particles > MAX_PARTICLES:
            parts.append([])
            particles = 0
            continue
        parts[-1].append(word)
    names = []
    for part in parts:
        while part and (not part[0].capital or part[0].text.replace("’", "'").casefold() in NOT_A_FIRST_NAME):
            part = part[1:]
        while part and part[-1].particle:
            part = part[:-1]
        capitals = sum(w.capital for w in part)
        if 2 <= capitals <= MAX_NAME_WORDS:
            names.append(part)
    return names


def _unconsented(run: list[_Word], consent: Consent) -> list[list[_Word]]:
    """The parts of a candidate name that are still a name once the consented names inside it are taken out (so
    "Welkom Jan de Vries" is fine when Jan de Vries agreed)."""
    if not consent.names:
        return [run]
    for length in range(len(run), 1, -1):
        for i in range(len(run) - length + 1):
            inner = run[i:i + length]
            if inner[0].capital and inner[-1].capital and normal_name(" ".join(w.text for w in inner)) in consent.names:
                left = [p for p in _split(run[:i]) if p]
                right = [p for p in _split(run[i + length:]) if p]
                return [part for side in (left, right) for piece in side for part in _unconsented(piece, consent)]
    return [run]
