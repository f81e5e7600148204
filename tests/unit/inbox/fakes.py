"""In-memory stand-ins for the inbox service's ports. Optimistic locking works as in the DynamoDB repositories: the
version travels with the record, and saving a record whose version is not the stored one is a Conflict."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from chorus.calendar.schemas import Channel, Post
from chorus.core import time as timing
from chorus.core.errors import Conflict, Stale
from chorus.inbox.rules import InboxPage, InboxQuery
from chorus.inbox.saved.schemas import SavedReply
from chorus.inbox.saved.service import SavedReplies
from chorus.inbox.schemas import TeamMember
from chorus.inbox.service import Channels, InboxReads, Mentions, Posts, ReplyWrites, TeamDirectory
from chorus.listening.schemas import MentionRecord
from tests.unit.listening.fakes import T0


def mention(mention_id: str = "m1", *, platform: str = "x", teams: tuple[str, ...] = ("care",), received: datetime = T0,
            **fields: object) -> MentionRecord:
    stamp = timing.iso_utc(received)
    values: dict[str, object] = dict(
        id=mention_id, platform=platform, platform_id=f"{platform}-{mention_id}", text="Al drie dagen geen internet",
        author_handle="klant", created_at=stamp, received_at=stamp, language="nl", intent="complaint", sentiment=-0.7,
        complaint_score=0.9, reach=80, conversation=f"c-{mention_id}", teams=list(teams), routed=True,
        expires_at=int((received + timedelta(days=90)).timestamp()))
    values.update(fields)
    return MentionRecord.model_validate(values)


class MemoryMentions(Mentions):
    def __init__(self, *records: MentionRecord) -> None:
        self.items: dict[str, MentionRecord] = {}
        self.saves = 0
        self.before_save: Callable[[], object] | None = None  # runs once, just before the next save: a rival's edit
        for record in records:
            self.items[record.id] = record.model_copy(update={"version": 1})

    def get(self, key: str, now: datetime) -> MentionRecord | None:
        record = self.items.get(key)
        return None if record is None or record.expired(now) else record.model_copy(deep=True)

    def save(self, record: MentionRecord) -> MentionRecord:
        rival, self.before_save = self.before_save, None
        if rival:
            rival()
        stored = self.items[record.id]
        if stored.version != record.version:
            raise Stale("the mention was changed by someone else meanwhile")
        self.saves += 1
        saved = record.model_copy(deep=True, update={"version": record.version + 1})
        self.items[record.id] = saved
        return saved.model_copy(deep=True)


class MemoryReads(InboxReads):
    def __init__(self, mentions: MemoryMentions | None = None) -> None:
        self.queries: list[InboxQuery] = []
        self.mentions = mentions

    def page(self, query: InboxQuery, now: datetime, limit: int, cursor: str | None) -> InboxPage:
        self.queries.append(query)
        return InboxPage([], None, 0)

    def assigned_counts(self, now: datetime) -> dict[str, int]:
        """InboxReader.assigned_counts: open mentions per assignee (the `assigned` partition of `by_status`)."""
        counts: dict[str, int] = {}
        for record in self.mentions.items.values() if self.mentions else ():
            if record.status == "assigned" and record.assignee and not record.expired(now):
                counts[record.assignee] = counts.get(record.assignee, 0) + 1
        return counts


class MemoryTeam(TeamDirectory):
    """The user pool's members of the groups that work the inbox (chorus.inbox.store.CognitoTeam)."""

    def __init__(self, *members: tuple[str, str | None, tuple[str, ...]]) -> None:
        self.people = [TeamMember(username=username, name=name, roles=list(roles)) for username, name, roles in members]
        self.lookups = 0

    def members(self) -> list[TeamMember]:
        return [member.model_copy() for member in self.people]

    def find(self, username: str) -> TeamMember | None:
        self.lookups += 1
        return next((m for m in self.people if m.username.casefold() == username.casefold()), None)


class MemoryPosts(Posts):
    def __init__(self) -> None:
        self.items: dict[str, Post] = {}

    def get(self, post_id: str) -> Post | None:
        post = self.items.get(post_id)
        return post.model_copy(deep=True) if post else None


class MemoryChannels(Channels):
    def __init__(self, *channels: Channel) -> None:
        self.channels = list(channels)

    def all(self) -> list[Channel]:
        return list(self.channels)


class MemoryReplyWrites(ReplyWrites):
    """Both writes or neither, with the conditions of the real transaction."""

    def __init__(self, posts: MemoryPosts, mentions: MemoryMentions) -> None:
        self.posts = posts
        self.mentions = mentions
        self.transactions = 0

    def create(self, post: Post, mention: MentionRecord) -> tuple[Post, MentionRecord] | None:
        if post.id in self.posts.items:
            return None
        self._check(mention)
        return self._commit(post, mention)

    def approve(self, post: Post, mention: MentionRecord) -> tuple[Post, MentionRecord]:
        if self.posts.items[post.id].version != post.version:
            raise Stale("the reply was changed meanwhile")
        self._check(mention)
        return self._commit(post, mention)

    def _check(self, mention: MentionRecord) -> None:
        rival, self.mentions.before_save = self.mentions.before_save, None
        if rival:
            rival()
        if self.mentions.items[mention.id].version != mention.version:
            raise Stale("the mention was changed by someone else meanwhile")

    def _commit(self, post: Post, mention: MentionRecord) -> tuple[Post, MentionRecord]:
        self.transactions += 1
        saved_post = post.model_copy(deep=True, update={"version": post.version + 1})
        saved_mention = mention.model_copy(deep=True, update={"version": mention.version + 1})
        self.posts.items[post.id] = saved_post
        self.mentions.items[mention.id] = saved_mention
        return saved_post.model_copy(deep=True), saved_mention.model_copy(deep=True)


class MemorySavedReplies(SavedReplies):
    """chorus.inbox.saved.store.SavedReplyStore in memory: versions, the cap and its conditions as in DynamoDB."""

    def __init__(self, max_saved: int = 200) -> None:
        self.items: dict[str, SavedReply] = {}
        self.max_saved = max_saved
        self.before_write: Callable[[], object] | None = None  # runs once, just before the next write: a rival's edit

    def get(self, reply_id: str) -> SavedReply | None:
        found = self.items.get(reply_id)
        return found.model_copy(deep=True) if found else None

    def all(self) -> list[SavedReply]:
        return [reply.model_copy(deep=True) for reply in self.items.values()]

    def create(self, reply: SavedReply) -> bool:
        if reply.id in self.items:
            return False
        if len(self.items) >= self.max_saved:
            raise Conflict(f"the organisation has {self.max_saved} saved replies, the most it can keep")
        self.items[reply.id] = reply.model_copy(deep=True, update={"version": 1})
        return True

    def save(self, reply: SavedReply) -> SavedReply:
        self._rival()
        stored = self.items.get(reply.id)
        if stored is None or stored.version != reply.version:
            raise Stale("the saved reply was changed by someone else meanwhile")
        saved = reply.model_copy(deep=True, update={"version": reply.version + 1})
        self.items[reply.id] = saved
        return saved.model_copy(deep=True)

    def delete(self, reply: SavedReply) -> None:
        self._rival()
        stored = self.items.get(reply.id)
        if stored is None or stored.version != reply.version:
            raise Stale("the saved reply was changed or deleted by someone else meanwhile")
        del self.items[reply.id]

    def _rival(self) -> None:
        rival, self.before_write = self.before_write, None
        if rival:
            rival()
