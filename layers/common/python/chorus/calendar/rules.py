"""Posts and their approval workflow: who may move a post from which state to which, and the audit trail.

draft -> submitted -> approved -> scheduled -> publishing -> published | failed, plus cancelled and held.
Creators draft and submit their own posts; editors approve, reject (back to draft, with a reason), schedule and
cancel; masters do everything. The publisher (chorus.publishing) moves scheduled posts on; people never do."""
from __future__ import annotations

import csv
import hashlib
import io
import mimetypes
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from chorus.calendar.schemas import MAX_ALT, AuditEntry, Channel, Post, PostContent, PostMedia, ReplyTarget, Status
from chorus.core import text as text_rules
from chorus.core import time as timing
from chorus.core.errors import Conflict, Forbidden, ValidationError
from chorus.core.roles import AUTHORS, CRISIS_TEAM, EDITORS, Principal
from chorus.publishing.schemas import Delivery

EDITABLE = frozenset({Status.DRAFT, Status.SUBMITTED})
ENDORSABLE = frozenset({Status.DRAFT, Status.SUBMITTED, Status.APPROVED})
# States in which a post occupies its slot on a channel's calendar.
ON_CALENDAR = frozenset({Status.SCHEDULED, Status.PUBLISHING, Status.PUBLISHED, Status.HELD})


@dataclass(frozen=True)
class Action:
    name: str
    sources: frozenset[Status]
    target: Status
    roles: frozenset[str]
    own_roles: frozenset[str] = frozenset()  # roles that may act only on posts they authored
    needs_reason: bool = False


ACTIONS = {
    a.name: a
    for a in (
        Action("submit", frozenset({Status.DRAFT}), Status.SUBMITTED, EDITORS, own_roles=frozenset({"creator"})),
        Action("approve", frozenset({Status.SUBMITTED}), Status.APPROVED, EDITORS),
        Action("reject", frozenset({Status.SUBMITTED, Status.APPROVED}), Status.DRAFT, EDITORS, needs_reason=True),
        Action("schedule", frozenset({Status.APPROVED, Status.SCHEDULED}), Status.SCHEDULED, EDITORS),
        Action("hold", frozenset({Status.SCHEDULED}), Status.HELD, CRISIS_TEAM, needs_reason=True),
        Action(
            "cancel",
            frozenset({Status.DRAFT, Status.SUBMITTED, Status.APPROVED, Status.SCHEDULED, Status.HELD, Status.FAILED}),
            Status.CANCELLED,
            EDITORS,
        ),
    )
}


def new_post_id() -> str:
    return uuid.uuid4().hex


POST_KINDS = ("content", "replies", "all")  # planned content, care's replies to mentions, or both


def of_kind(post: Post, kind: str) -> bool:
    """Replies to mentions are posts too, but they are care's work, not the editorial calendar's."""
    return kind == "all" or (post.reply_to is not None) == (kind == "replies")


def visible_to(post: Post, viewer: Principal) -> bool:
    """Drafts and submitted posts are work in progress: the crisis team (master, editor, pr) sees them all, anyone
    else only their own and those that would speak on their behalf. From approval on, the calendar is everyone's."""
    return (
        post.status not in EDITABLE
        or viewer.has_any(CRISIS_TEAM)
        or viewer.username in (post.author, post.on_behalf_of)
    )


def draft(post_id: str, content: PostContent, author: Principal, now: datetime) -> Post:
    if not author.has_any(AUTHORS):
        raise Forbidden("only creators, editors and masters write posts")
    stamp = timing.iso_utc(now)
    fields = content.model_dump(exclude_none=True)
    post = Post(id=post_id, author=author.username, created_at=stamp, updated_at=stamp, **fields)
    return audited(post, author, now, "create", None, Status.DRAFT)


