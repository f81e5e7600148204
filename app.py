"""Chorus REST API (Chalice). Thin: each route parses, calls a service, answers. See README for the API."""
from __future__ import annotations

from chalice import Chalice

from chorus import container
from chorus.api.http import Api, Query, Reply
from chorus.api.schemas import (
    ChannelList, CrisisState, Health, HoldRequest, Me, Outbox, OutboxEntry, PostEnvelope, PostPage, ReasonRequest,
    ReleaseResult, ScheduleRequest,
)
from chorus.domain.channels import Channel, ChannelCreate, ChannelFields
from chorus.domain.errors import ValidationError
from chorus.domain.posts import Post, PostContent, Status
from chorus.domain.roles import AUTHORS, CRISIS_TEAM, EDITORS, EVERYONE, Principal

VERSION = "0.1.0"

app = Chalice(app_name="chorus", configure_logs=False)
api = Api(app, container.token_verifier, title="Chorus", version=VERSION)

PAGING = (
    Query("limit", "page size", type="integer", minimum=1, maximum=100, default=50),
    Query("cursor", "next_cursor of the previous page"),
)


@api.route("/health", "GET", "Liveness check", roles=None, response=Health)
def health() -> Health:
    return Health(status="ok", version=VERSION)


@api.route("/openapi.json", "GET", "This API's OpenAPI 3.1 description", roles=None)
def openapi() -> dict:
    return api.openapi()


@api.route("/me", "GET", "Who the token belongs to and which roles it carries", roles=EVERYONE, response=Me)
def me(principal: Principal) -> Me:
    return Me(username=principal.username, roles=sorted(principal.roles))


# ---------------------------------------------------------------------------------------------------- posts
@api.route("/posts", "POST", "Write a draft post (Idempotency-Key header makes retries safe)", roles=AUTHORS,
           body=PostContent, response=PostEnvelope, status=201)
def create_post(principal: Principal, body: PostContent) -> Reply:
    key = app.current_request.headers.get("idempotency-key")
    post, advice, created = container.calendar().create_post(principal, body, key)
    return Reply(PostEnvelope(post=post, warnings=advice), status=201 if created else 200)


@api.route("/posts", "GET", "The calendar: posts in a date range (and channel), or posts in one workflow status",
           roles=EVERYONE, response=PostPage, query=(
               Query("from", "start, ISO 8601 (default: today)"),
               Query("to", "end, exclusive, ISO 8601 (default: from + 31 days)"),
               Query("channel", "only posts on this channel id"),
               Query("status", "posts in this status instead of a date range, most recently changed first",
                     enum=tuple(s.value for s in Status)),
               *PAGING))
def list_posts(principal: Principal, limit: int, cursor: str | None, status: str | None, channel: str | None,
               **when: str | None) -> PostPage:
    service = container.calendar()
    if status:
        items, next_cursor = service.by_status(status, limit, cursor)
    else:
        items, next_cursor = service.calendar(when["from"], when["to"], channel, limit, cursor)
    return PostPage(items=items, next_cursor=next_cursor)


@api.route("/posts/{id}", "GET", "One post with its audit trail", roles=EVERYONE, response=Post)
def get_post(principal: Principal, id: str) -> Post:
    return container.calendar().get_post(id)


@api.route("/posts/{id}", "PATCH", "Change a draft or submitted post", roles=AUTHORS, body=PostContent,
           response=PostEnvelope)
def update_post(principal: Principal, id: str, body: PostContent) -> PostEnvelope:
    post, advice = container.calendar().update_post(principal, id, body)
    return PostEnvelope(post=post, warnings=advice)


@api.route("/posts/{id}/submit", "POST", "Submit a draft for approval", roles=AUTHORS, response=Post)
def submit_post(principal: Principal, id: str) -> Post:
    return container.calendar().act(principal, id, "submit")


@api.route("/posts/{id}/approve", "POST", "Approve a submitted post", roles=EDITORS, response=Post)
def approve_post(principal: Principal, id: str) -> Post:
    return container.calendar().act(principal, id, "approve")


@api.route("/posts/{id}/reject", "POST", "Send a post back to draft, with a reason", roles=EDITORS,
           body=ReasonRequest, response=Post)
