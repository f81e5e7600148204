"""The post approval workflow (chorus.calendar.rules): drafting, transitions, editing, endorsement, scheduling,
content checks and advice; then a stateful model of the whole workflow driven by Hypothesis."""
from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from chorus.calendar import rules as posts
from chorus.calendar.rules import ON_CALENDAR
from chorus.calendar.schemas import Channel, Post, PostContent, Status
from chorus.core.errors import Conflict, Forbidden, ValidationError
from chorus.core.roles import Principal

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
NOW_ISO = "2026-06-01T12:00:00Z"


def who(username: str, *roles: str) -> Principal:
    return Principal(username=username, roles=frozenset(roles))


MASTER = who("mia", "master")
EDITOR = who("ed", "editor")
CREATOR = who("cara", "creator")
OTHER_CREATOR = who("carl", "creator")
PUBLISHER = who("pim", "publisher")
CARE = who("cas", "care")
PR = who("pria", "pr")
VIEWER = who("vic", "viewer")
OLGA = who("olga", "publisher")  # the person posts speak for
NOBODY = who("nora")
EDITORS = [MASTER, EDITOR]
NON_AUTHORS = [PUBLISHER, CARE, PR, VIEWER, OLGA, NOBODY]
EVERYONE = [MASTER, EDITOR, CREATOR, OTHER_CREATOR, *NON_AUTHORS]

CHANNELS = {
    "mastodon-main": Channel(id="mastodon-main", platform="mastodon", handle="@org@social.example", tone="informal"),
    "x-main": Channel(id="x-main", platform="x", handle="@org", tone="formal"),
    "bsky": Channel(id="bsky", platform="bluesky", handle="org.example"),
}
TEXT = "Wij zoeken een nieuwe collega!"


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def new_draft(author: Principal = CREATOR, **content: Any) -> Post:
    fields: dict[str, Any] = {"text": TEXT, "channels": ["mastodon-main"]}
    fields.update(content)
    return posts.draft("p1", PostContent(**fields), author, NOW)


def act(post: Post, action: str, actor: Principal, now: datetime, reason: str | None = None) -> Post:
    """Any workflow action; scheduling goes through `schedule` (a day after `now`), which has its own checks."""
    if action == "schedule":
        return posts.schedule(post, now + timedelta(days=1), "Europe/Amsterdam", actor, now, CHANNELS)
    return posts.transition(post, action, actor, now, reason)


def at_status(status: Status, author: Principal = CREATOR, **content: Any) -> Post:
    """A post brought to `status` through the workflow itself (endorsed first when it speaks for someone)."""
    post = new_draft(author, **content)
    if post.on_behalf_of:
        post = posts.endorse(post, who(post.on_behalf_of), later(1))
    if status == Status.DRAFT:
        return post
    if status == Status.CANCELLED:
        return posts.transition(post, "cancel", EDITOR, later(2))
    post = posts.transition(post, "submit", EDITOR, later(2))
    if status == Status.SUBMITTED:
        return post
    post = posts.transition(post, "approve", EDITOR, later(3))
    if status == Status.APPROVED:
        return post
    post = posts.schedule(post, later(24 * 60), "Europe/Amsterdam", EDITOR, later(4), CHANNELS)
    if status == Status.SCHEDULED:
        return post
    # States only the publisher reaches: set directly.
    return post.model_copy(update={"status": status})


def snapshot(post: Post) -> dict[str, Any]:
    return post.model_dump(by_alias=True)


# --- draft ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("author", [MASTER, EDITOR, CREATOR], ids=lambda p: p.username)
def test_authors_may_draft(author: Principal) -> None:
    content = PostContent(text=TEXT, channels=["mastodon-main", "x-main"], campaign="werving", category="vacancy",
                          on_behalf_of="olga", variants={"x-main": "Vacature!"})

    post = posts.draft("p1", content, author, NOW)

    assert (post.id, post.author, post.status) == ("p1", author.username, Status.DRAFT)
    assert (post.text, post.channels, post.campaign, post.category) == (
        TEXT, ["mastodon-main", "x-main"], "werving", "vacancy")
    assert post.variants == {"x-main": "Vacature!"} and post.on_behalf_of == "olga" and post.endorsed_at is None
    assert post.created_at == post.updated_at == NOW_ISO
    assert post.publish_at is None and post.publish_at_local is None and post.timezone == "Europe/Amsterdam"
    assert [entry.model_dump(by_alias=True) for entry in post.audit] == [
        {"at": NOW_ISO, "by": author.username, "action": "create", "from": None, "to": Status.DRAFT, "reason": None}
    ]


def test_draft_defaults() -> None:
    post = posts.draft("p2", PostContent(), CREATOR, NOW)
    assert (post.text, post.channels, post.variants, post.media, post.category) == ("", [], {}, [], "other")


@pytest.mark.parametrize("someone", NON_AUTHORS, ids=lambda p: p.username)
def test_others_may_not_draft(someone: Principal) -> None:
    with pytest.raises(Forbidden):
        posts.draft("p1", PostContent(text=TEXT), someone, NOW)


def test_post_content_refuses_unknown_fields() -> None:
    with pytest.raises(Exception, match="status"):
        PostContent(text=TEXT, status="scheduled")  # type: ignore[call-arg]  # an unknown field, on purpose