def edit(post: Post, changes: PostContent, actor: Principal, now: datetime) -> Post:
    _require_author_or_editor(post, actor)
    if post.status not in EDITABLE:
        raise Conflict(f"a {post.status} post cannot be edited; {_how_to_edit(post.status)}", status=post.status)
    update = changes.model_dump(exclude_unset=True)
    for key in ("variants", "media", "channels"):
        if key in update and update[key] is None:
            update[key] = {} if key == "variants" else []
    if update.get("category", "") is None:
        update["category"] = "other"
    changed = Post.model_validate({**post.model_dump(by_alias=True), **update})
    changed.media = _known_details(post.media, changed.media)
    if changed.endorsed_at and _consent_lapsed(post, changed):
        changed.endorsed_at = None  # the person approved other words, or another person is now named
    return audited(changed, actor, now, "edit", post.status, post.status)


def transition(post: Post, action_name: str, actor: Principal, now: datetime, reason: str | None = None) -> Post:
    """Apply a workflow action: 403 for the wrong role, 409 for the wrong state, 400 for a missing reason.
    Scheduling has its own checks and goes through `schedule`."""
    if action_name == "schedule":
        raise ValueError("use schedule() to schedule a post")
    action = _authorize(post, action_name, actor)
    if action_name == "approve":
        undescribed = missing_alt(post)  # an editor approves what people see, and what screen readers read out
        if undescribed:
            raise undescribed[0]
    return _apply(post, action, actor, now, reason)


def _apply(post: Post, action: Action, actor: Principal, now: datetime, reason: str | None) -> Post:
    reason = (reason or "").strip() or None
    if action.needs_reason and not reason:
        raise ValidationError("reason", f"a reason is required to {action.name} a post")
    changed = post.model_copy(deep=True)
    changed.status = action.target
    changed.reject_reason = reason if action.name == "reject" else None
    if action.target != Status.SCHEDULED:
        changed.due_at = None  # off the publisher's due index
    return audited(changed, actor, now, action.name, post.status, action.target, reason)


def schedule(
    post: Post, when: datetime, tz_name: str, actor: Principal, now: datetime, channels: dict[str, Channel]
) -> Post:
    """Plan an approved post (or move a scheduled one). Checks role, state, content, time, then consent."""
    action = _authorize(post, "schedule", actor)
    timing.zone(tz_name)
    errors = content_errors(post, channels)
    if errors:
        raise errors[0]
    if when <= now:
        raise ValidationError("publish_at", f"{timing.iso_utc(when)} is in the past", now=timing.iso_utc(now))
    require_endorsement(post)
    planned = post.model_copy(deep=True, update={
        "publish_at": timing.iso_utc(when),
        "timezone": tz_name,
        "deliveries": {channel_id: Delivery() for channel_id in post.channels},
    })
    scheduled = _apply(planned, action, actor, now, None)
    scheduled.due_at = scheduled.publish_at
    return scheduled


def reply(post_id: str, text: str, channel: Channel, target: ReplyTarget, author: Principal, now: datetime,
          approval_reason: str | None) -> Post:
    """A reply to a mention, on one channel. With an `approval_reason` it waits for an editor as submitted;
    otherwise it is scheduled for now (a responder's answer should not wait for a calendar slot)."""
    stamp = timing.iso_utc(now)
    post = Post(
        id=post_id,
        text=_addressed(text.strip(), channel.platform, target.author_handle),
        channels=[channel.id],
        author=author.username,
        category="customer_question",
        reply_to=target,
        created_at=stamp,
        updated_at=stamp,
    )
    errors = content_errors(post, {channel.id: channel})
    if errors:
        raise errors[0]
    if approval_reason:
        post.status = Status.SUBMITTED
        return audited(post, author, now, "reply", None, Status.SUBMITTED, approval_reason)
    audited(post, author, now, "reply", None, Status.SCHEDULED, f"reply to mention {target.mention_id}")
    return _publish_now(post, now)


def approve_reply(post: Post, actor: Principal, now: datetime, channels: dict[str, Channel]) -> Post:
    """An editor approves a reply that waited: it is scheduled for now, like a responder's reply."""
    if post.reply_to is None:
        raise ValueError("approve_reply() is for replies; approve other posts with transition()")
    action = _authorize(post, "approve", actor)
    errors = content_errors(post, channels)
    if errors:
        raise errors[0]
    approved = _apply(post, action, actor, now, None)
    audited(approved, actor, now, "schedule", Status.APPROVED, Status.SCHEDULED, "an approved reply goes out at once")
    return _publish_now(approved, now)


