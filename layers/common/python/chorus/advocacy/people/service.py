"""Use cases of /ambassadors, /policy and /inventory: the people of the programme, their consent and the policy.

Masters add and manage people; everyone else sees and changes only themselves. Opting in and out, consent to be
named and how often one hears from the programme are the person's own (seed 001: never forced). Every change is a
read, a pure rule (chorus.advocacy.people.rules) and a conditional write; a write that lost a race is retried on a
fresh read, so two changes at once never undo each other."""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from chorus.advocacy.people.rules import apply_change, check_change, check_next_version, inventory, new_person
from chorus.advocacy.people.schemas import (
    Ambassador,
    CreateOutcome,
    Inventory,
    Person,
    PersonChange,
    PersonIn,
    Policy,
    PolicyIn,
    PolicyVersion,
    PolicyVersionPage,
)
from chorus.advocacy.pool.rules import OfferSubscription, subscription_for
from chorus.core import time as timing
from chorus.core.errors import Conflict, Forbidden, NotFound, ValidationError, require_version
from chorus.core.observability import logger
from chorus.core.retry import retry_on_conflict
from chorus.core.roles import Principal
from chorus.core.time import Clock

NO_PROFILE = "you have no ambassador profile yet; a social master adds you (POST /ambassadors)"


class PeopleStore(Protocol):
    def get(self, person_id: str) -> Person | None: ...
    def by_username(self, username: str) -> Person | None: ...
    def create(self, person: Person) -> CreateOutcome: ...
    def save(self, person: Person, before: Person) -> Person:
        """The stored person (new version); Stale when it changed since `before` was read; Conflict when its new
        username belongs to someone else."""
    def page(self, team: str | None, role: str | None, opted_in: bool | None, limit: int,
             cursor: str | None) -> tuple[list[Person], str | None]: ...
    def directory(self) -> list[Person]: ...
    def eligible(self, policy_version: str, team: str | None, topic: str | None) -> list[Person]: ...


class PolicyStore(Protocol):
    def current_version(self) -> str | None: ...
    def current(self) -> Policy | None: ...
    def publish(self, policy: Policy, previous_version: str | None) -> bool:
        """False when another version was published since `previous_version`; Conflict when this version exists."""
    def versions(self, limit: int, cursor: str | None) -> tuple[list[Policy], str | None]:
        """Every published version, newest first."""


class Announcements(Protocol):
    """The offers topic (chorus.advocacy.pool.store.OfferMessages): one message to many people's own subscriptions,
    or one message each (their own links), ten per request."""

    def announce(self, subscriptions: list[OfferSubscription], subject: str, message: str, sms_text: str) -> None: ...
    def send_each(self, messages: list[tuple[OfferSubscription, str, str, str]]) -> None: ...


class PolicyLinkMaker(Protocol):
    """Signed links to a person's own policy page (chorus.http.signing.PolicyLinks)."""

    def link(self, person_id: str, version: str, language: str, now: datetime) -> str | None: ...


class OfferNotifications(Protocol):
    """The pool's notifications (chorus.advocacy.pool.service.PoolPersonalData): `stop_notifications` unsubscribes a
    person from the offers topic and drops their notification queue, so an opt-out takes effect at once."""

    def stop_notifications(self, person_id: str) -> object: ...


