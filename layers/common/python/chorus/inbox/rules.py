"""Working a mention: who has it, where it stands, what the team noted and when it was first answered. Pure: the
caller passes `now` and stores the result (with optimistic locking).

    new ──assign──▶ assigned ──respond──▶ responded ──resolve──▶ resolved
     ▲  ◀── back to new ──┘                    │                    │
     │  new and assigned may also be resolved or ignored directly  │
     └──────────── reopen (back to new, or assign) ◀── resolved, ignored

- `assigned` always has an assignee and `new` never has one. Assigning a responded mention hands its follow-up to
  someone without undoing the answer.
- `responded`: a reply from Chorus was published, or someone answered elsewhere (phone, the platform itself) and
  said so. The first time sets `first_response_at`, which then never moves, and is never before the mention was
  received. A reply that is still waiting for approval or being sent is no answer, and a reply that failed never is:
  it stays on the mention with its error, and a mention closed meanwhile that nobody answered goes back to the open
  inbox (to its assignee, or to new).
- Resolved and ignored mentions are closed: replying needs a reopen first.
- Setting the status a mention already has is a no-op, so a retried request is harmless."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import get_args

from chorus.core import time as timing
from chorus.core.errors import Conflict, ValidationError
from chorus.inbox.schemas import NOTE_MAX_CHARS, SettableStatus
from chorus.listening.schemas import MentionRecord, MentionStatus, Note, OurReply, ReplyState

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
        if since and until and until <= since:
            raise ValidationError("to", "must be after 'from' (from is included, to is not)")
        return cls(STATUS_FILTERS[status], since, until, {k: v for k, v in filters.items() if v}, oldest_first)


@dataclass(frozen=True)
class InboxPage:
    items: list[MentionRecord]
    next_cursor: str | None
    items_read: int  # what DynamoDB evaluated for this page: filters make it read more than it returns


ME = "me"  # in an assignee: whoever asks


def person(name: str, asking: str) -> str:
    """`me` is the person asking; any other name is taken as given."""
    return asking if name.strip().casefold() == ME else name.strip()


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
    first = record.first_response_at or _answer_time(record, now)
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
    record: MentionRecord, post_id: str, channel_id: str, author: str, now: datetime, sending: bool
) -> MentionRecord:
    """Record a reply post made from Chorus. `sending`: it goes out now; otherwise it waits for an editor's
    approval (approving it records it again, sending). Either way it is the answer only once it is published
    (reply_published)."""
    check_can_reply(record)
    state: ReplyState = "sending" if sending else "awaiting_approval"
    known = next((reply for reply in record.our_replies if reply.post_id == post_id), None)
    if known is not None:
        if known.state != "awaiting_approval" or not sending:
            return record
        return _with_reply(record, known.model_copy(update={"state": state}))
    if len(record.our_replies) >= MAX_REPLIES:
        raise Conflict(f"the mention has {MAX_REPLIES} replies already, the most it can hold")
    reply = OurReply(post_id=post_id, channel=channel_id, by=author, at=timing.iso_utc(now), state=state)
    return record.model_copy(update={"our_replies": [*record.our_replies, reply]})


def reply_published(record: MentionRecord, post_id: str, url: str | None, published_at: datetime) -> MentionRecord:
    """The reply is on the platform: the mention is answered (first_response_at is when the reply was published).
    A mention resolved or ignored meanwhile keeps its status, and still counts as answered."""
    known = next((reply for reply in record.our_replies if reply.post_id == post_id), None)
    if known is None or known.state == "published":
        return record
    published = known.model_copy(update={"state": "published", "url": url, "error": None,
                                         "published_at": timing.iso_utc(published_at)})
    changed = _with_reply(record, published)
    if changed.status in ("resolved", "ignored"):
        first = record.first_response_at or _answer_time(record, published_at)
        return changed.model_copy(update={"first_response_at": first})
    return respond(changed, published_at)


def reply_failed(record: MentionRecord, post_id: str, error: str) -> MentionRecord:
    """The reply could not be published: it stays on the mention with the reason; a mention closed meanwhile that
    was never answered goes back to the open inbox (its assignee keeps it)."""
    known = next((reply for reply in record.our_replies if reply.post_id == post_id), None)
    if known is None or known.state in ("published", "failed"):
        return record
    changed = _with_reply(record, known.model_copy(update={"state": "failed", "error": error}))
    if changed.first_response_at is None and changed.status in ("resolved", "ignored"):
        return changed.model_copy(update={"status": "assigned" if changed.assignee else "new"})
    return changed


def failed_replies(record: MentionRecord) -> int:
    return sum(reply.state == "failed" for reply in record.our_replies)


def _with_reply(record: MentionRecord, reply: OurReply) -> MentionRecord:
    replies = [reply if each.post_id == reply.post_id else each for each in record.our_replies]
    return record.model_copy(update={"our_replies": replies})


def _answer_time(record: MentionRecord, now: datetime) -> str:
    return timing.iso_utc(max(now, timing.from_iso_utc(record.received_at)))


def _require(record: MentionRecord, target: str, verb: str) -> None:
    if target not in ALLOWED[record.status]:
        allowed = sorted(ALLOWED[record.status])
        hint = "; reopen it first (back to new, or assign it)" if record.status in ("resolved", "ignored") else ""
        raise Conflict(f"cannot {verb} this mention: it is {record.status}{hint}", status=record.status,
                       allowed=allowed)
