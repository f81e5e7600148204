"""DynamoDB persistence of listening: mentions (a negative one counted for spike detection as it is stored),
alerts and alert subscriptions, the two sparse mention indexes that spikes and digests read, and the ingest queue
(tables defined in infra/template.yaml; bound by chorus.aws.tables.bind). Sources are in
chorus.listening.sources.store, spike watches and records in chorus.listening.spikes.store, digest slots in
chorus.listening.digests.store.

Access patterns:
  a mention / drop an exact duplicate ...... MentionsTable key `id` (hash of platform#id)   GetItem / conditional Put
  count a negative mention, exactly once ... MentionsTable conditional Put + StateTable ADD TransactWriteItems
  the inbox, by status ..................... GSI `by_status` status + received_at           see chorus/inbox/store.py
  a conversation's recent mentions ......... GSI `conversation` conversation + created_at   Query created_at >= since
  an employee's forwards, newest first ..... GSI `forwarded` forwarded_by + received_at     Query (sparse)
  a series' negative mentions, last hour ... GSI `negative` negative_series + created_at    Query (sparse)
  open complaints, oldest first ............ GSI `open_complaints` (sparse) + received_at   Query
  an alert / one per team and conversation . AlertsTable key `id`                           GetItem / conditional Put
  alerts by month, newest first ............ GSI `recent` month + created_at                Query
  alerts due to escalate ................... GSI `escalation` (sparse, keys) + escalate_at  Query escalate_at <= now
  subscriptions ............................ SubscriptionsTable key org + id                Query
  subscription changes, newest first ....... StateTable org + subscriptions#history#<at>#… Query (with each change)
  routing rules, current ................... StateTable org + routing_rules (version)    GetItem / transaction
  routing rules, every version, newest ..... StateTable org + routing_rules#v#<version>   Query
Expired mentions and alerts (past `expires_at`, not yet removed by TTL) are filtered out of every read.

SQS: the ingest queue, one message per raw mention. Clients are built once per process."""
from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict
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
from pynamodb.exceptions import DeleteError, PutError, TransactWriteError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chorus.aws.cursors import MAX_PAGE, decode_cursor, encode_cursor
from chorus.aws.messaging import Alerts, _client
from chorus.aws.state import StateItem, VersionedStateItem
from chorus.aws.tables import cancellation_reasons, is_condition_failure, put_if_absent, table, transaction_connection
from chorus.core import time as timing
from chorus.core.errors import Stale, ValidationError
from chorus.core.retry import retry_on_conflict
from chorus.listening.digests import rules as digest
from chorus.listening.schemas import Alert, MentionRecord, RoutingRulesVersion, Texts
from chorus.listening.spikes import rules as spikes
from chorus.listening.spikes.schemas import Tally
from chorus.platforms.base import Author, Engagement, Mention


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


class NegativeIndex(GlobalSecondaryIndex["MentionItem"]):
    """Sparse: only negative mentions carry `negative_series` (facet#language, chorus.listening.spikes.rules). A spike
    alert reads its series' last hour here for top terms, authors and examples."""

    class Meta:
        index_name = "negative"
        projection = AllProjection()

    negative_series = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class OpenComplaintIndex(GlobalSecondaryIndex["MentionItem"]):
    """Sparse: only complaints still new or assigned carry `open_complaint`, so the digest reads the backlog
    oldest first without wading through every mention nobody closes."""

    class Meta:
        index_name = "open_complaints"
        projection = AllProjection()

    open_complaint = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


OPEN_COMPLAINTS_PARTITION = "open"


class ForwardedIndex(GlobalSecondaryIndex["MentionItem"]):
    """Sparse: only forwarded mentions carry `forwarded_by` (the username of the employee who forwarded it)."""

    class Meta:
        index_name = "forwarded"
        projection = AllProjection()

    forwarded_by = UnicodeAttribute(hash_key=True)
    received_at = UnicodeAttribute(range_key=True)


