"""Working a mention: who has it, where it stands, what the team noted and when it was first answered. Pure: the
caller passes `now` and stores the result (with optimistic locking).

    new ──assign──▶ assigned ──respond──▶ responded ──resolve──▶ resolved
     ▲  ◀── back to new ──┘                    │                    │
     │  new and assigned may also be resolved or ignored directly  │
     └──────────── reopen (back to new, or assign) ◀── resolved, ignored

- `assigned` always has an assignee and `new` never has one. Assigning a responded mention hands its follow-up to
  someone without undoing the answer.
- `responded`: a reply went out from Chorus, or someone answered elsewhere (phone, the platform itself) and said so.
  The first time sets `first_response_at`, which then never moves, and is never before the mention was received.
- Resolved and ignored mentions are closed: replying needs a reopen first.
- Setting the status a mention already has is a no-op, so a retried request is harmless.

Request and response bodies of the REST API (validated on the way in, documented in /openapi.json)."""
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
    assignee: str = Field(min_length=1, max_length=128, pattern=r"^\S+$", description="username of who takes the mention")


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: SettableStatus = Field(
        description="new: back to the queue, unassigned; responded: answered outside Chorus; resolved; ignored")


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=NOTE_MAX_CHARS, description="internal: seen by the team, never published")


class ReplyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=10_000, description="checked against the platform's length limit")
    channel: str | None = Field(default=None, max_length=40, description="the account to reply from; needed only when "
                                "the organisation has several on the mention's platform")


class ReplyResult(BaseModel):
    mention: MentionRecord
    post: Post = Field(description="the reply: a post with `reply_to`, published by the publisher like any other")
    needs_approval: bool = Field(description="true: it waits as submitted for an editor's POST /posts/{id}/approve")