# --- transition: roles ----------------------------------------------------------------------------------------


def test_creator_submits_own_draft() -> None:
    post = new_draft(CREATOR)
    submitted = posts.transition(post, "submit", CREATOR, later(5))
    assert submitted.status == Status.SUBMITTED
    assert submitted.updated_at == "2026-06-01T12:05:00Z"
    last = submitted.audit[-1]
    assert (last.by, last.action, last.from_status, last.to_status, last.reason) == (
        "cara", "submit", Status.DRAFT, Status.SUBMITTED, None)
    assert post.status == Status.DRAFT and len(post.audit) == 1  # input untouched


def test_creator_may_not_submit_someone_elses_draft() -> None:
    with pytest.raises(Forbidden):
        posts.transition(new_draft(CREATOR), "submit", OTHER_CREATOR, NOW)
    with pytest.raises(Forbidden):
        posts.transition(new_draft(EDITOR), "submit", CREATOR, NOW)


@pytest.mark.parametrize("editor", EDITORS, ids=lambda p: p.username)
def test_editors_submit_anyones_draft(editor: Principal) -> None:
    assert posts.transition(new_draft(CREATOR), "submit", editor, NOW).status == Status.SUBMITTED


@pytest.mark.parametrize("someone", NON_AUTHORS, ids=lambda p: p.username)
@pytest.mark.parametrize("action", ["submit", "approve", "reject", "schedule", "cancel"])
def test_non_authors_may_not_act(someone: Principal, action: str) -> None:
    with pytest.raises(Forbidden):
        act(at_status(Status.SUBMITTED), action, someone, NOW, reason="r")


@pytest.mark.parametrize("creator", [CREATOR, OTHER_CREATOR], ids=lambda p: p.username)
@pytest.mark.parametrize(("action", "status"), [("approve", Status.SUBMITTED), ("reject", Status.SUBMITTED),
                                                ("schedule", Status.APPROVED), ("cancel", Status.DRAFT)])
def test_creators_may_not_approve_reject_schedule_or_cancel(creator: Principal, action: str, status: Status) -> None:
    with pytest.raises(Forbidden):
        act(at_status(status, CREATOR), action, creator, NOW, reason="r")


@pytest.mark.parametrize("editor", EDITORS, ids=lambda p: p.username)
@pytest.mark.parametrize(
    ("action", "source", "target"),
    [
        ("approve", Status.SUBMITTED, Status.APPROVED),
        ("reject", Status.SUBMITTED, Status.DRAFT),
        ("reject", Status.APPROVED, Status.DRAFT),
        ("schedule", Status.APPROVED, Status.SCHEDULED),
        ("schedule", Status.SCHEDULED, Status.SCHEDULED),
        ("cancel", Status.DRAFT, Status.CANCELLED),
        ("cancel", Status.SUBMITTED, Status.CANCELLED),
        ("cancel", Status.APPROVED, Status.CANCELLED),
        ("cancel", Status.SCHEDULED, Status.CANCELLED),
        ("cancel", Status.HELD, Status.CANCELLED),
        ("cancel", Status.FAILED, Status.CANCELLED),
    ],
)
def test_editors_move_posts(editor: Principal, action: str, source: Status, target: Status) -> None:
    post = at_status(source)
    moved = act(post, action, editor, later(10), reason="Niet nu")
    assert moved.status == target
    assert moved.audit[-1].model_dump(by_alias=True) == {
        "at": "2026-06-01T12:10:00Z", "by": editor.username, "action": action, "from": source, "to": target,
        "reason": None if action == "schedule" else "Niet nu",
    }
    assert len(moved.audit) == len(post.audit) + 1 and post.status == source


# --- transition: states and order of checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "status", "allowed_from"),
    [
        ("submit", Status.SUBMITTED, ["draft"]),
        ("approve", Status.DRAFT, ["submitted"]),
        ("approve", Status.APPROVED, ["submitted"]),
        ("reject", Status.DRAFT, ["approved", "submitted"]),
        ("schedule", Status.SUBMITTED, ["approved", "scheduled"]),
        ("cancel", Status.CANCELLED, ["approved", "draft", "failed", "held", "scheduled", "submitted"]),
        ("cancel", Status.PUBLISHED, ["approved", "draft", "failed", "held", "scheduled", "submitted"]),
        ("cancel", Status.PUBLISHING, ["approved", "draft", "failed", "held", "scheduled", "submitted"]),
    ],
)
def test_wrong_state_is_a_conflict(action: str, status: Status, allowed_from: list[str]) -> None:
    post = at_status(status)
    before = snapshot(post)
    with pytest.raises(Conflict) as caught:
        act(post, action, EDITOR, NOW, reason="r")
    assert caught.value.details == {"status": str(status), "allowed_from": allowed_from}
    assert snapshot(post) == before


def test_creator_submitting_own_post_twice_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        posts.transition(at_status(Status.SUBMITTED, CREATOR), "submit", CREATOR, NOW)


def test_forbidden_is_checked_before_conflict() -> None:
    # Wrong role *and* wrong state: 403, not 409.
    with pytest.raises(Forbidden):
        posts.transition(at_status(Status.SUBMITTED, CREATOR), "submit", OTHER_CREATOR, NOW)
    with pytest.raises(Forbidden):
        posts.transition(at_status(Status.DRAFT), "approve", CREATOR, NOW)
    with pytest.raises(Forbidden):
        posts.transition(at_status(Status.CANCELLED), "cancel", VIEWER, NOW)


