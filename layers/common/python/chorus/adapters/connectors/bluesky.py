"""Bluesky (any atproto PDS): XRPC over HTTP with an app password.

Exactly once without an idempotency header: the record key of every post is derived from the delivery's
idempotency key (`tid_for`), and the post is written with `putRecord` + `swapRecord: null` ("create, and only if
absent"). A retry after a lost answer therefore finds its own earlier post (the PDS answers `InvalidSwap`) and
returns it, instead of posting twice or overwriting the first post with a new `createdAt` (a new CID would break
the strong refs of any reply made in between). A PDS that ignores `swapRecord` simply overwrites: still one post.

The session (access + refresh JWT) lives in memory for the life of the connector: `createSession` is limited to
30 per 5 minutes per account, so keep connectors alive across invocations where possible.
"""
from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlencode

from chorus.adapters.connectors.base import (
    CredentialsRejected,
    OutcomeUnknown,
    PermanentFailure,
    Published,
    PublishRequest,
    RecentPost,
    TransientFailure,
)
from chorus.adapters.connectors.transport import Clock, Response, Transport, raise_for_outcome, shared_transport

POST_COLLECTION = "app.bsky.feed.post"
MAX_PAGE = 100  # `limit` bound of com.atproto.repo.listRecords
# Query parameters: a dict, or pairs when an array parameter repeats (`reasons=mention&reasons=reply`).
XrpcParams = dict[str, Any] | list[tuple[str, str]]

# ---------------------------------------------------------------------------------------------- record keys (TID)
TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable: string order is numeric order
_TID_FIRST = int(datetime(2023, 1, 1, tzinfo=timezone.utc).timestamp() * 1_000_000)
_TID_SPAN = int(datetime(2100, 1, 1, tzinfo=timezone.utc).timestamp() * 1_000_000) - _TID_FIRST


def tid_for(idempotency_key: str) -> str:
    """A valid TID (13 chars: a zero bit, 53 bits of microseconds since 1970, a 10-bit clock id) derived only from
    the idempotency key, so every retry of one delivery writes the same record key.

    The post lexicon requires key type `tid`, so the key must *look* like a timestamp. It cannot be the real time
    (a retry happens at another time and would get another key), so both the timestamp and the clock id come from
    SHA-256 of the key. The timestamp is kept between 2023 (before which no Bluesky post exists) and 2100: a
    syntactically valid, plausible TID that TID validators and sorters accept. Its meaning is lost: `listRecords`
    orders by key, so `recent_posts` sorts by `createdAt` itself.
    """
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).digest()
    micros = _TID_FIRST + int.from_bytes(digest[:8], "big") % _TID_SPAN
    clock_id = int.from_bytes(digest[8:10], "big") & 0x3FF
    value = (micros << 10) | clock_id
    return "".join(TID_ALPHABET[(value >> shift) & 31] for shift in range(60, -1, -5))


# ---------------------------------------------------------------------------------------------- rich text facets
# A link or mention starts the text or follows whitespace or an opening parenthesis.
_LINK = re.compile(r"(?<![^\s(])https?://[^\s<>\"]+")
_MENTION = re.compile(r"(?<![^\s(])@((?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?\.)+[a-zA-Z](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)")
_TRAILING_PUNCTUATION = ".,;:!?'\""


@dataclass(frozen=True)
class Span:
    start: int  # character offsets in the text
    end: int
    value: str  # the URL, or the handle without '@'


def link_spans(text: str) -> list[Span]:
    spans = []
    for match in _LINK.finditer(text):
        url = match.group()
        while url and (url[-1] in _TRAILING_PUNCTUATION or (url[-1] == ")" and url.count("(") < url.count(")"))):
            url = url[:-1]
        if "://" in url and not url.endswith("://"):
            spans.append(Span(match.start(), match.start() + len(url), url))
    return spans


def mention_spans(text: str) -> list[Span]:
    return [Span(m.start(), m.end(), m.group(1)) for m in _MENTION.finditer(text)]


