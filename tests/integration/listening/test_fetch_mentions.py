"""fetch_mentions on moto, as Lambda runs it, against feeds served over HTTP on 127.0.0.1: conditional GETs,
claims that keep overlapping runs apart, failures kept on the source, credentials from Secrets Manager, and the
number of AWS requests a run makes."""
from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from chorus import container
from chorus.core import time as timing
from chorus.core.roles import Principal
from chorus.listening.sources.schemas import SourceCreate
from chorus.listening.sources.store import SourceItem
from chorus.listening.store import parse_ingest_message
from chorus.local.demo_feed import FeedServer
from chorus.local.scheduler import LambdaContext
from tests.integration.conftest import REGION, Stack

EVENT = json.loads((Path(__file__).resolve().parents[3] / "events" / "fetch_mentions.json").read_text())
MASTER = Principal("master", frozenset({"master"}))


def atom(*entries: tuple[str, str, str]) -> bytes:
    """(id, published, text) per entry."""
    body = "".join(f"<entry><id>{i}</id><title>{text[:30]}</title><link href='https://news.example.nl/{i}'/>"
                   f"<published>{at}</published><content type='html'>{text}</content></entry>"
                   for i, at, text in entries)
    return (f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><id>t</id>"
            f"<title>Alert</title>{body}</feed>").encode()


COMPLAINT = ("c1", "2026-11-20T08:00:00Z", "Al twee dagen kan ik niet inloggen bij de gemeente. Waardeloos!")
QUESTION = ("q1", "2026-11-20T08:05:00Z", "Hoe vraag ik een parkeervergunning aan bij de gemeente?")


