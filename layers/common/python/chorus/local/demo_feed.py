"""Feeds served on 127.0.0.1 the way real feed servers answer: with an ETag and a Last-Modified, and a 304 to a
conditional GET that still matches, so the RSS fetcher's watermark is exercised. `make run` serves the demo's
Google-Alerts-like feed (demo_feed.xml) with it; tests serve their own documents."""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEMO_FEED = Path(__file__).with_name("demo_feed.xml")
DEMO_FEED_PATH = "/alerts/gemeente-chorusstad.xml"


@dataclass(frozen=True)
class Served:
    path: str
    status: int
    headers: dict[str, str]  # what the client sent


@dataclass(frozen=True)
class _Document:
    body: bytes
    etag: str
    last_modified: str  # an HTTP date, to the second
    modified_at: int  # epoch seconds


class FeedServer:
    """Documents by path (the query is ignored), served until stop(). `requests` records every GET, in order."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._documents: dict[str, _Document] = {}
        self.requests: list[Served] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server hook name
                path = urlsplit(self.path).path
                status, headers, body = server._answer(path, self.headers)
                server.requests.append(Served(path, status, dict(self.headers)))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((host, 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    def publish(self, path: str, body: bytes, modified_at: int) -> None:
        """Serve `body` at `path` from now on, as changed at `modified_at` (epoch seconds)."""
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        self._documents[path] = _Document(body, etag, formatdate(modified_at, usegmt=True), modified_at)

    def url(self, path: str) -> str:
        host, port = self._server.server_address[:2]
        if isinstance(host, bytes | bytearray):  # the types allow it; an IP socket's host is a str
            host = host.decode()
        return f"http://{host}:{port}{path}"

    def start(self) -> FeedServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="chorus-feeds", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
        document = self._documents.get(path)
        if document is None:
            return 404, {"Content-Type": "text/plain"}, b"no such feed"
        validators = {"ETag": document.etag, "Last-Modified": document.last_modified}
        if _still_fresh(document, headers.get("If-None-Match"), headers.get("If-Modified-Since")):
            return 304, validators, b""
        return 200, {**validators, "Content-Type": "application/atom+xml; charset=utf-8"}, document.body


def _still_fresh(document: _Document, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110: If-None-Match decides when sent; otherwise If-Modified-Since."""
    if if_none_match is not None:
        return document.etag in [tag.strip() for tag in if_none_match.split(",")] or if_none_match.strip() == "*"
    if if_modified_since:
        try:
            return document.modified_at <= int(parsedate_to_datetime(if_modified_since).timestamp())
        except (TypeError, ValueError):
            return False
    return False


def serve_demo_feed(modified_at: int) -> tuple[FeedServer, str]:
    """The demo feed on a free loopback port, and its URL."""
    server = FeedServer()
    server.publish(DEMO_FEED_PATH, DEMO_FEED.read_bytes(), modified_at)
    return server.start(), server.url(DEMO_FEED_PATH)
