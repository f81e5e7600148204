"""Crisis hold and release, through the API and (for time passing during a hold) through the service."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chorus import container
from chorus.aws.state import StateRepository
from chorus.calendar.schemas import ChannelCreate, PostContent
from chorus.calendar.service import CalendarService, CrisisService
from chorus.calendar.store import PostRepository
from chorus.core.roles import Principal
from tests.clock import Clock
from tests.integration.conftest import Api, Stack

EDITOR = Principal("ed", frozenset({"editor"}))
PR = Principal("pria", frozenset({"pr"}))


def _scheduled(calendar: CalendarService, when: datetime, text: str) -> str:
    post, _, _ = calendar.create_post(EDITOR, PostContent(text=text, channels=["one"]))
    calendar.act(EDITOR, post.id, "submit")
    calendar.act(EDITOR, post.id, "approve")
    calendar.schedule(EDITOR, post.id, when.isoformat(), None, False)
    return post.id


def test_hold_stops_everything_scheduled_and_blocks_new_schedules_until_release(api: Api, stack: Stack) -> None:
    editor, pr, creator = stack.user("editor"), stack.user("pr"), stack.user("creator")
    calendar = container.calendar()
    calendar.create_channel(EDITOR, ChannelCreate(id="one", platform="local", handle="@one"))
    soon = datetime.now(UTC) + timedelta(days=1)
    ids = [_scheduled(calendar, soon + timedelta(hours=i), f"bericht {i}") for i in range(3)]
    waiting, _, _ = calendar.create_post(EDITOR, PostContent(text="wacht", channels=["one"]))
    calendar.act(EDITOR, waiting.id, "submit")
    calendar.act(EDITOR, waiting.id, "approve")

    assert api.call("POST", "/crisis/hold", creator, {"reason": "storing"})[0] == 403
    assert api.call("POST", "/crisis/hold", pr, {})[0] == 400
    status, state = api.call("POST", "/crisis/hold", pr, {"reason": "Storing bij de klantenservice"})
    assert status == 200 and state["active"] and state["held"] == 3 and state["by"].startswith("pr-")
    for post_id in ids:
        post = api.call("GET", f"/posts/{post_id}", editor)[1]
        assert post["status"] == "held" and post["due_at"] is None
        assert post["audit"][-1]["reason"] == "Storing bij de klantenservice"
    status, body = api.call("POST", f"/posts/{waiting.id}/schedule", editor, {"publish_at": soon.isoformat()})
    assert status == 409 and "crisis hold" in body["error"]["message"]
    assert api.call("GET", "/crisis", creator)[1]["active"] is True
    assert container.publishing().enqueue_due()["messages_sent"] == 0

    status, result = api.call("POST", "/crisis/release", editor)
    assert status == 200
    counts = {key: result[key] for key in ("released", "rescheduled", "awaiting_decision", "could_not_release")}
    assert counts == {"released": 3, "rescheduled": 3, "awaiting_decision": 0, "could_not_release": []}
    assert result["active"] is False  # release answers the crisis state, with what it changed (issue 11 item 16)
    for post_id in ids:
        post = api.call("GET", f"/posts/{post_id}", editor)[1]
        assert post["status"] == "scheduled" and post["due_at"] == post["publish_at"]
    assert api.call("GET", "/crisis", creator)[1]["active"] is False
    assert api.call("POST", f"/posts/{waiting.id}/schedule", editor, {"publish_at": soon.isoformat()})[0] == 200


def test_a_post_whose_time_passed_during_the_hold_waits_for_an_editor(stack: Stack) -> None:
    calendar = container.calendar()
    calendar.create_channel(EDITOR, ChannelCreate(id="one", platform="local", handle="@one"))
    start = datetime.now(UTC).replace(microsecond=0)
    early = _scheduled(calendar, start + timedelta(minutes=30), "vroeg")
    late = _scheduled(calendar, start + timedelta(hours=5), "laat")
    clock = Clock(start)
    crisis = CrisisService(PostRepository(), StateRepository("default"), clock)
    assert crisis.hold(PR, "datalek")["held"] == 2
    clock.now = start + timedelta(hours=1)
    assert crisis.release(PR) == {"released": 2, "rescheduled": 1, "awaiting_decision": 1, "could_not_release": []}
    missed = calendar.get_post(early)
    assert missed.status == "approved" and missed.due_at is None
    reason = missed.audit[-1].reason
    assert reason is not None and "reschedule or cancel" in reason
    assert calendar.get_post(late).status == "scheduled"
