"""Chorus REST API (Chalice). Thin: each route parses, calls a service, answers. See README for the API."""
from __future__ import annotations

from typing import get_args

from chalice import Chalice

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
from chorus.advocacy.engagement.rules import GROUPINGS, MAX_PERIOD_DAYS, to_csv
from chorus.advocacy.engagement.schemas import (
    EngagementReport,
    ForwardedMention,
    ForwardedPage,
    Leaderboard,
    PersonalEngagement,
    ReportSettings,
    ReportSettingsIn,
)
from chorus.advocacy.people.schemas import (
    PROGRAMME_ROLES,
    AcknowledgeRequest,
    Ambassador,
    AmbassadorPage,
    Inventory,
    Person,
    PersonChange,
    PersonIn,
    Policy,
    PolicyIn,
    TrainingRequest,
)
from chorus.advocacy.pool.rules import POOL_READERS, RECEIVERS, is_link_preview
from chorus.advocacy.pool.schemas import Offer, OfferIn, PoolEntry, PoolPage, Share, ShareIn, SharePage
from chorus.advocacy.privacy.schemas import PersonalDataExport
from chorus.calendar.schemas import (
    Channel,
    ChannelCreate,
    ChannelFields,
    ChannelList,
    CrisisState,
    HoldRequest,
    Post,
    PostContent,
    PostEnvelope,
    PostPage,
    ReasonRequest,
    ReleaseResult,
    ScheduleRequest,
    Status,
)
from chorus.core.errors import Forbidden, NotFound, ValidationError
from chorus.core.roles import (
    ALERT_ADMINS,
    AUTHORS,
    CRISIS_TEAM,
    EDITORS,
    EVERYONE,
    LISTENERS,
    MASTERS,
    RESPONDERS,
    Principal,
)
from chorus.http import pages as ack_page
from chorus.http.api import Api, Health, Me, Query, Reply, SignedLink
from chorus.inbox.rules import STATUS_FILTERS
from chorus.inbox.schemas import AssignRequest, MentionPage, NoteRequest, ReplyRequest, ReplyResult, StatusRequest
from chorus.listening.schemas import (
    TEAMS,
    Alert,
    AlertList,
    Facet,
    Intent,
    Mailbox,
    MailboxEntry,
    MentionIn,
    MentionQueued,
    MentionRecord,
    RoutingRules,
    Subscription,
    SubscriptionIn,
    SubscriptionList,
)
from chorus.listening.sources.rules import SOURCE_ADMINS
from chorus.listening.sources.schemas import SourceCreate, SourceFields, SourceList, SourceView
from chorus.listening.spikes.schemas import SpikeList
from chorus.platforms.base import MentionPlatform
from chorus.publishing.schemas import Outbox, OutboxEntry

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
    return PostPage(items=service.visible(principal, items), next_cursor=next_cursor)


@api.route("/posts/{id}", "GET", "One post with its audit trail (someone else's draft only for master, editor, pr)",
           roles=EVERYONE, response=Post)
def get_post(principal: Principal, id: str) -> Post:
    return container.calendar().get_post(id, viewer=principal)


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


@api.route("/mentions/forwarded", "GET", "The mentions you forwarded, newest first, and what became of each: teams, "
           "status, assignee, first response, replies", roles=EVERYONE, response=ForwardedPage, query=PAGING)
def my_forwards(principal: Principal, limit: int, cursor: str | None) -> ForwardedPage:
    records, next_cursor = container.forwards().of(principal, limit, cursor)
    return ForwardedPage(items=[ForwardedMention.of(r) for r in records], next_cursor=next_cursor)


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


# An alert email's acknowledge link carries these instead of a token (see chorus.http.signing).
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


# ---------------------------------------------------------------------------------------------------- ambassadors
# Masters manage people; everyone else sees and changes only themselves (/ambassadors/me). Opting in, consent and
# preferences have routes for the person only: nobody is opted in by someone else (seed 001).
def _shown(person: Person) -> Ambassador:
    return container.ambassadors().show([person])[0]


@api.route("/ambassadors", "POST", "Add a person to the programme (Idempotency-Key header makes retries safe)",
           roles=MASTERS, body=PersonIn, response=Ambassador, status=201)
def create_ambassador(principal: Principal, body: PersonIn) -> Reply:
    key = app.current_request.headers.get("idempotency-key")
    person, created = container.ambassadors().create(principal, body, key)
    return Reply(_shown(person), status=201 if created else 200)


