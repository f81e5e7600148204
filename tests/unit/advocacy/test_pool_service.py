"""PoolService, OfferNotifier and PoolPersonalData (chorus.advocacy.pool.service) with in-memory ports."""
from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chorus.advocacy.people.schemas import Person
from chorus.advocacy.pool.rules import new_share
from chorus.advocacy.pool.schemas import Offer, OfferIn
from chorus.advocacy.pool.service import CLAIM, OfferNotifier, PoolPersonalData, PoolService
from chorus.calendar.schemas import Status
from chorus.core.errors import Conflict, Forbidden, NotFound
from chorus.core.roles import Principal
from tests.clock import Clock
from tests.unit.advocacy.fakes import MemoryLedger
from tests.unit.advocacy.pool_fakes import (
    EDITOR,
    NOW,
    FakeMessages,
    FakePeople,
    FakePosts,
    MemoryPoolStore,
    person,
    post,
    principal,
)

API = "https://api.example/api"


def plenty_of_time() -> float:
    return 100.0  # seconds left of a notify_offers run
URL = "https://www.example.org/vacatures/42?ref=site"


class World:
    def __init__(self, *people: Person, policy: str | None = "2026-1") -> None:
        self.clock = Clock(NOW)
        self.store = MemoryPoolStore()
        self.people = FakePeople(*people, policy=policy)
        self.ledger = MemoryLedger()
        self.posts = FakePosts(post(), post("draft1", status=Status.DRAFT))
        self.pool = PoolService(self.store, self.people, self.posts, self.ledger, self.clock)
        self.messages = FakeMessages()
        self.messages.clock = self.clock
        self.notifier = OfferNotifier(self.store, self.people, self.messages, self.pool, self.clock,
                                      "https://api.example/api")

    def offer(self, key: str | None = None, **body: Any) -> Offer:
        return self.pool.offer(EDITOR, OfferIn.model_validate({"post_id": "post1", "url": URL, **body}), API, key)[0]

    def counts(self, event: str) -> dict[tuple[str, str], int]:
        return {(p, c): n for (p, _, e, c), n in self.ledger.counts.items() if e == event}


@pytest.fixture
def world() -> World:
    return World(person("ann", platforms={"mastodon": "@ann@social.example"}), person("bo", team="hr", topics=["jobs"]),
                 person("cas", policy_version="2025-9"), person("dee", opted_in=False))


# ---------------------------------------------------------------------------------------------------- offering
def test_an_offer_reaches_only_people_who_can_receive_offers(world: World) -> None:
    made = world.offer()
    assert made.recipients == 2
    assert {r.person for r in world.store.recipients(made.id)} == {"ann", "bo"}
    assert world.counts("offer_received") == {("ann", "-"): 1, ("bo", "-"): 1}
    assert world.pool.pool(principal("cas"), 50, None, API).items == []
    assert "acknowledge the current policy" in (world.pool.pool(principal("cas"), 50, None, API).notice or "")
    with pytest.raises(Forbidden):
        world.pool.entry(principal("cas"), made.id, API)


def test_a_retried_offer_with_its_idempotency_key_is_the_first_one(world: World) -> None:
    body = OfferIn(post_id="post1", url=URL)
    first, created = world.pool.offer(EDITOR, body, API, "offer-42")
    again, created_again = world.pool.offer(EDITOR, body, API, "offer-42")
    assert (created, created_again, again.id, again.recipients) == (True, False, first.id, 2)
    assert len(world.store.offers_) == 1 and world.store.queues["ann"].queued == {first.id}
    other, _ = world.pool.offer(Principal("ed2", frozenset({"editor"})), body, API, "offer-42")
    assert other.id != first.id  # keys are per person


def test_a_retry_finishes_the_fan_out_its_first_request_could_not(world: World) -> None:
    world.store.fail_deliveries_after = 1
    with pytest.raises(RuntimeError):
        world.pool.offer(EDITOR, OfferIn(post_id="post1", url=URL), API, "offer-43")
    world.store.fail_deliveries_after = None
    again, created = world.pool.offer(EDITOR, OfferIn(post_id="post1", url=URL), API, "offer-43")
    assert (created, again.recipients, len(world.store.recipients_)) == (False, 2, 2)


def test_teams_and_topics_narrow_the_audience(world: World) -> None:
    assert world.offer(teams=["hr"]).recipients == 1
    assert world.offer(topics=["jobs"]).recipients == 1
    assert world.offer(teams=["sales"], topics=["jobs"]).recipients == 0


def test_an_unknown_or_unapproved_post_is_not_offered(world: World) -> None:
    with pytest.raises(NotFound):
        world.pool.offer(EDITOR, OfferIn(post_id="nope", url=URL), API)
    with pytest.raises(Conflict):
        world.pool.offer(EDITOR, OfferIn(post_id="draft1", url=URL), API)
    assert world.store.offers_ == {}


