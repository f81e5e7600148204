"""Recorded platform exchanges from ../shared/data (read at test time, never copied into the repository), replayed
through the connectors' fake transport."""
from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chorus.platforms.transport import Response
from tests.unit.platforms.fakes import Sent

DATA = (Path(__file__).resolve().parents[2] / ".." / "shared" / "data").resolve()


def platform_dir(platform: str) -> Path:
    """The platform's folder of recorded material; skips the whole module when the shared data is not there."""
    folder = DATA / "platforms" / platform
    if not folder.is_dir():
        pytest.skip(f"recorded {platform} payloads not found at {folder} (the `shared/data` folder next to the repo)",
                    allow_module_level=True)
    return folder


def load(folder: Path, name: str) -> Any:
    return json.loads((folder / name).read_text(encoding="utf-8"))


def response_of(exchange: dict[str, Any], status: int | None = None) -> Response:
    """The recorded answer (status, every header, body); `status` replaces the status, e.g. 429 to replay a limit."""
    recorded = exchange["response"]
    body = recorded.get("body")
    return Response(status or recorded["status"], recorded["headers"],
                    b"" if body is None else json.dumps(body).encode())


def replay(exchange: dict[str, Any], status: int | None = None) -> Callable[[Sent], Response]:
    """Asserts the connector sends the recorded request (method, path, query, Authorization scheme, content type and
    body fields), then answers with the recorded response."""
    recorded = exchange["request"]
    uri = urlsplit(recorded["uri"])

    def answer(sent: Sent) -> Response:
        assert sent.method == recorded["method"]
        assert sent.path == uri.path
        for name, values in parse_qs(uri.query).items():
            assert sent.query.get(name) == values, name
        recorded_auth = recorded["headers"].get("Authorization")
        # X cassettes dropped the header: OAuth 2 user context is Bearer.
        scheme = recorded_auth.split()[0] if recorded_auth else "Bearer"
        assert (sent.header("Authorization") or "").startswith(f"{scheme} ")
        content_type = recorded["headers"].get("Content-Type")
        if content_type:
            sent_type = "application/json" if sent.json is not None else sent.header("Content-Type")
            assert sent_type == content_type
        body = recorded.get("body")
        if isinstance(body, str):
            sent_form = sent.form()
            for name, values in parse_qs(body).items():
                assert sent_form.get(name) == values, name
        elif isinstance(body, dict):
            for name, value in body.items():
                assert sent.json.get(name) == value, name
        return response_of(exchange, status)

    return answer
