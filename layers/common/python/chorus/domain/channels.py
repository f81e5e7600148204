"""The organisation's own accounts on each platform, with their posting schedule and tone of voice."""
from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chorus.domain import timing

Platform = Literal["mastodon", "bluesky", "x", "linkedin", "local"]
Tone = Literal["formal", "informal", "none"]
ChannelStatus = Literal["active", "needs_reconnect"]

CHANNEL_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class SlotSpec(BaseModel):
    """One weekly posting slot, in the channel's local time."""

    model_config = ConfigDict(extra="forbid")
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    time: str = Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["09:30"])

    def slot(self) -> timing.Slot:
        return timing.Slot(self.weekday, self.time)


class ChannelFields(BaseModel):
    """Everything about a channel that a user may set (all optional, for updates)."""

    model_config = ConfigDict(extra="forbid")
    handle: str | None = Field(default=None, min_length=1, max_length=200)
    owner: str | None = Field(default=None, min_length=1, max_length=128, description="username of the person responsible")
    cadence_per_week: int | None = Field(default=None, ge=0, le=500, description="target number of posts per week")
    tone: Tone | None = Field(default=None, description="Dutch tone of voice: formal (u/uw) or informal (je/jij/jouw)")
    max_length: int | None = Field(default=None, ge=1, le=100_000, description="override of the platform's text limit")
    timezone: str | None = Field(default=None, description="IANA time zone of the posting schedule")
    slots: list[SlotSpec] | None = Field(default=None, max_length=200, description="weekly posting schedule for 'add to queue'")
    connection: dict[str, str] | None = Field(
        default=None,
        description="non-secret connection settings: instance_url (Mastodon), service_url (Bluesky), organization_urn "
        "(LinkedIn). Tokens live in Secrets Manager under the channel's id, never here.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            timing.zone(value)
        return value


class ChannelCreate(ChannelFields):
    id: str = Field(pattern=CHANNEL_ID.pattern, description="short slug, e.g. 'mastodon-main'")
    platform: Platform
    handle: str = Field(min_length=1, max_length=200)


class Channel(BaseModel):
    id: str
    platform: Platform
    handle: str
    owner: str | None = None
    cadence_per_week: int = 0
    tone: Tone = "none"
    max_length: int | None = None
    timezone: str = timing.DEFAULT_TIMEZONE
    slots: list[SlotSpec] = Field(default_factory=list)
    connection: dict[str, str] = Field(default_factory=dict)
    status: ChannelStatus = "active"

    @classmethod
    def create(cls, data: ChannelCreate, default_owner: str) -> "Channel":
        fields = data.model_dump(exclude_none=True)
        fields.setdefault("owner", default_owner)
        return cls(**fields)

    def updated(self, changes: ChannelFields) -> "Channel":
        return Channel.model_validate({**self.model_dump(), **changes.model_dump(exclude_unset=True)})