def _publish_now(post: Post, now: datetime) -> Post:
    post.status = Status.SCHEDULED
    post.publish_at = timing.iso_utc(now)
    post.deliveries = {channel_id: Delivery() for channel_id in post.channels}
    post.due_at = post.publish_at
    return post


def _addressed(text: str, platform: str, author_handle: str) -> str:
    """Mastodon notifies the people a status mentions, not the author of the status it replies to: a reply that
    does not name the author would go unseen, so their handle leads the text unless it is already in it."""
    if platform != "mastodon":
        return text
    handle = "@" + author_handle.lstrip("@")
    named = re.search(re.escape(handle) + r"(?![\w@-])(?!\.\w)", text, re.IGNORECASE)
    return text if named else f"{handle} {text}"


def _authorize(post: Post, action_name: str, actor: Principal) -> Action:
    action = ACTIONS[action_name]
    allowed = actor.has_any(action.roles) or (actor.has_any(action.own_roles) and post.author == actor.username)
    if not allowed:
        raise Forbidden(f"your role may not {action.name} this post")
    if post.status not in action.sources:
        raise Conflict(
            f"cannot {action.name} this post: it is {post.status}, and {action.name} is for "
            f"{' or '.join(sorted(str(s) for s in action.sources))} posts",
            status=str(post.status),
            allowed_from=sorted(str(s) for s in action.sources),
        )
    return action


def hold(post: Post, actor: Principal, now: datetime, reason: str) -> Post:
    """Crisis hold: a scheduled post stops; messages already queued for it are dropped when they arrive."""
    return transition(post, "hold", actor, now, reason)


def release(post: Post, actor: Principal, now: datetime, margin: timedelta) -> Post:
    """End of a crisis hold: back to scheduled if its time is still ahead (by at least `margin`), otherwise back to
    approved, to wait for an editor's decision instead of going out late by surprise."""
    if not actor.has_any(CRISIS_TEAM):
        raise Forbidden("only masters, editors and PR release a crisis hold")
    if post.status != Status.HELD:
        raise Conflict(f"a {post.status} post is not held", status=str(post.status))
    changed = post.model_copy(deep=True)
    when = post.publish_time
    if when is not None and when > now + margin:
        changed.status = Status.SCHEDULED
        changed.due_at = post.publish_at
        changed.deliveries = {c: d if d.final else Delivery() for c, d in post.deliveries.items()}
        return audited(changed, actor, now, "release", Status.HELD, Status.SCHEDULED)
    changed.status = Status.APPROVED
    why = ("its time passed during the crisis hold" if when is None or when <= now
           else f"it was due within {int(margin.total_seconds() // 60)} minutes of the release")
    return audited(changed, actor, now, "release", Status.HELD, Status.APPROVED,
                   f"{why}: an editor decides to reschedule or cancel it")


def endorse(post: Post, actor: Principal, now: datetime) -> Post:
    """The named person approves a post that speaks on their behalf (no ghostwriting without consent)."""
    if not post.on_behalf_of or post.on_behalf_of.casefold() != actor.username.casefold():
        raise Forbidden("only the person the post speaks for can endorse it")
    if post.status not in ENDORSABLE:
        raise Conflict(f"a {post.status} post cannot be endorsed", status=post.status)
    changed = post.model_copy(deep=True)
    changed.endorsed_at = timing.iso_utc(now)
    return audited(changed, actor, now, "endorse", post.status, post.status)


def require_endorsement(post: Post) -> None:
    if post.on_behalf_of and not post.endorsed_at:
        raise Conflict(
            f"the post speaks on behalf of {post.on_behalf_of}, who has not approved it yet",
            awaiting=post.on_behalf_of,
        )


