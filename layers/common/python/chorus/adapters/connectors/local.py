"""The `local` platform: an outbox in DynamoDB that `GET /channels/{id}/outbox` shows. It behaves like a real
platform with an idempotency key: a retry with the same key returns the first post instead of a second one."""
from __future__ import annotations

from datetime import datetime, timezone

from chorus.adapters.connectors.base import Published, PublishRequest, RecentPost
from chorus.adapters.dynamodb import OutboxItem, OutboxRepository


class LocalConnector:
    platform = "local"

    def __init__(self, channel_id: str, outbox: OutboxRepository | None = None) -> None:
        self.channel_id = channel_id
        self.outbox = outbox or OutboxRepository()

    @classmethod
    def from_settings(cls, settings: dict[str, str]) -> "LocalConnector":
        return cls(settings["channel_id"])

    def publish(self, request: PublishRequest) -> Published:
        item = OutboxItem(
            self.channel_id,
            request.idempotency_key,
            text=request.text,
            media=list(request.media),
            in_reply_to=request.in_reply_to,
            published_at=datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
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
            RecentPost(platform_id=i.key, url=f"local://{self.channel_id}/{i.key}", text=i.text, created_at=i.published_at,
                       in_reply_to=i.in_reply_to)
            for i in self.outbox.latest(self.channel_id, limit)
        ]

    def verify_credentials(self) -> str:
        return f"local:{self.channel_id}"
