"""Role rules on every route ("a publisher cannot approve, a creator cannot see others' data"): every route of the
app is called with a token of every role, and without one.

ALLOWED is written from the issues' rules, not read from app.py, so a route whose declared roles drift from them
fails here, and a new route fails until someone decides who may call it. A value names the roles that may use the
route on something that is not theirs: a path id here is never the caller's own, so on a route where a person may
act only on themselves (/ambassadors/{id}) the other roles must get the 403 too. Allowed roles may get any answer
but 401 or 403 (the probe sends an empty body and unknown ids: 400 and 404 are expected).
"""
from __future__ import annotations

import json
import re

from chorus.core.roles import (
    ALERT_ADMINS,
    AUTHORS,
    CRISIS_TEAM,
    EDITORS,
    EVERYONE,
    LISTENERS,
    MASTERS,
    RESPONDERS,
    ROLES,
)
from tests.integration.conftest import Api, Stack

PUBLIC = frozenset({"public"})  # no token needed: /health, /openapi.json, the tracked short link
PUBLISHERS = frozenset({"publisher"})
PROGRAMME = frozenset({"master", "editor", "creator", "publisher"})  # the ambassador programme's own roles
PROBE_ID = "role-matrix-probe"

ALLOWED: dict[tuple[str, str], frozenset[str]] = {
    ("/health", "GET"): PUBLIC,
    ("/openapi.json", "GET"): PUBLIC,
    ("/me", "GET"): EVERYONE,
    # posts: authors write, editors approve and plan ("a publisher cannot approve"); the calendar is the
    # organisation's, readable by everyone; the person a post speaks for endorses it (checked per post)
    ("/posts", "POST"): AUTHORS,
    ("/posts", "GET"): EVERYONE,
    ("/posts/{id}", "GET"): EVERYONE,
    ("/posts/{id}", "PATCH"): AUTHORS,
    ("/posts/{id}/submit", "POST"): AUTHORS,
    ("/posts/{id}/approve", "POST"): EDITORS,
    ("/posts/{id}/reject", "POST"): EDITORS,
    ("/posts/{id}/schedule", "POST"): EDITORS,
    ("/posts/{id}/cancel", "POST"): EDITORS,
    ("/posts/{id}/endorse", "POST"): EVERYONE,
    ("/channels", "GET"): EVERYONE,
    ("/channels", "POST"): EDITORS,
    ("/channels/{id}", "GET"): EVERYONE,
    ("/channels/{id}", "PATCH"): EDITORS,
    ("/channels/{id}", "DELETE"): MASTERS,
    ("/channels/{id}/outbox", "GET"): EVERYONE,
    # the calendar outside Chorus: each person's own feed (its secret URL needs no token) and export
    ("/calendar/export", "GET"): EVERYONE,
    ("/calendar/feed", "POST"): EVERYONE,
    ("/calendar/feed", "DELETE"): EVERYONE,
    ("/calendar/feed/{token}", "GET"): PUBLIC,
    ("/crisis", "GET"): EVERYONE,
    ("/crisis/hold", "POST"): CRISIS_TEAM,
    ("/crisis/release", "POST"): CRISIS_TEAM,
    # listening: anyone may post or forward a mention and follow their own forwards; the inbox is the team's
    ("/mentions", "POST"): EVERYONE,
    ("/mentions/forwarded", "GET"): EVERYONE,
    ("/mentions", "GET"): LISTENERS,
    ("/mentions/{id}", "GET"): LISTENERS,
    ("/mentions/{id}/assign", "POST"): RESPONDERS,
    ("/mentions/{id}/status", "POST"): RESPONDERS,
    ("/mentions/{id}/notes", "POST"): RESPONDERS,
    ("/mentions/{id}/reply", "POST"): RESPONDERS,
    ("/team", "GET"): LISTENERS,
    # saved replies: whoever reads the inbox uses them; responders write them (which team's: checked per reply)
    ("/saved-replies", "GET"): LISTENERS,
    ("/saved-replies", "POST"): RESPONDERS,
    ("/saved-replies/{id}", "GET"): LISTENERS,
    ("/saved-replies/{id}", "PATCH"): RESPONDERS,
    ("/saved-replies/{id}", "DELETE"): RESPONDERS,
    ("/mentions/{id}/saved-replies", "GET"): LISTENERS,  # who works the inbox: whoever reads it sees who has what
    ("/routing-rules", "GET"): LISTENERS,
    ("/routing-rules", "PUT"): ALERT_ADMINS,
    ("/routing-rules/versions", "GET"): LISTENERS,
    ("/alerts", "GET"): LISTENERS,
    ("/alerts/{id}/ack", "GET"): RESPONDERS,  # or an email's signed link: test_signed_links_stand_in_for_a_token
    ("/alerts/{id}/ack", "POST"): RESPONDERS,
    ("/spikes", "GET"): LISTENERS,
    ("/sources", "GET"): LISTENERS,
    ("/sources", "POST"): RESPONDERS,
    ("/sources/{id}", "GET"): LISTENERS,
    ("/sources/{id}", "PUT"): RESPONDERS,
    ("/sources/{id}", "DELETE"): RESPONDERS,
    ("/subscriptions", "GET"): ALERT_ADMINS,
    ("/subscriptions", "POST"): ALERT_ADMINS,
    ("/subscriptions/{id}", "DELETE"): ALERT_ADMINS,
    ("/subscriptions/history", "GET"): ALERT_ADMINS,
    ("/mailbox", "GET"): EVERYONE,  # local runtime only (404 on AWS)
    # ambassadors: only masters list and manage people; a person sees and changes only themselves
    ("/ambassadors", "POST"): MASTERS,
    ("/ambassadors", "GET"): MASTERS,
    ("/ambassadors/me", "GET"): EVERYONE,
    ("/ambassadors/me", "PUT"): EVERYONE,
    ("/ambassadors/me/opt-in", "POST"): EVERYONE,
    ("/ambassadors/me/opt-out", "POST"): EVERYONE,
    ("/ambassadors/me/acknowledge-policy", "POST"): EVERYONE,
    ("/ambassadors/me/training", "POST"): EVERYONE,
    ("/ambassadors/{id}", "GET"): MASTERS,
    ("/ambassadors/{id}", "PUT"): MASTERS,
    ("/ambassadors/{id}", "DELETE"): MASTERS,
    ("/ambassadors/{id}/export", "GET"): MASTERS,
    ("/ambassadors/{id}/training", "POST"): MASTERS,
    ("/policy", "GET"): EVERYONE,
    ("/policy", "POST"): MASTERS,
    ("/policy/versions", "GET"): EVERYONE,
    ("/policy/{version}/acknowledge", "GET"): EVERYONE,  # or a policy mail's signed link
    ("/policy/{version}/acknowledge", "POST"): EVERYONE,
    ("/inventory", "GET"): EDITORS,
    # engagement: the report is for the master and editors; everyone sees their own row and, when on, the leaderboard
    ("/reports/engagement", "GET"): EDITORS,
    ("/reports/engagement/me", "GET"): EVERYONE,
    ("/reports/engagement/leaderboard", "GET"): EVERYONE,
    ("/reports/engagement/settings", "GET"): EDITORS,
    ("/reports/engagement/settings", "PUT"): MASTERS,
    # the weekly report and the mentions export quote customers' mentions: the team that works with them, not the
    # programme's creators and publishers; only a master builds a report on demand
    ("/reports/weekly", "GET"): LISTENERS,
    ("/reports/weekly/{page}", "GET"): LISTENERS,
    ("/reports/weekly/build", "POST"): MASTERS,
    ("/reports/mentions/export", "GET"): LISTENERS,
    # creator content: authors submit and read their own (a creator never another's: tests/integration/test_content.py),
    # editors work the queue and decide
    ("/content/uploads", "POST"): AUTHORS,
    ("/content", "POST"): AUTHORS,
    ("/content", "GET"): AUTHORS,
    ("/content/{id}", "GET"): AUTHORS,
    ("/content/queue", "GET"): EDITORS,
    ("/content/{id}/accept", "POST"): EDITORS,
    ("/content/{id}/decline", "POST"): EDITORS,
    ("/content/suggestions/{id}/accept", "POST"): EDITORS,
    # the pre-share check: whoever writes or shares programme content; its lists are the editors'
    ("/prechecks", "POST"): PROGRAMME,
    ("/prechecks/lists", "GET"): EDITORS,
    ("/prechecks/lists", "PUT"): EDITORS,
    # the pool: editors offer; publishers see the offers meant for them and confirm their shares
    ("/pool", "POST"): EDITORS,
    ("/pool", "GET"): EDITORS | PUBLISHERS,
    ("/pool/{id}", "GET"): EDITORS | PUBLISHERS,
    ("/pool/{id}", "DELETE"): EDITORS,
    ("/shares", "POST"): PUBLISHERS,
    ("/shares", "GET"): EDITORS | PUBLISHERS,
    ("/shares/{id}/confirm", "POST"): EDITORS,  # what Chorus cannot read, an editor confirms or rejects
    ("/shares/{id}/reject", "POST"): EDITORS,
    ("/r/{code}", "GET"): PUBLIC,  # the tracked short link: whoever clicks a shared post
    ("/r/{code}", "HEAD"): PUBLIC,
}


