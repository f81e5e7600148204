"""Digests on moto: mentions through process_mentions, the send_digests handler at a digest time, and what each
local subscriber's mailbox queue received (SNS evaluates the real filter policies for SQS subscriptions)."""
from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chorus import container
from chorus.core import time as timing
from chorus.local.scheduler import LambdaContext
from tests.clock import Clock
from tests.integration.conftest import Api, Stack
from tests.integration.listening.test_listening import drain_ingest_queue

EVENT = json.loads((Path(__file__).resolve().parents[3] / "events" / "send_digests.json").read_text())
ZONE = timing.zone("Europe/Amsterdam")


@pytest.fixture
def at_the_office(stack: Stack, api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Stack, Api, Clock]]:
    """The local runtime with a clock set to 08:50 in Amsterdam today (services built after this read it)."""
    monkeypatch.setenv("CHORUS_LOCAL_MAILBOX", "true")
    container.reset()
    today = datetime.now(ZONE).date()
    clock = Clock(datetime(today.year, today.month, today.day, 8, 50, tzinfo=ZONE).astimezone(UTC))
    monkeypatch.setattr(container, "utc_now", clock)
    yield stack, api, clock
    container.reset()


def test_each_team_gets_one_digest_by_email_whatever_its_minimum_severity_and_never_by_sms(
        at_the_office: tuple[Stack, Api, Clock]) -> None:
    from functions.send_digests.handler import handler

    stack, api, clock = at_the_office
    master, care = stack.user("master"), stack.user("care")
    for subscription in (
            {"name": "Care lead", "team": "care", "protocol": "email", "endpoint": "lead@example.org",
             "min_severity": "high", "language": "en"},
            {"name": "Care phone", "team": "care", "protocol": "sms", "endpoint": "+31612345678"},
            {"name": "PR duty", "team": "pr", "protocol": "email", "endpoint": "pr@example.org", "language": "en"},
            {"name": "Marketing", "team": "marketing", "protocol": "email", "endpoint": "mk@example.org"}):
        assert api.call("POST", "/subscriptions", master, subscription)[0] == 201
    for n, text in enumerate(("Al drie dagen geen internet en niemand neemt op. Schandalig slecht!",
                              "Dank jullie wel voor de snelle hulp vandaag, top service!",
                              "Hoe kan ik mijn abonnement opzeggen?")):
        mention = {"platform": "x", "id": f"90{n}", "text": text, "author": {"handle": f"klant{n}", "followers": 50},
                   "url": f"https://x.com/klant{n}/status/90{n}"}
        assert api.call("POST", "/mentions", care, mention)[0] == 202
    assert drain_ingest_queue(stack) == {"failures": []}
    before = {(e["subscriber"], e["subject"]) for e in api.call("GET", "/mailbox", care)[1]["items"]}

    assert handler(EVENT, LambdaContext("SendDigestsFunction"))["due"] is None  # 08:50: no digest time
    clock.now += timedelta(minutes=10, seconds=30)  # 09:00:30
    result = handler(EVENT, LambdaContext("SendDigestsFunction"))
    assert result["sent"] == 4
    # rules + slot, the period's 3 mentions, 1 open complaint, the 3 alerts they raised (no spikes)
    assert result["items_read"] == 2 + 3 + 1 + 3
    print(f"\nsend_digests run: {result['items_read']} DynamoDB items read for 4 digests")

    status, box = api.call("GET", "/mailbox", care)
    digests = {e["subscriber"]: e for e in box["items"] if (e["subscriber"], e["subject"]) not in before}
    assert set(digests) == {"Care lead", "PR duty", "Marketing"}  # the SMS subscriber got nothing
    locales = {"Care lead": "en", "PR duty": "en", "Marketing": "nl"}  # each reads it in their own language
    assert all(e["protocol"] == "email" and e["attributes"] == {"team": e["team"], "kind": "digest",
                                                                 "locale": locales[name]}
               for name, e in digests.items())
    care_digest = digests["Care lead"]
    assert care_digest["subject"].endswith("09:00: 3 new, 1 open complaints")
    assert "New mentions: 3 (routed to care: 2)" in care_digest["text"]
    assert "@klant0 on x (nl, new)" in care_digest["text"] and "https://x.com/klant0/status/900" in care_digest["text"]
    assert "Open complaints for pr: 0" in digests["PR duty"]["text"]
    assert "  compliment     1   marketing: 1" in digests["Marketing"]["text"]  # Dutch, the default
    assert digests["Marketing"]["subject"].startswith("[marketing overzicht]")

    clock.now += timedelta(minutes=15)
    assert handler(EVENT, LambdaContext("SendDigestsFunction"))["sent"] == 0  # once per digest time
    status, after = api.call("GET", "/mailbox", care)
    assert len(after["items"]) == len(box["items"])
