"""Each log line names the function it came from, also where one process runs several functions in threads (the
local runtime: the API and the scheduled jobs)."""
from __future__ import annotations

import io
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from chorus.core.observability import function_keys, lambda_handler, logger
from chorus.local.scheduler import LambdaContext


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """What the chorus logger writes, formatted as on AWS (one JSON object per line)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logger.registered_formatter)
    logging.getLogger("chorus").addHandler(handler)
    yield out
    logging.getLogger("chorus").removeHandler(handler)


def logged(out: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_functions_running_at_once_in_threads_each_log_their_own_name(lines: io.StringIO) -> None:
    both_running = threading.Barrier(2)

    @lambda_handler
    def job(event: dict[str, Any], context: Any) -> None:
        both_running.wait(timeout=5)  # the other function has its keys set now too
        logger.info("working", extra={"job": event["job"]})
        both_running.wait(timeout=5)
        logger.info("done", extra={"job": event["job"]})

    threads = [threading.Thread(target=job, args=({"job": name}, LambdaContext(name)))
               for name in ("EscalateAlertsFunction", "PublishDuePostsFunction")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    records = logged(lines)
    assert len(records) == 4
    assert all(r["function_name"] == r["job"] for r in records)
    assert "function_name" not in logger.thread_safe_get_current_keys()  # this thread ran no function


def test_a_line_logged_outside_any_function_names_none_and_a_cold_start_is_the_first_call(lines: io.StringIO) -> None:
    @lambda_handler
    def job(event: dict[str, Any], context: Any) -> None:
        logger.info("run")

    job({}, LambdaContext("DetectSpikesFunction"))
    job({}, LambdaContext("DetectSpikesFunction"))
    with function_keys(None):
        logger.info("outside")
    first, second, outside = logged(lines)
    assert (first["cold_start"], second["cold_start"]) == (True, False)
    assert first["function_name"] == second["function_name"] == "DetectSpikesFunction"
    assert "function_name" not in outside
