"""What each alert subscriber would have received, locally. moto records no email or SMS, but it does evaluate SNS
filter policies for SQS subscriptions: so each subscriber gets an SQS queue subscribed with the very filter policy
its email or SMS subscription has on AWS, and GET /mailbox drains those queues into the state table."""
from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import boto3

from chorus.aws.state import StateItem

if TYPE_CHECKING:
    from chorus.advocacy.pool.rules import OfferSubscription

PREFIX = "mailbox#"


class MailboxSubscription(Protocol):
    """What the mailbox reads of a subscription: an alert subscriber's (chorus.listening.schemas.Subscription) or a
    publisher's to the offers topic (chorus.advocacy.pool.rules.OfferSubscription)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def team(self) -> str: ...
    @property
    def protocol(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    def filter_policy(self) -> Mapping[str, Any]: ...


class LocalMailbox:
    def __init__(self, topic_arn: str, region: str, org: str) -> None:
        self.topic_arn = topic_arn
        self.org = org
        self.sns = boto3.client("sns", region_name=region)
        self.sqs = boto3.client("sqs", region_name=region)

    def subscribe(self, subscription: MailboxSubscription) -> str:
        url = self.sqs.create_queue(QueueName=self._queue_name(subscription))["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return self.sns.subscribe(
            TopicArn=self.topic_arn, Protocol="sqs", Endpoint=arn,
            Attributes={"FilterPolicy": json.dumps(subscription.filter_policy()),
                        "FilterPolicyScope": "MessageAttributes"},
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]

    def unsubscribe(self, subscription_arn: str) -> None:
        self.sns.unsubscribe(SubscriptionArn=subscription_arn)

    def messages(self, subscriptions: Sequence[MailboxSubscription]) -> list[dict[str, Any]]:
        """Everything delivered so far, newest first."""
        for subscription in subscriptions:
            self._drain(subscription)
        entries = [dict(item.value) for item in StateItem.query(self.org, StateItem.name.startswith(PREFIX))]
        return sorted(entries, key=lambda e: e["received_at"], reverse=True)

    def _drain(self, subscription: MailboxSubscription) -> None:
        url = self.sqs.get_queue_url(QueueName=self._queue_name(subscription))["QueueUrl"]
        while True:
            received = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0,
                                                AttributeNames=["SentTimestamp"]).get("Messages", [])
            if not received:
                return
            for message in received:
                envelope = json.loads(message["Body"])
                sent = envelope.get("Timestamp", "")
                entry = {
                    "subscriber": subscription.name, "subscription_id": subscription.id, "team": subscription.team,
                    "protocol": subscription.protocol, "endpoint": subscription.endpoint,
                    "subject": envelope.get("Subject"), "text": envelope.get("Message", ""), "received_at": sent,
                    "attributes": {k: v.get("Value") for k, v in (envelope.get("MessageAttributes") or {}).items()},
                }
                StateItem(self.org, f"{PREFIX}{sent}#{subscription.id}#{message['MessageId']}", value=entry,
                          updated_at=sent).save()
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    @staticmethod
    def _queue_name(subscription: MailboxSubscription) -> str:
        return f"chorus-local-mailbox-{subscription.id}"


class LocalOfferMailbox(LocalMailbox):
    """Offer notifications, locally: each publisher's subscription to the offers topic is an SQS queue with the same
    filter policy, collected into the mailbox as soon as a message is sent (so GET /mailbox shows it)."""

    def confirmed(self, subscription_arn: str) -> bool:
        return True  # an SQS subscription needs no confirmation

    def send(self, subscription: OfferSubscription, subject: str, message: str, sms_text: str) -> None:
        from chorus.aws.messaging import Alerts

        Alerts(self.topic_arn, self.sns.meta.region_name).send(subject, message, sms_text=sms_text,
                                                               person=subscription.person)
        self._drain(subscription)

    def announce(self, subscriptions: list[OfferSubscription], subject: str, message: str, sms_text: str) -> None:
        from chorus.advocacy.pool.store import OfferMessages

        OfferMessages(self.topic_arn, self.sns.meta.region_name).announce(subscriptions, subject, message, sms_text)
        self._drain_all(subscriptions)

    def send_each(self, messages: list[tuple[OfferSubscription, str, str, str]]) -> None:
        from chorus.advocacy.pool.store import OfferMessages

        OfferMessages(self.topic_arn, self.sns.meta.region_name).send_each(messages)
        self._drain_all([subscription for subscription, *_ in messages])

    def _drain_all(self, subscriptions: list[OfferSubscription]) -> None:
        for subscription in subscriptions:
            try:
                self._drain(subscription)
            except self.sqs.exceptions.QueueDoesNotExist:
                pass  # never subscribed (no offer notified yet): the message did not reach them
