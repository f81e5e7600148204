"""Request and response bodies of the inbox's REST API (validated on the way in, documented in /openapi.json). The
mention itself is listening's MentionRecord; how its status moves (new, assigned, responded, resolved, ignored) is in
rules.py."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chorus.calendar.schemas import Post
from chorus.listening.schemas import MentionRecord

SettableStatus = Literal["new", "responded", "resolved", "ignored"]  # `assigned` needs a person: assign()
NOTE_MAX_CHARS = 1000


class MentionPage(BaseModel):
    items: list[MentionRecord]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page; a page can be short "
                                    "(even empty) while there is more, when filters left little of what it read")


class AssignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    assignee: str = Field(
        min_length=1, max_length=128, pattern=r"^\S+$",
        description="username of who takes the mention: someone who works the inbox (GET /team), or `me`"
    )


class TeamMember(BaseModel):
    """Someone who works the inbox: a user of the user pool in the care, pr, editor or master group."""

    username: str
    name: str | None = Field(default=None, description="the user's name in the user pool, when it has one")
    roles: list[str]
    open_mentions: int = Field(default=0, description="mentions assigned to them and still open")


class TeamPage(BaseModel):
    items: list[TeamMember] = Field(description="by username")
    next_cursor: str | None = Field(default=None, description="always null: the whole team is one page")


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: SettableStatus = Field(
        description="new: back to the queue, unassigned; responded: answered outside Chorus; resolved; ignored")


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(
        min_length=1, max_length=NOTE_MAX_CHARS, description="internal: seen by the team, never published"
    )


class ReplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, min_length=1, max_length=10_000,
                             description="checked against the platform's length limit; or send saved_reply_id")
    saved_reply_id: str | None = Field(default=None, min_length=1, max_length=40, description="send this saved reply, "
                                       "filled in for the mention (GET /mentions/{id}/saved-replies shows it); instead "
                                       "of text")
    channel: str | None = Field(default=None, max_length=40, description="the account to reply from; needed only when "
                                "the organisation has several on the mention's platform")


class ReplyResult(BaseModel):
    mention: MentionRecord
    post: Post = Field(description="the reply: a post with `reply_to`, published by the publisher like any other")
    needs_approval: bool = Field(description="true: it waits as submitted for an editor's POST /posts/{id}/approve")