@api.route("/ambassadors", "GET", "The programme's people by team and name, filtered", roles=MASTERS,
           response=AmbassadorPage, query=(
               Query("team", "only this team"), Query("role", "only people in this role", enum=PROGRAMME_ROLES),
               Query("opted_in", "only people who opted in (true) or not (false)", enum=("true", "false")), *PAGING))
def list_ambassadors(principal: Principal, team: str | None, role: str | None, opted_in: str | None, limit: int,
                     cursor: str | None) -> AmbassadorPage:
    service = container.ambassadors()
    people, next_cursor = service.page(team, role, None if opted_in is None else opted_in == "true", limit, cursor)
    return AmbassadorPage(items=service.show(people), next_cursor=next_cursor)


@api.route("/ambassadors/me", "GET", "Your profile, and what still stands between you and offered content",
           roles=EVERYONE, response=Ambassador)
def my_profile(principal: Principal) -> Ambassador:
    return _shown(container.ambassadors().me(principal))


@api.route("/ambassadors/me", "PUT", "Change your contact details, handles, topics, how and how often you hear from "
           "the programme, consent to be named, leaderboard visibility (only the fields sent)", roles=EVERYONE,
           body=PersonChange, response=Ambassador)
def change_my_profile(principal: Principal, body: PersonChange) -> Ambassador:
    return _shown(container.ambassadors().change_me(principal, body))


@api.route("/ambassadors/me/opt-in", "POST", "Take part: receive offered content (once the policy is acknowledged)",
           roles=EVERYONE, response=Ambassador)
def opt_in(principal: Principal) -> Ambassador:
    return _shown(container.ambassadors().set_opted_in(principal, True))


@api.route("/ambassadors/me/opt-out", "POST", "Stop taking part, at any time: nothing more is offered to you",
           roles=EVERYONE, response=Ambassador)
def opt_out(principal: Principal) -> Ambassador:
    return _shown(container.ambassadors().set_opted_in(principal, False))


@api.route("/ambassadors/me/acknowledge-policy", "POST", "Acknowledge the current social-media policy (409 for "
           "another version)", roles=EVERYONE, body=AcknowledgeRequest, response=Ambassador)
def acknowledge_policy(principal: Principal, body: AcknowledgeRequest) -> Ambassador:
    return _shown(container.ambassadors().acknowledge_policy(principal, body.version))


@api.route("/ambassadors/me/training", "POST", "Record that you completed the training", roles=EVERYONE,
           body=TrainingRequest, response=Ambassador)
def my_training(principal: Principal, body: TrainingRequest) -> Ambassador:
    return _shown(container.ambassadors().record_training(principal, None, body.completed))


@api.route("/ambassadors/{id}", "GET", "One person (a master, or the person themselves)", roles=EVERYONE,
           response=Ambassador)
def get_ambassador(principal: Principal, id: str) -> Ambassador:
    return _shown(container.ambassadors().visible(principal, id))


@api.route("/ambassadors/{id}", "PUT", "Change a person (only the fields sent): masters change team, roles and "
           "username; only the person changes consent and preferences", roles=EVERYONE, body=PersonChange,
           response=Ambassador)
def change_ambassador(principal: Principal, id: str, body: PersonChange) -> Ambassador:
    return _shown(container.ambassadors().change(principal, id, body))


@api.route("/ambassadors/{id}/training", "POST", "Record that a person completed the training", roles=MASTERS,
           body=TrainingRequest, response=Ambassador)
def record_training(principal: Principal, id: str, body: TrainingRequest) -> Ambassador:
    return _shown(container.ambassadors().record_training(principal, id, body.completed))


@api.route("/ambassadors/{id}", "DELETE", "Erase a person's personal data everywhere; id, team, roles and anonymous "
           "counts stay (a master, or the person themselves; idempotent)", roles=EVERYONE, status=204)
def erase_ambassador(principal: Principal, id: str) -> None:
    container.privacy().erase(principal, id)


@api.route("/ambassadors/{id}/export", "GET", "Everything stored about a person, per kind of data (a master, or the "
           "person themselves)", roles=EVERYONE, response=PersonalDataExport)
def export_ambassador(principal: Principal, id: str) -> PersonalDataExport:
    return container.privacy().export(principal, id)


