"""The escalation state machine under any interleaving of time, runs (overlapping, stale, crashing before or after
sending), acknowledgements, reposts and the mention being resolved in the inbox (which may die before it ends the
alert): stages go out in order, each at most once unless a run died between sending and recording it (then once more,
after its claim), never after the acknowledgement or the resolution; without either, all of them."""
from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.core.roles import Principal
from chorus.listening.escalation import rules as escalation
from chorus.listening.schemas import Alert
from tests.unit.listening.escalation.fakes import Crash, FrozenReads, World, rules_with

CARLA = Principal("carla", frozenset({"care"}))
RUNS = ("run", "run_crash_before_send", "run_crash_after_send", "run_overlapping", "run_stale")
MEANWHILE = ("ack_while_sending", "repost_while_sending", "resolve_while_sending")
CLOSING = ("resolve", "resolve_unended")  # the inbox resolves the mention; unended: it dies before telling listening

stage_minutes = st.tuples(st.sampled_from([None, 0, 10, 30]), st.sampled_from([None, 0, 20, 60, 120])).filter(
    lambda pair: not (pair[0] and pair[1] and pair[1] <= pair[0]))
steps = st.lists(st.one_of(
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=90)),
    st.tuples(st.sampled_from(RUNS + MEANWHILE + CLOSING + ("ack",)), st.just(0)),
), max_size=30)


@settings(max_examples=300, deadline=None)
@given(stage_minutes, steps)
def test_stages_go_out_in_order_at_most_once_per_claim_and_never_after_the_acknowledgement(
        minutes: tuple[int | None, int | None], plan: list[tuple[str, int]]) -> None:
    world = World(rules_with(*minutes))
    alert = world.raise_alert()
    enabled = [stage.team for stage in escalation.stages(alert, world.listening.rules().escalation)]
    crashed_after_send: Counter[str] = Counter()
    sent_when_acknowledged: int | None = None
    snapshot: Alert = alert
    reposts = 0

    def resolve(end: bool) -> None:
        record = world.listening.mentions.get(alert.mention_id, world.clock())
        assert record is not None
        resolved = record if record.status == "resolved" else world.listening.mentions.save(
            record.model_copy(update={"status": "resolved"}))
        if end:
            world.listening.end_alerts(resolved, CARLA.username)

    for kind, amount in plan:
        before = world.alert(alert.id)
        if kind == "wait":
            world.clock.advance(minutes=amount)
        elif kind == "ack":
            world.listening.acknowledge(alert.id, CARLA)
        elif kind in CLOSING:
            resolve(end=kind == "resolve")
            if sent_when_acknowledged is None:
                sent_when_acknowledged = len(world.escalations.sent)
        else:
            service = world.escalation
            if kind == "run_crash_before_send":
                world.escalations.crash_before_send = True
            elif kind == "run_crash_after_send":
                world.escalations.crash_after_send = True
            elif kind == "run_overlapping":
                world.escalations.while_sending = lambda: world.escalation.run()
            elif kind == "run_stale":  # read before the previous step changed anything
                service = world.escalation_service(FrozenReads(world.alerts, {alert.id: snapshot}))
            elif kind == "ack_while_sending":
                world.escalations.while_sending = lambda: world.listening.acknowledge(alert.id, CARLA)
            elif kind == "resolve_while_sending":
                world.escalations.while_sending = lambda: resolve(end=True)
            elif kind == "repost_while_sending":
                reposts += 1
                world.escalations.while_sending = lambda repost=f"r{reposts}": world.listening.process(
                    world.mention(repost), "brand")
            sent_before = len(world.escalations.sent)
            try:
                service.run()
            except Crash:
                if kind == "run_crash_after_send":
                    crashed_after_send[world.escalations.sent[-1].attributes["team"]] += 1
            assert kind != "run_crash_before_send" or len(world.escalations.sent) == sent_before
            world.escalations.crash_before_send = world.escalations.crash_after_send = False
            world.escalations.while_sending = None
        if sent_when_acknowledged is None and world.alert(alert.id).status != "open":
            sent_when_acknowledged = len(world.escalations.sent)
        snapshot = before

        told = world.told()
        stored = world.alert(alert.id)
        assert stored.escalated_to == [team for team in enabled if team in stored.escalated_to]  # in order, once each
        assert list(dict.fromkeys(told)) == [team for team in enabled if team in told]  # first sends in stage order
        for team, count in Counter(told).items():
            assert count <= 1 + crashed_after_send[team], (team, told, crashed_after_send)
        if sent_when_acknowledged is not None:
            assert len(told) == sent_when_acknowledged  # nothing more once acknowledged or resolved
            assert stored.escalate_at is None or stored.status == "open"  # resolved, not ended: the next run ends it

    # Left alone long enough, an alert nobody acknowledged reaches every enabled stage; one whose mention was
    # resolved ends, even when the inbox died before ending it, and tells nobody more.
    if sent_when_acknowledged is not None:
        for _ in range(3):
            world.clock.advance(hours=3)
            world.escalation.run()
        assert len(world.escalations.sent) == sent_when_acknowledged and world.alert(alert.id).escalate_at is None
    else:
        for _ in enabled:
            world.clock.advance(hours=3)
            world.escalation.run()
        assert world.alert(alert.id).escalated_to == enabled and world.alert(alert.id).escalate_at is None
        assert set(world.told()) == set(enabled)
