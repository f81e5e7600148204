"""Saved replies' REST routes: `/saved-replies` (list, create) and `/saved-replies/{id}` (read, change, delete). A
mention's saved replies filled in, and replying with one, are the inbox's routes (chorus.inbox.routes)."""
from __future__ import annotations

from typing import get_args

from chorus import container
from chorus.core.roles import LISTENERS, RESPONDERS, Principal
from chorus.http.api import PAGING, Query, Routes, Stored
from chorus.inbox.saved.schemas import SavedLanguage, SavedReply, SavedReplyChange, SavedReplyIn, SavedReplyPage
from chorus.listening.schemas import TEAMS

routes = Routes()
WRITERS = "a team's own people write its saved replies (care: care and care-lead, pr: pr, editor: marketing), " \
          "master every team's"


@routes.route("/saved-replies", "GET", "The team's reply templates, by team, language and title",
              roles=LISTENERS, response=SavedReplyPage, query=(
                  Query("team", "only this team's", enum=TEAMS),
                  Query("language", "only this language's", enum=get_args(SavedLanguage)),
                  *PAGING))
def list_saved_replies(principal: Principal, team: str | None, language: str | None, limit: int,
                       cursor: str | None) -> SavedReplyPage:
    items, next_cursor = container.saved_replies().listing(team, language, limit, cursor)
    return SavedReplyPage(items=items, next_cursor=next_cursor)


@routes.route("/saved-replies", "POST", f"Save a reply template with placeholders ({WRITERS}; an Idempotency-Key "
              "makes a retry safe)", roles=RESPONDERS, body=SavedReplyIn, response=SavedReply, status=201,
              idempotent=True)
def create_saved_reply(principal: Principal, body: SavedReplyIn, idempotency_key: str | None) -> Stored:
    reply, created = container.saved_replies().create(principal, body, idempotency_key)
    return Stored(reply, created)


@routes.route("/saved-replies/{id}", "GET", "One reply template", roles=LISTENERS, response=SavedReply)
def get_saved_reply(principal: Principal, id: str) -> SavedReply:
    return container.saved_replies().get(id)


@routes.route("/saved-replies/{id}", "PATCH", "Change a reply template (If-Match with the ETag you read: 412 when "
              "someone changed it since)", roles=RESPONDERS, body=SavedReplyChange, response=SavedReply,
              versioned=True)
def update_saved_reply(principal: Principal, id: str, body: SavedReplyChange,
                       expected_version: int | None) -> SavedReply:
    return container.saved_replies().update(principal, id, body, expected_version)


@routes.route("/saved-replies/{id}", "DELETE", "Delete a reply template (If-Match as for PATCH)", roles=RESPONDERS,
              status=204, versioned=True)
def delete_saved_reply(principal: Principal, id: str, expected_version: int | None) -> None:
    container.saved_replies().delete(principal, id, expected_version)
