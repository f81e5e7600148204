"""The `local` platform: an outbox in DynamoDB that `GET /channels/{id}/outbox` shows. It behaves like a real
platform with an idempotency key: a retry with the same key returns the first post instead of a second one. It keeps
each attachment's key (or link) and alt text, not its bytes.

Access pattern (the table is defined in infra/template.yaml; see docs/data-model.md):
  a channel's local outbox ............. OutboxTable key channel_id + key             Query / conditional Put
  counts of our posts (metrics) ........ OutboxTable key channel_id + key             BatchGetItem"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from pynamodb.attributes import ListAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.models import Model

from chorus.aws.tables import put_if_absent, table
from chorus.platforms.base import MetricsReading, PostCounts, Published, PublishRequest, RecentPost


@table("outbox_table")
class OutboxItem(Model):
    """What the `local` platform 'published': the demo's and the tests' stand-in for a social network."""

    class Meta:
        table_name = "unbound"

    channel_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)  # the delivery's idempotency key: a retry finds its first write
    text = UnicodeAttribute()
    media = ListAttribute[Any](default=list)  # {key, alt} of each photo or video (plain keys in older entries)
    in_reply_to = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute()
    # what people did with it: the demo and the tests set these as a network's audience would
    replies = NumberAttribute(default=0)
    reposts = NumberAttribute(default=0)
    likes = NumberAttribute(default=0)


class OutboxRepository:
    def add(self, item: OutboxItem) -> bool:
        return put_if_absent(item, OutboxItem.key)

    def get(self, channel_id: str, key: str) -> OutboxItem | None:
        try:
            return OutboxItem.get(channel_id, key, consistent_read=True)
        except OutboxItem.DoesNotExist:
            return None

    def many(self, channel_id: str, keys: Sequence[str]) -> list[OutboxItem]:
        return list(OutboxItem.batch_get([(channel_id, key) for key in keys]))

    def latest(self, channel_id: str, limit: int) -> list[OutboxItem]:
        items = list(OutboxItem.query(channel_id))
        return sorted(items, key=lambda i: i.published_at, reverse=True)[:limit]


class LocalConnector:
    platform = "local"

    def __init__(self, channel_id: str, outbox: OutboxRepository | None = None) -> None:
        self.channel_id = channel_id
        self.outbox = outbox or OutboxRepository()

    @classmethod
    def from_settings(cls, settings: dict[str, str]) -> LocalConnector:
        return cls(settings["channel_id"])

    def publish(self, request: PublishRequest) -> Published:
        item = OutboxItem(
            self.channel_id,
            request.idempotency_key,
            text=request.text,
            media=[{"key": file.key, "alt": file.alt} for file in request.media],
            in_reply_to=request.in_reply_to,
            published_at=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        )
        if not self.outbox.add(item):
            item = self.outbox.get(self.channel_id, request.idempotency_key) or item
        return Published(platform_id=item.key, url=f"local://{self.channel_id}/{item.key}")

    def delete(self, platform_id: str) -> None:
        existing = self.outbox.get(self.channel_id, platform_id)
        if existing is not None:
            existing.delete()

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        return [
            RecentPost(
                platform_id=i.key,
                url=f"local://{self.channel_id}/{i.key}",
                text=i.text,
                created_at=i.published_at,
                in_reply_to=i.in_reply_to,
                media=tuple(_attachment(entry) for entry in i.media),
            )
            for i in self.outbox.latest(self.channel_id, limit)
        ]

    metrics_batch = 100  # BatchGetItem reads 100 keys a request

    def metrics(self, platform_ids: Sequence[str]) -> MetricsReading:
        """The counts stored with each outbox entry (a deleted entry is left out): one BatchGetItem."""
        keys = list(dict.fromkeys(platform_ids))[: self.metrics_batch]
        if not keys:
            return MetricsReading({}, 0)
        return MetricsReading({
            item.key: PostCounts(replies=int(item.replies), reposts=int(item.reposts), likes=int(item.likes))
            for item in self.outbox.many(self.channel_id, keys)
        }, 1)

    def verify_credentials(self) -> str:
        return f"local:{self.channel_id}"


def _attachment(entry: object) -> tuple[str, str]:
    if isinstance(entry, dict):
        return str(entry.get("key") or ""), str(entry.get("alt") or "")
    return str(entry), ""
