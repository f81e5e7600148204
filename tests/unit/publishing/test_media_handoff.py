"""The publisher hands a post's photos and videos to the connector: read from the media library only when the post is
written (never for a reconciliation that finds it), each with its alt text; a file that is gone fails the delivery,
a library that cannot be read now is retried."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chorus.calendar.schemas import Channel, Post, PostMedia, Status
from chorus.core import time as timing
from chorus.platforms.base import (
    OutcomeUnknown,
    PermanentFailure,
    Published,
    PublishRequest,
    RecentPost,
    TransientFailure,
)
from chorus.publishing import service as publishing
from chorus.publishing.rules import idempotency_key
from chorus.publishing.schemas import Delivery
from chorus.publishing.service import MediaFiles, PublishingService, ReplyOutcomes
from chorus.publishing.store import PublishMessage
from tests.clock import Clock
from tests.unit.publishing.fakes import Alerts, ChannelStore, PostStore, Sqs

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
CHANNEL = Channel(id="masto", platform="mastodon", handle="@org@social.example")
PHOTO = PostMedia(key="content/abc/boom.png", alt="Vijf collega's planten een boom", content_type="image/png", size=9)


class Library(MediaFiles):
    def __init__(self, files: dict[str, tuple[bytes, str]], failure: Exception | None = None) -> None:
        self.files = files
        self.failure = failure
        self.reads: list[str] = []

    def read(self, key: str) -> tuple[bytes, str]:
        self.reads.append(key)
        if self.failure is not None:
            raise self.failure
        if key not in self.files:
            raise PermanentFailure(f"the file {key} is no longer in the media library")
        return self.files[key]


class Account:
    """A connector that keeps what it was asked to publish; it can answer nothing once (the answer was lost)."""

    platform = "mastodon"

    def __init__(self, lose_first_answer: bool = False) -> None:
        self.requests: list[PublishRequest] = []
        self.posted: list[RecentPost] = []
        self.lose_first_answer = lose_first_answer

    def publish(self, request: PublishRequest) -> Published:
        self.requests.append(request)
        self.posted.append(RecentPost(f"s{len(self.posted)}", None, request.text, timing.iso_utc(T0)))
        if self.lose_first_answer:
            self.lose_first_answer = False
            raise OutcomeUnknown("no answer")
        return Published(self.posted[-1].platform_id, None)

    def delete(self, platform_id: str) -> None: ...

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        return list(reversed(self.posted))[:limit]

    def verify_credentials(self) -> str:
        return "@org"


class NoInbox(ReplyOutcomes):
    def settled(self, post: Post, channel_id: str) -> None: ...


@pytest.fixture(autouse=True)
def quiet_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(publishing, "_metric", lambda name, unit, value, platform: None)


def setup(account: Account, library: Library, media: list[PostMedia]) -> tuple[PublishingService, PostStore, Clock]:
    clock = Clock(T0)
    posts = PostStore()
    publish_at = timing.iso_utc(T0)
    posts.create(Post(id="p1", text="Boomplantdag!", channels=[CHANNEL.id], media=media, author="ed",
                      status=Status.SCHEDULED, publish_at=publish_at, due_at=publish_at,
                      deliveries={CHANNEL.id: Delivery()}, created_at=publish_at, updated_at=publish_at))
    service = PublishingService(posts, ChannelStore([CHANNEL]), Sqs(clock), Alerts(), lambda channel: account, clock,
                                replies=NoInbox(), pause=lambda attempt: None, media=library)
    return service, posts, clock


def deliver(service: PublishingService) -> str:
    return service.deliver(PublishMessage("p1", CHANNEL.id, timing.iso_utc(T0)))


def test_each_file_goes_to_the_connector_with_its_bytes_type_and_alt_text() -> None:
    account, library = Account(), Library({PHOTO.key: (b"\x89PNG....", "image/png")})
    service, posts, _ = setup(account, library, [PHOTO])
    assert deliver(service) == "published"
    (request,) = account.requests
    (file,) = request.media
    assert (file.key, file.alt, file.content_type, file.data) == (PHOTO.key, PHOTO.alt, "image/png", b"\x89PNG....")
    assert request.idempotency_key == idempotency_key("p1", CHANNEL.id, timing.iso_utc(T0))


def test_a_file_gone_from_the_library_fails_the_delivery_with_a_plain_reason() -> None:
    service, posts, _ = setup(Account(), Library({}), [PHOTO])
    assert deliver(service) == "failed"
    stored = posts.get("p1")
    assert stored is not None and "no longer in the media library" in (stored.deliveries[CHANNEL.id].error or "")


def test_a_library_that_cannot_be_read_now_is_tried_again_later() -> None:
    account = Account()
    service, posts, _ = setup(account, Library({}, TransientFailure("the media library could not be read")), [PHOTO])
    assert deliver(service) == "pending"
    assert account.requests == []


def test_a_reconciliation_that_finds_the_post_reads_no_file_and_posts_nothing_again() -> None:
    account, library = Account(lose_first_answer=True), Library({PHOTO.key: (b"png", "image/png")})
    service, posts, clock = setup(account, library, [PHOTO])
    deliver(service)  # the answer is lost: the lease stays
    clock.advance(timedelta(minutes=5))  # the lease ended; the next worker reconciles
    assert deliver(service) == "published"
    assert len(account.requests) == 1 and library.reads == [PHOTO.key]
