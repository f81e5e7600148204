"""The API as Lambda runs it: API Gateway proxy events from events/ through `app.app(event, context)`."""
from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from app import app
from chorus.core.time import utc_now
from chorus.local.scheduler import LambdaContext
from tests.integration.conftest import Stack

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _invoke(name: str, token: str | None = None, post_id: str | None = None) -> tuple[int, dict[str, Any]]:
    text = (EVENTS / name).read_text()
    if token:
        text = text.replace("REPLACE_WITH_ACCESS_TOKEN", token)
    if post_id:
        text = text.replace("REPLACE_WITH_POST_ID", post_id)
    result = app(json.loads(text), LambdaContext("APIHandler"))
    return result["statusCode"], json.loads(result["body"]) if result["body"] else {}


def test_every_api_sample_event_is_routed(stack: Stack) -> None:
    for path in sorted(EVENTS.glob("api_*.json")):
        status, body = _invoke(path.name)
        assert status in (200, 401), (path.name, status, body)


def test_sample_events_walk_a_post_through_the_lambda_entry_point(stack: Stack) -> None:
    creator, editor = stack.user("creator"), stack.user("editor")
    from chorus import container
    from chorus.calendar.schemas import ChannelCreate
    from chorus.core.roles import Principal

    container.calendar().create_channel(Principal("m", frozenset({"master"})),
                                        ChannelCreate(id="demo-local", platform="local", handle="@demo"))
    status, body = _invoke("api_create_post.json", creator)
    assert status == 201 and body["post"]["status"] == "draft"
    post_id = body["post"]["id"]
    assert _invoke("api_create_post.json", creator)[0] == 200  # the same Idempotency-Key: no second post
    assert _invoke("api_approve_post.json", editor, post_id)[0] == 409  # still a draft
    container.calendar().act(Principal(body["post"]["author"], frozenset({"creator"})), post_id, "submit")
    status, listed = _invoke("api_list_posts.json", editor)
    assert status == 200 and [p["id"] for p in listed["items"]] == [post_id]
    status, approved = _invoke("api_approve_post.json", editor, post_id)
    assert status == 200 and approved["post"]["status"] == "approved"
    assert _invoke("api_get_health.json") == (200, {"status": "ok", "version": "0.1.0"})
    assert _invoke("api_create_post.json")[0] == 401


def test_publisher_functions_with_their_sample_events(stack: Stack) -> None:
    """The scheduled run and the queue consumer as Lambda calls them; the sample batch repeats one message."""
    from datetime import datetime, timedelta

    from chorus import container
    from chorus.calendar.schemas import ChannelCreate, PostContent
    from chorus.core.roles import Principal
    from functions.publish_due_posts.handler import handler as due_handler
    from functions.publish_post.handler import handler as post_handler

    editor = Principal("ed", frozenset({"editor"}))
    calendar = container.calendar()
    calendar.create_channel(editor, ChannelCreate(id="demo-local", platform="local", handle="@demo"))
    post, _, _ = calendar.create_post(editor, PostContent(text="Lambda-pad", channels=["demo-local"]))
    calendar.act(editor, post.id, "submit")
    calendar.act(editor, post.id, "approve")
    planned = (datetime.now(UTC) + timedelta(minutes=5)).replace(microsecond=0)
    scheduled, _ = calendar.schedule(editor, post.id, planned.isoformat(), None, False)
    publish_at = scheduled.publish_at
    assert publish_at is not None
    assert due_handler(json.loads((EVENTS / "publish_due_posts.json").read_text()), LambdaContext("due")) == {
        "posts_read": 0, "messages_sent": 0}
    text = (EVENTS / "publish_post.json").read_text().replace("REPLACE_WITH_POST_ID", post.id)
    event = json.loads(text.replace("REPLACE_WITH_PUBLISH_AT", publish_at))
    assert post_handler(event, LambdaContext("publish")) == {"batchItemFailures": []}
    assert calendar.get_post(post.id).status == "scheduled"  # both messages were early: each re-sent with its delay
    bad = json.loads(text.replace("REPLACE_WITH_PUBLISH_AT", publish_at))
    bad["Records"][1]["body"] = "not json"
    failures = post_handler(bad, LambdaContext("publish"))["batchItemFailures"]
    assert failures == [{"itemIdentifier": bad["Records"][1]["messageId"]}]


def test_process_mentions_with_its_sample_event(stack: Stack) -> None:
    """A complaint, a question and the complaint again (SQS at least once): stored twice, the repeat dropped."""
    from chorus import container
    from functions.process_mentions.handler import handler

    event = json.loads((EVENTS / "process_mentions.json").read_text())
    assert handler(event, LambdaContext("process")) == {"batchItemFailures": []}
    complaint = container.inbox().mention(_mention_id(event, 0))
    assert (complaint.intent, complaint.language, complaint.teams, complaint.routed) == (
        "complaint", "nl", ["care"], True)
    question = container.inbox().mention(_mention_id(event, 1))
    assert (question.intent, question.facet) == ("question", "company")
    bad = {"Records": [{**event["Records"][0], "body": "{\"mention\": {}}"}, event["Records"][1]]}
    assert handler(bad, LambdaContext("process"))["batchItemFailures"] == [
        {"itemIdentifier": event["Records"][0]["messageId"]}]


def _mention_id(event: dict[str, Any], index: int) -> str:
    from chorus.listening.store import parse_ingest_message

    mention, _ = parse_ingest_message(event["Records"][index]["body"])
    return mention.id


