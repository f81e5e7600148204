"""Every quarter of an hour: when a digest time (routing rules `digest.times`) has come, send each team's email
subscribers their digest, once per time (see chorus.listening.digests.service)."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return container.digests().send_due()
