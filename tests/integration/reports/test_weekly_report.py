"""The weekly report on moto: a week of mentions through process_mentions, a published post with its metrics, the
engagement ledger; then the Monday-morning function, the JSON and the page through the API, the mail in a `report`
subscriber's local mailbox, and a rebuild that overwrites and mails nobody again. Also measures what one build reads
from DynamoDB (requests and items)."""
from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import botocore.client
import pytest

from chorus import container
from chorus.calendar.schemas import ChannelCreate, Post, Status
from chorus.core import time as timing
from chorus.core.roles import Principal
from chorus.local.scheduler import LambdaContext
from chorus.publishing.metrics.schemas import ChannelMetrics
from chorus.publishing.metrics.store import PostMetricsRepository
from chorus.publishing.schemas import Delivery
from tests.clock import Clock
from tests.integration.conftest import Api, Stack
from tests.integration.listening.test_listening import drain_ingest_queue

EVENT = json.loads((Path(__file__).resolve().parents[3] / "events" / "build_weekly_report.json").read_text())
WEDNESDAY = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)  # in 2026-W49
MONDAY_MORNING = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 08:00 in Amsterdam: the schedule fires
MASTER = Principal("master", frozenset({"master"}))


@pytest.fixture
def office(stack: Stack, api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stack, Api, Clock]]:
    monkeypatch.setenv("CHORUS_LOCAL_MAILBOX", "true")
    container.reset()
    clock = Clock(WEDNESDAY - timedelta(days=7))
    monkeypatch.setattr(container, "utc_now", clock)
    yield stack, api, clock
    container.reset()


