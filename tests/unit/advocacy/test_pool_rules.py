"""The pool's pure rules (chorus.advocacy.pool.rules): making and withdrawing offers, what a publisher sees, finding
which offer a post shares, and the rhythm of offer notifications."""
from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.advocacy.pool.rules import (
    RHYTHM_PERIODS,
    NotifyState,
    audience,
    dropped,
    enqueue,
    make_offer,
    offer_shared,
    offers_message,
    plan,
    pool_entry,
    pool_notice,
    sent,
    subscription_for,
    withdraw,
)
from chorus.advocacy.pool.schemas import OfferIn, Recipient
from chorus.calendar.schemas import Status
from chorus.core.errors import Conflict, Forbidden, ValidationError
from chorus.core.roles import Principal
from chorus.publishing.schemas import Delivery
from tests.unit.advocacy.pool_fakes import EDITOR, NOW, POLICY, person, post

API = "https://abc123.execute-api.eu-west-1.amazonaws.com/api"
URL = "https://www.example.org/vacatures/42"


def offer(**body: object):
    return make_offer("o1", OfferIn.model_validate({"post_id": "post1", "url": URL, **body}), post(), EDITOR, NOW, API)


# ---------------------------------------------------------------------------------------------------- offers
def test_an_offer_suggests_the_posts_text_on_every_platform_unless_given() -> None:
    made = offer(texts={"x": "  Kom werken bij ons!  "}, teams=["sales", "sales"], topics=["jobs"])
    assert made.texts == {"x": "Kom werken bij ons!", "linkedin": "Wij zoeken een collega!",
                          "bluesky": "Wij zoeken een collega!", "mastodon": "Wij zoeken een collega!"}
    assert (made.teams, made.topics, made.url, made.campaign, made.created_by) == (
        ["sales"], ["jobs"], URL, "offer-o1", "editor")
    assert audience(made) == [("sales", "jobs")]


def test_the_campaign_of_the_post_becomes_utm_campaign() -> None:
    made = make_offer("o1", OfferIn(post_id="post1", url=URL), post(campaign="Werken bij 2026!"), EDITOR, NOW, API)
    assert made.campaign == "werken-bij-2026"


def test_without_a_url_the_link_leads_to_the_post_where_it_was_published() -> None:
    published = post(status=Status.PUBLISHED).model_copy(update={"deliveries": {
        "local": Delivery(status="published", url="https://social.example/@org/99")}})
    made = make_offer("o1", OfferIn(post_id="post1"), published, EDITOR, NOW, API)
    assert made.url == "https://social.example/@org/99"
    with pytest.raises(ValidationError) as error:
        make_offer("o1", OfferIn(post_id="post1"), post(), EDITOR, NOW, API)
    assert error.value.field == "url"


def test_a_channel_without_a_web_page_is_passed_over_for_the_next_one() -> None:
    """The local outbox delivers to `local://…`: the public page is on the next channel, or there is none yet."""
    local = Delivery(status="published", url="local://demo-local/post1")
    both = post(status=Status.PUBLISHED).model_copy(update={"channels": ["demo-local", "mastodon-main"], "deliveries": {
        "demo-local": local, "mastodon-main": Delivery(status="published", url="https://social.example/@org/99")}})
    assert make_offer("o1", OfferIn(post_id="post1"), both, EDITOR, NOW, API).url == "https://social.example/@org/99"
    only_local = both.model_copy(update={"channels": ["demo-local"], "deliveries": {"demo-local": local}})
    with pytest.raises(ValidationError, match="no public URL yet") as error:
        make_offer("o1", OfferIn(post_id="post1"), only_local, EDITOR, NOW, API)
    assert error.value.field == "url"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/file", "www.example.org"])
def test_only_http_pages_can_be_linked(url: str) -> None:
    with pytest.raises(ValidationError) as error:
        offer(url=url)
    assert error.value.field == "url"


