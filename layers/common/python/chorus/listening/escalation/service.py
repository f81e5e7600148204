"""Escalation of unacknowledged alerts, run every minute by escalate_alerts (a schedule, not a sleep).

A run reads only the alerts whose `escalate_at` has come (a sparse index), then per alert: reads the mention it was
raised for (answered, resolved or ignored meanwhile: the alert ends instead, in case the inbox could not end it itself),
claims the stage (moves
`escalate_at` ESCALATION_CLAIM ahead with optimistic locking, so of overlapping runs exactly one wins), sends it,
and marks it sent (`escalated_to`, the next stage's `escalate_at`). A run that dies between sending and marking
leaves its claim to lapse, and the stage is sent again once the claim ends. That duplicate is the one accepted:
SNS cannot publish idempotently to email and SMS, and the alternative, never retrying a claimed stage, would let
a complaint nobody answered go unseen because of one crash."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from chorus.core.errors import Conflict
from chorus.core.observability import logger
from chorus.core.retry import retry_on_conflict
from chorus.core.time import Clock
from chorus.listening.escalation import rules as escalation
from chorus.listening.schemas import Alert, MentionRecord, RoutingRules, Texts
from chorus.listening.service import AckLinks, AlertSink

BATCH = 100  # alerts per run; more stay due and the next minute's run takes them


class EscalatingAlerts(Protocol):
    def get(self, alert_id: str, now: datetime) -> Alert | None: ...
    def save(self, alert: Alert) -> Alert: ...
    def due_for_escalation(self, now: datetime, limit: int) -> list[str]: ...


class MentionLookup(Protocol):
    def get(self, key: str, now: datetime) -> MentionRecord | None: ...


class EscalationService:
    def __init__(self, alerts: EscalatingAlerts, mentions: MentionLookup, notifier: AlertSink,
                 rules: Callable[[], RoutingRules], sms_budget: Callable[[str, datetime, RoutingRules], bool],
                 ack_links: AckLinks | None, clock: Clock) -> None:
        self.alerts = alerts
        self.mentions = mentions
        self.notifier = notifier
        self.rules = rules
        self.sms_budget = sms_budget  # the team's hourly SMS budget, shared with first alerts
        self.ack_links = ack_links
        self.clock = clock

    def run(self) -> dict[str, int]:
        now = self.clock()
        due = self.alerts.due_for_escalation(now, BATCH)
        if not due:
            return {"alerts_due": 0, "escalations_sent": 0}
        rules = self.rules()
        sent = 0
        for alert_id in due:
            alert = self.alerts.get(alert_id, now)  # consistent: the index may lag a claim or an acknowledgement
            if alert is not None and self._escalate(alert, rules, now):
                sent += 1
        return {"alerts_due": len(due), "escalations_sent": sent}

    def _escalate(self, alert: Alert, rules: RoutingRules, now: datetime) -> bool:
        stage = escalation.due_stage(alert, rules.escalation, now)
        if stage is None:
            if escalation.is_due(alert, now):  # acknowledged, or the rules now put its stage later or nowhere
                self._save_if_unchanged(escalation.replanned(alert, rules.escalation))
            return False
        mention = self.mentions.get(alert.mention_id, now)
        ending = escalation.ending_for(mention.status) if mention else None
        if ending:  # worked in the inbox, which died before ending the alert: who did it is not known here
            self._save_if_unchanged(escalation.ended(alert, ending, None, now))
            logger.info("alert ended: its mention was closed", extra={"alert": alert.id, "status": ending})
            return False
        try:
            claimed = self.alerts.save(escalation.claimed(alert, now))
        except Conflict:
            return False  # another run claimed it, or it changed (acknowledged?): the next run reads it afresh
        sms = stage.severity == "high" and self.sms_budget(stage.team, now, rules)
        link = self.ack_links.link(alert.id, stage.team, now) if self.ack_links else None

        def texts(language: str) -> Texts:
            address = f"{link}&lang={language}" if link else None
            return Texts(escalation.subject(claimed, stage, now, language),
                         escalation.message(claimed, stage, now, address, language),
                         escalation.message(claimed, stage, now, None, language) if link else None)

        english = texts("en")
        self.notifier.send(english.subject, english.message, sms_text=english.sms_text, written_in="en",
                           translations={"nl": texts("nl")}, **escalation.attributes(claimed, stage, sms))
        self._mark_sent(claimed, stage, rules, now)
        logger.info("alert escalated",
                    extra={"alert": alert.id, "to": stage.team, "severity": stage.severity, "sms": sms})
        return True

    def _mark_sent(self, alert: Alert, stage: escalation.Stage, rules: RoutingRules, now: datetime) -> None:
        def record(attempt: int) -> None:  # counted or acknowledged meanwhile: record the stage on the new state
            current = alert if attempt == 0 else self.alerts.get(alert.id, now)
            if current is not None:
                self.alerts.save(escalation.escalated(current, stage, rules.escalation))

        try:
            retry_on_conflict(record, f"alert {alert.id} kept changing")
        except Conflict:
            logger.error("escalation sent but not recorded; it is sent again when its claim lapses",
                         extra={"alert": alert.id, "to": stage.team})

    def _save_if_unchanged(self, alert: Alert) -> None:
        try:
            self.alerts.save(alert)
        except Conflict:
            pass  # changed meanwhile: the next run looks again