@api.route("/policy", "GET", "The current social-media policy", roles=EVERYONE, response=Policy)
def current_policy(principal: Principal) -> Policy:
    return container.ambassadors().policy()


@api.route("/policy", "POST", "Publish a new policy version: nobody receives offers until they acknowledge it",
           roles=MASTERS, body=PolicyIn, response=Policy, status=201)
def publish_policy(principal: Principal, body: PolicyIn) -> Policy:
    return container.ambassadors().publish_policy(principal, body)


@api.route("/inventory", "GET", "Where the organisation's people are active: per platform how many and who",
           roles=EDITORS, response=Inventory)
def people_inventory(principal: Principal) -> Inventory:
    return container.ambassadors().inventory()


# ---------------------------------------------------------------------------------------------------- content
PRECHECKERS = AUTHORS | {"publisher"}  # everyone who writes or shares a text


@api.route("/content/uploads", "POST", "Upload a photo or video: answers a presigned POST (jpeg, png, gif, webp up to "
           "10 MB; mp4, mov up to 200 MB) for the browser to send the file straight to storage", roles=AUTHORS,
           body=UploadRequest, response=UploadTicket, status=201)
def create_upload(principal: Principal, body: UploadRequest) -> UploadTicket:
    return container.content().upload(principal, body)


@api.route("/content", "POST", "Submit a story with tags, a content pillar and uploaded media for the editors "
           "(Idempotency-Key header makes retries safe)", roles=AUTHORS, body=SubmissionIn, response=SubmissionView,
           status=201)
def submit_content(principal: Principal, body: SubmissionIn) -> Reply:
    key = app.current_request.headers.get("idempotency-key")
    submission, created = container.content().submit(principal, body, key)
    return Reply(submission, status=201 if created else 200)


@api.route("/content", "GET", "Your submissions, newest first, with their status (accepted: the post; declined: why)",
           roles=AUTHORS, response=SubmissionPage, query=(
               Query("creator", "editors: another creator's person id"), *PAGING))
def list_content(principal: Principal, creator: str | None, limit: int, cursor: str | None) -> SubmissionPage:
    return container.content().listing(principal, creator, limit, cursor)


@api.route("/content/queue", "GET", "The editors' queue: submitted content oldest first, and suggestions (open praise "
           "routed to marketing), each with its pre-share flags", roles=EDITORS, response=ContentQueue, query=(
               *PAGING, Query("suggestions_cursor", "next_suggestions_cursor of the previous page")))
def content_queue(principal: Principal, limit: int, cursor: str | None, suggestions_cursor: str | None) -> ContentQueue:
    return container.content().queue(principal, limit, cursor, suggestions_cursor)


@api.route("/content/{id}", "GET", "One submission (creators: only their own)", roles=AUTHORS, response=SubmissionView)
def get_content(principal: Principal, id: str) -> SubmissionView:
    return container.content().get(principal, id)


@api.route("/content/{id}/accept", "POST", "Turn submitted content into a draft post (optionally with edited text and "
           "channels); the post names its source and creator", roles=EDITORS, body=AcceptRequest, response=AcceptResult,
           status=201)
def accept_content(principal: Principal, id: str, body: AcceptRequest) -> AcceptResult:
    submission, post, flags = container.content().accept(principal, id, body)
    return AcceptResult(post=post, flags=flags, submission=submission)


@api.route("/content/{id}/decline", "POST", "Decline submitted content with a reason the creator sees", roles=EDITORS,
           body=DeclineRequest, response=Submission)
def decline_content(principal: Principal, id: str, body: DeclineRequest) -> Submission:
    return container.content().decline(principal, id, body.reason)


@api.route("/content/suggestions/{id}/accept", "POST", "Turn a suggestion (a praise mention) into a draft post that "
           "cites it; the mention is resolved", roles=EDITORS, body=AcceptRequest, response=AcceptResult, status=201)
def accept_suggestion(principal: Principal, id: str, body: AcceptRequest) -> AcceptResult:
    post, flags = container.content().accept_suggestion(principal, id, body)
    return AcceptResult(post=post, flags=flags)


@api.route("/prechecks", "POST", "The pre-share check: people named or tagged without their consent, and competitors",
           roles=PRECHECKERS, body=PrecheckRequest, response=PrecheckResult)
