"""ShareService and ShareTracker (chorus.advocacy.pool.service) with in-memory ports and scripted platform readers."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import pytest

from chorus.advocacy.engagement.rules import tally_of
from chorus.advocacy.pool.schemas import OfferIn, Share, ShareIn
from chorus.advocacy.pool.service import PoolService, Reader, ShareService, ShareTracker
from chorus.core.errors import Conflict, Forbidden, NotFound
from chorus.core.roles import Principal
from chorus.platforms.base import PublicPost, RateLimited, Reading, TransientFailure
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
                                 person("bo", platforms={"bluesky": "bo.bsky.social"}), person("cas", platforms={}),
                                 person("ed", roles=["editor", "publisher"]))
        self.ledger = MemoryLedger()
        self.pool = PoolService(self.store, self.people, FakePosts(post()), self.ledger, self.clock)
        # What POST /shares reads a Mastodon or Bluesky post with (track_shares has its own readers).
        self.mastodon, self.bluesky = ScriptedReader("mastodon"), ScriptedReader("bluesky")
        self.shares = ShareService(self.store, self.people, self.ledger, self.clock, [self.mastodon, self.bluesky])
        self.offer, _ = self.pool.offer(EDITOR, OfferIn(post_id="post1", url=URL), API)

    def link(self, who: str, channel: str) -> str:
        return self.pool.pool(principal(who), 50, None, API).items[0].links[channel]

    def counts(self, event: str) -> dict[tuple[str, str], int]:
        totals: dict[tuple[str, str], int] = {}
        for (p, _, e, c), n in self.ledger.counts.items():
            if e == event:
                totals[(p, c)] = totals.get((p, c), 0) + n
        return {key: n for key, n in totals.items() if n}

    def score(self, who: str) -> int:
        return tally_of(self.ledger.of_person(who, NOW.date() - timedelta(days=30), NOW.date() + timedelta(days=30))
                        ).score

    def claim(self, who: str, url: str) -> Share:
        return self.shares.confirm(principal(who), ShareIn(offer_id=self.offer.id, url=url))[0]


@pytest.fixture
def world() -> World:
    return World()


def toot(post_id: str, links: tuple[str, ...], at: datetime, author: str = "@ann@social.example",
         replies: int = 0) -> PublicPost:
    return PublicPost(post_id, f"https://social.example/@{author.split('@')[1]}/{post_id}", at, links, replies, author)


# ---------------------------------------------------------------------------------------------------- claiming
def test_made_up_shares_stay_claimed_and_move_no_score(world: World) -> None:
    for n in (1, 2, 3):
        share, created = world.shares.confirm(principal("ann"), ShareIn(offer_id=world.offer.id,
                                                                        url=f"https://made-up.example/post/{n}"))
        assert created and (share.platform, share.status, share.found_by) == ("other", "claimed", "publisher")
        assert "an editor confirms" in (share.note or "")
    assert world.counts("share") == {} and world.score("ann") == 0
    assert world.counts("share_claimed") == {("ann", "other"): 3}  # the report shows them apart, unscored


def test_a_claim_is_stored_once_however_often_and_however_spelled(world: World) -> None:
    share = world.claim("ann", "https://twitter.com/ann/status/18?s=20")
    assert (share.platform, share.status, share.person) == ("x", "claimed", "ann")
    again, created_again = world.shares.confirm(principal("ann"), ShareIn(offer_id=world.offer.id,
                                                                          url="https://x.com/ann/status/18/"))
    assert not created_again and again.id == share.id
    assert world.counts("share_claimed") == {("ann", "x"): 1} and world.counts("share") == {}


def test_a_mastodon_share_counts_once_read_as_the_persons_own_post_linking_the_offer(world: World) -> None:
    later = NOW + timedelta(minutes=5)
    world.mastodon.by_id["1099"] = toot("1099", (world.link("ann", "mastodon"),), later)
    world.clock.now = later + timedelta(minutes=1)
    share = world.claim("ann", "https://social.example/@ann/1099")
    assert (share.status, share.verified_by, share.post_id, share.note) == ("verified", "mastodon", "1099", None)
    again = world.claim("ann", "https://social.example/@ann/1099/?utm_source=mastodon")
    assert again.id == share.id and again.status == "verified"
    assert world.counts("share") == {("ann", "mastodon"): 1} and world.counts("share_claimed") == {}
    assert world.mastodon.read == [("@ann@social.example", "1099")]  # read once: a verified share is not read again


def test_a_bluesky_share_is_read_by_its_address_and_keeps_the_posts_own_id(world: World) -> None:
    later = NOW + timedelta(minutes=5)
    uri = "at://did:plc:ann/app.bsky.feed.post/3k"
    world.bluesky.by_id["at://ann.bsky.social/app.bsky.feed.post/3k"] = PublicPost(
        uri, "https://bsky.app/profile/ann.bsky.social/post/3k", later, (URL + "?utm_source=bluesky",), 0,
        "ann.bsky.social")
    world.clock.now = later
    share = world.claim("ann", "https://bsky.app/profile/ann.bsky.social/post/3k")
    assert (share.status, share.post_id) == ("verified", uri)  # the DID form, to count its replies
    assert world.counts("share") == {("ann", "bluesky"): 1}


@pytest.mark.parametrize(("found", "said"), [
    (None, "no public post at this address"),
    ("someone else", "is by @bob@social.example, not by your Mastodon account @ann@social.example"),
    ("no link", "does not link to the offer"),
    ("too early", "was posted before the offer"),
])
def test_a_share_that_is_not_theirs_or_does_not_link_the_offer_is_rejected(world: World, found: str | None,
                                                                           said: str) -> None:
    later = NOW + timedelta(minutes=5)
    posts = {"someone else": toot("7", (URL,), later, author="@bob@social.example"),
             "no link": toot("7", ("https://elsewhere.example/",), later),
             "too early": toot("7", (URL,), NOW - timedelta(days=1))}
    if found:
        world.mastodon.by_id["7"] = posts[found]
    world.clock.now = later
    share = world.claim("ann", "https://social.example/@ann/7")
    assert share.status == "rejected" and said in (share.note or ""), share.note
    assert world.counts("share") == {} and world.counts("share_claimed") == {} and world.score("ann") == 0


def test_a_claim_that_cannot_be_read_yet_says_what_it_waits_for(world: World) -> None:
    world.mastodon.fail = RateLimited(60.0, "HTTP 429")
    waiting = world.claim("ann", "https://social.example/@ann/5")
    assert waiting.status == "claimed" and "reads this post on Mastodon" in (waiting.note or "")
    elsewhere = world.claim("ann", "https://other.example/@ann/6")
    assert elsewhere.status == "claimed" and "social.example" in (elsewhere.note or "")
    no_handle = world.claim("bo", "https://social.example/@bo/8")
    assert no_handle.status == "claimed" and "Mastodon handle" in (no_handle.note or "")
    assert world.counts("share") == {}
    # Bo adds his handle and reports the post again: now it is read.
    world.people.change("bo", platforms={"mastodon": "@bo@social.example"})
    world.mastodon.fail = None
    world.mastodon.by_id["8"] = toot("8", (URL,), NOW + timedelta(minutes=1), author="@bo@social.example")
    world.clock.now += timedelta(minutes=2)
    assert world.claim("bo", "https://social.example/@bo/8").status == "verified"
    assert world.counts("share") == {("bo", "mastodon"): 1}


def test_two_addresses_of_one_post_count_once(world: World) -> None:
    world.mastodon.by_id["1099"] = toot("1099", (URL,), NOW + timedelta(minutes=1))
    world.clock.now += timedelta(minutes=2)
    first = world.claim("ann", "https://social.example/@ann/1099")
    second = world.claim("ann", "https://social.example/users/ann/statuses/1099")
    assert (first.status, second.status) == ("verified", "rejected") and "same post" in (second.note or "")
    assert world.counts("share") == {("ann", "mastodon"): 1}


def test_only_offers_made_to_you_can_be_claimed(world: World) -> None:
    with pytest.raises(NotFound):
        world.shares.confirm(principal("ann"), ShareIn(offer_id="nope", url="https://x.com/ann/status/1"))
    with pytest.raises(Forbidden):
        world.shares.confirm(Principal("stranger", frozenset({"publisher"})),
                             ShareIn(offer_id=world.offer.id, url="https://x.com/a/status/1"))
    assert world.counts("share_claimed") == {}


def test_someone_elses_claimed_post_cannot_be_claimed_again(world: World) -> None:
    world.claim("ann", "https://x.com/ann/status/1")
    with pytest.raises(Conflict):
        world.claim("bo", "https://x.com/ann/status/1")
    assert world.counts("share_claimed") == {("ann", "x"): 1}


# ---------------------------------------------------------------------------------------------------- editors
def test_an_editor_confirms_a_share_chorus_cannot_read_and_it_counts_once(world: World) -> None:
    share = world.claim("ann", "https://www.linkedin.com/feed/update/urn:li:activity:7")
    assert share.status == "claimed" and "LinkedIn" in (share.note or "")
    with pytest.raises(Forbidden):
        world.shares.confirm_by_editor(principal("bo"), share.id)  # a publisher confirms nothing
    confirmed = world.shares.confirm_by_editor(EDITOR, share.id)
    assert (confirmed.status, confirmed.verified_by, confirmed.note) == ("verified", "editor", None)
    assert world.shares.confirm_by_editor(EDITOR, share.id) == confirmed  # again: the same, counted once
    assert world.counts("share") == {("ann", "linkedin"): 1} and world.counts("share_claimed") == {}
    with pytest.raises(Conflict, match="counts already"):
        world.shares.reject(EDITOR, share.id, "not ours")


def test_an_editor_rejects_a_made_up_share_and_cannot_confirm_their_own(world: World) -> None:
    made_up = world.claim("ann", "https://made-up.example/post/1")
    rejected = world.shares.reject(EDITOR, made_up.id, "This page does not exist.")
    assert (rejected.status, rejected.note) == ("rejected", "This page does not exist.")
    assert world.counts("share_claimed") == {} and world.counts("share") == {}
    own = world.shares.confirm(Principal("ed", frozenset({"editor", "publisher"})),
                               ShareIn(offer_id=world.offer.id, url="https://x.com/ed/status/9"))[0]
    with pytest.raises(Forbidden, match="someone else"):
        world.shares.confirm_by_editor(Principal("ed", frozenset({"editor", "publisher"})), own.id)
    with pytest.raises(NotFound):
        world.shares.confirm_by_editor(EDITOR, "nope")


def test_publishers_list_their_own_and_editors_everyones(world: World) -> None:
    world.claim("ann", "https://x.com/ann/status/1")
    world.clock.now += timedelta(minutes=1)
    world.claim("bo", "https://bsky.app/profile/bo.bsky.social/post/3k")
    assert [s.person for s in world.shares.list(principal("ann"), None, None, None, None, 50, None).items] == ["ann"]
    assert [s.person for s in world.shares.list(EDITOR, None, None, None, None, 50, None).items] == ["bo", "ann"]
    assert [s.person for s in world.shares.list(EDITOR, None, None, "x", None, 50, None).items] == ["ann"]
    assert [s.person for s in world.shares.list(EDITOR, None, None, None, "rejected", 50, None).items] == ["bo"]
    with pytest.raises(Forbidden):
        world.shares.list(principal("ann"), "bo", None, None, None, 50, None)


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
        self.by_id: dict[str, PublicPost] = {}  # what read_post finds
        self.read: list[tuple[str, str]] = []

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

    def read_post(self, handle: str, post_id: str, now: float) -> PublicPost | None:
        self._requests += 1
        self.read.append((handle, post_id))
        if self.fail:
            raise self.fail
        return self.by_id.get(post_id)


def public_post(post_id: str, links: tuple[str, ...], at: datetime, replies: int = 0) -> PublicPost:
    return toot(post_id, links, at, replies=replies)


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
    assert summary.read == 1 and summary.left == 3
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


def test_a_claim_the_platform_did_not_answer_is_read_by_the_next_run_and_counts_once(world: World) -> None:
    world.mastodon.fail = TransientFailure("social.example did not answer")
    later = NOW + timedelta(minutes=5)
    world.clock.now = later
    claim = world.claim("ann", "https://social.example/@ann/1099")
    assert claim.status == "claimed"
    reader = ScriptedReader("mastodon", replies={"1099": 2})
    reader.by_id["1099"] = toot("1099", (world.link("ann", "chorus"),), later, replies=2)
    summary = tracker(world, reader).run(lambda: 300.0)
    assert (summary.claims_verified, summary.claims_rejected, summary.shares_found) == (1, 0, 0)
    assert world.store.shares_[claim.id].status == "verified"
    tracker(world, reader).run(lambda: 300.0)
    assert world.counts("share") == {("ann", "mastodon"): 1} and world.counts("share_claimed") == {}
    assert world.counts("reply") == {("ann", "mastodon"): 2}
    assert reader.read == [("@ann@social.example", "1099")]


def test_the_next_run_rejects_a_made_up_claim_and_never_counts_its_replies(world: World) -> None:
    world.mastodon.fail = TransientFailure("social.example did not answer")
    claim = world.claim("ann", "https://social.example/@ann/4242")
    reader = ScriptedReader("mastodon", replies={"4242": 40})
    reader.by_id["4242"] = toot("4242", (URL,), NOW + timedelta(minutes=1), author="@famous@social.example",
                                replies=40)
    world.clock.now += timedelta(minutes=15)
    summary = tracker(world, reader).run(lambda: 300.0)
    assert (summary.claims_verified, summary.claims_rejected) == (0, 1)
    assert world.store.shares_[claim.id].status == "rejected"
    assert world.counts("share") == {} and world.counts("reply") == {} and world.score("ann") == 0


def test_a_post_someone_else_claimed_counts_for_its_author_when_found_on_their_account(world: World) -> None:
    stolen = world.claim("bo", "https://social.example/@ann/1099")  # bo has no Mastodon handle: it waits
    assert stolen.status == "claimed"
    later = NOW + timedelta(hours=1)
    reader = ScriptedReader("mastodon", posts={"@ann@social.example": [
        toot("1099", (world.link("ann", "mastodon"),), later)]})
    world.clock.now = later
    assert tracker(world, reader).run(lambda: 300.0).shares_found == 1
    share = world.store.shares_[stolen.id]
    assert (share.person, share.status, share.found_by) == ("ann", "verified", "mastodon")
    assert world.counts("share") == {("ann", "mastodon"): 1} and world.counts("share_claimed") == {}
