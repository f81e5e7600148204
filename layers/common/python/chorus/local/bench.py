"""`make bench`: what publishing costs and how punctual it is, measured on the embedded AWS.

1. Items the every-minute due run reads with 100 and with 100,000 future posts in the table (it must not grow).
2. Publish lateness (actual minus planned) for 500 posts due in the same minute on a `local` channel, through the
   whole local runtime: the scheduler's due run, SQS delays, the queue consumer, the outbox.
3. Import time of each handler (API and functions), median of 5 fresh interpreters.
4. The mention classifier on its test split, and mentions through process_mentions: speed, AWS requests per mention
   and cost per million mentions next to a pipeline that calls Comprehend (chorus/local/bench_listening.py).
Prints a table and writes bench-results.md and bench-results.json in the project root.
"""
from __future__ import annotations

import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from chorus.local.template import PROJECT_ROOT

HANDLERS = ["app", *sorted(f"functions.{path.parent.name}.handler"
                           for path in (PROJECT_ROOT / "functions").glob("*/handler.py"))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _scheduled_posts(posts: list[tuple[str, datetime]], channel: str) -> None:
    """Scheduled posts (text, planned time) written straight to the table in batches."""
    import uuid

    from chorus.calendar.schemas import Post, Status
    from chorus.calendar.store import PostItem
    from chorus.core import time as timing
    from chorus.publishing.schemas import Delivery

    stamp = timing.iso_utc(datetime.now(UTC))
    with PostItem.batch_write() as batch:
        for text, moment in posts:
            when = timing.iso_utc(moment)
            post = Post(id=uuid.uuid4().hex, text=text, channels=[channel], publish_at=when, status=Status.SCHEDULED,
                        author="bench", created_at=stamp, updated_at=stamp, due_at=when,
                        deliveries={channel: Delivery()})
            batch.save(PostItem.from_post(post))


def _future_posts(count: int, start: datetime, channel: str) -> None:
    _scheduled_posts([(f"future {i}", start + timedelta(days=1, seconds=i * 37)) for i in range(count)], channel)


def due_run_reads(sizes: tuple[int, ...] = (100, 100_000)) -> list[dict[str, Any]]:
    import boto3

    from chorus import container
    from chorus.calendar.schemas import ChannelCreate
    from chorus.calendar.store import DUE_QUEUE, PostItem
    from chorus.core import time as timing
    from chorus.core.roles import Principal
    from chorus.publishing.service import HORIZON

    class CountingQueue:
        def __init__(self) -> None:
            self.sent = 0

        def send(self, message: Any, delay_seconds: int) -> None:
            self.sent += 1

    rows = []
    editor = Principal("bench", frozenset({"editor"}))
    container.calendar().create_channel(editor, ChannelCreate(id="bench", platform="local", handle="@bench"))
    now = datetime.now(UTC).replace(microsecond=0)
    inserted = 0
    for size in sizes:
        started = time.perf_counter()
        _future_posts(size - inserted, now + timedelta(days=inserted), "bench")
        inserted = size
        print(f"  {size:,} future posts in the table ({time.perf_counter() - started:.0f} s to insert)", flush=True)
        due_ids = []
        for i in range(5):  # five posts due within the next minute, every time
            post, _, _ = container.calendar().create_post(editor, _content(f"due {size} {i}"))
            due_ids.append(post.id)
            container.calendar().act(editor, post.id, "submit")
            container.calendar().act(editor, post.id, "approve")
            planned = timing.iso_utc(now + timedelta(minutes=5, seconds=i))
            container.calendar().schedule(editor, post.id, planned, None, False)
        scanned = boto3.client("dynamodb", region_name=os.environ["AWS_REGION"]).query(
            TableName=PostItem.Meta.table_name, IndexName="due",
            KeyConditionExpression="#q = :q AND due_at <= :until",
            ExpressionAttributeNames={"#q": "queue"},
            ExpressionAttributeValues={":q": {"S": DUE_QUEUE},
                                       ":until": {"S": timing.iso_utc(now + timedelta(minutes=5) + HORIZON)}},
            Select="COUNT",
        )["ScannedCount"]
        service = container.publishing()
        queue = CountingQueue()
        real_queue, real_clock = service.queue, service.clock
        service.queue, service.clock = queue, (lambda: now + timedelta(minutes=5))
        try:
            result = service.enqueue_due()
        finally:
            service.queue, service.clock = real_queue, real_clock
        rows.append({"future_posts": size, "items_read": result["posts_read"], "scanned_count_of_due_query": scanned,
                     "messages_sent": queue.sent})
        for post_id in due_ids:  # leave them off the due index for the next size
            container.calendar().act(editor, post_id, "cancel")
    return rows


def _content(text: str) -> Any:
    from chorus.calendar.schemas import PostContent

    return PostContent(text=text, channels=["bench"])


def lateness(count: int = 500) -> dict[str, Any]:
    """Posts due in one minute through the running local stack; lateness from the outbox's millisecond stamps."""
    from chorus import container
    from chorus.calendar.schemas import ChannelCreate
    from chorus.core import time as timing
    from chorus.core.roles import Principal
    from chorus.platforms.local import LocalConnector

    editor = Principal("bench", frozenset({"editor"}))
    container.calendar().create_channel(editor, ChannelCreate(id="bench", platform="local", handle="@bench"))
    # Written in one batch as scheduled posts: this measures the publish path (due run, SQS delays, consumer), not
    # 500 editors scheduling at once (each schedule also runs the 24-hour duplicate check).
    minute = (datetime.now(UTC) + timedelta(seconds=75)).replace(second=0, microsecond=0)
    rng = random.Random(7)
    planned = {f"punctual {i}": minute + timedelta(seconds=rng.randrange(60)) for i in range(count)}
    _scheduled_posts([(text, when) for text, when in planned.items()], "bench")
    print(f"  {count} posts planned between {minute:%H:%M:%S} and {minute + timedelta(seconds=59):%H:%M:%S} UTC; "
          "waiting...", flush=True)
    deadline = minute + timedelta(seconds=60 + 45)
    outbox = LocalConnector("bench")
    entries: list[Any] = []
    while datetime.now(UTC) < deadline:
        time.sleep(2)
        entries = [e for e in outbox.recent_posts(10_000) if e.text in planned]
        if len(entries) >= count and datetime.now(UTC) > minute + timedelta(seconds=62):
            break
    late = [(timing.from_iso_utc(e.created_at[:19] + "Z") + timedelta(milliseconds=int(e.created_at[20:23] or 0))
             - planned[e.text]).total_seconds() for e in entries]
    copies = len(entries) - len({e.text for e in entries})
    return {
        "posts": count,
        "published": len({e.text for e in entries}),
        "duplicates": copies,
        "p50_s": round(_percentile(late, 0.50), 3) if late else None,
        "p99_s": round(_percentile(late, 0.99), 3) if late else None,
        "max_s": round(max(late), 3) if late else None,
        "earliest_s": round(min(late), 3) if late else None,
    }


def _on_fresh_moto(measure: Any) -> Any:
    import urllib.request

    from chorus import container
    from chorus.local import embedded_aws
    from chorus.local.provision import provision
    from chorus.local.stack import REGION

    server, endpoint = embedded_aws.start()
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    # moto keeps its state per process, across servers: start from nothing
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
    try:
        os.environ.update(provision(REGION).environment)
        container.reset()
        return measure()
    finally:
        server.stop()


def import_times(runs: int = 5) -> list[dict[str, Any]]:
    rows = []
    for module in HANDLERS:
        samples = []
        for _ in range(runs):
            code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
            out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                                 check=True)
            samples.append(float(out.stdout.strip()) * 1000)
        rows.append({"handler": module, "median_ms": round(statistics.median(samples)), "min_ms": round(min(samples))})
    return rows


