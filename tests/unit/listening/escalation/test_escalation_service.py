"""Escalation of unacknowledged care alerts: timing, order, disabled stages, acknowledgement, overlapping runs,
crashes between the steps of a stage, and what the lead and PR receive."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from chorus.core import time as timing
from chorus.core.roles import Principal
from chorus.listening.schemas import Alert, MentionRecord, RoutingRules
from tests.unit.listening.escalation.fakes import ADMIN, PUBLIC_API, QUESTION, Crash, FrozenReads, World, rules_with
from tests.unit.listening.fakes import T0

CARLA = Principal("carla", frozenset({"care"}))


def test_an_unacknowledged_care_alert_goes_to_the_lead_after_30_minutes_and_to_pr_after_120() -> None:
    world = World()
    alert = world.raise_alert()
    assert alert.escalate_at == "2026-11-20T09:30:00Z" and alert.escalated_to == []
    assert world.at(29).escalation.run() == {"alerts_due": 0, "escalations_sent": 0}
    assert world.at(30).escalation.run() == {"alerts_due": 1, "escalations_sent": 1}
    [lead] = world.escalations.sent
    assert lead.attributes == {"team": "care-lead", "severity": "high", "intent": "complaint", "language": "nl",
                               "platform": "x", "facet": "brand", "kind": "escalation", "sms": "yes"}
    assert lead.subject.startswith("[care-lead high] not acknowledged for 30 minutes: care complaint (nl) on x")
    assert lead.message.startswith("Escalation to care-lead: this care alert has been open for 30 minutes and nobody "
                                   "acknowledged it.")
    assert "schandalig" in lead.message and "https://x.com/k/status/1" in lead.message and alert.id in lead.message
    stored = world.alert(alert.id)
    assert stored.escalated_to == ["care-lead"] and stored.escalate_at == "2026-11-20T11:00:00Z"

    assert world.at(119).escalation.run()["escalations_sent"] == 0
    world.at(121).escalation.run()
    pr = world.escalations.sent[1]
    assert (pr.attributes["team"], pr.attributes["severity"]) == ("pr", "high")
    assert "open for 2 h 01 min" in pr.message and "(care-lead told before)" in pr.message
    assert world.alert(alert.id).escalated_to == ["care-lead", "pr"] and world.alert(alert.id).escalate_at is None
    assert world.at(600).escalation.run() == {"alerts_due": 0, "escalations_sent": 0}
    assert world.told() == ["care-lead", "pr"]


def test_a_late_run_sends_the_stages_in_order_one_per_run() -> None:
    world = World()
    alert = world.raise_alert()
    world.at(300).escalation.run()  # the schedule was down for hours: the lead first
    assert world.told() == ["care-lead"] and world.alert(alert.id).escalate_at == "2026-11-20T11:00:00Z"
    world.at(301).escalation.run()
    assert world.told() == ["care-lead", "pr"]


@pytest.mark.parametrize(("lead", "pr", "told", "first_due"), [
    (0, 120, ["pr"], "2026-11-20T11:00:00Z"),
    (None, 90, ["pr"], "2026-11-20T10:30:00Z"),
    (15, 0, ["care-lead"], "2026-11-20T09:15:00Z"),
    (15, None, ["care-lead"], "2026-11-20T09:15:00Z"),
])
def test_a_stage_set_to_0_or_null_is_skipped(lead: int | None, pr: int | None, told: list[str], first_due: str) -> None:
    world = World(rules_with(lead, pr))
    alert = world.raise_alert()
    assert alert.escalate_at == first_due
    for minute in range(0, 200, 5):
        world.at(minute).escalation.run()
    assert world.told() == told and world.alert(alert.id).escalated_to == told


def test_with_both_stages_off_an_alert_never_enters_the_escalation_index() -> None:
    world = World(rules_with(0, None))
    alert = world.raise_alert()
    assert alert.escalate_at is None
    assert world.at(10_000).escalation.run() == {"alerts_due": 0, "escalations_sent": 0}


def test_only_care_alerts_escalate() -> None:
    world = World()
    world.raise_alert("1", followers=250_000)  # care and PR
    pr = next(a for a in world.alerts.items.values() if a.team == "pr")
    world.listening.process(world.mention("2", text="Bedankt @KPN, snel opgelost!"), "brand")  # praise: marketing
    marketing = next(a for a in world.alerts.items.values() if a.team == "marketing")
    assert pr.escalate_at is None and marketing.escalate_at is None
    world.at(500).escalation.run()
    world.at(501).escalation.run()
    assert world.told() == ["care-lead", "pr"]  # the care alert's stages only


def test_the_lead_gets_a_question_one_severity_higher_and_pr_always_high() -> None:
    world = World()
    world.raise_alert(text=QUESTION)
    world.at(30).escalation.run()
    world.at(120).escalation.run()
    assert [(s.attributes["team"], s.attributes["severity"], s.attributes["sms"]) for s in world.escalations.sent] == [
        ("care-lead", "medium", "no"), ("pr", "high", "yes")]


def test_acknowledging_stops_the_stages_still_ahead() -> None:
    world = World()
    alert = world.raise_alert()
    world.at(31).escalation.run()
    acked = world.listening.acknowledge(alert.id, CARLA)
    assert acked.escalate_at is None and acked.escalated_to == ["care-lead"]
    for minute in (120, 121, 500):
        world.at(minute).escalation.run()
    assert world.told() == ["care-lead"]


def test_an_alert_acknowledged_before_its_first_stage_never_escalates() -> None:
    world = World()
    alert = world.raise_alert()
    world.at(5).listening.acknowledge(alert.id, CARLA)
    world.at(500).escalation.run()
    assert world.told() == []


def test_a_run_that_read_the_alert_before_it_was_acknowledged_sends_nothing() -> None:
    world = World()
    alert = world.raise_alert()
    stale = {alert.id: world.alert(alert.id)}
    world.at(30).listening.acknowledge(alert.id, CARLA)
    world.escalation_service(FrozenReads(world.alerts, stale)).run()
    assert world.told() == [] and world.alert(alert.id).status == "acknowledged"


def test_overlapping_runs_send_each_stage_once() -> None:
    world = World()
    alert = world.raise_alert()
    world.at(30)
    stale = {alert.id: world.alert(alert.id)}  # the second run read the alert before the first claimed it
    world.escalations.while_sending = lambda: world.escalation.run()  # a third run starts while the first sends
    world.escalation.run()
    world.escalation_service(FrozenReads(world.alerts, stale)).run()
    assert world.told() == ["care-lead"] and world.alert(alert.id).escalated_to == ["care-lead"]


def test_a_crash_after_sending_resends_the_stage_only_once_its_claim_has_lapsed() -> None:
    """The documented trade-off: a crash between send and mark means the stage goes out again after the 2-minute
    claim (at least once), never that it is silently lost."""
    world = World()
    alert = world.raise_alert()
    world.escalations.crash_after_send = True
    with pytest.raises(Crash):
        world.at(30).escalation.run()
    assert world.told() == ["care-lead"]
    claimed = world.alert(alert.id)
    assert claimed.escalated_to == [] and claimed.escalate_at == "2026-11-20T09:32:00Z"
    world.at(31).escalation.run()
    world.at(31.9).escalation.run()
    assert world.told() == ["care-lead"]  # within the claim: nothing again
    world.at(32).escalation.run()
    assert world.told() == ["care-lead", "care-lead"]
    world.at(33).escalation.run()
    assert world.told() == ["care-lead", "care-lead"] and world.alert(alert.id).escalated_to == ["care-lead"]


def test_a_crash_after_claiming_sends_the_stage_once_the_claim_has_lapsed() -> None:
    world = World()
    alert = world.raise_alert()
    world.escalations.crash_before_send = True
    with pytest.raises(Crash):
        world.at(30).escalation.run()
    world.at(31).escalation.run()
    assert world.told() == []
    world.at(32).escalation.run()
    assert world.told() == ["care-lead"] and world.alert(alert.id).escalated_to == ["care-lead"]


def test_a_repost_counted_while_the_stage_is_sent_does_not_lose_the_record_of_it() -> None:
    world = World()
    alert = world.raise_alert("1")
    world.at(30)
    world.escalations.while_sending = lambda: world.listening.process(world.mention("2"), "brand")  # a repost
    world.escalation.run()
    stored = world.alert(alert.id)
    assert stored.mentions == 2 and stored.escalated_to == ["care-lead"]
    assert stored.escalate_at == "2026-11-20T11:00:00Z"


def test_an_acknowledgement_while_the_stage_is_sent_records_the_stage_and_stops_the_rest() -> None:
    world = World()
    alert = world.raise_alert()
    world.escalations.while_sending = lambda: world.listening.acknowledge(alert.id, CARLA)
    world.at(30).escalation.run()
    stored = world.alert(alert.id)
    assert stored.status == "acknowledged" and stored.escalated_to == ["care-lead"] and stored.escalate_at is None
    world.at(200).escalation.run()
    assert world.told() == ["care-lead"]


def test_new_minutes_apply_when_the_alert_is_next_looked_at() -> None:
    world = World()
    alert = world.raise_alert()
    world.listening.set_rules(rules_with(45, 120), ADMIN)
    world.at(30).escalation.run()
    assert world.told() == [] and world.alert(alert.id).escalate_at == "2026-11-20T09:45:00Z"
    world.listening.set_rules(rules_with(None, 120), ADMIN)
    world.at(45).escalation.run()
    assert world.told() == [] and world.alert(alert.id).escalate_at == "2026-11-20T11:00:00Z"
    world.at(120).escalation.run()
    assert world.told() == ["pr"]


def test_escalations_share_the_teams_hourly_sms_budget() -> None:
    world = World(rules_with(30, 120, sms_per_hour=1))
    world.raise_alert("1")
    world.raise_alert("2", text="Weer geen internet, echt schandalig @KPN, al de hele week")
    world.at(30).escalation.run()
    assert sorted(s.attributes["sms"] for s in world.escalations.sent) == ["no", "yes"]  # one SMS per team and hour
    world.at(90).escalation.run()  # nothing due; a new hour for care-lead would give a new token
    assert len(world.escalations.sent) == 2


def test_the_email_links_to_a_signed_acknowledgement_for_the_told_team_and_the_sms_has_no_link() -> None:
    world = World()
    alert = world.raise_alert()
    world.at(30).escalation.run()
    [lead] = world.escalations.sent
    line = next(line for line in lead.message.splitlines() if line.startswith("Acknowledge: "))
    url = urlsplit(line.removeprefix("Acknowledge: "))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{PUBLIC_API}/alerts/{alert.id}/ack"
    params = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert params["team"] == "care-lead"
    assert int(params["expires"]) == int((world.clock() + timedelta(days=7)).timestamp())
    assert world.links.signer(alert.id, params, world.clock()).username == "care-lead (email link)"
    assert lead.sms_text is not None and "Acknowledge:" not in lead.sms_text and "schandalig" in lead.sms_text
    [first] = world.first_alerts.sent
    assert "team=care&" in first.message and first.sms_text is not None and "Acknowledge:" not in first.sms_text


def test_a_run_reads_only_the_due_alerts() -> None:
    world = World()
    for n in range(1000):  # 1,000 open care alerts: three raised at T0, the others 20 minutes later
        world.at(0 if n < 3 else 20).raise_alert(str(n), text=f"Bestelling {n} nooit geleverd, echt schandalig")
    world.alerts.item_reads = world.alerts.index_reads = 0
    assert world.at(30).escalation.run() == {"alerts_due": 3, "escalations_sent": 3}
    assert (world.alerts.index_reads, world.alerts.item_reads) == (3, 3)


def test_stages_after_the_alert_expires_are_never_planned() -> None:
    world = World()
    world.listening.retention = timedelta(minutes=60)
    alert = world.raise_alert()
    assert alert.escalate_at == "2026-11-20T09:30:00Z"
    world.at(30).escalation.run()
    assert world.alert(alert.id).escalate_at is None  # PR at 120 minutes would come after it expired at 60


def test_the_pr_stage_must_come_after_the_lead_stage() -> None:
    with pytest.raises(ValueError, match="must be more than"):
        rules_with(60, 30)
    assert RoutingRules.model_validate(rules_with(0, 0).model_dump()).escalation.unacknowledged_to_pr_minutes == 0


def test_the_times_above_are_read_against_t0() -> None:
    assert timing.iso_utc(T0) == "2026-11-20T09:00:00Z"


# ---------------------------------------------------------------------------------------------- the mention is worked
# Issue 11, item 2: a resolved complaint was escalated to the care lead and to PR, and used up PR's SMS budget. An
# alert ends when its mention is answered, resolved or ignored (recorded as such, and by whom).
def close(world: World, alert: Alert, status: str, end: bool = True) -> MentionRecord:
    """The inbox moves the mention; with `end`, it then tells listening (without: a crash in between)."""
    mentions = world.listening.mentions
    record = mentions.get(alert.mention_id, world.clock())
    assert record is not None
    closed = mentions.save(record.model_copy(update={"status": status}))
    if end:
        world.listening.end_alerts(closed, "carla")
    return closed


@pytest.mark.parametrize(("status", "ended"), [("responded", "answered"), ("resolved", "resolved"),
                                               ("ignored", "ignored")])
def test_a_mention_answered_resolved_or_ignored_ends_its_alerts_and_their_escalation(status: str,
                                                                                      ended: str) -> None:
    world = World()
    care = world.raise_alert(followers=250_000)  # care and PR
    pr = next(a for a in world.alerts.items.values() if a.team == "pr")
    close(world.at(10), care, status)
    for alert in (world.alert(care.id), world.alert(pr.id)):
        assert (alert.status, alert.acknowledged_by, alert.acknowledged_at, alert.escalate_at) == (
            ended, "carla", "2026-11-20T09:10:00Z", None)
    for minute in (30, 121, 500):
        world.at(minute).escalation.run()
    assert world.told() == []
    assert world.listening.acknowledge(care.id, ADMIN).status == ended  # acknowledging it later changes nothing


def test_a_mention_still_being_worked_keeps_its_alert() -> None:
    world = World()
    alert = world.raise_alert()
    close(world, alert, "assigned")
    assert world.alert(alert.id).status == "open"
    world.at(30).escalation.run()
    assert world.told() == ["care-lead"]


def test_closing_a_later_mention_of_the_conversation_leaves_the_alert_of_the_first() -> None:
    world = World()
    alert = world.raise_alert("1")
    world.listening.process(replace(world.mention("2", text="Bij mij ook, schandalig"), in_reply_to="1"), "brand")
    first, reply = (world.listening.mentions.get(key, world.clock()) for key in (alert.mention_id,
                                                                                  world.mention("2").id))
    assert first is not None and reply is not None and reply.conversation == first.conversation
    world.listening.end_alerts(world.listening.mentions.save(reply.model_copy(update={"status": "resolved"})),
                               "carla")
    assert world.alert(alert.id).status == "open" and world.alert(alert.id).mentions == 2


def test_an_acknowledged_alert_keeps_who_acknowledged_it() -> None:
    world = World()
    alert = world.raise_alert()
    world.at(5).listening.acknowledge(alert.id, ADMIN)
    close(world.at(10), alert, "resolved")
    assert (world.alert(alert.id).status, world.alert(alert.id).acknowledged_by) == ("acknowledged", "admin")


def test_an_alert_whose_mention_was_closed_without_ending_it_is_ended_by_the_run_instead_of_escalated() -> None:
    """The inbox saved the mention and died before telling listening: the escalation run reads the mention."""
    world = World()
    alert = world.raise_alert()
    close(world.at(10), alert, "resolved", end=False)
    assert world.at(30).escalation.run() == {"alerts_due": 1, "escalations_sent": 0}
    stored = world.alert(alert.id)
    assert (stored.status, stored.acknowledged_by, stored.acknowledged_at, stored.escalate_at) == (
        "resolved", None, "2026-11-20T09:30:00Z", None)
    world.at(121).escalation.run()
    assert world.told() == []
