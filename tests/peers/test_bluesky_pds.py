"""BlueskyConnector against a real PDS (@atproto/pds with its own PLC directory) on 127.0.0.1.

Each test makes its own accounts (handles under `.test`, which the PDS resolves from its own database: a handle
under any other domain would make the PDS look it up in DNS, off this machine). The exactly-once property the
publisher relies on is checked against the PDS itself: the same idempotency key writes one record, however many
attempts and connector instances, and a later attempt does not overwrite the first record (its CID stays).
"""
from __future__ import annotations

import time
from typing import Any

import pytest

from chorus.platforms.base import CredentialsRejected, MediaFile, PermanentFailure, Published, PublishRequest
from chorus.platforms.bluesky import BlueskyConnector
from chorus.platforms.transport import Response, Transport
from tests.peers.servers import Account, Pds, tiny_png
from tests.unit.platforms.fakes import Clock

pytestmark = pytest.mark.peers

MENTION = "app.bsky.richtext.facet#mention"
LINK = "app.bsky.richtext.facet#link"


class WatchedTransport(Transport):
    """The real transport, remembering each call as (NSID, status, XRPC error) and each session the PDS handed out.
    `next_token` replaces the access token of the next call (not a refresh), e.g. by one that expired."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, int, str | None]] = []
        self.sessions: list[dict[str, Any]] = []
        self.next_token: str | None = None

    def request(self, method: str, url: str, headers: Any = None, body: bytes | None = None,
                json: Any = None) -> Response:
        nsid = url.split("/xrpc/", 1)[1].split("?", 1)[0]
        headers = dict(headers or {})
        if self.next_token and headers.get("Authorization") and nsid != "com.atproto.server.refreshSession":
            headers["Authorization"], self.next_token = f"Bearer {self.next_token}", None
        response = super().request(method, url, headers=headers, body=body, json=json)
        error = response.json().get("error") if response.status >= 400 and response.body.strip() else None
        self.calls.append((nsid, response.status, error))
        if nsid in ("com.atproto.server.createSession", "com.atproto.server.refreshSession") and response.status == 200:
            self.sessions.append(response.json())
        return response

    def names(self) -> list[str]:
        return [nsid.rsplit(".", 1)[1] for nsid, _, _ in self.calls]


@pytest.fixture
def alice(pds: Pds) -> Account:
    return pds.create_account("alice")


@pytest.fixture
def transport() -> WatchedTransport:
    return WatchedTransport()


def connector_for(pds: Pds, account: Account, transport: Transport | None = None, clock: Any = None,
                  password: str | None = None) -> BlueskyConnector:
    return BlueskyConnector(pds.url, f"@{account.handle}", password or pds.app_password(account),
                            transport=transport, clock=clock)


def text_at(text: str, index: dict[str, int]) -> str:
    return text.encode("utf-8")[index["byteStart"]:index["byteEnd"]].decode("utf-8")


def test_verify_credentials_with_an_app_password(pds: Pds, alice: Account) -> None:
    assert connector_for(pds, alice).verify_credentials() == f"@{alice.handle}"


def test_publish_writes_link_and_mention_facets_at_utf8_byte_offsets(pds: Pds, alice: Account) -> None:
    bob = pds.create_account("bob")
    text = f"Nieuw 🎉 met @{bob.handle}: lees https://example.org/vacatures?id=7&src=bsky. Groet!"

    published = connector_for(pds, alice).publish(PublishRequest(text=text, idempotency_key="post-1:bluesky"))

    [record] = pds.records(alice)
    assert record["uri"] == published.platform_id
    assert published.platform_id.startswith(f"at://{alice.did}/app.bsky.feed.post/")
    assert published.url == f"https://bsky.app/profile/{alice.handle}/post/{published.platform_id.rsplit('/', 1)[1]}"
    value = record["value"]
    assert value["text"] == text
    features = {facet["features"][0]["$type"]: (facet["features"][0], text_at(text, facet["index"]))
                for facet in value["facets"]}
    assert features[MENTION] == ({"$type": MENTION, "did": bob.did}, f"@{bob.handle}")
    assert features[LINK] == ({"$type": LINK, "uri": "https://example.org/vacatures?id=7&src=bsky"},
                              "https://example.org/vacatures?id=7&src=bsky")


def test_a_handle_nobody_holds_stays_text_without_a_mention_facet(pds: Pds, alice: Account) -> None:
    text = "Vraag aan @nobody-here.test over de open dag"

    connector_for(pds, alice).publish(PublishRequest(text=text, idempotency_key="post-2:bluesky"))

    [record] = pds.records(alice)
    assert record["value"]["text"] == text
    assert "facets" not in record["value"]


def test_the_same_idempotency_key_publishes_exactly_once(pds: Pds, alice: Account) -> None:
    """A retry after a lost answer, an hour later, from another Lambda (a new connector): same URI, one record,
    and the first record untouched (a new createdAt would change the CID and break replies' strong refs)."""
    request = PublishRequest("Vacature: social media redacteur https://example.org/jobs/1", idempotency_key="p-9:c-3")
    password, clock = pds.app_password(alice), Clock(time.time())
    connector = connector_for(pds, alice, password=password, clock=clock)

    first = connector.publish(request)
    [before] = pds.records(alice)
    clock.now += 3600
    retried = connector.publish(request)
    retried_elsewhere = connector_for(pds, alice, password=password, clock=clock).publish(request)

    assert first == retried == retried_elsewhere
    [after] = pds.records(alice)
    assert after == before  # same CID, same createdAt: not overwritten
    connector_for(pds, alice, password=password).publish(PublishRequest("another post", idempotency_key="p-10:c-3"))
    assert len(pds.records(alice)) == 2


def test_recent_posts_returns_published_posts_newest_first(pds: Pds, alice: Account) -> None:
    password, now = pds.app_password(alice), time.time()

    def publish_at(moment: float, text: str, key: str) -> Published:
        return connector_for(pds, alice, password=password, clock=lambda: moment).publish(PublishRequest(text, key))

    older = publish_at(now - 60, "eerste", "k-1")
    newer = publish_at(now, "tweede https://example.org", "k-2")
    connector = connector_for(pds, alice, password=password)

    recent = connector.recent_posts(limit=10)

    assert [(post.platform_id, post.text) for post in recent] == [
        (newer.platform_id, "tweede https://example.org"), (older.platform_id, "eerste")]
    assert recent[0].url == newer.url
    newest, oldest = recent[0].created_at, recent[1].created_at
    assert newest is not None and oldest is not None and newest > oldest
    assert [post.platform_id for post in connector.recent_posts(limit=1)] == [newer.platform_id]


def test_a_reply_points_at_its_parent_and_the_thread_root(pds: Pds, alice: Account) -> None:
    connector = connector_for(pds, alice)
    root = connector.publish(PublishRequest("Open dag zaterdag!", "root"))
    reply = connector.publish(PublishRequest("Vanaf 10 uur.", "reply-1", in_reply_to=root.platform_id))
    reply_to_reply = connector.publish(PublishRequest("Tot 16 uur.", "reply-2", in_reply_to=reply.platform_id))

    records = {record["uri"]: record for record in pds.records(alice)}
    assert records[reply.platform_id]["value"]["reply"]["parent"] == {"uri": root.platform_id,
                                                                       "cid": records[root.platform_id]["cid"]}
    nested = records[reply_to_reply.platform_id]["value"]["reply"]
    assert nested["parent"]["uri"] == reply.platform_id
    assert nested["root"] == {"uri": root.platform_id, "cid": records[root.platform_id]["cid"]}


def test_delete_removes_the_post_and_a_second_delete_is_harmless(pds: Pds, alice: Account) -> None:
    connector = connector_for(pds, alice)
    kept = connector.publish(PublishRequest("blijft", "keep"))
    removed = connector.publish(PublishRequest("gaat weg", "remove"))

    connector.delete(removed.platform_id)
    connector.delete(removed.platform_id)

    assert [post.platform_id for post in connector.recent_posts()] == [kept.platform_id]
    rkey = removed.platform_id.rsplit("/", 1)[1]
    status, answer = pds.xrpc("GET", "com.atproto.repo.getRecord",
                              params={"repo": alice.did, "collection": "app.bsky.feed.post", "rkey": rkey})
    assert (status, answer["error"]) == (400, "RecordNotFound")


def test_a_post_the_lexicon_refuses_is_a_permanent_failure_and_writes_nothing(pds: Pds, alice: Account) -> None:
    with pytest.raises(PermanentFailure) as refused:
        connector_for(pds, alice).publish(PublishRequest("x" * 301, "too-long"))  # the limit is 300 graphemes

    assert not isinstance(refused.value, CredentialsRejected)
    assert pds.records(alice) == []


# ---------------------------------------------------------------------------------------------- sessions
def test_an_expired_access_token_is_refreshed_and_the_call_retried(
        pds: Pds, alice: Account, transport: WatchedTransport) -> None:
    connector = connector_for(pds, alice, transport)
    connector.verify_credentials()
    transport.calls.clear()
    transport.next_token = pds.access_token(alice.did, expires_in=-60)

    published = connector.publish(PublishRequest("na twee uur", "after-expiry"))

    assert transport.calls[:3] == [
        ("com.atproto.repo.putRecord", 400, "ExpiredToken"),
        ("com.atproto.server.refreshSession", 200, None),
        ("com.atproto.repo.putRecord", 200, None),
    ]
    assert [record["uri"] for record in pds.records(alice)] == [published.platform_id]


def test_a_revoked_refresh_token_signs_in_again(pds: Pds, alice: Account, transport: WatchedTransport) -> None:
    connector = connector_for(pds, alice, transport)
    connector.verify_credentials()
    status, answer = pds.xrpc("POST", "com.atproto.server.deleteSession", token=transport.sessions[-1]["refreshJwt"])
    assert status == 200, answer
    transport.calls.clear()
    transport.next_token = pds.access_token(alice.did, expires_in=-60)

    assert connector.verify_credentials() == f"@{alice.handle}"
    assert transport.names() == ["getSession", "refreshSession", "createSession", "getSession"]
    assert transport.calls[1][1:] == (400, "ExpiredToken")


def test_a_revoked_app_password_is_credentials_rejected(pds: Pds, alice: Account, transport: WatchedTransport) -> None:
    connector = connector_for(pds, alice, transport, password=pds.app_password(alice, "to-revoke"))
    connector.verify_credentials()
    status, answer = pds.xrpc("POST", "com.atproto.server.revokeAppPassword", {"name": "to-revoke"}, alice.access_jwt)
    assert status == 200, answer
    transport.next_token = pds.access_token(alice.did, expires_in=-60)

    with pytest.raises(CredentialsRejected):
        connector.verify_credentials()
    assert transport.names()[-2:] == ["refreshSession", "createSession"]


def test_a_wrong_app_password_is_credentials_rejected(pds: Pds, alice: Account) -> None:
    with pytest.raises(CredentialsRejected, match="Invalid identifier or password"):
        connector_for(pds, alice, password="aaaa-bbbb-cccc-dddd").verify_credentials()


def test_an_access_token_the_pds_cannot_verify_is_credentials_rejected(
        pds: Pds, alice: Account, transport: WatchedTransport) -> None:
    connector = connector_for(pds, alice, transport)
    connector.verify_credentials()
    transport.next_token = pds.access_token(alice.did, expires_in=600)[:-4] + "AAAA"  # a signature that fails

    with pytest.raises(CredentialsRejected):
        connector.publish(PublishRequest("niet gepost", "forged"))
    assert transport.calls[-1] == ("com.atproto.repo.putRecord", 400, "InvalidToken")
    assert pds.records(alice) == []


def test_photos_are_uploaded_as_blobs_and_embedded_with_their_alt_text(pds: Pds, alice: Account) -> None:
    photos = (MediaFile("content/a/boom.png", "Een boom in het Vondelpark", "image/png", tiny_png(10)),
              MediaFile("content/b/schep.png", "Een schep in de aarde, één hand erop", "image/png", tiny_png(200)))
    request = PublishRequest("Boomplantdag!", idempotency_key="post-media:bluesky", media=photos)
    connector = connector_for(pds, alice)

    published = connector.publish(request)
    assert connector.publish(request) == published  # a retry uploads again, but the post stays one

    [record] = pds.records(alice)
    embed = record["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [image["alt"] for image in embed["images"]] == [photo.alt for photo in photos]
    for image, photo in zip(embed["images"], photos, strict=True):
        assert (image["image"]["mimeType"], image["image"]["size"]) == ("image/png", len(photo.data))
        blob = pds.http.request("GET", f"{pds.url}/xrpc/com.atproto.sync.getBlob",
                                fields={"did": alice.did, "cid": image["image"]["ref"]["$link"]})
        assert blob.status == 200 and blob.data == photo.data
