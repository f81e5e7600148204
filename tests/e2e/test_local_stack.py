"""End to end: start the `make run` stack as its own process, get tokens with `chorus token`, and use the REST API
over HTTP the way a new user following the README would. Then stop it with SIGTERM and check it left nothing."""
from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
import requests

if TYPE_CHECKING:
    from tests.e2e.conftest import Running  # the stack itself is the session's `running` fixture (conftest.py)

pytestmark = pytest.mark.e2e


def test_health_and_openapi_need_no_token(running: Running) -> None:
    assert running.call("GET", "/health").json()["status"] == "ok"
    spec = running.call("GET", "/openapi.json").json()
    assert {"/posts", "/posts/{id}/schedule", "/channels/{id}"} <= set(spec["paths"])


def test_demo_organisation_is_seeded(running: Running) -> None:
    channels = running.call("GET", "/channels", "viewer").json()["items"]
    assert {c["platform"] for c in channels} == {"local", "mastodon", "bluesky", "x", "linkedin"}
    statuses = set()
    for status in ("draft", "submitted", "approved", "scheduled", "cancelled"):
        if running.call("GET", f"/posts?status={status}", "editor").json()["items"]:  # drafts: not shown to viewers
            statuses.add(status)
    assert statuses == {"draft", "submitted", "approved", "scheduled", "cancelled"}