def test_fetch_mentions_with_its_sample_event(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduled run as Lambda calls it: the demo feed on 127.0.0.1 is read once, its entries queued."""
    import time

    from chorus import container
    from chorus.local import demo
    from chorus.local.demo_feed import serve_demo_feed
    from functions.fetch_mentions.handler import handler

    monkeypatch.setenv("CHORUS_SOURCES_ALLOW_LOOPBACK", "true")
    container.reset()
    feed, url = serve_demo_feed(modified_at=int(time.time()))
    try:
        demo.seed_sources(container.sources(), url)
        event = json.loads((EVENTS / "fetch_mentions.json").read_text())
        summary = handler(event, LambdaContext("FetchMentionsFunction"))
        assert (summary["polled"], summary["mentions_queued"], summary["failed"]) == (1, 3, 0)
        assert handler(event, LambdaContext("FetchMentionsFunction"))["due"] == 0
    finally:
        feed.stop()


def test_escalate_alerts_with_its_sample_event(stack: Stack) -> None:
    """The scheduled run as Lambda calls it: an open care alert raised 31 minutes ago goes to care-lead once."""
    from datetime import datetime, timedelta

    from chorus import container
    from chorus.listening.store import AlertRepository
    from functions.escalate_alerts.handler import handler
    from tests.integration.listening.test_escalation import open_alert

    alert = open_alert(1, datetime.now(UTC) - timedelta(minutes=31))
    AlertRepository().create(alert)
    event = json.loads((EVENTS / "escalate_alerts.json").read_text())
    assert handler(event, LambdaContext("EscalateAlertsFunction")) == {"alerts_due": 1, "escalations_sent": 1}
    assert handler(event, LambdaContext("EscalateAlertsFunction")) == {"alerts_due": 0, "escalations_sent": 0}
    assert container.listening().alert(alert.id).escalated_to == ["care-lead"]


def test_detect_spikes_and_send_digests_with_their_sample_events(stack: Stack) -> None:
    """The scheduled runs as Lambda calls them: nothing negative, no spike; a digest time sends each team once."""
    from chorus import container
    from chorus.core import time as timing
    from chorus.core.roles import Principal
    from functions.detect_spikes.handler import handler as detect
    from functions.send_digests.handler import handler as send_digests

    event = json.loads((EVENTS / "detect_spikes.json").read_text())
    assert detect(event, LambdaContext("DetectSpikesFunction")) == {
        "series": 9, "items_read": 1 + 9 * 48 + 9, "alerts": 0}
    listening = container.listening()
    now_local = utc_now().astimezone(timing.zone(container.settings().timezone))
    quarter = f"{now_local.hour:02d}:{now_local.minute // 15 * 15:02d}"  # a digest time that has just come
    rules = listening.rules()
    listening.set_rules(rules.model_copy(update={"digest": rules.digest.model_copy(update={"times": [quarter]})}),
                        Principal("m", frozenset({"master"})))
    event = json.loads((EVENTS / "send_digests.json").read_text())
    first = send_digests(event, LambdaContext("SendDigestsFunction"))
    assert first["sent"] == 4 and first["due"].endswith("Z")
    assert send_digests(event, LambdaContext("SendDigestsFunction"))["sent"] == 0


def test_notify_offers_and_track_shares_with_their_sample_events(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduled runs as Lambda calls them: an offer fanned out to one publisher is announced once (to their own
    local mailbox queue); the tracker finds the offer and its publisher, who has no Mastodon or Bluesky handle."""
    from chorus import container
    from chorus.advocacy.people.schemas import PersonChange, PersonIn, PolicyIn
    from chorus.advocacy.pool.schemas import OfferIn
    from chorus.calendar.schemas import ChannelCreate, PostContent
    from chorus.core.roles import Principal
    from functions.notify_offers.handler import handler as notify_offers
    from functions.track_shares.handler import handler as track_shares

    monkeypatch.setenv("CHORUS_LOCAL_MAILBOX", "true")
    container.reset()
    master, editor, ann = (Principal(name, frozenset({role})) for name, role in
                           (("mia", "master"), ("ed", "editor"), ("ann", "publisher")))
    people = container.ambassadors()
    people.publish_policy(master, PolicyIn(version="2026-1", summary="Be yourself.", text="The policy."))
    people.create(master, PersonIn(username="ann", name="Ann", email="ann@example.org", team="sales"))
    people.set_opted_in(ann, True)
    people.acknowledge_policy(ann, "2026-1")
    calendar = container.calendar()
    calendar.create_channel(editor, ChannelCreate(id="demo-local", platform="local", handle="@demo"))
    post, _, _ = calendar.create_post(editor, PostContent(text="Kom erbij!", channels=["demo-local"]))
    calendar.act(editor, post.id, "submit")
    calendar.act(editor, post.id, "approve")
    offer, _ = container.pool().offer(editor, OfferIn(post_id=post.id, url="https://example.org/"), "https://api.example")
    assert offer.recipients == 1
    people.change_me(ann, PersonChange(rhythm="immediate"))

    event = json.loads((EVENTS / "notify_offers.json").read_text())
    assert notify_offers(event, LambdaContext("NotifyOffersFunction")) == {
        "fanouts_resumed": 0, "due": 1, "sent": 1, "waiting": 0, "dropped": 0}
    assert notify_offers(event, LambdaContext("NotifyOffersFunction"))["sent"] == 0
    event = json.loads((EVENTS / "track_shares.json").read_text())
    summary = track_shares(event, LambdaContext("TrackSharesFunction"))
    assert (summary["offers"], summary["people"], summary["requests"], summary["failed"]) == (1, 0, 0, 0)