@pytest.mark.parametrize("reason", [None, "", "   ", "\n\t"])
def test_reject_needs_a_reason(reason: str | None) -> None:
    with pytest.raises(ValidationError) as caught:
        posts.transition(at_status(Status.SUBMITTED), "reject", EDITOR, NOW, reason=reason)
    assert caught.value.field == "reason" and caught.value.details == {"field": "reason"}


def test_reason_is_checked_after_role_and_state() -> None:
    with pytest.raises(Forbidden):
        posts.transition(at_status(Status.SUBMITTED), "reject", CREATOR, NOW)
    with pytest.raises(Conflict):
        posts.transition(at_status(Status.DRAFT), "reject", EDITOR, NOW)


def test_reject_records_the_reason_and_the_next_submit_clears_it() -> None:
    rejected = posts.transition(at_status(Status.APPROVED), "reject", EDITOR, later(10), reason="  Te formeel  ")
    assert (rejected.status, rejected.reject_reason) == (Status.DRAFT, "Te formeel")
    assert rejected.audit[-1].reason == "Te formeel"
    resubmitted = posts.transition(rejected, "submit", CREATOR, later(11))
    assert resubmitted.reject_reason is None and resubmitted.status == Status.SUBMITTED


def test_schedule_is_not_a_plain_transition() -> None:
    with pytest.raises(ValueError):
        posts.transition(at_status(Status.APPROVED), "schedule", EDITOR, NOW)


def test_cancel_without_reason_is_fine() -> None:
    cancelled = posts.transition(at_status(Status.SCHEDULED), "cancel", MASTER, NOW)
    assert cancelled.status == Status.CANCELLED and cancelled.audit[-1].reason is None
    assert cancelled.publish_at == at_status(Status.SCHEDULED).publish_at  # the slot is kept for the record


# --- edit -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [CREATOR, EDITOR, MASTER], ids=lambda p: p.username)
@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED])
def test_author_or_editor_edits_a_draft_or_submitted_post(actor: Principal, status: Status) -> None:
    post = at_status(status, CREATOR)
    edited = posts.edit(post, PostContent(text="Nieuwe tekst", campaign="zomer"), actor, later(30))
    assert (edited.text, edited.campaign, edited.status) == ("Nieuwe tekst", "zomer", status)
    assert edited.channels == ["mastodon-main"]  # unset fields keep their value
    assert edited.updated_at == "2026-06-01T12:30:00Z" and edited.created_at == NOW_ISO
    last = edited.audit[-1]
    assert (last.action, last.by, last.from_status, last.to_status) == ("edit", actor.username, status, status)
    assert post.text == TEXT and len(post.audit) == len(edited.audit) - 1


@pytest.mark.parametrize("someone", [OTHER_CREATOR, *NON_AUTHORS], ids=lambda p: p.username)
def test_others_may_not_edit(someone: Principal) -> None:
    with pytest.raises(Forbidden):
        posts.edit(at_status(Status.DRAFT, CREATOR), PostContent(text="x"), someone, NOW)


@pytest.mark.parametrize("status", [Status.APPROVED, Status.SCHEDULED, Status.CANCELLED, Status.PUBLISHED])
def test_edit_outside_draft_or_submitted_is_a_conflict(status: Status) -> None:
    post = at_status(status)
    before = snapshot(post)
    with pytest.raises(Conflict):
        posts.edit(post, PostContent(text="x"), EDITOR, NOW)
    with pytest.raises(Forbidden):  # 403 before 409 here too
        posts.edit(post, PostContent(text="x"), OTHER_CREATOR, NOW)
    assert snapshot(post) == before


def test_edit_clearing_lists_and_category() -> None:
    post = new_draft(media=["s3://m/1.png"], variants={"mastodon-main": "Kort"}, category="event")
    edited = posts.edit(post, PostContent(media=None, variants=None, channels=None, category=None),
                        CREATOR, NOW)
    assert (edited.media, edited.variants, edited.channels, edited.category) == ([], {}, [], "other")


@pytest.mark.parametrize(
    ("changes", "keeps_endorsement"),
    [
        (PostContent(text="Andere woorden"), False),
        (PostContent(variants={"mastodon-main": "Andere woorden"}), False),
        (PostContent(campaign="herfst"), True),
        (PostContent(pillar="cultuur", category="milestone"), True),
        (PostContent(text=TEXT), True),  # the same words
    ],
)
def test_changing_the_wording_clears_the_endorsement(changes: PostContent, keeps_endorsement: bool) -> None:
    post = at_status(Status.SUBMITTED, on_behalf_of="olga")
    assert post.endorsed_at is not None
    edited = posts.edit(post, changes, EDITOR, later(60))
    assert (edited.endorsed_at == post.endorsed_at) is keeps_endorsement
    assert (edited.endorsed_at is None) is not keeps_endorsement


