"""The `make run` stack as its own process, started once for every e2e test of the session (a start costs ~10 s).

The e2e tests share it: each works with data it creates itself (and tolerates the demo data and what other tests
add), so they can run in any order. A test that stops the stack is marked `stops_stack` and runs last."""
from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

READY_TIMEOUT = 60


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "stops_stack: stops the shared local stack; runs after every other test")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: item.get_closest_marker("stops_stack") is not None)  # stable: the rest keep their order


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Running:
    def __init__(self, url: str, env: dict[str, str], state_dir: Path, process: subprocess.Popen[str],
                 lines: list[str]) -> None:
        self.url, self.env, self.state_dir, self.process, self.lines = url, env, state_dir, process, lines

    def token(self, role: str) -> str:
        result = subprocess.run([sys.executable, "-m", "chorus.local.cli", "token", role], env=self.env,
                                capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().splitlines()[-1]

    def call(self, method: str, path: str, role: str | None = None,
             body: dict[str, Any] | None = None) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.token(role)}"} if role else {}
        return requests.request(method, self.url + path, json=body, headers=headers, timeout=10)


# One stack for every end-to-end test, stopped when they are done: a running stack works every minute (its scheduler,
# pollers and demo feed), which would otherwise take CPU from the rest of the suite until the session ends.
@pytest.fixture(scope="package")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    port = _free_port()
    state_dir = tmp_path_factory.mktemp("state")
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    env.update({"CHORUS_PORT": str(port), "CHORUS_STATE_DIR": str(state_dir), "PYTHONUNBUFFERED": "1"})
    started = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "chorus.local.cli", "run"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    ready: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None  # stdout=PIPE
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Chorus ready at "):
                ready.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        line = ready.get(timeout=READY_TIMEOUT)
    except queue.Empty:
        process.kill()
        pytest.fail(f"no ready line within {READY_TIMEOUT} s:\n{''.join(lines)}")
    print(f"stack ready in {time.monotonic() - started:.1f} s: {line.strip()}")
    url = line.split()[3]
    assert url == f"http://127.0.0.1:{port}"
    yield Running(url, env, state_dir, process, lines)
    if process.poll() is None:
        process.kill()
