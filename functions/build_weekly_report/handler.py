"""Monday 08:00 (Europe/Amsterdam): build last week's report, store it as JSON and HTML, and mail the report team once
(see chorus.reports.service). The event may name a week (`{"week": "2026-W49"}`) to build another one."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    service = container.weekly_reports()
    week = event.get("week") if isinstance(event.get("week"), str) else None
    return service.build(service.week(week)).model_dump()
