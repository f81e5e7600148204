"""Spike detection on moto: negative mentions through process_mentions (each counted in the transaction that stores
it), the detect_spikes handler, the PR alert in the local mailbox, GET /spikes, and the opt-in crisis hold."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chorus import container
from chorus.listening.classify import classify
from chorus.listening.spikes import rules as spikes
from chorus.listening.spikes.store import SpikeRepository
from chorus.listening.store import CounterItem
from chorus.local.scheduler import LambdaContext
from tests.integration.conftest import Api, Stack
from tests.integration.listening.test_listening import drain_ingest_queue

EVENT = json.loads((Path(__file__).resolve().parents[3] / "events" / "detect_spikes.json").read_text())
DUTCH = [
    "Alweer een storing bij het internet, al drie dagen niks. Schandalig!",
    "Storing in Utrecht, internet ligt er weer uit en de klantenservice neemt niet op",
    "Waardeloze service, internet storing en niemand helpt me",
    "Geen internet sinds gisteren, storing duurt veel te lang. Dit is echt slecht",
    "Internet doet het niet, storing, ik betaal wel gewoon door. Belachelijk",
    "Wat een drama weer met jullie storing, thuiswerken gaat zo niet",
    "Ik ben het zat, elke week een storing. Internet onbetrouwbaar",
    "Schandalig dat de storing nog steeds niet is opgelost, internet weg",
    "Weer geen internet door een storing. Klantenservice is onbereikbaar, slecht",
    "Storing! Internet kapot en niemand die iets laat weten. Waardeloos",
    "Hoe lang duurt deze storing nog? Al uren geen internet, echt belachelijk",
    "Internet storing voor de derde keer deze week, ik stap over. Slechte service",
]
ENGLISH = [
    "Your staff were rude to me again today, terrible service",
    "Terrible experience with your employees, nobody helped me at all",
    "Worst customer service ever, your staff ignored me for an hour",
    "Your employees are useless, I waited all day and nobody came. Terrible",
    "Awful attitude from your staff, I am never coming back. Terrible",
    "The staff at your shop were rude and unhelpful, really bad service",
]




def _subscribe(api: Api, token: str) -> None:
    for body in ({"name": "Care desk", "team": "care", "protocol": "email", "endpoint": "care@example.org"},
                 {"name": "PR duty", "team": "pr", "protocol": "email", "endpoint": "pr@example.org", "language": "en"},
                 {"name": "PR phone", "team": "pr", "protocol": "sms", "endpoint": "+31612345678", "language": "en"}):
        status, created = api.call("POST", "/subscriptions", token, body)
        assert status == 201, created


def _post(api: Api, token: str, texts: list[str], prefix: str, facet: str) -> int:
    """Post the texts as mentions by different authors; returns how many the classifier calls negative."""
    for n, text in enumerate(texts):
        body = {"platform": "x", "id": f"{prefix}{n}", "text": text, "facet": facet,
                "author": {"handle": f"klant{n % 5}", "followers": 100 + n},
                "url": f"https://x.com/klant{n % 5}/status/{prefix}{n}"}
        assert api.call("POST", "/mentions", token, body)[0] == 202
    return sum(spikes.is_negative(c.intent, c.sentiment) for c in map(classify, texts))


def _counted(series: str, now: datetime) -> int:
    window = spikes.windows(series, now, baseline_days=1)
    return sum(SpikeRepository(container.settings().org).counts(list(window.recent)).values())


def test_a_spike_of_dutch_complaints_reaches_pr_once_saying_why(listening: tuple[Stack, Api]) -> None:
    from functions.detect_spikes.handler import handler

    stack, api = listening
    master, care = stack.user("master"), stack.user("care")
    _subscribe(api, master)
    now = datetime.now(UTC)
    org = container.settings().org
    for day in range(1, 8):  # a usual week: two negative mentions at this hour each day
        name = spikes.counter_name("brand#nl", spikes.bucket_of(now - timedelta(days=day)))
        CounterItem(org, name, total=2, updated_at="seed", expires_at=int((now + timedelta(days=1)).timestamp())).save()

    negative = _post(api, care, DUTCH, "nl", "brand")
    _post(api, care, DUTCH[:3], "nl", "brand")  # the same posts again (another tool, or SQS redelivering)
    assert drain_ingest_queue(stack) == {"failures": []}
    assert negative >= 10 and _counted("brand#nl", datetime.now(UTC)) == negative  # each counted once

    result = handler(EVENT, LambdaContext("DetectSpikesFunction"))
    assert result["alerts"] == 1 and result["series"] == 9
    print(f"\ndetect_spikes run: {result['items_read']} DynamoDB items read "
          f"(1 rules + {9 * 48} counters + 9 watches by key; "
          f"for the alert {negative} negative mentions + the crisis state)")
    assert result["items_read"] == 1 + 9 * 48 + 9 + negative + 1

    status, box = api.call("GET", "/mailbox", care)
    assert status == 200
    spike_mail = [e for e in box["items"] if e["attributes"].get("kind") == "spike"]
    assert sorted((e["subscriber"], e["protocol"]) for e in spike_mail) == [("PR duty", "email"), ("PR phone", "sms")]
    text = spike_mail[0]["text"]
    subject = f"[pr high] spike: {negative} negative mentions about the brand in Dutch"
    assert spike_mail[0]["subject"].startswith(subject)
    assert f"{negative} negative mentions in the last hour; usually 2.0 ± 1.4 at this hour over the last 7 days" in text
    assert "Top terms: " in text and "storing" in text and "internet" in text and "Top authors: @klant" in text
    assert text.count("https://x.com/klant") == 3
    assert "Crisis hold: not switched on" in text
    assert all(e["attributes"]["kind"] == "mention" for e in box["items"] if e["subscriber"] == "Care desk")

    assert handler(EVENT, LambdaContext("DetectSpikesFunction"))["alerts"] == 0  # cooling down: no second alert
    status, again = api.call("GET", "/mailbox", care)
    assert len([e for e in again["items"] if e["attributes"].get("kind") == "spike"]) == 2

    status, listed = api.call("GET", "/spikes?days=1", care)
    assert status == 200
    assert [(s["facet"], s["language"], s["count"]) for s in listed["items"]] == [("brand", "nl", negative)]
    assert listed["items"][0]["notified_at"] and len(listed["items"][0]["examples"]) == 3
    assert listed["next_cursor"] is None
    assert api.call("GET", "/spikes?days=0", care)[0] == 400


def test_an_organisation_that_opted_in_gets_the_crisis_hold_switched_on_by_a_spike(
        listening: tuple[Stack, Api]) -> None:
    from functions.detect_spikes.handler import handler

    stack, api = listening
    master, pr = stack.user("master"), stack.user("pr")
    _subscribe(api, master)
    status, rules = api.call("GET", "/routing-rules", pr)
    assert status == 200 and rules["spike"] == {"enabled": True, "sigmas": 3.0, "min_count": 10, "baseline_days": 7,
                                                "cooldown_minutes": 120, "crisis_hold": False}
    rules["spike"].update(crisis_hold=True, min_count=4)
    assert api.call("PUT", "/routing-rules", pr, rules)[0] == 200
    bad = {**rules, "spike": {**rules["spike"], "sigmas": 0}}
    assert api.call("PUT", "/routing-rules", pr, bad)[0] == 400

    negative = _post(api, pr, ENGLISH, "en", "employees")
    assert drain_ingest_queue(stack) == {"failures": []}
    assert negative >= 4
    assert handler(EVENT, LambdaContext("DetectSpikesFunction"))["alerts"] == 1

    status, crisis = api.call("GET", "/crisis", pr)
    assert status == 200 and crisis["active"] is True and crisis["by"] == "spike-detector"
    reason = f"spike of negative mentions about the employees (en): {negative} negative mentions"
    assert crisis["reason"].startswith(reason)
    status, box = api.call("GET", "/mailbox", pr)
    [mail, _] = [e for e in box["items"] if e["attributes"].get("kind") == "spike"]
    assert "Crisis hold: switched ON by this spike" in mail["text"] and mail["attributes"]["facet"] == "employees"


def test_a_clash_on_a_busy_counter_is_retried_and_the_mention_counted_once(listening: tuple[Stack, Api],
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Concurrent first stores in one series and bucket meet on its counter; DynamoDB cancels the later transaction
    (TransactionConflict). The store retries it; nothing is lost and nothing counted twice."""
    from pynamodb.exceptions import CancellationReason, TransactWriteError, VerboseClientError

    from chorus.listening import store as spikes_digest_store

    clashes: list[int] = []

    class ClashingTwice(spikes_digest_store.TransactWrite):
        def _commit(self) -> object:
            if len(clashes) < 2:
                clashes.append(1)
                raise TransactWriteError("Failed to commit transaction", cause=VerboseClientError(
                    {"Error": {"Code": "TransactionCanceledException", "Message": "conflict"}}, "TransactWriteItems",
                    cancellation_reasons=[None, CancellationReason(code="TransactionConflict")]))
            return super()._commit()

    monkeypatch.setattr(spikes_digest_store, "TransactWrite", ClashingTwice)
    stack, api = listening
    negative = _post(api, stack.user("care"), DUTCH[:1], "clash", "company")
    assert negative == 1 and drain_ingest_queue(stack) == {"failures": []}
    assert clashes == [1, 1] and _counted("company#nl", datetime.now(UTC)) == 1
