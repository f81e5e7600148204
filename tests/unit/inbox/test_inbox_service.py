"""The inbox service on in-memory ports: working mentions under concurrent edits, and replies as posts (scheduled at
once, or waiting for an editor when the mention went to PR), written together with the mention they answer."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from chorus.calendar.schemas import Channel, Post
from chorus.calendar.service import CalendarService, Holds, PostStore, Publisher, ReplyApprovals
from chorus.core.errors import Conflict, Forbidden, NotFound, ValidationError
from chorus.core.retry import ATTEMPTS as SAVE_ATTEMPTS
from chorus.core.roles import Principal
from chorus.inbox import rules as workflow
from chorus.inbox.service import AlertEnds, AlertSink, InboxService
from chorus.listening.schemas import MentionRecord
from chorus.publishing import rules as delivery_rules
from tests.clock import Clock
from tests.unit.inbox.fakes import (
    T0,
    MemoryChannels,
    MemoryMentions,
    MemoryPosts,
    MemoryReads,
    MemoryReplyWrites,
    MemoryTeam,
    mention,
)
from tests.unit.publishing.fakes import ChannelStore

CARE = Principal("carla", frozenset({"care"}))
PR = Principal("piet", frozenset({"pr"}))
EDITOR = Principal("ed", frozenset({"editor"}))
X_MAIN = Channel(id="x-main", platform="x", handle="@org")
MASTODON = Channel(id="mastodon-main", platform="mastodon", handle="@org@social.example")
LOCAL = Channel(id="demo-local", platform="local", handle="@demo")


class World(Publisher, Holds, AlertEnds, AlertSink):
    """The inbox service on in-memory stores; the world itself is its publisher, its crisis hold, listening (which
    ends a mention's alerts) and the alerts topic."""

    def __init__(self, *records: MentionRecord, channels: Sequence[Channel] = (X_MAIN, MASTODON, LOCAL)) -> None:
        self.clock = Clock(T0 + timedelta(minutes=10))
        self.mentions = MemoryMentions(*(records or (mention("m1"),)))
        self.reads = MemoryReads(self.mentions)
        self.team = MemoryTeam(("carla", "Carla de Vries", ("care",)), ("ann", "Ann Smit", ("care",)),
                               ("bob", None, ("care", "pr")), ("piet", "Piet Bakker", ("pr",)),
                               ("ed", None, ("editor",)))
        self.posts = MemoryPosts()
        self.channels = MemoryChannels(*channels)
        self.writes = MemoryReplyWrites(self.posts, self.mentions)
        self.scheduled: list[Post] = []
        self.hold: dict[str, Any] | None = None
        self.pauses: list[int] = []
        self.ended: list[tuple[str, str, str]] = []  # (mention, its status, by) handed to listening
        self.listening_down = False
        self.sent: list[tuple[str, str, dict[str, str]]] = []  # alerts: subject, message, attributes
        self.service = InboxService(self.mentions, self.reads, self.posts, self.channels, self.writes, self.clock,
                                    self.team, publisher=self, holds=self, alert_ends=self, alerts=self,
                                    pause=self.pauses.append)

    def enqueue_soon(self, post: Post) -> None:  # the publisher port: what was handed over to be published now
        self.scheduled.append(post)

    def end_alerts(self, mention: MentionRecord, by: str) -> None:  # listening's port
        if self.listening_down:
            raise RuntimeError("DynamoDB is throttling the alerts table")
        self.ended.append((mention.id, mention.status, by))

    def send(self, subject: str, message: str, *, sms_text: str | None = None, **attributes: str) -> None:
        self.sent.append((subject, message, attributes))

    def settle(self, post: Post, outcome: str, minutes: float = 2, error: str = "refused") -> None:
        """What the publisher reports once the reply's delivery is final (chorus.container.ReportReplies)."""
        channel_id = post.channels[0]
        settled = post.model_copy(deep=True)
        delivery = settled.deliveries[channel_id]
        at = self.clock() + timedelta(minutes=minutes)
        settled.deliveries[channel_id] = (
            delivery_rules.published(delivery, "9001", "https://x.example/org/status/9001", at)
            if outcome == "published" else delivery_rules.failed(delivery, error))
        self.service.reply_settled(settled, channel_id)

    def active_hold(self) -> dict[str, Any] | None:  # the crisis-hold port
        return self.hold

    def stored(self, mention_id: str = "m1") -> MentionRecord:
        return self.mentions.items[mention_id]

    def stored_post(self, post_id: str) -> Post:
        post = self.posts.get(post_id)
        assert post is not None, f"no post {post_id}"
        return post


# ---------------------------------------------------------------------------------------------- listing
def test_the_inbox_lists_open_mentions_unless_told_otherwise_and_parses_the_window() -> None:
    world = World()
    world.service.inbox("open", {"intent": "complaint"}, "2026-11-20T10:00", None, False, 50, None)
    world.service.inbox("resolved", {}, None, "2026-11-21T00:00:00Z", True, 50, None)
    first, second = world.reads.queries
    assert first.since is not None and second.until is not None
    assert (first.statuses, first.filters, first.since.isoformat()) == (("new", "assigned"), {"intent": "complaint"},
                                                                        "2026-11-20T09:00:00+00:00")  # Amsterdam time
    assert (second.statuses, second.oldest_first, second.until.isoformat()) == (
        ("resolved",), True, "2026-11-21T00:00:00+00:00")
    with pytest.raises(ValidationError) as raised:
        world.service.inbox("open", {}, "yesterday", None, False, 50, None)
    assert raised.value.field == "from"


# ---------------------------------------------------------------------------------------------- working a mention
def test_assign_status_and_notes_are_saved_and_an_unknown_mention_is_not_found() -> None:
    world = World()
    assert world.service.assign("m1", "ann", CARE).status == "assigned"
    world.clock.advance(minutes=5)
    noted = world.service.add_note("m1", "Belt vanmiddag terug", CARE)
    assert [(n.by, n.text, n.at) for n in noted.notes] == [("carla", "Belt vanmiddag terug", "2026-11-20T09:15:00Z")]
    answered = world.service.set_status("m1", "responded", CARE)
    assert answered.first_response_seconds == 15 * 60 and world.stored().status == "responded"
    with pytest.raises(NotFound):
        world.service.assign("nope", "ann", CARE)


# Issue 11, item 7: `POST /mentions/{id}/assign {"assignee": "iemand-die-niet-bestaat"}` answered 200.
@pytest.mark.parametrize("assignee", ["iemand-die-niet-bestaat", "vera"])  # vera: a viewer, not in the team
def test_only_someone_who_works_the_inbox_can_be_assigned(assignee: str) -> None:
    world = World()
    with pytest.raises(ValidationError) as raised:
        world.service.assign("m1", assignee, CARE)
    assert raised.value.field == "assignee" and f"{assignee!r} does not work the inbox" in raised.value.message
    assert "GET /team" in raised.value.message
    assert world.stored().status == "new" and world.mentions.saves == 0


def test_me_is_whoever_assigns_and_names_are_found_whatever_their_case() -> None:
    world = World(mention("m1"), mention("m2"))
    assert world.service.assign("m1", "me", CARE).assignee == "carla"
    assert world.service.assign("m2", "Ann", CARE).assignee == "ann"


def test_the_team_lists_who_works_the_inbox_with_their_open_mentions() -> None:
    world = World(mention("m1"), mention("m2"), mention("m3"), mention("m4"))
    for mention_id, who in (("m1", "ann"), ("m2", "ann"), ("m3", "bob"), ("m4", "bob")):
        world.service.assign(mention_id, who, CARE)
    world.service.set_status("m4", "resolved", CARE)  # closed: no longer open
    team = world.service.team()
    assert [(m.username, m.name, m.roles, m.open_mentions) for m in team] == [
        ("ann", "Ann Smit", ["care"], 2), ("bob", None, ["care", "pr"], 1), ("carla", "Carla de Vries", ["care"], 0),
        ("ed", None, ["editor"], 0), ("piet", "Piet Bakker", ["pr"], 0)]


def test_a_rival_edit_between_read_and_save_is_kept_and_ours_applied_on_top() -> None:
    world = World()
    world.mentions.before_save = lambda: world.service.add_note("m1", "first, by a colleague", PR)
    world.service.add_note("m1", "second, by me", CARE)
    assert [n.text for n in world.stored().notes] == ["first, by a colleague", "second, by me"]


def test_a_mention_that_keeps_changing_is_a_conflict_after_a_few_attempts() -> None:
    world = World()

    def rival() -> None:
        current = world.mentions.items["m1"]
        world.mentions.items["m1"] = current.model_copy(update={"version": current.version + 1})
        world.mentions.before_save = rival

    world.mentions.before_save = rival
    with pytest.raises(Conflict, match="kept changing"):
        world.service.add_note("m1", "lost?", CARE)
    assert world.stored().notes == [] and world.pauses == list(range(SAVE_ATTEMPTS - 1))  # longer waits after each loss


def test_repeating_a_status_change_writes_nothing() -> None:
    world = World()
    world.service.set_status("m1", "resolved", CARE)
    world.service.set_status("m1", "resolved", CARE)
    assert world.mentions.saves == 1


# ---------------------------------------------------------------------------------------------- replies
def test_a_responders_reply_is_a_post_scheduled_now_and_the_mentions_first_response() -> None:
    world = World()
    outcome = world.service.reply("m1", "Sorry! We kijken ernaar, stuur je ons een DM?", None, CARE)
    post = outcome.post
    assert (outcome.created, outcome.needs_approval, post.status, post.channels) == (
        True, False, "scheduled", ["x-main"])
    assert post.publish_at == "2026-11-20T09:10:00Z" == post.due_at and list(post.deliveries) == ["x-main"]
    assert post.reply_to is not None and (post.reply_to.mention_id, post.reply_to.platform_id) == ("m1", "x-m1")
    assert [(a.action, a.to_status) for a in post.audit] == [("reply", "scheduled")]
    stored = world.stored()
    assert (stored.status, stored.first_response_seconds, [(r.post_id, r.state) for r in stored.our_replies]) == (
        "new", None, [(post.id, "sending")])  # no answer until it is published
    assert world.scheduled == [post] and world.writes.transactions == 1


def test_the_same_reply_twice_is_one_reply() -> None:
    world = World()
    first = world.service.reply("m1", "Sorry, we kijken ernaar", None, CARE)
    world.clock.advance(minutes=1)
    again = world.service.reply("m1", "  Sorry,  we kijken ernaar ", None, CARE)
    assert (again.created, again.post.id) == (False, first.post.id)
    assert world.writes.transactions == 1 and len(world.scheduled) == 1 and len(world.stored().our_replies) == 1


def test_a_reply_to_a_pr_mention_waits_for_an_editor_and_answers_when_approved() -> None:
    world = World(mention("m1", teams=("care", "pr")))
    outcome = world.service.reply("m1", "We nemen contact met u op.", None, PR)
    assert (outcome.needs_approval, outcome.post.status, world.scheduled) == (True, "submitted", [])
    waiting = world.stored()
    assert (waiting.status, waiting.first_response_at, len(waiting.our_replies)) == ("new", None, 1)

    world.clock.advance(minutes=20)
    with pytest.raises(Forbidden):
        world.service.approve_reply(CARE, world.stored_post(outcome.post.id))
    approved = world.service.approve_reply(EDITOR, world.stored_post(outcome.post.id))
    assert (approved.status, approved.publish_at) == ("scheduled", "2026-11-20T09:30:00Z")
    assert [(a.action, a.by) for a in approved.audit] == [("reply", "piet"), ("approve", "ed"), ("schedule", "ed")]
    sending = world.stored()
    assert (sending.status, sending.first_response_at, [r.state for r in sending.our_replies]) == (
        "new", None, ["sending"])
    assert world.scheduled == [approved]
    world.settle(approved, "published", minutes=1)
    answered = world.stored()
    assert (answered.status, answered.first_response_seconds, [r.state for r in answered.our_replies]) == (
        "responded", 1860, ["published"])


def test_an_editors_own_reply_to_a_pr_mention_needs_no_second_editor() -> None:
    world = World(mention("m1", teams=("pr",)))
    assert world.service.reply("m1", "Wij bellen u vandaag.", None, EDITOR).post.status == "scheduled"


def test_a_reply_whose_mention_was_closed_meanwhile_is_not_approved() -> None:
    world = World(mention("m1", teams=("pr",)))
    post = world.service.reply("m1", "We zoeken het uit.", None, PR).post
    world.service.set_status("m1", "resolved", PR)
    with pytest.raises(Conflict, match="reopen"):
        world.service.approve_reply(EDITOR, world.stored_post(post.id))
    assert world.posts.items[post.id].status == "submitted" and world.scheduled == []


def test_during_a_crisis_hold_replies_wait_and_cannot_be_approved_until_release() -> None:
    world = World()
    world.hold = {"since": "2026-11-20T08:00:00Z", "reason": "storing"}
    outcome = world.service.reply("m1", "We werken eraan.", None, CARE)
    assert outcome.needs_approval and outcome.post.audit[0].reason and "crisis hold" in outcome.post.audit[0].reason
    with pytest.raises(Conflict, match="crisis hold"):
        world.service.approve_reply(EDITOR, world.stored_post(outcome.post.id))
    world.hold = None
    assert world.service.approve_reply(EDITOR, world.stored_post(outcome.post.id)).status == "scheduled"


def test_a_mastodon_reply_names_the_author_so_they_are_notified() -> None:
    world = World(mention("m1", platform="mastodon", author_handle="@boos@elders.example"))
    post = world.service.reply("m1", "Sorry, we bellen je.", None, CARE).post
    assert post.text == "@boos@elders.example Sorry, we bellen je."
    assert post.reply_to is not None and post.reply_to.platform_id == "mastodon-m1"
    named = World(mention("m1", platform="mastodon", author_handle="@boos@elders.example"))
    kept = named.service.reply("m1", "Hoi @Boos@elders.example, sorry.", None, CARE).post
    assert kept.text == "Hoi @Boos@elders.example, sorry."


@pytest.mark.parametrize("platform", ["rss", "reddit"])
def test_platforms_without_a_connector_are_refused_with_the_reason(platform: str) -> None:
    world = World(mention("m1", platform=platform, url="https://forum.example/t/1"))
    with pytest.raises(Conflict, match=f"cannot reply on {platform}") as raised:
        world.service.reply("m1", "Dank je", None, CARE)
    assert "https://forum.example/t/1" in raised.value.message
    assert world.writes.transactions == 0


def test_choosing_the_account_to_reply_from() -> None:
    second_x = Channel(id="x-care", platform="x", handle="@org_care")
    world = World(channels=(X_MAIN, second_x, MASTODON, Channel(id="bsky", platform="bluesky", handle="org.example",
                                                                 status="needs_reconnect")))
    with pytest.raises(ValidationError, match="x-main, x-care") as raised:
        world.service.reply("m1", "Hoi", None, CARE)
    assert raised.value.field == "channel"
    with pytest.raises(ValidationError, match="is a mastodon channel"):
        world.service.reply("m1", "Hoi", "mastodon-main", CARE)
    with pytest.raises(ValidationError, match="no channel"):
        world.service.reply("m1", "Hoi", "x-nope", CARE)
    assert world.service.reply("m1", "Hoi", "x-care", CARE).post.channels == ["x-care"]
    bluesky = World(mention("m2", platform="bluesky"), channels=world.channels.channels)
    with pytest.raises(Conflict, match="reconnected"):
        bluesky.service.reply("m2", "Hoi", None, CARE)
    nothing = World(mention("m3", platform="mastodon"), channels=(X_MAIN,))
    with pytest.raises(Conflict, match="no mastodon channel"):
        nothing.service.reply("m3", "Hoi", None, CARE)


def test_a_reply_too_long_for_the_platform_is_bad_input_and_nothing_is_written() -> None:
    world = World()
    with pytest.raises(ValidationError) as raised:
        world.service.reply("m1", "x" * 281, None, CARE)
    assert raised.value.field == "text" and world.writes.transactions == 0 and world.stored().our_replies == []


def test_a_closed_mention_gets_no_reply() -> None:
    world = World()
    world.service.set_status("m1", "ignored", CARE)
    with pytest.raises(Conflict, match="reopen"):
        world.service.reply("m1", "Toch nog even", None, CARE)
    assert world.posts.items == {}


def test_a_note_added_while_a_reply_is_written_survives_with_the_reply() -> None:
    world = World()
    world.mentions.before_save = lambda: world.service.add_note("m1", "Klant belde ook", PR)
    world.service.reply("m1", "Sorry, we zoeken het uit", None, CARE)
    stored = world.stored()
    assert [n.text for n in stored.notes] == ["Klant belde ook"] and len(stored.our_replies) == 1
    assert stored.our_replies[0].state == "sending" and world.writes.transactions == 1


def test_replies_are_bounded() -> None:
    world = World()
    for n in range(workflow.MAX_REPLIES):
        world.service.reply("m1", f"antwoord {n}", None, CARE)
    with pytest.raises(Conflict, match="replies already"):
        world.service.reply("m1", "nog een", None, CARE)


def test_approving_a_reply_through_the_calendar_goes_to_the_inbox() -> None:
    """POST /posts/{id}/approve: the calendar hands replies to the inbox; other posts keep the plain approval."""
    world = World(mention("m1", teams=("pr",)))
    post = world.service.reply("m1", "We zoeken het uit.", None, PR).post
    handed: list[str] = []

    class Posts(PostStore):
        """The calendar's posts as the inbox stores them; approving a reply only reads (the inbox writes)."""

        def get(self, post_id: str) -> Post | None:
            return world.posts.get(post_id)

        def create(self, post: Post) -> bool:
            raise AssertionError("approving a reply creates no post")

        def save(self, post: Post) -> Post:
            raise AssertionError("the inbox saves an approved reply, not the calendar")

        def calendar(self, start: datetime, end: datetime, channel: str | None, limit: int,
                     cursor: str | None) -> tuple[list[Post], str | None]:
            raise AssertionError("approving a reply lists nothing")

        def in_window(self, start: datetime, end: datetime) -> list[Post]:
            raise AssertionError("approving a reply lists nothing")

        def by_status(self, status: str, limit: int, cursor: str | None) -> tuple[list[Post], str | None]:
            raise AssertionError("approving a reply lists nothing")

    class Replies(ReplyApprovals):
        def approve_reply(self, actor: Principal, post: Post) -> Post:
            handed.append(post.id)
            return world.service.approve_reply(actor, post)

    calendar = CalendarService(Posts(), ChannelStore(world.channels.all()), world.clock, "Europe/Amsterdam",
                               replies=Replies())
    assert calendar.act(EDITOR, post.id, "approve")[0].status == "scheduled" and handed == [post.id]


# ---------------------------------------------------------------------------------------------- a reply's outcome
# Issue 11, item 3: a reply whose delivery failed still marked the mention responded with a first-response time.
def test_a_published_reply_answers_the_mention_and_ends_its_alerts() -> None:
    world = World()
    world.service.assign("m1", "ann", CARE)
    post = world.service.reply("m1", "Sorry! Stuur je ons een DM?", None, CARE).post
    world.settle(post, "published", minutes=3)
    stored = world.stored()
    assert (stored.status, stored.assignee, stored.first_response_seconds) == ("responded", "ann", 13 * 60)
    assert [(r.state, r.url) for r in stored.our_replies] == [("published", "https://x.example/org/status/9001")]
    assert world.ended == [("m1", "responded", "carla")]  # answered by the reply's author
    assert world.sent == []
    world.settle(post, "published", minutes=3)  # reported again after a crash: nothing changes twice
    assert world.stored() == stored


def test_a_failed_reply_puts_the_mention_back_in_the_open_inbox_and_tells_care_and_the_assignee() -> None:
    world = World()
    world.service.assign("m1", "ann", CARE)
    post = world.service.reply("m1", "Sorry! Stuur je ons een DM?", None, CARE).post
    world.service.set_status("m1", "resolved", CARE)  # closed, believing it answered
    world.ended.clear()
    world.settle(post, "failed", error="x-main has no credentials: an editor must connect the account")
    stored = world.stored()
    assert (stored.status, stored.assignee, stored.first_response_at) == ("assigned", "ann", None)
    assert [(r.state, r.error) for r in stored.our_replies] == [
        ("failed", "x-main has no credentials: an editor must connect the account")]
    assert world.ended == []
    [(subject, message, attributes)] = world.sent
    assert attributes == {"team": "care", "severity": "medium", "kind": "reply_failure", "intent": "complaint",
                          "language": "nl", "platform": "x", "facet": "none", "assignee": "ann", "sms": "no"}
    assert subject == "[care medium] reply to @klant on x not sent; assigned to ann"
    assert "could not be published on x-main: x-main has no credentials" in message
    assert "back in the open inbox, assigned to ann" in message and "Al drie dagen geen internet" in message
    assert "reply again" in message


def test_a_failed_reply_of_an_unassigned_mention_goes_to_the_care_team() -> None:
    world = World()
    post = world.service.reply("m1", "Sorry!", None, CARE).post
    world.settle(post, "failed")
    [(subject, message, attributes)] = world.sent
    assert attributes["assignee"] == "none" and subject.endswith("not sent; nobody has it yet")
    assert world.stored().status == "new"


def test_replying_again_after_a_failure_makes_a_new_reply() -> None:
    world = World()
    first = world.service.reply("m1", "Sorry!", None, CARE)
    world.settle(first.post, "failed")
    again = world.service.reply("m1", "Sorry!", None, CARE)
    assert again.created and again.post.id != first.post.id and again.post.status == "scheduled"
    assert world.service.reply("m1", "Sorry!", None, CARE).post.id == again.post.id  # a retry of this one
    assert [r.state for r in world.stored().our_replies] == ["failed", "sending"]


def test_an_outcome_for_a_mention_that_is_gone_is_harmless() -> None:
    world = World()
    post = world.service.reply("m1", "Sorry!", None, CARE).post
    world.clock.advance(days=91)  # the mention expired
    world.settle(post, "failed")
    assert world.sent == [] and world.ended == []


# ---------------------------------------------------------------------------------------------- alerts end with work
# Issue 11, item 2: replying to or resolving a mention did not acknowledge its alert, so it escalated.
@pytest.mark.parametrize("status", ["responded", "resolved", "ignored"])
def test_answering_resolving_or_ignoring_a_mention_ends_its_alerts(status: str) -> None:
    world = World()
    world.service.assign("m1", "ann", CARE)
    assert world.ended == []  # still open: its alerts stay
    world.service.set_status("m1", status, CARE)
    assert world.ended == [("m1", status, "carla")]
    world.service.set_status("m1", status, CARE)  # a retried request: listening is asked again, and changes nothing
    assert world.ended == [("m1", status, "carla")] * 2


def test_a_failure_to_end_the_alerts_does_not_undo_the_work() -> None:
    """The escalation run reads the mention before each stage, and ends the alert of a closed one itself."""
    world = World()
    world.listening_down = True
    assert world.service.set_status("m1", "resolved", CARE).status == "resolved"
    assert world.stored().status == "resolved"