@table("mentions_table")
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
    detected_language = UnicodeAttribute(null=True)
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
    our_replies = JSONAttribute(default=list)
    routed = BooleanAttribute(default=False)
    expires_at = NumberAttribute()
    version = VersionAttribute()
    # Index keys derived from the record on every write (never set by hand): see NegativeIndex, OpenComplaintIndex.
    negative_series = UnicodeAttribute(null=True)
    open_complaint = UnicodeAttribute(null=True)

    by_status = MentionStatusIndex()
    by_conversation = ConversationIndex()
    negative = NegativeIndex()
    open_complaints = OpenComplaintIndex()
    forwarded = ForwardedIndex()

    @classmethod
    def from_record(cls, record: MentionRecord) -> MentionItem:
        data = record.model_dump(mode="json", exclude={"first_response_seconds", "case_number"})
        if not data["version"]:
            del data["version"]  # a new item: PynamoDB's VersionAttribute then requires that none exists yet
        return cls(**data, negative_series=spikes.series_of(record),
                   open_complaint=OPEN_COMPLAINTS_PARTITION if digest.is_open_complaint(record) else None)

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


class AlertEscalationIndex(GlobalSecondaryIndex["AlertItem"]):
    """Sparse: only alerts with an escalation stage ahead carry `escalation`. Keys only, so counting reposts of an
    open alert never costs an index write; the run reads each due alert itself (consistently)."""

    class Meta:
        index_name = "escalation"
        projection = KeysOnlyProjection()

    escalation = UnicodeAttribute(hash_key=True)
    escalate_at = UnicodeAttribute(range_key=True)


# The one partition of the escalation index: it holds only open care alerts younger than their last stage (a few
# hundred at most), far below what one partition serves.
ESCALATION_PARTITION = "pending"


@table("alerts_table")
class AlertItem(Model):
    class Meta:
        table_name = "unbound"

    id = UnicodeAttribute(hash_key=True)
    month = UnicodeAttribute()
    created_at = UnicodeAttribute()
    data = JSONAttribute()  # the Alert; only keys and index attributes are top-level
    escalation = UnicodeAttribute(null=True)
    escalate_at = UnicodeAttribute(null=True)
    expires_at = NumberAttribute()
    version = VersionAttribute()

    recent = AlertMonthIndex()
    escalation_due = AlertEscalationIndex()

    @classmethod
    def from_alert(cls, alert: Alert) -> AlertItem:
        item = cls(alert.id, month=alert.created_at[:7], created_at=alert.created_at,
                   data=alert.model_dump(mode="json", exclude={"version"}), expires_at=alert.expires_at,
                   escalation=ESCALATION_PARTITION if alert.escalate_at else None, escalate_at=alert.escalate_at)
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


