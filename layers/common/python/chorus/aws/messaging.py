"""SNS and SQS plumbing: one client per service and region, built once per process and shared by the stores that send
messages, and SNS topics people subscribe to (alerts, offers) with filter policies on the message attributes."""
from __future__ import annotations

import functools
import json
from typing import Any

import boto3


@functools.cache
def _client(service: str, region: str) -> Any:
    return boto3.client(service, region_name=region)


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
            MessageAttributes={
                k: {"DataType": "String", "StringValue": v} if isinstance(v, str)
                else {"DataType": "String.Array", "StringValue": json.dumps(v)}
                for k, v in attributes.items()
            },
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
            Attributes={
                "FilterPolicy": json.dumps(subscription.filter_policy()),
                "FilterPolicyScope": "MessageAttributes",
            },
            ReturnSubscriptionArn=True,
        )["SubscriptionArn"]

    def unsubscribe(self, subscription_arn: str) -> None:
        _client("sns", self.region).unsubscribe(SubscriptionArn=subscription_arn)