@pytest.fixture
def feeds(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[FeedServer]:
    monkeypatch.setenv("CHORUS_SOURCES_ALLOW_LOOPBACK", "true")
    container.reset()
    server = FeedServer().start()
    yield server
    server.stop()


def add_feed(feeds: FeedServer, source_id: str, document: bytes, **fields: Any) -> None:
    feeds.publish(f"/{source_id}.xml", document, modified_at=1_763_625_600)
    container.sources().create(SourceCreate(id=source_id, kind="rss", name=source_id,
                                            facet=fields.pop("facet", "brand"),
                                            settings={"url": feeds.url(f"/{source_id}.xml")}, **fields), MASTER)


def run() -> dict[str, Any]:
    from functions.fetch_mentions.handler import handler

    return handler(dict(EVENT), LambdaContext("FetchMentionsFunction", timeout_seconds=120))


def make_due(source_id: str) -> None:
    SourceItem("default", source_id).update(actions=[SourceItem.next_poll_at.set("2026-01-01T00:00:00Z")])


def watermark(source_id: str) -> dict[str, str]:
    stored = container.sources().store.get(source_id)
    assert stored is not None, source_id
    return stored.watermark


def instant(value: str | None) -> datetime:
    """A time the source's fetch state must have by now."""
    assert value is not None
    return timing.from_iso_utc(value)


def queued(stack: Stack) -> list[tuple[Any, str | None]]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = stack.environment["CHORUS_INGEST_QUEUE_URL"]
    found = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            found.append(parse_ingest_message(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


def test_a_feed_is_queued_then_read_with_a_conditional_get_and_only_new_entries_follow(stack: Stack,
                                                                                       feeds: FeedServer) -> None:
    add_feed(feeds, "alerts", atom(COMPLAINT, QUESTION), facet="company", language="nl")

    summary = run()

    assert (summary["due"], summary["polled"], summary["mentions_queued"], summary["failed"]) == (1, 1, 2, 0)
    sent = queued(stack)
    assert sorted((m.platform_id, m.source_id, m.language_hint, facet) for m, facet in sent) == [
        ("c1", "alerts", "nl", "company"), ("q1", "alerts", "nl", "company")]
    view = container.sources().get("alerts")
    next_poll = instant(view.fetch.next_poll_at) - instant(view.fetch.last_fetched_at)
    assert view.fetch.items_last_run == 2 and next_poll == timedelta(minutes=15) and view.fetch.fetching_until is None

    assert run()["due"] == 0  # not due for 15 minutes
    make_due("alerts")
    assert run()["mentions_queued"] == 0
    assert [(r.status, "If-None-Match" in r.headers) for r in feeds.requests] == [(200, False), (304, True)]
    assert container.sources().get("alerts").fetch.not_modified and queued(stack) == []

    feeds.publish("/alerts.xml", atom(COMPLAINT, QUESTION, ("p1", "2026-11-20T09:00:00Z", "Top geregeld, dank!")),
                  modified_at=1_763_629_200)
    make_due("alerts")
    assert run()["mentions_queued"] == 1
    assert [m.platform_id for m, _ in queued(stack)] == ["p1"]


def test_overlapping_runs_fetch_each_source_once(stack: Stack, feeds: FeedServer) -> None:
    for n in range(8):
        add_feed(feeds, f"s{n}", atom((f"e{n}", "2026-11-20T08:00:00Z", f"bericht {n} over de gemeente")))
    summaries: list[dict[str, Any]] = []
    runs = [threading.Thread(target=lambda: summaries.append(run())) for _ in range(3)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(timeout=60)

    assert Counter(r.path for r in feeds.requests) == {f"/s{n}.xml": 1 for n in range(8)}
    assert sum(s["polled"] for s in summaries) == 8
    assert sorted(m.platform_id for m, _ in queued(stack)) == [f"e{n}" for n in range(8)]


def test_a_failing_feed_keeps_its_error_and_backs_off_while_the_others_are_read(stack: Stack,
                                                                                feeds: FeedServer) -> None:
    add_feed(feeds, "good", atom(COMPLAINT))
    container.sources().create(SourceCreate(id="gone", kind="rss", name="gone", facet="brand",
                                            settings={"url": feeds.url("/missing.xml")}), MASTER)
    before = datetime.now(UTC).replace(microsecond=0)

    summary = run()

    assert (summary["polled"], summary["failed"], summary["mentions_queued"]) == (2, 1, 1)
    gone = container.sources().get("gone").fetch
    assert gone.last_error is not None
    assert gone.consecutive_failures == 1 and "PermanentFailure" in gone.last_error and "404" in gone.last_error
    assert instant(gone.next_poll_at) >= before + timedelta(minutes=15)
    make_due("gone")
    run()
    gone = container.sources().get("gone").fetch
    waited = instant(gone.next_poll_at) - instant(gone.last_fetched_at)
    assert gone.consecutive_failures == 2 and waited == timedelta(minutes=30)


def test_a_send_that_fails_leaves_the_watermark_so_the_next_poll_reads_the_feed_again(
        stack: Stack, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    add_feed(feeds, "alerts", atom(COMPLAINT))
    monkeypatch.setenv("CHORUS_INGEST_QUEUE_URL", stack.environment["CHORUS_INGEST_QUEUE_URL"] + "-gone")
    container.reset()

    assert run()["failed"] == 1
    assert watermark("alerts") == {}
    assert container.sources().get("alerts").fetch.consecutive_failures == 1

    monkeypatch.setenv("CHORUS_INGEST_QUEUE_URL", stack.environment["CHORUS_INGEST_QUEUE_URL"])
    container.reset()
    make_due("alerts")
    assert run()["mentions_queued"] == 1
    assert [r.status for r in feeds.requests] == [200, 200]  # no conditional GET: the first read was not saved
    assert [m.platform_id for m, _ in queued(stack)] == ["c1"]


def test_credentials_come_from_the_sources_secret(stack: Stack, feeds: FeedServer) -> None:
    statuses = [{"id": "1100", "created_at": "2026-11-20T08:00:00Z", "url": "https://social.example/@klant/1100",
                 "content": "<p>Waarom reageert de gemeente niet op mijn melding?</p>",
                 "account": {"acct": "klant@social.example", "display_name": "Klant", "followers_count": 12}}]
    feeds.publish("/api/v2/search", json.dumps({"statuses": statuses}).encode(), modified_at=1_763_625_600)
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="chorus-local/sources/masto-search", SecretString=json.dumps({"access_token": "masto-t0ken"}))
    search = {"instance_url": feeds.url(""), "mode": "search", "query": "gemeente"}
    container.sources().create(SourceCreate(id="masto", kind="mastodon", name="Mastodon search", facet="brand",
                                            settings=search, secret="masto-search"), MASTER)

    assert run()["mentions_queued"] == 1
    assert feeds.requests[0].headers["Authorization"] == "Bearer masto-t0ken"
    assert [(m.platform, m.platform_id, m.author.followers) for m, _ in queued(stack)] == [("mastodon", "1100", 12)]


@pytest.mark.parametrize("sources", [1, 10, 40])
def test_aws_requests_per_run(stack: Stack, feeds: FeedServer, monkeypatch: pytest.MonkeyPatch, sources: int) -> None:
    """One Query for the due sources, then per source one UpdateItem to claim it and one to save it; one SQS batch
    per ten mentions. A run where nothing is due costs one Query."""
    from botocore.client import BaseClient

    for n in range(sources):
        add_feed(feeds, f"s{n}", atom(*[(f"e{n}-{k}", "2026-11-20T08:00:00Z", f"bericht {k}") for k in range(3)]))
    calls: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
        calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
        return original(client, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", counted)
    summary = run()
    first = dict(calls)
    calls.clear()
    idle = run()

    print(f"{sources} due sources: {first}; a run with nothing due: {dict(calls)}")
    assert summary["polled"] == sources and summary["mentions_queued"] == 3 * sources
    assert first == {"dynamodb:Query": 1, "dynamodb:UpdateItem": 2 * sources, "sqs:SendMessageBatch": sources}
    assert idle["due"] == 0 and dict(calls) == {"dynamodb:Query": 1}