def test_changing_who_the_post_speaks_for_clears_the_endorsement() -> None:
    post = at_status(Status.DRAFT, on_behalf_of="olga")
    edited = posts.edit(post, PostContent(on_behalf_of="pim"), EDITOR, later(60))
    assert edited.endorsed_at is None
    # ...so pim's consent is still needed before it can be scheduled
    approved = posts.transition(posts.transition(edited, "submit", EDITOR, later(61)), "approve", EDITOR, later(62))
    with pytest.raises(Conflict):
        posts.schedule(approved, later(24 * 60), "Europe/Amsterdam", EDITOR, later(63), CHANNELS)


# --- endorse --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.APPROVED])
@pytest.mark.parametrize("username", ["olga", "Olga", "OLGA"])
def test_the_named_person_endorses(status: Status, username: str) -> None:
    post = at_status(status, on_behalf_of="Olga").model_copy(update={"endorsed_at": None})
    endorsed = posts.endorse(post, who(username, "publisher"), later(90))
    assert endorsed.endorsed_at == "2026-06-01T13:30:00Z" and endorsed.status == status
    last = endorsed.audit[-1]
    assert (last.action, last.by, last.from_status, last.to_status) == ("endorse", username, status, status)
    assert post.endorsed_at is None


@pytest.mark.parametrize("someone", [MASTER, EDITOR, CREATOR, who("olga2", "publisher")], ids=lambda p: p.username)
def test_nobody_else_endorses(someone: Principal) -> None:
    with pytest.raises(Forbidden):
        posts.endorse(new_draft(on_behalf_of="olga"), someone, NOW)


def test_a_post_speaking_for_nobody_cannot_be_endorsed() -> None:
    with pytest.raises(Forbidden):
        posts.endorse(new_draft(), OLGA, NOW)


@pytest.mark.parametrize("status", [Status.SCHEDULED, Status.CANCELLED, Status.PUBLISHED, Status.HELD])
def test_endorse_in_a_later_state_is_a_conflict(status: Status) -> None:
    with pytest.raises(Conflict):
        posts.endorse(at_status(status, on_behalf_of="olga"), OLGA, NOW)
    with pytest.raises(Forbidden):
        posts.endorse(at_status(status, on_behalf_of="olga"), EDITOR, NOW)


# --- schedule -------------------------------------------------------------------------------------------------


def test_schedule_an_approved_post() -> None:
    post = at_status(Status.APPROVED, channels=["mastodon-main", "x-main"])
    when = datetime(2026, 6, 2, 9, 30, tzinfo=timezone(timedelta(hours=2)))  # 09:30 in Amsterdam summer time

    scheduled = posts.schedule(post, when, "Europe/Amsterdam", EDITOR, later(7), CHANNELS)

    assert scheduled.status == Status.SCHEDULED
    assert scheduled.publish_at == "2026-06-02T07:30:00Z"
    assert scheduled.timezone == "Europe/Amsterdam"
    assert scheduled.publish_at_local == "2026-06-02T09:30:00+02:00"
    last = scheduled.audit[-1]
    assert (last.action, last.by, last.from_status, last.to_status, last.at) == (
        "schedule", "ed", Status.APPROVED, Status.SCHEDULED, "2026-06-01T12:07:00Z")
    assert post.status == Status.APPROVED and post.publish_at is None


def test_reschedule_moves_a_scheduled_post() -> None:
    post = at_status(Status.SCHEDULED)
    moved = posts.schedule(post, datetime(2026, 12, 1, 8, tzinfo=UTC), "America/New_York", MASTER, NOW, CHANNELS)
    assert (moved.status, moved.publish_at, moved.timezone) == (
        Status.SCHEDULED, "2026-12-01T08:00:00Z", "America/New_York")
    assert moved.publish_at_local == "2026-12-01T03:00:00-05:00"
    assert (moved.audit[-1].from_status, moved.audit[-1].to_status) == (Status.SCHEDULED, Status.SCHEDULED)


@pytest.mark.parametrize("when", [NOW, NOW - timedelta(seconds=1), NOW - timedelta(days=3)])
def test_schedule_in_the_past(when: datetime) -> None:
    with pytest.raises(ValidationError) as caught:
        posts.schedule(at_status(Status.APPROVED), when, "Europe/Amsterdam", EDITOR, NOW, CHANNELS)
    assert caught.value.field == "publish_at" and caught.value.details["now"] == NOW_ISO


def test_schedule_without_endorsement() -> None:
    post = at_status(Status.APPROVED, on_behalf_of="Olga").model_copy(update={"endorsed_at": None})
    with pytest.raises(Conflict) as caught:
        posts.schedule(post, later(60), "Europe/Amsterdam", EDITOR, NOW, CHANNELS)
    assert caught.value.details == {"awaiting": "Olga"}
    endorsed = posts.endorse(post, OLGA, NOW)
    assert posts.schedule(endorsed, later(60), "Europe/Amsterdam", EDITOR, NOW, CHANNELS).status == Status.SCHEDULED


def test_schedule_with_unknown_channel() -> None:
    post = at_status(Status.APPROVED, channels=["mastodon-main", "ghost"])
    with pytest.raises(ValidationError) as caught:
        posts.schedule(post, later(60), "Europe/Amsterdam", EDITOR, NOW, CHANNELS)
    assert caught.value.field == "channels" and caught.value.details["unknown"] == ["ghost"]


