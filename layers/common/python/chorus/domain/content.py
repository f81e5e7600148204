"""Content from creators (seed 003): a story with photos or video, tags and a content pillar, which an editor turns
into a post or declines with a reason the creator sees. Pure: the caller passes the time and stores the result.

    submitted ──accept──▶ accepted (with the post made from it)
        └──────decline──▶ declined (with a reason)

Each decision is taken once: a second accept or decline is a conflict. Media go straight from the creator's browser
to S3 (a presigned POST, limited to the announced type and that type's size limit) under `uploads/`, are checked on
submit (type, size, and how the file begins), and become the submission's (copied under `content/`); uploads never
submitted expire.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from datetime import datetime, timedelta
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chorus.domain import timing
from chorus.domain.errors import Conflict, Forbidden, ValidationError
from chorus.domain.inbox import MentionRecord, excerpt
from chorus.domain.inbox_workflow import OPEN_STATUSES
from chorus.domain.posts import Category, Post
from chorus.domain.prechecks import Flag, PrecheckLists
from chorus.domain.roles import EDITORS, Principal

# Content pillars (seed 000 #9: vacancies, events, milestones... and what an organisation has to tell).
Pillar = Literal["news", "vacancy", "event", "milestone", "behind-the-scenes", "expertise", "customer-story"]
ContentStatus = Literal["submitted", "accepted", "declined"]
# The post category a pillar becomes (posts know fewer categories than content has pillars).
CATEGORY_OF_PILLAR: dict[str, Category] = {"vacancy": "vacancy", "event": "event", "milestone": "milestone",
                                           "customer-story": "success"}

MB = 1024 * 1024
MEDIA_LIMITS: dict[str, int] = {
    "image/jpeg": 10 * MB, "image/png": 10 * MB, "image/gif": 10 * MB, "image/webp": 10 * MB,
    "video/mp4": 200 * MB, "video/quicktime": 200 * MB,
}
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
MAX_MEDIA = 10
MAX_TEXT = 5000
UPLOAD_KEY = re.compile(r"^uploads/([0-9a-f]{32})/([A-Za-z0-9._-]{1,100})$")


class UploadRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    filename: str = Field(min_length=1, max_length=255, examples=["team-outing.jpg"])
    content_type: str = Field(description=f"one of: {', '.join(MEDIA_LIMITS)}", examples=["image/jpeg"])
    size: int = Field(ge=1, description="bytes; images up to 10 MB, video up to 200 MB")


class UploadTicket(BaseModel):
    """Where and how the browser uploads one file: POST `url` as multipart/form-data with every field of `fields`
    and then the file as the last field, named `file`."""

    upload_id: str
    key: str = Field(description="name this key in the submission's `media`")
    url: str
    fields: dict[str, str]
    content_type: str
    max_size: int = Field(description="S3 refuses a larger file")
    expires_at: str = Field(description="the upload must start before this time")


class Upload(BaseModel):
    """An upload handed out to a person (so only they can submit it)."""

    id: str
    person: str
    key: str
    filename: str
    content_type: str
    created_at: str


class StoredObject(BaseModel):
    """What S3 says about an uploaded object, and how it begins."""

    content_type: str
    size: int
    head: bytes = b""  # the first SIGNATURE_BYTES bytes


class MediaItem(BaseModel):
    key: str
    content_type: str
    size: int
    url: str | None = Field(default=None, description="a presigned GET link (editors' queue; valid for an hour)")


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="the story")
    tags: list[str] = Field(default_factory=list, max_length=20)
    pillar: Pillar
    media: list[str] = Field(default_factory=list, max_length=MAX_MEDIA,
                             description="keys of uploads from POST /content/uploads")

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("text must not be blank")
        return value.strip()

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: list[str]) -> list[str]:
        cleaned: list[str] = []
        for tag in tags:
            tag = tag.strip().lstrip("#").casefold()
            if not re.fullmatch(r"[^\W_][\w-]{0,49}", tag):
                raise ValueError(f"{tag!r}: a tag is one word of letters, digits, '-' or '_' (at most 50)")
            if tag not in cleaned:
                cleaned.append(tag)
        return cleaned


class Submission(BaseModel):
    id: str
    creator: str | None = Field(description="the creator's person id; null once their personal data is erased")
    text: str
    tags: list[str] = Field(default_factory=list)
    pillar: Pillar
    media: list[MediaItem] = Field(default_factory=list)
    status: ContentStatus = "submitted"
    post_id: str | None = Field(default=None, description="the draft post made from it (accepted)")
    decline_reason: str | None = Field(default=None, description="why it was declined, for the creator")
    decided_by: str | None = Field(default=None, description="username of the editor who accepted or declined it")
    decided_at: str | None = None
    editor: str | None = Field(default=None, description="person id of that editor, when they are an ambassador")
    created_at: str
    updated_at: str
    version: int = 0


class AcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, min_length=1, max_length=10_000,
                             description="the post's text, edited (default: the creator's or the mention's text)")
    channels: list[str] = Field(default_factory=list, max_length=20, description="channel ids to publish on")


class DeclineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000, description="shown to the creator")


# ---------------------------------------------------------------------------------------------- uploads
def check_upload(request: UploadRequest) -> int:
    """The most bytes this upload may have; 400 for a type or size that is not allowed."""
    limit = MEDIA_LIMITS.get(request.content_type.strip().lower())
    if limit is None:
        raise ValidationError("content_type", f"{request.content_type!r} is not allowed; send one of: {', '.join(MEDIA_LIMITS)}")
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


def submit(submission_id_: str, person: str, content: SubmissionIn, media: list[MediaItem], now: datetime) -> Submission:
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
        raise Conflict(f"this content was {submission.status} already" + (f" as post {submission.post_id}" if submission.post_id else ""),
                       status=submission.status, post_id=submission.post_id)


def _decided(submission: Submission, actor: Principal, editor: str | None, now: datetime, **changes: object) -> Submission:
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
    """Listening suggests content (seed 003): praise routed to marketing that nobody has taken up yet."""
    return mention.intent == "praise" and "marketing" in mention.teams and mention.status in OPEN_STATUSES


def suggested_text(mention: MentionRecord) -> str:
    """A draft that cites the mention: its words, who said them and where."""
    who = "@" + mention.author_handle.lstrip("@")
    lines = [f"“{excerpt(mention.text)}” — {who} on {mention.platform}"]
    if mention.url:
        lines.append(mention.url)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------- views
class SubmissionView(Submission):
    flags: list[Flag] = Field(default_factory=list, description="the pre-share check of its text")
    creator_name: str | None = Field(default=None, description="the creator's name (editors' queue)")


class SubmissionPage(BaseModel):
    items: list[SubmissionView]
    next_cursor: str | None = None


class Suggestion(BaseModel):
    """An open praise mention routed to marketing: material for a post (POST /content/suggestions/{id}/accept)."""

    mention_id: str
    platform: str
    author_handle: str
    text: str
    url: str | None
    language: str
    received_at: str
    reach: int
    flags: list[Flag] = Field(default_factory=list)

    @classmethod
    def of(cls, mention: MentionRecord, flags: list[Flag]) -> "Suggestion":
        return cls(mention_id=mention.id, platform=mention.platform, author_handle=mention.author_handle,
                   text=mention.text, url=mention.url, language=mention.language, received_at=mention.received_at,
                   reach=mention.reach, flags=flags)


class ContentQueue(BaseModel):
    items: list[SubmissionView] = Field(description="submitted content, oldest first")
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for more submissions")
    suggestions: list[Suggestion] = Field(description="open praise mentions routed to marketing, oldest first")
    next_suggestions_cursor: str | None = Field(default=None, description="pass as ?suggestions_cursor= for more")


class AcceptResult(BaseModel):
    post: Post = Field(description="the draft post; its `source` names the content or mention")
    flags: list[Flag] = Field(default_factory=list, description="the pre-share check of the post's text")
    submission: Submission | None = Field(default=None, description="the accepted submission (content only)")


class PrecheckListsView(PrecheckLists):
    updated_at: str | None = None
    updated_by: str | None = None


class PrecheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000)


class PrecheckResult(BaseModel):
    flags: list[Flag]
