"""Rules of the ambassador programme's people: a new person, who may change which of their fields, and the inventory
of where they are active. Pure: callers pass the time.

Policy versions only move forward (`check_next_version`).

Seed 001 (BEleving): nobody is forced. Only the person opts in or out, and only the person agrees to be named or
changes how and how often they hear from the programme. Seed 002: awareness and a policy first (a new policy version
asks everyone to acknowledge again), an inventory of where employees are active (usually three or four times more
platforms than the organisation thinks, blogs and video included), then training.

A person is offered content only while opted in, not erased, in the publisher role and having acknowledged the current
policy version. A person is known everywhere else by `id` only, so erasing their personal data keeps the anonymous
counts."""
from __future__ import annotations

import re
from collections.abc import Iterable

from chorus.advocacy.people.schemas import (
    Inventory,
    NotifyBy,
    Person,
    PersonChange,
    PersonIn,
    PlatformPresence,
    PresenceEntry,
)
from chorus.core.errors import Conflict, Forbidden, ValidationError

_VERSION_PART = re.compile(r"\d+|[^\W\d_]+")


def version_order(version: str) -> tuple[tuple[int, int, str], ...]:
    """How policy versions sort: by their numbers and words in turn, numbers as numbers (2026-10 after 2026-9), words
    ignoring case; dots, dashes and underscores only separate (2026-2, 2026.2 and 2026_02 are one version)."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
                 for part in _VERSION_PART.findall(version))


def check_next_version(version: str, current: str | None) -> None:
    """Policy versions only move forward: a new version must sort after the current one (409 otherwise, suggesting
    one that does). Publishing an older version again would take everyone out of the pool and ask them to
    acknowledge what they had already left behind."""
    if current is None or version_order(version) > version_order(current):
        return
    numbers = list(re.finditer(r"\d+", current))
    later = (f"a later version, such as {current[:numbers[-1].start()]}{int(numbers[-1].group()) + 1}"
             f"{current[numbers[-1].end():]}" if numbers else f"a version that sorts after {current}")
    where = ("is already the current one" if version_order(version) == version_order(current)
             else f"comes before the current version {current}")
    raise Conflict(f"policy version {version!r} {where}: versions only move forward; publish {later}",
                   current=current)


def new_person(person_id: str, body: PersonIn, stamp: str) -> Person:
    notify: NotifyBy = "email" if body.email else "sms" if body.phone else "none"
    return Person(id=person_id, **body.model_dump(), opted_in=False, policy_version=None, policy_acknowledged_at=None,
                  training_completed_at=None, notify_by=notify, rhythm="daily", named_consent=False,
                  hide_from_leaderboard=False, created_at=stamp, updated_at=stamp)


MASTER_ONLY = frozenset({"username", "team", "roles"})  # what the programme makes of a person
OWN_CHOICES = frozenset({"notify_by", "rhythm", "named_consent", "hide_from_leaderboard"})  # consent and preferences


def check_change(fields: Iterable[str], *, by_master: bool, by_self: bool) -> None:
    """Masters manage username, team and roles; only the person decides on consent and how often they hear from
    the programme; both may correct contact details, handles and topics."""
    fields = set(fields)
    if not by_self and not by_master:
        raise Forbidden("you can see and change only your own profile (/ambassadors/me)")
    if not by_master and fields & MASTER_ONLY:
        raise Forbidden(f"only a social master changes {', '.join(sorted(fields & MASTER_ONLY))}")
    if not by_self and fields & OWN_CHOICES:
        raise Forbidden(f"only the person themselves chooses {', '.join(sorted(fields & OWN_CHOICES))}")


def apply_change(person: Person, change: PersonChange, stamp: str) -> Person:
    changed = {field: getattr(change, field) for field in change.model_fields_set}
    updated = person.model_copy(update={**changed, "updated_at": stamp})
    if updated.notify_by == "email" and not updated.email:
        raise ValidationError("notify_by", "offers by email need an email address")
    if updated.notify_by == "sms" and not updated.phone:
        raise ValidationError("notify_by", "offers by SMS need a phone number")
    return updated


def inventory(people: Iterable[Person]) -> Inventory:
    present = [p for p in people if p.erased_at is None]
    total = len(present)
    by_platform: dict[str, list[PresenceEntry]] = {}
    for person in sorted(present, key=lambda p: (p.name.casefold(), p.id)):
        for platform, handle in person.platforms.items():
            by_platform.setdefault(platform, []).append(PresenceEntry(id=person.id, name=person.name, team=person.team,
                                                                      handle=handle))
    active = sum(1 for p in present if p.platforms)
    return Inventory(
        people=total, active_somewhere=active, on_no_platform=total - active, opted_in=sum(p.opted_in for p in present),
        platforms=[PlatformPresence(platform=platform, people=len(who), share=round(len(who) / total, 3), who=who)
                   for platform, who in sorted(by_platform.items(), key=lambda item: (-len(item[1]), item[0]))],
    )
