"""DynamoDB side of the inbox: reading the inbox and writing replies (tables in infra/template.yaml; the models are
MentionItem in chorus/listening/store.py and PostItem in chorus/calendar/store.py; see docs/data-model.md); and the
team that works it, from the Cognito user pool.

  the inbox: mentions in some statuses ..... MentionsTable GSI `by_status` status + received_at: one Query stream per
                                             status (key condition on received_at, FilterExpression for the rest),
                                             merged newest (or oldest) first
  open mentions per assignee ............... MentionsTable GSI `by_status`, partition `assigned`: Query, assignee only
  a reply post and the mention it answers .. PostsTable + MentionsTable in one TransactWriteItems
  who works the inbox ...................... Cognito ListUsersInGroup per group (care, editor, master, pr), kept for
                                             a minute per warm Lambda"""
from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chorus.aws.cursors import decode_cursor, encode_cursor
from chorus.aws.messaging import _client
from chorus.aws.tables import cancellation_reasons, transaction_connection
from chorus.calendar.schemas import Post
from chorus.calendar.store import PostItem
from chorus.core import time as timing
from chorus.core.errors import Stale, ValidationError
from chorus.core.observability import logger
from chorus.core.roles import RESPONDERS
from chorus.inbox.rules import InboxPage, InboxQuery
from chorus.inbox.schemas import TeamMember
from chorus.listening.schemas import MentionRecord
from chorus.listening.store import MentionItem

# A page reads at most this many items (summed over its statuses), however selective the filters: a filter that
# matches little returns a short (even empty) page with a cursor instead of reading the whole partition.
MAX_READ_PER_PAGE = 500
MAX_ASSIGNED_COUNTED = 10_000  # open mentions counted per assignee for GET /team; a backlog beyond is logged
FETCH_MIN = 25  # one Query reads at least this many (when the budget allows), so a selective filter needs few calls
_END = "end"
_GSI_KEY = ("id", "status", "received_at")


@dataclass
class _Stream:
    """One status partition, read in the page's order. `buffer` holds matches read but not (yet) on the page."""

    status: str
    start: dict[str, Any] | None  # ExclusiveStartKey of the next Query
    done: bool
    resume: dict[str, Any] | None  # where the next page continues if buffered items are left over
    buffer: deque[tuple[dict[str, Any], MentionRecord]] = field(default_factory=deque)

    def position(self) -> dict[str, Any] | str | None:
        if self.buffer:
            return self.resume
        return _END if self.done else self.start


