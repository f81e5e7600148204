"""Test doubles for the connectors' HTTP layer: a transport that answers from a script and records what was sent."""
from __future__ import annotations

import json as jsonlib
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chorus.platforms.transport import HttpClient, Response


@dataclass
class Sent:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes | None
    json: Any

    @property
    def path(self) -> str:
        return urlsplit(self.url).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def form(self) -> dict[str, list[str]]:
        return parse_qs((self.body or b"").decode("ascii"), keep_blank_values=True)


Reply = Response | BaseException | Callable[[Sent], Response]


class FakeTransport(HttpClient):
    """Answers the n-th request with the n-th reply: a Response, an exception to raise (as the real Transport
    raises outcomes), or a function of the request (to assert on it first). Every request is kept in `sent`."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.sent: list[Sent] = []

    def request(self, method: str, url: str, headers: Mapping[str, str] | None = None, body: bytes | None = None,
                json: Any = None) -> Response:
        sent = Sent(method, url, dict(headers or {}), body, json)
        self.sent.append(sent)
        assert self.replies, f"unexpected request: {method} {url}"
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        return reply if isinstance(reply, Response) else reply(sent)

    def assert_done(self) -> None:
        assert not self.replies, f"{len(self.replies)} scripted replies were never asked for"


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"content-type": "application/json", **(headers or {})}, jsonlib.dumps(body).encode())


class Clock:
    """A fixed, settable clock in epoch seconds."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Connector tests never reach a network: any attempt to connect fails the test."""
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a connector test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
