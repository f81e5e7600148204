"""On moto, through the API: a new policy version reaches, once, the opted-in publishers' own offer subscriptions
(the local mailbox shows it) and not someone who opted out; opting out ends the offers subscription at once; erasing
a person deletes their Cognito user."""
from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from chorus import container
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
    (announced,) = mail(programme, "Nieuw socialemediabeleid 2026-2")  # everyone reads Dutch unless they chose en
    addressed = json.loads(announced["attributes"]["person"])  # bo too: opted in, but without a subscription yet
    assert announced["endpoint"] == "ann@example.org"
    assert addressed == sorted([programme.ids["ann"], programme.ids["bo"]])
    assert announced["text"].startswith("Socialemediabeleid 2026-2 is gepubliceerd. Wat er verandert: Tag the "
                                        "company account.")
    assert "POST" not in announced["text"]  # no API path: without a public URL, it says where in words


def test_with_a_public_url_the_policy_mail_links_each_person_to_their_own_page_in_their_language(
        programme: Programme, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11, item 18: a link people can click, to a page that shows the policy and acknowledges it."""
    monkeypatch.setenv("CHORUS_PUBLIC_API_URL", "https://chorus.example/api")
    container.reset()
    programme.offer()
    notify_offers({}, LambdaContext("NotifyOffersFunction"))  # ann and cy have their own subscription
    cy = programme.tokens["cy"]
    assert programme.api.call("PUT", "/ambassadors/me", cy, {"language": "en"})[0] == 200
    policy = {"version": "2026-2", "summary": "Tag the company account.", "text": "Rule one.\n\nRule two.",
              "url": "https://intranet.example/policy"}
    assert programme.api.call("POST", "/policy", programme.master, policy)[0] == 201
    (dutch,) = mail(programme, "Nieuw socialemediabeleid 2026-2")
    (english,) = mail(programme, "New social-media policy 2026-2")
    assert (dutch["endpoint"], english["endpoint"]) == ("ann@example.org", "cy@example.org")
    assert dutch["attributes"]["person"] == programme.ids["ann"]  # one message each: their own link
    label = "Lees het en bevestig dat je het gelezen hebt: https://chorus.example/api"
    link = next(line.removeprefix(label) for line in dutch["text"].splitlines() if line.startswith(label))
    assert link.startswith("/policy/2026-2/acknowledge?person=") and link.endswith("&lang=nl")
    assert "Read it and acknowledge it here: https://chorus.example/api/policy/2026-2/" in english["text"]

    page = programme.api.client.http.get(link)  # a mail scanner or the person: opening changes nothing
    html = page.body.decode()
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert '<html lang="nl">' in html and "Hallo Ann," in html and "<p>Rule two.</p>" in html
    assert "https://intranet.example/policy" in html and '<form method="post">' in html
    ann = programme.api.call("GET", "/ambassadors/me", programme.tokens["ann"])[1]
    assert ann["policy_version"] == "2026-1" and not ann["receives_offers"]

    done = programme.api.client.http.post(link, headers={"Content-Type": "application/x-www-form-urlencoded"},
                                          body="")
    assert done.status_code == 200 and "Dank je, Ann: je hebt beleid 2026-2 bevestigd" in done.body.decode()
    ann = programme.api.call("GET", "/ambassadors/me", programme.tokens["ann"])[1]
    assert ann["policy_version"] == "2026-2" and ann["receives_offers"]
    assert "Dank je, Ann" in programme.api.client.http.get(link).body.decode()  # opened again: says it is done

    other = link.replace(programme.ids["ann"], programme.ids["cy"])  # someone else's id on ann's signature
    assert programme.api.client.http.post(other, body="").status_code == 403
    assert programme.api.call("GET", "/ambassadors/me", cy)[1]["policy_version"] == "2026-1"


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
