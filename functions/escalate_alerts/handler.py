"""Every minute: a care alert nobody acknowledged goes to the care lead, later to PR (each stage once)."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler, logger


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    result = container.escalation().run()
    logger.info("escalation run", extra=result)
    return result