def test_a_fan_out_that_died_midway_is_finished_once_by_the_next_run(world: World) -> None:
    world.store.fail_deliveries_after = 1
    with pytest.raises(RuntimeError):
        world.offer()
    assert len(world.store.recipients_) == 1 and world.store.fanout_pending
    world.store.fail_deliveries_after = None
    world.clock.now += timedelta(minutes=1)
    assert world.pool.resume_fanouts(plenty_of_time) == 0  # it may still be running in its request
    world.clock.now += timedelta(minutes=2)
    assert world.pool.resume_fanouts(plenty_of_time) == 1
    assert world.pool.resume_fanouts(plenty_of_time) == 0
    assert world.counts("offer_received") == {("ann", "-"): 1, ("bo", "-"): 1}
    assert len(world.store.links) == 2 and sorted(world.store.queues) == ["ann", "bo"]


def test_an_audience_too_big_for_the_request_is_finished_by_the_next_run(world: World,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("chorus.advocacy.pool.service.FANOUT_SECONDS", -1.0)  # the request's time is up at once
    made = world.offer()
    assert made.recipients is None and world.store.recipients_ == {} and world.store.fanout_pending == {made.id}
    world.clock.now += timedelta(minutes=3)
    assert world.pool.resume_fanouts(plenty_of_time) == 1
    resumed = world.store.offer(made.id)
    assert resumed is not None and resumed.recipients == 2 and not world.store.fanout_pending
    assert world.pool.resume_fanouts(lambda: 10.0) == 0


def test_a_publisher_sees_their_offers_newest_first_with_their_own_links(world: World) -> None:
    first = world.offer()
    world.clock.now += timedelta(minutes=1)
    second = world.offer(texts={"x": "Kom erbij!"})
    page = world.pool.pool(principal("ann"), 50, None, API)
    assert page.notice is None and [e.offer.id for e in page.items] == [second.id, first.id]
    ann_links = page.items[0].links
    bo_links = world.pool.pool(principal("bo"), 50, None, API).items[0].links
    assert ann_links["x"] != bo_links["x"] and ann_links["x"].startswith(f"{API}/r/")
    assert parse_qs(urlsplit(page.items[0].share["x"]).query) == {"text": ["Kom erbij!"], "url": [ann_links["x"]]}
    bos_page = world.pool.pool(principal("bo"), 50, None, API)
    assert "mastodon" in page.items[0].share and "mastodon" not in bos_page.items[0].share


def test_withdrawn_offers_leave_the_pool_but_their_links_keep_working(world: World) -> None:
    made = world.offer()
    link = world.pool.pool(principal("ann"), 50, None, API).items[0].links["linkedin"]
    with pytest.raises(Forbidden):
        world.pool.withdraw(principal("ann"), made.id)
    world.pool.withdraw(EDITOR, made.id)
    world.pool.withdraw(EDITOR, made.id)  # again: nothing changes
    assert world.pool.pool(principal("ann"), 50, None, API).items == []
    with pytest.raises(NotFound):
        world.pool.entry(principal("ann"), made.id, API)
    assert world.pool.follow(link.rsplit("/", 1)[1], counts=True).startswith("https://www.example.org/vacatures/42?")
    assert world.pool.all_offers(50, None).items[0].offer.status == "withdrawn"


def test_editors_see_any_offer_and_publishers_only_their_own(world: World) -> None:
    made = world.offer(teams=["hr"])
    assert world.pool.entry(EDITOR, made.id, API).links == {}
    assert world.pool.entry(principal("bo"), made.id, API).links
    with pytest.raises(NotFound):
        world.pool.entry(principal("ann"), made.id, API)
    with pytest.raises(NotFound):
        world.pool.entry(EDITOR, "nope", API)


# ---------------------------------------------------------------------------------------------------- tracked links
def test_a_click_counts_for_the_person_on_the_links_channel_and_redirects_with_utm(world: World) -> None:
    made = world.offer()
    links = world.pool.pool(principal("ann"), 50, None, API).items[0].links
    target = world.pool.follow(links["x"].rsplit("/", 1)[1], counts=True)
    assert parse_qs(urlsplit(target).query) == {"ref": ["site"], "utm_source": ["x"], "utm_medium": ["ambassador"],
                                                "utm_campaign": [f"offer-{made.id}"]}
    world.pool.follow(links["chorus"].rsplit("/", 1)[1], counts=True)
    world.pool.follow(links["x"].rsplit("/", 1)[1], counts=False)  # a HEAD or a link-preview bot
    assert world.counts("click") == {("ann", "x"): 1, ("ann", "chorus"): 1}


@pytest.mark.parametrize("code", ["000000099x", "0000000000z", "short", ""])
def test_an_unknown_code_is_not_found_and_counts_nothing(world: World, code: str) -> None:
    world.offer()
    with pytest.raises(NotFound):
        world.pool.follow(code, counts=True)
    assert world.counts("click") == {}


# ---------------------------------------------------------------------------------------------------- notifications
def test_immediate_publishers_get_one_bundled_message_per_run(world: World) -> None:
    world.people.change("ann", rhythm="immediate")
    world.offer()
    world.offer()
    summary = world.notifier.run(plenty_of_time)
    assert summary["sent"] == 2  # ann and bo, one message each
    ann = [m for m in world.messages.sent if m.subscription.person == "ann"]
    assert len(ann) == 1 and ann[0].subject == "2 new posts to share"
    assert ann[0].subscription.endpoint == "ann@example.org"
    assert "https://api.example/api/pool" in ann[0].message
    assert world.notifier.run(plenty_of_time)["sent"] == 0


def test_a_daily_publisher_hears_of_a_later_offer_a_day_after_the_last_message(world: World) -> None:
    world.offer()
    world.notifier.run(plenty_of_time)
    world.clock.now += timedelta(hours=3)
    world.offer()
    assert world.notifier.run(plenty_of_time)["waiting"] == 2
    world.clock.now += timedelta(hours=20, minutes=55)
    assert world.notifier.run(plenty_of_time)["sent"] == 0
    world.clock.now += timedelta(minutes=5)
    assert world.notifier.run(plenty_of_time)["sent"] == 2
    times = [m.at for m in world.messages.sent if m.subscription.person == "ann"]
    assert len(times) == 2
    first, second = times
    assert first is not None and second is not None and second - first >= timedelta(days=1)


def test_who_opted_out_or_chose_no_notifications_hears_nothing_and_loses_the_subscription(world: World) -> None:
    world.people.change("ann", rhythm="immediate")
    world.offer()
    world.notifier.run(plenty_of_time)
    arns = {world.store.queues[p].subscription_arn for p in ("ann", "bo")}
    world.offer()
    world.people.change("ann", opted_in=False)
    world.people.change("bo", notify_by="none")
    world.notifier.run(plenty_of_time)
    assert set(world.messages.unsubscribed) == arns and world.messages.subscriptions == {}
    assert world.store.queues["ann"].queued == set() and world.store.queues["ann"].subscription_arn is None
    assert len(world.messages.sent) == 2  # only the first round


def test_a_new_address_gets_a_new_subscription(world: World) -> None:
    world.people.change("ann", rhythm="immediate")
    world.offer()
    world.notifier.run(plenty_of_time)
    old = world.store.queues["ann"].subscription_arn
    world.people.change("ann", notify_by="sms", phone="+31612345678")
    world.offer()
    world.notifier.run(plenty_of_time)
    assert world.messages.unsubscribed == [old]
    last = world.messages.sent[-1]
    assert (last.subscription.person, last.subscription.protocol, last.subscription.endpoint) == (
        "ann", "sms", "+31612345678")


def test_offers_wait_until_the_email_subscription_is_confirmed(world: World) -> None:
    world.messages.confirm = False
    world.offer()
    assert world.notifier.run(plenty_of_time)["waiting"] == 2 and world.messages.sent == []
    world.messages.confirm = True
    world.clock.now += timedelta(minutes=59)
    assert world.notifier.run(plenty_of_time)["sent"] == 0
    world.clock.now += timedelta(minutes=1)
    assert world.notifier.run(plenty_of_time)["sent"] == 2
    assert len(world.messages.subscriptions) == 2  # subscribed once each, not per attempt


def test_overlapping_runs_send_once_and_a_dead_runs_claim_ends(world: World) -> None:
    world.offer()
    world.store.claim("ann", world.clock.now, world.clock.now + CLAIM)  # another run holds it
    assert world.notifier.run(plenty_of_time)["sent"] == 1  # bo only
    world.clock.now += CLAIM + timedelta(seconds=1)
    assert world.notifier.run(plenty_of_time)["sent"] == 1  # the claim ended: ann now


def test_withdrawn_offers_are_not_announced(world: World) -> None:
    made = world.offer()
    world.pool.withdraw(EDITOR, made.id)
    assert world.notifier.run(plenty_of_time)["dropped"] == 2 and world.messages.sent == []


# ---------------------------------------------------------------------------------------------------- privacy
def test_export_and_erase_keep_counts_but_drop_urls_subscription_and_watermarks(world: World) -> None:
    made = world.offer()
    world.people.change("ann", rhythm="immediate")
    world.notifier.run(plenty_of_time)
    world.store.add_share(new_share("ann", made.id, "https://social.example/@ann/1", "mastodon", "publisher",
                                    world.clock.now, "1", note="this post is by @bo@social.example, not by your "
                                    "Mastodon account @ann@social.example; it does not count"))
    world.store.save_watch("ann", {"mastodon": {"account_id": "7"}}, "2026-12-01T09:00:00Z")
    section = PoolPersonalData(world.store, world.messages)
    kinds = [entry["kind"] for entry in section.export("ann")]
    assert kinds == ["offer_received", "share", "offer_notifications", "share_tracking"]
    arn = world.store.queues["ann"].subscription_arn
    assert section.erase("ann", world.clock.now) == 3
    assert arn in world.messages.unsubscribed
    assert [(s.url, s.note) for s in world.store.all_shares("ann")] == [(None, None)]
    assert [e["kind"] for e in section.export("ann")] == ["offer_received", "share"]
    assert section.erase("ann", world.clock.now) == 0
    assert world.counts("offer_received")[("ann", "-")] == 1
