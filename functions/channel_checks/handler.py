"""Scheduled channel checks: `{"check": "cadence"}` daily, `{"check": "credentials"}` hourly (see infra/template.yaml
and chorus.calendar.service.ChannelChecks)."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler, logger


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    check = event.get("check")
    checks = container.channel_checks()
    if check == "cadence":
        result = checks.cadence()
    elif check == "credentials":
        result = checks.credentials()
    else:
        raise ValueError(f"unknown check {check!r}: expected 'cadence' or 'credentials'")
    logger.info("channel check", extra={"check": check, **result})
    return result
