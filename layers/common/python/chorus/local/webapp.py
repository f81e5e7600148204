"""The dashboard's static files (`web/`) on the local API's port: what `make run` serves for `/`, `/index.html`,
`/app/...`, `/vendor/...` and `/config.json`, with the security headers CloudFront adds on AWS.

API routes always win: a path the API declares is never looked up here. Only files inside `web/` are served (no
directory listings, no dot files, nothing outside through `..` or symlinks). The Content-Security-Policy allows
scripts from the app's own origin plus the inline import map by its SHA-256 hash, and connections to the app's origin
and the Cognito endpoint only."""
from __future__ import annotations

import base64
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chorus.local.template import PROJECT_ROOT

WEB_ROOT = PROJECT_ROOT / "web"
PREFIXES = ("/app/", "/vendor/")
PAGES = {"/": "index.html", "/index.html": "index.html"}
CONFIG_PATH = "/config.json"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL)


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def is_dashboard_path(path: str) -> bool:
    """Whether a path (without its query) belongs to the dashboard rather than the API."""
    return path in PAGES or path == CONFIG_PATH or path.startswith(PREFIXES)


def resolve(path: str, root: Path = WEB_ROOT) -> Path | None:
    """The file under `root` a dashboard path names, or None (unknown, a directory, a dot file, or outside root)."""
    relative = PAGES.get(path) or path.lstrip("/")
    parts = relative.split("/")
    if not relative or any(part in ("", ".", "..") or part.startswith(".") or "\\" in part for part in parts):
        return None
    base = root.resolve()
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base) or not candidate.is_file():
        return None
    return candidate


def content_security_policy(index_html: str, connect: list[str], images: list[str] | None = None) -> str:
    """A strict policy for the page: own-origin scripts and styles, the inline import map by hash, no frames.
    `images`: where media thumbnails come from (the media bucket's presigned GETs), besides the page's own origin."""
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"
                      for script in _INLINE_SCRIPT.findall(index_html))
    sources = " ".join(["'self'", *connect])
    pictures = " ".join(["'self'", "data:", *(images or [])])
    return (f"default-src 'none'; script-src 'self' {hashes}; style-src 'self'; img-src {pictures}; "
            f"connect-src {sources}; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; "
            "frame-ancestors 'none'; object-src 'none'")


def dashboard_config(api_url: str, region: str, user_pool_id: str, client_id: str,
                     cognito_endpoint: str | None = None) -> dict[str, Any]:
    """What the app reads from /config.json (on AWS the deploy writes the same keys). `api_url` "" means the API is
    on the page's own origin (as on `make run`, whichever host name the browser used)."""
    return {
        "apiUrl": api_url,
        "region": region,
        "userPoolId": user_pool_id,
        "clientId": client_id,
        "cognitoEndpoint": cognito_endpoint or f"https://cognito-idp.{region}.amazonaws.com/",
    }


class Dashboard:
    """Answers GET and HEAD for the dashboard's paths; `config` is served as /config.json."""

    def __init__(self, config: dict[str, Any], root: Path = WEB_ROOT, media_origins: list[str] | None = None) -> None:
        self.root = root
        self.config_body = json.dumps(config, indent=2).encode()
        index = root / "index.html"
        connect = [config["cognitoEndpoint"].rstrip("/")]
        if config["apiUrl"]:  # empty: the API is on the page's own origin
            connect.append(config["apiUrl"].rstrip("/"))
        self.csp = content_security_policy(index.read_text() if index.is_file() else "", sorted(set(connect)),
                                           sorted({origin.rstrip("/") for origin in media_origins or []}))

    def answer(self, method: str, path: str) -> Answer:
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-cache",
        }
        if method not in ("GET", "HEAD"):
            return self._error(405, "method_not_allowed", f"{path} takes GET, HEAD, not {method}",
                               {**headers, "Allow": "GET, HEAD"})
        if path == CONFIG_PATH:
            body = self.config_body
            headers["Content-Type"] = TYPES[".json"]
        else:
            file = resolve(path, self.root)
            if file is None:
                return self._error(404, "not_found", f"no dashboard file at {path}", headers)
            body = file.read_bytes()
            headers["Content-Type"] = TYPES.get(file.suffix, "application/octet-stream")
            if file.suffix == ".html":
                headers["Content-Security-Policy"] = self.csp
        headers["Content-Length"] = str(len(body))
        return Answer(200, headers, b"" if method == "HEAD" else body)

    @staticmethod
    def _error(status: int, code: str, message: str, headers: dict[str, str]) -> Answer:
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        return Answer(status, {**headers, "Content-Type": "application/json", "Content-Length": str(len(body))}, body)
