"""The dashboard in a real browser against the shared `make run` stack: Debian's Chromium driven by Playwright for
Python (one browser for the module, a fresh context per test). Where Chromium cannot be installed the browser tests
skip and say why, except with CI=true, where that fails the run. axe-core checks the sign-in and overview screens for
serious or critical WCAG 2.2 AA violations; screenshots and the measured download sizes go to build/screenshots/."""
from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from tests.e2e.conftest import Running

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
CHROMIUM = Path("/usr/bin/chromium")
CANNOT_INSTALL = 75
SCREENSHOTS = HERE.parents[1] / "build" / "screenshots"
AXE = HERE / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
MEASURED: dict[str, Any] = {}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"the browser tests need Chromium and Playwright, and CI=true: {reason}")
    pytest.skip(f"browser tests skipped: {reason}")


def _chromium() -> Path:
    if not CHROMIUM.exists():
        done = subprocess.run(["bash", str(HERE / "install_chromium.sh")], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=900)
        if done.returncode == CANNOT_INSTALL:
            _unavailable(done.stderr.strip())
        if done.returncode != 0:
            pytest.fail(f"install_chromium.sh failed with exit {done.returncode}:\n{done.stderr}{done.stdout}")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(request: pytest.FixtureRequest) -> Iterator[Any]:
    executable = _chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"Playwright for Python is not installed ({error}); `make install` installs it")
    started = time.monotonic()
    with sync_playwright() as playwright:
        # /dev/shm is 64 MB in many containers: Chromium then writes its shared memory to /tmp instead.
        launched = playwright.chromium.launch(executable_path=str(executable), headless=True,
                                              args=["--disable-dev-shm-usage"])
        MEASURED["browser_start_seconds"] = round(time.monotonic() - started, 2)
        yield launched
        launched.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "measurements.json").write_text(json.dumps(MEASURED, indent=2) + "\n")
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:  # in the run's output, not only in the file
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"\ndashboard: {json.dumps(MEASURED)} in {SCREENSHOTS.relative_to(HERE.parents[1])}/")


class Page:
    """One browser context and page, with what the page downloaded and any CSP violation it reported."""

    def __init__(self, browser: Any, url: str, **context: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, **context)
        self.page = self.context.new_page()
        self.url = url
        self.downloads: list[tuple[str, int]] = []
        self.problems: list[str] = []
        self.page.on("requestfinished", self._finished)
        self.page.on("console", lambda message: self.problems.append(message.text)
                     if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))

    def _finished(self, request: Any) -> None:
        sizes = request.sizes()
        self.downloads.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    def bytes_downloaded(self) -> int:
        return sum(size for _, size in self.downloads)

    def axe(self, name: str) -> None:
        """axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays as strict as served)."""
        self.page.evaluate(AXE.read_text())
        result = self.page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
        bad = [f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
               for v in result["violations"] if v["impact"] in ("serious", "critical")]
        assert not bad, f"axe on {name}:\n" + "\n".join(bad)
        MEASURED.setdefault("axe", {})[name] = {"passes": len(result["passes"]),
                                               "violations": [v["id"] for v in result["violations"]]}

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def sign_in(self, username: str, password: str) -> None:
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def close(self) -> None:
        assert not [p for p in self.problems if "Content Security Policy" in p], self.problems
        self.context.close()


@pytest.fixture
def page(browser: Any, running: Running) -> Iterator[Page]:
    opened = Page(browser, running.url, locale="en-GB", timezone_id="Europe/Amsterdam")
    yield opened
    opened.close()


def _state(running: Running) -> dict[str, Any]:
    path = running.state_dir / f"local-{running.url.rsplit(':', 1)[1]}.json"
    state: dict[str, Any] = json.loads(path.read_text())
    return state