def precheck(principal: Principal, body: PrecheckRequest) -> PrecheckResult:
    return PrecheckResult(flags=container.content().precheck(body.text))


@api.route("/prechecks/lists", "GET", "Outside people who agreed to be named, and competitors", roles=EDITORS,
           response=PrecheckListsView)
def get_precheck_lists(principal: Principal) -> PrecheckListsView:
    return container.content().get_lists()


@api.route("/prechecks/lists", "PUT", "Replace the pre-share check's lists", roles=EDITORS, body=PrecheckLists,
           response=PrecheckListsView)
def put_precheck_lists(principal: Principal, body: PrecheckLists) -> PrecheckListsView:
    return container.content().set_lists(principal, body)


# ---------------------------------------------------------------------------------------------------- pool and shares
# Editors offer approved posts; publishers see what is offered to them (only while opted in with the current policy
# acknowledged) with personal share links; /r/{code} is public: it counts a click and redirects.
def _api_base() -> str:
    """Where people reach this API, for tracked links: CHORUS_PUBLIC_API_URL (a custom domain), else this request's
    own host (API Gateway's execute-api host carries the stage in the path)."""
    configured = container.get_settings().public_api_url
    if configured:
        return configured
    request = app.current_request
    host = request.headers.get("host") or "localhost"
    if host.endswith(".amazonaws.com"):
        return f"https://{host}/{request.context.get('stage', 'api')}"
    scheme = request.headers.get("x-forwarded-proto") or ("http" if host.startswith(("localhost", "127.0.0.1")) else "https")
    return f"{scheme}://{host}"


@api.route("/pool", "POST", "Offer an approved, scheduled or published post to publishers (all, or per team or topic), "
           "with a suggested text per platform (Idempotency-Key header makes retries safe)", roles=EDITORS, body=OfferIn,
           response=Offer, status=201)
def offer_post(principal: Principal, body: OfferIn) -> Reply:
    key = app.current_request.headers.get("idempotency-key")
    offer, created = container.pool().offer(principal, body, _api_base(), key)
    return Reply(offer, status=201 if created else 200)


@api.route("/pool", "GET", "Publishers: the offers meant for you, newest first, with your share links (nothing until you "
           "opted in and acknowledged the current policy; `notice` says why). Editors: every offer", roles=POOL_READERS,
           response=PoolPage, query=(
               Query("view", "mine (a publisher's pool; the default for publishers) or all (editors' default)",
                     enum=("mine", "all")), *PAGING))
def list_pool(principal: Principal, view: str | None, limit: int, cursor: str | None) -> PoolPage:
    if (view or ("all" if principal.is_editor else "mine")) == "all":
        if not principal.is_editor:
            raise Forbidden("only editors and masters see every offer; view=mine shows yours")
        return container.pool().all_offers(limit, cursor)
    if not principal.has_any(RECEIVERS):
        raise Forbidden("only publishers receive offers")
    return container.pool().pool(principal, limit, cursor, _api_base())


@api.route("/pool/{id}", "GET", "One offer (publishers: one offered to them, with their share links)",
           roles=POOL_READERS, response=PoolEntry)
def get_offer(principal: Principal, id: str) -> PoolEntry:
    return container.pool().entry(principal, id, _api_base())


@api.route("/pool/{id}", "DELETE", "Withdraw an offer: publishers no longer see it (links already shared keep working)",
           roles=EDITORS, status=204)
def withdraw_offer(principal: Principal, id: str) -> None:
    container.pool().withdraw(principal, id)


LINK_NOT_FOUND = ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Link not found</title>"
                  "<p>This link does not exist. Check that it was copied whole.</p></html>")


def _follow(code: str, counts: bool) -> Reply:
    try:
        target = container.pool().follow(code, counts)
    except NotFound:
        if "text/html" not in (app.current_request.headers.get("accept") or ""):
            raise
        return Reply(LINK_NOT_FOUND, status=404, headers=ack_page.HEADERS)
    return Reply(None, status=302, headers={"Location": target, "Cache-Control": "no-store"})


@api.route("/r/{code}", "GET", "A tracked link (no token): redirects to the offered page with UTM parameters and counts "
           "a click for the person on the link's channel; link-preview bots do not count", roles=None, status=302,
           any_query=True)
def follow_link(code: str) -> Reply:
    return _follow(code, counts=not is_link_preview(app.current_request.headers.get("user-agent")))