def test_schedule_without_channels() -> None:
    with pytest.raises(ValidationError) as caught:
        posts.schedule(at_status(Status.APPROVED, channels=[]), later(60), "UTC", EDITOR, NOW, CHANNELS)
    assert caught.value.field == "channels"


def test_schedule_text_too_long_for_x() -> None:
    post = at_status(Status.APPROVED, text="a" * 281, channels=["x-main"])
    with pytest.raises(ValidationError) as caught:
        posts.schedule(post, later(60), "UTC", EDITOR, NOW, CHANNELS)
    assert caught.value.field == "text"
    assert caught.value.details == {"field": "text", "length": 281, "limit": 280, "channel": "x-main"}


def test_schedule_checks_role_state_content_time_then_consent() -> None:
    bad = at_status(Status.SUBMITTED, channels=["ghost"], on_behalf_of="olga").model_copy(update={"endorsed_at": None})
    past = NOW - timedelta(hours=1)
    with pytest.raises(Forbidden):
        posts.schedule(bad, past, "UTC", CREATOR, NOW, CHANNELS)
    with pytest.raises(Conflict) as state:
        posts.schedule(bad, past, "UTC", EDITOR, NOW, CHANNELS)
    assert "status" in state.value.details
    approved = bad.model_copy(update={"status": Status.APPROVED})
    with pytest.raises(ValidationError) as content:
        posts.schedule(approved, past, "UTC", EDITOR, NOW, CHANNELS)
    assert content.value.field == "channels"
    fixed = approved.model_copy(update={"channels": ["bsky"]})
    with pytest.raises(ValidationError) as time:
        posts.schedule(fixed, past, "UTC", EDITOR, NOW, CHANNELS)
    assert time.value.field == "publish_at"
    with pytest.raises(Conflict) as consent:
        posts.schedule(fixed, later(60), "UTC", EDITOR, NOW, CHANNELS)
    assert consent.value.details == {"awaiting": "olga"}


def test_schedule_refuses_an_unknown_time_zone() -> None:
    post = at_status(Status.APPROVED)
    try:
        posts.schedule(post, later(60), "Mars/Olympus", EDITOR, NOW, CHANNELS)
    except ValidationError as error:
        assert error.field == "timezone"
        return
    pytest.fail("scheduled with an unknown time zone")


# --- content_errors -------------------------------------------------------------------------------------------


def test_content_errors_none_for_a_good_post() -> None:
    post = new_draft(channels=["mastodon-main", "x-main", "bsky"], variants={"x-main": "Kort"})
    assert posts.content_errors(post, CHANNELS) == []


def test_content_errors_lists_every_problem_in_order() -> None:
    post = new_draft(text="b" * 301, channels=["bsky", "ghost", "x-main"], variants={"x-main": "c" * 281, "li": "d"})
    errors = posts.content_errors(post, CHANNELS)
    assert [(e.field, e.details.get("channel")) for e in errors] == [
        ("channels", None), ("variants", None), ("text", "bsky"), ("variants.x-main", "x-main"),
    ]
    assert errors[0].details["unknown"] == ["ghost"]
    assert "li" in errors[1].message


def test_content_errors_empty_text_per_channel() -> None:
    errors = posts.content_errors(new_draft(text="  ", channels=["mastodon-main", "bsky"]), CHANNELS)
    assert [(e.field, e.details["channel"], e.message) for e in errors] == [
        ("text", "mastodon-main", "text is empty"), ("text", "bsky", "text is empty"),
    ]


def test_content_errors_no_channels() -> None:
    assert [e.field for e in posts.content_errors(new_draft(channels=[]), CHANNELS)] == ["channels"]


def test_a_short_variant_rescues_a_text_too_long_for_one_channel() -> None:
    post = new_draft(text="e" * 400, channels=["mastodon-main", "x-main"], variants={"x-main": "Kort"})
    assert posts.content_errors(post, CHANNELS) == []
    assert [e.field for e in posts.content_errors(post.model_copy(update={"variants": {}}), CHANNELS)] == ["text"]


# --- warnings -------------------------------------------------------------------------------------------------


def test_tone_warnings_per_channel() -> None:
    post = new_draft(text="Wat vind jij ervan?", channels=["mastodon-main", "x-main", "bsky", "ghost"])
    assert posts.warnings(post, CHANNELS, []) == [{
        "code": "tone", "field": "text", "channel": "x-main",
        "message": "Channel speaks formally (u/uw) but the post uses: jij",
    }]


def test_tone_warning_names_the_variant_field() -> None:
    post = new_draft(text="Hoe gaat het met u?", channels=["mastodon-main", "x-main"],
                     variants={"mastodon-main": "Hoe gaat het met uw team?"})
    found = posts.warnings(post, CHANNELS, [])
    assert [(w["field"], w["channel"]) for w in found] == [("variants.mastodon-main", "mastodon-main")]
    assert found[0]["message"] == "Channel speaks informally (je/jij) but the post uses: uw"


PLANNED = "2026-06-10T09:00:00Z"


def planned(post_id: str, text: str = TEXT, channels: list[str] | None = None, publish_at: str | None = PLANNED,
            status: Status = Status.SCHEDULED) -> Post:
    return Post(id=post_id, text=text, channels=channels or ["mastodon-main"], publish_at=publish_at, status=status,
                author="ed", created_at=NOW_ISO, updated_at=NOW_ISO)


