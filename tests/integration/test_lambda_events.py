"""The API as Lambda runs it: API Gateway proxy events from events/ through `app.app(event, context)`."""
from __future__ import annotations

import json
from pathlib import Path

from app import app
from chorus.local.scheduler import LambdaContext

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _invoke(name: str, token: str | None = None, post_id: str | None = None) -> tuple[int, dict]:
    text = (EVENTS / name).read_text()
    if token:
        text = text.replace("REPLACE_WITH_ACCESS_TOKEN", token)
    if post_id:
        text = text.replace("REPLACE_WITH_POST_ID", post_id)
    result = app(json.loads(text), LambdaContext("APIHandler"))
    return result["statusCode"], json.loads(result["body"]) if result["body"] else {}


def test_every_api_sample_event_is_routed(stack):
    for path in sorted(EVENTS.glob("api_*.json")):
        status, body = _invoke(path.name)
        assert status in (200, 401), (path.name, status, body)


def test_sample_events_walk_a_post_through_the_lambda_entry_point(stack):
    creator, editor = stack.user("creator"), stack.user("editor")
    from chorus import container
    from chorus.domain.channels import ChannelCreate
    from chorus.domain.roles import Principal

    container.calendar().create_channel(Principal("m", frozenset({"master"})), ChannelCreate(id="demo-local", platform="local", handle="@demo"))
    status, body = _invoke("api_create_post.json", creator)
    assert status == 201 and body["post"]["status"] == "draft"
    post_id = body["post"]["id"]
    assert _invoke("api_create_post.json", creator)[0] == 200  # the same Idempotency-Key: no second post
    assert _invoke("api_approve_post.json", editor, post_id)[0] == 409  # still a draft
    container.calendar().act(Principal(body["post"]["author"], frozenset({"creator"})), post_id, "submit")
    status, listed = _invoke("api_list_posts.json", editor)
    assert status == 200 and [p["id"] for p in listed["items"]] == [post_id]
    status, approved = _invoke("api_approve_post.json", editor, post_id)
    assert status == 200 and approved["status"] == "approved"
    assert _invoke("api_get_health.json") == (200, {"status": "ok", "version": "0.1.0"})
    assert _invoke("api_create_post.json")[0] == 401


def test_publisher_functions_with_their_sample_events(stack):
    """The scheduled run and the queue consumer as Lambda calls them; the sample batch repeats one message."""
    from datetime import datetime, timedelta, timezone

    from chorus import container
    from chorus.domain.channels import ChannelCreate
    from chorus.domain.posts import PostContent
    from chorus.domain.roles import Principal
    from functions.publish_due_posts.handler import handler as due_handler
    from functions.publish_post.handler import handler as post_handler

    editor = Principal("ed", frozenset({"editor"}))
    calendar = container.calendar()
    calendar.create_channel(editor, ChannelCreate(id="demo-local", platform="local", handle="@demo"))
    post, _, _ = calendar.create_post(editor, PostContent(text="Lambda-pad", channels=["demo-local"]))
    calendar.act(editor, post.id, "submit")
    calendar.act(editor, post.id, "approve")
    planned = (datetime.now(timezone.utc) + timedelta(minutes=5)).replace(microsecond=0)
    scheduled, _ = calendar.schedule(editor, post.id, planned.isoformat(), None, False)
    assert due_handler(json.loads((EVENTS / "publish_due_posts.json").read_text()), LambdaContext("due")) == {
        "posts_read": 0, "messages_sent": 0}
    text = (EVENTS / "publish_post.json").read_text().replace("REPLACE_WITH_POST_ID", post.id)
    event = json.loads(text.replace("REPLACE_WITH_PUBLISH_AT", scheduled.publish_at))
    assert post_handler(event, LambdaContext("publish")) == {"batchItemFailures": []}
    assert calendar.get_post(post.id).status == "scheduled"  # both messages were early: each re-sent with its delay
    bad = json.loads(text.replace("REPLACE_WITH_PUBLISH_AT", scheduled.publish_at))
    bad["Records"][1]["body"] = "not json"
    failures = post_handler(bad, LambdaContext("publish"))["batchItemFailures"]
    assert failures == [{"itemIdentifier": bad["Records"][1]["messageId"]}]


def test_process_mentions_with_its_sample_event(stack):
    """A complaint, a question and the complaint again (SQS at least once): stored twice, the repeat dropped."""
    from chorus import container
    from functions.process_mentions.handler import handler

    event = json.loads((EVENTS / "process_mentions.json").read_text())
    assert handler(event, LambdaContext("process")) == {"batchItemFailures": []}
    complaint = container.listening().mention(_mention_id(event, 0))
    assert (complaint.intent, complaint.language, complaint.teams, complaint.routed) == ("complaint", "nl", ["care"], True)
    question = container.listening().mention(_mention_id(event, 1))
    assert (question.intent, question.facet) == ("question", "company")
    bad = {"Records": [{**event["Records"][0], "body": "{\"mention\": {}}"}, event["Records"][1]]}
    assert handler(bad, LambdaContext("process"))["batchItemFailures"] == [{"itemIdentifier": event["Records"][0]["messageId"]}]


def _mention_id(event: dict, index: int) -> str:
    from chorus.adapters.messaging import parse_ingest_message

    mention, _ = parse_ingest_message(event["Records"][index]["body"])
    return mention.id
