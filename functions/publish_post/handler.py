"""Consumes the publish queue: each message publishes one post on one channel, exactly once.
Partial batch failures: a failed message is retried (then dead-lettered) without repeating the others."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler, logger
from chorus.publishing.store import PublishMessage

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> str:
    message = PublishMessage.from_json(record.body)
    outcome = container.publishing().deliver(message)
    logger.info("delivery", extra={"post": message.post_id, "channel": message.channel_id, "outcome": outcome})
    return outcome


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
