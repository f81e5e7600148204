"""Cadence and credential checks on moto, through the scheduled function and its sample events."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from chorus import container
from chorus.calendar.schemas import ChannelCreate, PostContent
from chorus.calendar.service import CalendarService
from chorus.core.roles import Principal
from chorus.local.scheduler import LambdaContext
from functions.channel_checks.handler import handler
from tests.integration.conftest import Stack

EDITOR = Principal("ed", frozenset({"editor"}))
EVENTS = Path(__file__).resolve().parents[3] / "events"
Inbox = Callable[[], list[str]]  # the alert bodies received since the last call


@pytest.fixture
def inbox(stack: Stack) -> Inbox:
    """An SQS queue subscribed to the alerts topic for the editors, as an email subscription would be."""
    sqs = boto3.client("sqs", region_name="eu-west-1")
    url = sqs.create_queue(QueueName="editors-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name="eu-west-1").subscribe(
        TopicArn=stack.environment["CHORUS_ALERTS_TOPIC_ARN"], Protocol="sqs", Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps({"team": ["editors"]}), "RawMessageDelivery": "true"})
    return lambda: [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def _schedule(calendar: CalendarService, channel: str, when: datetime) -> None:
    post, _, _ = calendar.create_post(EDITOR, PostContent(text=f"post op {channel} {when}", channels=[channel]))
    calendar.act(EDITOR, post.id, "submit")
    calendar.act(EDITOR, post.id, "approve")
    calendar.schedule(EDITOR, post.id, when.isoformat(), None, False)


def _run(check: str) -> dict[str, Any]:
    return handler(json.loads((EVENTS / f"channel_checks_{check}.json").read_text()), LambdaContext("checks"))


def test_cadence_alerts_only_for_channels_short_of_their_weekly_target(stack: Stack, inbox: Inbox) -> None:
    calendar = container.calendar()
    calendar.create_channel(EDITOR, ChannelCreate(id="busy", platform="local", handle="@busy", cadence_per_week=2))
    calendar.create_channel(EDITOR, ChannelCreate(id="quiet", platform="local", handle="@quiet", cadence_per_week=3))
    calendar.create_channel(EDITOR, ChannelCreate(id="free", platform="local", handle="@free"))
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    for hours in (0, 5):
        _schedule(calendar, "busy", tomorrow + timedelta(hours=hours))
    _schedule(calendar, "quiet", tomorrow)
    _schedule(calendar, "quiet", tomorrow + timedelta(days=9))  # outside the week
    result = _run("cadence")
    assert result == {"posts_read": 3, "channels_short": ["quiet"]}
    (alert,) = inbox()
    assert "quiet (local @quiet): 1 of 3 posts planned" in alert and "busy" not in alert


def test_credentials_are_checked_before_the_next_post_is_due(stack: Stack, inbox: Inbox) -> None:
    calendar = container.calendar()
    calendar.create_channel(EDITOR, ChannelCreate(id="masto", platform="mastodon", handle="@org@social.example",
                                                  owner="olga", connection={"instance_url": "https://social.example"}))
    calendar.create_channel(EDITOR, ChannelCreate(id="idle", platform="x", handle="@org"))
    _schedule(calendar, "masto", datetime.now(UTC) + timedelta(hours=3))
    result = _run("credentials")
    assert result == {"checked": ["masto"], "rejected": ["masto"], "unreachable": []}
    assert calendar.get_channel("masto").status == "needs_reconnect"
    assert calendar.get_channel("idle").status == "active"  # nothing due there: not checked
    (alert,) = inbox()
    assert "Reconnect" in alert or "no longer post" in alert
    assert "olga" in alert
    assert _run("credentials")["rejected"] == [] and inbox() == []  # flagged once, not every hour


def test_an_unknown_check_fails_loudly(stack: Stack) -> None:
    with pytest.raises(ValueError):
        handler({"check": "everything"}, LambdaContext("checks"))
