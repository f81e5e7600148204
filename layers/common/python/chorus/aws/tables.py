"""DynamoDB plumbing every store uses: binding the PynamoDB models to this deployment's tables, transactions, and
conditional writes. The tables themselves are defined once, in infra/template.yaml; a store's models name the
attributes and indexes its code reads (tests/infra checks that both agree), and each model says which table it lives
in with `@table("<settings field>")`, so binding needs no list of models."""
from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from pynamodb.attributes import Attribute
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.models import Model

from chorus.core.settings import Settings

M = TypeVar("M", bound=type[Model])

_MODELS: list[tuple[type[Model], str]] = []  # every model with the Settings field that names its table
_bound: Settings | None = None
_CONNECTION_LOCK = threading.Lock()


def table(setting: str) -> Callable[[M], M]:
    """Class decorator: the model lives in the table whose name is `Settings.<setting>` (e.g. "posts_table"). A model
    whose module is imported after `bind()` is bound at once."""

    def register(model: M) -> M:
        _MODELS.append((model, setting))
        if _bound is not None:
            _bind(model, setting, _bound)
        return model

    return register


def bind(settings: Settings) -> None:
    """Point every model at this deployment's tables (names come from the template via the environment)."""
    global _bound
    _bound = settings
    for model, setting in _MODELS:
        _bind(model, setting, settings)


def _bind(model: type[Model], setting: str, settings: Settings) -> None:
    model.Meta.table_name = getattr(settings, setting)
    model.Meta.region = settings.region
    model.Meta.host = _endpoint()
    model._connection = None  # PynamoDB caches a connection per model class


def _endpoint() -> str | None:
    return os.environ.get("AWS_ENDPOINT_URL") or None


def transaction_connection() -> Connection:
    """A connection for TransactWrite, to the same endpoint and region as the models."""
    return _connection(_bound.region if _bound else None, _endpoint())


@functools.cache
def _connection(region: str | None, host: str | None) -> Connection:
    """One per endpoint and process: a new one builds a botocore client (~0.1 s), which every transaction would pay.
    Built under a lock: creating botocore clients is not thread-safe (using one is)."""
    with _CONNECTION_LOCK:
        connection = Connection(region=region, host=host)
        connection.client  # noqa: B018 - built now, under the lock
        return connection


def is_condition_failure(error: Exception) -> bool:
    return getattr(error, "cause_response_code", None) == "ConditionalCheckFailedException"


def cancellation_reasons(error: TransactWriteError) -> list[str | None]:
    """Why each write of a cancelled transaction failed, in order (None: not that one). A failed condition, or a
    concurrent transaction on the same item, is a conflict the caller resolves by reading again; anything else
    (throttling, a missing table) is raised as it is."""
    if error.cause_response_code != "TransactionCanceledException":
        raise error
    codes = [reason.code if reason and reason.code != "None" else None for reason in error.cancellation_reasons]
    if any(code not in (None, "ConditionalCheckFailed", "TransactionConflict") for code in codes):
        raise error
    return codes + [None] * (2 - len(codes))


def put_if_absent(item: Model, key: Attribute[Any]) -> bool:
    """Store a new item; False when one with that key exists already."""
    try:
        item.save(condition=key.does_not_exist())
    except PutError as error:
        if is_condition_failure(error):
            return False
        raise
    return True


def update_if(item: Model, actions: list[Any], condition: Any) -> bool:
    """One UpdateItem; the item's attributes become the stored ones. False when the condition does not hold."""
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if is_condition_failure(error):
            return False
        raise
    return True
