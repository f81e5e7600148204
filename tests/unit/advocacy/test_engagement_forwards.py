"""Forwarding a mention (seed 001 BEdreiging): always in the caller's name, to the team they chose as well as the
teams routing picks, with their note for that team, and counted once per person and mention."""
from __future__ import annotations

from datetime import timedelta

from chorus.advocacy.engagement.service import Forwards
from chorus.core.roles import Principal
from chorus.listening.rules import Route, with_forward
from chorus.listening.schemas import MentionIn
from chorus.listening.service import ListeningService
from tests.clock import Clock
from tests.unit.advocacy.fakes import MemoryLedger
from tests.unit.advocacy.test_engagement_report import FakePeople, person
from tests.unit.listening.fakes import (
    T0,
    MemoryAlerts,
    MemoryMentions,
    MemoryNotifier,
    MemoryQueue,
    MemoryState,
    keyword_classifier,
)

COMPLAINT = "Al drie dagen geen internet en niemand neemt op, echt schandalig"
QUESTION_FOR_SALES = "Does anyone know whether the new plan includes roaming in Canada?"
ELLEN = Principal("ellen", frozenset({"publisher"}))
CARLA = Principal("carla", frozenset({"care"}))


class World:
    def __init__(self) -> None:
        self.clock = Clock(T0)
        self.mentions, self.queue, self.notifier = MemoryMentions(), MemoryQueue(), MemoryNotifier()
        self.ledger = MemoryLedger()
        self.forwards = Forwards(self.ledger, FakePeople([person("p1", "Ellen", ["publisher"], username="ellen")]),
                                 mentions=self.mentions, clock=self.clock)
        self.service = ListeningService(self.mentions, MemoryAlerts(), MemoryState(), self.queue, self.notifier,
                                        keyword_classifier, self.clock, timedelta(days=90),
                                        forwards=self.forwards)

    def post(self, principal: Principal, **body: object) -> str:
        return self.service.ingest(MentionIn.model_validate({"platform": "x", "id": "42", "text": COMPLAINT, **body}),
                                   principal)["id"]

    def process_queue(self) -> list[str]:
        outcomes = [self.service.process(mention, facet) for mention, facet in self.queue.messages]
        self.queue.messages.clear()
        return outcomes

    def forwards_counted(self) -> int:
        today = self.clock().date()
        return sum(c.count for c in self.ledger.of_person("p1", today, today) if c.event == "forward")


def test_a_forward_is_recorded_in_the_callers_name_whatever_the_body_says() -> None:
    world = World()
    world.post(ELLEN, forwarded_by="somebody-else")
    [(mention, _)] = world.queue.messages
    assert mention.forwarded_by == "ellen"


def test_a_publisher_always_forwards_and_a_tool_posting_for_care_does_not() -> None:
    world = World()
    world.post(ELLEN)
    world.post(CARLA)
    assert [m.forwarded_by for m, _ in world.queue.messages] == ["ellen", None]
    assert world.forwards_counted() == 1


def test_a_forward_counts_once_per_mention_however_often_it_is_posted() -> None:
    world = World()
    world.post(ELLEN, to="care")
    world.clock.advance(minutes=5)
    world.post(ELLEN, to="care")
    assert world.forwards_counted() == 1
    assert world.forwards.count(Principal("stranger", frozenset({"publisher"})), "m1") is False  # not in the programme


def test_the_chosen_team_is_alerted_besides_the_routed_ones_and_gets_the_note() -> None:
    world = World()
    mention_id = world.post(ELLEN, text=QUESTION_FOR_SALES, to="marketing",
                            note="A customer of ours; I do not know the answer")
    world.process_queue()
    assert sorted(s.attributes["team"] for s in world.notifier.sent) == ["care", "marketing"]
    stored = world.mentions.get(mention_id, world.clock())
    assert stored is not None and stored.teams == ["marketing", "care"] and stored.forwarded_by == "ellen"
    assert [(n.by, n.text) for n in stored.notes] == [("ellen", "A customer of ours; I do not know the answer")]


def test_a_mention_chorus_already_routed_gets_the_forwarder_and_note_and_keeps_its_routing() -> None:
    world = World()
    world.post(CARLA)
    world.process_queue()
    world.clock.advance(minutes=10)
    mention_id = world.post(ELLEN, to="marketing", note="saw this on my timeline")
    assert world.process_queue() == ["duplicate"]
    stored = world.mentions.get(mention_id, world.clock())
    assert stored is not None and stored.forwarded_by == "ellen" and stored.teams == ["care"]
    assert [n.text for n in stored.notes] == ["saw this on my timeline"]
    world.post(Principal("piet", frozenset({"publisher"})))  # a second forwarder does not take it over
    again = world.mentions.get(mention_id, world.clock())
    assert again is not None and again.forwarded_by == "ellen"


def test_with_forward_adds_the_team_once_in_front() -> None:
    care = Route("care", "medium", "complaint (nl)")
    assert with_forward([care], None, "ellen") == [care]
    assert with_forward([care], "care", "ellen") == [care]
    assert with_forward([care], "marketing", "ellen") == [Route("marketing", "medium", "forwarded by ellen"), care]
