"""Rules of content: the pre-share check, and the life of creators' content from upload to decision. Pure: the caller
passes the lists and the time, and stores the results.

The pre-share check (seed 001, BEleefdheid): before a text is offered or shared, flag the people it names who have
not agreed to be named, and the competitors it names.

What is found, and why:
- @handles (`@ann`, `@ann.bsky.social`, `@ann@social.example`), not part of an e-mail address or a link. A handle is
  fine when it belongs to someone who agreed to be named (an ambassador with named consent, or an outside person on the
  organisation's list) or to one of the organisation's own channels.
- Person names: two to four capitalised words: first names, then optionally one group of Dutch tussenvoegsels and
  the surname, where the name ends ("Jan van der Berg", "Anna de Vries", "Piet ter Horst", "Joost van 't Hek",
  "Sophie in 't Veld", "Anna de Vries-van Dijk"). A name does not run on into a place: after a first name and a
  surname, "in", "op", "uit", "te"... begin a place ("Piet Jansen in het Vogelpark" flags "Piet Jansen"), and a
  capitalised particle after a lower-case one begins a place or another name ("uit Den Haag"). Common words that
  start a sentence ("Welkom", "Vandaag", "Meet") are not taken for a first name, nor is a word before a particle
  that a full name follows ("Foto van Anna Bakker"). A single word is never a name: far too many ordinary words are
  capitalised. A run of more than four capitalised words is a title in title case, not a name.
- Competitors: every name on the organisation's competitor list, case-insensitively, as whole words.
A flag says what (`kind`, `text`), where (`start`, `end`: text[start:end] == flag text) and why (`reason`).
Flags never overlap: a competitor is flagged as a competitor, not also as a person.

Content from creators (seed 003): a story with photos or video, tags and a content pillar, which an editor turns
into a post or declines with a reason the creator sees; open praise routed to marketing is suggested as content too.

    submitted ──accept──▶ accepted (with the post made from it)
        └──────decline──▶ declined (with a reason)

Each decision is taken once: a second accept or decline is a conflict. Media go straight from the creator's browser
to S3 (a presigned POST, limited to the announced type and that type's size limit) under `uploads/`, are checked on
submit (type, size, and how the file begins), and become the submission's (copied under `content/`); uploads never
submitted expire."""
from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from chorus.advocacy.content.schemas import (
    MB,
    MEDIA_LIMITS,
    Flag,
    MediaItem,
    StoredObject,
    Submission,
    SubmissionIn,
    Upload,
    UploadRequest,
)
from chorus.calendar.schemas import Category
from chorus.core import time as timing
from chorus.core.errors import Conflict, Forbidden, ValidationError
from chorus.core.roles import EDITORS, Principal
from chorus.inbox.rules import OPEN_STATUSES
from chorus.listening.rules import is_sincere_praise
from chorus.listening.schemas import MentionRecord, excerpt

MAX_NAME_WORDS = 4  # capitalised words; a longer run is a title in title case
# Dutch (and a few neighbouring) name particles, as they appear between a first name and a surname.
TUSSENVOEGSELS = frozenset({
    "van", "de", "der", "den", "het", "'t", "ter", "ten", "te", "in", "op", "uit", "aan", "bij", "onder", "over",
    "von", "zu", "du", "la", "le", "da", "di", "dos", "del",
})
MAX_PARTICLES = 3  # "van de", "van der", "in 't", "van den"; more in a row is ordinary text
# Particles that are also prepositions of place: "Sophie in 't Veld" is a name, "Piet Jansen in het Vogelpark" a name
# and a place (a name with these particles has one first name before them, not a first name and a surname).
PREPOSITIONS = frozenset({"in", "op", "uit", "aan", "bij", "onder", "over", "te"})
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


@dataclass(frozen=True)
class Consent:
    """Who may be named: normalised full names and handles."""

    names: frozenset[str]
    handles: frozenset[str]

    @classmethod
    def of(cls, names: Iterable[str] = (), handles: Iterable[str] = ()) -> Consent:
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
    """Cut a run where too many particles follow each other and drop leading sentence words; a part with more than
    four capitalised words is a title in title case; in the others, find the names (`_names_in`)."""
    parts: list[list[_Word]] = [[]]
    particles = 0
    for word in _joined_surnames(run):
        particles = particles + 1 if word.particle else 0
        if particles > MAX_PARTICLES:
            parts.append([])
            particles = 0
            continue
        parts[-1].append(word)
    names = []
    for part in parts:
        while part and (not part[0].capital or _plain(part[0]) in NOT_A_FIRST_NAME):
            part = part[1:]
        if sum(w.capital for w in part) <= MAX_NAME_WORDS:
            names += _names_in(part)
    return names


def _names_in(part: list[_Word]) -> list[list[_Word]]:
    """The names in a part, left to right, each with two to four capitalised words."""
    names = []
    at = 0
    while at < len(part):
        if not part[at].capital:
            at += 1
            continue
        name, at = _name_at(part, at)
        if 2 <= sum(w.capital for w in name) <= MAX_NAME_WORDS:
            names.append(name)
    return names


