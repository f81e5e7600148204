"""On moto, through the API: a new policy version reaches, once, the opted-in publishers' own offer subscriptions
(the local mailbox shows it) and not someone who opted out; opting out ends the offers subscription at once; erasing
a person deletes their Cognito user."""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chorus.local.scheduler import LambdaContext
from functions.notify_offers.handler import handler as notify_offers
from tests.integration.advocacy.conftest import Programme
from tests.integration.conftest import REGION, Stack


def offer_subscribers(stack: Stack) -> list[str]:
    """The people with a subscription to the offers topic (locally an SQS queue named after the subscription)."""
    sns = boto3.client("sns", region_name=REGION)
    found = sns.list_subscriptions_by_topic(TopicArn=stack.environment["CHORUS_OFFERS_TOPIC_ARN"])["Subscriptions"]
    return sorted(s["Endpoint"].rsplit("chorus-local-mailbox-offers-", 1)[-1] for s in found)


def mail(programme: Programme, subject_start: str) -> list[dict[str, Any]]:
    items = programme.api.call("GET", "/mailbox", programme.master)[1]["items"]
    return [entry for entry in items if (entry["subject"] or "").startswith(subject_start)]


def test_a_new_policy_version_asks_the_opted_in_once_and_not_the_opted_out(programme: Programme) -> None:
    programme.offer()
    notify_offers({}, LambdaContext("NotifyOffersFunction"))  # ann and cy now have their own subscription
    assert programme.api.call("POST", "/ambassadors/me/opt-out", programme.tokens["cy"])[0] == 200
    policy = {"version": "2026-2", "summary": "Tag the company account.", "text": "The new policy."}
    assert programme.api.call("POST", "/policy", programme.master, policy)[0] == 201
    assert programme.api.call("POST", "/policy", programme.master, policy)[0] == 409  # a retry sends nothing more
    (announced,) = mail(programme, "New social-media policy")
    addressed = json.loads(announced["attributes"]["person"])  # bo too: opted in, but without a subscription yet
    assert announced["endpoint"] == "ann@example.org"
    assert addressed == sorted([programme.ids["ann"], programme.ids["bo"]])
    assert announced["text"] == ("policy 2026-2 published: Tag the company account.; acknowledge it to keep receiving "
                                 "content: POST /ambassadors/me/acknowledge-policy")


def test_opting_out_ends_the_offers_subscription_at_once(programme: Programme, stack: Stack) -> None:
    programme.offer()
    notify_offers({}, LambdaContext("NotifyOffersFunction"))
    ann, cy = programme.ids["ann"], programme.ids["cy"]
    assert offer_subscribers(stack) == sorted([ann, cy])
    assert programme.api.call("POST", "/ambassadors/me/opt-out", programme.tokens["cy"])[0] == 200
    assert offer_subscribers(stack) == [ann]
    notifications = programme.api.call("GET", f"/ambassadors/{cy}/export", programme.master)[1]["sections"]["pool"]
    assert [e["kind"] for e in notifications] == ["offer_received"]  # the queue is gone, what they received stays


def test_erasing_a_person_deletes_their_login(programme: Programme, stack: Stack) -> None:
    cognito, pool = boto3.client("cognito-idp", region_name=REGION), stack.environment["CHORUS_USER_POOL_ID"]
    ann = programme.ids["ann"]
    login = programme.api.call("GET", f"/ambassadors/{ann}/export", programme.master)[1]["sections"]["login"]
    assert [(entry["username"], entry["groups"]) for entry in login] == [("ann", ["publisher"])]
    assert programme.api.call("DELETE", f"/ambassadors/{ann}", programme.master)[0] == 204
    with pytest.raises(cognito.exceptions.UserNotFoundException):
        cognito.admin_get_user(UserPoolId=pool, Username="ann")
    assert cognito.admin_get_user(UserPoolId=pool, Username="cy")["Username"] == "cy"
    # Again: nothing left to delete.
    assert programme.api.call("DELETE", f"/ambassadors/{ann}", programme.master)[0] == 204