@table("subscriptions_table")
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
        return record.model_copy(update={"version": item.version}) if put_if_absent(item, MentionItem.id) else None

    def save(self, record: MentionRecord) -> MentionRecord:
        """Store a change to a mention read before (optimistic locking: a concurrent change is a 409)."""
        item = MentionItem.from_record(record)
        try:
            item.save()
        except PutError as error:
            if is_condition_failure(error):
                raise Stale("the mention was changed by someone else meanwhile; reload it and try again") from None
            raise
        return record.model_copy(update={"version": item.version})

    def conversation_since(self, conversation: str, since: datetime, now: datetime,
                           limit: int = 500) -> list[MentionRecord]:
        results = MentionItem.by_conversation.query(
            conversation, MentionItem.created_at >= timing.iso_utc(since),
            filter_condition=MentionItem.expires_at > int(now.timestamp()), limit=limit,
        )
        return [item.to_record() for item in results]

    def forwarded_by(self, username: str, now: datetime, limit: int,
                     cursor: str | None) -> tuple[list[MentionRecord], str | None]:
        """The mentions `username` forwarded, newest first: one page of one Query."""
        start = decode_cursor(cursor).get("k") if cursor else None
        if cursor and (not isinstance(start, dict) or start.get("forwarded_by") != {"S": username}):
            raise ValidationError("cursor", "is not a cursor this API returned for your forwards")
        results = MentionItem.forwarded.query(username, scan_index_forward=False, limit=limit, last_evaluated_key=start,
                                              filter_condition=MentionItem.expires_at > int(now.timestamp()))
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
        return alert.model_copy(update={"version": item.version}) if put_if_absent(item, AlertItem.id) else None

    def save(self, alert: Alert) -> Alert:
        item = AlertItem.from_alert(alert)
        try:
            item.save()
        except PutError as error:
            if is_condition_failure(error):
                raise Stale("the alert was changed by someone else meanwhile") from None
            raise
        return alert.model_copy(update={"version": item.version})

    def due_for_escalation(self, now: datetime, limit: int) -> list[str]:
        """Ids of the alerts whose next escalation stage (or a lapsed claim on one) is due: reads only those."""
        results = AlertItem.escalation_due.query(
            ESCALATION_PARTITION, AlertItem.escalate_at <= timing.iso_utc(now), limit=limit)
        return [item.id for item in results]

    def recent(self, since: datetime, now: datetime, limit: int) -> list[Alert]:
        """Alerts created since `since`, newest first (one Query per month)."""
        return self.page(since, now, limit, None)[0]

    def page(self, since: datetime, now: datetime, limit: int, cursor: str | None) -> tuple[list[Alert], str | None]:
        """One page of `recent`, and where the next one starts (a month and a key in it), or None at the end."""
        months = list(reversed(timing.months_between(since, now)))
        state = decode_cursor(cursor)
        if state:
            if state.get("m") not in months:
                raise ValidationError("cursor",
                                      "is not a cursor of this listing, or it points before the hours asked for")
            months = months[months.index(state["m"]):]
        start = state.get("k")
        alerts: list[Alert] = []
        for i, month in enumerate(months):
            results = AlertItem.recent.query(month, AlertItem.created_at >= timing.iso_utc(since),
                                             scan_index_forward=False, limit=limit - len(alerts),
                                             filter_condition=AlertItem.expires_at > int(now.timestamp()),
                                             last_evaluated_key=start)
            alerts.extend(item.to_alert() for item in results)
            start = None
            if len(alerts) >= limit:
                if results.last_evaluated_key:
                    return alerts, encode_cursor({"m": month, "k": results.last_evaluated_key})
                return alerts, encode_cursor({"m": months[i + 1]}) if i + 1 < len(months) else None
        return alerts, None


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
        return put_if_absent(self.model(self.org, item_id, data=data), self.model.id)

    def save(self, item_id: str, data: dict[str, Any]) -> None:
        self.model(self.org, item_id, data=data).save()

    def delete(self, item_id: str) -> bool:
        try:
            self.model(self.org, item_id).delete(condition=self.model.id.exists())
        except DeleteError as error:
            if is_condition_failure(error):
                return False
            raise
        return True


