"""The one mapping from HTTP failures to publish outcomes (chorus.platforms.transport), case by case."""
from __future__ import annotations

import http.client
import socket
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pytest
import urllib3
from urllib3 import BaseHTTPResponse, HTTPConnectionPool, HTTPResponse
from urllib3.connection import HTTPConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from chorus.platforms.base import CredentialsRejected, OutcomeUnknown, PermanentFailure, RateLimited, TransientFailure
from chorus.platforms.transport import Response, Transport, error_message, raise_for_outcome, retry_after_seconds
from tests.unit.platforms.fakes import json_response

TOKEN = "s3cr3t-token-value"
NOW = datetime(2026, 8, 1, 14, 55, tzinfo=UTC).timestamp()


class FakePool(urllib3.PoolManager):
    """Stands in for urllib3.PoolManager: raises the given error or returns the given raw response."""

    def __init__(self, outcome: BaseHTTPResponse | BaseException) -> None:
        super().__init__()
        self.outcome = outcome
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def request(self, method: str, url: str, body: Any = None, fields: Any = None,
                headers: Mapping[str, str] | None = None, json: Any = None, **urlopen_kw: Any) -> BaseHTTPResponse:
        self.calls.append((method, url, {"body": body, "headers": headers, **urlopen_kw}))
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


def send(outcome: BaseHTTPResponse | BaseException, method: str = "POST") -> Response:
    return Transport(FakePool(outcome)).request(method, "https://example.test/api?q=1",
                                                headers={"Authorization": f"Bearer {TOKEN}"})


# ------------------------------------------------------------------------------------------- no answer at all
NO_ANSWER = {
    "refused": NewConnectionError(HTTPConnection("example.test"),
                                  "Failed to establish a new connection: [Errno 111] Connection refused"),
    "dns": NameResolutionError("example.test", HTTPConnection("example.test"),
                               socket.gaierror(-2, "Name or service not known")),
    "connect timeout": ConnectTimeoutError("connect timed out"),
    "tls handshake": SSLError("handshake failure"),
    "read timeout": ReadTimeoutError(HTTPConnectionPool("example.test"), "https://example.test/api",
                                     "Read timed out. (read timeout=10)"),
    "dropped": ProtocolError("Connection aborted.", http.client.RemoteDisconnected("Remote end closed connection")),
}


@pytest.mark.parametrize("method, case, outcome", [
    ("POST", "refused", TransientFailure),
    ("POST", "dns", TransientFailure),
    ("POST", "connect timeout", TransientFailure),
    ("POST", "tls handshake", TransientFailure),
    ("POST", "read timeout", OutcomeUnknown),
    ("DELETE", "read timeout", OutcomeUnknown),
    ("PUT", "dropped", OutcomeUnknown),
    ("POST", "dropped", OutcomeUnknown),
    ("GET", "read timeout", TransientFailure),
    ("GET", "dropped", TransientFailure),
    ("GET", "refused", TransientFailure),
])
def test_a_failure_without_an_answer_maps_to_its_outcome(method: str, case: str, outcome: type) -> None:
    with pytest.raises(outcome) as raised:
        send(NO_ANSWER[case], method)
    assert type(raised.value) is outcome
    assert TOKEN not in str(raised.value) and "q=1" not in str(raised.value)


def test_the_pool_is_asked_for_one_attempt_with_both_timeouts_and_no_redirects() -> None:
    pool = FakePool(HTTPResponse(b'{"ok": true}', headers={"Content-Type": "application/json"}, status=200))
    response = Transport(pool).request("POST", "https://example.test/x", headers={"A": "b"}, json={"text": "héllo"})
    (method, url, kwargs), = pool.calls
    assert (method, url) == ("POST", "https://example.test/x")
    assert kwargs["retries"] is False and kwargs["redirect"] is False
    assert (kwargs["timeout"].connect_timeout, kwargs["timeout"].read_timeout) == (3.0, 10.0)
    assert kwargs["body"] == '{"text": "héllo"}'.encode() and kwargs["headers"]["Content-Type"] == "application/json"
    assert response.json() == {"ok": True}
    assert response.headers["content-type"] == response.headers["CONTENT-TYPE"] == "application/json"


# ------------------------------------------------------------------------------------------- an answer
@pytest.mark.parametrize("method, status, body, outcome", [
    ("POST", 200, {"id": "1"}, None),
    ("POST", 201, None, None),
    ("DELETE", 204, None, None),
    ("POST", 429, {"error": "Too many requests"}, RateLimited),
    ("POST", 401, {"error": "The access token is invalid"}, CredentialsRejected),
    ("GET", 401, {"title": "Unauthorized", "detail": "Unauthorized"}, CredentialsRejected),
    ("POST", 403, {"error": "The access token was revoked"}, CredentialsRejected),
    ("POST", 403, {"code": "EXPIRED_ACCESS_TOKEN", "message": "The token used in the request has expired"},
     CredentialsRejected),
    ("POST", 400, {"error": "ExpiredToken", "message": "Token has expired"}, CredentialsRejected),
    ("POST", 403, {"title": "Forbidden", "detail": "You are not allowed to create a Tweet with duplicate content."},
     PermanentFailure),
    ("POST", 403, {"error": "This action is outside the authorized scopes"}, PermanentFailure),
    ("POST", 422, {"error": "Validation failed: Text character limit of 500 exceeded"}, PermanentFailure),
    ("GET", 404, {"error": "Record not found"}, PermanentFailure),
    ("POST", 408, None, TransientFailure),
    ("POST", 500, None, OutcomeUnknown),
    ("POST", 502, None, OutcomeUnknown),
    ("POST", 504, None, OutcomeUnknown),
    ("DELETE", 500, None, OutcomeUnknown),
    ("GET", 500, None, TransientFailure),
    ("GET", 502, None, TransientFailure),
    ("GET", 504, None, TransientFailure),
    ("POST", 503, None, TransientFailure),
    ("GET", 503, None, TransientFailure),
    ("GET", 302, None, PermanentFailure),
])
def test_a_status_maps_to_its_outcome(method: str, status: int, body: Any, outcome: type | None) -> None:
    response = json_response(status, body) if body is not None else Response(status)
    if outcome is None:
        assert raise_for_outcome(method, response, NOW) is response
        return
    with pytest.raises(outcome) as raised:
        raise_for_outcome(method, response, NOW)
    assert type(raised.value) is outcome
    assert f"HTTP {status}" in str(raised.value)