def test_dashboard_is_served_beside_the_api_without_shadowing_it(running: Running) -> None:
    index = requests.get(running.url + "/", timeout=10)
    assert index.status_code == 200 and index.headers["Content-Type"].startswith("text/html")
    policy = index.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src 'self' 'sha256-" in policy
    assert "unsafe-inline" not in policy and "frame-ancestors 'none'" in policy
    assert index.headers["X-Content-Type-Options"] == "nosniff"
    config = requests.get(running.url + "/config.json", timeout=10).json()
    state = _state(running)
    assert config == {"apiUrl": "", "region": state["region"], "userPoolId": state["user_pool_id"],
                      "clientId": state["client_id"], "cognitoEndpoint": state["aws_endpoint"] + "/"}
    module = requests.get(running.url + "/vendor/preact/preact.mjs", timeout=10)
    assert module.status_code == 200 and module.headers["Content-Type"].startswith("text/javascript")
    assert requests.get(running.url + "/health", timeout=10).json()["status"] == "ok"
    assert requests.get(running.url + "/posts", timeout=10).status_code == 401  # the API, not a file
    for missing in ("/app/", "/app/nothing.js", "/vendor/%2e%2e/index.html", "/app/.secret"):
        assert requests.get(running.url + missing, timeout=10).status_code == 404, missing
    banner = "".join(running.lines)
    assert f"Dashboard:    {running.url}/" in banner and state["demo_password"] in banner


def test_editor_signs_in_sees_the_overview_and_signs_out(page: Page, running: Running) -> None:
    started = time.monotonic()
    state = _state(running)
    page.page.goto(running.url + "/")
    heading = page.page.get_by_role("heading", name="Sign in to Chorus")
    heading.wait_for()
    page.page.wait_for_load_state("networkidle")
    MEASURED["first_screen_bytes"] = page.bytes_downloaded()
    MEASURED["first_screen_requests"] = len(page.downloads)
    assert all(url.startswith(running.url) for url, _ in page.downloads), page.downloads  # nothing from outside
    MEASURED["first_screen_seconds"] = round(time.monotonic() - started, 2)
    page.axe("sign-in")
    page.screenshot("sign-in")

    page.sign_in("demo-editor", "not-the-password-1A")
    error = page.page.get_by_role("alert")
    error.filter(has_text="Wrong username or password.").wait_for()
    page.screenshot("sign-in-wrong-password")

    signed_in = time.monotonic()
    page.sign_in("demo-editor", state["demo_password"])
    page.page.get_by_role("heading", name="Overview", level=1).wait_for()
    page.page.locator(".card[aria-busy='true']").first.wait_for(state="detached")
    MEASURED["sign_in_to_overview_seconds"] = round(time.monotonic() - signed_in, 2)
    token = {"Authorization": f"Bearer {running.token('editor')}"}  # one token: each costs a process start

    def api(path: str) -> Any:
        return requests.get(running.url + path, headers=token, timeout=10).json()

    submitted = api("/posts?status=submitted&limit=100")["items"]
    approvals = page.page.locator("#overview-approvals .count .number")
    assert approvals.inner_text() == str(len(submitted)) and submitted, "approvals count as the API has it"
    channels = api("/channels")["items"]
    broken = [c for c in channels if c["status"] == "needs_reconnect"]
    assert page.page.locator("#overview-channels .count .number").inner_text() == str(len(broken))
    crisis = api("/crisis")
    assert ("ON" if crisis["active"] else "Off") in page.page.locator("#overview-crisis .crisis").inner_text()
    for card in ("alerts", "complaints", "due"):
        assert page.page.locator(f"#overview-{card} .count .number").inner_text().rstrip("+").isdigit(), card
    assert page.page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").is_visible()
    assert "demo-editor" in page.page.get_by_role("banner").inner_text()
    MEASURED["overview_bytes"] = page.bytes_downloaded() - MEASURED["first_screen_bytes"]
    page.axe("overview")
    page.screenshot("overview-editor")

    page.page.reload()  # a reload in the same tab signs in silently with the refresh token
    page.page.get_by_role("heading", name="Overview", level=1).wait_for()
    page.page.get_by_role("button", name="Sign out").click()
    page.page.get_by_role("heading", name="Sign in to Chorus").wait_for()
    assert page.page.evaluate("sessionStorage.getItem('chorus.session')") is None
    page.page.reload()
    page.page.get_by_role("heading", name="Sign in to Chorus").wait_for()
    MEASURED["journey_seconds"] = round(time.monotonic() - started, 2)


