"""Before a source is saved its fetcher checks the settings; before any request its host must be public."""
from __future__ import annotations

import pytest

from chorus.core.errors import ValidationError
from chorus.platforms.base import SourceKind, SourceSpec, TransientFailure
from chorus.platforms.checks import PublicOnlyTransport, UnsafeAddress, check_public, check_settings
from chorus.platforms.rss import RssFetcher
from chorus.platforms.transport import Response
from tests.unit.platforms.fakes import FakeTransport

HOSTS = {
    "alerts.example": ["93.184.215.14"],
    "social.example": ["2606:4700::6810:85e5"],
    "dual.example": ["93.184.215.14", "10.0.0.7"],  # one private answer is enough to refuse
    "metadata.example": ["169.254.169.254"],
    "localhost": ["127.0.0.1", "::1"],
    "127.0.0.1": ["127.0.0.1"],
}


def resolver(host: str) -> list[str]:
    if host not in HOSTS:
        raise OSError("Name or service not known")
    return HOSTS[host]


def check(kind: SourceKind, settings: dict[str, str], allow_loopback: bool = False) -> None:
    check_settings(SourceSpec("s1", kind, settings), allow_loopback, resolver)


@pytest.mark.parametrize("kind, settings, field", [
    ("rss", {}, "settings.url"),
    ("rss", {"url": "ftp://alerts.example/feed"}, "settings.url"),
    ("mastodon", {"instance_url": "https://social.example", "mode": "timeline"}, "settings.mode"),
    ("mastodon", {"instance_url": "https://social.example", "mode": "hashtag"}, "settings.tag"),
    ("bluesky", {"mode": "search"}, "settings.query"),
    ("bluesky", {"mode": "search", "query": "q", "service_url": "pds.example"}, "settings.service_url"),
    ("x", {"mode": "mentions", "user_id": "@gemeente"}, "settings.user_id"),
    ("reddit", {"query": "q", "subreddit": "r/not a name"}, "settings.subreddit"),
])
def test_each_kinds_fetcher_refuses_bad_settings_naming_the_setting(kind: SourceKind, settings: dict,
                                                                    field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        check(kind, settings)
    assert raised.value.field == field


@pytest.mark.parametrize("kind, settings", [
    ("rss", {"url": "https://alerts.example/feed"}),
    ("mastodon", {"instance_url": "https://social.example", "mode": "search", "query": "gemeente"}),
    ("bluesky", {"mode": "notifications"}),
    ("x", {"mode": "mentions", "user_id": "12345"}),
    ("reddit", {"query": "gemeente", "subreddit": "thenetherlands+nederland"}),
])
def test_good_settings_pass_without_a_request(kind: SourceKind, settings: dict) -> None:
    check(kind, settings)


@pytest.mark.parametrize("url, message", [
    ("http://metadata.example/latest/meta-data/", "link-local"),
    ("http://169.254.169.254/latest/meta-data/", "link-local"),
    ("https://dual.example/feed", "private"),
    ("http://localhost:8080/feed", "loopback"),
    ("https://nowhere.invalid/feed", "does not resolve"),
])
def test_a_feed_on_an_address_that_is_not_public_is_refused(url: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        check("rss", {"url": url})
    assert raised.value.field == "settings.url" and message in raised.value.message


def test_loopback_is_allowed_for_the_local_runtime_but_nothing_else_is() -> None:
    check("rss", {"url": "http://127.0.0.1:8123/feed.xml"}, allow_loopback=True)
    with pytest.raises(ValidationError):
        check("rss", {"url": "http://metadata.example/"}, allow_loopback=True)


def test_a_mastodon_instance_on_a_private_address_is_refused_too() -> None:
    HOSTS["intranet.example"] = ["192.168.1.20"]
    with pytest.raises(ValidationError) as raised:
        check("mastodon", {"instance_url": "https://intranet.example", "mode": "hashtag", "tag": "a"})
    assert raised.value.field == "settings.instance_url"


def test_every_request_is_checked_so_a_redirect_to_the_metadata_service_is_never_followed() -> None:
    inner = FakeTransport(Response(302, {"Location": "http://169.254.169.254/latest/meta-data/iam"}))
    fetcher = RssFetcher(PublicOnlyTransport(inner, allow_loopback=False, resolver=resolver))
    with pytest.raises(UnsafeAddress, match="link-local"):
        fetcher.fetch(SourceSpec("s1", "rss", {"url": "https://alerts.example/feed"}), {}, None, 0.0)
    assert [sent.url for sent in inner.sent] == ["https://alerts.example/feed"]


def test_a_host_that_stops_resolving_is_a_transient_failure() -> None:
    with pytest.raises(TransientFailure):
        check_public("https://gone.example/feed", False, resolver)
