"""Every 15 minutes: find publishers' shares of recent offers on their Mastodon and Bluesky accounts, read the shares
they reported there that could not be read at once (verified or rejected), and count the replies to their verified
shares (see chorus.advocacy.pool.service)."""
from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from chorus import container
from chorus.core.observability import lambda_handler, logger


@lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = asdict(container.share_tracker().run(seconds_left=lambda: context.get_remaining_time_in_millis() / 1000))
    logger.info("shares tracked", extra=summary)
    return summary
