"""ShareService and ShareTracker (chorus.advocacy.pool.service) with in-memory ports and scripted platform readers."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import pytest

from chorus.advocacy.pool.schemas import OfferIn, ShareIn
from chorus.advocacy.pool.service import PoolService, Reader, ShareService, ShareTracker
from chorus.core.errors import Conflict, Forbidden, NotFound
from chorus.core.roles import Principal
from chorus.platforms.base import PublicPost, RateLimited, Reading
from tests.clock import Clock
from tests.unit.advocacy.fakes import MemoryLedger
from tests.unit.advocacy.pool_fakes import EDITOR, NOW, FakePeople, FakePosts, MemoryPoolStore, person, post, principal

API = "https://api.example/api"
URL = "https://www.example.org/vacatures/42"


class World:
    def __init__(self) -> None:
        self.clock = Clock(NOW)
        self.store = MemoryPoolStore()
        ann_handles = {"mastodon": "@ann@social.example", "bluesky": "ann.bsky.social"}
        self.people = FakePeople(person("ann", platforms=ann_handles),
                                 person("bo", platforms={"bluesky": "bo.bsky.social"}), person("cas", platforms={}))
        self.ledger = MemoryLedger()
        self.pool = PoolService(self.store, self.people, FakePosts(post()), self.ledger, self.clock)
        self.shares = ShareService(self.store, self.people, self.ledger, self.clock)
        self.offer, _ = self.pool.offer(EDITOR, OfferIn(post_id="post1", url=URL), API)

    def link(self, who: str, channel: str) -> str:
        return self.pool.pool(principal(who), 50, None, API).items[0].links[channel]

    def counts(self, event: str) -> dict[tuple[str, str], int]:
        return {(p, c): n for (p, _, e, c), n in self.ledger.counts.items() if e == event}


@pytest.fixture
def world() -> World:
    return World()


# ---------------------------------------------------------------------------------------------------- confirming
def test_a_confirmed_share_counts_once_however_often_and_however_spelled(world: World) -> None:
    share, created = world.shares.confirm(principal("ann"), ShareIn(offer_id=world.offer.id,
                                                                    url="https://twitter.com/ann/status/18?s=20"))
    assert created and (share.platform, share.found_by, share.person) == ("x", "publisher", "ann")
    again, created_again = world.shares.confirm(principal("ann"), ShareIn(offer_id=world.offer.id,
                                                                          url="https://x.com/ann/status/18/"))
    assert not created_again and again.id == share.id
    assert world.counts("share") == {("ann", "x"): 1}


def test_a_share_on_the_persons_mastodon_instance_keeps_its_status_id(world: World) -> None:
    share, _ = world.shares.confirm(principal("ann"),
                                    ShareIn(offer_id=world.offer.id, url="https://social.example/@ann/1099"))
    assert (share.platform, share.post_id) == ("mastodon", "1099")


def test_only_offers_made_to_you_can_be_confirmed(world: World) -> None:
    with pytest.raises(NotFound):
        world.shares.confirm(principal("ann"), ShareIn(offer_id="nope", url="https://x.com/ann/status/1"))
    with pytest.raises(Forbidden):
        world.shares.confirm(Principal("stranger", frozenset({"publisher"})),
                             ShareIn(offer_id=world.offer.id, url="https://x.com/a/status/1"))
    assert world.counts("share") == {}


def test_someone_elses_post_cannot_be_claimed(world: World) -> None:
    world.shares.confirm(principal("ann"), ShareIn(offer_id=world.offer.id, url="https://x.com/ann/status/1"))
    with pytest.raises(Conflict):
        world.shares.confirm(principal("bo"), ShareIn(offer_id=world.offer.id, url="https://x.com/ann/status/1"))
    assert world.counts("share") == {("ann", "x"): 1}


def test_publishers_list_their_own_and_editors_everyones(world: World) -> None:
    world.shares.confirm(principal("ann"), ShareIn(offer_id=world.offer.id, url="https://x.com/ann/status/1"))
    world.clock.now += timedelta(minutes=1)
    world.shares.confirm(principal("bo"),
                         ShareIn(offer_id=world.offer.id, url="https://bsky.app/profile/bo.bsky.social/post/3k"))
    assert [s.person for s in world.shares.list(principal("ann"), None, None, None, 50, None).items] == ["ann"]
    assert [s.person for s in world.shares.list(EDITOR, None, None, None, 50, None).items] == ["bo", "ann"]
    assert [s.person for s in world.shares.list(EDITOR, None, None, "x", 50, None).items] == ["ann"]
    with pytest.raises(Forbidden):
        world.shares.list(principal("ann"), "bo", None, None, 50, None)


# ---------------------------------------------------------------------------------------------------- tracking
class ScriptedReader(Reader):
    """A platform as seen by the tracker: posts per handle, reply counts per post id, and what was asked."""

    def __init__(self, platform: str, posts: dict[str, list[PublicPost]] | None = None,
                 replies: dict[str, int] | None = None, fail: Exception | None = None) -> None:
        self._platform = platform
        self.posts = posts or {}
        self.replies = replies or {}
        self.fail = fail
        self._requests = 0
        self.asked: list[tuple[str, dict[str, str]]] = []

    @property
    def platform(self) -> str:
        return self._platform

    @property
    def requests(self) -> int:
        return self._requests

    def recent_posts(self, handle: str, watermark: Mapping[str, str], now: float) -> Reading:
        self._requests += 1
        self.asked.append((handle, dict(watermark)))
        if self.fail:
            raise self.fail
        seen = int(watermark.get("seen", "0"))
        mine = self.posts.get(handle, [])
        return Reading(mine[seen:], {"seen": str(len(mine))})

    def reply_counts(self, handle: str, post_ids: list[str], now: float) -> dict[str, int]:
        self._requests += 1
        return {post_id: self.replies[post_id] for post_id in post_ids if post_id in self.replies}


def public_post(post_id: str, links: tuple[str, ...], at: datetime, replies: int = 0) -> PublicPost:
    return PublicPost(post_id, f"https://social.example/@ann/{post_id}", at, links, replies)


def tracker(world: World, *readers: ScriptedReader) -> ShareTracker:
    return ShareTracker(world.store, world.people, world.shares, world.ledger, list(readers), world.clock,
                        window_days=14)


def test_a_post_with_the_tracked_link_or_the_page_becomes_a_share_and_its_replies_count_once(world: World) -> None:
    later = world.clock.now + timedelta(hours=1)
    mastodon = ScriptedReader("mastodon", posts={"@ann@social.example": [
        public_post("1", ("https://ann.example/unrelated",), later),
        public_post("2", (world.link("ann", "mastodon"),), later, replies=2)]})
    bluesky = ScriptedReader("bluesky", posts={"bo.bsky.social": [PublicPost(
        "at://did:plc:bo/app.bsky.feed.post/3k", "https://bsky.app/profile/bo.bsky.social/post/3k", later,
        ("https://example.org/vacatures/42?utm_source=bluesky",), 0)]})
    world.clock.now = later + timedelta(minutes=5)
    summary = tracker(world, mastodon, bluesky).run(lambda: 300.0)
    assert (summary.offers, summary.people, summary.shares_found, summary.replies_counted) == (1, 2, 2, 2)
    assert world.counts("share") == {("ann", "mastodon"): 1, ("bo", "bluesky"): 1}
    assert world.counts("reply") == {("ann", "mastodon"): 2}
    mastodon.replies["2"] = 3
    summary = tracker(world, mastodon, bluesky).run(lambda: 300.0)  # nothing new on the page: the count is asked
    assert (summary.shares_found, summary.replies_counted) == (0, 1)
    assert world.counts("reply") == {("ann", "mastodon"): 3}
    assert [s.replies for s in world.store.all_shares("ann")] == [3]


def test_reply_counting_is_idempotent_when_two_runs_see_the_same_replies(world: World) -> None:
    later = world.clock.now + timedelta(hours=1)
    posts = {"@ann@social.example": [public_post("2", (world.link("ann", "chorus"),), later, replies=4)]}
    world.clock.now = later
    first, second = ScriptedReader("mastodon", posts=posts), ScriptedReader("mastodon", posts=posts)
    tracker(world, first).run(lambda: 300.0)
    world.store.watches_.clear()  # an overlapping run that read before the first saved anything
    world.store.shares_ = {k: v.model_copy(update={"replies": 0}) for k, v in world.store.shares_.items()}
    tracker(world, second).run(lambda: 300.0)
    assert world.counts("reply") == {("ann", "mastodon"): 4} and world.counts("share") == {("ann", "mastodon"): 1}


def test_a_post_older_than_the_offer_is_no_share_of_it(world: World) -> None:
    earlier = world.clock.now - timedelta(days=1)
    reader = ScriptedReader("mastodon", posts={"@ann@social.example": [
        public_post("1", ("https://www.example.org/vacatures/42",), earlier)]})
    assert tracker(world, reader).run(lambda: 300.0).shares_found == 0


def test_the_watermark_is_kept_per_person_and_platform(world: World) -> None:
    reader = ScriptedReader("mastodon", posts={"@ann@social.example": [public_post("1", (), world.clock.now)]})
    tracker(world, reader).run(lambda: 300.0)
    tracker(world, reader).run(lambda: 300.0)
    assert reader.asked == [("@ann@social.example", {}), ("@ann@social.example", {"seen": "1"})]
    assert world.store.watches_["ann"].marks == {"mastodon": {"seen": "1"}}


def test_a_failing_platform_keeps_its_watermark_and_the_others_go_on(world: World) -> None:
    world.store.save_watch("ann", {"mastodon": {"seen": "5"}}, "2026-11-30T09:00:00Z")
    mastodon = ScriptedReader("mastodon", fail=RateLimited(60.0, "HTTP 429"))
    bluesky = ScriptedReader("bluesky", posts={"ann.bsky.social": [public_post("b1", (), world.clock.now)]})
    summary = tracker(world, mastodon, bluesky).run(lambda: 300.0)
    assert summary.failed == 1 and summary.read == 2
    assert world.store.watches_["ann"].marks == {"mastodon": {"seen": "5"}, "bluesky": {"seen": "1"}}


def test_people_who_left_the_programme_or_have_no_handle_are_not_read(world: World) -> None:
    world.people.change("ann", opted_in=False)
    reader = ScriptedReader("bluesky")
    summary = tracker(world, reader).run(lambda: 300.0)
    assert [handle for handle, _ in reader.asked] == ["bo.bsky.social"] and summary.people == 1


def test_a_run_short_of_time_leaves_the_rest_first_in_line_next_time(world: World) -> None:
    reader = ScriptedReader("bluesky")
    seconds = iter([300.0, 5.0])
    summary = tracker(world, reader).run(lambda: next(seconds))
    assert summary.read == 1 and summary.left == 2
    first = reader.asked[0][0]
    reader.asked.clear()
    world.clock.now += timedelta(minutes=15)
    tracker(world, reader).run(lambda: 300.0)
    assert reader.asked[0][0] != first  # the ones not read yet go first


def test_only_offers_of_the_window_are_looked_for(world: World) -> None:
    world.clock.now += timedelta(days=15)
    reader = ScriptedReader("mastodon")
    summary = tracker(world, reader).run(lambda: 300.0)
    assert (summary.offers, reader.asked) == (0, [])
