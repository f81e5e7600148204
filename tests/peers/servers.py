"""Installing, starting, stopping and talking to the peer servers (conftest.py has the fixtures that use this)."""
from __future__ import annotations

import base64
import ctypes
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import urllib3

HERE = Path(__file__).parent
CANNOT_INSTALL = 75  # what the install scripts exit with when this machine cannot have the server
INSTALL_TIMEOUT_SECONDS = 900
READY_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10
HTTP_TIMEOUT = urllib3.Timeout(connect=3.0, read=10.0)

TIMINGS: dict[str, float] = {}  # seconds per step, printed in the terminal summary


# ---------------------------------------------------------------------------------------------- installing
def install(script: str) -> dict[str, str]:
    """Run an install script beside this file; its `key=value` lines on stdout come back as a dict."""
    started = time.monotonic()
    try:
        done = subprocess.run(["bash", str(HERE / script)], stdin=subprocess.DEVNULL, capture_output=True, text=True,
                              timeout=INSTALL_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{script} did not finish within {INSTALL_TIMEOUT_SECONDS} s")
    TIMINGS[f"install {script.removeprefix('install_').removesuffix('.sh')}"] = time.monotonic() - started
    if done.returncode == CANNOT_INSTALL:
        pytest.skip(f"cannot install a peer server here: {done.stderr.strip()}")
    if done.returncode != 0:
        pytest.fail(f"{script} failed with exit {done.returncode}:\n{tail(done.stderr + done.stdout)}")
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# ---------------------------------------------------------------------------------------------- running
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _die_with_parent() -> None:
    """Even if pytest is killed outright, the server gets SIGTERM (Linux prctl PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


class Server:
    """One server process in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None,
                 stop_signal: signal.Signals = signal.SIGTERM) -> None:
        self.name = name
        self.log = log
        self.stop_signal = stop_signal
        with log.open("wb") as out:
            self.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                            env=env, start_new_session=True, preexec_fn=_die_with_parent)

    def wait_until(self, ready: Callable[[], bool]) -> None:
        """Poll `ready` for at most READY_TIMEOUT_SECONDS; a server that exits or never gets ready fails the tests."""
        started = time.monotonic()
        while time.monotonic() - started < READY_TIMEOUT_SECONDS:
            if self.process.poll() is not None:
                self.stop()
                pytest.fail(f"{self.name} exited with {self.process.returncode} while starting:\n{self.output()}")
            if ready():
                TIMINGS[f"start {self.name}"] = time.monotonic() - started
                return
            time.sleep(0.1)
        self.stop()
        pytest.fail(f"{self.name} was not ready within {READY_TIMEOUT_SECONDS} s:\n{self.output()}")

    def output(self) -> str:
        return tail(self.log.read_text(errors="replace"))

    def stop(self) -> None:
        """The stop signal to the whole group, then SIGKILL to whatever is left in it."""
        started = time.monotonic()
        if self.process.poll() is None:
            os.killpg(self.process.pid, self.stop_signal)
            try:
                self.process.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(STOP_TIMEOUT_SECONDS)
        TIMINGS[f"stop {self.name}"] = time.monotonic() - started


class FreshConnections:
    """urllib3's `request`, each on a new connection: snac closes every connection after one answer without a
    `Connection: close` header, and urllib3 then reuses a socket the server is closing (RST, no answer)."""

    def request(self, method: str, url: str, **kwargs: Any) -> urllib3.BaseHTTPResponse:
        with urllib3.PoolManager(timeout=HTTP_TIMEOUT, retries=False) as pool:
            return pool.request(method, url, **kwargs)


def answers(http: FreshConnections, url: str) -> bool:
    try:
        return http.request("GET", url, timeout=urllib3.Timeout(connect=1.0, read=2.0)).status == 200
    except urllib3.exceptions.HTTPError:
        return False


# ---------------------------------------------------------------------------------------------- Bluesky PDS
@dataclass(frozen=True)
class Account:
    handle: str
    did: str
    password: str
    access_jwt: str


@dataclass(frozen=True)
class Pds:
    url: str
    jwt_secret: str
    http: FreshConnections

    def xrpc(self, method: str, nsid: str, body: dict[str, Any] | None = None, token: str | None = None,
             params: dict[str, str] | None = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body is not None:
            headers["Content-Type"] = "application/json"
        response = self.http.request(method, f"{self.url}/xrpc/{nsid}", fields=params, headers=headers,
                                     body=json.dumps(body) if body is not None else None)
        return response.status, json.loads(response.data) if response.data.strip() else None

    def create_account(self, name: str) -> Account:
        """A fresh account with a `.test` handle: the PDS resolves those from its own database, never from DNS."""
        handle, password = f"{name}-{secrets.token_hex(3)}.test", secrets.token_urlsafe(12)
        status, created = self.xrpc("POST", "com.atproto.server.createAccount",
                                    {"handle": handle, "email": f"{handle}@example.com", "password": password})
        assert status == 200, created
        return Account(handle, created["did"], password, created["accessJwt"])

    def app_password(self, account: Account, name: str | None = None) -> str:
        body = {"name": name or f"chorus-{secrets.token_hex(3)}"}  # names are unique per account
        status, created = self.xrpc("POST", "com.atproto.server.createAppPassword", body, account.access_jwt)
        assert status == 200, created
        return created["password"]

    def records(self, account: Account, collection: str = "app.bsky.feed.post") -> list[dict[str, Any]]:
        status, page = self.xrpc("GET", "com.atproto.repo.listRecords",
                                 params={"repo": account.did, "collection": collection, "limit": "100"})
        assert status == 200, page
        return page["records"]

    def access_token(self, did: str, expires_in: int) -> str:
        """An access JWT as the PDS signs them (HS256 with its JWT secret); already expired if `expires_in` < 0."""
        now = int(time.time())
        claims = {"scope": "com.atproto.access", "aud": "did:web:localhost", "sub": did,
                  "iat": min(now, now + expires_in - 3600), "exp": now + expires_in}
        return sign_jwt({"typ": "at+jwt", "alg": "HS256"}, claims, self.jwt_secret.encode())


def sign_jwt(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    def part(value: bytes) -> str:
        return base64.urlsafe_b64encode(value).rstrip(b"=").decode()

    signing_input = f"{part(json.dumps(header).encode())}.{part(json.dumps(claims).encode())}"
    return f"{signing_input}.{part(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())}"


# ---------------------------------------------------------------------------------------------- snac2
@dataclass(frozen=True)
class Snac:
    url: str
    token: str
    user: str


def run_snac(args: list[str], stdin: str = "") -> str:
    done = subprocess.run(["snac", *args], input=stdin, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"snac {args[0]} failed ({done.returncode}):\n{tail(done.stdout + done.stderr)}"
    return done.stdout + done.stderr


def tiny_png(red: int) -> bytes:
    """A valid 1×1 PNG (the PDS sniffs what a blob is)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes([0, red, 0, 0])))
            + chunk(b"IEND", b""))