def main() -> int:
    from chorus.local import bench_listening
    from chorus.local.stack import LocalStack

    os.environ["CHORUS_STATE_DIR"] = os.environ.get("CHORUS_STATE_DIR") or str(PROJECT_ROOT / ".chorus" / "bench")
    print("1/5 publish lateness, through the whole local runtime (no demo data)", flush=True)
    stack = LocalStack(_free_port(), demo=False)
    stack.start()
    try:
        punctual = lateness()
    finally:
        stack.stop()
    print(f"  {punctual}", flush=True)
    print("2/5 items read per due run (a fresh embedded AWS, no runtime threads)", flush=True)
    reads = _on_fresh_moto(due_run_reads)
    print(f"  {reads}", flush=True)
    print("3/5 handler import times", flush=True)
    imports = import_times()
    print("4/5 the mention classifier on its test split", flush=True)
    quality = bench_listening.classifier_quality()
    print(f"  {quality}", flush=True)
    print("5/5 mentions through process_mentions (a fresh embedded AWS)", flush=True)
    cost = _on_fresh_moto(bench_listening.processing_cost)
    print(f"  {cost['mentions_per_second']} mentions/s, {cost['requests_per_mention']}", flush=True)
    results = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), "due_run": reads,
               "lateness": punctual, "imports": imports, "classifier": quality, "process_mentions": cost}
    lines = [
        "# Chorus benchmark", "",
        f"Measured {results['measured_at']} on the embedded AWS (moto), {os.cpu_count()} cores.", "",
        "| due run | future posts | items read | ScannedCount of the due query | messages sent |",
        "| --- | ---: | ---: | ---: | ---: |",
        *[f"| publish_due_posts | {r['future_posts']:,} | {r['items_read']} | {r['scanned_count_of_due_query']} | "
          f"{r['messages_sent']} |" for r in reads],
        "", "| lateness (actual - planned) | posts | published | duplicates | p50 s | p99 s | max s | earliest s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| same minute, local channel | {punctual['posts']} | {punctual['published']} | {punctual['duplicates']} | "
        f"{punctual['p50_s']} | {punctual['p99_s']} | {punctual['max_s']} | {punctual['earliest_s']} |",
        "", "| handler | import median ms | min ms |", "| --- | ---: | ---: |",
        *[f"| {r['handler']} | {r['median_ms']} | {r['min_ms']} |" for r in imports],
        "", *bench_listening.table(quality, cost),
    ]
    table = "\n".join(lines)
    print("\n" + table)
    (PROJECT_ROOT / "bench-results.md").write_text(table + "\n")
    (PROJECT_ROOT / "bench-results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nWritten to {PROJECT_ROOT / 'bench-results.md'} and bench-results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
