"""The calendar's REST routes: posts and their workflow (`/posts`, `/posts/{id}` and its submit, approve, reject,
schedule, cancel and endorse actions), channels (`/channels`, `/channels/{id}`) and the crisis hold (`/crisis`,
`/crisis/hold`, `/crisis/release`), and the calendar in other apps (`/calendar/feed`, `/calendar/export`)."""
from __future__ import annotations

from chalice.app import Request

from chorus import container
from chorus.calendar.rules import FEED_AHEAD, FEED_PAST, POST_KINDS, to_csv, to_ical
from chorus.calendar.schemas import (
    Advice,
    CalendarFeed,
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
    ScheduleRequest,
    Status,
)
from chorus.core.errors import ValidationError
from chorus.core.roles import AUTHORS, CRISIS_TEAM, EDITORS, EVERYONE, Principal
from chorus.core.time import utc_now
from chorus.http.api import PAGING, Query, Reply, Routes, Stored, public_base_url

routes = Routes()


def _shown(posts: list[Post]) -> list[Post]:
    """Posts as every answer shows them: media with thumbnail links, published posts with how they do."""
    service = container.calendar()
    return container.post_metrics().shown([service.with_thumbnails(post) for post in posts])


def _envelope(post: Post, advice: list[dict[str, str]]) -> PostEnvelope:
    """Every answer about one post, whatever changed it: the post, and what is worth knowing before it goes out."""
    return PostEnvelope(post=_shown([post])[0], warnings=[Advice.model_validate(item) for item in advice])


@routes.route("/posts", "POST", "Write a draft post (Idempotency-Key header makes retries safe)", roles=AUTHORS,
              body=PostContent, response=PostEnvelope, status=201, idempotent=True)
def create_post(principal: Principal, body: PostContent, idempotency_key: str | None) -> Stored:
    post, advice, created = container.calendar().create_post(principal, body, idempotency_key)
    return Stored(_envelope(post, advice), created)


@routes.route("/posts", "GET", "The calendar: posts in a date range (and channel), or posts in one workflow status",
              roles=EVERYONE, response=PostPage, query=(
                  Query("from", "start, ISO 8601 (default: today)"),
                  Query("to", "end, exclusive, ISO 8601 (default: from + 31 days)"),
                  Query("channel", "only posts on this channel id"),
                  Query("status", "posts in this status instead of a date range, most recently changed first",
                        enum=tuple(s.value for s in Status)),
                  Query("kind", "content (planned posts), replies (care's answers to mentions) or all; a page may "
                        "come out short, follow next_cursor", enum=POST_KINDS, default="content"),
                  *PAGING))
def list_posts(principal: Principal, limit: int, cursor: str | None, status: str | None, channel: str | None,
               kind: str, **when: str | None) -> PostPage:
    service = container.calendar()
    if status:
        items, next_cursor = service.by_status(status, limit, cursor)
    else:
        items, next_cursor = service.calendar(when["from"], when["to"], channel, limit, cursor)
    return PostPage(items=_shown(service.visible(principal, items, kind)), next_cursor=next_cursor)


@routes.route("/posts/{id}", "GET", "One post with its audit trail (someone else's draft only for master, editor, pr)",
              roles=EVERYONE, response=Post)
def get_post(principal: Principal, id: str) -> Post:
    return _shown([container.calendar().get_post(id, viewer=principal)])[0]


@routes.route("/posts/{id}", "PATCH", "Change a draft or submitted post (If-Match with the ETag of the version you "
              "changed: 412 when someone else changed it since)", roles=AUTHORS, body=PostContent,
              response=PostEnvelope, versioned=True)
def update_post(principal: Principal, id: str, body: PostContent, expected_version: int | None) -> PostEnvelope:
    return _envelope(*container.calendar().update_post(principal, id, body, expected_version))


@routes.route("/posts/{id}/submit", "POST", "Submit a draft for approval", roles=AUTHORS, response=PostEnvelope)
def submit_post(principal: Principal, id: str) -> PostEnvelope:
    return _envelope(*container.calendar().act(principal, id, "submit"))


@routes.route("/posts/{id}/approve", "POST", "Approve a submitted post", roles=EDITORS, response=PostEnvelope)
def approve_post(principal: Principal, id: str) -> PostEnvelope:
    return _envelope(*container.calendar().act(principal, id, "approve"))


@routes.route("/posts/{id}/reject", "POST", "Send a post back to draft, with a reason", roles=EDITORS,
              body=ReasonRequest, response=PostEnvelope)
def reject_post(principal: Principal, id: str, body: ReasonRequest) -> PostEnvelope:
    return _envelope(*container.calendar().act(principal, id, "reject", body.reason))


@routes.route("/posts/{id}/schedule", "POST", "Plan an approved post at a time, or in the next free queue slot",
              roles=EDITORS, body=ScheduleRequest, response=PostEnvelope)
def schedule_post(principal: Principal, id: str, body: ScheduleRequest) -> PostEnvelope:
    post, advice = container.calendar().schedule(principal, id, body.publish_at, body.timezone, body.queue)
    return _envelope(post, advice)


@routes.route("/posts/{id}/cancel", "POST", "Cancel a post that has not been published", roles=EDITORS,
              body=ReasonRequest, response=PostEnvelope)