def duplicates(post: Post, neighbours: list[Post]) -> list[tuple[str, str]]:
    warnings = posts.warnings(post, CHANNELS, neighbours)
    return [(w["channel"], w["message"]) for w in warnings if w["code"] == "duplicate"]


def test_duplicate_on_a_shared_channel_within_24_hours() -> None:
    post = planned("me", channels=["mastodon-main", "bsky"])
    other = planned("other", text="  wij ZOEKEN een nieuwe\ncollega!", channels=["bsky", "x-main"],
                    publish_at="2026-06-11T09:00:00Z")
    assert duplicates(post, [other]) == [
        ("bsky", "the same text is already planned on bsky at 2026-06-11T09:00:00Z (post other)"),
    ]


@pytest.mark.parametrize(
    "other",
    [
        planned("other", channels=["x-main"]),  # no shared channel
        planned("other", publish_at="2026-06-11T09:00:01Z"),  # more than 24 h later
        planned("other", publish_at="2026-06-09T08:59:59Z"),  # more than 24 h earlier
        planned("other", publish_at=None),
        planned("other", text="Iets anders"),
        planned("me"),  # the post itself
        *(planned("other", status=s) for s in Status if s not in ON_CALENDAR),
    ],
    ids=lambda p: f"{p.id}-{p.status}-{p.publish_at}-{p.channels[0]}-{p.text[:5]}",
)
def test_no_duplicate_warning(other: Post) -> None:
    assert duplicates(planned("me"), [other]) == []


@pytest.mark.parametrize("status", sorted(ON_CALENDAR))
def test_duplicate_warning_for_every_state_on_the_calendar(status: Status) -> None:
    assert len(duplicates(planned("me"), [planned("other", status=status, publish_at="2026-06-09T09:00:00Z")])) == 1


def test_duplicate_uses_the_channel_variant() -> None:
    post = planned("me", channels=["mastodon-main", "x-main"]).model_copy(update={"variants": {"x-main": "Kort"}})
    other = planned("other", text="kort", channels=["x-main", "mastodon-main"])
    found = [w for w in posts.warnings(post, CHANNELS, [other]) if w["code"] == "duplicate"]
    assert [(w["channel"], w["field"]) for w in found] == [("x-main", "variants.x-main")]


def test_an_unplanned_post_gets_no_duplicate_warnings() -> None:
    assert duplicates(planned("me", publish_at=None), [planned("other")]) == []


# --- the workflow as a state machine --------------------------------------------------------------------------

CALENDAR_ONLY = {Status.PUBLISHING, Status.PUBLISHED, Status.FAILED, Status.HELD}
LIMITS = {"mastodon-main": 500, "x-main": 280, "bsky": 300}
SOURCES = {
    "submit": ({Status.DRAFT}, Status.SUBMITTED),
    "approve": ({Status.SUBMITTED}, Status.APPROVED),
    "reject": ({Status.SUBMITTED, Status.APPROVED}, Status.DRAFT),
    "cancel": ({Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.SCHEDULED}, Status.CANCELLED),
}
# Biased towards people who may act, so runs get deep into the workflow; everyone still appears.
actors = st.one_of(st.sampled_from(EDITORS), st.sampled_from([CREATOR, OTHER_CREATOR]), st.sampled_from(EVERYONE))
endorsers = st.one_of(st.sampled_from([OLGA, who("OLGA"), who("Mia", "viewer")]), st.sampled_from(EVERYONE))
reasons = st.one_of(st.sampled_from(["Off-brand", "  Te lang  "]), st.sampled_from([None, "", "   "]))
texts = st.one_of(st.none(), st.sampled_from([TEXT, "Wat vind je ervan?"]), st.sampled_from(["", "   ", "f" * 501]))
channel_lists = st.one_of(st.none(), st.sampled_from([["mastodon-main"], ["mastodon-main", "bsky"]]),
                          st.sampled_from([["bsky", "ghost"], []]))
offsets = st.one_of(st.sampled_from([1, 60, 24 * 60]), st.sampled_from([-90, -1, 0]))


