"""Saved replies, pure: the placeholders a template may use, checking a template when it is saved, filling one in for
a mention, who may write a team's templates, and the order a mention's templates are offered in.

A placeholder is a word in braces: `{name}`. Every brace in a template belongs to a known placeholder, so a typo
(`{nmae}`, a lone `{`) is refused when the template is saved, never published. Filling is one pass: what a value
brings in is never filled again, and values lose any braces, so a filled text holds no placeholder."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import get_args

from chorus.core.errors import Forbidden, ValidationError
from chorus.core.roles import Principal
from chorus.inbox.saved.schemas import TEXT_MAX_CHARS, TITLE_MAX_CHARS, SavedLanguage

PLACEHOLDERS: dict[str, str] = {
    "name": "the author of the mention: their display name, or their handle without @",
    "handle": "the author's handle with @ (e.g. @klant)",
    "case": "the mention's case number (e.g. C-4KX7-M2Q9), shown on the mention as case_number",
    "agent": "the first name of whoever sends the reply (their name in the user pool; else their username)",
}
LANGUAGES: tuple[str, ...] = get_args(SavedLanguage)
# Whose templates a role may write: care writes care's (and the care lead's), PR writes PR's, editors write
# marketing's (they answer praise); master writes every team's. Everyone who reads the inbox may read and use them.
WRITES: dict[str, frozenset[str]] = {
    "care": frozenset({"care", "care-lead"}),
    "pr": frozenset({"pr"}),
    "editor": frozenset({"marketing"}),
}
_BRACED = re.compile(r"\{([^{}]*)\}")
_VALUE_NOISE = re.compile(r"[{}]")


def placeholders_in(text: str) -> list[str]:
    """The placeholder names a text uses, each once, in order of first use. Raises ValidationError (field `text`) for
    an unknown placeholder or a brace that is not part of one."""
    found: list[str] = []
    for match in _BRACED.finditer(text):
        name = match.group(1)
        if name not in PLACEHOLDERS:
            known = ", ".join(f"{{{each}}}" for each in PLACEHOLDERS)
            raise ValidationError("text", f"{{{name}}} is not a placeholder Chorus can fill; the placeholders are "
                                          f"{known}", placeholder=name)
        if name not in found:
            found.append(name)
    stray = _BRACED.sub("", text)
    if "{" in stray or "}" in stray:
        raise ValidationError("text", "has a { or } that is not part of a placeholder; write placeholders as {name}, "
                                      "and leave out other braces")
    return found


def clean_title(title: str) -> str:
    cleaned = " ".join(title.split())
    if not cleaned:
        raise ValidationError("title", "must not be empty")
    if len(cleaned) > TITLE_MAX_CHARS:
        raise ValidationError("title", f"may be at most {TITLE_MAX_CHARS} characters")
    return cleaned


def clean_text(text: str) -> tuple[str, list[str]]:
    """The template's text as it is kept (without surrounding blank space) and the placeholders it uses."""
    cleaned = text.strip()
    if not cleaned:
        raise ValidationError("text", "must not be empty")
    if len(cleaned) > TEXT_MAX_CHARS:
        raise ValidationError("text", f"may be at most {TEXT_MAX_CHARS} characters")
    return cleaned, placeholders_in(cleaned)


def fill(text: str, values: Mapping[str, str]) -> str:
    """The text with each placeholder replaced by its value (in one pass; a value's own braces are dropped). A
    placeholder without a value raises KeyError: values_for gives every one."""
    clean = {name: _VALUE_NOISE.sub("", value) for name, value in values.items()}
    return _BRACED.sub(lambda match: clean[match.group(1)], text)


def values_for(author_handle: str, author_name: str | None, case: str, agent_name: str | None,
               agent_username: str) -> dict[str, str]:
    """What each placeholder stands for in a reply to one mention, sent by one person."""
    handle = author_handle.strip().lstrip("@")
    name = " ".join((author_name or "").split()) or handle
    first = (agent_name or "").split()
    return {"name": name, "handle": f"@{handle}", "case": case, "agent": first[0] if first else agent_username}


def may_write(actor: Principal, team: str) -> bool:
    return "master" in actor.roles or any(team in WRITES.get(role, frozenset()) for role in actor.roles)


def require_write(actor: Principal, team: str) -> None:
    if not may_write(actor, team):
        teams = sorted({t for role in actor.roles for t in WRITES.get(role, frozenset())})
        yours = (f"you write those of: {', '.join(teams)}" if teams
                 else "your role may use saved replies, not write them")
        raise Forbidden(f"the {team} team's saved replies are written by that team's people and master; {yours}")


def offer_order(language: str, teams: Iterable[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Which templates a mention is offered, and in what order: the mention's teams (care when it has none: care
    triages what nobody else was told about); the mention's own language first, then the other (for a mention in
    another language: English first, as the likelier common language)."""
    chosen = tuple(dict.fromkeys(teams)) or ("care",)
    first = language if language in LANGUAGES else "en"
    return chosen, (first, *(each for each in LANGUAGES if each != first))
