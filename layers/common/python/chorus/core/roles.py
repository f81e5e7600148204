"""Who is calling, and what each role may do. Roles come from Cognito groups."""
from __future__ import annotations

from dataclasses import dataclass

ROLES = ("master", "editor", "creator", "publisher", "care", "pr", "viewer")
MASTERS = frozenset({"master"})  # run the ambassador programme: people, policy
EDITORS = frozenset({"master", "editor"})
AUTHORS = frozenset({"master", "editor", "creator"})
CRISIS_TEAM = frozenset({"master", "editor", "pr"})
LISTENERS = frozenset({"master", "editor", "care", "pr", "viewer"})  # read the inbox and alerts
RESPONDERS = frozenset({"master", "editor", "care", "pr"})  # acknowledge alerts, work mentions
ALERT_ADMINS = frozenset({"master", "care", "pr"})  # routing rules and alert subscriptions
EVERYONE = frozenset(ROLES)


@dataclass(frozen=True)
class Principal:
    username: str
    roles: frozenset[str]

    def has_any(self, roles: frozenset[str]) -> bool:
        return bool(self.roles & roles)

    @property
    def is_editor(self) -> bool:
        return self.has_any(EDITORS)
