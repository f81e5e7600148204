"""Every minute: enqueue each (post, channel) due within the next minute, timed to its second (SQS DelaySeconds)."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler, logger


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    result = container.publishing().enqueue_due()
    logger.info("due posts enqueued", extra=result)
    return result
