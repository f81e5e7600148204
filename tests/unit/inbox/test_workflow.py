"""The mention workflow (chorus.inbox.rules): the transitions one by one, then random sequences of actions
driven by Hypothesis against an independent statement of the rules and the invariants."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.core import time as timing
from chorus.core.errors import Conflict, ValidationError
from chorus.inbox import rules as workflow
from chorus.inbox.rules import MAX_NOTES, STATUSES, InboxQuery
from chorus.inbox.schemas import NOTE_MAX_CHARS
from chorus.listening.schemas import MentionRecord
from tests.unit.inbox.fakes import T0, mention


def in_status(status: str) -> MentionRecord:
    record = mention()
    if status == "assigned":
        return workflow.assign(record, "ann")
    if status == "responded":
        return workflow.respond(record, T0 + timedelta(minutes=5))
    if status in ("resolved", "ignored"):
        return workflow.set_status(record, status, T0)
    return record


def test_assigning_takes_a_new_mention_and_a_reassignment_keeps_it_assigned() -> None:
    assigned = workflow.assign(mention(), "ann")
    assert (assigned.status, assigned.assignee) == ("assigned", "ann")
    assert workflow.assign(assigned, "bob").assignee == "bob"
    assert workflow.assign(assigned, "ann") is assigned  # the same request again changes nothing


def test_back_to_new_unassigns() -> None:
    back = workflow.set_status(workflow.assign(mention(), "ann"), "new", T0)
    assert (back.status, back.assignee) == ("new", None)


def test_the_first_answer_sets_first_response_at_once() -> None:
    first = workflow.respond(mention(), T0 + timedelta(minutes=7))
    again = workflow.respond(first, T0 + timedelta(hours=2))
    assert first.first_response_at == again.first_response_at == "2026-11-20T09:07:00Z"
    assert again.first_response_seconds == 420


def test_an_answer_never_predates_the_mention_even_with_a_clock_behind() -> None:
    answered = workflow.respond(mention(), T0 - timedelta(seconds=30))
    assert answered.first_response_at == timing.iso_utc(T0) and answered.first_response_seconds == 0


def test_assigning_a_responded_mention_hands_over_the_follow_up_and_keeps_the_answer() -> None:
    responded = workflow.respond(workflow.assign(mention(), "ann"), T0 + timedelta(minutes=1))
    handed = workflow.assign(responded, "bob")
    assert (handed.status, handed.assignee, handed.first_response_at) == (
        "responded", "bob", responded.first_response_at)


@pytest.mark.parametrize("status", ["resolved", "ignored"])
def test_closed_mentions_refuse_an_answer_until_reopened(status: str) -> None:
    closed = in_status(status)
    with pytest.raises(Conflict, match="reopen it first"):
        workflow.respond(closed, T0)
    with pytest.raises(Conflict):
        workflow.add_reply(closed, "p1", "x-main", "ann", T0, sent=True)
    assert workflow.set_status(closed, "new", T0).status == "new"
    assert workflow.assign(closed, "bob").status == "assigned"


def test_a_responded_mention_cannot_be_ignored_or_sent_back_to_new() -> None:
    for target in ("ignored", "new"):
        with pytest.raises(Conflict) as raised:
            workflow.set_status(in_status("responded"), target, T0)
        assert raised.value.details == {"status": "responded", "allowed": ["resolved", "responded"]}


def test_assigned_cannot_be_set_without_a_person_and_unknown_statuses_are_bad_input() -> None:
    with pytest.raises(ValidationError, match="assign"):
        workflow.set_status(mention(), "assigned", T0)
    with pytest.raises(ValidationError) as raised:
        workflow.set_status(mention(), "done", T0)
    assert raised.value.field == "status"
    with pytest.raises(ValidationError):
        workflow.assign(mention(), "   ")


def test_notes_are_bounded_in_length_and_number() -> None:
    record = mention()
    with pytest.raises(ValidationError):
        workflow.add_note(record, " ", "ann", T0)
    with pytest.raises(ValidationError):
        workflow.add_note(record, "x" * (NOTE_MAX_CHARS + 1), "ann", T0)
    for n in range(MAX_NOTES):
        record = workflow.add_note(record, f"note {n}", "ann", T0)
    with pytest.raises(Conflict):
        workflow.add_note(record, "one more", "ann", T0)
    assert [note.by for note in record.notes] == ["ann"] * MAX_NOTES


def test_a_reply_waiting_for_approval_is_recorded_but_is_no_answer_yet() -> None:
    waiting = workflow.add_reply(mention(), "p1", "x-main", "ann", T0, sent=False)
    assert (waiting.status, waiting.first_response_at, [r.post_id for r in waiting.our_replies]) == (
        "new", None, ["p1"])
    approved = workflow.add_reply(waiting, "p1", "x-main", "ann", T0 + timedelta(minutes=30), sent=True)
    assert approved.status == "responded" and approved.first_response_seconds == 1800
    assert [r.post_id for r in approved.our_replies] == ["p1"]  # the same post is recorded once


def test_the_inbox_query_expands_open_and_refuses_what_it_does_not_know() -> None:
    assert InboxQuery.of("open", None, None, {}).statuses == ("new", "assigned")
    assert InboxQuery.of("all", None, None, {}).statuses == STATUSES
    query = InboxQuery.of("new", None, None,
                          {"intent": "complaint", "team": None})  # type: ignore[dict-item]  # a filter without a value
    assert query.filters == {"intent": "complaint"}
    with pytest.raises(ValidationError):
        InboxQuery.of("closed", None, None, {})
    with pytest.raises(ValidationError):
        InboxQuery.of("open", None, None, {"colour": "red"})
    with pytest.raises(ValidationError) as raised:
        InboxQuery.of("open", T0, T0 - timedelta(seconds=1), {})
    assert raised.value.field == "to"


# ---------------------------------------------------------------------------------------------- random sequences
# The rules restated independently of the implementation: (status, action) -> status after, or None if refused.
def expected_status(status: str, action: tuple) -> str | None:
    kind = action[0]
    if kind == "assign":
        return {"new": "assigned", "assigned": "assigned", "responded": "responded",
                "resolved": "assigned", "ignored": "assigned"}[status]
    if kind in ("reply-sent", "respond"):
        return "responded" if status in ("new", "assigned", "responded") else None
    if kind == "reply-waiting":
        return status if status in ("new", "assigned", "responded") else None
    if kind == "note":
        return status
    target = action[1]
    if target == status:
        return status
    allowed = {"new": {"resolved", "ignored"}, "assigned": {"new", "resolved", "ignored"}, "responded": {"resolved"},
               "resolved": {"new"}, "ignored": {"new"}}
    return target if target in allowed[status] else None


actions = st.one_of(
    st.tuples(st.just("assign"), st.sampled_from(["ann", "bob"])),
    st.tuples(st.just("status"), st.sampled_from(["new", "resolved", "ignored"])),
    st.tuples(st.just("respond")),
    st.tuples(st.just("note"), st.text(min_size=1, max_size=40).filter(str.strip)),
    st.tuples(st.just("reply-sent"), st.sampled_from(["p1", "p2", "p3"])),
    st.tuples(st.just("reply-waiting"), st.sampled_from(["p1", "p2", "p3"])),
)


def apply(record: MentionRecord, action: tuple, now: datetime) -> MentionRecord:
    kind = action[0]
    if kind == "assign":
        return workflow.assign(record, action[1])
    if kind == "status":
        return workflow.set_status(record, action[1], now)
    if kind == "respond":
        return workflow.set_status(record, "responded", now)
    if kind == "note":
        return workflow.add_note(record, action[1], "ann", now)
    return workflow.add_reply(record, action[1], "x-main", "ann", now, sent=kind == "reply-sent")


@settings(max_examples=400)
@given(st.lists(st.tuples(actions, st.integers(min_value=-600, max_value=86_400)), max_size=40))
def test_any_sequence_of_actions_keeps_the_invariants(steps: list[tuple[tuple, int]]) -> None:
    record = mention()
    received = timing.from_iso_utc(record.received_at)
    now = received
    first_response_at = None
    for action, seconds in steps:
        now += timedelta(seconds=seconds)  # clocks of different Lambdas may run behind: time can step back
        before = record.model_copy(deep=True)
        expected = expected_status(record.status, action)
        try:
            record = apply(record, action, now)
        except Conflict:
            assert expected is None, f"{action} refused from {before.status}"
            assert record == before  # refused: nothing changed
            continue
        assert expected == record.status, f"{action} from {before.status}"
        assert record.status in STATUSES
        assert (record.status != "assigned" or record.assignee) and (record.status != "new" or record.assignee is None)
        if first_response_at is not None:
            assert record.first_response_at == first_response_at  # set once, never moves
        first_response_at = record.first_response_at
        if record.status == "responded":
            assert first_response_at is not None
        if first_response_at is not None:
            assert timing.from_iso_utc(first_response_at) >= received
            assert record.first_response_seconds is not None and record.first_response_seconds >= 0
        assert record.notes[: len(before.notes)] == before.notes  # notes are only ever added
        assert record.our_replies[: len(before.our_replies)] == before.our_replies
        assert len({reply.post_id for reply in record.our_replies}) == len(record.our_replies)