def app_routes() -> set[tuple[str, str]]:
    from app import app

    return {(path, method) for path, methods in app.routes.items() for method in methods}


def test_every_route_is_in_the_table() -> None:
    missing = sorted(app_routes() - ALLOWED.keys())
    assert missing == [], f"decide who may call these routes and add them to ALLOWED: {missing}"
    assert sorted(ALLOWED.keys() - app_routes()) == [], "ALLOWED names routes the app no longer has"


def call(api: Api, method: str, path: str, token: str | None) -> tuple[int, object]:
    """The route with every path parameter set to an id nobody owns, an empty JSON object as the body of a write;
    the answer parsed as JSON when it is JSON (a redirect, a page or CSV is kept as text)."""
    url = re.sub(r"\{[^}]+\}", PROBE_ID, path)
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    body = b"" if method in ("GET", "HEAD", "DELETE") else b"{}"
    response = api.client.http.request(method, url, headers=headers, body=body)
    text = response.body.decode(errors="replace") if response.body else ""
    try:
        return response.status_code, json.loads(text) if text else None
    except json.JSONDecodeError:
        return response.status_code, text


def is_forbidden(status: int, answer: object) -> bool:
    return status == 403 and isinstance(answer, dict) and answer.get("error", {}).get("code") == "forbidden" \
        and bool(answer["error"].get("message"))


