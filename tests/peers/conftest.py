"""Real servers on 127.0.0.1 for the connector peer tests: a Bluesky PDS (npm) and snac2 (Debian, Mastodon API).

Each server is installed by a script beside this file into a cache outside the repo (`CHORUS_PEERS_CACHE`, default
~/.cache/chorus-peers; apt for snac2), so only the first run on a machine pays for it. Each is started once per session
in its own process group, dies with the test process, and is stopped at the end. A machine that cannot install a
server (registry unreachable, no apt, not root) skips its tests and says why; a server that installed but does not
start fails them. The terminal summary prints how long installing, starting and testing took.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.peers.servers import (
    HERE,
    TIMINGS,
    FreshConnections,
    Pds,
    Server,
    Snac,
    answers,
    free_port,
    install,
    run_snac,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "peers: tests against real servers started on 127.0.0.1")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if TIMINGS:
        terminalreporter.write_sep("-", "peer servers (seconds)")
        terminalreporter.write_line("  ".join(f"{name} {seconds:.1f}" for name, seconds in TIMINGS.items()))


@pytest.fixture(autouse=True)
def _time_peer_tests(request: pytest.FixtureRequest) -> Iterator[None]:
    """Test time without the servers' install and start (session fixtures are set up before this one)."""
    started = time.monotonic()
    yield
    key = f"tests {Path(request.node.path).stem.removeprefix('test_')}"
    TIMINGS[key] = TIMINGS.get(key, 0.0) + time.monotonic() - started


@pytest.fixture(scope="session")
def http() -> FreshConnections:
    """For the tests' own calls (creating accounts, reading records), never through the connectors."""
    return FreshConnections()


@pytest.fixture(scope="session")
def pds(http: FreshConnections, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pds]:
    installed = install("install_pds.sh")
    data = tmp_path_factory.mktemp("pds")
    port, jwt_secret = free_port(), secrets.token_hex(16)
    argv = [installed["node"], str(HERE / "pds_server.mjs"), installed["modules"], str(data), str(port)]
    server = Server("pds", argv, data / "server.log", env={**os.environ, "PDS_JWT_SECRET": jwt_secret})
    try:
        url = f"http://127.0.0.1:{port}"
        server.wait_until(lambda: '"ready":true' in server.log.read_text() and answers(http, f"{url}/xrpc/_health"))
        yield Pds(url, jwt_secret, http)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def snac(http: FreshConnections, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Snac]:
    install("install_snac.sh")
    base = tmp_path_factory.mktemp("snac") / "data"
    port, user = free_port(), "chorus"
    host = f"127.0.0.1:{port}"
    # `snac init` asks: network address, port, host name, URL prefix, admin email.
    run_snac(["init", str(base)], stdin=f"127.0.0.1\n{port}\n{host}\n\n\n")
    config_file = base / "server.json"
    config = json.loads(config_file.read_text())
    config["protocol"] = "http"  # its own URLs (and deliveries to itself) stay plain HTTP on loopback
    config_file.write_text(json.dumps(config, indent=4))
    created = run_snac(["adduser", str(base), user])
    password = re.search(r"User password is (\S+)", created)
    assert password, f"snac adduser printed no password:\n{created}"

    # On SIGTERM snac waits out its background thread's sleep (about 3 s); its data is thrown away anyway.
    server = Server("snac", ["snac", "httpd", str(base)], base.parent / "server.log", stop_signal=signal.SIGKILL)
    try:
        url = f"http://{host}"
        server.wait_until(lambda: answers(http, f"{url}/api/v1/instance"))
        response = http.request("POST", f"{url}/oauth/x-snac-get-token",
                                fields={"login": user, "passwd": password.group(1)}, encode_multipart=False)
        token = response.data.decode().strip()
        assert response.status == 200 and re.fullmatch(r"[0-9a-f]{32}", token), (response.status, token[:200])
        yield Snac(url, token, user)
    finally:
        server.stop()
