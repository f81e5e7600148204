"""The publish queue (SQS): one PublishMessage per (post, channel), delayed to its post's planned second."""
from __future__ import annotations

import json
from dataclasses import dataclass

from chorus.aws.messaging import _client


@dataclass(frozen=True)
class PublishMessage:
    post_id: str
    channel_id: str
    publish_at: str  # the planned time this message is for; a moved post makes the message stale

    def to_json(self) -> str:
        return json.dumps({"post_id": self.post_id, "channel_id": self.channel_id, "publish_at": self.publish_at})

    @classmethod
    def from_json(cls, body: str) -> PublishMessage:
        data = json.loads(body)
        return cls(
            post_id=str(data["post_id"]), channel_id=str(data["channel_id"]), publish_at=str(data["publish_at"])
        )


class PublishQueue:
    MAX_DELAY = 900  # SQS's limit; the due run looks only a minute ahead, so delays stay far below it

    def __init__(self, queue_url: str, region: str) -> None:
        self.queue_url = queue_url
        self.region = region
        self.sent = 0

    def send(self, message: PublishMessage, delay_seconds: int) -> None:
        _client("sqs", self.region).send_message(
            QueueUrl=self.queue_url,
            MessageBody=message.to_json(),
            DelaySeconds=max(0, min(self.MAX_DELAY, delay_seconds)),
        )
        self.sent += 1