def test_a_text_too_long_with_its_link_names_the_platform() -> None:
    with pytest.raises(ValidationError) as error:
        offer(texts={"bluesky": "a" * 260})  # 260 + space + a 61-character link > 300 graphemes
    assert error.value.field == "texts.bluesky"
    offer(texts={"x": "a" * 256})  # X counts every link as 23: 256 + 1 + 23 = 280 fits
    with pytest.raises(ValidationError):
        offer(texts={"x": "a" * 257})


def test_an_empty_post_needs_texts() -> None:
    with pytest.raises(ValidationError) as error:
        make_offer("o1", OfferIn(post_id="post1", url=URL), post(text=""), EDITOR, NOW, API)
    assert error.value.field == "texts.x"


@pytest.mark.parametrize("status", [Status.DRAFT, Status.SUBMITTED, Status.CANCELLED, Status.HELD, Status.FAILED])
def test_only_approved_scheduled_or_published_posts_are_offered(status: Status) -> None:
    with pytest.raises(Conflict):
        make_offer("o1", OfferIn(post_id="post1", url=URL), post(status=status), EDITOR, NOW, API)


def test_only_editors_offer_and_withdraw() -> None:
    publisher = Principal("ann", frozenset({"publisher", "creator"}))
    with pytest.raises(Forbidden):
        make_offer("o1", OfferIn(post_id="post1", url=URL), post(), publisher, NOW, API)
    made = offer()
    with pytest.raises(Forbidden):
        withdraw(made, publisher, NOW)
    gone = withdraw(made, EDITOR, NOW)
    assert (gone.status, gone.withdrawn_by) == ("withdrawn", "editor")
    assert withdraw(gone, EDITOR, NOW + timedelta(hours=1)) is gone


def test_no_teams_or_topics_means_everyone() -> None:
    assert audience(offer()) == [(None, None)]
    assert audience(offer(teams=["sales", "hr"])) == [("sales", None), ("hr", None)]


# ---------------------------------------------------------------------------------------------------- the pool
def test_a_pool_entry_carries_the_persons_own_links_and_intents() -> None:
    ann = person("ann", platforms={"mastodon": "@ann@social.example"})
    entry = pool_entry(offer(), Recipient(offer_id="o1", person="ann", link_base="Ab3dE5gH9", created_at="x"),
                       ann.platforms, API)
    assert entry.links["chorus"] == f"{API}/r/Ab3dE5gH9c"
    assert set(entry.share) == {"x", "linkedin", "bluesky", "mastodon", "facebook"}
    assert entry.share["mastodon"].startswith("https://social.example/share?text=")
    assert "Ab3dE5gH9m" in entry.share["mastodon"] and "Ab3dE5gH9x" in entry.share["x"]


@pytest.mark.parametrize(("changes", "says"), [
    ({}, None),
    ({"policy_version": "2025-9"}, "acknowledge the current policy (version 2026-1)"),
    ({"opted_in": False}, "you have not opted in"),
    ({"erased_at": "2026-11-30T00:00:00Z"}, "erased"),
])
def test_the_notice_says_why_nothing_is_offered(changes: dict, says: str | None) -> None:
    notice = pool_notice(person("ann", **changes), POLICY)
    assert notice == says if says is None else says in (notice or "")


def test_someone_without_a_profile_is_told_so() -> None:
    assert "no ambassador profile" in (pool_notice(None, POLICY) or "")


# ---------------------------------------------------------------------------------------------------- finding shares
def test_a_post_shares_the_offer_whose_tracked_link_or_page_it_carries() -> None:
    bases = {"Ab3dE5gH9": "o1"}
    pages = {"https://example.org/vacatures/42": "o2"}
    assert offer_shared(["https://chorus.example/r/Ab3dE5gH9m"], bases, pages) == "o1"
    assert offer_shared(["https://www.example.org/vacatures/42/?utm_source=x&utm_medium=ambassador"],
                        bases, pages) == "o2"
    assert offer_shared(["https://chorus.example/r/Zz3dE5gH9m"], bases, pages) is None  # someone else's link
    assert offer_shared([], bases, pages) is None


