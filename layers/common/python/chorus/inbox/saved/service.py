"""Saved replies: the team's reply templates, per team and language. Everyone who reads the inbox reads them; a
team's own people (and master) write them (rules.WRITES). Using one on a mention is the inbox's part
(chorus.inbox.service.InboxService.saved_replies_for and reply with a saved_reply_id)."""
from __future__ import annotations

import hashlib
import secrets
from typing import Protocol

from chorus.aws.cursors import MAX_PAGE, decode_cursor, encode_cursor
from chorus.core import time as timing
from chorus.core.errors import NotFound, PreconditionFailed, Stale, ValidationError
from chorus.core.observability import logger
from chorus.core.roles import Principal
from chorus.core.time import Clock
from chorus.inbox.saved import rules
from chorus.inbox.saved.schemas import SavedReply, SavedReplyChange, SavedReplyIn


class SavedReplies(Protocol):
    """chorus.inbox.saved.store.SavedReplyStore."""

    def get(self, reply_id: str) -> SavedReply | None: ...
    def all(self) -> list[SavedReply]: ...
    def create(self, reply: SavedReply) -> bool: ...
    def save(self, reply: SavedReply) -> SavedReply: ...
    def delete(self, reply: SavedReply) -> None: ...


class SavedReplyService:
    def __init__(self, store: SavedReplies, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    # ------------------------------------------------------------------ reading
    def get(self, reply_id: str) -> SavedReply:
        found = self.store.get(reply_id) if _well_formed(reply_id) else None
        if found is None:
            raise NotFound(f"no saved reply {reply_id!r}")
        return found

    def find(self, reply_id: str) -> SavedReply | None:
        return self.store.get(reply_id) if _well_formed(reply_id) else None

    def listing(self, team: str | None, language: str | None, limit: int,
                cursor: str | None) -> tuple[list[SavedReply], str | None]:
        """By team, language and title; the cursor carries the last one shown, so a page never repeats one even when
        someone adds or removes a saved reply between pages."""
        after = decode_cursor(cursor).get("after") if cursor else None
        if cursor and not (isinstance(after, list) and len(after) == 4 and all(isinstance(p, str) for p in after)):
            raise ValidationError("cursor", "is not a cursor this API returned")
        chosen = sorted((reply for reply in self.store.all()
                         if (team is None or reply.team == team) and (language is None or reply.language == language)),
                        key=_order)
        if after is not None:
            chosen = [reply for reply in chosen if list(_order(reply)) > after]
        page = chosen[:min(limit, MAX_PAGE)]
        more = len(chosen) > len(page)
        return page, encode_cursor({"after": list(_order(page[-1]))}) if more and page else None

    def for_mention(self, teams: tuple[str, ...], languages: tuple[str, ...]) -> list[SavedReply]:
        """The saved replies of these teams, in the order of `languages`, then by title."""
        rank = {language: n for n, language in enumerate(languages)}
        chosen = [reply for reply in self.store.all() if reply.team in teams and reply.language in rank]
        return sorted(chosen, key=lambda reply: (rank[reply.language], reply.title.casefold(), reply.id))

    # ------------------------------------------------------------------ writing
    def create(self, actor: Principal, data: SavedReplyIn,
               idempotency_key: str | None = None) -> tuple[SavedReply, bool]:
        """A new saved reply; with an Idempotency-Key a retry answers the first one (created False)."""
        rules.require_write(actor, data.team)
        text, placeholders = rules.clean_text(data.text)
        stamp = timing.iso_utc(self.clock())
        reply_id = _new_id(actor, idempotency_key)
        reply = SavedReply(id=reply_id, title=rules.clean_title(data.title), team=data.team, language=data.language,
                           text=text, placeholders=placeholders, created_by=actor.username, created_at=stamp,
                           updated_by=actor.username, updated_at=stamp)
        if not self.store.create(reply):
            return self.get(reply_id), False
        logger.info("saved reply created", extra={"saved_reply": reply_id, "team": reply.team, "by": actor.username})
        return reply.model_copy(update={"version": 1}), True

    def update(self, actor: Principal, reply_id: str, change: SavedReplyChange,
               expected_version: int | None) -> SavedReply:
        """Change a saved reply; with `expected_version` (If-Match) only the version the person saw: another
        person's change since then is a 412, never silently overwritten."""
        fields = change.model_dump(exclude_unset=True, exclude_none=True)
        if not fields:
            raise ValidationError("body", "name at least one of: title, team, language, text")
        current = self.get(reply_id)
        rules.require_write(actor, current.team)
        _require_version(current, expected_version)
        if "team" in fields:
            rules.require_write(actor, fields["team"])
        if "title" in fields:
            fields["title"] = rules.clean_title(fields["title"])
        if "text" in fields:
            fields["text"], fields["placeholders"] = rules.clean_text(fields["text"])
        changed = current.model_copy(update={**fields, "updated_by": actor.username,
                                             "updated_at": timing.iso_utc(self.clock())})
        try:
            saved = self.store.save(changed)
        except Stale:
            if expected_version is not None:
                _require_version(self.get(reply_id), expected_version)
            raise
        logger.info("saved reply changed", extra={"saved_reply": reply_id, "fields": sorted(fields),
                                                  "by": actor.username})
        return saved

    def delete(self, actor: Principal, reply_id: str, expected_version: int | None) -> None:
        current = self.get(reply_id)
        rules.require_write(actor, current.team)
        _require_version(current, expected_version)
        try:
            self.store.delete(current)
        except Stale:
            latest = self.find(reply_id)
            if latest is None:
                return  # deleted by someone else meanwhile: what was asked is done
            _require_version(latest, expected_version)
            raise
        logger.info("saved reply deleted", extra={"saved_reply": reply_id, "by": actor.username})


def _order(reply: SavedReply) -> tuple[str, str, str, str]:
    return reply.team, reply.language, reply.title.casefold(), reply.id


def _new_id(actor: Principal, idempotency_key: str | None) -> str:
    if idempotency_key:
        return "sr" + hashlib.sha256(f"saved-reply\n{actor.username}\n{idempotency_key}".encode()).hexdigest()[:16]
    return "sr" + secrets.token_hex(8)


def _well_formed(reply_id: str) -> bool:
    return len(reply_id) == 18 and reply_id.startswith("sr") and all(c in "0123456789abcdef" for c in reply_id[2:])


def _require_version(current: SavedReply, expected: int | None) -> None:
    if expected is not None and current.version != expected:
        raise PreconditionFailed(f"this saved reply was changed since you read it (you have version {expected}, the "
                                 f"current is {current.version}); read it again and make your change on the current "
                                 "version", current_version=current.version)
