"""AmbassadorService and PrivacyService with in-memory stores: who may do what, policy versions, eligibility, erase."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from chorus.advocacy.people.schemas import Person, PersonChange, PersonIn, PolicyIn
from chorus.advocacy.people.service import AmbassadorService
from chorus.advocacy.privacy.service import EngagementSection, PeopleSection, PrivacyService
from chorus.core.errors import Conflict, Forbidden, NotFound, Stale, ValidationError
from chorus.core.roles import Principal
from tests.clock import Clock
from tests.unit.advocacy.fakes import MemoryLedger
from tests.unit.advocacy.people_fakes import MemoryPeople, MemoryPolicies

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MASTER = Principal("mia", frozenset({"master"}))
ANN = Principal("ann", frozenset({"publisher"}))
BO = Principal("bo", frozenset({"publisher", "creator"}))


@pytest.fixture
def people() -> MemoryPeople:
    return MemoryPeople()


@pytest.fixture
def service(people: MemoryPeople) -> AmbassadorService:
    return AmbassadorService(people, MemoryPolicies(), clock=Clock(NOW, step=timedelta(seconds=1)))


def add(service: AmbassadorService, username: str, **fields) -> str:
    body = PersonIn(username=username, name=username.title(), team=fields.pop("team", "sales"), **fields)
    return service.create(MASTER, body)[0].id


def policy(version: str) -> PolicyIn:
    return PolicyIn(version=version, summary="what changed", text="Be kind; say you work here.")


# ---------------------------------------------------------------------------------------------------- people
def test_a_username_has_one_profile(service: AmbassadorService) -> None:
    add(service, "ann", email="ann@example.org")
    with pytest.raises(Conflict, match="already has a profile"):
        add(service, "ANN")


def test_a_retried_create_with_the_same_idempotency_key_answers_the_first_person(service: AmbassadorService) -> None:
    body = PersonIn(name="Outside Olga", team="partners")
    first, created = service.create(MASTER, body, "key-1")
    again, created_again = service.create(MASTER, body, "key-1")
    assert (created, created_again, again.id) == (True, False, first.id)
    with pytest.raises(Conflict, match="another person"):
        service.create(MASTER, PersonIn(name="Someone Else", team="partners"), "key-1")


def test_a_new_person_is_opted_out_and_hears_by_email_when_there_is_one(service: AmbassadorService) -> None:
    ann = service.get(add(service, "ann", email="ann@example.org"))
    assert (ann.opted_in, ann.notify_by, ann.rhythm, ann.named_consent) == (False, "email", "daily", False)


def test_a_person_sees_and_changes_only_themselves(service: AmbassadorService) -> None:
    ann_id, bo_id = add(service, "ann"), add(service, "bo")
    assert service.visible(ANN, ann_id).id == ann_id
    with pytest.raises(Forbidden, match="only your own profile"):
        service.visible(ANN, bo_id)
    with pytest.raises(Forbidden):
        service.change(ANN, bo_id, PersonChange(name="Bo the Great"))
    with pytest.raises(Forbidden, match="only a social master changes roles"):
        service.change_me(ANN, PersonChange(roles=["master", "publisher"]))
    changed = service.change_me(ANN, PersonChange(topics=["Cycling"], named_consent=True, platforms={"x": "@Ann"}))
    assert (changed.topics, changed.named_consent, changed.platforms) == (["cycling"], True, {"x": "ann"})


def test_a_master_manages_roles_but_not_consent(service: AmbassadorService) -> None:
    ann_id = add(service, "ann")
    assert service.change(MASTER, ann_id, PersonChange(roles=["creator", "publisher"], team="hr")).team == "hr"
    with pytest.raises(Forbidden, match="only the person themselves chooses named_consent"):
        service.change(MASTER, ann_id, PersonChange(named_consent=True))


def test_someone_without_a_profile_is_told_how_to_get_one(service: AmbassadorService) -> None:
    with pytest.raises(NotFound, match="a social master adds you"):
        service.me(ANN)
    with pytest.raises(Forbidden):
        service.visible(ANN, "p-anyone")


def test_a_username_change_moves_the_login_to_the_profile(service: AmbassadorService, people: MemoryPeople) -> None:
    ann_id = add(service, "ann")
    add(service, "bo")
    service.change(MASTER, ann_id, PersonChange(username="ann.devries"))
    moved = people.by_username("Ann.DeVries")
    assert people.by_username("ann") is None and moved is not None and moved.id == ann_id
    with pytest.raises(Conflict, match="belongs to another profile"):
        service.change(MASTER, ann_id, PersonChange(username="bo"))


def test_a_change_that_lost_a_race_is_applied_to_the_fresh_read(service: AmbassadorService,
                                                                people: MemoryPeople) -> None:
    ann_id = add(service, "ann")
    save = people.save
    raced: list[Person] = []

    def stored() -> Person:
        found = people.get(ann_id)
        assert found is not None
        return found

    def save_after_someone_else(person: Person, before: Person) -> Person:
        if not raced:  # another request opts Ann in between this request's read and write
            raced.append(save(stored().model_copy(update={"opted_in": True}), before))
        if person.version != stored().version:
            raise Stale("changed meanwhile")  # what the store answers to a write on an outdated read
        return save(person, stored())

    people.save = save_after_someone_else  # type: ignore[method-assign]  # this store's save, with a race first
    changed = service.change_me(ANN, PersonChange(topics=["cycling"]))
    assert changed.topics == ["cycling"] and changed.opted_in is True


# --------------------------------------------------------------------------------------------------- consent and policy
def test_only_opted_in_publishers_who_acknowledged_the_current_policy_are_eligible(service: AmbassadorService) -> None:
    add(service, "ann", topics=["cycling"])
    add(service, "bo", team="hr", roles=["creator"])
    assert service.eligible() == []  # no policy yet
    service.publish_policy(MASTER, policy("2026-1"))
    service.set_opted_in(ANN, True)
    assert service.eligible() == []
    service.acknowledge_policy(ANN, "2026-1")
    service.set_opted_in(BO, True)
    service.acknowledge_policy(BO, "2026-1")  # not a publisher
    assert [p.username for p in service.eligible()] == ["ann"]
    assert [p.username for p in service.eligible(team="sales", topic="cycling")] == ["ann"]
    assert service.eligible(team="hr") == [] and service.eligible(topic="hiking") == []
    service.set_opted_in(ANN, False)
    assert service.eligible() == []


def test_a_new_policy_version_asks_everyone_again(service: AmbassadorService) -> None:
    add(service, "ann")
    service.publish_policy(MASTER, policy("2026-1"))
    service.set_opted_in(ANN, True)
    first = service.acknowledge_policy(ANN, "2026-1").policy_acknowledged_at
    assert service.acknowledge_policy(ANN, "2026-1").policy_acknowledged_at == first  # again: the first date stays
    service.publish_policy(MASTER, policy("2026-2"))
    assert service.eligible() == []
    with pytest.raises(Conflict, match="not the current one; read version 2026-2"):
        service.acknowledge_policy(ANN, "2026-1")
    service.acknowledge_policy(ANN, "2026-2")
    assert [p.username for p in service.eligible()] == ["ann"]


def test_a_policy_version_is_published_once(service: AmbassadorService) -> None:
    add(service, "ann")
    with pytest.raises(Conflict, match="no social-media policy"):
        service.acknowledge_policy(ANN, "2026-1")
    service.publish_policy(MASTER, policy("2026-1"))
    with pytest.raises(Conflict, match="already the current one"):
        service.publish_policy(MASTER, policy("2026-1"))
    service.publish_policy(MASTER, policy("2026-2"))
    with pytest.raises(Conflict, match="comes before the current version"):
        service.publish_policy(MASTER, policy("2026-1"))
    assert service.policy().version == "2026-2"


def test_policy_versions_only_move_forward_and_a_refusal_changes_nothing(service: AmbassadorService) -> None:
    add(service, "ann")
    service.publish_policy(MASTER, policy("2026-1"))
    service.publish_policy(MASTER, policy("2026-2"))
    service.set_opted_in(ANN, True)
    service.acknowledge_policy(ANN, "2026-2")
    with pytest.raises(Conflict, match="comes before the current version 2026-2"):
        service.publish_policy(MASTER, policy("2025-9"))
    assert service.policy().version == "2026-2" and [p.username for p in service.eligible()] == ["ann"]
    service.publish_policy(MASTER, policy("2026-10"))
    assert service.policy().version == "2026-10"


def test_the_policy_versions_are_listed_newest_first_with_who_published_them_and_when(
        service: AmbassadorService) -> None:
    assert service.policy_versions(50, None).items == []
    service.publish_policy(MASTER, policy("2026-1"))
    service.publish_policy(Principal("max", frozenset({"master"})), policy("2026-2"))
    page = service.policy_versions(1, None)
    rest = service.policy_versions(1, page.next_cursor)
    assert [(v.version, v.published_by, v.current) for v in page.items + rest.items] == [
        ("2026-2", "max", True), ("2026-1", "mia", False)]
    assert page.items[0].published_at > rest.items[0].published_at and rest.next_cursor is None


def test_training_is_recorded_by_the_person_or_a_master(service: AmbassadorService) -> None:
    ann_id, bo_id = add(service, "ann"), add(service, "bo")
    assert service.record_training(ANN, None, True).training_completed_at is not None
    assert service.record_training(MASTER, bo_id, True).training_completed_at is not None
    with pytest.raises(Forbidden):
        service.record_training(ANN, bo_id, True)
    assert service.record_training(ANN, ann_id, False).training_completed_at is None


def test_named_people_are_those_who_agreed(service: AmbassadorService) -> None:
    add(service, "ann")
    add(service, "bo")
    service.change_me(BO, PersonChange(named_consent=True))
    assert [p.username for p in service.named_people()] == ["bo"]


def test_the_list_filters_by_team_role_and_opt_in_and_pages(service: AmbassadorService) -> None:
    for n in range(5):
        add(service, f"s{n}", team="sales")
    add(service, "ann", team="hr", roles=["creator"])
    service.set_opted_in(Principal("s1", frozenset({"publisher"})), True)
    page, cursor = service.page("sales", None, None, 3, None)
    rest, end = service.page("sales", None, None, 3, cursor)
    assert [p.username for p in page + rest] == [f"s{n}" for n in range(5)] and end is None
    assert [p.username for p in service.page(None, "creator", None, 50, None)[0]] == ["ann"]
    assert [p.username for p in service.page(None, None, True, 50, None)[0]] == ["s1"]


# ---------------------------------------------------------------------------------------------------- privacy
@pytest.fixture
def privacy(service: AmbassadorService, people: MemoryPeople) -> tuple[PrivacyService, MemoryLedger]:
    ledger = MemoryLedger()
    return PrivacyService(service, [PeopleSection(people), EngagementSection(ledger)],
                          clock=Clock(NOW, step=timedelta(seconds=1))), ledger


def test_export_has_every_section(service: AmbassadorService, privacy) -> None:
    privacy_service, ledger = privacy
    ann_id = add(service, "ann", email="ann@example.org")
    ledger.record(ann_id, "share", NOW, "x")
    exported = privacy_service.export(ANN, ann_id)
    assert set(exported.sections) == {"person", "engagement"}
    assert exported.sections["person"][0]["email"] == "ann@example.org"
    assert exported.sections["engagement"] == [{"day": "2026-11-23", "event": "share", "channel": "x", "count": 1}]


def test_erase_blanks_the_person_keeps_the_counts_and_can_be_repeated(service: AmbassadorService, people: MemoryPeople,
                                                                     privacy) -> None:
    privacy_service, ledger = privacy
    ann_id = add(service, "ann", email="ann@example.org", platforms={"x": "ann"})
    ledger.record(ann_id, "share", NOW, "x")
    assert privacy_service.erase(MASTER, ann_id) == {"engagement": 0, "person": 1}
    assert privacy_service.erase(MASTER, ann_id) == {"engagement": 0, "person": 0}
    erased = people.get(ann_id)
    assert erased is not None
    assert (erased.name, erased.email, erased.platforms, erased.username) == ("erased", None, {}, None)
    assert people.by_username("ann") is None and service.for_principal(ANN) is None
    assert sum(c.count for c in ledger.of_person(ann_id, date(2026, 1, 1), date(2026, 12, 31))) == 1
    with pytest.raises(ValidationError, match="erased"):
        service.change(MASTER, ann_id, PersonChange(name="Ann again"))


def test_a_person_may_erase_themselves_but_nobody_else(service: AmbassadorService, privacy) -> None:
    privacy_service, _ = privacy
    ann_id, bo_id = add(service, "ann"), add(service, "bo")
    with pytest.raises(Forbidden):
        privacy_service.erase(ANN, bo_id)
    assert privacy_service.erase(ANN, ann_id)["person"] == 1


def test_a_person_who_erased_themselves_gets_the_same_answer_every_time(service: AmbassadorService, privacy) -> None:
    privacy_service, _ = privacy
    ann_id, bo_id = add(service, "ann"), add(service, "bo")
    assert privacy_service.erase(ANN, ann_id)["person"] == 1
    assert set(privacy_service.erase(ANN, ann_id).values()) == {0}  # their token still works: the same 204
    with pytest.raises(Forbidden):
        privacy_service.erase(BO, ann_id)  # someone with a profile of their own is not the erased person
    with pytest.raises(Forbidden):
        privacy_service.erase(ANN, bo_id)  # and erasing themselves lets nobody erase someone else
    with pytest.raises(Forbidden):
        privacy_service.erase(ANN, "p-nobody")  # nor learn which ids exist


def test_sections_must_have_distinct_names(service: AmbassadorService, people: MemoryPeople) -> None:
    with pytest.raises(ValueError, match="distinct"):
        PrivacyService(service, [PeopleSection(people), PeopleSection(people)],
                       clock=Clock(NOW, step=timedelta(seconds=1)))


# ---------------------------------------------------------------------------------------------------- state machine
USERS = ("ann", "bo", "cas")


class EligibilityMachine(RuleBasedStateMachine):
    """Whatever people and masters do, in any order, the eligible list is exactly the people who are opted in,
    publishers, not erased, and acknowledged the version that is current now."""

    def __init__(self) -> None:
        super().__init__()
        self.people = MemoryPeople()
        self.service = AmbassadorService(self.people, MemoryPolicies(), clock=Clock(NOW, step=timedelta(seconds=1)))
        self.ids = {u: self.service.create(MASTER, PersonIn(username=u, name=u, team="sales"))[0].id for u in USERS}
        self.versions = 0
        self.expected: dict[str, dict[str, Any]] = {
            u: {"opted_in": False, "publisher": True, "acknowledged": None, "erased": False} for u in USERS}

    @rule(user=st.sampled_from(USERS), yes=st.booleans())
    def opt(self, user: str, yes: bool) -> None:
        if not self.expected[user]["erased"]:
            self.service.set_opted_in(Principal(user, frozenset({"publisher"})), yes)
            self.expected[user]["opted_in"] = yes

    @rule()
    def publish(self) -> None:
        self.versions += 1
        self.service.publish_policy(MASTER, policy(f"v{self.versions}"))

    @rule(user=st.sampled_from(USERS), stale=st.booleans())
    def acknowledge(self, user: str, stale: bool) -> None:
        if self.expected[user]["erased"] or not self.versions:
            return
        version = f"v{self.versions - 1 if stale else self.versions}"
        try:
            self.service.acknowledge_policy(Principal(user, frozenset({"publisher"})), version)
        except Conflict:
            assert stale
            return
        self.expected[user]["acknowledged"] = version

    @rule(user=st.sampled_from(USERS), publisher=st.booleans())
    def set_roles(self, user: str, publisher: bool) -> None:
        if not self.expected[user]["erased"]:
            self.service.change(MASTER, self.ids[user], PersonChange(roles=["publisher"] if publisher else ["creator"]))
            self.expected[user]["publisher"] = publisher

    @rule(user=st.sampled_from(USERS))
    def erase(self, user: str) -> None:
        PrivacyService(self.service, [PeopleSection(self.people)],
                       clock=Clock(NOW, step=timedelta(seconds=1))).erase(MASTER, self.ids[user])
        self.expected[user]["erased"] = True

    @invariant()
    def eligible_is_exactly_who_may_receive_offers(self) -> None:
        current = f"v{self.versions}" if self.versions else None
        wanted = {self.ids[u] for u, s in self.expected.items()
                  if s["opted_in"] and s["publisher"] and not s["erased"] and current and s["acknowledged"] == current}
        assert {p.id for p in self.service.eligible()} == wanted


TestEligibilityMachine = EligibilityMachine.TestCase
TestEligibilityMachine.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
