"""What the ambassador programme counts, per person, day, event and channel. Pure: callers pass the time.

Seed 003: existing advocacy tools count shares and clicks; Chorus also counts who contributes (submissions, edits)
and who converses (replies to shares, forwarded mentions). Counts are keyed by a person's opaque id, so they stay
as anonymous numbers when the person's data is erased.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, get_args

EngagementEvent = Literal[
    "submission_made",  # a creator submitted content
    "submission_accepted",  # an editor turned it into a post
    "post_edited",  # an editor made a post from content (or edited one)
    "offer_received",  # a publisher was offered a post from the pool
    "share",  # a publisher shared (confirmed, or found on their account)
    "click",  # someone clicked a publisher's tracked link
    "reply",  # a reply to a publisher's share (conversation)
    "forward",  # an employee forwarded a mention to care or marketing
]
EVENTS: tuple[str, ...] = get_args(EngagementEvent)
NO_CHANNEL = "-"


@dataclass(frozen=True)
class Count:
    person: str
    day: date
    event: str
    channel: str
    count: int


def day_of(moment: datetime) -> str:
    """The UTC day a moment is counted on, as YYYY-MM-DD (reports choose their period in whole days)."""
    return moment.strftime("%Y-%m-%d")


def check_event(event: str, channel: str | None) -> str:
    """The channel as stored; refuses an event the programme does not count (a programming error, not user input)."""
    if event not in EVENTS:
        raise ValueError(f"unknown engagement event {event!r}; one of {', '.join(EVENTS)}")
    return channel or NO_CHANNEL
