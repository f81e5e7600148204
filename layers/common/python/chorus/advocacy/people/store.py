"""People, their username claims, policy versions and the programme's settings, in the AdvocacyTable (keys in
chorus.advocacy.store's layout table).

  a person by id ................ GetItem person#<id> / person (consistent)
  a person by Cognito username .. GetItem of the claim person#user#<username> / username, then the person: the claim
                                  also makes a username belong to one person (written in one transaction with them)
  everyone (list, inventory,
  named people) ................. gsi1 Query people, sk <team>#<name>#<id> (begins_with <team># for one team)
  eligible publishers ........... gsi2 Query eligible#<current policy version>, sk <team>#<id>: only opted-in, not
                                  erased publishers carry gsi2 keys, under the version they acknowledged, so a new
                                  policy version leaves its partition empty until people acknowledge it (no rewrite)
  the current policy ............ GetItem advocacy#settings / settings (its version), then policy#<version> / policy
  publish a policy .............. one transaction: put policy#<version> if new, set the settings' version if
                                  unchanged
  the policy versions ........... gsi1 Query policy#versions, sk <published_at>#<version>, newest first (versions
                                  published before this index was used carry no gsi1 keys and are not listed)"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, ListAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.transactions import TransactWrite

from chorus.advocacy.people.schemas import CreateOutcome, Person, Policy, eligible_partition
from chorus.advocacy.store import AdvocacyItem, Gsi1, Gsi2
from chorus.aws.cursors import MAX_PAGE, decode_cursor, encode_cursor
from chorus.aws.tables import cancellation_reasons, is_condition_failure, table, transaction_connection
from chorus.core.errors import Conflict, Stale, ValidationError

PERSON = "person#"
PROFILE = "person"
USERNAME = "person#user#"
CLAIM = "username"
DIRECTORY = "people"
POLICY = "policy#"
POLICY_SORT = "policy"
POLICY_VERSIONS = "policy#versions"
SETTINGS_KEY = ("advocacy#settings", "settings")


@table("advocacy_table")
class PersonItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    person_id = UnicodeAttribute()
    username = UnicodeAttribute(null=True)
    name = UnicodeAttribute()
    email = UnicodeAttribute(null=True)
    phone = UnicodeAttribute(null=True)
    team = UnicodeAttribute()
    roles = ListAttribute(of=UnicodeAttribute, default=list)
    platforms = JSONAttribute(default=dict)
    topics = ListAttribute(of=UnicodeAttribute, default=list)
    opted_in = BooleanAttribute(default=False)
    policy_version = UnicodeAttribute(null=True)
    policy_acknowledged_at = UnicodeAttribute(null=True)
    training_completed_at = UnicodeAttribute(null=True)
    notify_by = UnicodeAttribute()
    rhythm = UnicodeAttribute()
    named_consent = BooleanAttribute(default=False)
    hide_from_leaderboard = BooleanAttribute(default=False)
    language = UnicodeAttribute(null=True)  # null on people stored before it existed: Dutch
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    erased_at = UnicodeAttribute(null=True)
    version = VersionAttribute()

    gsi1: Gsi1[PersonItem] = Gsi1()
    gsi2: Gsi2[PersonItem] = Gsi2()

    @classmethod
    def from_person(cls, person: Person) -> PersonItem:
        data = person.model_dump(exclude={"id", "version"})
        eligible = person.eligibility()
        item = cls(f"{PERSON}{person.id}", PROFILE, person_id=person.id, **data,
                   gsi1pk=DIRECTORY, gsi1sk=f"{person.team}#{person.name.casefold()}#{person.id}",
                   gsi2pk=eligible, gsi2sk=f"{person.team}#{person.id}" if eligible else None)
        if person.version:
            item.version = person.version  # PynamoDB then saves only if the stored item still has this version
        return item

    def to_person(self) -> Person:
        data = {name: getattr(self, name) for name in Person.model_fields if name not in ("id", "version")}
        data["language"] = data["language"] or "nl"
        return Person(id=self.person_id, version=int(self.version or 0), **data)


@table("advocacy_table")
class UsernameItem(AdvocacyItem):
    """Claims a Cognito username (case-insensitive, as the user pool is) for one person."""

    class Meta:
        table_name = "unbound"

    person_id = UnicodeAttribute()

    @classmethod
    def claim(cls, username: str, person_id: str | None = None) -> UsernameItem:
        return cls(f"{USERNAME}{username.casefold()}", CLAIM, person_id=person_id)


@table("advocacy_table")
class PolicyItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    version = UnicodeAttribute()
    summary = UnicodeAttribute()
    text = UnicodeAttribute(null=True)
    url = UnicodeAttribute(null=True)
    published_at = UnicodeAttribute()
    published_by = UnicodeAttribute()

    gsi1: Gsi1[PolicyItem] = Gsi1()

    def to_policy(self) -> Policy:
        return Policy(**{name: getattr(self, name) for name in Policy.model_fields})


@table("advocacy_table")
class ProgrammeSettingsItem(AdvocacyItem):
    """Programme-wide settings, one item; each setting is its own attribute, written with UpdateItem SET so that
    changing one never overwrites another."""

    class Meta:
        table_name = "unbound"

    policy_version = UnicodeAttribute(null=True)  # the current policy


class PeopleRepository:
    def get(self, person_id: str) -> Person | None:
        try:
            return PersonItem.get(f"{PERSON}{person_id}", PROFILE, consistent_read=True).to_person()
        except PersonItem.DoesNotExist:
            return None

    def by_username(self, username: str) -> Person | None:
        try:
            claim = UsernameItem.get(f"{USERNAME}{username.casefold()}", CLAIM, consistent_read=True)
        except UsernameItem.DoesNotExist:
            return None
        return self.get(claim.person_id)

    def create(self, person: Person) -> CreateOutcome:
        item = PersonItem.from_person(person)
        if person.username is None:
            try:
                item.save(condition=PersonItem.pk.does_not_exist())
            except PutError as error:
                if is_condition_failure(error):
                    return "id_taken"
                raise
            return "created"
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(item, condition=PersonItem.pk.does_not_exist())
                transaction.save(UsernameItem.claim(person.username, person.id),
                                 condition=UsernameItem.pk.does_not_exist())
        except TransactWriteError as error:
            person_reason, claim_reason = cancellation_reasons(error)[:2]
            if person_reason == "ConditionalCheckFailed":
                return "id_taken"
            if claim_reason == "ConditionalCheckFailed":
                return "username_taken"
            raise Conflict("the person was being created by another request at the same time; try again") from None
        return "created"

    def save(self, person: Person, before: Person) -> Person:
        """Store a change to `before`; Stale when the profile changed since it was read."""
        item = PersonItem.from_person(person.model_copy(update={"version": before.version}))
        old, new = before.username, person.username
        try:
            if _same_username(old, new):
                item.save()
            else:
                with TransactWrite(connection=transaction_connection()) as transaction:
                    transaction.save(item)
                    if old is not None:
                        transaction.delete(UsernameItem.claim(old), condition=UsernameItem.person_id == person.id)
                    if new is not None:
                        transaction.save(UsernameItem.claim(new, person.id), condition=UsernameItem.pk.does_not_exist())
        except PutError as error:
            if is_condition_failure(error):
                raise Stale("the profile was changed by someone else meanwhile") from None
            raise
        except TransactWriteError as error:
            reasons = cancellation_reasons(error)
            if new is not None and reasons[-1] == "ConditionalCheckFailed" and reasons[0] is None:
                raise Conflict(f"username {new!r} already belongs to another profile") from None
            raise Stale("the profile was changed by someone else meanwhile") from None
        return person.model_copy(update={"version": int(item.version or 0)})

    def page(self, team: str | None, role: str | None, opted_in: bool | None, limit: int,
             cursor: str | None) -> tuple[list[Person], str | None]:
        """Up to `limit` people by team and name. The filters are applied while reading the directory, so a page
        can be short and still have a cursor."""
        state = decode_cursor(cursor)
        if cursor and state.get("team") != team:
            raise ValidationError("cursor", "belongs to another team filter")
        condition: Condition | None = None
        if role is not None:
            condition = PersonItem.roles.contains(role)
        if opted_in is not None:
            wanted = PersonItem.opted_in == opted_in
            condition = wanted if condition is None else condition & wanted
        results = PersonItem.gsi1.query(
            DIRECTORY, PersonItem.gsi1sk.startswith(f"{team}#") if team else None, filter_condition=condition,
            limit=min(limit, MAX_PAGE), page_size=min(limit, MAX_PAGE), last_evaluated_key=_directory_key(state))
        people = [item.to_person() for item in results]
        key = results.last_evaluated_key
        return people, encode_cursor({"team": team, "k": key}) if key else None

    def directory(self) -> list[Person]:
        """Everyone, in one Query of the directory partition (a request per 1 MB: about 1,200 profiles of ~0.85 KB)."""
        return [item.to_person() for item in PersonItem.gsi1.query(DIRECTORY)]

    def eligible(self, policy_version: str, team: str | None, topic: str | None) -> list[Person]:
        results = PersonItem.gsi2.query(
            eligible_partition(policy_version), PersonItem.gsi2sk.startswith(f"{team}#") if team else None,
            filter_condition=PersonItem.topics.contains(topic) if topic else None)
        return [item.to_person() for item in results]


class PolicyRepository:
    def current_version(self) -> str | None:
        try:
            return ProgrammeSettingsItem.get(*SETTINGS_KEY, consistent_read=True).policy_version
        except ProgrammeSettingsItem.DoesNotExist:
            return None

    def current(self) -> Policy | None:
        version = self.current_version()
        if version is None:
            return None
        return PolicyItem.get(f"{POLICY}{version}", POLICY_SORT, consistent_read=True).to_policy()

    def versions(self, limit: int, cursor: str | None) -> tuple[list[Policy], str | None]:
        results = PolicyItem.gsi1.query(POLICY_VERSIONS, scan_index_forward=False, limit=min(limit, MAX_PAGE),
                                        last_evaluated_key=decode_cursor(cursor).get("k"))
        versions = [item.to_policy() for item in results]
        key = results.last_evaluated_key
        return versions, encode_cursor({"k": key}) if key else None

    def publish(self, policy: Policy, previous_version: str | None) -> bool:
        item = PolicyItem(f"{POLICY}{policy.version}", POLICY_SORT, gsi1pk=POLICY_VERSIONS,
                          gsi1sk=f"{policy.published_at}#{policy.version}", **policy.model_dump())
        settings = ProgrammeSettingsItem(*SETTINGS_KEY)
        unchanged = (ProgrammeSettingsItem.policy_version.does_not_exist() if previous_version is None
                     else ProgrammeSettingsItem.policy_version == previous_version)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(item, condition=PolicyItem.pk.does_not_exist())
                transaction.update(settings, actions=[ProgrammeSettingsItem.policy_version.set(policy.version)],
                                   condition=unchanged)
        except TransactWriteError as error:
            if cancellation_reasons(error)[0] == "ConditionalCheckFailed":
                raise Conflict(
                    f"policy version {policy.version!r} was published before; choose a new version name") from None
            return False
        return True


def _same_username(old: str | None, new: str | None) -> bool:
    return (old or "").casefold() == (new or "").casefold() and (old is None) == (new is None)


def _directory_key(state: dict[str, Any]) -> dict[str, Any] | None:
    """A cursor's position in the directory index, checked: a tampered cursor is a 400, never a failed Query."""
    key = state.get("k")
    if key is None:
        return None
    names = {"pk", "sk", "gsi1pk", "gsi1sk"}
    if not isinstance(key, dict) or set(key) != names or not all(
            isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values()):
        raise ValidationError("cursor", "is not a cursor this API returned")
    return key