def _name_at(part: list[_Word], start: int) -> tuple[list[_Word], int]:
    """The name that begins with the capitalised word part[start], and where the next one may begin. A name is one or
    more first names, then, optionally, one group of particles and the surname, and there it ends. The particles do
    not belong to this name when they are a preposition after a first name and a surname ("Piet Jansen in het
    Vogelpark", "Anna Bakker op de Dam": a place follows), or when a full name follows them ("Groeten van Kees
    Smit": a sentence word, then the name)."""
    given_end = start
    while given_end < len(part) and part[given_end].capital:
        given_end += 1
    given = part[start:given_end]
    surname = _particle_group_end(part, given_end)
    if surname == given_end or surname == len(part) or not part[surname].capital:
        return given, surname
    if len(given) >= 2 and _plain(part[given_end]) in PREPOSITIONS:
        return given, surname
    following, _ = _name_at(part, surname)
    if sum(w.capital for w in following) >= 2:
        return given, surname
    return part[start:surname + 1], surname + 1


def _particle_group_end(part: list[_Word], start: int) -> int:
    """Where the particles from part[start] on end. Between a first name and a surname particles are written in lower
    case (Jan van der Berg; Flemish names keep a capital from the first: Jan Van der Berg), so a capitalised particle
    after a lower-case one begins a place or another name ("uit Den Haag", "van De Bilt")."""
    end = start
    while end < len(part) and part[end].particle:
        if end > start and part[end].text[0].isupper() and part[end - 1].text[0].islower():
            break
        end += 1
    return end


def _joined_surnames(run: list[_Word]) -> list[_Word]:
    """A double surname joined by a particle ("de Vries-van Dijk", "Jansen-de Boer") is one word of the name."""
    joined: list[_Word] = []
    for word in run:
        previous = joined[-1] if joined else None
        if (previous is not None and previous.capital and word.capital and "-" in previous.text
                and previous.text.rsplit("-", 1)[1].casefold() in TUSSENVOEGSELS):
            joined[-1] = _Word(f"{previous.text} {word.text}", previous.start, word.end, True, False)
        else:
            joined.append(word)
    return joined


def _plain(word: _Word) -> str:
    return word.text.replace("’", "'").casefold()


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


# The post category a pillar becomes (posts know fewer categories than content has pillars).
CATEGORY_OF_PILLAR: dict[str, Category] = {"vacancy": "vacancy", "event": "event", "milestone": "milestone",
                                           "customer-story": "success"}
# How each allowed type begins: the Content-Type of an upload is only what the browser said, its first bytes are what
# it is. (MP4 and QuickTime are ISO media files: a box size, then the box type; QuickTime also starts with older boxes.)
SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "image/png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/gif": lambda head: head[:6] in (b"GIF87a", b"GIF89a"),
    "image/webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
    "video/mp4": lambda head: head[4:8] == b"ftyp",
    "video/quicktime": lambda head: head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"),
}
SIGNATURE_BYTES = 16  # enough of the start of a file for every signature
UPLOAD_WINDOW = timedelta(minutes=15)  # how long a presigned POST works
UPLOAD_PREFIX = "uploads/"  # expires (bucket lifecycle) unless submitted
CONTENT_PREFIX = "content/"  # belongs to a submission
UPLOAD_KEY = re.compile(r"^uploads/([0-9a-f]{32})/([A-Za-z0-9._-]{1,100})$")


# ---------------------------------------------------------------------------------------------- uploads
def check_upload(request: UploadRequest) -> int:
    """The most bytes this upload may have; 400 for a type or size that is not allowed."""
    limit = MEDIA_LIMITS.get(request.content_type.strip().lower())
    if limit is None:
        raise ValidationError("content_type",
                              f"{request.content_type!r} is not allowed; send one of: {', '.join(MEDIA_LIMITS)}")
    if request.size > limit:
        raise ValidationError("size", f"a {request.content_type} may be at most {limit // MB} MB", max_size=limit)
    return limit


