"""The calendar's DynamoDB side: the PostsTable and ChannelsTable models and their repositories (PynamoDB). The
tables are defined once, in infra/template.yaml; these models name the attributes and indexes the code reads
(tests/infra checks that both agree).

Access patterns (see docs/data-model.md):
  post by id ............................ PostsTable key `id`                         GetItem
  calendar: posts in a date range ...... GSI `calendar` month + publish_at             Query per month in range
  calendar for one channel ............. GSI `calendar` + filter `contains(channels)`  Query per month in range
  posts by workflow status ............. GSI `by_status` status + updated_at           Query
  posts the publisher must look at ..... GSI `due` queue + due_at (sparse)             Query due_at <= now + 1 min
  channels of the organisation ......... ChannelsTable key org + id                    Query"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import JSONAttribute, ListAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chorus.aws.cursors import MAX_PAGE, decode_cursor, encode_cursor
from chorus.aws.tables import is_condition_failure, put_if_absent, table
from chorus.calendar.schemas import Channel, Post
from chorus.core import time as timing
from chorus.core.errors import Stale, ValidationError


class CalendarIndex(GlobalSecondaryIndex["PostItem"]):
    class Meta:
        index_name = "calendar"
        projection = AllProjection()

    month = UnicodeAttribute(hash_key=True)
    publish_at = UnicodeAttribute(range_key=True)


class StatusIndex(GlobalSecondaryIndex["PostItem"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    updated_at = UnicodeAttribute(range_key=True)


class DueIndex(GlobalSecondaryIndex["PostItem"]):
    class Meta:
        index_name = "due"
        projection = AllProjection()

    queue = UnicodeAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


DUE_QUEUE = "publish"  # the one partition of the due index; only posts with work pending carry it


@table("posts_table")
class PostItem(Model):
    class Meta:
        table_name = "unbound"  # set by bind() from settings

    id = UnicodeAttribute(hash_key=True)
    text = UnicodeAttribute(default="")
    variants = JSONAttribute(default=dict)
    media = ListAttribute[Any](default=list)  # {key, alt, content_type, size} maps; plain keys in older posts
    channels = ListAttribute(of=UnicodeAttribute, default=list)
    publish_at = UnicodeAttribute(null=True)
    month = UnicodeAttribute(null=True)
    timezone = UnicodeAttribute()
    author = UnicodeAttribute()
    on_behalf_of = UnicodeAttribute(null=True)
    endorsed_at = UnicodeAttribute(null=True)
    campaign = UnicodeAttribute(null=True)
    pillar = UnicodeAttribute(null=True)
    category = UnicodeAttribute()
    status = UnicodeAttribute()
    reject_reason = UnicodeAttribute(null=True)
    audit = JSONAttribute(default=list)
    deliveries = JSONAttribute(default=dict)
    due_at = UnicodeAttribute(null=True)
    queue = UnicodeAttribute(null=True)
    reply_to = JSONAttribute(null=True)
    source = JSONAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()

    calendar = CalendarIndex()
    by_status = StatusIndex()
    due = DueIndex()

    @classmethod
    def from_post(cls, post: Post) -> PostItem:
        data = post.model_dump(mode="json", by_alias=True, exclude={"publish_at_local", "metrics"})
        if not data["version"]:
            del data["version"]  # a new item: PynamoDB's VersionAttribute then requires that none exists yet
        month = timing.month_key(post.publish_time) if post.publish_time else None
        return cls(**data, month=month, queue=DUE_QUEUE if post.due_at else None)

    def to_post(self) -> Post:
        data = {name: getattr(self, name) for name in self.get_attributes() if name not in ("month", "queue")}
        data["version"] = self.version or 0
        return Post.model_validate(data)


@table("channels_table")
class ChannelItem(Model):
    class Meta:
        table_name = "unbound"

    org = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    platform = UnicodeAttribute()
    handle = UnicodeAttribute()
    owner = UnicodeAttribute(null=True)
    connection = JSONAttribute(default=dict)
    cadence_per_week = NumberAttribute(default=0)
    tone = UnicodeAttribute(default="none")
    max_length = NumberAttribute(null=True)
    timezone = UnicodeAttribute()
    slots = JSONAttribute(default=list)
    status = UnicodeAttribute(default="active")
    version = VersionAttribute()

    def to_channel(self) -> Channel:
        data = {name: getattr(self, name) for name in self.get_attributes() if name != "org"}
        data["version"] = self.version or 0
        return Channel.model_validate(data)


class PostRepository:
    def get(self, post_id: str) -> Post | None:
        try:
            return PostItem.get(post_id, consistent_read=True).to_post()
        except PostItem.DoesNotExist:
            return None

    def create(self, post: Post) -> bool:
        """Store a new post; False when a post with that id exists already (an idempotent retry)."""
        return put_if_absent(PostItem.from_post(post), PostItem.id)

    def save(self, post: Post) -> Post:
        """Store a change; 409 when someone else changed the post since it was read (optimistic locking)."""
        item = PostItem.from_post(post)
        try:
            item.save()
        except PutError as error:
            if is_condition_failure(error):
                raise Stale("the post was changed by someone else meanwhile; reload it and try again") from None
            raise
        return post.model_copy(update={"version": item.version})

    def calendar(
        self, start: datetime, end: datetime, channel: str | None, limit: int, cursor: str | None
    ) -> tuple[list[Post], str | None]:
        """Posts planned in [start, end), oldest first, one page at a time."""
        state = decode_cursor(cursor)
        months = timing.months_between(start, end)
        first_month = state.get("m", months[0] if months else None)
        if first_month is not None and first_month not in months:
            raise ValidationError("cursor", "does not belong to this date range")
        posts: list[Post] = []
        start_key = state.get("k")
        condition = PostItem.publish_at.between(timing.iso_utc(start), timing.iso_utc(end))
        filter_condition = PostItem.channels.contains(channel) if channel else None
        for month in months[months.index(first_month):] if first_month else []:
            results = PostItem.calendar.query(
                month,
                condition,
                filter_condition=filter_condition,
                limit=limit - len(posts),
                last_evaluated_key=start_key,
            )
            for item in results:
                if item.publish_at != timing.iso_utc(end):  # `between` is inclusive; the range is half-open
                    posts.append(item.to_post())
            start_key = results.last_evaluated_key
            if start_key:
                return posts, encode_cursor({"m": month, "k": start_key})
            if len(posts) >= limit:
                following = months[months.index(month) + 1:]
                return posts, encode_cursor({"m": following[0]}) if following else None
        return posts, None

    def in_window(self, start: datetime, end: datetime) -> list[Post]:
        """Every post planned in [start, end): for duplicate checks and free queue slots."""
        posts: list[Post] = []
        cursor = None
        while True:
            page, cursor = self.calendar(start, end, None, MAX_PAGE, cursor)
            posts.extend(page)
            if cursor is None:
                return posts

    def due(self, until: datetime, limit: int = MAX_PAGE) -> list[Post]:
        """Posts whose due_at has come (or comes before `until`): reads only those, never the whole calendar."""
        results = PostItem.due.query(DUE_QUEUE, PostItem.due_at <= timing.iso_utc(until), limit=limit)
        return [item.to_post() for item in results]

    def by_status(self, status: str, limit: int, cursor: str | None) -> tuple[list[Post], str | None]:
        """Posts in one workflow state, most recently changed first."""
        results = PostItem.by_status.query(
            status, scan_index_forward=False, limit=limit, last_evaluated_key=decode_cursor(cursor).get("k")
        )
        posts = [item.to_post() for item in results]
        key = results.last_evaluated_key
        return posts, encode_cursor({"k": key}) if key else None


class ChannelRepository:
    def __init__(self, org: str) -> None:
        self.org = org

    def get(self, channel_id: str) -> Channel | None:
        try:
            return ChannelItem.get(self.org, channel_id).to_channel()
        except ChannelItem.DoesNotExist:
            return None

    def all(self) -> list[Channel]:
        return [item.to_channel() for item in ChannelItem.query(self.org)]

    def create(self, channel: Channel) -> bool:
        return put_if_absent(self._item(channel), ChannelItem.id)

    def save(self, channel: Channel) -> None:
        """Store a change; Stale when the channel changed since it was read (or is gone)."""
        item = self._item(channel)
        try:
            item.save(condition=ChannelItem.id.exists())
        except PutError as error:
            if is_condition_failure(error):
                raise Stale("the channel was changed by someone else meanwhile") from None
            raise

    def delete(self, channel_id: str) -> bool:
        try:
            ChannelItem(self.org, channel_id).delete(condition=ChannelItem.id.exists())
        except DeleteError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def _item(self, channel: Channel) -> ChannelItem:
        data = channel.model_dump(mode="json")
        if not data["version"]:
            del data["version"]  # a new item: PynamoDB's VersionAttribute then requires that none exists
        return ChannelItem(self.org, **data)