class SubscriptionRepository(ConfigRepository):
    """Alert subscriptions, and their history in the state table (kept for good, newest first by one Query): each
    change is written in one transaction with the change it records, so the history never misses or invents one."""

    def __init__(self, org: str) -> None:
        super().__init__(SubscriptionItem, org)

    def create(self, item_id: str, data: dict[str, Any], change: dict[str, Any] | None = None) -> bool:
        if change is None:
            return super().create(item_id, data)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(self.model(self.org, item_id, data=data), condition=self.model.id.does_not_exist())
                transaction.save(self._change(change), condition=StateItem.name.does_not_exist())
        except TransactWriteError as error:
            if cancellation_reasons(error)[0] == "ConditionalCheckFailed":
                return False
            raise Stale("the subscriptions changed meanwhile; try again") from None
        return True

    def delete(self, item_id: str, change: dict[str, Any] | None = None) -> bool:
        if change is None:
            return super().delete(item_id)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.delete(self.model(self.org, item_id), condition=self.model.id.exists())
                transaction.save(self._change(change), condition=StateItem.name.does_not_exist())
        except TransactWriteError as error:
            if cancellation_reasons(error)[0] == "ConditionalCheckFailed":
                return False
            raise Stale("the subscriptions changed meanwhile; try again") from None
        return True

    def history(self, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
        return _history(self.org, SUBSCRIPTION_HISTORY, limit, cursor)

    def _change(self, change: dict[str, Any]) -> StateItem:
        name = f"{SUBSCRIPTION_HISTORY}{change['moment']}#{change['subscription']['id']}#{change['change']}"
        return StateItem(self.org, name, value=change, updated_at=change["at"])


SUBSCRIPTION_HISTORY = "subscriptions#history#"
RULES = "routing_rules"
RULES_HISTORY = "routing_rules#v#"


class RoutingRulesRepository:
    """The routing rules in the state table: the current version (one GetItem, read for every mention routed) and
    every version saved, kept for good (`routing_rules#v#<version>`, newest first by one Query). A save writes both
    in one transaction, conditional on the version it replaces: of two people saving on the same version, one does."""

    def __init__(self, org: str) -> None:
        self.org = org

    def current(self) -> RoutingRulesVersion | None:
        try:
            item = VersionedStateItem.get(self.org, RULES, consistent_read=True)
        except VersionedStateItem.DoesNotExist:
            return None
        return RoutingRulesVersion.model_validate({**item.value, "version": item.version or 0})

    def save(self, rules: RoutingRulesVersion) -> RoutingRulesVersion:
        """Store `rules` as version `rules.version`; Stale when version `rules.version - 1` is no longer current."""
        data = rules.model_dump(mode="json", exclude={"version"})
        current = VersionedStateItem(self.org, RULES, value=data, updated_at=rules.changed_at or "")
        if rules.version > 1:
            current.version = rules.version - 1
        version = StateItem(self.org, f"{RULES_HISTORY}{rules.version:010d}", value=rules.model_dump(mode="json"),
                            updated_at=rules.changed_at or "")
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(current)
                transaction.save(version, condition=StateItem.name.does_not_exist())
        except TransactWriteError as error:
            cancellation_reasons(error)
            raise Stale("the routing rules were changed by someone else meanwhile; read them again") from None
        return rules

    def versions(self, limit: int, cursor: str | None) -> tuple[list[RoutingRulesVersion], str | None]:
        items, next_cursor = _history(self.org, RULES_HISTORY, limit, cursor)
        return [RoutingRulesVersion.model_validate(item) for item in items], next_cursor


def _history(org: str, prefix: str, limit: int, cursor: str | None) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a history kept in the state table under `prefix`, newest first: one Query."""
    start = decode_cursor(cursor).get("k") if cursor else None
    if cursor and not (isinstance(start, dict) and start.get("org") == {"S": org}
                       and str((start.get("name") or {}).get("S", "")).startswith(prefix)):
        raise ValidationError("cursor", "is not a cursor this API returned for this list")
    results = StateItem.query(org, StateItem.name.startswith(prefix), scan_index_forward=False,
                              limit=min(limit, MAX_PAGE), last_evaluated_key=start)
    items = [dict(item.value) for item in results]
    key = results.last_evaluated_key
    return items, encode_cursor({"k": key}) if key else None


class LocalizedAlerts:
    """The alerts topic for messages written in each subscriber's language: the message is published once per
    language, with the `locale` attribute each subscription's filter policy selects on (Subscription.filter_policy).
    A message without translations is published once, without `locale`, and reaches every subscriber."""

    def __init__(self, topic_arn: str, region: str) -> None:
        self.topic = Alerts(topic_arn, region)

    def send(self, subject: str, message: str, *, sms_text: str | None = None, written_in: str | None = None,
             translations: Mapping[str, Texts] | None = None, **attributes: str) -> None:
        if not translations or written_in is None:
            self.topic.send(subject, message, sms_text=sms_text, **attributes)
            return
        self.topic.send(subject, message, sms_text=sms_text, **attributes, locale=written_in)
        for other, texts in translations.items():
            self.topic.send(texts.subject, texts.message, sms_text=texts.sms_text, **attributes, locale=other)


class IngestQueue:
    """Raw mentions on their way to process_mentions: one message each, the mention and its source's facet."""

    def __init__(self, queue_url: str, region: str) -> None:
        self.queue_url = queue_url
        self.region = region

    def send(self, mention: Mention, facet: str | None) -> None:
        _client("sqs", self.region).send_message(QueueUrl=self.queue_url, MessageBody=ingest_message(mention, facet))

    def send_many(self, mentions: list[Mention], facet: str | None) -> int:
        for start in range(0, len(mentions), 10):  # SQS takes at most 10 messages per batch
            entries = [{"Id": str(n), "MessageBody": ingest_message(m, facet)}
                       for n, m in enumerate(mentions[start:start + 10])]
            sent = _client("sqs", self.region).send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = sent.get("Failed")
            if failed:
                raise RuntimeError(f"{len(failed)} mentions could not be queued: {failed[0].get('Message')}")
        return len(mentions)


def ingest_message(mention: Mention, facet: str | None) -> str:
    data = asdict(mention)
    data["created_at"] = mention.created_at.isoformat()
    return json.dumps({"mention": data, "facet": facet}, ensure_ascii=False)


def parse_ingest_message(body: str) -> tuple[Mention, str | None]:
    data = json.loads(body)
    fields = dict(data["mention"])
    fields["author"] = Author(**fields["author"])
    fields["engagement"] = Engagement(**(fields.get("engagement") or {}))
    fields["created_at"] = datetime.fromisoformat(fields["created_at"])
    return Mention(**fields), data.get("facet")


# Concurrent first stores of negative mentions in one series and bucket update one counter: DynamoDB refuses a
# transaction on an item another transaction holds (TransactionConflict). Such a clash lasts milliseconds: retry.


@table("state_table")
class CounterItem(StateItem):
    """A named counter in the state table, only ever changed by ADD."""

    class Meta:
        table_name = "unbound"

    # Stored as `count`; named otherwise here, since Model.count is PynamoDB's query count.
    total = NumberAttribute(default=0, attr_name="count")


class CountingMentionRepository(MentionRepository):
    """Mentions whose first store also counts them for spike detection, in the same transaction: the conditional
    put that drops a redelivered duplicate also drops its count, and a Lambda that dies before the write leaves
    neither (the redelivered message does both)."""

    def __init__(self, org: str) -> None:
        self.org = org

    def create(self, record: MentionRecord, counter: Tally | None = None) -> MentionRecord | None:
        if counter is None:
            return super().create(record)
        item = MentionItem.from_record(record)
        tally = CounterItem(self.org, counter.name)

        def store(attempt: int) -> MentionRecord | None:
            try:
                with TransactWrite(connection=transaction_connection()) as transaction:
                    transaction.save(item, condition=MentionItem.id.does_not_exist())
                    transaction.update(tally, actions=[CounterItem.total.add(1),
                                                       CounterItem.expires_at.set(counter.expires_at)])
            except TransactWriteError as error:
                if cancellation_reasons(error)[0] == "ConditionalCheckFailed":
                    return None  # stored (and counted) before
                raise Stale("a transaction conflict on the counter") from None
            return record.model_copy(update={"version": item.version})

        return retry_on_conflict(store, "the spike counter stayed busy; the queue will retry this mention")


class SparseIndexReads:
    """Mentions from the two sparse indexes: a series' negative mentions, and the open complaints."""

    def negative_since(self, series: str, since: datetime, now: datetime, limit: int) -> list[MentionRecord]:
        """The series' negative mentions said since `since`, newest first, at most `limit`."""
        results = MentionItem.negative.query(
            series, MentionItem.created_at >= timing.iso_utc(since), scan_index_forward=False, limit=limit,
            filter_condition=MentionItem.expires_at > int(now.timestamp()),
        )
        return [item.to_record() for item in results]

    def open_complaints(self, now: datetime, limit: int) -> tuple[list[MentionRecord], bool]:
        """Complaints still new or assigned, oldest first; False when there are more than `limit`."""
        results = MentionItem.open_complaints.query(
            OPEN_COMPLAINTS_PARTITION, scan_index_forward=True, limit=limit + 1,
            filter_condition=MentionItem.expires_at > int(now.timestamp()),
        )
        records = [item.to_record() for item in results]
        return records[:limit], len(records) <= limit