def test_a_post_walks_from_draft_to_the_calendar_over_http(running: Running) -> None:
    created = running.call("POST", "/posts", "creator", {"text": "Nieuw in het team: welkom Sanne!",
                                                         "channels": ["demo-local"], "category": "milestone"})
    assert created.status_code == 201, created.text
    post_id = created.json()["post"]["id"]
    assert running.call("POST", f"/posts/{post_id}/submit", "creator").json()["post"]["status"] == "submitted"
    assert running.call("POST", f"/posts/{post_id}/approve", "editor").json()["post"]["status"] == "approved"
    when = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0)
    scheduled = running.call("POST", f"/posts/{post_id}/schedule", "editor", {"publish_at": when.isoformat()})
    assert scheduled.status_code == 200, scheduled.text
    assert scheduled.json()["post"]["publish_at"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")
    day = when.strftime("%Y-%m-%d")
    calendar = running.call("GET", f"/posts?from={day}T00:00Z&to={day}T23:59Z&channel=demo-local", "viewer").json()
    assert post_id in [p["id"] for p in calendar["items"]]


def test_errors_are_json_with_the_right_status(running: Running) -> None:
    unauthenticated = running.call("GET", "/posts")
    assert unauthenticated.status_code == 401 and unauthenticated.json()["error"]["code"] == "unauthorized"
    draft = {"text": "Hoi", "channels": ["demo-local"]}
    post_id = running.call("POST", "/posts", "creator", draft).json()["post"]["id"]
    forbidden = running.call("POST", f"/posts/{post_id}/approve", "creator")
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "forbidden"
    conflict = running.call("POST", f"/posts/{post_id}/approve", "editor")
    assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "conflict"
    running.call("POST", f"/posts/{post_id}/submit", "creator")
    running.call("POST", f"/posts/{post_id}/approve", "editor")
    past = running.call("POST", f"/posts/{post_id}/schedule", "editor", {"publish_at": "2021-05-01T09:00"})
    assert past.status_code == 400 and past.json()["error"]["field"] == "publish_at"
    unknown = running.call("GET", "/posts/does-not-exist", "viewer")
    assert unknown.status_code == 404


def test_unknown_routes_and_methods_answer_in_the_error_shape_and_never_echo_the_token(running: Running) -> None:
    """Issue 11 item 6: a typo (`/post`) was API Gateway's SigV4 403 with the whole bearer token in the body."""
    token = running.token("editor")
    typo = requests.get(running.url + "/post", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert typo.status_code == 404 and typo.json()["error"]["code"] == "not_found", typo.text
    assert token not in typo.text and token[:20] not in typo.text
    for method in ("PATCH", "TRACE"):
        wrong = requests.request(method, running.url + "/health", headers={"Authorization": f"Bearer {token}"},
                                 timeout=10)
        assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed", wrong.text
        assert wrong.headers["Allow"] == "GET" and token not in wrong.text


def test_one_json_log_line_per_request(running: Running) -> None:
    before = len(running.lines)
    running.call("GET", "/health")
    time.sleep(0.3)
    logged = [line for line in running.lines[before:] if '"message":"request"' in line]
    assert len(logged) == 1 and '"route":"/health"' in logged[0] and '"status":200' in logged[0]


def test_a_post_scheduled_ten_seconds_ahead_is_in_the_outbox_within_two_seconds_once(running: Running) -> None:
    draft = {"text": "Over tien seconden live", "channels": ["demo-local"]}
    post_id = running.call("POST", "/posts", "creator", draft).json()["post"]["id"]
    running.call("POST", f"/posts/{post_id}/submit", "creator")
    running.call("POST", f"/posts/{post_id}/approve", "editor")
    editor = running.token("editor")
    planned = (datetime.now(UTC) + timedelta(seconds=10)).replace(microsecond=0)
    answer = requests.post(f"{running.url}/posts/{post_id}/schedule", json={"publish_at": planned.isoformat()},
                           headers={"Authorization": f"Bearer {editor}"}, timeout=10)
    assert answer.status_code == 200, answer.text
    seen_at = None
    deadline = planned + timedelta(seconds=6)
    while datetime.now(UTC) < deadline:
        items = requests.get(f"{running.url}/channels/demo-local/outbox", headers={"Authorization": f"Bearer {editor}"},
                             timeout=10).json()["items"]
        mine = [i for i in items if i["text"] == "Over tien seconden live"]
        if mine:
            seen_at = seen_at or datetime.now(UTC)
            assert len(mine) == 1
        time.sleep(0.1)
    assert seen_at is not None, "never published"
    lateness = (seen_at - planned).total_seconds()
    print(f"published {lateness:.2f} s after its planned second")
    assert -0.5 <= lateness <= 2.0
    post = requests.get(f"{running.url}/posts/{post_id}", headers={"Authorization": f"Bearer {editor}"},
                        timeout=10).json()
    assert post["status"] == "published" and post["deliveries"]["demo-local"]["attempts"] == 1


def test_a_dutch_complaint_reaches_care_in_the_mailbox_within_seconds_once_and_a_large_audience_reaches_pr(
        running: Running) -> None:
    complaint = {"platform": "x", "id": "e2e-1", "author": {"handle": "klant", "followers": 80},
                 "text": "Al drie dagen geen internet en niemand neemt op bij de klantenservice. Schandalig!"}
    posted = time.monotonic()
    forwarded = {**complaint, "forwarded_by": "demo-publisher"}
    assert running.call("POST", "/mentions", "publisher", forwarded).status_code == 202
    assert running.call("POST", "/mentions", "care", complaint).status_code == 202  # the same post, twice
    token = running.token("care")

    def mailbox() -> list[dict]:
        answer = requests.get(running.url + "/mailbox", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert answer.status_code == 200, answer.text
        # The demo feed's mentions arrive at the first minute too: only this test's authors count here (the care
        # desk reads Dutch, "door @klant"; PR's email English, "by @bekend").
        return [e for e in answer.json()["items"] if re.search(r"\b(by|door) @(klant|bekend)\b", e["subject"] or "")]

    deadline = posted + 10
    while not mailbox() and time.monotonic() < deadline:
        time.sleep(0.2)
    seconds = time.monotonic() - posted
    entries = mailbox()
    assert [(e["team"], e["protocol"]) for e in entries] == [("care", "email")], entries
    assert seconds < 5, f"the care alert took {seconds:.1f} s"
    assert "klant" in entries[0]["text"]

    famous = {**complaint, "id": "e2e-2", "author": {"handle": "bekend", "followers": 50_000},
              "text": "Mijn pakket is al twee weken zoek en niemand helpt. Wat een waardeloze service"}
    assert running.call("POST", "/mentions", "care", famous).status_code == 202
    deadline = time.monotonic() + 10
    while len(mailbox()) < 4 and time.monotonic() < deadline:
        time.sleep(0.2)
    teams = sorted((e["team"], e["protocol"]) for e in mailbox())
    assert teams == [("care", "email"), ("care", "email"), ("pr", "email"), ("pr", "sms")], teams


def test_the_demo_feeds_dutch_complaint_reaches_the_care_mailbox_once(running: Running) -> None:
    """`make run` serves a Google-Alerts-like feed on 127.0.0.1 and adds it as a source; the scheduler runs
    fetch_mentions at the next whole minute, and the feed's complaint goes to care (its question and praise too,
    to care and marketing)."""
    headers = {"Authorization": f"Bearer {running.token('care')}"}

    def complaints() -> list[dict]:
        items = requests.get(running.url + "/mailbox", headers=headers, timeout=10).json()["items"]
        return [e for e in items if e["team"] == "care" and "afval niet opgehaald" in e["text"]]

    deadline = time.monotonic() + 75
    while not complaints() and time.monotonic() < deadline:
        time.sleep(1)
    time.sleep(2)  # a second alert, if there were one, would have come with the first
    found = complaints()
    assert [(e["protocol"], e["subscriber"]) for e in found] == [("email", "Klantenservice (care desk)")], found
    assert "forum.example.nl" in found[0]["text"]  # the article's own site, not Google's redirector
    source = requests.get(running.url + "/sources/google-alerts-demo", headers=headers, timeout=10).json()
    assert source["kind"] == "rss" and source["facet"] == "brand"
    assert (source["fetch"]["items_last_run"], source["fetch"]["last_error"]) == (3, None), source


@pytest.mark.stops_stack
def test_sigterm_stops_cleanly_and_leaves_nothing_behind(running: Running) -> None:
    state_files = list(running.state_dir.glob("local-*.json"))
    assert len(state_files) == 1
    running.process.send_signal(signal.SIGTERM)
    assert running.process.wait(timeout=20) == 0, "".join(running.lines)
    assert not state_files[0].exists()
    port = int(running.url.rsplit(":", 1)[1])
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))  # the API port is free again
    token = subprocess.run([sys.executable, "-m", "chorus.local.cli", "token", "editor"], env=running.env,
                           capture_output=True, text=True, timeout=30)
    assert token.returncode == 1 and "make run" in token.stderr