def test_dutch_browser_gets_dutch_and_can_switch(browser: Any, running: Running) -> None:
    opened = Page(browser, running.url, locale="nl-NL")
    try:
        opened.page.goto(running.url + "/")
        opened.page.get_by_role("heading", name="Inloggen bij Chorus").wait_for()
        assert opened.page.evaluate("document.documentElement.lang") == "nl"
        opened.page.get_by_label("Taal").select_option("en")
        opened.page.get_by_role("heading", name="Sign in to Chorus").wait_for()
        assert opened.page.evaluate("document.documentElement.lang") == "en"
    finally:
        opened.close()


def test_first_sign_in_sets_a_new_password(page: Page, running: Running) -> None:
    state = _state(running)
    cognito = boto3.client("cognito-idp", region_name=state["region"], endpoint_url=state["aws_endpoint"],
                           aws_access_key_id="local", aws_secret_access_key="local")
    username = f"new-viewer-{int(time.time() * 1000)}"
    cognito.admin_create_user(UserPoolId=state["user_pool_id"], Username=username,
                              TemporaryPassword="Temporary-pass-1", MessageAction="SUPPRESS")
    cognito.admin_add_user_to_group(UserPoolId=state["user_pool_id"], Username=username, GroupName="viewer")
    viewer = {"Authorization": f"Bearer {running.token('viewer')}"}
    question: dict[str, Any] = {"platform": "local", "id": f"e2e-viewer-{username}", "author": {"handle": username},
                "text": "Wanneer is het stadhuis open op tweede kerstdag?"}
    queued = requests.post(running.url + "/mentions", headers=viewer, json=question, timeout=10)
    assert queued.status_code == 202, queued.text
    page.page.goto(running.url + "/")
    page.sign_in(username, "Temporary-pass-1")
    page.page.get_by_role("heading", name="Choose a new password").wait_for()
    page.page.get_by_label("New password").fill("onlylowercaseletters")
    page.page.get_by_role("button", name="Save password and sign in").click()
    page.page.get_by_role("alert").filter(has_text="does not meet the rules").wait_for()
    page.page.get_by_label("New password").fill("A-much-better-pass-2")
    page.page.get_by_role("button", name="Save password and sign in").click()
    page.page.get_by_role("heading", name="Overview", level=1).wait_for()
    nav = page.page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Inbox").wait_for()
    assert not nav.get_by_role("link", name="Approvals").is_visible()  # a viewer approves nothing
    page.page.set_viewport_size({"width": 360, "height": 740})  # a phone: no sideways scrolling
    page.page.locator(".card[aria-busy='true']").first.wait_for(state="detached")
    assert page.page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot("overview-viewer-phone")
    deadline = time.monotonic() + 15  # processed within seconds (the sign-in above took some of them)
    while requests.get(running.url + f"/mentions/{queued.json()['id']}", headers=viewer,
                       timeout=10).status_code != 200 and time.monotonic() < deadline:
        time.sleep(0.2)
    nav.get_by_role("link", name="Inbox").click()  # a viewer reads the inbox: no assign, reply, note or status
    page.page.get_by_role("heading", name="Inbox", level=1).wait_for()
    page.page.locator("li.row").filter(has_text=username).get_by_role("button").click()
    page.page.get_by_text("You can read the inbox;").wait_for()
    assert page.page.get_by_role("button", name="Send reply").count() == 0
    assert page.page.evaluate("document.documentElement.scrollWidth") <= 360


