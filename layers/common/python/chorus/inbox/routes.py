"""The inbox's REST routes: `GET /mentions` (the inbox, filtered), `GET /mentions/{id}`, working a mention
(`POST /mentions/{id}/assign`, `/status`, `/notes` and `/reply`), and `GET /team` (who works the inbox)."""
from __future__ import annotations

from typing import get_args

from chorus import container
from chorus.core.roles import LISTENERS, RESPONDERS, Principal
from chorus.http.api import PAGING, Query, Reply, Routes
from chorus.inbox.rules import STATUS_FILTERS, person
from chorus.inbox.saved.schemas import FilledReplyPage
from chorus.inbox.schemas import (
    AssignRequest,
    MentionPage,
    NoteRequest,
    ReplyRequest,
    ReplyResult,
    StatusRequest,
    TeamPage,
)
from chorus.listening.schemas import TEAMS, Facet, Intent, MentionRecord
from chorus.platforms.base import MentionPlatform

routes = Routes()


@routes.route("/mentions", "GET",
              "The inbox: open mentions (new, assigned) newest first, or those in a status, filtered",
              roles=LISTENERS, response=MentionPage, query=(
                  Query("status", "open (new and assigned; the default), all, or one status",
                        enum=tuple(STATUS_FILTERS)),
                  Query("intent", "complaint, question, praise or other", enum=get_args(Intent)),
                  Query("team", "routed to this team", enum=TEAMS),
                  Query("facet", "brand, company or employees", enum=get_args(Facet)),
                  Query("platform", "where it was said", enum=get_args(MentionPlatform)),
                  Query("language", "nl, en or other", enum=("nl", "en", "other")),
                  Query("assignee", "assigned to this username; `me`: my queue"),
                  Query("from", "received at or after: a date (local midnight) or an ISO 8601 date-time"),
                  Query("to", "received before (exclusive): a date (local midnight) or an ISO 8601 date-time"),
                  Query("order", "newest first (default) or oldest first", enum=("newest", "oldest"), default="newest"),
                  *PAGING))
def list_mentions(principal: Principal, limit: int, cursor: str | None, status: str | None, order: str,
                  **filters: str | None) -> MentionPage:
    since, until = filters.pop("from"), filters.pop("to")
    chosen = {name: value for name, value in filters.items() if value}
    if "assignee" in chosen:
        chosen["assignee"] = person(chosen["assignee"], principal.username)
    page = container.inbox().inbox(status or "open", chosen, since, until, order == "oldest", limit, cursor)
    return MentionPage(items=page.items, next_cursor=page.next_cursor)


@routes.route("/mentions/{id}", "GET",
              "One mention: what was said, how it was classified and routed, and where the team is with it",
              roles=LISTENERS, response=MentionRecord)
def get_mention(principal: Principal, id: str) -> MentionRecord:
    return container.inbox().mention(id)


@routes.route("/team", "GET", "Who works the inbox (the care, pr, editor and master roles), each with their open "
              "mentions: the people a mention can be assigned to", roles=LISTENERS, response=TeamPage)
def list_team(principal: Principal) -> TeamPage:
    return TeamPage(items=container.inbox().team())


@routes.route("/mentions/{id}/assign", "POST", "Give a mention to someone who works the inbox, or to `me` (also "
              "reopens a resolved or ignored one)", roles=RESPONDERS, body=AssignRequest, response=MentionRecord)
def assign_mention(principal: Principal, id: str, body: AssignRequest) -> MentionRecord:
    return container.inbox().assign(id, body.assignee, principal)


@routes.route("/mentions/{id}/status", "POST",
              "Move a mention: back to new, responded (answered elsewhere), resolved or ignored",
              roles=RESPONDERS, body=StatusRequest, response=MentionRecord)
def set_mention_status(principal: Principal, id: str, body: StatusRequest) -> MentionRecord:
    return container.inbox().set_status(id, body.status, principal)


@routes.route("/mentions/{id}/notes", "POST", "Add an internal note (for the team, never published)", roles=RESPONDERS,
              body=NoteRequest, response=MentionRecord, status=201)
def add_mention_note(principal: Principal, id: str, body: NoteRequest) -> MentionRecord:
    return container.inbox().add_note(id, body.text, principal)


@routes.route("/mentions/{id}/reply", "POST",
              "Reply from the organisation's account on the mention's platform (a post "
              "with a reply target; routed to PR, it waits for an editor's approval): `text`, or a saved reply filled "
              "in (`saved_reply_id`)",
              roles=RESPONDERS, body=ReplyRequest, response=ReplyResult, status=201)
def reply_to_mention(principal: Principal, id: str, body: ReplyRequest) -> Reply:
    outcome = container.inbox().reply(id, body.text, body.channel, principal, body.saved_reply_id)
    result = ReplyResult(mention=outcome.mention, post=outcome.post, needs_approval=outcome.needs_approval)
    return Reply(result, status=201 if outcome.created else 200)


@routes.route("/mentions/{id}/saved-replies", "GET",
              "The saved replies for a mention, filled in as you would send them: its teams' templates, in its "
              "language first, each with its length and the reply channel's limit", roles=LISTENERS,
              response=FilledReplyPage, query=(
                  Query("team", "this team's templates instead of the mention's teams'", enum=TEAMS),
                  Query("channel", "the account the reply would go from (for the length limit), when there are "
                        "several on the mention's platform")))
def saved_replies_for_mention(principal: Principal, id: str, team: str | None, channel: str | None) -> FilledReplyPage:
    case_number, items = container.inbox().saved_replies_for(id, team, channel, principal)
    return FilledReplyPage(case_number=case_number, items=items)
