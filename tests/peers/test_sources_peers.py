"""Source fetchers against real servers on 127.0.0.1.

- RSS: a feed file served by `python -m http.server` (it sends Last-Modified and answers If-Modified-Since with 304).
- Mastodon API: snac2 (the session's `snac` fixture). Another local user mentions our account, and posts to a
  hashtag; snac 2.75 serves `/api/v1/timelines/tag/:tag` and honours `min_id` there and on notifications.

What snac does differently, and so is worked around here:
- it delivers a mention to the mentioned account through its queue, 6–9 s after the post: the test polls the
  fetcher until a deadline instead of sleeping a fixed time.
- its status ids start with the epoch second and continue with a hash, so two statuses made within one second
  have no order: the second hashtag post waits for the next second.
- the snac fixture does not expose its data folder, which `snac adduser` needs: it is found by its host.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from chorus.platforms.base import Credentials, FetchResult, SourceSpec
from chorus.platforms.mastodon import MastodonFetcher
from chorus.platforms.rss import RssFetcher
from chorus.platforms.transport import Transport
from tests.peers.servers import FreshConnections, Server, Snac, answers, free_port, run_snac

pytestmark = pytest.mark.peers

MENTION_DEADLINE_SECONDS = 30.0
POLL_INTERVAL_SECONDS = 0.5


def transport() -> Transport:
    return Transport(FreshConnections())  # snac closes every connection after one answer


# ------------------------------------------------------------------------------------------- RSS
def rss(*titles: str) -> str:
    items = "".join(f"<item><guid>urn:chorus:{title}</guid><title>{title}</title><link>https://nieuws.example/{title}</link>"
                    f"<pubDate>Sat, 01 Aug 2026 1{number}:00:00 GMT</pubDate></item>"
                    for number, title in enumerate(titles))
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Nieuws</title>{items}</channel></rss>'


@pytest.fixture
def feed_folder(tmp_path: Path, http: FreshConnections) -> Iterator[tuple[Path, str]]:
    folder = tmp_path / "site"
    folder.mkdir()
    (folder / "feed.xml").write_text(rss("een", "twee"))
    port = free_port()
    server = Server("http.server",
                    [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(folder)],
                    tmp_path / "http.log")
    try:
        url = f"http://127.0.0.1:{port}/feed.xml"
        server.wait_until(lambda: answers(http, url))
        yield folder / "feed.xml", url
    finally:
        server.stop()


def test_a_static_feed_is_read_then_not_modified_then_only_its_new_entry(feed_folder: tuple[Path, str]) -> None:
    path, url = feed_folder
    fetcher, spec = RssFetcher(transport()), SourceSpec("nieuws", "rss", {"url": url})

    first = fetcher.fetch(spec, {}, None, time.time())
    assert [m.title for m in first.mentions] == ["een", "twee"]
    assert "last_modified" in first.watermark

    unchanged = fetcher.fetch(spec, first.watermark, None, time.time())
    assert unchanged.not_modified and unchanged.mentions == [] and unchanged.watermark == first.watermark

    modified = path.stat().st_mtime + 5  # Last-Modified has whole seconds: make the change unmistakably later
    path.write_text(rss("een", "twee", "drie"))
    os.utime(path, (modified, modified))
    changed = fetcher.fetch(spec, first.watermark, None, time.time())
    assert not changed.not_modified
    assert [(m.title, m.url) for m in changed.mentions] == [("drie", "https://nieuws.example/drie")]


# ------------------------------------------------------------------------------------------- snac2
@dataclass(frozen=True)
class Fan:
    """Another local account that talks about ours."""

    name: str
    token: str
    url: str
    http: FreshConnections

    def post(self, text: str) -> str:
        response = self.http.request("POST", f"{self.url}/api/v1/statuses",
                                     fields={"status": text, "visibility": "public"},
                                     headers={"Authorization": f"Bearer {self.token}"}, encode_multipart=False)
        assert response.status == 200, response.data[:300]
        return json.loads(response.data)["id"]


@pytest.fixture(scope="module")
def fan(snac: Snac, http: FreshConnections, tmp_path_factory: pytest.TempPathFactory) -> Fan:
    host = urlsplit(snac.url).netloc
    base = next(config.parent for config in tmp_path_factory.getbasetemp().glob("snac*/data/server.json")
                if json.loads(config.read_text())["host"] == host)
    name = f"fan{secrets.token_hex(3)}"
    password = re.search(r"User password is (\S+)", run_snac(["adduser", str(base), name]))
    assert password, "snac adduser printed no password"
    response = http.request("POST", f"{snac.url}/oauth/x-snac-get-token",
                            fields={"login": name, "passwd": password.group(1)}, encode_multipart=False)
    assert response.status == 200, response.data[:300]
    return Fan(name, response.data.decode().strip(), snac.url, http)


def poll_until(fetch: Callable[[dict[str, str]], FetchResult], watermark: dict[str, str],
               found: Callable[[FetchResult], bool]) -> tuple[list[FetchResult], dict[str, str]]:
    """Fetch as the scheduled function would (each poll from the last watermark) until `found` or the deadline."""
    results: list[FetchResult] = []
    deadline = time.monotonic() + MENTION_DEADLINE_SECONDS
    while time.monotonic() < deadline:
        results.append(fetch(watermark))
        watermark = results[-1].watermark
        if found(results[-1]):
            return results, watermark
        time.sleep(POLL_INTERVAL_SECONDS)
    pytest.fail(f"not found within {MENTION_DEADLINE_SECONDS} s ({len(results)} polls)")


def test_a_mention_by_another_account_arrives_once_through_notifications(snac: Snac, fan: Fan) -> None:
    fetcher = MastodonFetcher(transport())
    spec = SourceSpec("snac-mentions", "mastodon", {"instance_url": snac.url, "mode": "notifications"})
    credentials = Credentials({"access_token": snac.token})
    def fetch(watermark: dict[str, str]) -> FetchResult:
        return fetcher.fetch(spec, watermark, credentials, time.time())

    before = fetch({}).watermark
    marker = secrets.token_hex(4)
    status_id = fan.post(f"Vraag voor @{snac.user} over de open dag ({marker})")

    results, after = poll_until(fetch, before, lambda result: any(m.platform_id == status_id for m in result.mentions))
    mentions = [m for result in results for m in result.mentions if marker in m.text]
    assert len(mentions) == 1
    assert mentions[0].author.handle.startswith(f"@{fan.name}@") and mentions[0].source_id == "snac-mentions"
    assert mentions[0].created_at.tzinfo is not None
    assert not any(marker in m.text for m in fetch(after).mentions)


def test_a_hashtag_timeline_gives_each_new_status_once(snac: Snac, fan: Fan) -> None:
    tag = f"chorus{secrets.token_hex(3)}"
    fetcher = MastodonFetcher(transport())
    spec = SourceSpec("snac-tag", "mastodon", {"instance_url": snac.url, "mode": "hashtag", "tag": f"#{tag}"})
    def fetch(watermark: dict[str, str]) -> FetchResult:
        return fetcher.fetch(spec, watermark, None, time.time())

    first_id = fan.post(f"Eerste over #{tag}")
    results, watermark = poll_until(fetch, {}, lambda result: any(m.platform_id == first_id for m in result.mentions))
    time.sleep(1.05 - time.time() % 1)  # into the next second: see the module docstring
    second_id = fan.post(f"Tweede over #{tag}")

    results, _ = poll_until(fetch, watermark, lambda result: bool(result.mentions))
    assert [m.platform_id for result in results for m in result.mentions] == [second_id]
    assert results[-1].mentions[0].text == f"Tweede over #{tag}"
