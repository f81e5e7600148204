"""Chorus REST API (Chalice). Thin: each route parses, calls a service, answers. See README for the API."""
from __future__ import annotations

from chalice import Chalice

from chorus import container
from chorus.api.http import Api, Query, Reply
from chorus.api.schemas import (
    AlertList, ChannelList, CrisisState, Health, HoldRequest, Mailbox, MailboxEntry, Me, MentionPage, MentionQueued,
    Outbox, OutboxEntry, PostEnvelope, PostPage, ReasonRequest, ReleaseResult, ScheduleRequest, SubscriptionList,
)
from chorus.domain.channels import Channel, ChannelCreate, ChannelFields
from chorus.domain.errors import NotFound, ValidationError
from chorus.domain.inbox import Alert, MentionIn, MentionRecord
from chorus.domain.posts import Post, PostContent, Status
from chorus.domain.roles import (
    ALERT_ADMINS, AUTHORS, CRISIS_TEAM, EDITORS, EVERYONE, LISTENERS, RESPONDERS, Principal,
)
from chorus.domain.routing import RoutingRules
from chorus.domain.subscriptions import Subscription, SubscriptionIn

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


# ---------------------------------------------------------------------------------------------------- listening
@api.route("/mentions", "POST", "Ingest one mention from another tool, or forward one you saw (processed within seconds)",
           roles=EVERYONE, body=MentionIn, response=MentionQueued, status=202)
def ingest_mention(principal: Principal, body: MentionIn) -> Reply:
    return Reply(MentionQueued.model_validate(container.listening().ingest(body, principal)), status=202)


@api.route("/mentions", "GET", "The inbox: mentions in one status, newest first, with filters", roles=LISTENERS,
           response=MentionPage, query=(
               Query("status", "default new", enum=("new", "assigned", "responded", "resolved", "ignored")),
               Query("intent", "complaint, question, praise or other", enum=("complaint", "question", "praise", "other")),
               Query("team", "routed to this team", enum=("care", "care-lead", "marketing", "pr")),
               Query("facet", "brand, company or employees", enum=("brand", "company", "employees")),
               Query("platform", "rss, mastodon, bluesky, x, reddit or other",
                     enum=("rss", "mastodon", "bluesky", "x", "reddit", "other")),
               Query("language", "nl, en or other", enum=("nl", "en", "other")),
               Query("from", "received at or after, ISO 8601"),
               Query("to", "received at or before, ISO 8601"),
               *PAGING))
def list_mentions(principal: Principal, limit: int, cursor: str | None, status: str | None, **filters: str | None) -> MentionPage:
    since, until = filters.pop("from"), filters.pop("to")
    chosen = {name: value for name, value in filters.items() if value}
    items, next_cursor = container.listening().inbox(status or "new", chosen, since, until, limit, cursor)
    return MentionPage(items=items, next_cursor=next_cursor)


@api.route("/mentions/{id}", "GET", "One mention: what was said, how it was classified and routed", roles=LISTENERS,
           response=MentionRecord)
def get_mention(principal: Principal, id: str) -> MentionRecord:
    return container.listening().mention(id)


@api.route("/routing-rules", "GET", "Which team gets which mentions, and when a complaint goes to PR", roles=LISTENERS,
           response=RoutingRules)
def get_routing_rules(principal: Principal) -> RoutingRules:
    return container.listening().rules()


@api.route("/routing-rules", "PUT", "Replace the routing rules", roles=ALERT_ADMINS, body=RoutingRules,
           response=RoutingRules)
def put_routing_rules(principal: Principal, body: RoutingRules) -> RoutingRules:
    return container.listening().set_rules(body, principal)


@api.route("/alerts", "GET", "Alerts of the last hours, newest first", roles=LISTENERS, response=AlertList, query=(
    Query("hours", "how far back", type="integer", minimum=1, maximum=2160, default=24),
    Query("limit", "at most this many", type="integer", minimum=1, maximum=500, default=100)))
def list_alerts(principal: Principal, hours: int, limit: int) -> AlertList:
    return AlertList(items=container.listening().recent_alerts(hours, limit))


@api.route("/alerts/{id}/ack", "POST", "Acknowledge an alert: someone is on it (stops its escalation)", roles=RESPONDERS,
           response=Alert)
def acknowledge_alert(principal: Principal, id: str) -> Alert:
    return container.listening().acknowledge(id, principal)


@api.route("/subscriptions", "GET", "Who receives alerts, by email or SMS (addresses partly hidden)", roles=ALERT_ADMINS,
           response=SubscriptionList)
def list_subscriptions(principal: Principal) -> SubscriptionList:
    return SubscriptionList(items=[s.masked() for s in container.subscriptions().all()])


@api.route("/subscriptions", "POST", "Subscribe an email address or phone number to a team's alerts", roles=ALERT_ADMINS,
           body=SubscriptionIn, response=Subscription, status=201)
def create_subscription(principal: Principal, body: SubscriptionIn) -> Subscription:
    return container.subscriptions().create(body, principal)


@api.route("/subscriptions/{id}", "DELETE", "Stop a subscription", roles=ALERT_ADMINS, status=204)
def delete_subscription(principal: Principal, id: str) -> None:
    container.subscriptions().delete(id)


@api.route("/mailbox", "GET", "Local runtime only: what each email and SMS subscriber would have received", roles=EVERYONE,
           response=Mailbox)
def mailbox(principal: Principal) -> Mailbox:
    gateway = container.alert_gateway()
    if not hasattr(gateway, "messages"):
        raise NotFound("the mailbox exists only in the local runtime (make run); on AWS, SNS delivers email and SMS")
    entries = gateway.messages(container.subscriptions().all())
    return Mailbox(items=[MailboxEntry.model_validate(e) for e in entries])
