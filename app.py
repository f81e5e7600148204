"""Chorus REST API (Chalice). Thin: each route parses, calls a service, answers. See README for the API."""
from __future__ import annotations

from typing import get_args

from chalice import Chalice

from chorus import container
from chorus.api import ack_page
from chorus.api.http import Api, Query, Reply, SignedLink
from chorus.api.schemas import (
    AssignRequest, NoteRequest, ReplyRequest, ReplyResult, StatusRequest,
    AlertList, ChannelList, CrisisState, Health, HoldRequest, Mailbox, MailboxEntry, Me, MentionPage, MentionQueued,
    Outbox, OutboxEntry, PostEnvelope, PostPage, ReasonRequest, ReleaseResult, ScheduleRequest, SpikeList,
    SubscriptionList,
)
from chorus.domain.channels import Channel, ChannelCreate, ChannelFields
from chorus.domain.errors import NotFound, ValidationError
from chorus.domain.inbox import Alert, MentionIn, MentionRecord
from chorus.domain.inbox_workflow import STATUS_FILTERS
from chorus.domain.mentions import Facet, MentionPlatform
from chorus.domain.posts import Post, PostContent, Status
from chorus.domain.roles import (
    ALERT_ADMINS, AUTHORS, CRISIS_TEAM, EDITORS, EVERYONE, LISTENERS, RESPONDERS, Principal,
)
from chorus.domain.routing import TEAMS, Intent, RoutingRules
from chorus.domain.sources import SOURCE_ADMINS, SourceCreate, SourceFields, SourceList, SourceView
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
    return Outbox(items=[OutboxEntry(id=e.platform_id, text=e.text, published_at=e.created_at, in_reply_to=e.in_reply_to)
                         for e in entries])


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


@api.route("/mentions", "GET", "The inbox: open mentions (new, assigned) newest first, or those in a status, filtered",
           roles=LISTENERS, response=MentionPage, query=(
               Query("status", "open (new and assigned; the default), all, or one status", enum=tuple(STATUS_FILTERS)),
               Query("intent", "complaint, question, praise or other", enum=get_args(Intent)),
               Query("team", "routed to this team", enum=TEAMS),
               Query("facet", "brand, company or employees", enum=get_args(Facet)),
               Query("platform", "where it was said", enum=get_args(MentionPlatform)),
               Query("language", "nl, en or other", enum=("nl", "en", "other")),
               Query("assignee", "assigned to this username"),
               Query("from", "received at or after, ISO 8601 (local time without an offset)"),
               Query("to", "received at or before, ISO 8601"),
               Query("order", "newest first (default) or oldest first", enum=("newest", "oldest"), default="newest"),
               *PAGING))
def list_mentions(principal: Principal, limit: int, cursor: str | None, status: str | None, order: str,
                  **filters: str | None) -> MentionPage:
    since, until = filters.pop("from"), filters.pop("to")
    chosen = {name: value for name, value in filters.items() if value}
    page = container.inbox().inbox(status or "open", chosen, since, until, order == "oldest", limit, cursor)
    return MentionPage(items=page.items, next_cursor=page.next_cursor)


@api.route("/mentions/{id}", "GET", "One mention: what was said, how it was classified and routed, and where the team is "
           "with it", roles=LISTENERS, response=MentionRecord)
def get_mention(principal: Principal, id: str) -> MentionRecord:
    return container.inbox().mention(id)


@api.route("/mentions/{id}/assign", "POST", "Give a mention to someone (also reopens a resolved or ignored one)",
           roles=RESPONDERS, body=AssignRequest, response=MentionRecord)
def assign_mention(principal: Principal, id: str, body: AssignRequest) -> MentionRecord:
    return container.inbox().assign(id, body.assignee, principal)


@api.route("/mentions/{id}/status", "POST", "Move a mention: back to new, responded (answered elsewhere), resolved or "
           "ignored", roles=RESPONDERS, body=StatusRequest, response=MentionRecord)
def set_mention_status(principal: Principal, id: str, body: StatusRequest) -> MentionRecord:
    return container.inbox().set_status(id, body.status, principal)


