"""Every hour: read how the posts published in the last 14 days do on each channel, within each platform's rate
limits (see chorus.publishing.metrics.service)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler, logger


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = asdict(container.post_metrics().collect(
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000))
    logger.info("post metrics collected", extra=summary)
    return summary
