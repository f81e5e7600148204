"""Saved replies on in-memory ports: writing them (who may, placeholders checked, If-Match, the cap), listing them,
and using one on a mention: the preview filled in for it, and replying with it."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from chorus.aws.cursors import encode_cursor
from chorus.calendar.schemas import Channel
from chorus.core.errors import Conflict, Forbidden, NotFound, PreconditionFailed, ValidationError
from chorus.core.roles import Principal
from chorus.inbox.saved.schemas import SavedReply, SavedReplyChange, SavedReplyIn
from chorus.inbox.saved.service import SavedReplyService
from chorus.inbox.service import InboxService
from chorus.listening.schemas import MentionRecord
from tests.clock import Clock
from tests.unit.inbox.fakes import (
    T0,
    MemoryChannels,
    MemoryMentions,
    MemoryPosts,
    MemoryReads,
    MemoryReplyWrites,
    MemorySavedReplies,
    MemoryTeam,
    mention,
)

CARE = Principal("carla", frozenset({"care"}))
PR = Principal("piet", frozenset({"pr"}))
EDITOR = Principal("ed", frozenset({"editor"}))
MASTER = Principal("mia", frozenset({"master"}))
VIEWER = Principal("vera", frozenset({"viewer"}))
X_MAIN = Channel(id="x-main", platform="x", handle="@org")
MASTODON = Channel(id="mastodon-main", platform="mastodon", handle="@org@social.example")
SORRY_NL = SavedReplyIn(title="Pakket kwijt", team="care", language="nl",
                        text="Hoi {name}, vervelend! Stuur je ordernummer via DM, o.v.v. {case}. Groet, {agent}")


class Library:
    """The saved-reply service and the inbox that uses it, on in-memory stores."""

    def __init__(self, *records: MentionRecord, channels: Sequence[Channel] = (X_MAIN, MASTODON),
                 max_saved: int = 200) -> None:
        self.clock = Clock(T0 + timedelta(minutes=10))
        self.store = MemorySavedReplies(max_saved)
        self.saved = SavedReplyService(self.store, self.clock)
        self.mentions = MemoryMentions(*(records or (mention("m1", author_name="Jan de Vries"),)))
        self.posts = MemoryPosts()
        self.team = MemoryTeam(("carla", "Carla de Vries", ("care",)), ("piet", "Piet Bakker", ("pr",)),
                               ("ed", None, ("editor",)))
        self.inbox = InboxService(self.mentions, MemoryReads(self.mentions), self.posts, MemoryChannels(*channels),
                                  MemoryReplyWrites(self.posts, self.mentions), self.clock, self.team,
                                  pause=lambda attempt: None, saved_replies=self.saved)

    def add(self, title: str, team: str = "care", language: str = "nl", text: str = "Hoi {name}",
            actor: Principal = MASTER) -> SavedReply:
        reply, created = self.saved.create(actor, SavedReplyIn.model_validate(
            {"title": title, "team": team, "language": language, "text": text}))
        assert created
        return reply


# ---------------------------------------------------------------------------------------------- writing
def test_a_care_agent_saves_a_care_reply_with_its_placeholders() -> None:
    library = Library()
    reply, created = library.saved.create(CARE, SORRY_NL)
    assert created and reply.version == 1 and reply.id.startswith("sr")
    assert (reply.title, reply.team, reply.language, reply.placeholders) == (
        "Pakket kwijt", "care", "nl", ["name", "case", "agent"])
    assert (reply.created_by, reply.created_at, reply.updated_at) == ("carla", "2026-11-20T09:10:00Z",
                                                                      "2026-11-20T09:10:00Z")
    assert library.saved.get(reply.id) == reply


def test_an_unknown_placeholder_or_another_teams_template_is_refused_and_nothing_is_stored() -> None:
    library = Library()
    with pytest.raises(ValidationError) as unknown:
        library.saved.create(CARE, SORRY_NL.model_copy(update={"text": "Hoi {naam}"}))
    assert unknown.value.field == "text" and "{naam}" in unknown.value.message
    with pytest.raises(Forbidden, match="pr team's saved replies"):
        library.saved.create(CARE, SORRY_NL.model_copy(update={"team": "pr"}))
    with pytest.raises(Forbidden, match="may use saved replies, not write them"):
        library.saved.create(VIEWER, SORRY_NL)
    assert library.store.items == {}


def test_a_retry_with_the_same_idempotency_key_answers_the_first_saved_reply() -> None:
    library = Library()
    first, created = library.saved.create(CARE, SORRY_NL, "key-1")
    again, created_again = library.saved.create(CARE, SORRY_NL, "key-1")
    assert created and not created_again and again == first and len(library.store.items) == 1


def test_the_organisation_keeps_at_most_so_many_saved_replies() -> None:
    library = Library(max_saved=2)
    library.add("een")
    library.add("twee")
    with pytest.raises(Conflict, match="2 saved replies"):
        library.add("drie")
    assert len(library.store.items) == 2


def test_a_change_on_the_version_read_is_saved_and_a_stale_one_is_412_and_changes_nothing() -> None:
    library = Library()
    reply, _ = library.saved.create(CARE, SORRY_NL)
    library.clock.advance(minutes=1)
    changed = library.saved.update(CARE, reply.id, SavedReplyChange(text="Hoi {name}! {agent}"), 1)
    assert (changed.version, changed.placeholders, changed.updated_at) == (2, ["name", "agent"], "2026-11-20T09:11:00Z")
    with pytest.raises(PreconditionFailed) as stale:
        library.saved.update(CARE, reply.id, SavedReplyChange(title="Oud"), 1)
    assert stale.value.details["current_version"] == 2
    assert library.saved.get(reply.id) == changed


def test_someone_elses_change_between_read_and_save_is_never_overwritten() -> None:
    library = Library()
    reply, _ = library.saved.create(CARE, SORRY_NL)
    rival = SavedReplyChange(title="Van Ann")
    library.store.before_write = lambda: library.saved.update(MASTER, reply.id, rival, None)
    with pytest.raises(PreconditionFailed):
        library.saved.update(CARE, reply.id, SavedReplyChange(title="Van Carla"), 1)
    assert library.saved.get(reply.id).title == "Van Ann"
    library.store.before_write = lambda: library.saved.update(MASTER, reply.id, rival, None)
    with pytest.raises(Conflict):  # without If-Match: a 409 "try again", still nothing overwritten
        library.saved.update(CARE, reply.id, SavedReplyChange(title="Van Carla"), None)
    assert library.saved.get(reply.id).title == "Van Ann"


def test_bad_changes_are_refused_and_change_nothing() -> None:
    library = Library()
    reply, _ = library.saved.create(CARE, SORRY_NL)
    with pytest.raises(ValidationError) as empty:
        library.saved.update(CARE, reply.id, SavedReplyChange(), None)
    assert empty.value.field == "body"
    with pytest.raises(ValidationError) as brace:
        library.saved.update(CARE, reply.id, SavedReplyChange(text="Hoi {name"), None)
    assert brace.value.field == "text"
    with pytest.raises(Forbidden):  # moving it to another team needs the right to write that team's too
        library.saved.update(CARE, reply.id, SavedReplyChange(team="pr"), None)
    with pytest.raises(Forbidden):
        library.saved.update(PR, reply.id, SavedReplyChange(title="Van PR"), None)
    with pytest.raises(NotFound):
        library.saved.update(CARE, "sr0000000000000000", SavedReplyChange(title="x"), None)
    assert library.saved.get(reply.id) == reply
    moved = library.saved.update(MASTER, reply.id, SavedReplyChange(team="care-lead", language="en"), None)
    assert (moved.team, moved.language, moved.updated_by) == ("care-lead", "en", "mia")


def test_delete_honours_the_version_and_the_team() -> None:
    library = Library()
    reply, _ = library.saved.create(CARE, SORRY_NL)
    with pytest.raises(Forbidden):
        library.saved.delete(PR, reply.id, None)
    with pytest.raises(PreconditionFailed):
        library.saved.delete(CARE, reply.id, 7)
    assert reply.id in library.store.items
    library.saved.delete(CARE, reply.id, 1)
    assert library.store.items == {}
    with pytest.raises(NotFound):
        library.saved.delete(CARE, reply.id, None)


# ---------------------------------------------------------------------------------------------- listing
def test_the_list_is_by_team_language_and_title_filtered_and_paged() -> None:
    library = Library()
    for title, team, language in [("Storing", "care", "nl"), ("bedankt", "care", "nl"), ("Thanks", "care", "en"),
                                  ("Reactie pers", "pr", "nl"), ("Aardig", "care", "nl")]:
        library.add(title, team, language)
    everything, cursor = library.saved.listing(None, None, 50, None)
    assert [r.title for r in everything] == ["Thanks", "Aardig", "bedankt", "Storing", "Reactie pers"]
    assert cursor is None
    dutch_care, _ = library.saved.listing("care", "nl", 50, None)
    assert [r.title for r in dutch_care] == ["Aardig", "bedankt", "Storing"]
    first, cursor = library.saved.listing("care", None, 2, None)
    library.add("Aanvraag", "care", "nl")  # added between pages, before the cursor: the next page neither repeats
    second, last = library.saved.listing("care", None, 2, cursor)  # nor skips what came after it
    assert [r.title for r in first] == ["Thanks", "Aardig"] and [r.title for r in second] == ["bedankt", "Storing"]
    assert last is None


@pytest.mark.parametrize("cursor", ["nonsense!", encode_cursor({"after": "x"}), encode_cursor({"p": {}})])
def test_a_cursor_the_api_did_not_give_is_a_400(cursor: str) -> None:
    with pytest.raises(ValidationError) as bad:
        Library().saved.listing(None, None, 10, cursor)
    assert bad.value.field == "cursor"


# ---------------------------------------------------------------------------------------------- using one
def test_a_mention_is_offered_its_teams_templates_filled_in_its_language_first() -> None:
    library = Library()
    sorry = library.saved.create(CARE, SORRY_NL)[0]
    thanks = library.add("Thanks", language="en", text="Thanks {name}! Ref {case}. {agent}")
    library.add("Pers", team="pr")
    case, offered = library.inbox.saved_replies_for("m1", None, None, CARE)
    record = library.mentions.items["m1"]
    assert case == record.case_number
    assert [(f.id, f.language) for f in offered] == [(sorry.id, "nl"), (thanks.id, "en")]
    expected = f"Hoi Jan de Vries, vervelend! Stuur je ordernummer via DM, o.v.v. {case}. Groet, Carla"
    assert offered[0].text == expected
    assert (offered[0].length, offered[0].limit, offered[0].fits) == (len(expected), 280, True)
    _, for_pr = library.inbox.saved_replies_for("m1", "pr", None, CARE)
    assert [f.title for f in for_pr] == ["Pers"]


def test_the_preview_counts_the_handle_mastodon_gets_in_front_and_knows_when_it_cannot_measure() -> None:
    library = Library(mention("m1", platform="mastodon"), mention("m2", platform="rss"))
    library.add("Kort", text="Dank je, {agent}")
    _, offered = library.inbox.saved_replies_for("m1", None, None, EDITOR)
    assert offered[0].text == "Dank je, ed"  # no name in the user pool: the username
    assert offered[0].length == len("@klant Dank je, ed") and offered[0].limit == 500
    _, on_rss = library.inbox.saved_replies_for("m2", None, None, CARE)  # Chorus cannot reply on rss: no length
    assert (on_rss[0].text, on_rss[0].length, on_rss[0].limit, on_rss[0].fits) == ("Dank je, Carla", None, None, None)
    with pytest.raises(ValidationError) as wrong:
        library.inbox.saved_replies_for("m1", None, "x-main", CARE)
    assert wrong.value.field == "channel"


def test_replying_with_a_saved_reply_sends_it_filled_in_once() -> None:
    library = Library()
    sorry = library.saved.create(CARE, SORRY_NL)[0]
    outcome = library.inbox.reply("m1", None, None, CARE, saved_reply_id=sorry.id)
    _, offered = library.inbox.saved_replies_for("m1", None, None, CARE)
    assert outcome.created and outcome.post.text == offered[0].text
    assert [r.state for r in outcome.mention.our_replies] == ["sending"]
    again = library.inbox.reply("m1", None, None, CARE, saved_reply_id=sorry.id)
    assert not again.created and again.post.id == outcome.post.id and len(library.posts.items) == 1


def test_a_bad_saved_reply_on_a_mention_is_a_400_and_nothing_is_sent() -> None:
    library = Library()
    sorry = library.saved.create(CARE, SORRY_NL)[0]
    too_long = library.add("Lang", text="{name} " + "x" * 280)
    before = library.mentions.items["m1"]
    with pytest.raises(ValidationError) as unknown:
        library.inbox.reply("m1", None, None, CARE, saved_reply_id="sr-nope")
    assert unknown.value.field == "saved_reply_id" and "GET /mentions/m1/saved-replies" in unknown.value.message
    with pytest.raises(ValidationError) as both:
        library.inbox.reply("m1", "Hoi", None, CARE, saved_reply_id=sorry.id)
    assert both.value.field == "saved_reply_id"
    with pytest.raises(ValidationError) as neither:
        library.inbox.reply("m1", None, None, CARE)
    assert neither.value.field == "text"
    _, offered = library.inbox.saved_replies_for("m1", None, None, CARE)
    assert [f.fits for f in offered] == [False, True]  # "Lang" sorts first; the preview says it is too long
    with pytest.raises(ValidationError) as long:
        library.inbox.reply("m1", None, None, CARE, saved_reply_id=too_long.id)
    assert long.value.field == "saved_reply_id" and long.value.details["limit"] == 280
    assert "shorten it" in long.value.message
    assert library.posts.items == {} and library.mentions.items["m1"] == before