@api.route("/mentions/{id}/notes", "POST", "Add an internal note (for the team, never published)", roles=RESPONDERS,
           body=NoteRequest, response=MentionRecord, status=201)
def add_mention_note(principal: Principal, id: str, body: NoteRequest) -> MentionRecord:
    return container.inbox().add_note(id, body.text, principal)


@api.route("/mentions/{id}/reply", "POST", "Reply from the organisation's account on the mention's platform (a post "
           "with a reply target; routed to PR, it waits for an editor's approval)", roles=RESPONDERS, body=ReplyRequest,
           response=ReplyResult, status=201)
def reply_to_mention(principal: Principal, id: str, body: ReplyRequest) -> Reply:
    outcome = container.inbox().reply(id, body.text, body.channel, principal)
    result = ReplyResult(mention=outcome.mention, post=outcome.post, needs_approval=outcome.needs_approval)
    return Reply(result, status=201 if outcome.created else 200)


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


@api.route("/spikes", "GET", "Spikes of negative mentions detected in the last days, newest first: counts, baseline, why",
           roles=LISTENERS, response=SpikeList, query=(
               Query("days", "how far back", type="integer", minimum=1, maximum=90, default=7),
               Query("limit", "at most this many", type="integer", minimum=1, maximum=200, default=50)))
def list_spikes(principal: Principal, days: int, limit: int) -> SpikeList:
    return SpikeList(items=container.spikes().recent(days, limit))


# An alert email's acknowledge link carries these instead of a token (see chorus.adapters.signing).
ACK_LINK = SignedLink(
    query=(Query("team", "signed link: the team the email went to"),
           Query("expires", "signed link: until when it works (epoch seconds)"),
           Query("sig", "signed link: HMAC-SHA256 of the alert, team and expiry")),
    signer=lambda path, params: container.ack_links().signer(path["id"], params, container.utc_now()),
)


@api.route("/alerts/{id}/ack", "GET", "The page an alert email's signed link opens: the alert and an Acknowledge button "
           "(HTML; opening it changes nothing, as mail scanners open every link)", roles=RESPONDERS, link=ACK_LINK)
def acknowledge_page(principal: Principal, id: str) -> Reply:
    return Reply(ack_page.confirm(container.listening().alert(id), principal.username), headers=ack_page.HEADERS)


@api.route("/alerts/{id}/ack", "POST", "Acknowledge an alert: someone is on it (stops its escalation). With a bearer "
           "token, or with an email's signed link (then it answers a page)", roles=RESPONDERS, response=Alert, link=ACK_LINK)
def acknowledge_alert(principal: Principal, id: str) -> Alert | Reply:
    alert = container.listening().acknowledge(id, principal)
    if any(q.name in (app.current_request.query_params or {}) for q in ACK_LINK.query):
        return Reply(ack_page.done(alert), headers=ack_page.HEADERS)
    return alert


@api.route("/sources", "GET", "What Chorus listens to, with each source's fetch state", roles=LISTENERS,
           response=SourceList)
def list_sources(principal: Principal) -> SourceList:
    return SourceList(items=container.sources().all())


@api.route("/sources", "POST", "Add a source (a feed, an account, a search); it is polled within a minute",
           roles=SOURCE_ADMINS, body=SourceCreate, response=SourceView, status=201)
def create_source(principal: Principal, body: SourceCreate) -> SourceView:
    return container.sources().create(body, principal)


@api.route("/sources/{id}", "GET", "One source: its settings and its fetch state", roles=LISTENERS, response=SourceView)
def get_source(principal: Principal, id: str) -> SourceView:
    return container.sources().get(id)


@api.route("/sources/{id}", "PUT", "Replace a source's settings (all fields; its watermark is kept unless what it "
           "fetches changes)", roles=SOURCE_ADMINS, body=SourceFields, response=SourceView)
def replace_source(principal: Principal, id: str, body: SourceFields) -> SourceView:
    return container.sources().replace(id, body, principal)


@api.route("/sources/{id}", "DELETE", "Stop listening to a source", roles=SOURCE_ADMINS, status=204)
def delete_source(principal: Principal, id: str) -> None:
    container.sources().delete(id)


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
