"""The routes of content: POST /content/uploads, POST and GET /content, GET /content/queue, GET /content/{id}, the
decisions (POST /content/{id}/accept and /decline, POST /content/suggestions/{id}/accept), and the pre-share check
(POST /prechecks, GET and PUT /prechecks/lists)."""
from __future__ import annotations

from chorus import container
from chorus.advocacy.content.schemas import (
    AcceptRequest,
    AcceptResult,
    ContentQueue,
    DeclineRequest,
    PrecheckLists,
    PrecheckListsView,
    PrecheckRequest,
    PrecheckResult,
    Submission,
    SubmissionIn,
    SubmissionPage,
    SubmissionView,
    UploadRequest,
    UploadTicket,
)
from chorus.core.roles import AUTHORS, EDITORS, Principal
from chorus.http.api import PAGING, Query, Routes, Stored

routes = Routes()


PRECHECKERS = AUTHORS | {"publisher"}  # everyone who writes or shares a text


@routes.route("/content/uploads", "POST",
              "Upload a photo or video: answers a presigned POST (jpeg, png, gif, webp up to "
              "10 MB; mp4, mov up to 200 MB) for the browser to send the file straight to storage", roles=AUTHORS,
              body=UploadRequest, response=UploadTicket, status=201)
def create_upload(principal: Principal, body: UploadRequest) -> UploadTicket:
    return container.content().upload(principal, body)


@routes.route("/content", "POST", "Submit a story with tags, a content pillar and uploaded media for the editors "
              "(Idempotency-Key header makes retries safe)", roles=AUTHORS, body=SubmissionIn, response=SubmissionView,
              status=201, idempotent=True)
def submit_content(principal: Principal, body: SubmissionIn, idempotency_key: str | None) -> Stored:
    return Stored(*container.content().submit(principal, body, idempotency_key))


@routes.route("/content", "GET",
              "Your submissions, newest first, with their status (accepted: the post; declined: why)",
              roles=AUTHORS, response=SubmissionPage, query=(
                  Query("creator", "editors: another creator's person id"), *PAGING))
def list_content(principal: Principal, creator: str | None, limit: int, cursor: str | None) -> SubmissionPage:
    return container.content().listing(principal, creator, limit, cursor)


@routes.route("/content/queue", "GET",
              "The editors' queue: submitted content oldest first, and suggestions (open praise "
              "routed to marketing), each with its pre-share flags", roles=EDITORS, response=ContentQueue, query=(
                  *PAGING, Query("suggestions_cursor", "next_suggestions_cursor of the previous page")))
def content_queue(principal: Principal, limit: int, cursor: str | None, suggestions_cursor: str | None) -> ContentQueue:
    return container.content().queue(principal, limit, cursor, suggestions_cursor)


@routes.route("/content/{id}", "GET", "One submission (creators: only their own)", roles=AUTHORS,
              response=SubmissionView)
def get_content(principal: Principal, id: str) -> SubmissionView:
    return container.content().get(principal, id)


@routes.route("/content/{id}/accept", "POST",
              "Turn submitted content into a draft post (optionally with edited text and "
              "channels); the post names its source and creator",
              roles=EDITORS, body=AcceptRequest, response=AcceptResult, status=201)
def accept_content(principal: Principal, id: str, body: AcceptRequest) -> AcceptResult:
    submission, post, flags = container.content().accept(principal, id, body)
    return AcceptResult(post=post, flags=flags, submission=submission)


@routes.route("/content/{id}/decline", "POST", "Decline submitted content with a reason the creator sees",
              roles=EDITORS, body=DeclineRequest, response=Submission)
def decline_content(principal: Principal, id: str, body: DeclineRequest) -> Submission:
    return container.content().decline(principal, id, body.reason)


@routes.route("/content/suggestions/{id}/accept", "POST", "Turn a suggestion (a praise mention) into a draft post that "
              "cites it; the mention is resolved", roles=EDITORS, body=AcceptRequest, response=AcceptResult, status=201)
def accept_suggestion(principal: Principal, id: str, body: AcceptRequest) -> AcceptResult:
    post, flags = container.content().accept_suggestion(principal, id, body)
    return AcceptResult(post=post, flags=flags)


@routes.route("/prechecks", "POST",
              "The pre-share check: people named or tagged without their consent, and competitors",
              roles=PRECHECKERS, body=PrecheckRequest, response=PrecheckResult)
def precheck(principal: Principal, body: PrecheckRequest) -> PrecheckResult:
    return PrecheckResult(flags=container.content().precheck(body.text))


@routes.route("/prechecks/lists", "GET", "Outside people who agreed to be named, and competitors", roles=EDITORS,
              response=PrecheckListsView)
def get_precheck_lists(principal: Principal) -> PrecheckListsView:
    return container.content().get_lists()


@routes.route("/prechecks/lists", "PUT", "Replace the pre-share check's lists", roles=EDITORS, body=PrecheckLists,
              response=PrecheckListsView)
def put_precheck_lists(principal: Principal, body: PrecheckLists) -> PrecheckListsView:
    return container.content().set_lists(principal, body)
