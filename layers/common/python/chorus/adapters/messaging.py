"""SQS and SNS: the publish and ingest queues and the alerts topic. Clients are built once per process."""
from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

import boto3

from chorus.domain.mentions import Author, Engagement, Mention


@functools.cache
def _client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


@dataclass(frozen=True)
class PublishMessage:
    post_id: str
    channel_id: str
    publish_at: str  # the planned time this message is for; a moved post makes the message stale

    def to_json(self) -> str:
        return json.dumps({"post_id": self.post_id, "channel_id": self.channel_id, "publish_at": self.publish_at})

    @classmethod
    def from_json(cls, body: str) -> "PublishMessage":
        data = json.loads(body)
        return cls(post_id=str(data["post_id"]), channel_id=str(data["channel_id"]), publish_at=str(data["publish_at"]))


class PublishQueue:
    MAX_DELAY = 900  # SQS's limit; the due run looks only a minute ahead, so delays stay far below it

    def __init__(self, queue_url: str, region: str) -> None:
        self.queue_url = queue_url
        self.region = region
        self.sent = 0

    def send(self, message: PublishMessage, delay_seconds: int) -> None:
        _client("sqs", self.region).send_message(
            QueueUrl=self.queue_url, MessageBody=message.to_json(), DelaySeconds=max(0, min(self.MAX_DELAY, delay_seconds))
        )
        self.sent += 1


class IngestQueue:
    """Raw mentions on their way to process_mentions: one message each, the mention and its source's facet."""

    def __init__(self, queue_url: str, region: str) -> None:
        self.queue_url = queue_url
        self.region = region

    def send(self, mention: Mention, facet: str | None) -> None:
        _client("sqs", self.region).send_message(QueueUrl=self.queue_url, MessageBody=ingest_message(mention, facet))

    def send_many(self, mentions: list[Mention], facet: str | None) -> int:
        for start in range(0, len(mentions), 10):  # SQS takes at most 10 messages per batch
            entries = [{"Id": str(n), "MessageBody": ingest_message(m, facet)} for n, m in enumerate(mentions[start:start + 10])]
            failed = _client("sqs", self.region).send_message_batch(QueueUrl=self.queue_url, Entries=entries).get("Failed")
            if failed:
                raise RuntimeError(f"{len(failed)} mentions could not be queued: {failed[0].get('Message')}")
        return len(mentions)


def ingest_message(mention: Mention, facet: str | None) -> str:
    data = asdict(mention)
    data["created_at"] = mention.created_at.isoformat()
    return json.dumps({"mention": data, "facet": facet}, ensure_ascii=False)


def parse_ingest_message(body: str) -> tuple[Mention, str | None]:
    data = json.loads(body)
    fields = dict(data["mention"])
    fields["author"] = Author(**fields["author"])
    fields["engagement"] = Engagement(**(fields.get("engagement") or {}))
    fields["created_at"] = datetime.fromisoformat(fields["created_at"])
    return Mention(**fields), data.get("facet")


class Alerts:
    """Alerts go to one SNS topic; message attributes let each subscription filter what it receives."""

    def __init__(self, topic_arn: str, region: str) -> None:
        self.topic_arn = topic_arn
        self.region = region

    def send(self, subject: str, message: str, *, sms_text: str | None = None, **attributes: str | list[str]) -> None:
        """`sms_text`, when given, is what SMS subscribers get instead of `message` (SNS per-protocol messages). A list
        attribute is a String.Array: a filter policy on it matches when any of its values matches."""
        text: dict[str, str] = {"Message": message}
        if sms_text:
            text = {"MessageStructure": "json", "Message": json.dumps({"default": message, "sms": sms_text})}
        _client("sns", self.region).publish(
            TopicArn=self.topic_arn,
            Subject=subject[:100],
            MessageAttributes={k: {"DataType": "String", "StringValue": v} if isinstance(v, str)
                               else {"DataType": "String.Array", "StringValue": json.dumps(v)} for k, v in attributes.items()},
            **text,
        )


class AlertSubscriptions:
    """Email and SMS subscriptions of the alerts topic, each with its filter policy on the message attributes.
    An email subscription stays "pending confirmation" until its owner clicks the link SNS sends."""

    def __init__(self, topic_arn: str, region: str) -> None:
        self.topic_arn = topic_arn
        self.region = region

    def subscribe(self, subscription: Any) -> str:
        return _client("sns", self.region).subscribe(
            TopicArn=self.topic_arn, Protocol=subscription.protocol, Endpoint=subscription.endpoint,
            Attributes={"FilterPolicy": json.dumps(subscription.filter_policy()), "FilterPolicyScope": "MessageAttributes"},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]

    def unsubscribe(self, subscription_arn: str) -> None:
        _client("sns", self.region).unsubscribe(SubscriptionArn=subscription_arn)


class OfferMessages(AlertSubscriptions):
    """The offers topic: each publisher's own email or SMS subscription, filtered on the `person` attribute."""

    def confirmed(self, subscription_arn: str) -> bool:
        """Email subscriptions wait for their owner to click SNS's confirmation link; until then nothing arrives."""
        attributes = _client("sns", self.region).get_subscription_attributes(SubscriptionArn=subscription_arn)["Attributes"]
        return attributes.get("PendingConfirmation") == "false"

    ANNOUNCE_BATCH = 1000  # person ids per message: ~20 KB of the 256 KB a message may carry with its attributes

    def send(self, subscription: Any, subject: str, message: str, sms_text: str) -> None:
        Alerts(self.topic_arn, self.region).send(subject, message, sms_text=sms_text, person=subscription.person)

    def announce(self, subscriptions: list[Any], subject: str, message: str, sms_text: str) -> None:
        """One message to many people: each person's filter policy {"person": [id]} matches their id in the array."""
        people = sorted({subscription.person for subscription in subscriptions})
        for start in range(0, len(people), self.ANNOUNCE_BATCH):
            Alerts(self.topic_arn, self.region).send(subject, message, sms_text=sms_text,
                                                     person=people[start:start + self.ANNOUNCE_BATCH])
