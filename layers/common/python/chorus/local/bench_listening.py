"""The listening half of `make bench`: how well the classifier does, how fast mentions go through process_mentions,
and what each mention costs in AWS requests, next to a pipeline that asks Comprehend for every mention."""
from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from chorus.local.template import PROJECT_ROOT

TRAINING = PROJECT_ROOT / "layers" / "common" / "python" / "chorus" / "local" / "training"

# Public list prices, USD, us-east-1, November 2026 (on-demand DynamoDB after the November 2024 cut).
PRICES = {
    "dynamodb_write_unit": 0.625e-6,
    "dynamodb_read_unit": 0.125e-6,
    "sqs_request": 0.40e-6,
    "sns_publish": 0.50e-6,
    "lambda_request": 0.20e-6,
    "lambda_gb_second": 0.0000166667,
    "comprehend_unit": 0.0001,  # DetectSentiment: per 100 characters, at least 3 units per request
}
COMPREHEND_MIN_UNITS = 3
SQS_BATCH = 25  # the ingest queue's event source batch size (infra/template.yaml)


def classifier_quality() -> dict[str, Any]:
    """Test-split numbers of the committed model, and its throughput on one core."""
    from chorus.listening.classify import classify_many
    from chorus.local.train_classifier import evaluate

    results = evaluate()
    texts = [json.loads(line)["text"] for name in ("mentions_nl.jsonl", "mentions_en.jsonl")
             for line in (TRAINING / name).read_text().splitlines() if line.strip()]
    classify_many(texts[:10])  # load the model outside the timing
    started = time.perf_counter()
    rounds = 3
    for _ in range(rounds):
        classify_many(texts)
    results["mentions_per_second_one_core"] = round(rounds * len(texts) / (time.perf_counter() - started))
    return results


