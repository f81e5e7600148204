"""DynamoDB persistence of the listening side: mentions, alerts, sources and alert subscriptions (tables defined
in infra/template.yaml; bound by chorus.adapters.dynamodb.bind).

Access patterns:
  a mention / drop an exact duplicate ...... MentionsTable key `id` (hash of platform#id) GetItem / conditional Put
  inbox by status, newest first ............ GSI `by_status` status + received_at         Query (+ filters)
  a conversation's recent mentions ......... GSI `conversation` conversation + created_at  Query created_at >= since
  an alert / one per team and conversation . AlertsTable key `id`                         GetItem / conditional Put
  alerts by month, newest first ............ GSI `recent` month + created_at              Query
  sources, subscriptions ................... key org + id                                 Query
Expired mentions and alerts (past `expires_at`, not yet removed by TTL) are filtered out of every read.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    VersionAttribute,
)
from pynamodb.exceptions import DeleteError, PutError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chorus.adapters.dynamodb import _is_condition_failure, _put_if_absent, decode_cursor, encode_cursor
from chorus.domain import timing
from chorus.domain.errors import Conflict
from chorus.domain.inbox import Alert, MentionRecord


class MentionStatusIndex(GlobalSecondaryIndex["MentionItem"]):
    class Meta:
        index_name = "by_status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


class ConversationIndex(GlobalSecondaryIndex["MentionItem"]):
    class Meta:
        index_name = "conversation"
        projection = AllProjection()

    conversation = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class MentionItem(Model):
    class Meta:
        table_name = "unbound"

    id = UnicodeAttribute(hash_key=True)
    platform = UnicodeAttribute()
    platform_id = UnicodeAttribute()
    text = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    author_handle = UnicodeAttribute()
    author_name = UnicodeAttribute(null=True)
    author_followers = NumberAttribute(null=True)
    created_at = UnicodeAttribute()
    received_at = UnicodeAttribute()
    language = UnicodeAttribute()
    intent = UnicodeAttribute()
    sentiment = NumberAttribute()
    complaint_score = NumberAttribute()
    reach = NumberAttribute()
    facet = UnicodeAttribute(null=True)
    source_id = UnicodeAttribute(null=True)
    forwarded_by = UnicodeAttribute(null=True)
    in_reply_to = UnicodeAttribute(null=True)
    conversation = UnicodeAttribute()
    replies = NumberAttribute(default=0)
    reposts = NumberAttribute(default=0)
    likes = NumberAttribute(default=0)
    teams = ListAttribute(of=UnicodeAttribute, default=list)
    severity = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    assignee = UnicodeAttribute(null=True)
    notes = JSONAttribute(default=list)
    first_response_at = UnicodeAttribute(null=True)
    routed = BooleanAttribute(default=False)
    expires_at = NumberAttribute()
    version = VersionAttribute()

    by_status = MentionStatusIndex()
    by_conversation = ConversationIndex()

    @classmethod
    def from_record(cls, record: MentionRecord) -> "MentionItem":
        data = record.model_dump(mode="json")
        if not data["version"]:
            del data["version"]  # a new item: PynamoDB's VersionAttribute then requires that none exists yet
        return cls(**data)

    def to_record(self) -> MentionRecord:
        data = {name: getattr(self, name) for name in self.get_attributes()}
        data["version"] = self.version or 0
        return MentionRecord.model_validate(data)


class AlertMonthIndex(GlobalSecondaryIndex["AlertItem"]):
    class Meta:
        index_name = "recent"
        projection = AllProjection()

    month = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class AlertItem(Model):
    class Meta:
        table_name = "unbound"

    id = UnicodeAttribute(hash_key=True)
    month = UnicodeAttribute()
    created_at = UnicodeAttribute()
    data = JSONAttribute()  # the Alert; only keys and index attributes are top-level
    expires_at = NumberAttribute()
    version = VersionAttribute()

    recent = AlertMonthIndex()

    @classmethod
    def from_alert(cls, alert: Alert) -> "AlertItem":
        item = cls(alert.id, month=alert.created_at[:7], created_at=alert.created_at,
                   data=alert.model_dump(mode="json", exclude={"version"}), expires_at=alert.expires_at)
        if alert.version:
            item.version = alert.version
        return item

    def to_alert(self) -> Alert:
        return Alert.model_validate({**self.data, "version": self.version or 0})


class ConfigItem(Model):
    """A source or a subscription: org + id, the record as JSON (a handful per organisation)."""

    class Meta:
        table_name = "unbound"

    org = UnicodeAttribute(hash_key=True)
    id = UnicodeAttribute(range_key=True)
    data = JSONAttribute()


class SourceItem(ConfigItem):
    class Meta:
        table_name = "unbound"


class SubscriptionItem(ConfigItem):
    class Meta:
        table_name = "unbound"


# ---------------------------------------------------------------------------------------------- repositories
class MentionRepository:
    def get(self, mention_id: str, now: datetime) -> MentionRecord | None:
        try:
            record = MentionItem.get(mention_id, consistent_read=True).to_record()
        except MentionItem.DoesNotExist:
            return None
        return None if record.expired(now) else record

    def create(self, record: MentionRecord) -> MentionRecord | None:
        """Store a new mention; None when one with the same platform and id exists (an exact duplicate)."""
        item = MentionItem.from_record(record)
        return record.model_copy(update={"version": item.version}) if _put_if_absent(item, MentionItem.id) else None

    def save(self, record: MentionRecord) -> MentionRecord:
        """Store a change to a mention read before (optimistic locking: a concurrent change is a 409)."""
        item = MentionItem.from_record(record)
        try:
            item.save()
        except PutError as error:
            if _is_condition_failure(error):
                raise Conflict("the mention was changed by someone else meanwhile; reload it and try again") from None
            raise
        return record.model_copy(update={"version": item.version})

    def conversation_since(self, conversation: str, since: datetime, now: datetime, limit: int = 500) -> list[MentionRecord]:
        results = MentionItem.by_conversation.query(
            conversation, MentionItem.created_at >= timing.iso_utc(since),
            filter_condition=MentionItem.expires_at > int(now.timestamp()), limit=limit,
        )
        return [item.to_record() for item in results]

    def by_status(self, status: str, since: datetime | None, until: datetime | None, filters: dict[str, str], now: datetime,
                  limit: int, cursor: str | None) -> tuple[list[MentionRecord], str | None]:
        """Newest first. Filters (intent, team, facet, platform, language, assignee) are applied by DynamoDB while
        reading the status partition; a page may hold fewer than `limit` mentions, the cursor goes on."""
        condition = None
        if since or until:
            condition = MentionItem.received_at.between(timing.iso_utc(since) if since else "", timing.iso_utc(until) if until else "~")
        filter_condition = MentionItem.expires_at > int(now.timestamp())
        for name, value in filters.items():
            attribute = MentionItem.teams if name == "team" else getattr(MentionItem, name)
            filter_condition &= attribute.contains(value) if name == "team" else attribute == value
        results = MentionItem.by_status.query(
            status, condition, filter_condition=filter_condition, scan_index_forward=False, limit=limit,
            last_evaluated_key=decode_cursor(cursor).get("k"),
        )
        records = [item.to_record() for item in results]
        key = results.last_evaluated_key
        return records, encode_cursor({"k": key}) if key else None


class AlertRepository:
    def get(self, alert_id: str, now: datetime) -> Alert | None:
        try:
            alert = AlertItem.get(alert_id, consistent_read=True).to_alert()
        except AlertItem.DoesNotExist:
            return None
        return None if alert.expires_at <= now.timestamp() else alert

    def create(self, alert: Alert) -> Alert | None:
        """None when the team was alerted about this conversation already."""
        item = AlertItem.from_alert(alert)
        return alert.model_copy(update={"version": item.version}) if _put_if_absent(item, AlertItem.id) else None

    def save(self, alert: Alert) -> Alert:
        item = AlertItem.from_alert(alert)
        try:
            item.save()
        except PutError as error:
            if _is_condition_failure(error):
                raise Conflict("the alert was changed by someone else meanwhile") from None
            raise
        return alert.model_copy(update={"version": item.version})

    def recent(self, since: datetime, now: datetime, limit: int) -> list[Alert]:
        """Alerts created since `since`, newest first (one Query per month)."""
        alerts: list[Alert] = []
        for month in reversed(timing.months_between(since, now)):
            for item in AlertItem.recent.query(month, AlertItem.created_at >= timing.iso_utc(since), scan_index_forward=False,
                                               filter_condition=AlertItem.expires_at > int(now.timestamp())):
                alerts.append(item.to_alert())
                if len(alerts) >= limit:
                    return alerts
        return alerts


class ConfigRepository:
    """Sources or subscriptions of one organisation."""

    def __init__(self, model: type[ConfigItem], org: str) -> None:
        self.model = model
        self.org = org

    def all(self) -> list[dict[str, Any]]:
        return [dict(item.data) for item in self.model.query(self.org)]

    def get(self, item_id: str) -> dict[str, Any] | None:
        try:
            return dict(self.model.get(self.org, item_id, consistent_read=True).data)
        except self.model.DoesNotExist:
            return None

    def create(self, item_id: str, data: dict[str, Any]) -> bool:
        return _put_if_absent(self.model(self.org, item_id, data=data), self.model.id)

    def save(self, item_id: str, data: dict[str, Any]) -> None:
        self.model(self.org, item_id, data=data).save()

    def delete(self, item_id: str) -> bool:
        try:
            self.model(self.org, item_id).delete(condition=self.model.id.exists())
        except DeleteError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True
