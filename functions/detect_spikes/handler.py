"""Every 5 minutes: compare each facet and language's negative mentions of the last hour with the same hour on the
days before, and alert PR once per spike (see chorus.listening.spikes.service)."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler, logger


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    result = container.spikes().detect()
    logger.info("spikes checked", extra=result)
    return result