def _png() -> bytes:
    """A 4×3 orange PNG, made here (no file in the repository)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\xff\x80\x00" * 4 for _ in range(3))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 3, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _media_key(running: Running, stamp: str) -> str:
    """A photo in the local media library (moto's S3), so the approval shows a real thumbnail through the CSP."""
    state = _state(running)
    s3 = boto3.client("s3", region_name=state["region"], endpoint_url=state["aws_endpoint"],
                      aws_access_key_id="local", aws_secret_access_key="local")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "media" in b["Name"].lower())
    key = f"content/e2e-dashboard-{stamp}.png"
    s3.put_object(Bucket=bucket, Key=key, Body=_png(), ContentType="image/png")
    return key


def test_editor_approves_and_rejects_submitted_posts(page: Page, running: Running) -> None:
    state = _state(running)
    stamp = str(int(time.time() * 1000))
    creator = {"Authorization": f"Bearer {running.token('creator')}"}
    editor = {"Authorization": f"Bearer {running.token('editor')}"}

    def submitted(text: str, **extra: Any) -> str:
        made = requests.post(running.url + "/posts", headers=creator, timeout=10, json={
            "text": text, "channels": ["demo-local"], "category": "other", **extra})
        assert made.status_code == 201, made.text
        post_id: str = made.json()["post"]["id"]
        sent = requests.post(running.url + f"/posts/{post_id}/submit", headers=creator, timeout=10)
        assert sent.status_code == 200, sent.text
        return post_id

    alt = "Een oranje vlak: de kleur van de wijkdag"
    photo = [{"key": _media_key(running, stamp), "alt": alt}]
    approve = submitted(f"Wijkdag zaterdag {stamp}: kom langs!", media=photo)
    reject = submitted(f"Conceptje {stamp} met een tikfout")
    raced = submitted(f"Al goedgekeurd {stamp}")

    page.page.goto(running.url + "/")
    page.sign_in("demo-editor", state["demo_password"])
    page.page.get_by_role("navigation", name="Main").get_by_role("link", name="Approvals").click()
    page.page.get_by_role("heading", name="Approvals", level=1).wait_for()
    cards = {post_id: page.page.locator(f"article[data-post='{post_id}']") for post_id in (approve, reject, raced)}
    cards[raced].wait_for()
    order = page.page.locator("article[data-post]").evaluate_all("nodes => nodes.map(n => n.dataset.post)")

    def submitted_at(post_id: str) -> str:
        post = requests.get(running.url + f"/posts/{post_id}", headers=editor, timeout=10).json()
        return str([step["at"] for step in post["audit"] if step.get("to") == "submitted"][-1])

    times = [submitted_at(post_id) for post_id in order]  # the audit has seconds: ties keep the API's order
    assert times == sorted(times), "oldest submission first"
    first = cards[approve]
    assert "Post by demo-creator" in first.get_by_role("heading").inner_text()
    assert "@chorus-demo (local)" in first.inner_text()
    thumbnail = first.get_by_role("img", name=alt)
    thumbnail.wait_for()
    page.page.wait_for_function("img => img.complete && img.naturalWidth === 4", arg=thumbnail.element_handle())
    page.axe("approvals")
    page.screenshot("approvals-editor")

    # Someone else approved it meanwhile: the API's 409 is shown in its words, nothing disappears.
    assert requests.post(running.url + f"/posts/{raced}/approve", headers=editor, timeout=10).status_code == 200
    again = requests.post(running.url + f"/posts/{raced}/approve", headers=editor, timeout=10)
    assert again.status_code == 409
    cards[raced].get_by_role("button", name="Approve").click()
    cards[raced].get_by_role("alert").filter(has_text=again.json()["error"]["message"]).wait_for()
    assert "That did not work:" in cards[raced].get_by_role("alert").inner_text()

    first.get_by_role("button", name="Approve").click()
    page.page.get_by_role("status").filter(has_text="Approved: “Wijkdag zaterdag").wait_for()
    first.wait_for(state="detached")
    answer = requests.get(running.url + f"/posts/{approve}", headers=editor, timeout=10).json()
    assert answer["status"] == "approved", answer

    # Reject with the keyboard only: the dialog opens on the button, Escape closes it, the reason is required.
    button = cards[reject].get_by_role("button", name="Reject…")
    button.focus()
    page.page.keyboard.press("Enter")
    dialog = page.page.get_by_role("dialog", name="Send this post back to its author")
    dialog.wait_for()
    reason = dialog.get_by_label("Reason for the author")
    assert reason.evaluate("node => node === document.activeElement"), "the focus starts in the reason field"
    page.page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert button.evaluate("node => node === document.activeElement"), "the focus returns to Reject…"
    page.page.keyboard.press("Enter")
    dialog.wait_for()
    page.page.keyboard.press("Tab")  # to "Reject the post" with an empty reason: the browser refuses it
    page.page.keyboard.press("Enter")
    assert dialog.is_visible() and reason.evaluate("node => !node.validity.valid")
    page.axe("approvals-reject-dialog")
    reason.focus()
    page.page.keyboard.type("Tikfout in de eerste zin; graag nog een foto erbij.")
    page.screenshot("approvals-reject-dialog")
    page.page.keyboard.press("Tab")
    page.page.keyboard.press("Enter")
    page.page.get_by_role("status").filter(has_text="Sent back to the author").wait_for()
    cards[reject].wait_for(state="detached")
    assert page.page.evaluate("document.activeElement.getAttribute('role')") == "status"  # focus not lost
    answer = requests.get(running.url + f"/posts/{reject}", headers=editor, timeout=10).json()
    assert (answer["status"], answer["reject_reason"]) == (
        "draft", "Tikfout in de eerste zin; graag nog een foto erbij."), answer


