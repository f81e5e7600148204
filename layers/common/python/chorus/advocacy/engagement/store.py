"""Engagement in the AdvocacyTable (keys in chorus.advocacy.store's layout table): the counters, one item per person,
day, event and channel, only ever changed by ADD; and the report's settings, one item (eng#settings / settings)
replaced as a whole by the social master, where missing means the defaults: the leaderboard is off.

  count an event .............. UpdateItem ADD on eng#<person> / c#<day>#<event>#<channel>
  count an event once ......... the same ADD and a once-marker put (eng#<person> / once#<event>#<sha256 of the
                                key>) in one TransactWriteItems (a retried request, a redelivered message or a second
                                confirmation of the same share counts nothing)
  counts of a period .......... gsi1 Query per day: engday#<day> (every person's counters of that day)
  counts of one person ........ Query eng#<person>, sk between c#<from> and c#<to>~
  the report's settings ....... GetItem / PutItem eng#settings / settings"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.update import Action
from pynamodb.transactions import TransactWrite

from chorus.advocacy.engagement.rules import Count, check_event, day_of
from chorus.advocacy.engagement.schemas import ReportSettings
from chorus.advocacy.store import AdvocacyItem, Gsi1
from chorus.aws.tables import cancellation_reasons, table, transaction_connection
from chorus.core.errors import Stale
from chorus.core.retry import retry_on_conflict

SETTINGS_PARTITION = "eng#settings"
SETTINGS_SORT = "settings"


@table("advocacy_table")
class ReportSettingsItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    leaderboard_enabled = BooleanAttribute(default=False)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class ReportSettingsRepository:
    def get(self) -> ReportSettings:
        try:
            item = ReportSettingsItem.get(SETTINGS_PARTITION, SETTINGS_SORT, consistent_read=True)
        except ReportSettingsItem.DoesNotExist:
            return ReportSettings(leaderboard_enabled=False)
        return ReportSettings(leaderboard_enabled=bool(item.leaderboard_enabled), updated_at=item.updated_at,
                              updated_by=item.updated_by)

    def put(self, settings: ReportSettings) -> None:
        ReportSettingsItem(SETTINGS_PARTITION, SETTINGS_SORT, **settings.model_dump()).save()


PARTITION = "eng#"
COUNTER = "c#"
ONCE = "once#"
KEEP_DAYS = 800  # two years of reports and their comparisons


@table("advocacy_table")
class EngagementItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    # Stored as `count`; named otherwise here, since Model.count is PynamoDB's query count.
    total = NumberAttribute(default=0, attr_name="count")
    person = UnicodeAttribute(null=True)
    day = UnicodeAttribute(null=True)
    event = UnicodeAttribute(null=True)
    channel = UnicodeAttribute(null=True)

    gsi1: Gsi1[EngagementItem] = Gsi1()

    @classmethod
    def counter(cls, person: str, event: str, channel: str, moment: datetime) -> EngagementItem:
        day = day_of(moment)
        return cls(f"{PARTITION}{person}", f"{COUNTER}{day}#{event}#{channel}", gsi1pk=f"engday#{day}",
                   gsi1sk=f"{person}#{event}#{channel}", person=person, day=day, event=event, channel=channel,
                   expires_at=int((moment + timedelta(days=KEEP_DAYS)).timestamp()))

    def to_count(self) -> Count:
        return Count(self.person or "", date.fromisoformat(self.day or "1970-01-01"), self.event or "",
                     self.channel or "", int(self.total or 0))


class EngagementLedger:
    def record(self, person: str, event: str, moment: datetime, channel: str | None = None, count: int = 1,
               once_key: str | None = None) -> bool:
        """Add `count` to the person's counter of that day, event and channel. With `once_key`, only the first
        call with that key counts (False for the later ones)."""
        item = EngagementItem.counter(person, event, check_event(event, channel), moment)
        actions: list[Action] = [
            EngagementItem.total.add(count), EngagementItem.gsi1pk.set(item.gsi1pk),
            EngagementItem.gsi1sk.set(item.gsi1sk), EngagementItem.person.set(person), EngagementItem.day.set(item.day),
            EngagementItem.event.set(event), EngagementItem.channel.set(item.channel),
            EngagementItem.expires_at.set(item.expires_at),
        ]
        if once_key is None:
            item.update(actions=actions)
            return True
        # Hashed: a key may be personal (a share's URL names its author), and markers outlive an erasure like counts do.
        marker_key = hashlib.sha256(once_key.encode()).hexdigest()[:32]
        marker = EngagementItem(f"{PARTITION}{person}", f"{ONCE}{event}#{marker_key}", expires_at=item.expires_at)

        def add(attempt: int) -> bool:
            try:
                with TransactWrite(connection=transaction_connection()) as transaction:
                    transaction.save(marker, condition=EngagementItem.sk.does_not_exist())
                    transaction.update(item, actions=actions)
            except TransactWriteError as error:
                if cancellation_reasons(error)[0] == "ConditionalCheckFailed":
                    return False
                raise Stale("another transaction held the counter") from None
            return True

        return retry_on_conflict(add, f"the {event} counter of {person} stayed busy; try again")

    def of_day(self, day: date) -> list[Count]:
        """Every person's counters of one UTC day."""
        return [item.to_count() for item in EngagementItem.gsi1.query(f"engday#{day.isoformat()}")]

    def of_period(self, start: date, end: date) -> list[Count]:
        """Every counter from `start` to `end` inclusive: one Query per day."""
        days = (end - start).days + 1
        return [count for n in range(max(0, days)) for count in self.of_day(start + timedelta(days=n))]

    def of_person(self, person: str, start: date, end: date) -> list[Count]:
        results = EngagementItem.query(
            f"{PARTITION}{person}",
            EngagementItem.sk.between(f"{COUNTER}{start.isoformat()}", f"{COUNTER}{end.isoformat()}~"))
        return [item.to_count() for item in results]