def test_every_role_is_refused_where_the_rules_say_and_let_through_where_they_allow(stack: Stack, api: Api) -> None:
    tokens = {role: stack.user(role) for role in ROLES}
    wrong: list[str] = []
    calls = 0
    for (path, method), allowed in sorted(ALLOWED.items()):
        status, answer = call(api, method, path, None)
        calls += 1
        if allowed == PUBLIC:
            if status in (401, 403):
                wrong.append(f"{method} {path} without a token: {status} {json.dumps(answer)[:120]}")
            continue
        if status != 401:
            wrong.append(f"{method} {path} without a token: {status}, expected 401")
        for role, token in tokens.items():
            status, answer = call(api, method, path, token)
            calls += 1
            if role in allowed and status in (401, 403):
                wrong.append(f"{method} {path} as {role}: {status} {json.dumps(answer)[:160]}")
            elif role not in allowed and not is_forbidden(status, answer):
                wrong.append(f"{method} {path} as {role}: {status}, expected 403 with a JSON error")
    print(f"{calls} calls over {len(ALLOWED)} routes")
    assert wrong == [], "\n".join(wrong)


def test_signed_links_stand_in_for_a_token_only_when_valid(stack: Stack, api: Api) -> None:
    for method in ("GET", "POST"):
        status, answer = api.call(method, f"/alerts/{PROBE_ID}/ack?team=care&expires=4102444800&sig=forged", None)
        assert is_forbidden(status, answer), (method, status, answer)
        status, answer = api.call(method, f"/policy/2026-1/acknowledge?person={PROBE_ID}&expires=4102444800&sig=x")
        assert is_forbidden(status, answer), (method, status, answer)
