"""The HTTP layer every platform connector talks through, and the one mapping from HTTP failures to the outcomes the
publisher acts on (base.py).

Two halves of that mapping, both here and nowhere else:
- `Transport.request` turns a failure to get any answer into an outcome: no connection at all is a
  TransientFailure (nothing was sent); a timeout or a dropped connection after the request went out is an
  OutcomeUnknown for a write (the platform may have acted) and a TransientFailure for a read.
- `raise_for_outcome` turns an answer into an outcome: 2xx passes, 429 is RateLimited with the platform's delay,
  401 (or a 400/403 whose message says the token is invalid, expired or revoked) is CredentialsRejected, other
  4xx are PermanentFailure with the platform's message, 503 is TransientFailure, other 5xx are OutcomeUnknown
  for writes (a gateway may have passed the write on) and TransientFailure for reads.

Connectors and fetchers get an HttpClient injected (a Transport, a wrapper of one such as CountingTransport, which
counts a fetch's requests, or checks.PublicOnlyTransport; tests pass a fake that replays recorded exchanges) and a
clock for "seconds until the limit resets". Nothing here ever puts a header value (so never a token) in a message."""
from __future__ import annotations

import json as jsonlib
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from functools import cache
from http.client import RemoteDisconnected
from typing import Any, Protocol

import urllib3
from urllib3.exceptions import ConnectTimeoutError, HTTPError, ProtocolError, ProxyError, SSLError

from chorus.platforms.base import (
    CredentialsRejected,
    OutcomeUnknown,
    PermanentFailure,
    PublishError,
    RateLimited,
    TransientFailure,
)

CONNECT_TIMEOUT_SECONDS = 3.0
READ_TIMEOUT_SECONDS = 10.0
DEFAULT_RETRY_AFTER_SECONDS = 60.0
MIN_RETRY_AFTER_SECONDS = 1.0  # a reset our clock thinks is past means the clocks disagree: wait a moment anyway
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_MESSAGE_CHARS = 300
# Epoch seconds are > 1e9 since 2001; anything smaller in a reset header is a number of seconds to wait
# (IETF draft `RateLimit-Reset`, Reddit's `x-ratelimit-reset`).
_EPOCH_THRESHOLD = 1_000_000_000
# Retry-After first (it is explicit), then the reset headers: Mastodon `x-ratelimit-reset` (ISO 8601),
# X `x-rate-limit-reset` (epoch seconds), Bluesky `ratelimit-reset` (epoch seconds).
_RESET_HEADERS = ("retry-after", "x-ratelimit-reset", "x-rate-limit-reset", "ratelimit-reset")
_TOKEN_REJECTED = re.compile(
    r"(expired|invalid|revoked)[ _]?(access[ _])?token|token\b.{0,40}\b(expired|invalid|revoked)|invalid_grant",
    re.IGNORECASE,
)
Clock = Callable[[], float]  # epoch seconds, like time.time


@dataclass(frozen=True)
class Response:
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", urllib3.HTTPHeaderDict(dict(self.headers)))  # case-insensitive

    def json(self) -> Any:
        return jsonlib.loads(self.body) if self.body.strip() else None


class HttpClient(Protocol):
    """What connectors and fetchers send their requests through: `Transport.request`, or a wrapper of it."""

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        json: Any = None,
    ) -> Response: ...


class ConnectionPool(Protocol):
    """What the transport sends through: a urllib3 PoolManager (tests put servers that close connections here)."""

    def request(self, method: str, url: str, **options: Any) -> urllib3.BaseHTTPResponse: ...


class Transport:
    """One urllib3 PoolManager: connect timeout 3 s, read timeout 10 s (shorter for a read a person waits for), no
    automatic retries and no redirects (a retry is the publisher's decision, made with the outcome in hand)."""

    def __init__(self, pool: ConnectionPool | None = None, connect_seconds: float = CONNECT_TIMEOUT_SECONDS,
                 read_seconds: float = READ_TIMEOUT_SECONDS) -> None:
        self._pool = pool or urllib3.PoolManager()
        self._timeout = urllib3.Timeout(connect=connect_seconds, read=read_seconds)

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        json: Any = None,
    ) -> Response:
        """Send one request. An answer of any status comes back as a Response; no answer raises its outcome."""
        sent_headers = dict(headers or {})
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
            sent_headers.setdefault("Content-Type", "application/json")
        # A kept-alive connection the server was closing fails before any answer; a request that is safe to repeat
        # (an idempotent method, or one with an Idempotency-Key) is sent once more on a fresh connection.
        replayable = method.upper() in REPLAYABLE_METHODS or any(
            k.lower() == "idempotency-key" for k in sent_headers
        )
        retried = False
        while True:
            try:
                raw = self._pool.request(
                    method,
                    url,
                    body=body,
                    headers=sent_headers,
                    timeout=self._timeout,
                    retries=False,
                    redirect=False,
                    preload_content=True,
                )
                return Response(raw.status, raw.headers, raw.data or b"")
            except ProtocolError as error:
                dropped = isinstance(error.args[-1], (ConnectionResetError, BrokenPipeError, RemoteDisconnected))
                if retried or not replayable or not dropped:
                    raise _failure_without_answer(method, url, error) from None
                retried = True
            except HTTPError as error:
                raise _failure_without_answer(method, url, error) from None


REPLAYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@cache
def shared_transport() -> Transport:
    """One pool per process, so a warm Lambda reuses its connections across invocations and connectors."""
    return Transport()


def raise_for_outcome(method: str, response: Response, now: float) -> Response:
    """Return a 2xx response; raise the outcome any other status means. `now` is epoch seconds (for rate limits)."""
    status = response.status
    if 200 <= status < 300:
        return response
    message = f"HTTP {status}: {error_message(response)}"
    if status == 429:
        raise RateLimited(retry_after_seconds(response.headers, now), message)
    if status == 401 or (status in (400, 403) and _TOKEN_REJECTED.search(message)):
        raise CredentialsRejected(message)
    if status == 408:  # the server gave up waiting for our request: it never had the whole of it
        raise TransientFailure(message)
    if 400 <= status < 500:
        raise PermanentFailure(message)
    if status == 503:
        raise TransientFailure(message)
    if status >= 500:
        raise (OutcomeUnknown if method.upper() in WRITE_METHODS else TransientFailure)(message)
    raise PermanentFailure(f"unexpected {message}")  # 1xx/3xx: redirects are not followed, so a wrong base URL


def retry_after_seconds(headers: Mapping[str, str], now: float) -> float:
    """Seconds to wait, from the first rate-limit header that parses; 60 s when none does."""
    for name in _RESET_HEADERS:
        value = (headers.get(name) or "").strip()
        reset = _reset_moment(value, now, allow_http_date=name == "retry-after") if value else None
        if reset is not None:
            return max(MIN_RETRY_AFTER_SECONDS, reset - now)
    return DEFAULT_RETRY_AFTER_SECONDS


def error_message(response: Response) -> str:
    """The platform's own words for an error, whatever its error shape (Mastodon `error`/`error_description`,
    XRPC `error`/`message`, X `title`/`detail` or `errors[]`, LinkedIn `code`/`message`), cut short."""
    try:
        data = response.json()
    except ValueError:
        data = None
    parts: list[str] = []
    if isinstance(data, dict):
        nested = data.get("errors")
        first_nested = [nested[0]] if isinstance(nested, list) and nested and isinstance(nested[0], dict) else []
        candidates = [data] + first_nested
        for item in candidates:
            for key in ("error", "title", "code", "error_description", "message", "detail"):
                value = item.get(key)
                if isinstance(value, str) and value.strip() and value.strip() not in parts:
                    parts.append(value.strip())
    text = ": ".join(parts) or response.body.decode("utf-8", "replace").strip() or "no error message"
    return " ".join(text.split())[:MAX_MESSAGE_CHARS]


def _reset_moment(value: str, now: float, allow_http_date: bool) -> float | None:
    try:
        number = float(value)
    except ValueError:
        pass
    else:
        return number if number >= _EPOCH_THRESHOLD else now + number
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        if not allow_http_date:
            return None
        try:
            moment = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _failure_without_answer(method: str, url: str, error: HTTPError) -> PublishError:
    where = url.split("?", 1)[0]  # the query may carry identifiers; never headers, so never a token
    kind = type(error).__name__
    if isinstance(error, (ConnectTimeoutError, SSLError, ProxyError)):
        # ConnectTimeoutError covers NewConnectionError (refused) and NameResolutionError (DNS): nothing was sent.
        return TransientFailure(f"could not connect to {where} ({kind})")
    if method.upper() in WRITE_METHODS:
        return OutcomeUnknown(f"no answer from {where} after the request was sent ({kind})")
    return TransientFailure(f"no answer from {where} ({kind})")


# ---------------------------------------------------------------------------------------------- HTTP
class CountingTransport:
    """The injected transport, counting requests: `FetchResult.requests` is the difference across one fetch."""

    def __init__(self, transport: HttpClient) -> None:
        self._transport = transport
        self.count = 0

    def request(self, method: str, url: str, headers: Mapping[str, str] | None = None, body: bytes | None = None,
                json: Any = None) -> Response:
        self.count += 1
        return self._transport.request(method, url, headers=headers, body=body, json=json)


def multipart(fields: Mapping[str, str], file_field: str, filename: str, content_type: str,
              data: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body (the text fields, then the file) and its Content-Type header, for uploads."""
    boundary = f"chorus-{uuid.uuid4().hex}"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    safe_name = filename.replace('"', "").replace("\r", "").replace("\n", "") or "media"
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{safe_name}"\r\n'
                 f"Content-Type: {content_type}\r\n\r\n".encode() + data + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"
