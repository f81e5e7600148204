"""Every minute: poll the sources that are due, each under a lease, and queue what they found (see
chorus.listening.sources.service)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = container.fetching().run(seconds_left=lambda: context.get_remaining_time_in_millis() / 1000)
    return asdict(summary)