def reject_post(principal: Principal, id: str, body: ReasonRequest) -> Post:
    return container.calendar().act(principal, id, "reject", body.reason)


@api.route("/posts/{id}/schedule", "POST", "Plan an approved post at a time, or in the next free queue slot",
           roles=EDITORS, body=ScheduleRequest, response=PostEnvelope)
def schedule_post(principal: Principal, id: str, body: ScheduleRequest) -> PostEnvelope:
    post, advice = container.calendar().schedule(principal, id, body.publish_at, body.timezone, body.queue)
    return PostEnvelope(post=post, warnings=advice)


@api.route("/posts/{id}/cancel", "POST", "Cancel a post that has not been published", roles=EDITORS,
           body=ReasonRequest, response=Post)
def cancel_post(principal: Principal, id: str, body: ReasonRequest) -> Post:
    return container.calendar().act(principal, id, "cancel", body.reason)


@api.route("/posts/{id}/endorse", "POST", "The person a post speaks for approves its text (ghostwriting guard)",
           roles=EVERYONE, response=Post)
def endorse_post(principal: Principal, id: str) -> Post:
    return container.calendar().endorse(principal, id)


# ---------------------------------------------------------------------------------------------------- channels
@api.route("/channels", "GET", "The organisation's channels", roles=EVERYONE, response=ChannelList)
def list_channels(principal: Principal) -> ChannelList:
    return ChannelList(items=container.calendar().list_channels())


@api.route("/channels", "POST", "Add a channel", roles=EDITORS, body=ChannelCreate, response=Channel, status=201)
def create_channel(principal: Principal, body: ChannelCreate) -> Channel:
    return container.calendar().create_channel(principal, body)


@api.route("/channels/{id}", "GET", "One channel", roles=EVERYONE, response=Channel)
def get_channel(principal: Principal, id: str) -> Channel:
    return container.calendar().get_channel(id)


@api.route("/channels/{id}", "PATCH", "Change a channel", roles=EDITORS, body=ChannelFields, response=Channel)
def update_channel(principal: Principal, id: str, body: ChannelFields) -> Channel:
    return container.calendar().update_channel(principal, id, body)


@api.route("/channels/{id}/outbox", "GET", "What the local platform published on a `local` channel, newest first",
           roles=EVERYONE, response=Outbox, query=(Query("limit", "how many", type="integer", minimum=1, maximum=100, default=20),))
def channel_outbox(principal: Principal, id: str, limit: int) -> Outbox:
    channel = container.calendar().get_channel(id)
    if channel.platform != "local":
        raise ValidationError("id", f"{id} is a {channel.platform} channel; only local channels have an outbox")
    entries = container.publishing().outbox(channel, limit)
    return Outbox(items=[OutboxEntry(id=e.platform_id, text=e.text, published_at=e.created_at) for e in entries])


@api.route("/channels/{id}", "DELETE", "Remove a channel that no planned post uses", roles=frozenset({"master"}),
           status=204)
def delete_channel(principal: Principal, id: str) -> None:
    container.calendar().delete_channel(principal, id)


# ---------------------------------------------------------------------------------------------------- crisis
@api.route("/crisis", "GET", "Whether a crisis hold is on, since when, by whom and why", roles=EVERYONE,
           response=CrisisState)
def crisis_state(principal: Principal) -> CrisisState:
    return CrisisState.model_validate(container.crisis().status())


@api.route("/crisis/hold", "POST", "Stop publishing: every scheduled post becomes held, nothing new is scheduled",
           roles=CRISIS_TEAM, body=HoldRequest, response=CrisisState)
def crisis_hold(principal: Principal, body: HoldRequest) -> CrisisState:
    return CrisisState.model_validate(container.crisis().hold(principal, body.reason))


@api.route("/crisis/release", "POST", "Resume: held posts still ahead are scheduled again, the others wait for an editor",
           roles=CRISIS_TEAM, response=ReleaseResult)
def crisis_release(principal: Principal) -> ReleaseResult:
    return ReleaseResult.model_validate(container.crisis().release(principal))
