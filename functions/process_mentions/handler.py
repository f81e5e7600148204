"""Consumes the ingest queue: each message is one raw mention to store, classify, route and alert on.
Partial batch failures: a failed mention is retried (then dead-lettered) without repeating the others."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler, logger
from chorus.listening.store import parse_ingest_message

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> str:
    mention, facet = parse_ingest_message(record.body)
    outcome = container.listening().process(mention, facet)
    logger.info("mention", extra={"mention": mention.key, "outcome": outcome})
    return outcome


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)