def content_errors(post: Post, channels: dict[str, Channel]) -> list[ValidationError]:
    """Problems that block scheduling: no or unknown channels, empty or too long text per platform, media without
    alt text or that a channel's platform does not take."""
    errors: list[ValidationError] = media_errors(post, channels)
    if not post.channels:
        errors.append(ValidationError("channels", "choose at least one channel"))
    unknown = [c for c in post.channels if c not in channels]
    if unknown:
        errors.append(ValidationError("channels", f"unknown channels: {', '.join(unknown)}", unknown=unknown))
    stray = [c for c in post.variants if c not in post.channels]
    if stray:
        errors.append(ValidationError("variants", f"variants for channels the post is not on: {', '.join(stray)}"))
    for channel_id in post.channels:
        channel = channels.get(channel_id)
        if channel is None:
            continue
        try:
            text_rules.check_length(
                post.text_for(channel_id), channel.platform, post.text_field(channel_id), channel.max_length
            )
        except ValidationError as error:
            error.details["channel"] = channel_id
            errors.append(error)
    return errors


# ---------------------------------------------------------------------------------------------- media
MB = 1024 * 1024
LIBRARY_PREFIX = "content/"  # kept: an accepted submission's media (uploads/ expires after two days)
UPLOAD_PREFIX = "uploads/"


@dataclass(frozen=True)
class MediaRule:
    """What a platform takes on one post, as Chorus sends it (docs/platforms.md#photos-videos-and-alt-text)."""

    alt_chars: int  # the longest description the platform keeps
    max_images: int
    video: bool  # Chorus sends a video there (one, and nothing else with it)
    max_image_bytes: int | None = None
    max_video_bytes: int | None = None
    links: bool = False  # takes a file that is not in the media library (an https URL) as it is


MEDIA_RULES: dict[str, MediaRule] = {
    # Mastodon: `description` up to 1,500 characters; 4 attachments; a video goes alone; 16 MB images, 99 MB video
    # (mastodon.social's defaults: an instance may differ).
    "mastodon": MediaRule(1500, 4, video=True, max_image_bytes=16 * MB, max_video_bytes=99 * MB),
    # Bluesky: app.bsky.embed.images holds 4 images, each blob at most 1,000,000 bytes; the app keeps 2,000
    # characters of alt text. Video needs the video service: not sent by Chorus.
    "bluesky": MediaRule(2000, 4, video=False, max_image_bytes=1_000_000),
    # X: 4 photos, 5 MB each through the one-request upload; alt text up to 1,000 characters. Video needs the chunked
    # upload: not sent by Chorus.
    "x": MediaRule(1000, 4, video=False, max_image_bytes=5 * MB),
    # LinkedIn: one image, or 2 to 20 as a multi-image post, each with `altText`; video is not sent by Chorus.
    "linkedin": MediaRule(4086, 20, video=False),
    "local": MediaRule(MAX_ALT, 20, video=True, links=True),
}
_VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".webm")


def is_link(key: str) -> bool:
    return key.startswith(("https://", "http://"))


def is_video(item: PostMedia) -> bool:
    """By the type the media library gave it; by its name when that is not known (a link)."""
    content_type = item.content_type or mimetypes.guess_type(item.key.split("?", 1)[0])[0] or ""
    return content_type.startswith("video/") or item.key.split("?", 1)[0].lower().endswith(_VIDEO_SUFFIXES)


def missing_alt(post: Post) -> list[ValidationError]:
    """Every photo and video needs its description (alt text): people who use a screen reader depend on it, and a
    public organisation's accessibility duties ask for it."""
    return [ValidationError(f"media.{n}.alt", f"describe what {_kind(item)} shows (alt text) for people who cannot "
                                              "see it; a post with media needs it before approval and scheduling")
            for n, item in enumerate(post.media) if not item.alt]


def media_errors(post: Post, channels: dict[str, Channel]) -> list[ValidationError]:
    """Alt text on every item, files Chorus can send, and each channel's platform's limits: the post must fit the
    strictest of its channels, and each error names the channel whose limit it is."""
    errors = missing_alt(post)
    for n, item in enumerate(post.media):
        if item.key.startswith(UPLOAD_PREFIX):
            errors.append(ValidationError(f"media.{n}.key", f"{item.key} is an upload, which expires after two days "
                                          "unless it is submitted: submit it as content (POST /content) and use the "
                                          "key of the accepted submission's media"))
        elif not is_link(item.key) and not item.key.startswith(LIBRARY_PREFIX):
            errors.append(ValidationError(f"media.{n}.key", f"{item.key} is not in the media library; use the key of "
                                          f"an accepted submission's media ({LIBRARY_PREFIX}...)"))
    for channel_id in post.channels:
        channel = channels.get(channel_id)
        rule = MEDIA_RULES.get(channel.platform) if channel else None
        if channel is None or rule is None or not post.media:
            continue
        errors += [_for_channel(error, channel_id) for error in _platform_errors(post.media, channel.platform, rule)]
    return errors