@api.route("/r/{code}", "HEAD", "A tracked link's target, without counting a click", roles=None, status=302,
           any_query=True)
def peek_link(code: str) -> Reply:
    return _follow(code, counts=False)


@api.route("/shares", "POST", "Confirm you shared an offer, with your post's URL (the same post counts once)",
           roles=RECEIVERS, body=ShareIn, response=Share, status=201)
def confirm_share(principal: Principal, body: ShareIn) -> Reply:
    share, created = container.shares().confirm(principal, body)
    return Reply(share, status=201 if created else 200)


@api.route("/shares", "GET", "Your shares, newest first (editors and masters: everyone's, filtered)",
           roles=POOL_READERS, response=SharePage, query=(
               Query("person", "only this person's (editors)"), Query("offer", "only shares of this offer"),
               Query("platform", "only shares on this platform"), *PAGING))
def list_shares(principal: Principal, person: str | None, offer: str | None, platform: str | None, limit: int,
                cursor: str | None) -> SharePage:
    return container.shares().list(principal, person, offer, platform, limit, cursor)


# ---------------------------------------------------------------------------------------------------- engagement
PERIOD = (Query("from", "first day, YYYY-MM-DD (UTC; default: 29 days before `to`)"),
          Query("to", f"last day, YYYY-MM-DD, included (default: today); at most {MAX_PERIOD_DAYS} days in all"))


@api.route("/reports/engagement", "GET", "Who contributes, shares and converses, per person, team or role, with totals "
           "and who is inactive (JSON, or CSV with format=csv)", roles=EDITORS, response=EngagementReport, query=(
               *PERIOD, Query("by", "one row per person, team or role", enum=GROUPINGS, default="person"),
               Query("format", "json or csv", enum=("json", "csv"), default="json")))
def engagement_report(principal: Principal, by: str, **options: str | None) -> EngagementReport | Reply:
    service = container.engagement_reports()
    result = service.report(service.period(options["from"], options["to"]), by)  # type: ignore[arg-type]
    if options["format"] != "csv":
        return result
    name = f"engagement-{result.start}-{result.end}-by-{by}.csv"
    return Reply(to_csv(result), headers={"Content-Type": "text/csv; charset=utf-8",
                                          "Content-Disposition": f'attachment; filename="{name}"'})


@api.route("/reports/engagement/me", "GET", "Your own engagement row over a period", roles=EVERYONE,
           response=PersonalEngagement, query=PERIOD)
def my_engagement(principal: Principal, **period: str | None) -> PersonalEngagement:
    service = container.engagement_reports()
    chosen = service.period(period["from"], period["to"])
    return PersonalEngagement(start=chosen.start, end=chosen.end, row=service.mine(principal, chosen))


@api.route("/reports/engagement/leaderboard", "GET", "The leaderboard, when a social master switched it on (404 "
           "otherwise); people who hide themselves never appear", roles=EVERYONE, response=Leaderboard, query=(
               *PERIOD, Query("limit", "top this many", type="integer", minimum=1, maximum=100, default=10)))
def engagement_leaderboard(principal: Principal, limit: int, **period: str | None) -> Leaderboard:
    service = container.engagement_reports()
    return service.leaderboard(service.period(period["from"], period["to"]), limit)


@api.route("/reports/engagement/settings", "GET", "Whether the leaderboard is on", roles=EDITORS,
           response=ReportSettings)
def engagement_settings(principal: Principal) -> ReportSettings:
    return container.engagement_reports().report_settings()


@api.route("/reports/engagement/settings", "PUT", "Switch the leaderboard on or off (social master)",
           roles=MASTERS, body=ReportSettingsIn, response=ReportSettings)
def change_engagement_settings(principal: Principal, body: ReportSettingsIn) -> ReportSettings:
    return container.engagement_reports().change_settings(body, principal)


@api.route("/mailbox", "GET", "Local runtime only: what each email and SMS subscriber would have received", roles=EVERYONE,
           response=Mailbox)
def mailbox(principal: Principal) -> Mailbox:
    gateway = container.alert_gateway()
    if not hasattr(gateway, "messages"):
        raise NotFound("the mailbox exists only in the local runtime (make run); on AWS, SNS delivers email and SMS")
    entries = gateway.messages(container.subscriptions().all())
    return Mailbox(items=[MailboxEntry.model_validate(e) for e in entries])
