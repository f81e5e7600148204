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
- Setting the status a mention already has is a no-op, so a retried request is harmless."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import get_args

from chorus.core import time as timing
from chorus.core.errors import Conflict, ValidationError
from chorus.inbox.schemas import NOTE_MAX_CHARS, SettableStatus
from chorus.listening.schemas import MentionRecord, MentionStatus, Note, OurReply

STATUSES: tuple[str, ...] = get_args(MentionStatus)
OPEN_STATUSES = ("new", "assigned")  # waiting for a first answer: the inbox shows these unless asked otherwise
STATUS_FILTERS = {"open": OPEN_STATUSES, "all": STATUSES, **{status: (status,) for status in STATUSES}}
ALLOWED: dict[str, frozenset[str]] = {
    "new": frozenset({"assigned", "responded", "resolved", "ignored"}),
    "assigned": frozenset({"new", "assigned", "responded", "resolved", "ignored"}),
    "responded": frozenset({"responded", "resolved"}),
    "resolved": frozenset({"new", "assigned"}),
    "ignored": frozenset({"new", "assigned"}),
}
SETTABLE: tuple[str, ...] = get_args(SettableStatus)
MAX_NOTES = 50  # with the text and replies, a mention stays far below DynamoDB's 400 KB item limit
MAX_REPLIES = 20
FILTERS = ("intent", "team", "facet", "platform", "language", "assignee")


@dataclass(frozen=True)
class InboxQuery:
    """Which mentions the inbox lists: statuses (each a partition of the `by_status` index), a window on
    received_at (the index's sort key) and the minor filters (applied while reading)."""

    statuses: tuple[str, ...]
    since: datetime | None = None
    until: datetime | None = None
    filters: dict[str, str] = field(default_factory=dict)
    oldest_first: bool = False

    @classmethod
    def of(cls, status: str, since: datetime | None, until: datetime | None, filters: dict[str, str],
           oldest_first: bool = False) -> InboxQuery:
        if status not in STATUS_FILTERS:
            raise ValidationError("status", f"must be one of: {', '.join(STATUS_FILTERS)}")
        unknown = sorted(set(filters) - set(FILTERS))
        if unknown:
            raise ValidationError(unknown[0], f"not a filter; filters are: {', '.join(FILTERS)}")
        if since and until and until < since:
            raise ValidationError("to", "must not be before 'from'")
        return cls(STATUS_FILTERS[status], since, until, {k: v for k, v in filters.items() if v}, oldest_first)


@dataclass(frozen=True)
class InboxPage:
    items: list[MentionRecord]
    next_cursor: str | None
    items_read: int  # what DynamoDB evaluated for this page: filters make it read more than it returns


def assign(record: MentionRecord, assignee: str) -> MentionRecord:
    """Give the mention to someone: new, assigned (reassign), or a reopen of a resolved or ignored one."""
    assignee = assignee.strip()
    if not assignee:
        raise ValidationError("assignee", "name the person (username) who takes it")
    target = "responded" if record.status == "responded" else "assigned"
    _require(record, target, "assign")
    if record.assignee == assignee and record.status == target:
        return record
    return record.model_copy(update={"status": target, "assignee": assignee})


def set_status(record: MentionRecord, status: str, now: datetime) -> MentionRecord:
    """Move the mention: back to new (unassigned), responded (answered outside Chorus), resolved or ignored."""
    if status == "assigned":
        raise ValidationError("status", "assigning needs a person: assign the mention to someone instead")
    if status not in SETTABLE:
        raise ValidationError("status", f"must be one of: {', '.join(SETTABLE)}")
    if status == record.status:
        return record
    if status == "responded":
        return respond(record, now)
    _require(record, status, "set")
    return record.model_copy(update={"status": status, "assignee": None if status == "new" else record.assignee})


def respond(record: MentionRecord, now: datetime) -> MentionRecord:
    """The organisation answered. The first answer sets first_response_at; later ones leave it where it is."""
    _require(record, "responded", "respond to")
    first = record.first_response_at or timing.iso_utc(max(now, timing.from_iso_utc(record.received_at)))
    return record.model_copy(update={"status": "responded", "first_response_at": first})


def check_can_reply(record: MentionRecord) -> None:
    """Raise the Conflict respond() would raise, before anything is written for a reply."""
    _require(record, "responded", "reply to")


def add_note(record: MentionRecord, text: str, author: str, now: datetime) -> MentionRecord:
    text = text.strip()
    if not text:
        raise ValidationError("text", "a note needs text")
    if len(text) > NOTE_MAX_CHARS:
        raise ValidationError("text", f"a note holds at most {NOTE_MAX_CHARS} characters")
    if len(record.notes) >= MAX_NOTES:
        raise Conflict(f"the mention has {MAX_NOTES} notes already, the most it can hold", notes=len(record.notes))
    note = Note(at=timing.iso_utc(now), by=author, text=text)
    return record.model_copy(update={"notes": [*record.notes, note]})


def add_reply(
    record: MentionRecord, post_id: str, channel_id: str, author: str, now: datetime, sent: bool
) -> MentionRecord:
    """Record a reply post made from Chorus. `sent`: it goes out now, and is the answer; otherwise it waits for an
    editor's approval, and approve_reply() makes it the answer then."""
    check_can_reply(record)
    if any(reply.post_id == post_id for reply in record.our_replies):
        return respond(record, now) if sent else record
    if len(record.our_replies) >= MAX_REPLIES:
        raise Conflict(f"the mention has {MAX_REPLIES} replies already, the most it can hold")
    reply = OurReply(post_id=post_id, channel=channel_id, by=author, at=timing.iso_utc(now))
    changed = record.model_copy(update={"our_replies": [*record.our_replies, reply]})
    return respond(changed, now) if sent else changed


def _require(record: MentionRecord, target: str, verb: str) -> None:
    if target not in ALLOWED[record.status]:
        allowed = sorted(ALLOWED[record.status])
        hint = "; reopen it first (back to new, or assign it)" if record.status in ("resolved", "ignored") else ""
        raise Conflict(f"cannot {verb} a {record.status} mention{hint}", status=record.status, allowed=allowed)
