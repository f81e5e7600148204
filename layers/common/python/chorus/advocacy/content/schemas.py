"""Shapes of content: the pre-share check's flags and lists, uploads and the media they become, creators' submissions
and the editors' decisions on them, suggestions from listening, and the request and response bodies of /content and
/prechecks (validated on the way in, documented in /openapi.json). What is flagged, and a submission's life, are
chorus.advocacy.content.rules."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chorus.calendar.schemas import MediaRef, Post
from chorus.listening.schemas import MentionRecord

FlagKind = Literal["handle", "name", "competitor"]
MAX_LIST_ENTRIES = 1000
MAX_ENTRY_CHARS = 200


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


# Content pillars (seed 000 #9: vacancies, events, milestones... and what an organisation has to tell).
Pillar = Literal["news", "vacancy", "event", "milestone", "behind-the-scenes", "expertise", "customer-story"]
ContentStatus = Literal["submitted", "accepted", "declined"]
MB = 1024 * 1024
MEDIA_LIMITS: dict[str, int] = {
    "image/jpeg": 10 * MB, "image/png": 10 * MB, "image/gif": 10 * MB, "image/webp": 10 * MB,
    "video/mp4": 200 * MB, "video/quicktime": 200 * MB,
}
MAX_MEDIA = 10
MAX_TEXT = 5000


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
    alt: str | None = Field(default=None, description="what it shows, for people who cannot see it (alt text)")
    url: str | None = Field(default=None, description="a presigned GET link (editors' queue; valid for an hour)")


class SubmissionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=MAX_TEXT, description="the story")
    tags: list[str] = Field(default_factory=list, max_length=20)
    pillar: Pillar
    media: list[MediaRef] = Field(default_factory=list, max_length=MAX_MEDIA,
                                  description="uploads from POST /content/uploads: each `{\"key\", \"alt\"}` (alt "
                                  "text: what it shows; an editor can add it later) or just the key")

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
    def of(cls, mention: MentionRecord, flags: list[Flag]) -> Suggestion:
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
