"""Every 5 minutes: finish offer fan-outs that died midway, then send each publisher whose queue is due one message
about their new offers, never more often than their rhythm (see chorus.advocacy.pool.service)."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler, logger


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    summary = container.offer_notifier().run(seconds_left=lambda: context.get_remaining_time_in_millis() / 1000)
    logger.info("offer notifications", extra=summary)
    return summary
