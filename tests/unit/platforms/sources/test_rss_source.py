"""RssFetcher: conditional GET, 304, only new entries, redirects, failures as outcomes, bad settings."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chorus.platforms.base import BadSetting, PermanentFailure, RateLimited, SourceSpec
from chorus.platforms.rss import RssFetcher
from chorus.platforms.transport import Response
from tests.unit.platforms.fakes import FakeTransport

NOW = 1_785_585_600.0  # 2026-08-01T12:00:00Z
URL = "https://alerts.example/feeds/1"
SPEC = SourceSpec("alerts", "rss", {"url": URL}, language_hint="nl")
VALIDATORS = {"ETag": '"v1"', "Last-Modified": "Sat, 01 Aug 2026 11:00:00 GMT"}


def item(number: int, published: str | None = "2026-08-01T10:00:00Z") -> str:
    date = f"<published>{published}</published>" if published else ""
    return (f'<entry><id>urn:entry:{number}</id><title type="html">Nieuws &lt;b&gt;{number}&lt;/b&gt;</title>'
            f'<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://krant.example/{number}&amp;ct=ga"/>'
            f'{date}<content type="html">Tekst {number}&amp;nbsp;...</content></entry>')


def feed(*entries: str, headers: dict[str, str] | None = None) -> Response:
    body = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>Alerts</title>{"".join(entries)}</feed>'.encode()
    return Response(200, {"Content-Type": "application/atom+xml", **(VALIDATORS if headers is None else headers)}, body)


def fetch(fake: FakeTransport, watermark: dict[str, str] | None = None, spec: SourceSpec = SPEC):
    return RssFetcher(fake).fetch(spec, watermark or {}, None, NOW)


def test_the_first_poll_returns_every_entry_and_remembers_validators_and_the_newest_time() -> None:
    fake = FakeTransport(feed(item(1, "2026-08-01T09:00:00Z"), item(2, "2026-08-01T10:00:00Z")))
    result = fetch(fake)

    assert [m.platform_id for m in result.mentions] == ["urn:entry:1", "urn:entry:2"]  # oldest first
    first = result.mentions[0]
    assert (first.platform, first.title, first.text, first.url) == (
        "rss", "Nieuws 1", "Tekst 1 ...", "https://krant.example/1")
    assert first.created_at == datetime(2026, 8, 1, 9, tzinfo=UTC)
    assert (first.author.handle, first.author.url, first.author.followers) == (
        "krant.example", "https://krant.example", None)
    assert (first.source_id, first.language_hint) == ("alerts", "nl")
    assert result.watermark["etag"] == '"v1"' and result.watermark["last_modified"] == VALIDATORS["Last-Modified"]
    assert result.watermark["newest"] == "2026-08-01T10:00:00Z"
    assert (result.requests, result.not_modified) == (1, False)
    (sent,) = fake.sent
    assert sent.url == URL and sent.header("If-None-Match") is None and sent.header("If-Modified-Since") is None


def test_an_unchanged_feed_answers_304_and_nothing_changes() -> None:
    watermark = fetch(FakeTransport(feed(item(1)))).watermark
    fake = FakeTransport(Response(304, {}))
    result = fetch(fake, watermark)

    assert (result.mentions, result.not_modified, result.watermark, result.requests) == ([], True, watermark, 1)
    assert fake.sent[0].header("If-None-Match") == '"v1"'
    assert fake.sent[0].header("If-Modified-Since") == VALIDATORS["Last-Modified"]


def test_a_changed_feed_gives_only_its_new_entries() -> None:
    watermark = fetch(FakeTransport(feed(item(1, "2026-08-01T09:00:00Z"), item(2)))).watermark
    result = fetch(FakeTransport(feed(item(3, "2026-08-01T11:00:00Z"), item(1, "2026-08-01T09:00:00Z"), item(2))),
                   watermark)

    assert [m.platform_id for m in result.mentions] == ["urn:entry:3"]
    assert result.watermark["newest"] == "2026-08-01T11:00:00Z"


def test_entries_sharing_the_newest_time_are_told_apart_by_key() -> None:
    watermark = fetch(FakeTransport(feed(item(1), item(2)))).watermark  # both at 10:00
    result = fetch(FakeTransport(feed(item(1), item(2), item(3))), watermark)  # a third at the same second
    assert [m.platform_id for m in result.mentions] == ["urn:entry:3"]
    again = fetch(FakeTransport(feed(item(1), item(2), item(3))), result.watermark)
    assert again.mentions == [] and again.watermark == result.watermark


def test_undated_entries_are_new_once_and_dated_now() -> None:
    first = fetch(FakeTransport(feed(item(1, None))))
    assert first.mentions[0].created_at == datetime(2026, 8, 1, 12, tzinfo=UTC)
    assert fetch(FakeTransport(feed(item(1, None))), first.watermark).mentions == []


def test_an_entry_dated_in_the_future_counts_as_published_now_and_hides_nothing() -> None:
    first = fetch(FakeTransport(feed(item(1, "2099-01-01T00:00:00Z"))))
    assert first.mentions[0].created_at == datetime(2026, 8, 1, 12, tzinfo=UTC)
    later = RssFetcher(FakeTransport(feed(item(2, "2026-08-01T12:30:00Z"), item(1, "2099-01-01T00:00:00Z")))).fetch(
        SPEC, first.watermark, None, NOW + 3600)
    assert [m.platform_id for m in later.mentions] == ["urn:entry:2"]


def test_a_key_repeated_within_one_document_is_one_mention() -> None:
    result = fetch(FakeTransport(feed(item(1), item(1))))
    assert [m.platform_id for m in result.mentions] == ["urn:entry:1"]


def test_the_watermark_stays_small_however_many_entries_share_a_time() -> None:
    result = fetch(FakeTransport(feed(*(item(n) for n in range(500)))))
    assert len(result.mentions) == 500
    assert len(result.watermark["seen"]) < 2000


def test_a_moved_feed_is_followed_with_the_same_conditional_headers() -> None:
    fake = FakeTransport(Response(301, {"Location": "/feeds/2"}), Response(304, {}))
    result = fetch(fake, {"etag": '"v1"'})
    assert result.not_modified and result.requests == 2
    assert fake.sent[1].url == "https://alerts.example/feeds/2" and fake.sent[1].header("If-None-Match") == '"v1"'


def test_too_many_redirects_is_a_permanent_failure() -> None:
    fake = FakeTransport(*(Response(302, {"Location": f"/r{n}"}) for n in range(4)))
    with pytest.raises(PermanentFailure):
        fetch(fake)


def test_a_rate_limit_says_how_long_to_wait() -> None:
    with pytest.raises(RateLimited) as raised:
        fetch(FakeTransport(Response(429, {"Retry-After": "120"})))
    assert raised.value.retry_after == 120


@pytest.mark.parametrize("body", [b"<html><body>Sorry</body></html>", b'<!DOCTYPE x [<!ENTITY a "b">]><rss/>'])
def test_a_page_that_is_not_a_feed_is_a_permanent_failure(body: bytes) -> None:
    with pytest.raises(PermanentFailure, match="did not serve a feed"):
        fetch(FakeTransport(Response(200, {}, body)))


@pytest.mark.parametrize("settings", [{}, {"url": " "}, {"url": "ftp://a.example/feed"}, {"url": "feed.xml"}])
def test_a_source_without_an_http_url_is_refused_before_any_request(settings: dict[str, str]) -> None:
    fake = FakeTransport()
    with pytest.raises(ValueError, match="'url'") as raised:
        fetch(fake, spec=SourceSpec("alerts", "rss", settings))
    assert isinstance(raised.value, BadSetting) and raised.value.setting == "url"
    assert fake.sent == []