def safe_name(filename: str) -> str:
    """A file name that is safe in a key and a URL: letters, digits, '.', '-' and '_' of the last path part."""
    base = re.split(r"[\\/]", filename)[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode()
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", ascii_name).strip(".-_")
    cleaned = re.sub(r"\.{2,}", ".", re.sub(r"-+\.", ".", cleaned))
    return cleaned[-100:].lstrip(".-_") or "file"


def new_upload(person: str, request: UploadRequest, now: datetime) -> Upload:
    check_upload(request)
    upload_id = uuid.uuid4().hex
    return Upload(id=upload_id, person=person, key=f"{UPLOAD_PREFIX}{upload_id}/{safe_name(request.filename)}",
                  filename=request.filename, content_type=request.content_type.strip().lower(),
                  created_at=timing.iso_utc(now))


def upload_id_of(key: str, field: str) -> str:
    match = UPLOAD_KEY.fullmatch(key)
    if match is None:
        raise ValidationError(field, f"{key!r} is not an upload key; ask POST /content/uploads for one")
    return match.group(1)


def content_key(upload_key: str) -> str:
    """Where a submitted upload is kept: the same name under content/."""
    return CONTENT_PREFIX + upload_key.removeprefix(UPLOAD_PREFIX)


def check_object(upload: Upload, stored: StoredObject | None, field: str) -> StoredObject:
    """The uploaded object is what was announced: there, of an allowed type, not empty, within its type's limit, and
    its content of that type."""
    if stored is None:
        raise ValidationError(field, f"nothing was uploaded to {upload.key} (or the upload expired)")
    limit = MEDIA_LIMITS.get(stored.content_type)
    if stored.content_type != upload.content_type or limit is None:
        raise ValidationError(field, f"{upload.key} is {stored.content_type}, not the {upload.content_type} announced")
    if not 0 < stored.size <= limit:
        raise ValidationError(field, f"{upload.key} has {stored.size} bytes; a {stored.content_type} has 1 to {limit}")
    if not SIGNATURES[stored.content_type](stored.head):
        raise ValidationError(field, f"{upload.key} is not a {stored.content_type} file: its content is something else")
    return stored


# ---------------------------------------------------------------------------------------------- submissions
def submission_id(person: str, idempotency_key: str | None) -> str:
    """A new id, or with an Idempotency-Key the same id for every retry of that person's request."""
    if idempotency_key:
        return hashlib.sha256(f"content\n{person}\n{idempotency_key}".encode()).hexdigest()[:32]
    return uuid.uuid4().hex


def submit(submission_id_: str, person: str, content: SubmissionIn, media: list[MediaItem],
           now: datetime) -> Submission:
    stamp = timing.iso_utc(now)
    return Submission(id=submission_id_, creator=person, text=content.text, tags=content.tags, pillar=content.pillar,
                      media=media, created_at=stamp, updated_at=stamp)


def post_id_for(kind: Literal["content", "mention"], source_id: str) -> str:
    """The one post a submission or a suggestion can become: a retry or a second editor finds it taken."""
    return hashlib.sha256(f"{kind}\n{source_id}".encode()).hexdigest()[:32]


def accept(submission: Submission, post_id: str, actor: Principal, editor: str | None, now: datetime) -> Submission:
    _require_decidable(submission, actor, "accept")
    return _decided(submission, actor, editor, now, status="accepted", post_id=post_id)


def decline(submission: Submission, reason: str, actor: Principal, editor: str | None, now: datetime) -> Submission:
    _require_decidable(submission, actor, "decline")
    reason = reason.strip()
    if not reason:
        raise ValidationError("reason", "tell the creator why: a reason is required to decline")
    return _decided(submission, actor, editor, now, status="declined", decline_reason=reason)


def _require_decidable(submission: Submission, actor: Principal, action: str) -> None:
    if not actor.has_any(EDITORS):
        raise Forbidden(f"only editors and masters {action} content")
    if submission.status != "submitted":
        as_post = f" as post {submission.post_id}" if submission.post_id else ""
        raise Conflict(f"this content was {submission.status} already" + as_post,
                       status=submission.status, post_id=submission.post_id)


def _decided(submission: Submission, actor: Principal, editor: str | None, now: datetime,
             **changes: object) -> Submission:
    stamp = timing.iso_utc(now)
    return submission.model_copy(update={**changes, "decided_by": actor.username, "decided_at": stamp, "editor": editor,
                                         "updated_at": stamp})


def require_visible(submission: Submission, actor: Principal, person: str | None) -> None:
    """Editors and masters see every submission; a creator only their own."""
    if actor.has_any(EDITORS):
        return
    if person is None or submission.creator != person:
        raise Forbidden("creators see only their own submissions")


def erased(submission: Submission, now: datetime) -> Submission:
    """The creator's link removed (their personal data is erased); the content stays the organisation's."""
    return submission.model_copy(update={"creator": None, "updated_at": timing.iso_utc(now)})


def category_of(pillar: str) -> Category:
    return CATEGORY_OF_PILLAR.get(pillar, "other")


# ---------------------------------------------------------------------------------------------- suggestions
def is_suggestion(mention: MentionRecord) -> bool:
    """Listening suggests content (seed 003): praise routed to marketing that nobody has taken up yet, and that
    listening can trust (confidently praise, no sign of irony: chorus.listening.rules.is_sincere_praise)."""
    return "marketing" in mention.teams and mention.status in OPEN_STATUSES and is_sincere_praise(mention)


def suggested_text(mention: MentionRecord) -> str:
    """A draft that cites the mention: its words, who said them and where."""
    who = "@" + mention.author_handle.lstrip("@")
    lines = [f"“{excerpt(mention.text)}” — {who} on {mention.platform}"]
    if mention.url:
        lines.append(mention.url)
    return "\n".join(lines)