def _platform_errors(media: list[PostMedia], platform: str, rule: MediaRule) -> list[ValidationError]:
    name = PLATFORM_NAMES.get(platform, platform)
    errors = []
    videos = [n for n, item in enumerate(media) if is_video(item)]
    if videos and not rule.video:
        errors.append(ValidationError(f"media.{videos[0]}", f"Chorus cannot send videos to {name}; use photos there, "
                                      "or plan the video on another channel"))
    elif videos and len(media) > 1:
        errors.append(ValidationError("media", f"a video goes alone on {name}: one video, or up to "
                                      f"{rule.max_images} photos"))
    elif len(media) > rule.max_images:
        errors.append(ValidationError("media", f"{name} takes at most {rule.max_images} photos on a post; "
                                      f"this one has {len(media)}"))
    for n, item in enumerate(media):
        if item.alt and len(item.alt) > rule.alt_chars:
            errors.append(ValidationError(f"media.{n}.alt", f"the alt text has {len(item.alt)} characters; {name} "
                                          f"keeps at most {rule.alt_chars}", length=len(item.alt),
                                          limit=rule.alt_chars))
        if is_link(item.key) and not rule.links:
            errors.append(ValidationError(f"media.{n}.key", f"Chorus sends {name} only files from its media library, "
                                          "not links: submit the file as content and use its key"))
        limit = rule.max_video_bytes if is_video(item) else rule.max_image_bytes
        if item.size is not None and limit is not None and item.size > limit:
            errors.append(ValidationError(f"media.{n}", f"{_kind(item)} is {_megabytes(item.size)}; {name} takes "
                                          f"{'videos' if is_video(item) else 'photos'} up to {_megabytes(limit)}"))
    return errors


PLATFORM_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "linkedin": "LinkedIn",
                  "local": "the local outbox"}


def _for_channel(error: ValidationError, channel_id: str) -> ValidationError:
    error.details["channel"] = channel_id
    return error


def _kind(item: PostMedia) -> str:
    return "the video" if is_video(item) else "the image"


def _megabytes(size: int) -> str:
    return f"{size // MB} MB" if size % MB == 0 else f"{size / MB:.1f} MB" if size >= MB else f"{size:,} bytes"


def _known_details(before: list[PostMedia], after: list[PostMedia]) -> list[PostMedia]:
    """An edit names files by key (and alt text); what the media library said about each file stays known."""
    known = {item.key: item for item in before}
    return [item.model_copy(update={"content_type": known[item.key].content_type, "size": known[item.key].size})
            if item.key in known and item.content_type is None else item for item in after]


def warnings(post: Post, channels: dict[str, Channel], neighbours: list[Post]) -> list[dict[str, str]]:
    """Advice that does not block: tone of voice per channel, and the same text on a channel within 24 hours."""
    found: list[dict[str, str]] = []
    for channel_id in post.channels:
        channel = channels.get(channel_id)
        if channel is None:
            continue
        message = text_rules.tone_warning(post.text_for(channel_id), channel.tone)
        if message:
            found.append(
                {"code": "tone", "field": post.text_field(channel_id), "channel": channel_id, "message": message}
            )
    when = post.publish_time
    if when is None:
        return found
    for other in neighbours:
        other_time = other.publish_time
        if other.id == post.id or other.status not in ON_CALENDAR or other_time is None:
            continue
        if abs((other_time - when).total_seconds()) > 24 * 3600:
            continue
        for channel_id in set(post.channels) & set(other.channels):
            same = text_rules.duplicate_key(other.text_for(channel_id)) == text_rules.duplicate_key(
                post.text_for(channel_id)
            )
            if same:
                found.append({
                    "code": "duplicate",
                    "field": post.text_field(channel_id),
                    "channel": channel_id,
                    "message": (
                        f"the same text is already planned on {channel_id} at {other.publish_at} (post {other.id})"
                    ),
                })
    return found


