"""Saved replies in the StateTable (the organisation's small state; infra/template.yaml, docs/data-model.md), next
to the crisis hold and the routing rules: a team's reply library is small and read whole.

  a saved reply ......................... org + `saved-reply#<id>`, versioned     GetItem (consistent) / conditional Put
  the library (every saved reply) ....... org + begins_with `saved-reply#`        Query (one page: <= 200 items of
                                                                                   <= ~4 KB each)
  how many there are .................... org + `saved-replies#count` (ADD)       in the transaction that creates or
                                                                                   deletes one: the cap holds exactly"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import NumberAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chorus.aws.state import StateItem, VersionedStateItem, save_versioned
from chorus.aws.tables import cancellation_reasons, table, transaction_connection
from chorus.core.errors import Conflict, Stale
from chorus.inbox.saved.schemas import SavedReply

PREFIX = "saved-reply#"
COUNT = "saved-replies#count"  # not under PREFIX: the library's Query never reads it
MAX_SAVED_REPLIES = 200  # per organisation: the library stays one Query page, and a list an agent can scan


@table("state_table")
class SavedReplyCount(StateItem):
    """How many saved replies the organisation has, only ever changed by ADD inside a create or delete."""

    class Meta:
        table_name = "unbound"

    total = NumberAttribute(default=0, attr_name="count")  # Model.count is PynamoDB's query count


class SavedReplyStore:
    def __init__(self, org: str, max_saved: int = MAX_SAVED_REPLIES) -> None:
        self.org = org
        self.max_saved = max_saved

    def get(self, reply_id: str) -> SavedReply | None:
        try:
            item = VersionedStateItem.get(self.org, PREFIX + reply_id, consistent_read=True)
        except VersionedStateItem.DoesNotExist:
            return None
        return _reply(reply_id, item.value, item.version)

    def all(self) -> list[SavedReply]:
        """Every saved reply of the organisation (one Query page at the cap; followed to the end regardless)."""
        results = VersionedStateItem.query(self.org, VersionedStateItem.name.startswith(PREFIX))
        return [_reply(item.name.removeprefix(PREFIX), item.value, item.version) for item in results]

    def create(self, reply: SavedReply) -> bool:
        """Store a new saved reply and count it, together. False when one with its id exists (a retried request);
        Conflict when the organisation has the most it may keep."""
        item = _item(self.org, reply)
        counter = SavedReplyCount(self.org, COUNT)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(item, condition=VersionedStateItem.name.does_not_exist())
                transaction.update(counter, actions=[SavedReplyCount.total.add(1)],
                                   condition=SavedReplyCount.total.does_not_exist()
                                   | (SavedReplyCount.total < self.max_saved))
        except TransactWriteError as error:
            exists, full = cancellation_reasons(error)[:2]
            if exists == "ConditionalCheckFailed":
                return False
            if full == "ConditionalCheckFailed":
                raise Conflict(f"the organisation has {self.max_saved} saved replies, the most it can keep; delete "
                               "ones nobody uses first", limit=self.max_saved) from None
            raise Stale("another saved reply was created or deleted at the same moment") from None
        return True

    def save(self, reply: SavedReply) -> SavedReply:
        """Save a change to the version that was read; Stale when someone saved it since."""
        item = _item(self.org, reply)
        save_versioned(item, "the saved reply was changed by someone else meanwhile")
        return reply.model_copy(update={"version": item.version})

    def delete(self, reply: SavedReply) -> None:
        """Delete the version that was read and count it out, together; Stale when someone changed or deleted it."""
        item = _item(self.org, reply)
        counter = SavedReplyCount(self.org, COUNT)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.delete(item)
                transaction.update(counter, actions=[SavedReplyCount.total.add(-1)])
        except TransactWriteError as error:
            cancellation_reasons(error)
            raise Stale("the saved reply was changed or deleted by someone else meanwhile") from None


def _item(org: str, reply: SavedReply) -> VersionedStateItem:
    value = reply.model_dump(mode="json", exclude={"id", "version"})
    item = VersionedStateItem(org, PREFIX + reply.id, value=value, updated_at=reply.updated_at)
    if reply.version:
        item.version = reply.version
    return item


def _reply(reply_id: str, value: dict[str, Any], version: int | None) -> SavedReply:
    return SavedReply.model_validate({**value, "id": reply_id, "version": version or 0})