class DynamoCalls:
    """Every DynamoDB request botocore makes meanwhile (PynamoDB goes through it too), and the items each read."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.requests: Counter[str] = Counter()
        self.items = 0
        original = botocore.client.BaseClient._make_api_call

        def counting(client: Any, operation: str, params: dict[str, Any]) -> Any:
            answer = original(client, operation, params)
            if client.meta.service_model.service_name == "dynamodb":
                self.requests[operation] += 1
                self.items += int(answer.get("ScannedCount", answer.get("Count", 0)) or 0)
                self.items += sum(len(v) for v in answer.get("Responses", {}).values())
                self.items += 1 if "Item" in answer else 0
            return answer

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)


def mention(n: int, text: str, followers: int) -> dict[str, Any]:
    return {"platform": "x", "id": f"70{n}", "text": text, "url": f"https://x.com/klant{n}/status/70{n}",
            "author": {"handle": f"klant{n}", "followers": followers}}


def seed_week(stack: Stack, api: Api, clock: Clock) -> None:
    care, master = stack.user("care"), stack.user("master")
    earlier = mention(0, "Wat een slechte service weer, al dagen geen internet.", 40)
    assert api.call("POST", "/mentions", care, earlier)[0] == 202
    assert drain_ingest_queue(stack) == {"failures": []}
    clock.now = WEDNESDAY
    for n, (text, followers) in enumerate((
            ("Al drie dagen geen internet en niemand neemt op. Schandalig slecht!", 25_000),
            ("Dank jullie wel voor de snelle hulp vandaag, top service!", 300),
            ("Hoe kan ik mijn abonnement opzeggen?", 12),
            ("Nog steeds storing, belachelijk. Ik stap over!", 80)), start=1):
        assert api.call("POST", "/mentions", care, mention(n, text, followers))[0] == 202
    assert drain_ingest_queue(stack) == {"failures": []}
    assert api.call("POST", "/subscriptions", master, {"name": "Weekoverleg", "team": "report", "protocol": "email",
                                                      "endpoint": "weekoverleg@example.org"})[0] == 201
    assert api.call("POST", "/subscriptions", master, {"name": "Care", "team": "care", "protocol": "email",
                                                      "endpoint": "care@example.org"})[0] == 201

    calendar = container.calendar()
    calendar.create_channel(MASTER, ChannelCreate(id="demo-local", platform="local", handle="@demo",
                                                  cadence_per_week=3))
    published = timing.iso_utc(WEDNESDAY)
    from chorus.calendar.store import PostRepository

    PostRepository().create(Post(id="p1", text="Onze nieuwe vestiging is open!", channels=["demo-local"],
                                 publish_at=published, author="editor", status=Status.PUBLISHED,
                                 deliveries={"demo-local": Delivery(status="published", published_at=published)},
                                 created_at=published, updated_at=published))
    PostMetricsRepository().write("p1", "demo-local", ChannelMetrics(platform="local", replies=2, reposts=3, likes=9,
                                                                     read_at=published))
    container.engagement_ledger().record("person-1", "share", WEDNESDAY, channel="linkedin")


def test_monday_morning_builds_stores_serves_and_mails_last_weeks_report_once(
        office: tuple[Stack, Api, Clock], monkeypatch: pytest.MonkeyPatch) -> None:
    from functions.build_weekly_report.handler import handler

    stack, api, clock = office
    seed_week(stack, api, clock)
    viewer = stack.user("viewer")
    clock.now = MONDAY_MORNING
    status, missing = api.call("GET", "/reports/weekly", viewer)
    assert status == 404 and "2026-W49 has not been built yet" in missing["error"]["message"]

    calls = DynamoCalls(monkeypatch)
    result = handler(EVENT, LambdaContext("BuildWeeklyReportFunction"))
    print(f"\nweekly report build: {sum(calls.requests.values())} DynamoDB requests "
          f"({dict(sorted(calls.requests.items()))}), {calls.items} items read; build says {result['items_read']}")
    assert result["week"] == "2026-W49" and result["mailed"] is True
    assert "Scan" not in calls.requests

    status, report = api.call("GET", "/reports/weekly", viewer)
    assert status == 200 and report["week"] == "2026-W49"
    assert (report["mentions"]["total"], report["mentions"]["previous_total"]) == (4, 1)
    intents = {c["key"]: c for c in report["mentions"]["by_intent"]}
    assert intents["complaint"]["count"] >= 2 and intents["complaint"]["previous"] == 1
    assert report["complaints"]["to_care"] >= 2 and report["complaints"]["still_open"] >= 2
    assert report["posts"]["channels"] == [{"channel": "demo-local", "platform": "local", "handle": "@demo",
                                            "published": 1, "target": 3, "failed": 0, "held": 0}]
    assert report["best_posts"][0]["engagements"] == 14
    assert report["advocacy"]["shares"] == 1 and report["advocacy"]["shares_by_channel"] == {"linkedin": 1}
    assert report["striking"][0]["author"] == "@klant1" and report["striking"][0]["reach"] >= 25_000
    assert api.call("GET", "/reports/weekly?week=2026-W49", viewer)[1] == report

    page = api.client.http.get("/reports/weekly/2026-W49.html", headers={"Authorization": f"Bearer {viewer}"})
    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    text = page.body.decode()
    assert "<h1>Weekly report 2026-W49</h1>" in text and "https://x.com/klant1/status/701" in text
    assert api.call("GET", "/reports/weekly/2026-W49.pdf", viewer)[0] == 404
    assert api.call("GET", "/reports/weekly", stack.user("publisher"))[0] == 403

    box = api.call("GET", "/mailbox", stack.user("care"))[1]["items"]
    reports = [e for e in box if e["attributes"].get("kind") == "report"]
    assert [e["subscriber"] for e in reports] == ["Weekoverleg"]  # the care subscriber got no report
    assert reports[0]["subject"].startswith("Chorus weekrapport 2026-W49: 1 berichten, 4 vermeldingen (+3)")
    assert "reports/weekly/2026-W49.html" in reports[0]["text"] and "X-Amz-Signature" in reports[0]["text"]

    again = handler(EVENT, LambdaContext("BuildWeeklyReportFunction"))
    assert again["mailed"] is False and again["html_key"] == result["html_key"]
    box = api.call("GET", "/mailbox", stack.user("care"))[1]["items"]
    assert sum(e["attributes"].get("kind") == "report" for e in box) == 1


def test_a_master_builds_a_week_now_and_exports_its_mentions(office: tuple[Stack, Api, Clock]) -> None:
    stack, api, clock = office
    seed_week(stack, api, clock)
    master, editor = stack.user("master"), stack.user("editor")
    clock.now = WEDNESDAY + timedelta(hours=2)
    assert api.call("POST", "/reports/weekly/build?week=2026-W49", editor)[0] == 403
    status, built = api.call("POST", "/reports/weekly/build?week=2026-W49", master)
    assert status == 200 and built["mailed"] is False  # the week so far is never mailed
    assert api.call("GET", "/reports/weekly?week=2026-W49", editor)[1]["mentions"]["total"] == 4
    assert api.call("POST", "/reports/weekly/build?week=2026-W50", master)[0] == 400  # not begun yet
    status, problem = api.call("GET", "/reports/weekly?week=2026-49", editor)
    assert status == 400 and problem["error"]["field"] == "week"

    export = api.client.http.get("/reports/mentions/export?from=2026-11-30&to=2026-12-07",
                                 headers={"Authorization": f"Bearer {editor}"})
    assert export.status_code == 200 and export.headers["Content-Type"].startswith("text/csv")
    assert 'filename="chorus-mentions-2026-11-30-2026-12-07.csv"' in export.headers["Content-Disposition"]
    lines = export.body.decode().splitlines()
    assert len(lines) == 1 + 4 and all("klant0" not in line for line in lines)  # last week's mention is not in it
    status, problem = api.call("GET", "/reports/mentions/export?from=2026-12-07&to=2026-12-01", editor)
    assert status == 400 and problem["error"]["field"] == "to"
