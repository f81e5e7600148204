"""When an alert nobody acknowledged moves up: an open `care` alert goes to the care lead after
`unacknowledged_to_lead_minutes`, then to PR after `unacknowledged_to_pr_minutes`, both counted from the moment the
alert was raised (0 or null skips a stage). Acknowledging it, or answering, resolving or ignoring its mention in the
inbox, ends it and stops every stage still ahead.

An alert carries `escalate_at`, the moment its next stage is due, and `escalated_to`, the teams told so far. The
escalation run also moves `escalate_at` forward by ESCALATION_CLAIM while it sends a stage: that is its claim, so an
overlapping run does not find the alert, and a run that died after claiming leaves it due again once the claim ends."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from chorus.core import time as timing
from chorus.listening.schemas import SEVERITIES, WORDS, Alert, Escalation

ESCALATING_TEAM = "care"
# Longer than the escalate_alerts function may run (50 s), so a claim never ends while its run is still sending.
ESCALATION_CLAIM = timedelta(minutes=2)


@dataclass(frozen=True)
class Stage:
    team: str  # who is told
    after: timedelta  # how long after the alert was raised
    severity: str  # what the told team's subscriptions filter on


def stages(alert: Alert, rules: Escalation) -> list[Stage]:
    """The escalation stages of this alert, in order (none for teams other than care)."""
    if alert.team != ESCALATING_TEAM:
        return []
    planned = [
        # An unanswered alert is more urgent than when it was raised: the lead gets it one severity higher.
        ("care-lead", rules.unacknowledged_to_lead_minutes, _raised(alert.severity)),
        # Seed 004: by now a customer may be mobilising their network, which makes it a PR matter.
        ("pr", rules.unacknowledged_to_pr_minutes, "high"),
    ]
    return [Stage(team, timedelta(minutes=minutes), severity) for team, minutes, severity in planned if minutes]


def next_stage(alert: Alert, rules: Escalation) -> Stage | None:
    """The first stage not yet sent, while the alert is open (a stage after the alert expires never comes)."""
    if alert.status != "open":
        return None
    stage = next((s for s in stages(alert, rules) if s.team not in alert.escalated_to), None)
    return stage if stage is not None and (raised_at(alert) + stage.after).timestamp() < alert.expires_at else None


def next_escalate_at(alert: Alert, rules: Escalation) -> str | None:
    """When the next stage is due, or None when no stage is ahead (the alert then leaves the escalation index)."""
    stage = next_stage(alert, rules)
    return timing.iso_utc(raised_at(alert) + stage.after) if stage else None


def is_due(alert: Alert, now: datetime) -> bool:
    """Its `escalate_at` has come: a stage is due, or a run's claim on one lapsed."""
    return alert.escalate_at is not None and timing.from_iso_utc(alert.escalate_at) <= now


def due_stage(alert: Alert, rules: Escalation, now: datetime) -> Stage | None:
    """The stage to send now: the alert is due (not claimed by a run) and the stage's time has come under the
    current rules."""
    stage = next_stage(alert, rules) if is_due(alert, now) else None
    return stage if stage is not None and raised_at(alert) + stage.after <= now else None


def replanned(alert: Alert, rules: Escalation) -> Alert:
    """A due alert whose stage the current rules put later, or drop (it then leaves the escalation index)."""
    return alert.model_copy(update={"escalate_at": next_escalate_at(alert, rules)})


def claimed(alert: Alert, now: datetime) -> Alert:
    """The alert while a run sends its stage: out of every other run's sight until the claim ends."""
    return alert.model_copy(update={"escalate_at": timing.iso_utc(now + ESCALATION_CLAIM)})


def escalated(alert: Alert, stage: Stage, rules: Escalation) -> Alert:
    """The alert once `stage` went out: the team recorded (once), the next stage planned (or none)."""
    teams = alert.escalated_to if stage.team in alert.escalated_to else [*alert.escalated_to, stage.team]
    return replanned(alert.model_copy(update={"escalated_to": teams}), rules)


# How an alert ends when the mention it was raised for moves to one of these statuses in the inbox.
ENDINGS = {"responded": "answered", "resolved": "resolved", "ignored": "ignored"}


def ending_for(mention_status: str) -> str | None:
    """The alert status a mention in this status ends its alert with; None while the mention is still open."""
    return ENDINGS.get(mention_status)


def ended(alert: Alert, status: str, by: str | None, now: datetime) -> Alert:
    """The alert once it is acknowledged, or its mention answered, resolved or ignored: who (when known) and when, and
    no stage ahead (it leaves the escalation index). An alert that ended already stays as it ended."""
    if alert.status != "open":
        return alert
    return alert.model_copy(update={"status": status, "acknowledged_by": by, "acknowledged_at": timing.iso_utc(now),
                                    "escalate_at": None})


def raised_at(alert: Alert) -> datetime:
    return timing.from_iso_utc(alert.created_at)


def attributes(alert: Alert, stage: Stage, sms: bool) -> dict[str, str]:
    """The alert's SNS message attributes, addressed to the stage's team (its subscriptions filter on team, severity
    and, for SMS, the hourly budget)."""
    return {**alert.attributes(), "team": stage.team, "severity": stage.severity, "kind": "escalation",
            "sms": "yes" if sms else "no"}


def subject(alert: Alert, stage: Stage, now: datetime, language: str = "en") -> str:
    who = f"@{alert.author_handle.lstrip('@')}"
    if language == "nl":
        words = WORDS["nl"]
        return (f"[{stage.team} {words[stage.severity]}] {open_for(alert, now, 'nl')} niet opgepakt: {alert.team} "
                f"{words.get(alert.intent, alert.intent)} ({alert.language}) op {alert.platform} door {who}")
    return (f"[{stage.team} {stage.severity}] not acknowledged for {open_for(alert, now)}: {alert.team} {alert.intent} "
            f"({alert.language}) on {alert.platform} by {who}")


def message(alert: Alert, stage: Stage, now: datetime, ack_link: str | None, language: str = "en") -> str:
    """What the stage's team reads: that this is an escalation, how long the alert has been open, then the alert."""
    if language == "nl":
        told_before = f" ({', '.join(alert.escalated_to)} kreeg hem al eerder)" if alert.escalated_to else ""
        intro = (f"Escalatie naar {stage.team}: deze melding voor {alert.team} staat al {open_for(alert, now, 'nl')} "
                 f"open en niemand heeft hem opgepakt{told_before}.")
    else:
        told_before = f" ({', '.join(alert.escalated_to)} told before)" if alert.escalated_to else ""
        intro = (f"Escalation to {stage.team}: this {alert.team} alert has been open for {open_for(alert, now)} and "
                 f"nobody acknowledged it{told_before}.")
    return "\n".join([intro, "", alert.message(ack_link, language)])


def open_for(alert: Alert, now: datetime, language: str = "en") -> str:
    minutes = max(0, int((now - raised_at(alert)).total_seconds() // 60))
    if minutes < 120:
        return f"{minutes} {'minuten' if language == 'nl' else 'minutes'}"
    hours, rest = divmod(minutes, 60)
    return f"{hours} {'uur' if language == 'nl' else 'h'} {rest:02d} min"


def _raised(severity: str) -> str:
    return SEVERITIES[min(SEVERITIES.index(severity), len(SEVERITIES) - 2) + 1]