def cancel_post(principal: Principal, id: str, body: ReasonRequest) -> PostEnvelope:
    return _envelope(*container.calendar().act(principal, id, "cancel", body.reason))


@routes.route("/posts/{id}/endorse", "POST", "The person a post speaks for approves its text (ghostwriting guard)",
              roles=EVERYONE, response=PostEnvelope)
def endorse_post(principal: Principal, id: str) -> PostEnvelope:
    return _envelope(*container.calendar().endorse(principal, id))


@routes.route("/channels", "GET", "The organisation's channels", roles=EVERYONE, response=ChannelList)
def list_channels(principal: Principal) -> ChannelList:
    return ChannelList(items=container.calendar().list_channels())


@routes.route("/channels", "POST", "Add a channel", roles=EDITORS, body=ChannelCreate, response=Channel, status=201)
def create_channel(principal: Principal, body: ChannelCreate) -> Channel:
    return container.calendar().create_channel(principal, body)


@routes.route("/channels/{id}", "GET", "One channel", roles=EVERYONE, response=Channel)
def get_channel(principal: Principal, id: str) -> Channel:
    return container.calendar().get_channel(id)


@routes.route("/channels/{id}", "PATCH", "Change a channel (If-Match with the ETag you read: 412 when someone "
              "changed it since)", roles=EDITORS, body=ChannelFields, response=Channel, versioned=True)
def update_channel(principal: Principal, id: str, body: ChannelFields, expected_version: int | None) -> Channel:
    return container.calendar().update_channel(principal, id, body, expected_version)


@routes.route("/channels/{id}", "DELETE", "Remove a channel that no planned post uses", roles=frozenset({"master"}),
              status=204)
def delete_channel(principal: Principal, id: str) -> None:
    container.calendar().delete_channel(principal, id)


@routes.route("/crisis", "GET", "Whether a crisis hold is on, since when, by whom and why", roles=EVERYONE,
              response=CrisisState)
def crisis_state(principal: Principal) -> CrisisState:
    return CrisisState.model_validate(container.crisis().status())


@routes.route("/crisis/hold", "POST", "Stop publishing: every scheduled post becomes held, nothing new is scheduled",
              roles=CRISIS_TEAM, body=HoldRequest, response=CrisisState)
def crisis_hold(principal: Principal, body: HoldRequest) -> CrisisState:
    return CrisisState.model_validate(container.crisis().hold(principal, body.reason))


@routes.route("/crisis/release", "POST",
              "Resume: held posts still ahead are scheduled again, the others wait for an editor",
              roles=CRISIS_TEAM, response=CrisisState)
def crisis_release(principal: Principal) -> CrisisState:
    crisis = container.crisis()
    released = crisis.release(principal)
    return CrisisState.model_validate({**crisis.status(), **released})


# The calendar in other apps: a personal iCalendar feed (the URL is the secret; a new one replaces the old) and a CSV
# export of a period for the weekly meeting's spreadsheet.
@routes.route("/calendar/feed", "POST", "A new personal calendar feed URL (iCalendar) for your agenda app; the one "
              "you had stops working. Keep it secret: whoever has it sees the planned posts", roles=EVERYONE,
              response=CalendarFeed, status=201)
def open_feed(principal: Principal, request: Request) -> CalendarFeed:
    token = container.calendar().open_feed(principal)
    base = public_base_url(request, container.settings().public_api_url)
    return CalendarFeed(url=f"{base}/calendar/feed/{token}", past_days=FEED_PAST.days, ahead_days=FEED_AHEAD.days)


@routes.route("/calendar/feed", "DELETE", "Revoke your calendar feed URL", roles=EVERYONE, status=204)
def close_feed(principal: Principal) -> None:
    container.calendar().close_feed(principal)


@routes.route("/calendar/feed/{token}", "GET", "A calendar feed (no bearer token: the URL is the key): the planned "
              "posts of the last month and the next six as iCalendar events", roles=None)
def calendar_feed(token: str) -> Reply:
    posts = container.calendar().feed(token)
    body = to_ical(posts, "Chorus content calendar", utc_now())
    return Reply(body.decode("utf-8"), headers={"Content-Type": "text/calendar; charset=utf-8",
                                                "Cache-Control": "private, max-age=300",
                                                "Referrer-Policy": "no-referrer"})


@routes.route("/calendar/export", "GET", "The posts of a period as CSV for a spreadsheet (from included, to not; "
              "at most 10,000 posts)", roles=EVERYONE, query=(
                  Query("from", "start: a date (local midnight) or a date-time"),
                  Query("to", "end, not included: a date or a date-time"),
                  Query("channel", "only posts on this channel id"),
                  Query("kind", "content (planned posts), replies or all", enum=POST_KINDS, default="content")))
def export_calendar(principal: Principal, channel: str | None, kind: str, **period: str | None) -> Reply:
    start, end = period["from"], period["to"]
    if not start or not end:
        raise ValidationError("from" if not start else "to", "give the period: from and to")
    posts = container.calendar().export(principal, start, end, channel, kind)
    name = f"chorus-calendar-{start[:10]}-{end[:10]}.csv"
    return Reply(to_csv(posts), headers={"Content-Type": "text/csv; charset=utf-8",
                                          "Content-Disposition": f'attachment; filename="{name}"'})
