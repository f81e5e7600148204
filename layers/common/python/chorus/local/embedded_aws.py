"""The embedded AWS: moto's server on 127.0.0.1, started the same way by the local runtime, the bench and the tests.

moto's DynamoDB is not safe for threads, and the local runtime and the tests call it from many: a TransactWriteItems
that is cancelled puts back a copy of every table it touched, taken before it started, which wipes what other requests
wrote meanwhile (a lost update DynamoDB never makes; seen as a counter that missed 3 of 16 concurrent adds). One lock
around the DynamoDB backend's operations makes each call atomic, as it is on AWS."""
from __future__ import annotations

import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

from moto.server import ThreadedMotoServer

_LOCK = threading.RLock()


def start(host: str = "127.0.0.1") -> tuple[ThreadedMotoServer, str]:
    """A running moto server on a free port of `host`, and its endpoint URL."""
    serialize_dynamodb()
    server = ThreadedMotoServer(ip_address=host, port=0, verbose=False)
    server.start()
    bound_host, port = server.get_host_and_port()
    return server, f"http://{bound_host}:{port}"


def serialize_dynamodb() -> None:
    from moto.dynamodb.models import DynamoDBBackend

    if getattr(DynamoDBBackend, "_one_call_at_a_time", False):
        return
    for name, member in list(vars(DynamoDBBackend).items()):
        if inspect.isfunction(member) and not name.startswith("_"):
            setattr(DynamoDBBackend, name, _locked(member))
    DynamoDBBackend._one_call_at_a_time = True  # type: ignore[attr-defined]  # our mark on moto's class


def _locked(operation: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(operation)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _LOCK:
            return operation(*args, **kwargs)

    return locked
