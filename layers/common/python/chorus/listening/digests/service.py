"""Use case: at each digest time, send every team's email subscribers their digest (chorus.listening.digests.rules),
once.

send_due runs every quarter of an hour and reads the digest times from the routing rules, so changing them needs no
redeploy. Each digest time is one state item saved with optimistic locking: of two overlapping runs one claims it,
and after each team's digest it notes that team as sent. A run that dies midway leaves the claim to run out; the next
run sends the teams still missing. The digest carries `kind=digest` and no severity or SMS attribute, so email
subscriptions (whatever their minimum severity) receive it and SMS subscriptions never do (see
Subscription.filter_policy in chorus.listening.schemas)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from chorus.core import time as timing
from chorus.core.errors import Conflict
from chorus.core.observability import logger
from chorus.core.time import Clock
from chorus.inbox.rules import STATUSES, InboxPage, InboxQuery
from chorus.listening.digests import rules as digest
from chorus.listening.digests.rules import Period
from chorus.listening.digests.schemas import Slot, SlotState
from chorus.listening.schemas import TEAMS, Alert, MentionRecord, RoutingRules, Texts
from chorus.listening.spikes.schemas import Spike

# Read budgets of one digest run (for all teams together). Beyond them the digest says its counts are a lower bound.
MAX_PERIOD_MENTIONS = 2000
PAGE = 500
MAX_OPEN_COMPLAINTS = 500
MAX_ALERTS = 500
MAX_SPIKES = 100
SECOND = timedelta(seconds=1)


class InboxReads(Protocol):
    def page(self, query: InboxQuery, now: datetime, limit: int, cursor: str | None) -> InboxPage: ...


class OpenComplaints(Protocol):
    def open_complaints(self, now: datetime, limit: int) -> tuple[list[MentionRecord], bool]: ...


class RecentAlerts(Protocol):
    def recent(self, since: datetime, now: datetime, limit: int) -> list[Alert]: ...


class SpikeLog(Protocol):
    def between(self, since: datetime, until: datetime, now: datetime, limit: int,
                newest_first: bool) -> list[Spike]: ...


class Slots(Protocol):
    def get(self, key: str) -> SlotState: ...
    def save(self, state: SlotState, now: datetime) -> SlotState: ...


class DigestSink(Protocol):
    """The alerts topic: the digest in `written_in`, and its translations for the other languages' subscribers
    (chorus.listening.store.LocalizedAlerts)."""

    def send(self, subject: str, message: str, *, written_in: str | None = None,
             translations: Mapping[str, Texts] | None = None, **attributes: str) -> None: ...


class DigestService:
    def __init__(self, inbox: InboxReads, mentions: OpenComplaints, alerts: RecentAlerts, spikes: SpikeLog,
                 slots: Slots, notifier: DigestSink, rules: Callable[[], RoutingRules], clock: Clock,
                 timezone: str) -> None:
        self.inbox = inbox
        self.mentions = mentions
        self.alerts = alerts
        self.spikes = spikes
        self.slots = slots
        self.notifier = notifier
        self.rules = rules
        self.clock = clock
        self.timezone = timezone

    def send_due(self) -> dict[str, Any]:
        now = self.clock()
        rules = self.rules()
        slot = digest.due_slot(rules.digest.times, self.timezone, now)
        if slot is None:
            return {"due": None, "sent": 0, "items_read": 1}
        state = self.slots.get(slot.key)
        result: dict[str, Any] = {"due": timing.iso_utc(slot.at), "sent": 0, "items_read": 2}
        if not state.claimable(now):
            return result  # sent already, or another run is sending it
        try:
            state = self.slots.save(state.claimed(slot, now), now)
        except Conflict:
            return result
        period, items_read = self._read(slot, now, rules)
        result["items_read"] += items_read
        for team in TEAMS:
            if team in state.sent:
                continue
            this = digest.for_team(team, period)
            subject, text = digest.render(this, self.timezone, now)
            self.notifier.send(subject, text, written_in="en",
                               translations={"nl": Texts(*digest.render(this, self.timezone, now, "nl"))},
                               team=team, kind="digest")
            result["sent"] += 1
            try:
                state = self.slots.save(state.with_sent(team, now), now)
            except Conflict:
                # Only when this run outlived its claim and another run took over: that one sends the rest.
                logger.warning("digest claim lost while sending", extra={"slot": slot.key, "team": team})
                break
        logger.info("digests sent", extra=result)
        return result

    def _read(self, slot: Slot, now: datetime, rules: RoutingRules) -> tuple[Period, int]:
        """Everything the period's digests show, read once for all teams: each read a Query with a limit."""
        query = InboxQuery(STATUSES, since=slot.since, until=slot.at - SECOND)
        mentions: list[MentionRecord] = []
        cursor: str | None = None
        items_read = 0
        while True:
            page = self.inbox.page(query, now, PAGE, cursor)
            mentions += page.items
            items_read += page.items_read
            cursor = page.next_cursor
            if cursor is None or len(mentions) >= MAX_PERIOD_MENTIONS:
                break
        open_complaints, open_complete = self.mentions.open_complaints(now, MAX_OPEN_COMPLAINTS)
        # An alert raised up to its last escalation stage before the period may have escalated within it.
        stages = (rules.escalation.unacknowledged_to_lead_minutes, rules.escalation.unacknowledged_to_pr_minutes)
        lookback = timedelta(minutes=max((m for m in stages if m), default=0))
        alerts = self.alerts.recent(slot.since - lookback, now, MAX_ALERTS)
        found_spikes = self.spikes.between(slot.since, slot.at, now, MAX_SPIKES, newest_first=False)
        items_read += len(open_complaints) + len(alerts) + len(found_spikes)
        period = Period(slot=slot, mentions=mentions, mentions_complete=cursor is None, open_complaints=open_complaints,
                        open_complete=open_complete, alerts=alerts, spikes=found_spikes)
        return period, items_read