# ---------------------------------------------------------------------------------------------------- notifications
def test_subscription_follows_the_persons_choice() -> None:
    email = subscription_for(person("ann"))
    assert email is not None and email.protocol == "email"
    sms = subscription_for(person("ann", notify_by="sms", phone="+31612345678"))
    assert sms is not None
    assert (sms.protocol, sms.endpoint, sms.filter_policy()) == ("sms", "+31612345678", {"person": ["ann"]})
    assert subscription_for(person("ann", notify_by="none")) is None
    assert subscription_for(person("ann", notify_by="sms", phone=None)) is None


def test_a_bundle_names_each_offer_and_the_sms_fits_one_message() -> None:
    offers = [offer(texts={"linkedin": f"Bericht {n} " + "lang " * 60}) for n in range(3)]
    subject, text, sms = offers_message(offers, "https://api.example/pool")
    assert subject == "3 new posts to share"
    assert text.count("\n- Bericht") == 3 and "https://api.example/pool" in text and "Share only what you like" in text
    assert len(sms) <= 160 and sms.endswith("https://api.example/pool")


def test_a_second_offer_waits_for_the_rhythm_and_a_looser_rhythm_sends_sooner() -> None:
    state = sent(enqueue(NotifyState(), "o1", NOW), {"o1"}, NOW)
    later = NOW + timedelta(hours=2)
    state = enqueue(state, "o2", later)
    assert state.due_at == NOW  # already due: the next run plans it
    assert plan(state, "daily", later).until == NOW + timedelta(days=1)
    assert plan(state, "weekly", later).until == NOW + timedelta(days=7)
    assert plan(state, "immediate", later).action == "send"
    assert plan(dropped(state, {"o2"}), "daily", later).action == "idle"


EVENTS = st.lists(st.one_of(
    st.tuples(st.just("offer"), st.integers(0, 3 * 24 * 60)),
    st.tuples(st.just("run"), st.integers(0, 3 * 24 * 60)),
    st.tuples(st.just("rhythm"), st.sampled_from(sorted(RHYTHM_PERIODS)))), max_size=40)


def run_once(state: NotifyState, rhythm: str, now: datetime) -> tuple[NotifyState, bool]:
    """What one notify_offers run does with one person's queue (as chorus.advocacy.pool.service.OfferNotifier does)."""
    if state.due_at is None or state.due_at > now:
        return state, False
    decision = plan(state, rhythm, now)
    if decision.action == "idle":
        return NotifyState(state.queued, state.last_sent_at, None), False
    if decision.action == "wait":
        return NotifyState(state.queued, state.last_sent_at, decision.until), False
    return sent(state, state.queued, now), True


@settings(max_examples=300, deadline=None)
@given(EVENTS, st.sampled_from(sorted(RHYTHM_PERIODS)))
def test_never_two_messages_within_the_rhythm_and_every_offer_is_told(events: list, rhythm: str) -> None:
    now, state, messages, offered = NOW, NotifyState(), [], 0
    for kind, value in events:
        if kind == "rhythm":
            rhythm = value
            continue
        now += timedelta(minutes=value)
        if kind == "offer":
            offered += 1
            state = enqueue(state, f"o{offered}", now)
        else:
            state, was_sent = run_once(state, rhythm, now)
            messages += [(now, rhythm)] * was_sent
    for _ in range(8 * 24 * 12):  # then every 5 minutes for 8 days
        now += timedelta(minutes=5)
        state, was_sent = run_once(state, rhythm, now)
        messages += [(now, rhythm)] * was_sent
    for (first, _), (second, rhythm_then) in pairwise(messages):
        assert second - first >= RHYTHM_PERIODS[rhythm_then]
    assert not state.queued and (offered == 0) == (not messages)