class InboxReader:
    def __init__(self, max_read: int = MAX_READ_PER_PAGE) -> None:
        self.max_read = max_read

    def page(self, query: InboxQuery, now: datetime, limit: int, cursor: str | None) -> InboxPage:
        """Up to `limit` mentions, newest first (or oldest). Several statuses are merged by received_at; the cursor
        keeps each status's own position. Expired mentions are filtered out like the minor filters."""
        positions = decode_cursor(cursor).get("p") if cursor else {}
        if not isinstance(positions, dict) or (cursor and set(positions) != set(query.statuses)):
            raise ValidationError("cursor", "belongs to another status filter, or is not a cursor this API returned")
        streams = [_Stream(status, _key(positions.get(status), status), positions.get(status) == _END,
                           _key(positions.get(status), status)) for status in query.statuses]
        condition, filter_condition = self._conditions(query, now)
        # The merge needs the next item of every status before it can place one: each status must get a read within
        # the budget, so one Query reads at most an equal part of it, and the statuses take turns.
        budget = max(self.max_read, len(streams))
        part = budget // len(streams)
        items: list[MentionRecord] = []
        read = 0
        while len(items) < limit:
            # Unfiltered, each status is asked for its share of what the page still needs (what it reads beyond what
            # the page takes is read again by the next page); filtered, for all of it, as most of it is left out.
            needed = limit - len(items)
            size = min(part, max(FETCH_MIN, needed if query.filters else -(-needed // len(streams))))
            waiting = [stream for stream in streams if not stream.buffer and not stream.done]
            while waiting and read < budget:
                for stream in waiting:
                    if read < budget:
                        read += self._fetch(stream, query, condition, filter_condition, min(budget - read, size))
                waiting = [stream for stream in waiting if not stream.buffer and not stream.done]
            if waiting:
                break  # out of budget before knowing what comes next in some status: the cursor goes on from here
            ready = [stream for stream in streams if stream.buffer]
            if not ready:
                break
            pick = (min if query.oldest_first else max)(
                ready, key=lambda s: (s.buffer[0][1].received_at, s.buffer[0][1].id)
            )
            raw, record = pick.buffer.popleft()
            pick.resume = {name: raw[name] for name in _GSI_KEY}
            items.append(record)
        positions = {stream.status: stream.position() for stream in streams}
        more = any(position != _END for position in positions.values())
        return InboxPage(items, encode_cursor({"p": positions}) if more else None, read)

    def assigned_counts(self, now: datetime) -> dict[str, int]:
        """Open mentions per assignee: the `assigned` partition of `by_status`, only `assignee` read back."""
        counts: Counter[str] = Counter()
        results = MentionItem.by_status.query(
            "assigned", filter_condition=MentionItem.expires_at > int(now.timestamp()),
            attributes_to_get=["assignee"], page_size=1000)
        read = 0
        for page in results.page_iter:
            counts.update(raw["assignee"]["S"] for raw in page.get("Items", []) if "assignee" in raw)
            read += int(page.get("ScannedCount", 0))
            if read >= MAX_ASSIGNED_COUNTED:
                logger.warning("open mentions per assignee counted in part", extra={"read": read})
                break
        return dict(counts)

    @staticmethod
    def _conditions(query: InboxQuery, now: datetime) -> tuple[Any, Any]:
        condition: Condition | None = None
        # Half-open [since, until): times are stored to the second, so "before until" is "at or before until - 1 s".
        last = timing.iso_utc(query.until - timedelta(seconds=1)) if query.until else None
        if query.since and last:
            condition = MentionItem.received_at.between(timing.iso_utc(query.since), last)
        elif query.since:
            condition = MentionItem.received_at >= timing.iso_utc(query.since)
        elif last:
            condition = MentionItem.received_at <= last
        filter_condition = MentionItem.expires_at > int(now.timestamp())
        for name, value in sorted(query.filters.items()):
            filter_condition &= (
                MentionItem.teams.contains(value) if name == "team" else getattr(MentionItem, name) == value
            )
        return condition, filter_condition

    @staticmethod
    def _fetch(stream: _Stream, query: InboxQuery, condition: Any, filter_condition: Any, size: int) -> int:
        """One Query request on the stream's status; returns how many items DynamoDB evaluated (read)."""
        results = MentionItem.by_status.query(
            stream.status, condition, filter_condition=filter_condition, scan_index_forward=query.oldest_first,
            page_size=size, last_evaluated_key=stream.start,
        )
        page = next(results.page_iter)
        for raw in page.get("Items", []):
            stream.buffer.append((raw, MentionItem.from_raw_data(raw).to_record()))
        stream.start = page.get("LastEvaluatedKey")
        stream.done = stream.start is None
        return int(page.get("ScannedCount", 0))


def _key(position: Any, status: str) -> dict[str, Any] | None:
    """A status's position from a cursor, checked: a tampered cursor is a 400, never a failed Query."""
    if position is None or position == _END:
        return None
    well_formed = isinstance(position, dict) and set(position) == set(_GSI_KEY) and all(
        isinstance(value, dict) and list(value) == ["S"] and isinstance(value["S"], str) for value in position.values())
    well_formed = well_formed and position["status"]["S"] == status
    if not well_formed:
        raise ValidationError("cursor", "is not a cursor this API returned")
    return position


class ReplyTransactions:
    """A reply post and the mention it answers change together or not at all: a crash between two writes can
    neither send a reply the mention does not know about, nor record an answer that never goes out."""

    def create(self, post: Post, mention: MentionRecord) -> tuple[Post, MentionRecord] | None:
        """Store a new reply post and the mention that records it. None when the post exists already (the same
        reply was made before); Conflict when the mention changed since it was read."""
        post_item, mention_item = PostItem.from_post(post), MentionItem.from_record(mention)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(post_item, condition=PostItem.id.does_not_exist())
                transaction.save(mention_item)
        except TransactWriteError as error:
            if cancellation_reasons(error)[0] == "ConditionalCheckFailed":
                return None
            raise Stale("the mention was changed by someone else meanwhile") from None
        return (
            post.model_copy(update={"version": post_item.version}),
            mention.model_copy(update={"version": mention_item.version}),
        )

    def approve(self, post: Post, mention: MentionRecord) -> tuple[Post, MentionRecord]:
        """Save an approved reply and the mention it now answers; Conflict when either changed since it was read."""
        post_item, mention_item = PostItem.from_post(post), MentionItem.from_record(mention)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(post_item)
                transaction.save(mention_item)
        except TransactWriteError as error:
            cancellation_reasons(error)
            raise Stale("the reply or its mention was changed by someone else meanwhile; try again") from None
        return (
            post.model_copy(update={"version": post_item.version}),
            mention.model_copy(update={"version": mention_item.version}),
        )


class CognitoTeam:
    """Who works the inbox: the enabled users of the user pool's responder groups (care, editor, master, pr). One
    snapshot per warm Lambda, read again once it is SNAPSHOT_SECONDS old; a name not in it reads it again at once
    when it is older than RETRY_SECONDS (someone added to a group a moment ago)."""

    SNAPSHOT_SECONDS = 60.0
    RETRY_SECONDS = 5.0
    PAGE = 60  # users per ListUsersInGroup page, the most Cognito returns

    def __init__(self, user_pool_id: str, region: str, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.user_pool_id = user_pool_id
        self.region = region
        self.monotonic = monotonic
        self._snapshot: tuple[float, dict[str, TeamMember]] | None = None
        self._lock = threading.Lock()

    def members(self) -> list[TeamMember]:
        return list(self._members(self.SNAPSHOT_SECONDS).values())

    def find(self, username: str) -> TeamMember | None:
        found = self._members(self.SNAPSHOT_SECONDS).get(username.casefold())
        return found if found is not None else self._members(self.RETRY_SECONDS).get(username.casefold())

    def _members(self, max_age: float) -> dict[str, TeamMember]:
        with self._lock:
            now = self.monotonic()
            if self._snapshot is None or now - self._snapshot[0] >= max_age:
                self._snapshot = (now, self._read())
            return self._snapshot[1]

    def _read(self) -> dict[str, TeamMember]:
        cognito = _client("cognito-idp", self.region)
        people: dict[str, TeamMember] = {}
        for group in sorted(RESPONDERS):
            pages = cognito.get_paginator("list_users_in_group").paginate(
                UserPoolId=self.user_pool_id, GroupName=group, PaginationConfig={"PageSize": self.PAGE})
            for user in (user for page in pages for user in page.get("Users", [])):
                if not user.get("Enabled", True):
                    continue  # a disabled login cannot work a mention
                key = user["Username"].casefold()
                known = people.get(key) or TeamMember(username=user["Username"], name=_name(user), roles=[])
                people[key] = known.model_copy(update={"roles": [*known.roles, group]})
        return people


def _name(user: dict[str, Any]) -> str | None:
    attributes = {a["Name"]: a["Value"] for a in user.get("Attributes", [])}
    full = " ".join(filter(None, (attributes.get("given_name"), attributes.get("family_name"))))
    return attributes.get("name") or full or None
