"""MastodonConnector against a real Mastodon client API: snac2 (Debian bookworm-backports) on 127.0.0.1.

What snac does differently from Mastodon, and so is not asserted here:
- it ignores `Idempotency-Key`: two attempts with the same key are two statuses (Mastodon returns the first for about
  an hour). The publisher's reconciliation through `recent_posts` covers it; the exactly-once property is tested
  against the Bluesky PDS instead.
- a `@user@host` mention makes it look the account up by WebFinger before answering (6–9 s, and off this machine):
  no text here mentions anyone.
- it reads the text as its own light Markdown and passes HTML through (`*a*` comes back as `a`, `<b>` as markup), so
  the texts here are plain words, links, hashtags, `&` and line breaks.
- it answers `verify_credentials` with an unknown token by 422 and no body (Mastodon: 401), which the connector
  rightly calls a PermanentFailure; posting with that token is a 401, tested here.
- it closes every connection after one answer without a `Connection: close` header, so a pooled connection reused
  within about a millisecond fails (no answer: TransientFailure on a read, OutcomeUnknown on a write; 3 in 30
  back-to-back calls here). The connector under test therefore gets a transport that opens a fresh connection per
  request; the race itself is reported against transport.py, not asserted here.
"""
from __future__ import annotations

import json

import pytest

from chorus.platforms.base import CredentialsRejected, MediaFile, PublishError, PublishRequest
from chorus.platforms.mastodon import MastodonConnector
from chorus.platforms.transport import Transport
from tests.peers.servers import FreshConnections, Snac, tiny_png

pytestmark = pytest.mark.peers

TEXT = "Open dag op 12 mei & 13 mei!\nAanmelden: https://example.org/open-dag?bron=chorus\n\nTot dan #opendag"


@pytest.fixture
def connector(snac: Snac) -> MastodonConnector:
    return MastodonConnector(snac.url, snac.token, transport=Transport(FreshConnections()))


def test_verify_credentials_names_the_account(connector: MastodonConnector, snac: Snac) -> None:
    assert connector.verify_credentials() == f"@{snac.user}"


def test_publishing_with_a_token_the_server_does_not_know_is_credentials_rejected(snac: Snac) -> None:
    connector = MastodonConnector(snac.url, "0" * 32, transport=Transport(FreshConnections()))

    with pytest.raises(CredentialsRejected):
        connector.publish(PublishRequest(text="niet gepost", idempotency_key="post-6:mastodon"))


def test_recent_posts_finds_a_published_post_with_its_plain_text(connector: MastodonConnector, snac: Snac) -> None:
    published = connector.publish(PublishRequest(text=TEXT, idempotency_key="post-7:mastodon"))

    recent = {post.platform_id: post for post in connector.recent_posts(limit=40)}

    assert published.url and published.url.startswith(f"{snac.url}/{snac.user}/")
    assert recent[published.platform_id].text == TEXT
    assert recent[published.platform_id].url == published.url
    assert recent[published.platform_id].created_at


def test_a_reply_is_published_and_listed(connector: MastodonConnector) -> None:
    parent = connector.publish(PublishRequest(text="Vragen over de open dag?", idempotency_key="post-8:mastodon"))

    reply = connector.publish(PublishRequest(text="Mail ons gerust.", idempotency_key="post-9:mastodon",
                                             in_reply_to=parent.platform_id))

    assert reply.platform_id != parent.platform_id
    assert {post.platform_id: post.text for post in connector.recent_posts(limit=40)}[reply.platform_id] == (
        "Mail ons gerust.")


def test_delete_removes_the_post_or_says_it_could_not(connector: MastodonConnector) -> None:
    published = connector.publish(PublishRequest("Dit bericht wordt ingetrokken.", idempotency_key="post-10:mastodon"))

    try:
        connector.delete(published.platform_id)
    except PublishError:
        return  # a server that cannot delete must say so: the post is still there and the caller knows it
    assert published.platform_id not in {post.platform_id for post in connector.recent_posts(limit=40)}


def test_a_photo_is_uploaded_with_its_description_and_attached_to_the_status(
        connector: MastodonConnector, snac: Snac) -> None:
    photo = MediaFile("content/a/boom.png", "Een boom in het Vondelpark, één schep ernaast", "image/png", tiny_png(10))

    published = connector.publish(PublishRequest("Boomplantdag!", idempotency_key="post-11:mastodon", media=(photo,)))

    response = FreshConnections().request("GET", f"{snac.url}/api/v1/statuses/{published.platform_id}",
                                          headers={"Authorization": f"Bearer {snac.token}"})
    status = json.loads(response.data)
    assert [(m["type"], m["description"]) for m in status["media_attachments"]] == [("image", photo.alt)]