def test_care_acknowledges_an_alert_and_replies_to_the_mention(page: Page, running: Running) -> None:
    state = _state(running)
    stamp = str(int(time.time() * 1000))
    care = {"Authorization": f"Bearer {running.token('care')}"}
    handle = f"dashboard{stamp}"
    complaint: dict[str, Any] = {
        "platform": "local", "id": f"e2e-dashboard-{stamp}", "author": {"handle": handle, "followers": 120},
        "text": "Al een week geen afvalophaal in onze straat en niemand reageert. Echt schandalig!"}
    assert requests.post(running.url + "/mentions", headers=care, json=complaint, timeout=10).status_code == 202

    def ours() -> list[dict[str, Any]]:
        items = requests.get(running.url + "/alerts?hours=1&limit=500", headers=care, timeout=10).json()["items"]
        return [a for a in items if a["author_handle"].lstrip("@") == handle and a["team"] == "care"]

    deadline = time.monotonic() + 15  # classification, routing and the alert are asynchronous: seconds
    while not ours() and time.monotonic() < deadline:
        time.sleep(0.2)
    alert = ours()[0]
    page.page.goto(running.url + "/#/alerts")
    page.sign_in("demo-care", state["demo_password"])
    page.page.get_by_role("heading", name="Alerts", level=1).wait_for()
    item = page.page.locator("li.alert").filter(has_text=handle)
    item.wait_for()
    shown = page.page.locator("li.alert").count()  # the demo feed's complaint may arrive at any moment: count once
    open_ids = {a["id"] for a in requests.get(running.url + "/alerts?hours=168&limit=500", headers=care,
                                              timeout=10).json()["items"] if a["status"] == "open"}
    assert alert["id"] in open_ids and shown <= len(open_ids)
    assert page.page.title() == f"({shown}) Alerts · Chorus"
    assert alert["severity"] in item.locator(".tag").inner_text()  # the word, never colour alone
    assert item.locator("blockquote").get_attribute("lang") == "nl"
    spikes = requests.get(running.url + "/spikes?days=7&limit=20", headers=care, timeout=10).json()["items"]
    section = page.page.get_by_role("region", name="Spikes of negative mentions")
    if spikes:
        section.locator("li.spike").first.wait_for()
    else:
        section.get_by_text("No spikes in the last 7 days.").wait_for()
    page.axe("alerts")
    page.screenshot("alerts-care")
    item.get_by_role("button", name="Acknowledge").click()
    page.page.get_by_role("status").filter(has_text=f"the alert about {alert['author_handle']}").wait_for()
    item.wait_for(state="detached")
    assert page.page.title() == (f"({shown - 1}) Alerts · Chorus" if shown > 1 else "Alerts · Chorus")
    acknowledged = requests.get(running.url + "/alerts?hours=1&limit=500", headers=care, timeout=10).json()["items"]
    mine = next(a for a in acknowledged if a["id"] == alert["id"])
    assert (mine["status"], mine["acknowledged_by"]) == ("acknowledged", "demo-care"), mine

    # The inbox: the mention waits, newest first; open it, take it, note, reply with a saved reply, resolve.
    page.page.get_by_role("navigation", name="Main").get_by_role("link", name="Inbox").click()
    page.page.get_by_role("heading", name="Inbox", level=1).wait_for()
    page.page.get_by_label("Intent").select_option("complaint")
    page.page.get_by_label("Order").select_option("oldest")
    row = page.page.locator("li.row").filter(has_text=handle)
    row.wait_for()
    assert row.locator(".row-text").get_attribute("lang") == "nl"
    page.page.get_by_label("Assigned to").select_option("unassigned")
    row.wait_for()
    row.get_by_role("button").click()
    detail = page.page.get_by_role("region", name=handle)
    detail.locator("blockquote[lang='nl']").wait_for()
    detail.get_by_label("Assign to").select_option("me")
    detail.get_by_role("button", name="Assign", exact=True).click()
    detail.get_by_role("status").filter(has_text="Assigned to demo-care.").wait_for()
    detail.get_by_label("Internal note (never published)").fill("Gebeld met de wijkbeheerder, ophaal morgen.")
    detail.get_by_role("button", name="Add note").click()
    detail.get_by_text("Gebeld met de wijkbeheerder, ophaal morgen.").first.wait_for()
    saved = requests.get(running.url + f"/mentions/{alert['mention_id']}/saved-replies", headers=care,
                         timeout=10).json()["items"]
    assert saved, "the demo has saved replies for care"
    detail.get_by_label("Saved reply").select_option(saved[0]["id"])
    assert detail.get_by_label("Reply text").input_value() == saved[0]["text"]  # filled in for this mention
    page.axe("inbox")
    page.screenshot("inbox-care")
    detail.get_by_role("button", name="Send reply").click()
    detail.get_by_role("status").filter(has_text="Reply").wait_for()
    mention = requests.get(running.url + f"/mentions/{alert['mention_id']}", headers=care, timeout=10).json()
    assert mention["assignee"] == "demo-care" and mention["notes"][-1]["by"] == "demo-care", mention
    assert mention["our_replies"] and mention["our_replies"][-1]["by"] == "demo-care", mention
    detail.get_by_label("Change status to").select_option("resolved")
    detail.get_by_role("button", name="Change").click()
    detail.get_by_role("status").filter(has_text="Status is now: resolved.").wait_for()
    page.page.set_viewport_size({"width": 360, "height": 740})  # a phone: one column, no sideways scrolling
    wide = page.page.evaluate("""[...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > 360).slice(0, 5)
        .map(e => `${e.tagName}.${e.className}#${e.id} ${Math.round(e.getBoundingClientRect().right)}`)""")
    assert page.page.evaluate("document.documentElement.scrollWidth") <= 360, wide
    page.screenshot("inbox-care-phone")
    assert requests.get(running.url + f"/mentions/{alert['mention_id']}", headers=care,
                        timeout=10).json()["status"] == "resolved"
