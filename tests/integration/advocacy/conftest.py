"""The advocacy programme the integration tests share: people, a policy and an approved post, through the API."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import pytest

from chorus import container
from chorus.platforms.base import TransientFailure
from chorus.platforms.bluesky import BlueskyReader
from chorus.platforms.mastodon import MastodonReader
from chorus.platforms.transport import Response
from tests.integration.conftest import Api, Stack
from tests.unit.platforms.fakes import FakeTransport

BROWSER = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) "
           "Version/17.5 Safari/605.1.15")
PAGE = "https://www.example.org/vacatures/42?ref=site"
POLICY = {"version": "2026-1", "summary": "Say you work here; never share customer data.", "text": "The policy."}


class Platforms(FakeTransport):
    """Mastodon and Bluesky as POST /shares reads them: nothing leaves the machine; a platform answers what a test
    scripted (`replies`) and is unreachable otherwise, as when it does not answer in time."""

    def request(self, method: str, url: str, headers: Any = None, body: bytes | None = None,
                json: Any = None) -> Response:
        if not self.replies:
            raise TransientFailure(f"{url} is not reachable from the tests")
        return super().request(method, url, headers=headers, body=body, json=json)


class Programme:
    """A master, an editor, three publishers (ann and cy eligible, bo has not acknowledged the policy) and an
    approved post on the local channel."""

    def __init__(self, stack: Stack, api: Api) -> None:
        self.api = api
        self.platforms = Platforms()
        container.shares().readers = {"mastodon": MastodonReader(self.platforms),
                                      "bluesky": BlueskyReader(self.platforms)}
        self.master, self.editor = stack.user("master", "mia"), stack.user("editor", "ed")
        self.tokens = {name: stack.user("publisher", name) for name in ("ann", "bo", "cy")}
        assert api.call("POST", "/policy", self.master, POLICY)[0] == 201
        self.ids = {}
        for name in self.tokens:
            body = {"username": name, "name": name.title(), "email": f"{name}@example.org", "team": "sales",
                    "platforms": {"mastodon": f"@{name}@social.example"}}
            status, created = api.call("POST", "/ambassadors", self.master, body)
            assert status == 201, created
            self.ids[name] = created["id"]
            assert api.call("POST", "/ambassadors/me/opt-in", self.tokens[name])[0] == 200
        for name in ("ann", "cy"):
            acknowledgement = {"version": "2026-1"}
            assert api.call("POST", "/ambassadors/me/acknowledge-policy", self.tokens[name], acknowledgement)[0] == 200
        assert api.call("PUT", "/ambassadors/me", self.tokens["ann"], {"rhythm": "immediate"})[0] == 200
        assert api.call("PUT", "/ambassadors/me", self.tokens["cy"], {"rhythm": "immediate"})[0] == 200
        channel = {"id": "demo-local", "platform": "local", "handle": "@org"}
        assert api.call("POST", "/channels", self.editor, channel)[0] == 201
        status, created = api.call("POST", "/posts", self.editor, {"text": "Wij zoeken een collega in Utrecht!",
                                                                   "channels": ["demo-local"]})
        self.post_id = created["post"]["id"]
        for action in ("submit", "approve"):
            assert api.call("POST", f"/posts/{self.post_id}/{action}", self.editor)[0] == 200

    def offer(self, **body: Any) -> dict[str, Any]:
        status, offer = self.api.call("POST", "/pool", self.editor, {"post_id": self.post_id, "url": PAGE, **body})
        assert status == 201, offer
        return offer

    def counts(self, name: str, event: str) -> dict[str, int]:
        today = datetime.now(UTC).date()
        return {c.channel: c.count for c in container.engagement_ledger().of_person(self.ids[name], today, today)
                if c.event == event and c.count}  # a claim verified or rejected is back to 0

    def follow(self, link: str, agent: str | None = BROWSER, method: str = "GET", accept: str = "*/*") -> Any:
        path = urlsplit(link).path
        headers = {"Accept": accept, **({"User-Agent": agent} if agent else {})}
        return getattr(self.api.client.http, method.lower())(path, headers=headers)


@pytest.fixture
def programme(stack: Stack, api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[Programme]:
    # Each publisher's subscription is a queue (chorus.local.mailbox).
    monkeypatch.setenv("CHORUS_LOCAL_MAILBOX", "true")
    container.reset()
    yield Programme(stack, api)
    container.reset()
