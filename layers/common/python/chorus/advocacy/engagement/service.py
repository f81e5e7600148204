"""Use cases of engagement: the report and the leaderboard over the ledger, and mentions forwarded by employees.

The report reads one Query of the ledger per day of the period (at most 93) and the programme's people once; it
never reads a mention or a share. A forward is counted once per person and mention however often it is posted."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Protocol

from chorus.advocacy.engagement import rules
from chorus.advocacy.engagement.rules import Count, Member, Period
from chorus.advocacy.engagement.schemas import (
    EngagementReport,
    Grouping,
    Leaderboard,
    ReportSettings,
    ReportSettingsIn,
    Row,
)
from chorus.advocacy.people.schemas import ERASED_NAME as ERASED
from chorus.advocacy.people.schemas import Person
from chorus.core import time as timing
from chorus.core.errors import NotFound
from chorus.core.observability import logger
from chorus.core.retry import retry_on_conflict
from chorus.core.roles import Principal
from chorus.core.time import Clock
from chorus.listening.schemas import MentionRecord

CREATING_ROLES = frozenset({"creator", "editor"})


class Ledger(Protocol):
    def record(self, person: str, event: str, moment: datetime, channel: str | None = None, count: int = 1,
               once_key: str | None = None) -> bool: ...
    def of_period(self, start: date, end: date) -> list[Count]: ...
    def of_person(self, person: str, start: date, end: date) -> list[Count]: ...


class People(Protocol):
    """chorus.advocacy.people.service.AmbassadorService."""

    def for_principal(self, principal: Principal) -> Person | None: ...
    def current_policy_version(self) -> str | None: ...


class Directory(Protocol):
    """Everyone in the programme (chorus.advocacy.people.store.PeopleRepository: one Query)."""

    def directory(self) -> Sequence[Person]: ...


class SettingsStore(Protocol):
    def get(self) -> ReportSettings: ...
    def put(self, settings: ReportSettings) -> None: ...


def member_of(person: Person, policy: str | None) -> Member:
    roles = tuple(person.roles)
    erased = person.erased_at is not None
    receives_offers = "publisher" in roles and person.can_receive_offers(policy)
    return Member(id=person.id, name=person.name, team=person.team, roles=roles,
                  expected_active=not erased and (receives_offers or bool(CREATING_ROLES & set(roles))),
                  on_leaderboard=not person.hide_from_leaderboard, erased=erased)


class EngagementReports:
    def __init__(self, ledger: Ledger, people: People, directory: Directory, settings: SettingsStore,
                 clock: Clock) -> None:
        self.ledger = ledger
        self.people = people
        self.directory = directory
        self.settings = settings
        self.clock = clock

    def period(self, start: str | None, end: str | None) -> Period:
        return rules.period_of(start, end, self.clock().date())

    def report(self, period: Period, by: Grouping) -> EngagementReport:
        counts = self.ledger.of_period(period.start, period.end)
        result = rules.report(counts, self._members(), period, by)
        logger.info("engagement report", extra={"days": period.days, "counters_read": len(counts), "by": by,
                                                "rows": len(result.rows), "inactive": len(result.inactive)})
        return result

    def mine(self, principal: Principal, period: Period) -> Row:
        """The caller's own row (one Query on their counters)."""
        person = self.people.for_principal(principal)
        if person is None:
            raise NotFound("you are not in the ambassador programme; a master adds people under /ambassadors")
        tally = rules.tally_of(self.ledger.of_person(person.id, period.start, period.end))
        return rules.person_row(member_of(person, None), tally)

    def leaderboard(self, period: Period, limit: int) -> Leaderboard:
        if not self.settings.get().leaderboard_enabled:
            raise NotFound("the leaderboard is off; a master can switch it on with PUT /reports/engagement/settings")
        return rules.leaderboard(self.ledger.of_period(period.start, period.end), self._members(), period, limit)

    def report_settings(self) -> ReportSettings:
        return self.settings.get()

    def change_settings(self, change: ReportSettingsIn, principal: Principal) -> ReportSettings:
        settings = ReportSettings(**change.model_dump(), updated_at=timing.iso_utc(self.clock()),
                                  updated_by=principal.username)
        self.settings.put(settings)
        logger.info("engagement report settings changed", extra={**change.model_dump(), "by": principal.username})
        return settings

    def _members(self) -> list[Member]:
        policy = self.people.current_policy_version()
        return [member_of(person, policy) for person in self.directory.directory()]


