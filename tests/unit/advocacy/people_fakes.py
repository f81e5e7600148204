"""In-memory stand-ins for the people and policy stores (chorus.advocacy.people.store), for every advocacy unit test.

    people = MemoryPeople(); policies = MemoryPolicies()
    service = AmbassadorService(people, policies, clock=lambda: NOW)
    ann = people.add(name="Ann", team="sales", roles=["publisher"], opted_in=True)   # a stored person, quickly
"""
from __future__ import annotations

import itertools
from typing import Any

from chorus.advocacy.engagement.service import Directory, PeopleById
from chorus.advocacy.people.schemas import CreateOutcome, Person, Policy, eligible_partition
from chorus.advocacy.people.service import PeopleStore, PolicyStore
from chorus.core.errors import Conflict, Stale

STAMP = "2026-11-23T09:00:00Z"
_ids = itertools.count(1)


def person(**fields: Any) -> Person:
    """A valid Person with defaults for everything not given."""
    defaults: dict[str, Any] = dict(
        id=f"p{next(_ids):04d}", username=None, name="Ann de Vries", email=None, phone=None, team="sales",
        roles=["publisher"], platforms={}, topics=[], opted_in=False, policy_version=None, policy_acknowledged_at=None,
        training_completed_at=None, notify_by="none", rhythm="daily", named_consent=False, hide_from_leaderboard=False,
        created_at=STAMP, updated_at=STAMP, version=1)
    return Person(**{**defaults, **fields})


class MemoryPeople(PeopleStore, Directory, PeopleById):
    """PeopleStore: the adapter's behaviour (claims, versions, sparse eligible index) without DynamoDB."""

    def __init__(self) -> None:
        self.items: dict[str, Person] = {}
        self.claims: dict[str, str] = {}  # casefolded username -> person id
        self.reads = 0  # items read by directory/page/eligible, to compare with the adapter's costs

    def add(self, **fields: Any) -> Person:
        stored = person(**fields)
        assert self.create(stored) == "created"
        return self.items[stored.id]

    def get(self, person_id: str) -> Person | None:
        return self.items.get(person_id)

    def by_username(self, username: str) -> Person | None:
        person_id = self.claims.get(username.casefold())
        return None if person_id is None else self.items.get(person_id)

    def create(self, person: Person) -> CreateOutcome:
        if person.id in self.items:
            return "id_taken"
        if person.username is not None and person.username.casefold() in self.claims:
            return "username_taken"
        if person.username is not None:
            self.claims[person.username.casefold()] = person.id
        self.items[person.id] = person.model_copy(update={"version": 1})
        return "created"

    def save(self, person: Person, before: Person) -> Person:
        """PeopleRepository.save: Stale when the profile changed since `before` was read."""
        stored = self.items.get(person.id)
        if stored is None or stored.version != before.version:
            raise Stale("changed meanwhile")
        old, new = before.username, person.username
        if new is not None and self.claims.get(new.casefold(), person.id) != person.id:
            raise Conflict(f"username {new!r} already belongs to another profile")
        if old is not None:
            self.claims.pop(old.casefold(), None)
        if new is not None:
            self.claims[new.casefold()] = person.id
        self.items[person.id] = person.model_copy(update={"version": before.version + 1})
        return self.items[person.id]

    def page(self, team: str | None, role: str | None, opted_in: bool | None, limit: int,
             cursor: str | None) -> tuple[list[Person], str | None]:
        everyone = [p for p in self._directory() if team is None or p.team == team]
        start = int(cursor or 0)
        window = everyone[start:start + limit]
        self.reads += len(window)
        matches = [p for p in window
                   if (role is None or role in p.roles) and (opted_in is None or p.opted_in == opted_in)]
        return matches, str(start + limit) if start + limit < len(everyone) else None

    def directory(self) -> list[Person]:
        everyone = self._directory()
        self.reads += len(everyone)
        return everyone

    def eligible(self, policy_version: str, team: str | None, topic: str | None) -> list[Person]:
        partition = [p for p in self._directory() if p.eligibility() == eligible_partition(policy_version)]
        in_team = [p for p in partition if team is None or p.team == team]
        self.reads += len(in_team)
        return [p for p in in_team if topic is None or topic in p.topics]

    def _directory(self) -> list[Person]:
        return sorted(self.items.values(), key=lambda p: (p.team, p.name.casefold(), p.id))


class MemoryPolicies(PolicyStore):
    """PolicyStore."""

    def __init__(self) -> None:
        self.published: dict[str, Policy] = {}
        self.current_name: str | None = None

    def current_version(self) -> str | None:
        return self.current_name

    def current(self) -> Policy | None:
        return None if self.current_name is None else self.published[self.current_name]

    def versions(self, limit: int, cursor: str | None) -> tuple[list[Policy], str | None]:
        newest_first = sorted(self.published.values(), key=lambda p: (p.published_at, p.version), reverse=True)
        start = int(cursor or 0)
        return newest_first[start:start + limit], str(start + limit) if start + limit < len(newest_first) else None

    def publish(self, policy: Policy, previous_version: str | None) -> bool:
        if policy.version in self.published:
            raise Conflict(f"policy version {policy.version!r} was published before; choose a new version name")
        if self.current_name != previous_version:
            return False
        self.published[policy.version] = policy
        self.current_name = policy.version
        return True
