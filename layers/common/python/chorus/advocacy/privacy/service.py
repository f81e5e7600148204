"""A person's right to see and to erase what the programme stores about them (issue 5 item 9).

Each kind of data the programme keeps about a person is one PersonalData section (people, content, pool, ...),
listed in `chorus.advocacy.wiring.privacy()`. Export asks every section; erase asks every section to remove or blank
what identifies the person and to keep anonymous counts. Erasing is idempotent and always runs every section, so a
request that failed half-way is completed by sending it again."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Protocol

from chorus.advocacy.engagement.rules import Count
from chorus.advocacy.people.schemas import Person
from chorus.advocacy.people.service import PeopleStore
from chorus.advocacy.privacy.schemas import PersonalDataExport
from chorus.core import time as timing
from chorus.core.errors import Forbidden, NotFound
from chorus.core.retry import retry_on_conflict
from chorus.core.roles import Principal
from chorus.core.time import Clock


class PersonalData(Protocol):
    section: str  # key in the export, e.g. "content", "shares"

    def export(self, person_id: str) -> list[dict[str, Any]]: ...

    def erase(self, person_id: str, now: datetime) -> int:
        """Remove or blank the person's personal data, keep anonymous counts; how many items changed."""


class People(Protocol):
    """The parts of the AmbassadorService (chorus.advocacy.people.service) privacy uses."""

    def visible(self, principal: Principal, person_id: str) -> Person:
        """The person if the caller may see them (a master, or the person themselves); Forbidden otherwise."""

    def get(self, person_id: str) -> Person:
        """The person, erased or not; NotFound when there is none."""

    def for_principal(self, principal: Principal) -> Person | None:
        """The caller's own profile, unless it was erased."""


class PrivacyService:
    def __init__(self, people: People, sections: list[PersonalData], clock: Clock) -> None:
        names = [section.section for section in sections]
        if len(set(names)) != len(names):
            raise ValueError(f"personal-data sections must have distinct names: {names}")
        self.people = people
        self.sections = sections
        self.clock = clock

    def export(self, principal: Principal, person_id: str) -> PersonalDataExport:
        person = self.people.visible(principal, person_id)
        return PersonalDataExport(person_id=person.id, exported_at=timing.iso_utc(self.clock()),
                                  sections={section.section: section.export(person.id) for section in self.sections})

    def erase(self, principal: Principal, person_id: str) -> dict[str, int]:
        """Items changed per section (all zero when the person was erased before). The sections go in reverse order:
        the profile, which lets the person in, goes last, so they can repeat a request that failed half-way.

        Once the profile is erased it no longer names its login, so a person repeating their own erasure (their token
        stays valid for up to an hour) cannot be recognised as that person. They get the same answer as the first
        time, with nothing changed: an erased person's data was erased in full (the profile goes last), so there is
        nothing left to do. Anyone who has a profile of their own is not that person and is refused, as before."""
        try:
            person = self.people.visible(principal, person_id)
        except Forbidden:
            if not self._erased_already(principal, person_id):
                raise
            return {section.section: 0 for section in reversed(self.sections)}
        now = self.clock()
        return {section.section: section.erase(person.id, now) for section in reversed(self.sections)}

    def _erased_already(self, principal: Principal, person_id: str) -> bool:
        if self.people.for_principal(principal) is not None:
            return False
        try:
            return self.people.get(person_id).erased_at is not None
        except NotFound:
            return False


class PeopleSection:
    """The person's profile: name, contacts, handles, topics, consent. Erased, it keeps id, team and roles."""

    section = "person"

    def __init__(self, people: PeopleStore) -> None:
        self.people = people

    def export(self, person_id: str) -> list[dict[str, Any]]:
        person = self.people.get(person_id)
        return [] if person is None else [person.model_dump(mode="json")]

    def erase(self, person_id: str, now: datetime) -> int:
        def erase(attempt: int) -> int:
            person = self.people.get(person_id)
            if person is None or person.erased_at is not None:
                return 0
            self.people.save(person.erased(timing.iso_utc(now)), person)
            return 1

        return retry_on_conflict(erase, "the profile kept changing meanwhile; send the erase request again")


class Logins(Protocol):
    """The user pool people sign in with (chorus.advocacy.privacy.store.CognitoLogins)."""

    def describe(self, username: str) -> dict[str, Any] | None:
        """The username, its attributes (such as the email address) and groups; None when there is no such user."""

    def delete(self, username: str) -> bool:
        """False when there was no such user."""


class LoginSection:
    """The person's login: their user in the user pool, with its username, email and groups. Erased, the user is
    deleted, so they can no longer sign in (tokens already issued run out within the hour). Listed after the
    profile, it is erased before it: the profile's username is still there to find the user by."""

    section = "login"

    def __init__(self, people: PeopleStore, logins: Logins) -> None:
        self.people = people
        self.logins = logins

    def export(self, person_id: str) -> list[dict[str, Any]]:
        username = self._username(person_id)
        found = self.logins.describe(username) if username else None
        return [] if found is None else [found]

    def erase(self, person_id: str, now: datetime) -> int:
        username = self._username(person_id)
        return int(self.logins.delete(username)) if username else 0

    def _username(self, person_id: str) -> str | None:
        person = self.people.get(person_id)
        return person.username if person is not None else None


class EngagementLedgerReader(Protocol):
    def of_person(self, person: str, start: date, end: date) -> list[Count]: ...


class EngagementSection:
    """The person's engagement counters. They are keyed by the opaque id alone, so erasing leaves them as they are."""

    section = "engagement"
    SINCE = date(2000, 1, 1)
    UNTIL = date(9999, 12, 31)

    def __init__(self, ledger: EngagementLedgerReader) -> None:
        self.ledger = ledger

    def export(self, person_id: str) -> list[dict[str, Any]]:
        return [{"day": c.day.isoformat(), "event": c.event, "channel": c.channel, "count": c.count}
                for c in self.ledger.of_person(person_id, self.SINCE, self.UNTIL)]

    def erase(self, person_id: str, now: datetime) -> int:
        return 0