class PostWorkflow(RuleBasedStateMachine):
    """A post and a model of it. The model alone decides whether each call must succeed or which error it raises."""

    def __init__(self) -> None:
        super().__init__()
        self.post: Post | None = None
        self.now = NOW
        # the model
        self.status = Status.DRAFT
        self.author = ""
        self.on_behalf_of: str | None = None
        self.endorsed = False
        self.text = ""
        self.channels: list[str] = []
        self.campaign: str | None = None
        self.entries = 0
        self.cancelled = False

    # --- model helpers
    def tick(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now

    @staticmethod
    def is_editor(actor: Principal) -> bool:
        return bool(actor.roles & {"master", "editor"})

    def content_field(self) -> str | None:
        if not self.channels or any(c not in LIMITS for c in self.channels):
            return "channels"
        if any(not self.text.strip() or len(self.text) > LIMITS[c] for c in self.channels):
            return "text"
        return None

    def attempt(self, call: Callable[[], Post], error: type[Exception] | None, field: str | None = None) -> bool:
        """Call the domain. Success: one more audit entry, the input untouched, keep the result. Failure: exactly
        the expected error, and the post untouched."""
        assert self.post is not None
        before = snapshot(self.post)
        if error is None:
            result = call()
            assert snapshot(self.post) == before, "the input post was changed"
            assert len(result.audit) == len(before["audit"]) + 1
            self.post = result
            self.entries += 1
            return True
        with pytest.raises(error) as caught:
            call()
        assert type(caught.value) is error
        if field is not None:
            assert isinstance(caught.value, ValidationError) and caught.value.field == field
        assert snapshot(self.post) == before, "a failed call changed the post"
        return False

    def check_last_entry(self, actor: Principal, action: str, source: Status, target: Status) -> None:
        assert self.post is not None
        last = self.post.audit[-1]
        assert (last.by, last.action, last.from_status, last.to_status) == (actor.username, action, source, target)
        assert last.at == self.post.updated_at == posts.timing.iso_utc(self.now)

    def transition(self, action: str, actor: Principal, reason: str | None) -> None:
        sources, target = SOURCES[action]
        own_submit = action == "submit" and "creator" in actor.roles and actor.username == self.author
        error: type[Exception] | None = None
        field = None
        if not (self.is_editor(actor) or own_submit):
            error = Forbidden
        elif self.status not in sources:
            error = Conflict
        elif action == "reject" and not (reason or "").strip():
            error, field = ValidationError, "reason"
        now = self.tick()
        post = self.post
        assert post is not None
        if self.attempt(lambda: posts.transition(post, action, actor, now, reason), error, field):
            assert self.post is not None
            source, self.status = self.status, target
            self.cancelled |= target == Status.CANCELLED
            self.check_last_entry(actor, action, source, target)
            cleaned = (reason or "").strip() or None
            assert self.post.audit[-1].reason == cleaned
            assert self.post.reject_reason == (cleaned if action == "reject" else None)

    # --- rules
    @initialize(author=st.sampled_from([MASTER, EDITOR, CREATOR]), behalf=st.sampled_from([None, "Olga", "mia"]),
                text=st.sampled_from([TEXT, "Wat vind je ervan?"]))
    def create(self, author: Principal, behalf: str | None, text: str) -> None:
        content = PostContent(text=text, channels=["mastodon-main"], on_behalf_of=behalf, campaign="lente")
        self.post = posts.draft("p1", content, author, self.tick())
        self.author, self.on_behalf_of, self.text, self.channels = author.username, behalf, text, ["mastodon-main"]
        self.campaign = "lente"
        self.entries = 1

    @rule(actor=actors, reason=reasons)
    def submit(self, actor: Principal, reason: str | None) -> None:
        self.transition("submit", actor, reason)

    @rule(actor=actors, reason=reasons)
    def approve(self, actor: Principal, reason: str | None) -> None:
        self.transition("approve", actor, reason)

    @rule(actor=actors, reason=reasons)
    def reject(self, actor: Principal, reason: str | None) -> None:
        self.transition("reject", actor, reason)

    @rule(actor=st.sampled_from(EVERYONE), reason=reasons)  # unbiased: cancelling ends the run's interesting part
    def cancel(self, actor: Principal, reason: str | None) -> None:
        self.transition("cancel", actor, reason)

    @rule(actor=actors, minutes=offsets, tz=st.sampled_from(["Europe/Amsterdam", "UTC", "Asia/Tokyo"]))
    def schedule(self, actor: Principal, minutes: int, tz: str) -> None:
        now = self.tick()
        when = now + timedelta(minutes=minutes)
        error: type[Exception] | None = None
        field = None
        if not self.is_editor(actor):
            error = Forbidden
        elif self.status not in {Status.APPROVED, Status.SCHEDULED}:
            error = Conflict
        elif self.content_field():
            error, field = ValidationError, self.content_field()
        elif when <= now:
            error, field = ValidationError, "publish_at"
        elif self.on_behalf_of and not self.endorsed:
            error = Conflict
        post = self.post
        assert post is not None
        if self.attempt(lambda: posts.schedule(post, when, tz, actor, now, CHANNELS), error, field):
            assert self.post is not None
            source, self.status = self.status, Status.SCHEDULED
            self.check_last_entry(actor, "schedule", source, Status.SCHEDULED)
            assert (self.post.publish_at, self.post.timezone) == (posts.timing.iso_utc(when), tz)

    @rule(actor=actors, text=texts, campaign=st.none() | st.just("herfst"), channels=channel_lists)
    def edit(self, actor: Principal, text: str | None, campaign: str | None, channels: list[str] | None) -> None:
        edited = {"text": text, "campaign": campaign, "channels": channels}
        changes: dict[str, Any] = {k: v for k, v in edited.items() if v is not None}
        may = self.is_editor(actor) or ("creator" in actor.roles and actor.username == self.author)
        error: type[Exception] | None = None
        if not may:
            error = Forbidden
        elif self.status not in {Status.DRAFT, Status.SUBMITTED}:
            error = Conflict
        now = self.tick()
        post = self.post
        assert post is not None
        if self.attempt(lambda: posts.edit(post, PostContent(**changes), actor, now), error):
            assert self.post is not None
            if text is not None and text != self.text:
                self.endorsed = False
            self.text = text if text is not None else self.text
            self.channels = channels if channels is not None else self.channels
            self.campaign = campaign if campaign is not None else self.campaign
            self.check_last_entry(actor, "edit", self.status, self.status)
            assert (self.post.text, self.post.channels, self.post.campaign) == (self.text, self.channels, self.campaign)

    @rule(actor=endorsers)
    def endorse(self, actor: Principal) -> None:
        error: type[Exception] | None = None
        if not self.on_behalf_of or self.on_behalf_of.casefold() != actor.username.casefold():
            error = Forbidden
        elif self.status not in {Status.DRAFT, Status.SUBMITTED, Status.APPROVED}:
            error = Conflict
        now = self.tick()
        post = self.post
        assert post is not None
        if self.attempt(lambda: posts.endorse(post, actor, now), error):
            assert self.post is not None
            self.endorsed = True
            self.check_last_entry(actor, "endorse", self.status, self.status)
            assert self.post.endorsed_at == posts.timing.iso_utc(now)

    @precondition(lambda self: self.status != Status.CANCELLED)
    @rule(editor=st.sampled_from(EDITORS), minutes=st.sampled_from([1, 60, 24 * 60]))
    def progress(self, editor: Principal, minutes: int) -> None:
        """The natural next step, so that runs reach the later states often; the model still decides the outcome."""
        if self.status == Status.DRAFT:
            self.submit(editor, None)
        elif self.status == Status.SUBMITTED:
            self.approve(editor, None)
        elif self.status == Status.APPROVED and self.on_behalf_of and not self.endorsed:
            self.endorse(who(self.on_behalf_of.lower()))
        elif self.status == Status.SCHEDULED and self.on_behalf_of and minutes == 1:
            self.endorse(who(self.on_behalf_of))  # too late to endorse now: a conflict
        else:
            self.schedule(editor, minutes, "Europe/Amsterdam")

    # --- invariants
    @precondition(lambda self: self.post is not None)
    @invariant()
    def status_is_valid_and_as_modelled(self) -> None:
        assert self.post is not None
        assert isinstance(self.post.status, Status) and self.post.status in set(Status)
        assert self.post.status == self.status
        assert self.post.status not in CALENDAR_ONLY
        if self.cancelled:
            assert self.post.status == Status.CANCELLED

    @precondition(lambda self: self.post is not None)
    @invariant()
    def audit_is_a_chain(self) -> None:
        assert self.post is not None
        audit = self.post.audit
        assert len(audit) == self.entries
        assert (audit[0].action, audit[0].from_status, audit[0].to_status) == ("create", None, Status.DRAFT)
        for previous, entry in pairwise(audit):
            assert entry.from_status == previous.to_status
            assert entry.at > previous.at
        assert audit[-1].to_status == self.post.status

    @precondition(lambda self: self.post is not None)
    @invariant()
    def scheduled_posts_are_planned_and_consented(self) -> None:
        assert self.post is not None
        assert (self.post.endorsed_at is not None) is self.endorsed
        if self.post.status == Status.SCHEDULED:
            assert self.post.publish_at is not None
            assert self.post.on_behalf_of is None or self.post.endorsed_at is not None


PostWorkflow.TestCase.settings = settings(max_examples=150, stateful_step_count=25, deadline=None)
TestPostWorkflow = PostWorkflow.TestCase


# --- who sees a post --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", list(Status), ids=str)
def test_work_in_progress_is_shown_only_to_the_crisis_team_its_author_and_the_person_it_speaks_for(
        status: Status) -> None:
    post = at_status(status, on_behalf_of="olga")
    in_progress = status in (Status.DRAFT, Status.SUBMITTED)
    assert posts.visible_to(post, MASTER) and posts.visible_to(post, EDITOR)
    assert posts.visible_to(post, who("pia", "pr"))
    assert posts.visible_to(post, CREATOR) and posts.visible_to(post, who("olga", "publisher"))
    for outsider in (who("carl", "creator"), who("pete", "publisher"), who("cas", "care"), who("vic", "viewer")):
        assert posts.visible_to(post, outsider) is not in_progress, (outsider.username, status)


# ---------------------------------------------------------------------------------------------- issue 11 item 9
@pytest.mark.parametrize("status", [Status.APPROVED, Status.SCHEDULED, Status.PUBLISHED, Status.FAILED,
                                    Status.CANCELLED, Status.HELD])
def test_editing_a_post_that_cannot_change_says_what_works_for_its_status(status: Status) -> None:
    post = at_status(status)
    with pytest.raises(Conflict) as refused:
        posts.edit(post, PostContent(text="nieuw"), EDITOR, later(1))
    if status in posts.ACTIONS["reject"].sources:
        assert "back to draft" in refused.value.message
        posts.transition(post, "reject", EDITOR, later(1), "herschrijven")  # and that advice works
    else:
        assert "reject" not in refused.value.message and "back to draft" not in refused.value.message


def test_a_post_still_ahead_at_release_is_not_said_to_have_passed() -> None:
    held = at_status(Status.HELD)
    assert held.publish_time is not None
    released = posts.release(held, EDITOR, held.publish_time - timedelta(seconds=56), timedelta(minutes=2))
    assert released.status == Status.APPROVED
    reason = released.audit[-1].reason or ""
    assert "passed" not in reason and "within 2 minutes" in reason
    gone = posts.release(held, EDITOR, held.publish_time + timedelta(minutes=5), timedelta(minutes=2))
    assert "passed" in (gone.audit[-1].reason or "")