def item_bytes(item: dict[str, Any]) -> int:
    """DynamoDB's size of an item in its wire format (names plus values), as capacity units are charged."""
    def value(v: dict[str, Any]) -> int:
        (kind, data), = v.items()
        if kind in ("S", "B"):
            return len(data.encode() if isinstance(data, str) else data)
        if kind == "N":
            digits = len(str(data).lstrip("-").replace(".", "").strip("0") or "0")
            return -(-digits // 2) + 1
        if kind in ("L",):
            return 3 + sum(value(x) + 1 for x in data)
        if kind == "M":
            return 3 + sum(len(k.encode()) + value(x) + 1 for k, x in data.items())
        if kind in ("SS", "NS", "BS"):
            return sum(len(str(x)) for x in data)
        return 1  # BOOL, NULL
    return sum(len(name.encode()) + value(v) for name, v in item.items())


class RequestCounter:
    """Every AWS API call made through botocore (boto3 and PynamoDB alike), by service and operation, and the
    DynamoDB capacity units they would consume on demand: writes round up per 1 KB and are repeated in each global
    secondary index (an upper bound: sparse indexes skip items without their key), twice inside a transaction; reads
    round up per 4 KB, half for eventually consistent reads."""

    def __init__(self, indexes: dict[str, int]) -> None:
        self.calls: Counter[str] = Counter()
        self.indexes = indexes
        self.read_units = 0.0
        self.write_units = 0.0
        self.put_bytes: dict[str, int] = {}

    def _write(self, operation: str, params: dict[str, Any], factor: int = 1) -> None:
        table = params.get("TableName", "")
        if operation == "Put":
            size = item_bytes(params["Item"])
            self.put_bytes[table] = max(self.put_bytes.get(table, 0), size)
        else:
            size = self.put_bytes.get(table, 1024)
        self.write_units += factor * -(-size // 1024) * (1 + self.indexes.get(table, 0))

    def _units(self, operation: str, params: dict[str, Any], response: dict[str, Any]) -> None:
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self._write(operation.removesuffix("Item"), params)
        elif operation == "TransactWriteItems":  # each write of a transaction costs twice
            for entry in params["TransactItems"]:
                (kind, write), = entry.items()
                if kind != "ConditionCheck":
                    self._write(kind, write, factor=2)
        elif operation in ("GetItem", "Query"):
            items = [response["Item"]] if response.get("Item") else response.get("Items", [])
            size = sum(item_bytes(i) for i in items)
            self.read_units += max(1, -(-size // 4096)) * (1.0 if params.get("ConsistentRead") else 0.5)

    @contextmanager
    def counting(self) -> Iterator[None]:
        from botocore.client import BaseClient

        original = BaseClient._make_api_call
        counter = self

        def counted(client: Any, operation: str, params: dict[str, Any]) -> Any:
            service = client.meta.service_model.service_name
            counter.calls[f"{service}:{operation}"] += 1
            response = original(client, operation, params)
            if service == "dynamodb":
                counter._units(operation, params, response)
            return response

        BaseClient._make_api_call = counted
        try:
            yield
        finally:
            BaseClient._make_api_call = original

    def of(self, service: str, operations: tuple[str, ...] = ()) -> int:
        return sum(n for name, n in self.calls.items()
                   if name.startswith(service + ":") and (not operations or name.split(":")[1] in operations))


def _demo_mentions(count: int, seed: int = 11) -> list[Any]:
    """A realistic mix from the hand-written examples: Dutch and English, every intent, a few large accounts, and
    one in five a repost of an earlier text (same words, another author: one conversation)."""
    from chorus.platforms.base import Author, Engagement, Mention

    rng = random.Random(seed)
    texts = [json.loads(line)["text"] for name in ("mentions_nl.jsonl", "mentions_en.jsonl")
             for line in (TRAINING / name).read_text().splitlines() if line.strip()]
    now = datetime.now(UTC)
    mentions: list[Mention] = []
    for n in range(count):
        text = rng.choice([m.text for m in mentions]) if mentions and rng.random() < 0.2 else rng.choice(texts)
        followers = rng.choice([12, 80, 250, 900, 3_000]) if rng.random() < 0.97 else 40_000
        mentions.append(Mention(
            platform=rng.choice(["x", "mastodon", "bluesky"]), platform_id=f"bench-{seed}-{n}", text=text,
            created_at=now - timedelta(seconds=count - n),
            author=Author(f"user{rng.randrange(count)}", None, followers),
            url=f"https://example.org/{n}", engagement=Engagement(replies=rng.randrange(3), reposts=rng.randrange(3)),
        ))
    return mentions


def _sqs_event(mentions: list[Any], first: int) -> dict[str, Any]:
    from chorus.listening.store import ingest_message

    return {"Records": [{
        "messageId": f"bench-{first + n}", "receiptHandle": "bench", "body": ingest_message(mention, "brand"),
        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
        "eventSource": "aws:sqs",
        "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:IngestQueue", "awsRegion": "eu-west-1",
    } for n, mention in enumerate(mentions)]}


def processing_cost(count: int = 1_000) -> dict[str, Any]:
    """Mentions through the real process_mentions handler on a fresh embedded AWS, in SQS batches of 25, counting
    every AWS request; then the cost per million mentions next to the same pipeline plus Comprehend."""
    from chorus.local.scheduler import LambdaContext
    from functions.process_mentions.handler import handler

    mentions = _demo_mentions(count)
    memory_gb = 1.0  # ProcessMentionsFunction MemorySize 1024
    handler(_sqs_event(_demo_mentions(5, seed=99), 0), LambdaContext("warm-up"))  # model load and clients, once
    import boto3

    dynamodb = boto3.client("dynamodb")
    indexes = {name: len(dynamodb.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", []))
               for name in dynamodb.list_tables()["TableNames"]}
    counter = RequestCounter(indexes)
    failures = 0
    started = time.perf_counter()
    with counter.counting():
        for first in range(0, count, SQS_BATCH):
            result = handler(_sqs_event(mentions[first:first + SQS_BATCH], first), LambdaContext("bench"))
            failures += len(result["batchItemFailures"])
    elapsed = time.perf_counter() - started
    per_mention = {name: n / count for name, n in sorted(counter.calls.items())}
    dynamodb_reads = counter.of("dynamodb", ("GetItem", "Query", "BatchGetItem")) / count
    writes = ("PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems")
    dynamodb_writes = counter.of("dynamodb", writes) / count
    sns = counter.of("sns") / count
    # Around the handler, per mention: one SQS send (fetch or API; fetched ones go in batches of 10, 1 is counted to
    # stay conservative), a 1/25 share of the receive and the delete, a 1/25 share of a Lambda request.
    sqs = 1 + 2 / SQS_BATCH
    lambda_seconds = elapsed / count  # on moto every request is a local HTTP round trip: an upper bound
    chorus_cost = 1e6 * (counter.read_units / count * PRICES["dynamodb_read_unit"]
                         + counter.write_units / count * PRICES["dynamodb_write_unit"]
                         + sns * PRICES["sns_publish"] + sqs * PRICES["sqs_request"]
                         + PRICES["lambda_request"] / SQS_BATCH
                         + lambda_seconds * memory_gb * PRICES["lambda_gb_second"])
    mean_chars = sum(len(m.text) for m in mentions) / count
    comprehend_units = max(COMPREHEND_MIN_UNITS, -(-int(mean_chars) // 100))
    comprehend_cost = chorus_cost + 1e6 * comprehend_units * PRICES["comprehend_unit"]
    return {
        "mentions": count, "failures": failures, "seconds": round(elapsed, 2),
        "mentions_per_second": round(count / elapsed, 1),
        "requests_per_mention": {name: round(n, 3) for name, n in per_mention.items()},
        "dynamodb_reads_per_mention": round(dynamodb_reads, 3),
        "dynamodb_writes_per_mention": round(dynamodb_writes, 3),
        "dynamodb_read_units_per_mention": round(counter.read_units / count, 2),
        "dynamodb_write_units_per_mention": round(counter.write_units / count, 2),
        "largest_item_bytes": counter.put_bytes, "sns_per_mention": round(sns, 3), "sqs_per_mention": round(sqs, 3),
        "lambda_ms_per_mention": round(lambda_seconds * 1000, 2), "mean_characters": round(mean_chars),
        "comprehend_units_per_mention": comprehend_units,
        "cost_per_million_usd": round(chorus_cost, 2),
        "comprehend_pipeline_cost_per_million_usd": round(comprehend_cost, 2),
        "prices": PRICES,
    }


def table(quality: dict[str, Any], cost: dict[str, Any]) -> list[str]:
    q = quality
    return [
        "| classifier, test split (never trained or tuned on) | examples | macro-F1 complaint vs not "
        "| 4-way intent accuracy | language accuracy |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| English complaints set (tweet id mod 5 = 0) | {q['en_complaints_test_examples']} | "
        f"{q['en_complaints_test_macro_f1']} | n/a (no 4-way labels) | n/a |",
        *[f"| {name} hand-written mentions | {q[f'{lang}_hand_written_test_examples']} | "
          f"{q[f'{lang}_hand_written_test_macro_f1']} | "
          f"{q[f'{lang}_hand_written_test_intent_accuracy']} | {q[f'{lang}_hand_written_test_language_accuracy']} |"
          for lang, name in (("nl", "Dutch"), ("en", "English"))],
        "", f"Classifier alone: {q['mentions_per_second_one_core']:,} mentions/s on one core.", "",
        "| process_mentions on moto | mentions | mentions/s | failures | DynamoDB reads/mention "
        "| DynamoDB writes/mention | SNS publishes/mention |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| batches of {SQS_BATCH}, mixed nl/en, 20% reposts | {cost['mentions']} | {cost['mentions_per_second']} | "
        f"{cost['failures']} | "
        f"{cost['dynamodb_reads_per_mention']} | {cost['dynamodb_writes_per_mention']} | {cost['sns_per_mention']} |",
        "", f"| AWS cost per million mentions (list prices; {cost['dynamodb_read_units_per_mention']} read and "
            f"{cost['dynamodb_write_units_per_mention']} write units per mention) | classification | USD |",
        "| --- | --- | ---: |",
        f"| Chorus (DynamoDB, SNS, SQS, Lambda {cost['lambda_ms_per_mention']} ms/mention at 1 GB) "
        f"| in the Lambda, no extra calls | {cost['cost_per_million_usd']:,.2f} |",
        f"| the same pipeline with Comprehend DetectSentiment per mention | {cost['comprehend_units_per_mention']} "
        f"units × $0.0001 (mean {cost['mean_characters']} characters, minimum 3) "
        f"| {cost['comprehend_pipeline_cost_per_million_usd']:,.2f} |",
    ]
