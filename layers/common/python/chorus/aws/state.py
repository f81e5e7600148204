"""The organisation's small state in the StateTable, shared by features: the crisis hold, the routing rules, SMS
budget tokens (short-lived, TTL), spike counters and watches, digest slots. Keys are the organisation and a name.

  a state value .......................... GetItem / Put org + name
  one of n tokens (a budget per hour) .... conditional Put org + name#slot (TTL)
  a versioned state value ................ conditional Put on `version` (optimistic locking)"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from chorus.aws.tables import is_condition_failure, put_if_absent, table
from chorus.core.errors import Stale


@table("state_table")
class StateItem(Model):
    class Meta:
        table_name = "unbound"

    org = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute(range_key=True)
    value = JSONAttribute(default=dict)
    updated_at = UnicodeAttribute()
    expires_at = NumberAttribute(null=True)  # TTL, for short-lived items such as SMS budget tokens


class StateRepository:
    def __init__(self, org: str) -> None:
        self.org = org

    def get(self, name: str) -> dict[str, Any]:
        try:
            return dict(StateItem.get(self.org, name, consistent_read=True).value)
        except StateItem.DoesNotExist:
            return {}

    def put(self, name: str, value: dict[str, Any], updated_at: str) -> None:
        StateItem(self.org, name, value=value, updated_at=updated_at).save()

    def delete(self, name: str) -> None:
        StateItem(self.org, name).delete()

    def remember(self, name: str, value: dict[str, Any], expires_at: int) -> dict[str, Any]:
        """Store `value` under `name` until `expires_at` unless something is stored there already; either way, what is
        stored (a conditional put, then a consistent read only when the put found one)."""
        if put_if_absent(StateItem(self.org, name, value=value, updated_at=str(expires_at), expires_at=expires_at),
                         StateItem.name):
            return value
        return self.get(name)

    def take_token(self, name: str, slots: int, expires_at: int) -> bool:
        """One of `slots` tokens under `name` (a budget, e.g. SMS per hour), or False when all are taken.
        Each token is its own conditional put, so concurrent takers never share one."""
        for slot in range(slots):
            token = StateItem(self.org, f"{name}#{slot}", value={}, updated_at=str(expires_at), expires_at=expires_at)
            if put_if_absent(token, StateItem.name):
                return True
        return False


@table("state_table")
class VersionedStateItem(StateItem):
    """A state item saved with optimistic locking: of two runs that read the same version, one saves."""

    class Meta:
        table_name = "unbound"

    version = VersionAttribute()


def save_versioned(item: Any, conflict: str) -> None:
    try:
        item.save()
    except PutError as error:
        if is_condition_failure(error):
            raise Stale(conflict) from None
        raise
