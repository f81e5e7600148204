"""Escalation and the signed acknowledge link on moto: the escalate_alerts handler queries the sparse `escalation`
index and tells the lead through SNS (filter policies, local mailbox); an email's link opens a page that changes
nothing, and its button acknowledges as the team the email went to."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from chorus import container
from chorus.core import time as timing
from chorus.listening.escalation import rules as escalation
from chorus.listening.rules import DEFAULT_RULES
from chorus.listening.schemas import Alert
from chorus.listening.store import AlertRepository
from chorus.local.scheduler import LambdaContext
from tests.integration.conftest import Api, Stack
from tests.integration.listening.test_listening import DUTCH_COMPLAINT, drain_ingest_queue

PUBLIC_API = "https://chorus.example/api"
EVENT = json.loads((Path(__file__).resolve().parents[3] / "events" / "escalate_alerts.json").read_text())


@pytest.fixture(autouse=True)
def public_api_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHORUS_PUBLIC_API_URL", PUBLIC_API)  # read when the listening fixture resets the container


def subscribe(api: Api, token: str, *bodies: dict[str, str]) -> None:
    for body in bodies:
        status, created = api.call("POST", "/subscriptions", token, body)
        assert status == 201, created


def open_alert(n: int, raised: datetime) -> Alert:
    """An open care alert raised at `raised` (as process_mentions would have stored it then)."""
    alert = Alert(id=f"a{n:024x}", team="care", severity="medium", reason="complaint (nl)", intent="complaint",
                  language="nl", platform="x", facet="brand", mention_id=f"m{n}", conversation=f"x#{n}",
                  author_handle=f"klant{n}", excerpt=f"{DUTCH_COMPLAINT} ({n})", url=f"https://x.com/k/status/{n}",
                  created_at=timing.iso_utc(raised), notified_at=timing.iso_utc(raised),
                  expires_at=int((raised + timedelta(days=90)).timestamp()))
    return alert.model_copy(update={"escalate_at": escalation.next_escalate_at(alert, DEFAULT_RULES.escalation)})


@contextmanager
def dynamodb_reads() -> Iterator[Counter[str]]:
    """Requests per DynamoDB operation, and `items`: what they read (a Query's scanned items, a GetItem's item)."""
    from botocore.client import BaseClient

    counted: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(client: Any, operation: str, params: dict[str, Any]) -> Any:
        response = original(client, operation, params)
        if client.meta.service_model.service_name == "dynamodb":
            counted[operation] += 1
            counted["items"] += response.get("ScannedCount", 0) if operation == "Query" else int("Item" in response)
        return response

    BaseClient._make_api_call = counting
    try:
        yield counted
    finally:
        BaseClient._make_api_call = original


def test_the_handler_reads_only_the_due_alerts_and_tells_the_lead_once(listening: tuple[Stack, Api]) -> None:
    from functions.escalate_alerts.handler import handler

    stack, api = listening
    subscribe(api, stack.user("master"),
              {"name": "Care desk", "team": "care", "protocol": "email", "endpoint": "care@example.org"},
              {"name": "Lead", "team": "care-lead", "protocol": "email", "endpoint": "lead@example.org",
               "language": "en"},
              {"name": "Lead phone", "team": "care-lead", "protocol": "sms", "endpoint": "06 1234 5670"},
              {"name": "PR duty", "team": "pr", "protocol": "email", "endpoint": "pr@example.org"})
    now = datetime.now(UTC)
    alerts = AlertRepository()
    for n in range(1000):  # 1,000 open care alerts; three were raised 31 minutes ago and are due for the lead
        assert alerts.create(open_alert(n, now - timedelta(minutes=31 if n < 3 else 5))) is not None

    with dynamodb_reads() as reads:
        result = handler(EVENT, LambdaContext("EscalateAlertsFunction"))
    assert result == {"alerts_due": 3, "escalations_sent": 3}
    print(f"\nescalation run, 1,000 open alerts, 3 due: DynamoDB {dict(reads)}")
    # One Query returning 3 index keys, a consistent GetItem per due alert and per its mention (answered meanwhile?
    # none is stored here), one for the routing rules (none stored).
    assert (reads["Query"], reads["GetItem"], reads["items"]) == (1, 7, 6)
    assert handler(EVENT, LambdaContext("EscalateAlertsFunction")) == {"alerts_due": 0, "escalations_sent": 0}

    status, box = api.call("GET", "/mailbox", stack.user("care"))
    assert status == 200
    received = Counter((e["subscriber"], e["attributes"]["kind"]) for e in box["items"])
    assert received == {("Lead", "escalation"): 3, ("Lead phone", "escalation"): 3}  # medium raised to high: SMS too
    lead = next(e for e in box["items"] if e["subscriber"] == "Lead")
    assert lead["text"].startswith("Escalation to care-lead: this care alert has been open for 31 minutes")
    assert DUTCH_COMPLAINT in lead["text"] and "team=care-lead" in lead["text"]
    phone = next(e for e in box["items"] if e["subscriber"] == "Lead phone")  # Dutch by default
    assert phone["endpoint"] == "+31612345670" and phone["attributes"]["locale"] == "nl"
    assert phone["text"].startswith("Escalatie naar care-lead: deze melding voor care staat al 31 minuten open")
    stored = alerts.get("a" + "0" * 24, now)
    assert stored is not None and stored.escalated_to == ["care-lead"]
    assert stored.escalate_at == timing.iso_utc(timing.from_iso_utc(stored.created_at) + timedelta(minutes=120))


def test_an_email_link_opens_a_page_that_changes_nothing_and_its_button_acknowledges(
        listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    care = stack.user("care")
    subscribe(api, stack.user("master"),
              {"name": "Care desk", "team": "care", "protocol": "email", "endpoint": "c@example.org", "language": "en"})
    mention = {"platform": "x", "id": "1850000000000000009", "text": DUTCH_COMPLAINT, "author": {"handle": "klant9"}}
    assert api.call("POST", "/mentions", care, mention)[0] == 202
    assert drain_ingest_queue(stack) == {"failures": []}
    [email] = api.call("GET", "/mailbox", care)[1]["items"]
    link = next(line.removeprefix("Acknowledge: ") for line in email["text"].splitlines()
                if line.startswith("Acknowledge: "))
    assert link.startswith(PUBLIC_API + "/alerts/")
    path = link.removeprefix(PUBLIC_API)
    alert_id = urlsplit(path).path.split("/")[2]

    page = api.client.http.get(path)  # what a mail scanner or a person's browser does first
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert page.headers["Referrer-Policy"] == "no-referrer" and "<form method=\"post\">" in page.body.decode()
    alert = container.listening().alert(alert_id)
    assert alert.status == "open" and alert.escalate_at is not None

    done = api.client.http.post(path, headers={"Content-Type": "application/x-www-form-urlencoded"}, body="")
    assert done.status_code == 200 and "Acknowledged by <b>care (email link)</b>" in done.body.decode()
    alert = container.listening().alert(alert_id)
    assert (alert.status, alert.acknowledged_by, alert.escalate_at) == ("acknowledged", "care (email link)", None)
    assert AlertRepository().due_for_escalation(datetime.now(UTC) + timedelta(days=1), 10) == []


def test_a_tampered_or_expired_link_is_403_and_changes_nothing(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    now = datetime.now(UTC)
    alert = open_alert(7, now)
    AlertRepository().create(alert)
    links = container.ack_links()
    good = (links.link(alert.id, "care", now) or "").removeprefix(PUBLIC_API)
    old = (links.link(alert.id, "care", now - timedelta(days=8)) or "").removeprefix(PUBLIC_API)
    for path, reason in ((good.replace("team=care", "team=pr"), "not valid"),
                         (good[:-4] + "AAAA", "not valid"),
                         (old, "expired"),
                         (good.split("&sig=")[0], "incomplete"),
                         (good.replace(alert.id, "a" + "f" * 24), "not valid")):
        for method in ("GET", "POST"):
            status, body = api.call(method, path)
            assert status == 403 and body["error"]["code"] == "forbidden", (path, body)
            assert reason in body["error"]["message"], (path, body)
    assert container.listening().alert(alert.id).status == "open"

    assert api.call("POST", f"/alerts/{alert.id}/ack")[0] == 401  # neither a link nor a token
    status, acked = api.call("POST", f"/alerts/{alert.id}/ack", stack.user("care", "carla"))  # the API as before
    assert status == 200 and acked["acknowledged_by"] == "carla" and acked["escalate_at"] is None


def test_the_stages_are_set_in_the_routing_rules(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    master = stack.user("master")
    rules = api.call("GET", "/routing-rules", master)[1]
    stages = rules["escalation"]
    assert (stages["unacknowledged_to_lead_minutes"], stages["unacknowledged_to_pr_minutes"]) == (30, 120)
    rules["escalation"].update(unacknowledged_to_lead_minutes=None, unacknowledged_to_pr_minutes=45)
    status, saved = api.call("PUT", "/routing-rules", master, rules)
    assert status == 200 and saved["escalation"]["unacknowledged_to_lead_minutes"] is None
    rules["escalation"].update(unacknowledged_to_lead_minutes=60, unacknowledged_to_pr_minutes=45)
    status, error = api.call("PUT", "/routing-rules", master, rules)
    assert status == 400 and "must be more than unacknowledged_to_lead_minutes" in error["error"]["message"]
    assert api.call("GET", "/routing-rules", master)[1]["escalation"]["unacknowledged_to_pr_minutes"] == 45


def test_the_link_of_an_alert_whose_mention_was_resolved_says_so(listening: tuple[Stack, Api]) -> None:
    """Issue 11, item 2: resolving the mention ends its alert; the email's link then shows who resolved it."""
    stack, api = listening
    care = stack.user("care", "carla")
    subscribe(api, stack.user("master"),
              {"name": "Care desk", "team": "care", "protocol": "email", "endpoint": "c@example.org"})
    mention = {"platform": "x", "id": "1850000000000000019", "text": DUTCH_COMPLAINT, "author": {"handle": "klant19"}}
    status, queued = api.call("POST", "/mentions", care, mention)
    assert status == 202 and drain_ingest_queue(stack) == {"failures": []}
    assert api.call("POST", f"/mentions/{queued['id']}/status", care, {"status": "resolved"})[0] == 200
    [email] = api.call("GET", "/mailbox", care)[1]["items"]  # a Dutch subscriber (the default): a Dutch page
    label = "Klik om het op te pakken: "
    link = next(line.removeprefix(label + PUBLIC_API) for line in email["text"].splitlines() if line.startswith(label))
    assert link.endswith("&lang=nl") and email["subject"].startswith("[care middel] klacht (nl) op x door @klant19")
    page = api.client.http.get(link).body.decode()
    assert '<html lang="nl">' in page and "Melding afgehandeld" in page and "<form" not in page
    assert "Het bericht is afgehandeld door <b>carla</b>" in page
    done = api.client.http.post(link, headers={"Content-Type": "application/x-www-form-urlencoded"}, body="")
    assert done.status_code == 200 and "Het bericht is afgehandeld door <b>carla</b>" in done.body.decode()


def test_alerts_are_listed_in_pages_across_months_without_gaps_or_repeats(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    care = stack.user("care")
    container.listening()  # binds the tables
    now = datetime.now(UTC)
    raised = [now - timedelta(days=d, minutes=n) for n, d in enumerate((0, 0, 1, 20, 35, 40, 50))]  # 2 or 3 months
    for n, moment in enumerate(raised):
        AlertRepository().create(open_alert(100 + n, moment))
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        status, page = api.call("GET", f"/alerts?hours=1440&limit=3{'&cursor=' + cursor if cursor else ''}", care)
        assert status == 200 and len(page["items"]) <= 3
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    expected = [open_alert(100 + n, moment).id for n, moment in sorted(enumerate(raised), key=lambda p: p[1],
                                                                        reverse=True)]
    assert seen == expected
    status, error = api.call("GET", "/alerts?cursor=bm90LWEtY3Vyc29y", care)
    assert status == 400 and error["error"]["field"] == "cursor"
