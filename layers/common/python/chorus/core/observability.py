"""Logger and Metrics, wired once for every Lambda and the API (Powertools: JSON logs, EMF metrics), and the keys that
name the function a log line comes from.

Powertools' `logger.inject_lambda_context` puts the function's name on the one logger the whole process shares. On AWS
a process runs one function, but the local runtime runs the API and every scheduled job in threads of one process,
where that named the wrong function (an API error logged as `EscalateAlertsFunction`). The keys are therefore kept
per thread (Powertools' thread-safe keys, a context variable): `lambda_handler` for the functions, `function_keys` for
the API's requests."""
from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="chorus")
metrics = Metrics(namespace="Chorus", service="chorus")

Handler = TypeVar("Handler", bound=Callable[..., Any])


@contextmanager
def function_keys(context: Any, **extra: object) -> Iterator[None]:
    """Every line this thread logs meanwhile names the function of `context` (a Lambda context; None: no keys)."""
    if context is None:
        yield
        return
    keys: dict[str, object] = {
        "function_name": context.function_name,
        "function_request_id": context.aws_request_id,
        "function_arn": context.invoked_function_arn,
        "function_memory_size": context.memory_limit_in_mb,
        **extra,
    }
    logger.thread_safe_append_keys(**keys)
    try:
        yield
    finally:
        logger.thread_safe_remove_keys(keys)


def lambda_handler(handler: Handler) -> Handler:
    """A function's handler: each line it logs names the function and the invocation (and whether it was a cold
    start), in this thread only."""
    cold = [True]

    @functools.wraps(handler)
    def wrapped(event: Any, context: Any) -> Any:
        cold_start, cold[0] = cold[0], False
        with function_keys(context, cold_start=cold_start):
            return handler(event, context)

    return wrapped  # type: ignore[return-value]
