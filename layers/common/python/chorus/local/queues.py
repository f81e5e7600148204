"""An in-process Lambda event source mapping for SQS: for every function the template subscribes to a queue, poll
the queue and call the handler with the batch event Lambda would send; delete what succeeded and leave the items the
handler reported as failed (ReportBatchItemFailures) for a retry, then the queue's dead-letter queue."""
from __future__ import annotations

import threading
import traceback
from dataclasses import dataclass
from typing import Any

import boto3

from chorus.local.scheduler import LambdaContext, function_events, resolve_handler


@dataclass(frozen=True)
class QueueConsumer:
    name: str
    handler_path: str
    queue_url: str
    queue_arn: str
    batch_size: int
    reports_failures: bool


def consumers_from_template(template: dict[str, Any], resources: dict[str, dict[str, str]]) -> list[QueueConsumer]:
    consumers = []
    for name, handler_path, event_name, event in function_events(template):
        if event.get("Type") != "SQS":
            continue
        spec = event["Properties"]
        logical = spec["Queue"]["Fn::GetAtt"][0]
        consumers.append(QueueConsumer(
            name=f"{name}.{event_name}",
            handler_path=handler_path,
            queue_url=resources[logical]["Ref"],
            queue_arn=resources[logical]["Arn"],
            batch_size=int(spec.get("BatchSize", 10)),
            reports_failures="ReportBatchItemFailures" in spec.get("FunctionResponseTypes", []),
        ))
    return consumers


def sqs_event(messages: list[dict[str, Any]], consumer: QueueConsumer, region: str) -> dict[str, Any]:
    return {"Records": [
        {
            "messageId": m["MessageId"],
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": m.get("Attributes", {}),
            "messageAttributes": m.get("MessageAttributes", {}),
            "md5OfBody": m.get("MD5OfBody", ""),
            "eventSource": "aws:sqs",
            "eventSourceARN": consumer.queue_arn,
            "awsRegion": region,
        }
        for m in messages
    ]}


class QueuePoller:
    def __init__(self, consumers: list[QueueConsumer], region: str, workers: int = 4) -> None:
        self.consumers = consumers
        self.region = region
        self.workers = workers  # concurrent invocations per queue, as Lambda scales out (kept small locally)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for consumer in self.consumers:
            for worker in range(self.workers):
                thread = threading.Thread(target=self._poll, args=(consumer,),
                                          name=f"chorus-sqs-{consumer.name}-{worker}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)

    def poll_once(self, consumer: QueueConsumer, wait_seconds: int = 0) -> int:
        sqs = boto3.client("sqs", region_name=self.region)
        messages = sqs.receive_message(
            QueueUrl=consumer.queue_url, MaxNumberOfMessages=min(10, consumer.batch_size), WaitTimeSeconds=wait_seconds,
            AttributeNames=["All"], MessageAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return 0
        try:
            handler = resolve_handler(consumer.handler_path)
            result = handler(sqs_event(messages, consumer, self.region), LambdaContext(consumer.name))
        except Exception:  # noqa: BLE001 - as on Lambda: the whole batch becomes visible again later
            print(f"{consumer.name} failed:\n{traceback.format_exc()}", flush=True)
            return len(messages)
        failed = ({f["itemIdentifier"] for f in (result or {}).get("batchItemFailures", [])}
                  if consumer.reports_failures else set())
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            sqs.delete_message_batch(
                QueueUrl=consumer.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        return len(messages)

    def _poll(self, consumer: QueueConsumer) -> None:
        # Short polls every 100 ms: moto's long poll does not wake up when a delayed message becomes visible, which
        # would make posts up to a second late locally. On AWS, Lambda's event source mapping does the polling.
        while not self._stop.is_set():
            try:
                if not self.poll_once(consumer, wait_seconds=0):
                    self._stop.wait(0.1)
            except Exception:  # noqa: BLE001 - keep polling; the endpoint may be shutting down
                if not self._stop.is_set():
                    print(f"polling {consumer.name} failed:\n{traceback.format_exc()}", flush=True)
                    self._stop.wait(1)
