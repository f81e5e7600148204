"""Photos and videos on posts (chorus.calendar.rules): every item needs alt text before approval and scheduling, files
must be in the media library, and each channel's platform's limits hold (the post fits the strictest of its
channels, and each error names the channel)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError as ShapeError

from chorus.calendar import rules as posts
from chorus.calendar.rules import MEDIA_RULES, media_errors
from chorus.calendar.schemas import Channel, Post, PostContent, PostMedia, Status
from chorus.core.errors import ValidationError
from chorus.core.roles import Principal

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
CREATOR = Principal(username="cara", roles=frozenset({"creator"}))
EDITOR = Principal(username="ed", roles=frozenset({"editor"}))
CHANNELS = {
    "mastodon-main": Channel(id="mastodon-main", platform="mastodon", handle="@org@social.example"),
    "x-main": Channel(id="x-main", platform="x", handle="@org"),
    "bsky": Channel(id="bsky", platform="bluesky", handle="org.example"),
    "linkedin-page": Channel(id="linkedin-page", platform="linkedin", handle="org"),
    "demo-local": Channel(id="demo-local", platform="local", handle="demo"),
}
PHOTO = {"key": "content/abc/boom.jpg", "alt": "Vijf collega's planten een boom in het Vondelpark"}


def draft(media: list[Any], channels: list[str] | None = None) -> Post:
    content = PostContent(text="Boomplantdag!", channels=channels or ["mastodon-main"], media=media)
    return posts.draft("p1", content, CREATOR, NOW)


def fields(errors: list[ValidationError]) -> list[tuple[str, str | None]]:
    return [(error.field, error.details.get("channel")) for error in errors]  # type: ignore[misc]


def test_a_post_with_alt_text_on_every_item_passes_every_platform() -> None:
    post = draft([PHOTO], list(CHANNELS))
    assert media_errors(post, CHANNELS) == []


def test_an_image_without_alt_text_cannot_be_approved_and_the_error_names_the_item() -> None:
    post = posts.transition(draft([PHOTO, {"key": "content/def/schep.jpg"}]), "submit", CREATOR, NOW)
    with pytest.raises(ValidationError) as refused:
        posts.transition(post, "approve", EDITOR, NOW)
    assert refused.value.field == "media.1.alt" and "alt text" in str(refused.value)


def test_an_image_without_alt_text_cannot_be_scheduled() -> None:
    post = draft([{"key": "content/abc/boom.jpg", "alt": "   "}])  # blank is no description
    approved = post.model_copy(update={"status": Status.APPROVED})
    with pytest.raises(ValidationError) as refused:
        posts.schedule(approved, NOW + timedelta(days=1), "Europe/Amsterdam", EDITOR, NOW, CHANNELS)
    assert refused.value.field == "media.0.alt"


def test_a_post_without_media_needs_no_alt_text_to_be_approved() -> None:
    post = posts.transition(draft([]), "submit", CREATOR, NOW)
    assert posts.transition(post, "approve", EDITOR, NOW).status == Status.APPROVED


def test_a_plain_key_is_read_as_media_without_alt_text() -> None:
    post = draft(["content/abc/boom.jpg"])
    assert post.media == [PostMedia(key="content/abc/boom.jpg")]
    assert fields(posts.missing_alt(post)) == [("media.0.alt", None)]


@pytest.mark.parametrize("platform, limit", [("mastodon", 1500), ("bluesky", 2000), ("x", 1000), ("linkedin", 4086)])
def test_alt_text_limits_are_each_platforms_own(platform: str, limit: int) -> None:
    channel = next(c for c in CHANNELS.values() if c.platform == platform)
    assert media_errors(draft([{**PHOTO, "alt": "a" * limit}], [channel.id]), CHANNELS) == []
    (error,) = media_errors(draft([{**PHOTO, "alt": "a" * (limit + 1)}], [channel.id]), CHANNELS)
    assert (error.field, error.details["channel"], error.details["limit"]) == ("media.0.alt", channel.id, limit)


def test_a_post_on_several_channels_must_fit_the_strictest_and_each_error_names_its_channel() -> None:
    post = draft([{**PHOTO, "alt": "a" * 1600}], ["mastodon-main", "x-main", "bsky"])
    assert fields(media_errors(post, CHANNELS)) == [("media.0.alt", "mastodon-main"), ("media.0.alt", "x-main")]


@given(st.integers(min_value=1, max_value=3000))
def test_alt_text_fits_a_set_of_channels_exactly_when_it_fits_the_smallest_limit(length: int) -> None:
    chosen = ["mastodon-main", "x-main", "bsky", "linkedin-page"]
    post = draft([{**PHOTO, "alt": "é" * length}], chosen)
    strictest = min(MEDIA_RULES[CHANNELS[c].platform].alt_chars for c in chosen)
    assert (media_errors(post, CHANNELS) == []) == (length <= strictest)


def test_too_many_photos_for_a_platform() -> None:
    five = [{"key": f"content/{n}/foto.jpg", "alt": f"Foto {n}"} for n in range(5)]
    assert fields(media_errors(draft(five, ["x-main", "linkedin-page"]), CHANNELS)) == [("media", "x-main")]


def test_a_video_goes_alone_on_mastodon_and_not_at_all_where_chorus_cannot_send_it() -> None:
    video = {"key": "content/v/film.mp4", "alt": "Een drone vliegt over de wijk"}
    assert media_errors(draft([video], ["mastodon-main", "demo-local"]), CHANNELS) == []
    assert fields(media_errors(draft([video, PHOTO], ["mastodon-main"]), CHANNELS)) == [("media", "mastodon-main")]
    assert fields(media_errors(draft([video], ["bsky", "x-main"]), CHANNELS)) == [("media.0", "bsky"),
                                                                                ("media.0", "x-main")]


def test_a_photo_too_big_for_bluesky_is_found_before_it_is_due() -> None:
    post = draft([PHOTO], ["bsky"])
    big = post.model_copy(update={"media": [post.media[0].model_copy(update={"content_type": "image/jpeg",
                                                                             "size": 2_400_000})]})
    (error,) = media_errors(big, CHANNELS)
    assert error.field == "media.0" and "Bluesky" in str(error) and "2.3 MB" in str(error)


def test_files_must_be_kept_in_the_media_library() -> None:
    upload = {"key": "uploads/0123456789abcdef0123456789abcdef/boom.jpg", "alt": "Boom"}
    assert fields(media_errors(draft([upload]), CHANNELS)) == [("media.0.key", None)]
    assert fields(media_errors(draft([{"key": "s3://elders/boom.jpg", "alt": "Boom"}]), CHANNELS)) == [
        ("media.0.key", None)]


def test_a_link_goes_only_to_the_local_outbox() -> None:
    link = {"key": "https://cdn.example/boom.jpg", "alt": "Boom"}
    assert media_errors(draft([link], ["demo-local"]), CHANNELS) == []
    assert fields(media_errors(draft([link], ["mastodon-main"]), CHANNELS)) == [("media.0.key", "mastodon-main")]


def test_media_errors_block_scheduling_and_are_advice_while_drafting() -> None:
    post = draft([{"key": "content/abc/boom.jpg"}])
    assert [e.field for e in posts.content_errors(post, CHANNELS)] == ["media.0.alt"]


def test_editing_media_keeps_what_the_library_said_about_a_file() -> None:
    post = draft([{"key": "content/abc/boom.jpg"}])
    described = post.model_copy(update={"media": [post.media[0].model_copy(update={"content_type": "image/jpeg",
                                                                                   "size": 1234})]})
    edited = posts.edit(described, PostContent(media=[PHOTO]), CREATOR, NOW)  # type: ignore[list-item]
    assert (edited.media[0].alt, edited.media[0].content_type, edited.media[0].size) == (PHOTO["alt"], "image/jpeg",
                                                                                         1234)


def test_the_request_shape_refuses_unknown_fields_and_overlong_alt_text() -> None:
    with pytest.raises(ShapeError) as refused:
        PostContent(media=[{"key": "content/a/b.jpg", "alt": "a" * 5001}])  # type: ignore[list-item]
    assert refused.value.errors()[0]["loc"] == ("media", 0, "alt")
    with pytest.raises(ShapeError):
        PostContent(media=[{"key": "content/a/b.jpg", "url": "https://elders.example/"}])  # type: ignore[list-item]
