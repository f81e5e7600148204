"""Request and response bodies of saved replies: reply templates per team and language, with placeholders (see
rules.py for the placeholders and who may write them)."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chorus.listening.schemas import Team

SavedLanguage = Literal["nl", "en"]
TITLE_MAX_CHARS = 80
# Longer than any reply a platform takes by default (Mastodon 500, Bluesky 300, X 280), short enough that the whole
# library (at most MAX_SAVED_REPLIES) is one DynamoDB Query page. The platform's limit is checked at reply time.
TEXT_MAX_CHARS = 1000
PLACEHOLDER_HELP = "placeholders: {name} (author's name), {handle} (@handle), {case} (case number), {agent} (your " \
                   "first name)"


class SavedReplyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(min_length=1, max_length=TITLE_MAX_CHARS, description="what the team calls it, e.g. "
                       "'Pakket kwijt'")
    team: Team = Field(description="whose template it is: care, care-lead, marketing or pr")
    language: SavedLanguage = Field(description="nl or en")
    text: str = Field(min_length=1, max_length=TEXT_MAX_CHARS, description=f"the reply; {PLACEHOLDER_HELP}")


class SavedReplyChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=TITLE_MAX_CHARS)
    team: Team | None = None
    language: SavedLanguage | None = None
    text: str | None = Field(default=None, min_length=1, max_length=TEXT_MAX_CHARS, description=PLACEHOLDER_HELP)


class SavedReply(BaseModel):
    id: str
    title: str
    team: str
    language: str
    text: str = Field(description="with its placeholders unfilled")
    placeholders: list[str] = Field(description="the placeholders the text uses, in order of first use")
    created_by: str
    created_at: str
    updated_by: str
    updated_at: str
    version: int = Field(default=0, description="sent as the ETag; PATCH and DELETE take it in If-Match")


class SavedReplyPage(BaseModel):
    items: list[SavedReply] = Field(description="by team, language, then title")
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page; null on the last")


class FilledReply(BaseModel):
    """A saved reply filled in for one mention, as it would be sent."""

    id: str = Field(description="the saved reply's id: POST /mentions/{id}/reply {\"saved_reply_id\"} sends it as is")
    title: str
    team: str
    language: str
    text: str = Field(description="filled in; edit it and send it as `text` if it needs a personal touch")
    length: int | None = Field(description="as the reply channel's platform counts it (with the @handle Mastodon "
                               "gets in front); null when there is no channel to reply from (or several: name one)")
    limit: int | None = Field(description="the reply channel's length limit; null as for length")
    fits: bool | None = Field(description="false: too long to send as it is; shorten it and send it as `text`")


class FilledReplyPage(BaseModel):
    case_number: str = Field(description="the mention's case number, what {case} fills in")
    items: list[FilledReply] = Field(description="the mention's teams, in its language first, then by title")
    next_cursor: str | None = Field(default=None, description="always null: one page")