class AmbassadorService:
    def __init__(self, people: PeopleStore, policies: PolicyStore, clock: Clock,
                 announcements: Announcements | None = None,
                 offer_notifications: OfferNotifications | None = None,
                 policy_links: PolicyLinkMaker | None = None) -> None:
        self.policy_links = policy_links
        self.people = people
        self.policies = policies
        self.clock = clock
        self.announcements = announcements
        self.offer_notifications = offer_notifications

    # ------------------------------------------------------------------ reading (also for the other advocacy services)
    def get(self, person_id: str) -> Person:
        person = self.people.get(person_id)
        if person is None:
            raise NotFound(f"no person {person_id!r}")
        return person

    def for_principal(self, principal: Principal) -> Person | None:
        person = self.people.by_username(principal.username)
        return person if person is not None and person.erased_at is None else None

    def me(self, principal: Principal) -> Person:
        person = self.for_principal(principal)
        if person is None:
            raise NotFound(NO_PROFILE)
        return person

    def visible(self, principal: Principal, person_id: str) -> Person:
        """The person, if the caller is a master or that person (403 otherwise, before anything is read of others)."""
        if "master" not in principal.roles:
            me = self.for_principal(principal)
            if me is None or me.id != person_id:
                raise Forbidden("you can see and change only your own profile (/ambassadors/me)")
            return me
        return self.get(person_id)

    def page(self, team: str | None, role: str | None, opted_in: bool | None, limit: int,
             cursor: str | None) -> tuple[list[Person], str | None]:
        return self.people.page(team, role, opted_in, limit, cursor)

    def eligible(self, team: str | None = None, topic: str | None = None) -> list[Person]:
        """Publishers who may be offered content now: opted in, in the publisher role, current policy acknowledged."""
        version = self.policies.current_version()
        return [] if version is None else self.people.eligible(version, team, topic)

    def named_people(self) -> list[Person]:
        """People who agreed to be named or tagged in the organisation's posts (the pre-share check's list)."""
        return [p for p in self.people.directory() if p.named_consent and p.erased_at is None]

    def inventory(self) -> Inventory:
        return inventory(self.people.directory())

    def show(self, people: list[Person]) -> list[Ambassador]:
        """People as the API shows them: with whether they receive offers now and, if not, what is missing."""
        version = self.policies.current_version()
        return [person.view(version) for person in people]

    def current_policy(self) -> Policy | None:
        return self.policies.current()

    def current_policy_version(self) -> str | None:
        return self.policies.current_version()

    def policy(self) -> Policy:
        policy = self.policies.current()
        if policy is None:
            raise NotFound("no social-media policy has been published yet")
        return policy

    def policy_versions(self, limit: int, cursor: str | None) -> PolicyVersionPage:
        """Every version published, newest first, with who published it and when."""
        versions, next_cursor = self.policies.versions(limit, cursor)
        current = self.policies.current_version()
        return PolicyVersionPage(items=[PolicyVersion(**policy.model_dump(include=set(PolicyVersion.model_fields)),
                                                      current=policy.version == current) for policy in versions],
                                 next_cursor=next_cursor)

    # ------------------------------------------------------------------ managing people (masters)
    def create(self, principal: Principal, body: PersonIn, idempotency_key: str | None = None) -> tuple[Person, bool]:
        """The new person and True; with an Idempotency-Key a retry answers the first one's person and False."""
        if idempotency_key:
            person_id = "p" + hashlib.sha256(f"{principal.username}\n{idempotency_key}".encode()).hexdigest()[:16]
        else:
            person_id = "p" + secrets.token_hex(8)
        person = new_person(person_id, body, timing.iso_utc(self.clock()))
        outcome = self.people.create(person)
        if outcome == "username_taken":
            raise Conflict(f"username {body.username!r} already has a profile; change that one instead")
        if outcome == "id_taken":
            existing = self.get(person_id)
            if existing.model_dump(include=set(PersonIn.model_fields)) != body.model_dump():
                raise Conflict("this Idempotency-Key was used for another person")
            return existing, False
        return person, True

    def change(self, principal: Principal, person_id: str, body: PersonChange,
               expected_version: int | None = None) -> Person:
        """Change a person; with `expected_version` (If-Match) only the version the caller saw: a change made
        meanwhile is then a 412 instead of being retried over."""
        person = self.visible(principal, person_id)
        check_change(body.model_fields_set, by_master="master" in principal.roles,
                     by_self=person.is_principal(principal))

        def change(current: Person, stamp: str) -> Person:
            require_version(current.version, expected_version, "this person")
            return apply_change(current, body, stamp)

        return self._update(person.id, change)

    def change_me(self, principal: Principal, body: PersonChange, expected_version: int | None = None) -> Person:
        return self.change(principal, self.me(principal).id, body, expected_version)

    # ------------------------------------------------------------------ the person's own steps
    def set_opted_in(self, principal: Principal, opted_in: bool) -> Person:
        """Only the person themselves: there is no route by which anyone else opts a person in."""
        me = self.me(principal)
        person = self._update(
            me.id, lambda current, stamp: current.model_copy(update={"opted_in": opted_in, "updated_at": stamp}))
        if not opted_in and self.offer_notifications is not None:
            # Also when already opted out, so repeating the request completes one whose unsubscribe failed. A failure
            # is no error: the opt-out is stored, and notify_offers drops the queue of anyone not eligible.
            try:
                self.offer_notifications.stop_notifications(me.id)
            except Exception:
                logger.exception("offer notifications could not be stopped at opt-out", extra={"person": me.id})
        return person

    def acknowledge_policy(self, principal: Principal, version: str) -> Person:
        return self._acknowledge(self.me(principal), version)

    def policy_for_link(self, person_id: str, version: str) -> tuple[Person, Policy | None]:
        """The person a policy link names and the current policy, for their page (opening it changes nothing)."""
        person = self.get(person_id)
        if person.erased_at is not None:
            raise NotFound(f"no person {person_id!r}")
        return person, self.policies.current()

    def acknowledge_policy_by_link(self, person_id: str, version: str) -> Person:
        """The button on a person's policy page: their own signed link stands for them."""
        person = self.get(person_id)
        if person.erased_at is not None:
            raise NotFound(f"no person {person_id!r}")
        return self._acknowledge(person, version)

    def _acknowledge(self, me: Person, version: str) -> Person:
        current = self.policies.current_version()
        if current is None:
            raise Conflict("no social-media policy has been published yet")
        if version != current:
            raise Conflict(f"policy version {version!r} is not the current one; read version {current} (GET /policy) "
                           "and acknowledge that", current=current)

        def acknowledge(person: Person, stamp: str) -> Person:
            if person.policy_version == version:
                return person  # acknowledged before: keep the first date
            return person.model_copy(
                update={"policy_version": version, "policy_acknowledged_at": stamp, "updated_at": stamp})

        return self._update(me.id, acknowledge)

    def record_training(self, principal: Principal, person_id: str | None, completed: bool) -> Person:
        """The person themselves, or a master for anyone (the trainer often records it)."""
        person = self.me(principal) if person_id is None else self.visible(principal, person_id)

        def record(current: Person, stamp: str) -> Person:
            if completed == (current.training_completed_at is not None):
                return current
            return current.model_copy(
                update={"training_completed_at": stamp if completed else None, "updated_at": stamp})

        return self._update(person.id, record)

    # ------------------------------------------------------------------ policy
    def publish_policy(self, principal: Principal, body: PolicyIn) -> Policy:
        """A new version, after the current one (versions only move forward): from now on nobody receives offers
        until they acknowledge it (the eligible-publishers index is keyed by the acknowledged version, so no person
        item needs rewriting). The publish is conditional on the current version read here, so a version published
        meanwhile (perhaps a later one) makes this a 409, never a step back."""
        previous = self.policies.current_version()
        check_next_version(body.version, previous)
        policy = Policy(**body.model_dump(), published_at=timing.iso_utc(self.clock()), published_by=principal.username)
        if not self.policies.publish(policy, previous):
            raise Conflict("another policy version was published meanwhile; reload it (GET /policy) and try again")
        self.announce(policy)
        return policy

    def announce(self, policy: Policy) -> int:
        """Ask everyone opted in (and not erased) who can be reached to acknowledge `policy`: one message each, on
        the offers topic, through their own subscription. Called once, after the conditional publish succeeded (a
        retried request ends in Conflict before it), so nobody hears twice; a failure is logged and does not undo the
        publish (each person's profile and pool still say what is missing). People who have no subscription yet are
        not reached: see docs/advocacy.md (People, policy and privacy). How many were addressed."""
        if self.announcements is None:
            return 0
        try:
            audience = [(person, subscription) for person in self.people.directory()
                        if person.opted_in and person.erased_at is None
                        for subscription in [subscription_for(person)] if subscription is not None]
            now = self.clock()
            links = {person.id: self.policy_links.link(person.id, policy.version, person.language, now)
                     for person, _ in audience} if self.policy_links else {}
            if audience and all(links.get(person.id) for person, _ in audience):
                # Each person's own page: one message each (PublishBatch, ten a request).
                self.announcements.send_each([
                    (subscription, *policy.announcement(person.language, links[person.id]))
                    for person, subscription in audience])
            else:  # no public URL to link to: one message per language to everyone who reads it
                for language in sorted({person.language for person, _ in audience}):
                    readers = [subscription for person, subscription in audience if person.language == language]
                    self.announcements.announce(readers, *policy.announcement(language))
        except Exception:
            logger.exception("the new policy version could not be announced", extra={"version": policy.version})
            return 0
        logger.info("policy version announced", extra={"version": policy.version, "people": len(audience)})
        return len(audience)

    # ------------------------------------------------------------------ internals
    def _update(self, person_id: str, change: Callable[[Person, str], Person]) -> Person:
        def update(attempt: int) -> Person:
            current = self.get(person_id)
            if current.erased_at is not None:
                raise ValidationError("id", "this person's data was erased; add them again to start over")
            updated = change(current, timing.iso_utc(self.clock()))
            return current if updated == current else self.people.save(updated, current)

        return retry_on_conflict(update, "the profile kept changing meanwhile; try again")
