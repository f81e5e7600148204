"""A world for escalation tests: the listening service raises real alerts, the escalation service runs against the
same in-memory alerts (the repository's semantics: the version travels with the alert, plus the sparse index)."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from chorus.core import time as timing
from chorus.core.errors import Stale
from chorus.core.roles import Principal
from chorus.http.signing import AckLinks
from chorus.listening.escalation.service import EscalatingAlerts, EscalationService
from chorus.listening.rules import DEFAULT_RULES
from chorus.listening.schemas import Alert, RoutingRules, Texts
from chorus.listening.service import Alerts, ListeningService
from chorus.platforms.base import Author, Mention
from tests.clock import Clock
from tests.unit.listening.fakes import (
    T0,
    MemoryMentions,
    MemoryNotifier,
    MemoryQueue,
    MemoryState,
    Sent,
    keyword_classifier,
    paged,
)

COMPLAINT = "Al drie dagen geen internet en niemand neemt op, echt schandalig @KPN"
QUESTION = "Weet iemand waarom de app van @KPN niet werkt?"
PUBLIC_API = "https://chorus.example/api"
KEY = b"test-signing-key"
ADMIN = Principal("admin", frozenset({"master"}))


class Crash(BaseException):
    """The Lambda dies here (a BaseException, so no `except Exception` in the code under test can swallow it)."""


class VersionedAlerts(Alerts, EscalatingAlerts):
    """Alerts as AlertRepository keeps them: a save of an older read is a Conflict. Counts what is read."""

    def __init__(self) -> None:
        self.items: dict[str, Alert] = {}
        self.item_reads = 0
        self.index_reads = 0

    def get(self, alert_id: str, now: datetime) -> Alert | None:
        self.item_reads += 1
        alert = self.items.get(alert_id)
        return None if alert is None or alert.expires_at <= now.timestamp() else alert

    def create(self, alert: Alert) -> Alert | None:
        if alert.id in self.items:
            return None
        self.items[alert.id] = alert.model_copy(update={"version": 1})
        return self.items[alert.id]

    def save(self, alert: Alert) -> Alert:
        if self.items[alert.id].version != alert.version:
            raise Stale("the alert was changed by someone else meanwhile")
        self.items[alert.id] = alert.model_copy(update={"version": alert.version + 1})
        return self.items[alert.id]

    def recent(self, since: datetime, now: datetime, limit: int) -> list[Alert]:
        """Created since `since`, not expired, newest first (AlertRepository.recent)."""
        found = [a for a in self.items.values()
                 if a.created_at >= timing.iso_utc(since) and a.expires_at > now.timestamp()]
        return sorted(found, key=lambda a: a.created_at, reverse=True)[:limit]

    def page(self, since: datetime, now: datetime, limit: int, cursor: str | None) -> tuple[list[Alert], str | None]:
        return paged(self.recent(since, now, 10**6), limit, cursor)

    def due_for_escalation(self, now: datetime, limit: int) -> list[str]:
        """The sparse index: only alerts that carry escalate_at, oldest first."""
        due = sorted((a.escalate_at, a.id) for a in self.items.values()
                     if a.escalate_at and a.escalate_at <= timing.iso_utc(now))
        self.index_reads += len(due[:limit])
        return [alert_id for _, alert_id in due[:limit]]


class FrozenReads(EscalatingAlerts):
    """What a run sees when it read the alerts before another run changed them (saves go to the real store)."""

    def __init__(self, store: VersionedAlerts, snapshot: dict[str, Alert]) -> None:
        self.store, self.snapshot = store, snapshot

    def due_for_escalation(self, now: datetime, limit: int) -> list[str]:
        return list(self.snapshot)

    def get(self, alert_id: str, now: datetime) -> Alert | None:
        return self.snapshot[alert_id]

    def save(self, alert: Alert) -> Alert:
        return self.store.save(alert)


class ScriptedNotifier(MemoryNotifier):
    """Records what goes out; can die before or after sending, or let something happen while it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.crash_before_send = False
        self.crash_after_send = False
        self.while_sending: Callable[[], object] | None = None

    def send(self, subject: str, message: str, *, sms_text: str | None = None, **attributes: Any) -> None:
        # Listening's alerts come with their translations (AlertSink); spikes and digests in one language.
        attributes.pop("written_in", None)
        translations: Mapping[str, Texts] = attributes.pop("translations", None) or {}
        if self.crash_before_send:
            self.crash_before_send = False
            raise Crash()
        self.sent.append(Sent(subject, message, attributes, sms_text, dict(translations)))
        meanwhile, self.while_sending = self.while_sending, None
        if meanwhile:
            meanwhile()
        if self.crash_after_send:
            self.crash_after_send = False
            raise Crash()


class World:
    def __init__(self, rules: RoutingRules = DEFAULT_RULES) -> None:
        self.clock = Clock(T0)
        self.alerts, self.state = VersionedAlerts(), MemoryState()
        self.first_alerts, self.escalations = MemoryNotifier(), ScriptedNotifier()
        self.links = AckLinks(lambda: KEY, PUBLIC_API)
        self.listening = ListeningService(MemoryMentions(), self.alerts, self.state, MemoryQueue(), self.first_alerts,
                                          keyword_classifier, self.clock, timedelta(days=90), ack_links=self.links)
        self.listening.set_rules(rules, ADMIN)
        self.escalation = self.escalation_service(self.alerts)

    def escalation_service(self, alerts: EscalatingAlerts) -> EscalationService:
        return EscalationService(alerts, self.listening.mentions, self.escalations, rules=self.listening.rules,
                                 sms_budget=self.listening.sms_budget, ack_links=self.links, clock=self.clock)

    def mention(self, platform_id: str, text: str = COMPLAINT, followers: int = 120) -> Mention:
        return Mention(platform="x", platform_id=platform_id, text=text, created_at=self.clock(),
                       author=Author(f"klant{platform_id}", followers=followers),
                       url=f"https://x.com/k/status/{platform_id}")

    def raise_alert(self, platform_id: str = "1", text: str = COMPLAINT, followers: int = 120) -> Alert:
        """A mention that starts a conversation; returns its care alert."""
        mention = self.mention(platform_id, text, followers)
        self.listening.process(mention, "brand")
        return next(a for a in self.alerts.items.values() if a.mention_id == mention.id and a.team == "care")

    def alert(self, alert_id: str) -> Alert:
        return self.alerts.items[alert_id]

    def at(self, minutes: float) -> World:
        """Move the clock to `minutes` after T0 (when tests raise their first alert)."""
        self.clock.now = T0 + timedelta(minutes=minutes)
        return self

    def told(self) -> list[str]:
        return [s.attributes["team"] for s in self.escalations.sent]


def rules_with(lead: int | None, pr: int | None, sms_per_hour: int = 5) -> RoutingRules:
    data = DEFAULT_RULES.model_dump()
    data["escalation"].update(unacknowledged_to_lead_minutes=lead, unacknowledged_to_pr_minutes=pr)
    return RoutingRules.model_validate({**data, "sms_per_hour": sms_per_hour})