def test_a_refusal_carries_the_platforms_own_message() -> None:
    with pytest.raises(PermanentFailure, match="Text character limit of 500 exceeded"):
        raise_for_outcome("POST",
                          json_response(422, {"error": "Validation failed: Text character limit of 500 exceeded"}), NOW)


@pytest.mark.parametrize("body, expected", [
    ({"error": "invalid_grant", "error_description": "The provided authorization grant is invalid"},
     "invalid_grant: The provided authorization grant is invalid"),
    ({"error": "InvalidRequest", "message": "Input/record/text must not be longer than 300 graphemes"},
     "InvalidRequest: Input/record/text must not be longer than 300 graphemes"),
    ({"title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
      "type": "https://api.x.com/2/problems/invalid-request"},
     "Invalid Request: One or more parameters to your request was invalid."),
    ({"errors": [{"message": "Your Tweet text is too long."}]}, "Your Tweet text is too long."),
    ({"status": 422, "code": "UNPROCESSABLE_ENTITY", "message": "Content is a duplicate"},
     "UNPROCESSABLE_ENTITY: Content is a duplicate"),
])
def test_error_messages_of_every_platform_shape(body: Any, expected: str) -> None:
    assert error_message(json_response(400, body)) == expected


def test_an_error_without_json_keeps_a_short_text() -> None:
    assert error_message(Response(502, {}, b"<html>Bad   gateway</html>")) == "<html>Bad gateway</html>"
    assert error_message(Response(502)) == "no error message"
    assert len(error_message(Response(400, {}, b"x" * 5000))) == 300


# ------------------------------------------------------------------------------------------- rate limits
@pytest.mark.parametrize("headers, expected", [
    ({"X-RateLimit-Reset": "2026-08-01T15:00:00.627625Z"}, 300.627625),  # Mastodon: ISO 8601
    ({"x-rate-limit-reset": str(int(NOW) + 418)}, 418.0),  # X: epoch seconds
    ({"ratelimit-reset": str(int(NOW) + 42)}, 42.0),  # Bluesky: epoch seconds
    ({"RateLimit-Reset": "30"}, 30.0),  # IETF draft: seconds to wait
    ({"Retry-After": "120"}, 120.0),
    ({"Retry-After": "Sat, 01 Aug 2026 14:57:00 GMT"}, 120.0),
    ({"Retry-After": "120", "x-rate-limit-reset": str(int(NOW) + 900)}, 120.0),  # explicit wins
    ({"Retry-After": "soon", "x-rate-limit-reset": str(int(NOW) + 900)}, 900.0),  # unparsable: next header
    ({"x-ratelimit-reset": "2026-08-01T14:00:00Z"}, 1.0),  # already past by our clock: still wait a moment
    ({}, 60.0),
    ({"x-ratelimit-reset": "whenever"}, 60.0),
])
def test_the_retry_delay_comes_from_the_platforms_headers(headers: dict[str, str], expected: float) -> None:
    assert retry_after_seconds(Response(429, headers).headers, NOW) == pytest.approx(expected)
    with pytest.raises(RateLimited) as raised:
        raise_for_outcome("POST", Response(429, headers), NOW)
    assert raised.value.retry_after == pytest.approx(expected)


class FlakyPool(FakePool):
    """Drops the first connection (as a server closing a kept-alive socket does), then answers."""

    def request(self, method: str, url: str, body: Any = None, fields: Any = None,
                headers: Mapping[str, str] | None = None, json: Any = None, **urlopen_kw: Any) -> BaseHTTPResponse:
        if not self.calls:
            self.calls.append((method, url, {"body": body, "headers": headers, **urlopen_kw}))
            raise NO_ANSWER["dropped"]
        return super().request(method, url, body, fields, headers, json, **urlopen_kw)


OK = HTTPResponse(b"{}", status=200)


@pytest.mark.parametrize("method, headers, calls, outcome", [
    ("GET", {}, 2, None),
    ("DELETE", {}, 2, None),
    ("POST", {"Idempotency-Key": "post-1.masto"}, 2, None),
    ("POST", {}, 1, OutcomeUnknown),  # no key: the platform may have taken it, so no blind retry
])
def test_a_dropped_kept_alive_connection_is_retried_once_only_when_safe(method, headers, calls, outcome) -> None:
    pool = FlakyPool(OK)
    if outcome is None:
        assert Transport(pool).request(method, "https://example.test/x", headers=headers).status == 200
    else:
        with pytest.raises(outcome):
            Transport(pool).request(method, "https://example.test/x", headers=headers)
    assert len(pool.calls) == calls