def _consent_lapsed(before: Post, after: Post) -> bool:
    named = (before.on_behalf_of or "").casefold() != (after.on_behalf_of or "").casefold()
    return named or (before.text, before.variants) != (after.text, after.variants)


def _how_to_edit(status: Status) -> str:
    """What to do instead, for each status that cannot be edited."""
    if status in ACTIONS["reject"].sources:
        return "an editor sends it back to draft first (reject, with a reason), then it can be changed"
    if status in (Status.SCHEDULED, Status.HELD):
        return "cancel it, or make a new post with the changed text"
    return "write a new post instead"


def _require_author_or_editor(post: Post, actor: Principal) -> None:
    if actor.is_editor or (actor.has_any(AUTHORS) and post.author == actor.username):
        return
    raise Forbidden("only the author or an editor may change this post")


def audited(
    post: Post,
    actor: Principal,
    now: datetime,
    action: str,
    source: Status | None,
    target: Status,
    reason: str | None = None,
) -> Post:
    """Write the change into the post's audit trail (who, when, which action, from and to which status, why) and
    stamp it as changed; the post is changed in place and returned."""
    stamp = timing.iso_utc(now)
    # By the entry's JSON names: `from` cannot be a keyword argument.
    entry = {"at": stamp, "by": actor.username, "action": action, "from": source, "to": target, "reason": reason}
    post.audit.append(AuditEntry.model_validate(entry))
    post.updated_at = stamp
    return post


# ---------------------------------------------------------------------------------------------- the calendar outside
FEED_PAST, FEED_AHEAD = timedelta(days=30), timedelta(days=180)  # what a calendar app shows: recent and coming posts
CSV_COLUMNS = ("publish_at", "publish_at_local", "status", "channels", "category", "campaign", "pillar", "text",
               "author", "on_behalf_of", "id")


def feed_token() -> str:
    """The secret a personal calendar feed URL carries (the URL is the credential, as in any calendar app)."""
    return secrets.token_urlsafe(24)


def feed_key(token: str) -> str:
    """What is stored of a feed's secret: its hash, so a copy of the table reveals no working URL."""
    return hashlib.sha256(token.encode()).hexdigest()


def to_ical(posts: list[Post], name: str, now: datetime) -> bytes:
    """An iCalendar (RFC 5545) document: one event per planned post, at its time (UTC), named by its channels and
    the start of its text, so the weekly meeting sees the plan in any agenda."""
    from icalendar import Calendar, Event

    document = Calendar()
    document.add("prodid", "-//Chorus//content calendar//EN")
    document.add("version", "2.0")
    document.add("x-wr-calname", name)
    for post in posts:
        when = post.publish_time
        if when is None:
            continue
        event = Event()
        event.add("uid", f"{post.id}@chorus")
        event.add("dtstamp", now)
        event.add("dtstart", when)
        event.add("dtend", when + timedelta(minutes=15))
        text = calendar_text(post.text)
        event.add("summary", f"[{', '.join(post.channels)}] {_first_words(text)}")
        event.add("description", f"{text}\n\nStatus: {post.status}. Post {post.id}.")
        event.add("status", "CANCELLED" if post.status == Status.CANCELLED else "CONFIRMED")
        document.add_component(event)
    return bytes(document.to_ical())


def to_csv(posts: list[Post]) -> str:
    """The period's posts for a spreadsheet: one row each, oldest first; text people typed never runs as a formula."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for post in posts:
        writer.writerow([post.publish_at or "", post.publish_at_local or "", str(post.status), " ".join(post.channels),
                         post.category, *(text_rules.spreadsheet_cell(value or "") for value in (
                             post.campaign, post.pillar, post.text, post.author, post.on_behalf_of)), post.id])
    return out.getvalue()


def calendar_text(text: str) -> str:
    """Text as iCalendar carries it: lines end in a newline only, and no control characters (RFC 5545 allows none)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return "".join(c for c in lines if c in "\n\t" or (ord(c) >= 32 and not 0x7F <= ord(c) < 0xA0))


def _first_words(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit - 1].rstrip() + "…"
