"""The dashboard's static files on the local API's port (chorus.local.webapp): which paths are the dashboard's,
that nothing outside web/ is served, the security headers and the CSP hash of the inline import map."""
from __future__ import annotations

import base64
import hashlib
import json
import re
from pathlib import Path

import pytest

from chorus.local import webapp
from chorus.local.webapp import WEB_ROOT, Dashboard, dashboard_config, is_dashboard_path, resolve

CONFIG = dashboard_config("", "eu-west-1", "eu-west-1_pool", "client", "http://127.0.0.1:5000/")


@pytest.fixture
def web(tmp_path: Path) -> Path:
    root = tmp_path / "web"
    (root / "app").mkdir(parents=True)
    (root / "index.html").write_text('<script type="importmap">{"imports": {}}</script>'
                                     '<script src="app/a.js"></script>')
    (root / "app" / "a.js").write_text("export const a = 1;")
    (root / "app" / ".env").write_text("SECRET=1")
    (tmp_path / "outside.txt").write_text("not for browsers")
    (root / "app" / "link.js").symlink_to(tmp_path / "outside.txt")
    return root


@pytest.mark.parametrize("path", ["/", "/index.html", "/config.json", "/app/main.js", "/vendor/preact/preact.mjs"])
def test_dashboard_paths(path: str) -> None:
    assert is_dashboard_path(path)


@pytest.mark.parametrize("path", ["/posts", "/health", "/app", "/vendor", "/r/abc", "/reports/weekly", "/index.htm"])
def test_api_paths_are_not_the_dashboards(path: str) -> None:
    assert not is_dashboard_path(path)


def test_resolve_serves_only_files_inside_web(web: Path) -> None:
    assert resolve("/", web) == (web / "index.html").resolve()
    assert resolve("/app/a.js", web) == (web / "app" / "a.js").resolve()
    for path in ("/app/", "/app", "/app/../../outside.txt", "/app/.env", "/app/link.js", "/app//a.js",
                 "/app/./a.js", "/app/missing.js", "/app/..\\outside.txt"):
        assert resolve(path, web) is None, path


def test_html_carries_a_strict_policy_with_the_import_map_hash(web: Path) -> None:
    answer = Dashboard(CONFIG, web).answer("GET", "/")
    assert answer.status == 200 and answer.headers["Content-Type"] == "text/html; charset=utf-8"
    digest = base64.b64encode(hashlib.sha256(b'{"imports": {}}').digest()).decode()
    policy = answer.headers["Content-Security-Policy"]
    assert f"script-src 'self' 'sha256-{digest}';" in policy
    assert "connect-src 'self' http://127.0.0.1:5000;" in policy
    assert "unsafe" not in policy and "frame-ancestors 'none'" in policy and "default-src 'none'" in policy
    assert answer.headers["X-Content-Type-Options"] == "nosniff"


def test_media_thumbnails_are_allowed_only_from_the_media_origin(web: Path) -> None:
    plain = Dashboard(CONFIG, web).answer("GET", "/").headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in plain
    media = Dashboard(CONFIG, web, media_origins=["http://127.0.0.1:5000/"]).answer("GET", "/")
    assert "img-src 'self' data: http://127.0.0.1:5000;" in media.headers["Content-Security-Policy"]


def test_config_json_and_head_and_refusals(web: Path) -> None:
    dashboard = Dashboard(CONFIG, web)
    config = dashboard.answer("GET", "/config.json")
    assert json.loads(config.body) == CONFIG and config.headers["Content-Type"] == "application/json"
    head = dashboard.answer("HEAD", "/app/a.js")
    assert head.status == 200 and head.body == b"" and head.headers["Content-Length"] == "19"
    assert head.headers["Content-Type"].startswith("text/javascript")
    missing = dashboard.answer("GET", "/app/.env")
    assert missing.status == 404 and json.loads(missing.body)["error"]["code"] == "not_found"
    refused = dashboard.answer("POST", "/index.html")
    assert refused.status == 405 and refused.headers["Allow"] == "GET, HEAD"


def test_aws_config_names_the_regional_cognito_endpoint() -> None:
    config = dashboard_config("https://api.example", "eu-west-1", "pool", "client")
    assert config["cognitoEndpoint"] == "https://cognito-idp.eu-west-1.amazonaws.com/"
    assert "connect-src 'self' https://api.example https://cognito-idp.eu-west-1.amazonaws.com;" in \
        Dashboard(config).csp


def test_the_real_app_loads_nothing_from_outside() -> None:
    """Every import and asset in web/ is relative: no http(s) URL in an import, src or href."""
    for file in [*WEB_ROOT.rglob("*.js"), *WEB_ROOT.rglob("*.html"), *WEB_ROOT.rglob("*.css")]:
        if "vendor" in file.parts:
            continue
        text = file.read_text()
        assert not re.search(r"""(?:from|import\(|src=|href=|url\()\s*["']?https?://""", text), file
    for library in ("preact", "htm"):
        assert (WEB_ROOT / "vendor" / library / "LICENSE").is_file(), library
    index = (WEB_ROOT / "index.html").read_text()
    assert "sha256-" in webapp.content_security_policy(index, [])
