"""What reaches people beyond their profile: a new policy version announced once to everyone opted in who can be
reached, an opt-out that stops offer notifications at once, and an erase that deletes the login."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from chorus.advocacy.people.schemas import PolicyIn
from chorus.advocacy.people.service import AmbassadorService, Announcements, OfferNotifications
from chorus.advocacy.pool.rules import OfferSubscription
from chorus.advocacy.pool.service import PoolPersonalData
from chorus.advocacy.privacy.service import Logins, LoginSection, PeopleSection, PrivacyService
from chorus.core.errors import Conflict
from chorus.core.roles import Principal
from tests.unit.advocacy.people_fakes import MemoryPeople, MemoryPolicies
from tests.unit.advocacy.pool_fakes import FakeMessages, MemoryPoolStore, QueueRecord

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MASTER = Principal("mia", frozenset({"master"}))
ANN = Principal("ann", frozenset({"publisher"}))
POLICY = PolicyIn(version="2026-2", summary="Never share customer data.", text="The policy.")


class FakeAnnouncements(Announcements):
    def __init__(self, fails: bool = False) -> None:
        self.sent: list[tuple[list[OfferSubscription], str, str, str]] = []
        self.fails = fails

    def announce(self, subscriptions: list[OfferSubscription], subject: str, message: str, sms_text: str) -> None:
        if self.fails:
            raise TimeoutError("SNS did not answer")
        self.sent.append((subscriptions, subject, message, sms_text))

    def send_each(self, messages: list[tuple[OfferSubscription, str, str, str]]) -> None:
        for subscription, subject, message, sms_text in messages:
            self.announce([subscription], subject, message, sms_text)


class StopHook(OfferNotifications):
    def __init__(self, fails: bool = False) -> None:
        self.stopped: list[str] = []
        self.fails = fails

    def stop_notifications(self, person_id: str) -> None:
        self.stopped.append(person_id)
        if self.fails:
            raise TimeoutError("SNS did not answer")


def service(people: MemoryPeople, announcements: Announcements | None = None, stop: OfferNotifications | None = None,
            policies: MemoryPolicies | None = None) -> AmbassadorService:
    return AmbassadorService(people, policies or MemoryPolicies(), clock=lambda: NOW, announcements=announcements,
                             offer_notifications=stop)


@pytest.fixture
def crowd() -> MemoryPeople:
    people = MemoryPeople()
    people.add(id="pann", username="ann", opted_in=True, notify_by="email", email="ann@example.org")
    people.add(id="pbo", username="bo", opted_in=True, notify_by="sms", phone="+31612345678", roles=["creator"],
               language="en")
    people.add(id="pcy", username="cy", opted_in=False, notify_by="email", email="cy@example.org")  # opted out
    people.add(id="pdee", username="dee", opted_in=True, notify_by="none", email="dee@example.org")  # wants nothing
    people.add(id="peve", username="eve", opted_in=True, notify_by="sms", phone=None)  # no number for SMS
    return people


# ---------------------------------------------------------------------------------------------------- policy versions
def test_a_new_policy_version_is_announced_once_to_everyone_opted_in_who_can_be_reached(crowd: MemoryPeople) -> None:
    announcements = FakeAnnouncements()
    assert service(crowd, announcements).publish_policy(MASTER, POLICY).version == "2026-2"
    # Without a public URL to link to: one message per language, each to everyone who reads it.
    (english, en_subject, en_text, en_sms), (dutch, nl_subject, nl_text, nl_sms) = announcements.sent
    assert [(s.person, s.protocol, s.endpoint) for s in english] == [("pbo", "sms", "+31612345678")]
    assert [(s.person, s.protocol, s.endpoint) for s in dutch] == [("pann", "email", "ann@example.org")]
    assert (en_subject, nl_subject) == ("New social-media policy 2026-2", "Nieuw socialemediabeleid 2026-2")
    assert "What changes: Never share customer data." in en_text and "Acknowledge it in Chorus" in en_text
    assert "Wat er verandert: Never share customer data." in nl_text and "Bevestig in Chorus" in nl_text
    assert "POST" not in en_text + nl_text + en_sms + nl_sms


class Links:
    def link(self, person_id: str, version: str, language: str, now: datetime) -> str | None:
        return f"https://chorus.example/policy/{version}/acknowledge?person={person_id}&lang={language}"


def test_with_a_public_url_each_person_gets_their_own_link_in_their_language(crowd: MemoryPeople) -> None:
    announcements = FakeAnnouncements()
    ambassadors = AmbassadorService(crowd, MemoryPolicies(), clock=lambda: NOW, announcements=announcements,
                                    policy_links=Links())
    ambassadors.publish_policy(MASTER, POLICY)
    sent = {subscriptions[0].person: (text, sms) for subscriptions, _, text, sms in announcements.sent}
    assert set(sent) == {"pann", "pbo"}
    assert ("Lees het en bevestig dat je het gelezen hebt: https://chorus.example/policy/2026-2/acknowledge?"
            "person=pann&lang=nl") in sent["pann"][0]
    assert sent["pbo"][1] == ("Chorus: new social-media policy 2026-2. Read and acknowledge: "
                              "https://chorus.example/policy/2026-2/acknowledge?person=pbo&lang=en")


def test_a_retried_or_lost_publish_announces_nothing_more(crowd: MemoryPeople) -> None:
    announcements, policies = FakeAnnouncements(), MemoryPolicies()
    ambassadors = service(crowd, announcements, policies=policies)
    ambassadors.publish_policy(MASTER, POLICY)
    with pytest.raises(Conflict):
        ambassadors.publish_policy(MASTER, POLICY)  # the same request again
    policies.publish = lambda policy, previous_version: False  # type: ignore[method-assign]  # another version won
    with pytest.raises(Conflict):
        ambassadors.publish_policy(MASTER, PolicyIn(version="2026-3", summary="Later.", text="x"))
    assert len(announcements.sent) == 2  # the first publish only: one message per language (nl and en)


def test_a_failed_announcement_does_not_fail_the_publish(crowd: MemoryPeople) -> None:
    ambassadors = service(crowd, FakeAnnouncements(fails=True))
    assert ambassadors.publish_policy(MASTER, POLICY).version == "2026-2"
    assert ambassadors.current_policy_version() == "2026-2"


def test_erased_people_hear_nothing(crowd: MemoryPeople) -> None:
    erased = crowd.items["pann"].erased("2026-11-22T00:00:00Z")
    crowd.items["pann"] = erased.model_copy(update={"opted_in": True, "notify_by": "email", "email": "x@example.org"})
    announcements = FakeAnnouncements()
    service(crowd, announcements).publish_policy(MASTER, POLICY)
    assert [s.person for s in announcements.sent[0][0]] == ["pbo"]


# ---------------------------------------------------------------------------------------------------- opting out
def test_opting_out_stops_offer_notifications_at_once_and_opting_in_does_not(crowd: MemoryPeople) -> None:
    stop = StopHook()
    ambassadors = service(crowd, stop=stop)
    ambassadors.set_opted_in(ANN, True)
    assert stop.stopped == []
    assert ambassadors.set_opted_in(ANN, False).opted_in is False
    ambassadors.set_opted_in(ANN, False)  # a repeat completes one whose unsubscribe failed
    assert stop.stopped == ["pann", "pann"]


def test_an_opt_out_is_stored_even_when_unsubscribing_fails(crowd: MemoryPeople) -> None:
    ambassadors = service(crowd, stop=StopHook(fails=True))
    assert ambassadors.set_opted_in(ANN, False).opted_in is False
    assert crowd.items["pann"].opted_in is False


def test_stopping_notifications_unsubscribes_and_drops_the_queue_once() -> None:
    store, messages = MemoryPoolStore(), FakeMessages()
    store.queues["pann"] = QueueRecord(queued={"offer1"}, subscription_arn="arn:offers:pann-0")
    store.queues["pbo"] = QueueRecord(queued={"offer1"}, subscription_arn="arn:offers:pbo-0")
    pool = PoolPersonalData(store, messages)
    assert pool.stop_notifications("pann") == 1
    assert pool.stop_notifications("pann") == 0
    assert (messages.unsubscribed, sorted(store.queues)) == (["arn:offers:pann-0"], ["pbo"])


# ---------------------------------------------------------------------------------------------------- the login
class FakeLogins(Logins):
    def __init__(self, *usernames: str) -> None:
        self.users = {name: {"username": name, "attributes": {"email": f"{name}@example.org"}, "groups": ["publisher"]}
                      for name in usernames}
        self.deleted: list[str] = []

    def describe(self, username: str) -> dict[str, Any] | None:
        return self.users.get(username)

    def delete(self, username: str) -> bool:
        self.deleted.append(username)
        return self.users.pop(username, None) is not None


def test_the_login_is_exported_and_erased_before_the_profile_forgets_the_username(crowd: MemoryPeople) -> None:
    crowd.add(id="pout", username=None, opted_in=True)  # an outside publisher without a login
    logins = FakeLogins("ann", "bo")
    ambassadors = service(crowd)
    privacy = PrivacyService(ambassadors, [PeopleSection(crowd), LoginSection(crowd, logins)],
                             clock=lambda: NOW)
    exported = privacy.export(MASTER, "pann").sections["login"]
    assert exported == [{"username": "ann", "attributes": {"email": "ann@example.org"}, "groups": ["publisher"]}]
    assert privacy.erase(MASTER, "pann") == {"login": 1, "person": 1}
    assert privacy.erase(MASTER, "pann") == {"login": 0, "person": 0}  # idempotent: no username left to look up
    assert (logins.deleted, sorted(logins.users)) == (["ann"], ["bo"])
    assert privacy.export(MASTER, "pann").sections["login"] == []
    assert privacy.erase(MASTER, "pout") == {"login": 0, "person": 1} and logins.deleted == ["ann"]
