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

# How a reply's delivery state may move (a published reply stays published, whatever is reported later).
NEXT_STATES = {"awaiting_approval": {"sending", "published", "failed"}, "sending": {"published", "failed"},
               "failed": {"published"}, "published": set()}


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
        workflow.add_reply(closed, "p1", "x-main", "ann", T0, sending=True)
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
    waiting = workflow.add_reply(mention(), "p1", "x-main", "ann", T0, sending=False)
    assert (waiting.status, waiting.first_response_at, [(r.post_id, r.state) for r in waiting.our_replies]) == (
        "new", None, [("p1", "awaiting_approval")])
    approved = workflow.add_reply(waiting, "p1", "x-main", "ann", T0 + timedelta(minutes=30), sending=True)
    assert (approved.status, approved.first_response_at) == ("new", None)
    assert [(r.post_id, r.state) for r in approved.our_replies] == [("p1", "sending")]  # the same post, once


# Issue 11, item 3: a reply whose delivery failed still marked the mention responded, with a first-response time.
def test_a_reply_is_the_answer_only_once_it_is_published() -> None:
    sending = workflow.add_reply(workflow.assign(mention(), "ann"), "p1", "x-main", "ann", T0, sending=True)
    assert (sending.status, sending.first_response_at, sending.our_replies[0].state) == ("assigned", None, "sending")
    published = workflow.reply_published(sending, "p1", "https://x.com/org/status/9", T0 + timedelta(minutes=4))
    assert (published.status, published.first_response_seconds, published.assignee) == ("responded", 240, "ann")
    reply = published.our_replies[0]
    assert (reply.state, reply.url, reply.published_at) == ("published", "https://x.com/org/status/9",
                                                           "2026-11-20T09:04:00Z")
    assert workflow.reply_published(published, "p1", "https://x.com/org/status/9", T0 + timedelta(hours=1)) == published


def test_a_failed_reply_leaves_the_mention_open_with_the_failure_on_it() -> None:
    sending = workflow.add_reply(workflow.assign(mention(), "ann"), "p1", "x-main", "ann", T0, sending=True)
    failed = workflow.reply_failed(sending, "p1", "x-main has no credentials")
    assert (failed.status, failed.assignee, failed.first_response_at) == ("assigned", "ann", None)
    assert (failed.our_replies[0].state, failed.our_replies[0].error) == ("failed", "x-main has no credentials")
    assert workflow.reply_failed(failed, "p1", "x-main has no credentials") == failed


@pytest.mark.parametrize(("assignee", "reopened"), [(None, "new"), ("ann", "assigned")])
def test_a_failed_reply_reopens_a_mention_closed_while_it_was_sent(assignee: str | None, reopened: str) -> None:
    record = workflow.assign(mention(), assignee) if assignee else mention()
    sending = workflow.add_reply(record, "p1", "x-main", "ann", T0, sending=True)
    closed = workflow.set_status(sending, "resolved", T0)
    failed = workflow.reply_failed(closed, "p1", "refused")
    assert (failed.status, failed.assignee) == (reopened, assignee)


def test_a_failed_second_reply_keeps_the_first_answer() -> None:
    first = workflow.add_reply(mention(), "p1", "x-main", "ann", T0, sending=True)
    answered = workflow.reply_published(first, "p1", None, T0 + timedelta(minutes=2))
    second = workflow.add_reply(answered, "p2", "x-main", "ann", T0 + timedelta(minutes=5), sending=True)
    failed = workflow.reply_failed(workflow.set_status(second, "resolved", T0), "p2", "refused")
    assert (failed.status, failed.first_response_seconds) == ("resolved", 120)
    assert [r.state for r in failed.our_replies] == ["published", "failed"]


def test_an_outcome_for_a_reply_the_mention_does_not_know_changes_nothing() -> None:
    record = mention()
    assert workflow.reply_published(record, "p9", None, T0) is record
    assert workflow.reply_failed(record, "p9", "refused") is record


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
# The rules restated independently of the implementation: (mention, action) -> status after, or None if refused.
def expected_status(record: MentionRecord, action: tuple) -> str | None:
    status, kind = record.status, action[0]
    state = next((reply.state for reply in record.our_replies if reply.post_id == action[-1]), None)
    if kind == "assign":
        return {"new": "assigned", "assigned": "assigned", "responded": "responded",
                "resolved": "assigned", "ignored": "assigned"}[status]
    if kind == "respond":
        return "responded" if status in ("new", "assigned", "responded") else None
    if kind in ("reply-sent", "reply-waiting"):
        return status if status in ("new", "assigned", "responded") else None
    if kind == "published":  # the answer (once): it makes an open mention responded, and leaves a closed one closed
        return "responded" if state not in (None, "published") and status in ("new", "assigned") else status
    if kind == "failed":  # a closed mention nobody answered goes back to the open inbox
        if state not in (None, "published", "failed") and record.first_response_at is None and status in (
                "resolved", "ignored"):
            return "assigned" if record.assignee else "new"
        return status
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
    st.tuples(st.just("published"), st.sampled_from(["p1", "p2", "p3"])),
    st.tuples(st.just("failed"), st.sampled_from(["p1", "p2", "p3"])),
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
    if kind == "published":
        return workflow.reply_published(record, action[1], None, now)
    if kind == "failed":
        return workflow.reply_failed(record, action[1], "refused")
    return workflow.add_reply(record, action[1], "x-main", "ann", now, sending=kind == "reply-sent")


@settings(max_examples=400)
@given(st.lists(st.tuples(actions, st.integers(min_value=-600, max_value=86_400)), max_size=40))
def test_any_sequence_of_actions_keeps_the_invariants(steps: list[tuple[tuple, int]]) -> None:
    record = mention()
    received = timing.from_iso_utc(record.received_at)
    now = received
    first_response_at = None
    answered = False  # a reply was published, or someone said it was answered elsewhere
    for action, seconds in steps:
        now += timedelta(seconds=seconds)  # clocks of different Lambdas may run behind: time can step back
        before = record.model_copy(deep=True)
        expected = expected_status(record, action)
        try:
            record = apply(record, action, now)
        except Conflict:
            assert expected is None, f"{action} refused from {before.status}"
            assert record == before  # refused: nothing changed
            continue
        assert expected == record.status, f"{action} from {before.status}"
        answered = answered or action[0] == "respond" or (
            action[0] == "published" and any(r.post_id == action[1] for r in before.our_replies))
        assert (record.first_response_at is not None) == answered  # a failed reply is never an answer
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
        kept = [reply.post_id for reply in record.our_replies[: len(before.our_replies)]]
        assert kept == [reply.post_id for reply in before.our_replies]  # replies are only ever added
        assert len({reply.post_id for reply in record.our_replies}) == len(record.our_replies)
        for earlier, later in zip(before.our_replies, record.our_replies, strict=False):
            assert earlier.state == later.state or later.state in NEXT_STATES[earlier.state], (earlier, later)