# ---------------------------------------------------------------------------------------------- forwards
class ForwardedMentions(Protocol):
    def forwarded_by(self, username: str, now: datetime, limit: int,
                     cursor: str | None) -> tuple[list[MentionRecord], str | None]: ...
    def get(self, key: str, now: datetime) -> MentionRecord | None: ...
    def save(self, record: MentionRecord) -> MentionRecord: ...


class PeopleById(Protocol):
    def get(self, person_id: str) -> Person | None: ...


class Forwards:
    """Mentions an employee forwarded to care or marketing (seed 001 BEdreiging): counted as conversation, and
    followed up by the one who forwarded them."""

    def __init__(self, ledger: Ledger, people: People, mentions: ForwardedMentions, clock: Clock) -> None:
        self.ledger = ledger
        self.people = people
        self.mentions = mentions
        self.clock = clock

    def count(self, principal: Principal, mention_id: str) -> bool:
        """Count the forward for the caller when they are in the programme: once per mention."""
        person = self.people.for_principal(principal)
        if person is None:
            return False
        return self.ledger.record(person.id, "forward", self.clock(), once_key=mention_id)

    def of(self, principal: Principal, limit: int, cursor: str | None) -> tuple[list[MentionRecord], str | None]:
        """The caller's forwards, newest first, as the team works them."""
        return self.mentions.forwarded_by(principal.username, self.clock(), limit, cursor)


class ForwardsSection:
    """Personal data (chorus.advocacy.privacy.service): the mentions a person forwarded carry their username, the note
    they added and, when they gave no author, their username as the author. Erasing blanks all three; the forward
    counts in the ledger stay, under the opaque id."""

    section = "forwards"
    PAGE = 100

    def __init__(self, mentions: ForwardedMentions, people: PeopleById, clock: Clock) -> None:
        self.mentions = mentions
        self.people = people
        self.clock = clock

    def export(self, person_id: str) -> list[dict[str, Any]]:
        username = self._username(person_id)
        if username is None:
            return []
        exported, cursor = [], None
        while True:
            records, cursor = self.mentions.forwarded_by(username, self.clock(), self.PAGE, cursor)
            exported += [{"mention_id": r.id, "received_at": r.received_at, "platform": r.platform, "url": r.url,
                          "text": r.text, "status": r.status, "notes": [n.text for n in r.notes if n.by == username]}
                         for r in records]
            if cursor is None:
                return exported

    def erase(self, person_id: str, now: datetime) -> int:
        username = self._username(person_id)
        if username is None:
            return 0
        changed = 0
        while True:  # each anonymised mention leaves the `forwarded` index, so the first page is always the next one
            records, _ = self.mentions.forwarded_by(username, now, self.PAGE, None)
            if not records:
                return changed
            for record in records:
                self._anonymise(record, username, now)
                changed += 1

    def _anonymise(self, record: MentionRecord, username: str, now: datetime) -> None:
        def anonymise(attempt: int) -> None:
            current = record if attempt == 0 else self.mentions.get(record.id, now)
            if current is None or current.forwarded_by != username:
                return
            notes = [n.model_copy(update={"by": ERASED}) if n.by == username else n for n in current.notes]
            author = ERASED if current.author_handle == username else current.author_handle
            self.mentions.save(current.model_copy(
                update={"forwarded_by": None, "notes": notes, "author_handle": author}))

        retry_on_conflict(anonymise, f"mention {record.id} kept changing; send the erase request again")

    def _username(self, person_id: str) -> str | None:
        person = self.people.get(person_id)
        return person.username if person is not None else None