def byte_slice(text: str, span: Span) -> dict[str, int]:
    """Facet ranges count UTF-8 bytes, not characters: an emoji before a link moves it by four per code point."""
    start = len(text[: span.start].encode("utf-8"))
    return {"byteStart": start, "byteEnd": start + len(text[span.start : span.end].encode("utf-8"))}


def link_facet(text: str, span: Span) -> dict[str, Any]:
    return {"index": byte_slice(text, span), "features": [{"$type": "app.bsky.richtext.facet#link", "uri": span.value}]}


def mention_facet(text: str, span: Span, did: str) -> dict[str, Any]:
    return {"index": byte_slice(text, span), "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]}


# ---------------------------------------------------------------------------------------------- the connector
@dataclass(frozen=True)
class AtUri:
    repo: str
    collection: str
    rkey: str

    @classmethod
    def parse(cls, value: str) -> AtUri:
        parts = value.removeprefix("at://").split("/") if value.startswith("at://") else []
        if len(parts) != 3 or not all(parts):
            raise PermanentFailure(f"not a Bluesky record URI (at://<repo>/<collection>/<rkey>): {value!r}")
        return cls(*parts)

    def __str__(self) -> str:
        return f"at://{self.repo}/{self.collection}/{self.rkey}"


class BlueskyConnector:
    platform = "bluesky"

    def __init__(self, service_url: str, handle: str, app_password: str, transport: Transport | None = None,
                 clock: Clock | None = None) -> None:
        self._service_url = service_url.rstrip("/")
        self._identifier = handle.removeprefix("@")
        self._password = app_password
        self._transport = transport or shared_transport()
        self._clock = clock or time.time
        self._session: dict[str, Any] | None = None

    def publish(self, request: PublishRequest) -> Published:
        record = self.build_record(request)
        uri = AtUri(self._did, POST_COLLECTION, tid_for(request.idempotency_key))
        self.xrpc("POST", "com.atproto.repo.putRecord", body={
            "repo": uri.repo,
            "collection": uri.collection,
            "rkey": uri.rkey,
            "record": record,
            "swapRecord": None,  # create only: an existing record is an earlier attempt of this same delivery
        }, tolerated=("InvalidSwap",))
        return Published(platform_id=str(uri), url=self._post_url(uri.rkey))

    def build_record(self, request: PublishRequest) -> dict[str, Any]:
        """The app.bsky.feed.post record for a request: text, createdAt, link and mention facets, reply refs."""
        record: dict[str, Any] = {"$type": POST_COLLECTION, "text": request.text, "createdAt": self._now_iso()}
        facets = [link_facet(request.text, span) for span in link_spans(request.text)]
        for span in mention_spans(request.text):
            did = self._resolve_handle(span.value)
            if did:
                facets.append(mention_facet(request.text, span, did))
        if facets:
            record["facets"] = sorted(facets, key=lambda facet: facet["index"]["byteStart"])
        if request.in_reply_to:
            record["reply"] = self._reply_refs(AtUri.parse(request.in_reply_to))
        return record

    def delete(self, platform_id: str) -> None:
        uri = AtUri.parse(platform_id)
        self.xrpc("POST", "com.atproto.repo.deleteRecord", body={"repo": uri.repo, "collection": uri.collection, "rkey": uri.rkey})

    def recent_posts(self, limit: int = 20) -> list[RecentPost]:
        """Newest first by `createdAt`. Record keys of Chorus posts are hashes (see `tid_for`), so the key order of
        `listRecords` is not time order: a full page is read and sorted here."""
        page = self.xrpc("GET", "com.atproto.repo.listRecords", params={
            "repo": self._did, "collection": POST_COLLECTION, "limit": MAX_PAGE,
        }).json()
        posts = [
            RecentPost(
                platform_id=item["uri"],
                url=self._post_url(AtUri.parse(item["uri"]).rkey),
                text=(item.get("value") or {}).get("text", ""),
                created_at=(item.get("value") or {}).get("createdAt"),
            )
            for item in page.get("records") or []
        ]
        return sorted(posts, key=lambda post: post.created_at or "", reverse=True)[:limit]

    def verify_credentials(self) -> str:
        session = self.xrpc("GET", "com.atproto.server.getSession").json()
        return f"@{session['handle']}"

    # ------------------------------------------------------------------------------------------ helpers
    def _resolve_handle(self, handle: str) -> str | None:
        try:
            return self.xrpc("GET", "com.atproto.identity.resolveHandle", params={"handle": handle}).json().get("did")
        except CredentialsRejected:
            raise
        except PermanentFailure:  # not a handle anyone holds: the text stays, without a mention facet
            return None

    def _reply_refs(self, parent: AtUri) -> dict[str, Any]:
        found = self.xrpc("GET", "com.atproto.repo.getRecord", params={
            "repo": parent.repo, "collection": parent.collection, "rkey": parent.rkey,
        }).json()
        if not found.get("cid"):
            raise PermanentFailure(f"Bluesky gave no CID for the post replied to ({parent})")
        parent_ref = {"uri": found["uri"], "cid": found["cid"]}
        root = ((found.get("value") or {}).get("reply") or {}).get("root")
        return {"root": root or parent_ref, "parent": parent_ref}

    def _post_url(self, rkey: str) -> str:
        return f"https://bsky.app/profile/{self._handle}/post/{rkey}"

    def _now_iso(self) -> str:
        moment = datetime.fromtimestamp(self._clock(), tz=timezone.utc)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    @property
    def _did(self) -> str:
        return self._signed_in()["did"]

    @property
    def _handle(self) -> str:
        return self._signed_in()["handle"]

    def _signed_in(self) -> dict[str, Any]:
        if self._session is None:
            self._session = self._session_call("com.atproto.server.createSession", None,
                                               {"identifier": self._identifier, "password": self._password})
        return self._session

    def _refreshed(self) -> dict[str, Any]:
        refresh_token = self._signed_in()["refreshJwt"]
        self._session = None
        try:
            self._session = self._session_call("com.atproto.server.refreshSession", refresh_token, None)
        except PermanentFailure:  # the refresh token expired or was revoked too: sign in again
            pass
        return self._signed_in()

    def _session_call(self, nsid: str, token: str | None, body: dict[str, str] | None) -> dict[str, Any]:
        """Signing in posts nothing: no answer to it is a plain transient failure, never an unknown outcome."""
        try:
            response = self._send("POST", nsid, token, body=body)
            return raise_for_outcome("POST", response, self._clock()).json()
        except OutcomeUnknown as error:
            raise TransientFailure(f"signing in to Bluesky: {error}") from None

    def xrpc(self, method: str, nsid: str, params: XrpcParams | None = None, body: dict[str, Any] | None = None,
             tolerated: tuple[str, ...] = ()) -> Response:
        """Call with the session's access token, refreshing it once if it expired. An XRPC error named in
        `tolerated` comes back as the response; every other failure raises its outcome."""
        response = self._send(method, nsid, self._signed_in()["accessJwt"], params, body)
        if xrpc_error(response) == "ExpiredToken":  # nothing was done: the request never got past authentication
            response = self._send(method, nsid, self._refreshed()["accessJwt"], params, body)
        if response.status >= 400 and xrpc_error(response) in tolerated:
            return response
        return raise_for_outcome(method, response, self._clock())

    def _send(self, method: str, nsid: str, token: str | None, params: XrpcParams | None = None,
              body: dict[str, Any] | None = None) -> Response:
        url = f"{self._service_url}/xrpc/{nsid}" + (f"?{urlencode(params)}" if params else "")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self._transport.request(method, url, headers=headers, json=body)


def xrpc_error(response: Response) -> str | None:
    """The XRPC error name (`{"error": "ExpiredToken", "message": ...}`) of a failed call."""
    if response.status < 400:
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    return data.get("error") if isinstance(data, dict) else None
