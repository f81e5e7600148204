"""Use cases of the inbox: list mentions, work them (assign, status, notes), and reply from the organisation's
account on the mention's platform.

Every change reads the mention, applies a pure rule (chorus.inbox.rules) and saves with optimistic locking; a
save that lost a race reads again and re-applies the rule, so two people acting at once never lose a note.

A reply is not a second publishing path: it is a post with a reply target on one channel, published by the same
exactly-once publisher. The post and the mention that records it are written in one transaction. A responder's reply
is scheduled for now; a reply to a mention routed to PR (or written during a crisis hold) waits for an editor, and the
editor's POST /posts/{id}/approve makes it go out, again in one transaction. The publisher reports the reply's final
outcome (reply_settled, through chorus.container.ReportReplies): published, it answers the mention; failed, the
mention stays in (or goes back to) the open inbox with the failure on it, and care and the assignee are told.

A mention answered, resolved or ignored ends the alerts raised for it (chorus.container.EndAlerts), so they escalate
no further."""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from chorus.calendar import rules as post_rules
from chorus.calendar.schemas import Channel, Post, ReplyTarget
from chorus.calendar.service import Holds, Publisher
from chorus.core import text as text_rules
from chorus.core import time as timing
from chorus.core.errors import Conflict, NotFound, ValidationError
from chorus.core.observability import logger
from chorus.core.retry import jittered_pause, retry_on_conflict
from chorus.core.roles import Principal
from chorus.core.time import Clock
from chorus.inbox import rules as workflow
from chorus.inbox.rules import InboxPage, InboxQuery
from chorus.inbox.saved import rules as saved_rules
from chorus.inbox.saved.schemas import FilledReply, SavedReply
from chorus.inbox.schemas import TeamMember
from chorus.listening.schemas import MentionRecord, excerpt

REPLY_PLATFORMS = ("mastodon", "bluesky", "x", "local")  # mention platforms Chorus has a connector for


class Mentions(Protocol):
    def get(self, key: str, now: datetime) -> MentionRecord | None: ...
    def save(self, record: MentionRecord) -> MentionRecord: ...


class InboxReads(Protocol):
    def page(self, query: InboxQuery, now: datetime, limit: int, cursor: str | None) -> InboxPage: ...
    def assigned_counts(self, now: datetime) -> dict[str, int]: ...


class TeamDirectory(Protocol):
    """Who works the inbox (chorus.inbox.store.CognitoTeam: the user pool's care, pr, editor and master groups)."""

    def members(self) -> list[TeamMember]: ...
    def find(self, username: str) -> TeamMember | None: ...


class Posts(Protocol):
    def get(self, post_id: str) -> Post | None: ...


class Channels(Protocol):
    def all(self) -> list[Channel]: ...


class ReplyWrites(Protocol):
    def create(self, post: Post, mention: MentionRecord) -> tuple[Post, MentionRecord] | None: ...
    def approve(self, post: Post, mention: MentionRecord) -> tuple[Post, MentionRecord]: ...


class AlertEnds(Protocol):
    """Listening (chorus.listening.service.ListeningService.end_alerts): the alerts raised for a mention end once it
    is answered, resolved or ignored; nothing happens for a mention still open. Safe to repeat."""

    def end_alerts(self, mention: MentionRecord, by: str) -> object: ...


class SavedReplyBook(Protocol):
    """The team's saved replies (chorus.inbox.saved.service.SavedReplyService)."""

    def find(self, reply_id: str) -> SavedReply | None: ...
    def for_mention(self, teams: tuple[str, ...], languages: tuple[str, ...]) -> list[SavedReply]: ...


class AlertSink(Protocol):
    """The alerts topic (chorus.aws.messaging.Alerts): subscriptions filter on the attributes."""

    def send(self, subject: str, message: str, *, sms_text: str | None = None, **attributes: str) -> None: ...


@dataclass(frozen=True)
class ReplyOutcome:
    mention: MentionRecord
    post: Post
    needs_approval: bool
    created: bool  # False: the same reply was made before, and this is it


class InboxService:
    def __init__(self, mentions: Mentions, reads: InboxReads, posts: Posts, channels: Channels, replies: ReplyWrites,
                 clock: Clock, team: TeamDirectory, publisher: Publisher | None = None, holds: Holds | None = None,
                 alert_ends: AlertEnds | None = None, alerts: AlertSink | None = None,
                 pause: Callable[[int], None] = jittered_pause, timezone: str = timing.DEFAULT_TIMEZONE,
                 saved_replies: SavedReplyBook | None = None) -> None:
        self.timezone = timezone
        self.saved_replies = saved_replies
        self.mentions = mentions
        self.reads = reads
        self.posts = posts
        self.channels = channels
        self.replies = replies
        self.clock = clock
        self.team_directory = team
        self.publisher = publisher  # a reply due now is queued at once
        self.holds = holds
        self.alert_ends = alert_ends
        self.alerts = alerts  # a failed reply is told to care
        self.pause = pause

    # ------------------------------------------------------------------ reading
    def mention(self, mention_id: str) -> MentionRecord:
        record = self.mentions.get(mention_id, self.clock())
        if record is None:
            raise NotFound(f"no mention {mention_id!r}")
        return record

    def inbox(self, status: str, filters: dict[str, str], since: str | None, until: str | None, oldest_first: bool,
              limit: int, cursor: str | None) -> InboxPage:
        query = InboxQuery.of(
            status, timing.parse_bound(since, self.timezone, "from") if since else None,
            timing.parse_bound(until, self.timezone, "to") if until else None, filters, oldest_first)
        page = self.reads.page(query, self.clock(), limit, cursor)
        logger.info("inbox page", extra={"statuses": list(query.statuses), "filters": sorted(query.filters),
                                         "returned": len(page.items), "read": page.items_read})
        return page

    def team(self) -> list[TeamMember]:
        """Who works the inbox, by username, each with the mentions assigned to them that are still open."""
        counts = self.reads.assigned_counts(self.clock())
        members = sorted(self.team_directory.members(), key=lambda member: member.username)
        return [member.model_copy(update={"open_mentions": counts.get(member.username, 0)}) for member in members]

    # ------------------------------------------------------------------ working a mention
    def assign(self, mention_id: str, assignee: str, actor: Principal) -> MentionRecord:
        """Give the mention to someone who works the inbox (`me`: the one asking)."""
        wanted = workflow.person(assignee, actor.username)
        member = self.team_directory.find(wanted) if wanted else None
        if wanted and member is None:
            raise ValidationError("assignee", f"{wanted!r} does not work the inbox: assign the mention to someone with "
                                              "the care, pr, editor or master role (GET /team lists them), or to me")
        username = member.username if member else wanted
        return self._change(mention_id, lambda record: workflow.assign(record, username), actor, "assign")

    def set_status(self, mention_id: str, status: str, actor: Principal) -> MentionRecord:
        saved = self._change(mention_id, lambda record: workflow.set_status(record, status, self.clock()), actor,
                             status)
        self._end_alerts(saved, actor.username)  # also when unchanged: a retry ends what a failed first try did not
        return saved

    def add_note(self, mention_id: str, text: str, actor: Principal) -> MentionRecord:
        return self._change(
            mention_id, lambda record: workflow.add_note(record, text, actor.username, self.clock()), actor, "note"
        )

    def _change(self, mention_id: str, rule: Callable[[MentionRecord], MentionRecord], actor: Principal,
                action: str) -> MentionRecord:
        def change(attempt: int) -> tuple[MentionRecord, bool]:  # someone else changed it: apply the rule again
            record = self.mention(mention_id)
            changed = rule(record)
            return (record, False) if changed == record else (self.mentions.save(changed), True)

        saved, changed = retry_on_conflict(change, f"mention {mention_id} kept changing; try again", pause=self.pause)
        if changed:
            logger.info("mention changed", extra={"mention": mention_id, "action": action, "by": actor.username,
                                                  "status": saved.status})
        return saved

    # ------------------------------------------------------------------ replying
    def reply(self, mention_id: str, text: str | None, channel_id: str | None, actor: Principal,
              saved_reply_id: str | None = None) -> ReplyOutcome:
        """Answer a mention from the organisation's account on its platform: `text`, or a saved reply filled in for
        this mention (`saved_reply_id`). The same text to the same mention is one reply however often it is sent (the
        post id is derived from both)."""
        mention = self.mention(mention_id)
        workflow.check_can_reply(mention)
        channel = self._reply_channel(mention, channel_id)
        if saved_reply_id is not None and text is not None:
            raise ValidationError("saved_reply_id", "send either text (what you wrote or edited) or saved_reply_id "
                                                    "(the saved reply as it is), not both")
        if saved_reply_id is not None:
            text = self._saved_text(mention, saved_reply_id, actor)
        if not text:
            raise ValidationError("text", "write the reply, or name a saved reply with saved_reply_id")
        now = self.clock()
        approval = self._approval_reason(mention, actor)
        target = ReplyTarget(
            mention_id=mention.id, platform_id=mention.platform_id, author_handle=mention.author_handle
        )
        # After a failed reply, the same words again are a new reply: the failed post cannot be sent again.
        post_id = _reply_id(mention.id, text, workflow.failed_replies(mention))
        try:
            post = post_rules.reply(post_id, text, channel, target, actor, now, approval)
        except ValidationError as error:
            if saved_reply_id is None or error.field != "text":
                raise
            raise ValidationError("saved_reply_id", f"filled in for this mention, the saved reply {error.message}; "
                                  f"shorten it (GET /mentions/{mention.id}/saved-replies shows it filled in) and send "
                                  "it as text", **{k: v for k, v in error.details.items() if k != "field"}) from None

        def create(attempt: int) -> tuple[Post, MentionRecord] | None:
            current = mention if attempt == 0 else self.mention(mention_id)
            recorded = workflow.add_reply(current, post.id, channel.id, actor.username, now, sending=approval is None)
            return self.replies.create(post, recorded)

        stored = retry_on_conflict(create, f"mention {mention_id} kept changing; try again", pause=self.pause)
        if stored is None:
            return self._earlier_reply(mention_id, post.id)
        saved_post, saved_mention = stored
        if approval is None and self.publisher is not None:
            self.publisher.enqueue_soon(saved_post)
        logger.info("reply", extra={"mention": mention_id, "post": post.id, "channel": channel.id, "by": actor.username,
                                    "needs_approval": approval is not None})
        return ReplyOutcome(saved_mention, saved_post, needs_approval=approval is not None, created=True)

    # ------------------------------------------------------------------ saved replies
    def saved_replies_for(self, mention_id: str, team: str | None, channel_id: str | None,
                          actor: Principal) -> tuple[str, list[FilledReply]]:
        """The saved replies a mention is offered, filled in for it as `actor` would send them, with their length
        as the reply channel counts it: the mention's teams (or `team`), its language first (see
        chorus.inbox.saved.rules.offer_order). Also the mention's case number."""
        mention = self.mention(mention_id)
        teams, languages = saved_rules.offer_order(mention.language, (team,) if team else tuple(mention.teams))
        templates = self.saved_replies.for_mention(teams, languages) if self.saved_replies else []
        channel = self._preview_channel(mention, channel_id)
        values = self._placeholder_values(mention, actor)
        filled = []
        for template in templates:
            text = saved_rules.fill(template.text, values)
            length, limit = self._measure(text, channel, mention, actor) if channel else (None, None)
            filled.append(FilledReply(id=template.id, title=template.title, team=template.team,
                                      language=template.language, text=text, length=length, limit=limit,
                                      fits=None if length is None or limit is None else length <= limit))
        return mention.case_number, filled

    def _saved_text(self, mention: MentionRecord, saved_reply_id: str, actor: Principal) -> str:
        found = self.saved_replies.find(saved_reply_id) if self.saved_replies else None
        if found is None:
            raise ValidationError("saved_reply_id", f"no saved reply {saved_reply_id!r}; GET /mentions/{mention.id}/"
                                                    "saved-replies lists the ones for this mention")
        return saved_rules.fill(found.text, self._placeholder_values(mention, actor))

    def _placeholder_values(self, mention: MentionRecord, actor: Principal) -> dict[str, str]:
        member = self.team_directory.find(actor.username)
        return saved_rules.values_for(mention.author_handle, mention.author_name, mention.case_number,
                                      member.name if member else None, actor.username)

    def _preview_channel(self, mention: MentionRecord, channel_id: str | None) -> Channel | None:
        """The channel a reply would go from; None when there is none to measure against (no channel on the
        platform, several and none named, or a platform Chorus cannot reply on). A named channel must fit."""
        try:
            return self._reply_channel(mention, channel_id)
        except ValidationError:
            if channel_id:
                raise
            return None
        except Conflict:
            return None

    def _measure(self, text: str, channel: Channel, mention: MentionRecord, actor: Principal) -> tuple[int, int]:
        """The reply's length and limit as the channel counts them, through the rule that builds a reply (so the
        @handle Mastodon gets in front is counted)."""
        target = ReplyTarget(mention_id=mention.id, platform_id=mention.platform_id,
                             author_handle=mention.author_handle)
        limit = text_rules.length_limit(channel.platform, channel.max_length)
        try:
            post = post_rules.reply("preview", text, channel, target, actor, self.clock(), None)
        except ValidationError as error:
            length = error.details.get("length")
            return (length if isinstance(length, int) else 0), limit
        return text_rules.text_length(post.text_for(channel.id), channel.platform), limit

    def approve_reply(self, actor: Principal, post: Post) -> Post:
        """POST /posts/{id}/approve of a reply: it goes out now and becomes the mention's answer, together."""
        target = post.reply_to
        if target is None:
            raise ValueError("approve_reply() is for replies")

        def approve(attempt: int) -> Post:
            current = post if attempt == 0 else self.posts.get(post.id)
            if current is None:
                raise NotFound(f"no post {post.id!r}")
            hold = self.holds.active_hold() if self.holds else None
            if hold:
                raise Conflict(f"a crisis hold is on since {hold.get('since')}; approve the reply after its release",
                               crisis_since=hold.get("since"))
            now = self.clock()
            approved = post_rules.approve_reply(current, actor, now, {c.id: c for c in self.channels.all()})
            mention = self.mentions.get(target.mention_id, now)
            if mention is None:
                raise Conflict("the mention this replies to has expired or is gone; cancel the reply")
            sending = workflow.add_reply(mention, current.id, current.channels[0], current.author, now, sending=True)
            saved, _ = self.replies.approve(approved, sending)
            return saved

        saved = retry_on_conflict(approve, f"post {post.id} kept changing; try again", pause=self.pause)
        if self.publisher is not None:
            self.publisher.enqueue_soon(saved)
        logger.info("reply approved", extra={"mention": target.mention_id, "post": post.id, "by": actor.username})
        return saved

    # ------------------------------------------------------------------ a reply's outcome
    def reply_settled(self, post: Post, channel_id: str) -> MentionRecord | None:
        """The publisher's report of a reply's final outcome (at least once: a crash makes it report again).
        Published: the mention is answered and its alerts end. Failed: the reply keeps its error, the mention is in
        the open inbox, and care and the assignee are told. None when the mention is gone (expired)."""
        target, delivery = post.reply_to, post.deliveries.get(channel_id)
        if target is None or delivery is None or not delivery.final:
            raise ValueError("reply_settled() is for replies whose delivery is final")
        if delivery.status == "published":
            at = timing.from_iso_utc(delivery.published_at) if delivery.published_at else self.clock()
            url = delivery.url

            def rule(record: MentionRecord) -> MentionRecord:
                return workflow.reply_published(record, post.id, url, at)
        else:
            error = delivery.error or "the platform gave no reason"

            def rule(record: MentionRecord) -> MentionRecord:
                return workflow.reply_failed(record, post.id, error)

        def change(attempt: int) -> MentionRecord | None:
            record = self.mentions.get(target.mention_id, self.clock())
            if record is None:
                return None
            changed = rule(record)
            return record if changed == record else self.mentions.save(changed)

        saved = retry_on_conflict(change, f"mention {target.mention_id} kept changing", pause=self.pause)
        logger.info("reply settled", extra={"mention": target.mention_id, "post": post.id,
                                            "outcome": delivery.status, "mention_found": saved is not None})
        if saved is None:
            return None
        if delivery.status == "published":
            self._end_alerts(saved, next((r.by for r in saved.our_replies if r.post_id == post.id), post.author))
        else:
            self._tell_reply_failed(saved, post, channel_id, delivery.error or "the platform gave no reason")
        return saved

    def _tell_reply_failed(self, mention: MentionRecord, post: Post, channel_id: str, error: str) -> None:
        if self.alerts is None:
            return
        who = f"@{mention.author_handle.lstrip('@')}"
        holder = f"assigned to {mention.assignee}" if mention.assignee else "nobody has it yet"
        if mention.first_response_at:
            where = f"It was answered before and stays {mention.status} ({holder})."
        else:
            where = f"The mention is back in the open inbox, {holder}."
        lines = [
            f"The reply by {post.author} to {who} on {mention.platform} could not be published on {channel_id}: "
            f"{error}",
            where,
            f"What to do: if the account must be reconnected, ask an editor to reconnect {channel_id} under Channels; "
            f"then reply again, or answer on {mention.platform} itself and set the mention to responded.",
            "",
            f"Their words: {excerpt(mention.text)}",
            f"Our reply: {excerpt(post.text_for(channel_id))}",
        ]
        if mention.url:
            lines.append(f"Link: {mention.url}")
        lines.append(f"Mention: {mention.id}")
        self.alerts.send(
            f"[care medium] reply to {who} on {mention.platform} not sent; {holder}", "\n".join(lines),
            team="care", severity="medium", kind="reply_failure", intent=mention.intent, language=mention.language,
            platform=mention.platform, facet=mention.facet or "none", assignee=mention.assignee or "none", sms="no")

    def _end_alerts(self, mention: MentionRecord, by: str) -> None:
        """Best effort: when listening cannot be reached, the escalation run ends the alerts of a closed mention."""
        if self.alert_ends is None:
            return
        try:
            self.alert_ends.end_alerts(mention, by)
        except Exception:  # noqa: BLE001 - the mention's change stands; the escalation run catches up
            logger.warning("the mention's alerts were not ended; the escalation run ends them",
                           extra={"mention": mention.id, "status": mention.status}, exc_info=True)

    def _earlier_reply(self, mention_id: str, post_id: str) -> ReplyOutcome:
        post = self.posts.get(post_id)
        if post is None:  # the reply post was created and is gone again: nothing sensible to retry into
            raise Conflict("this reply was made before and its post no longer exists; change the text to reply again")
        return ReplyOutcome(self.mention(mention_id), post, needs_approval=post.status == "submitted", created=False)

    def _approval_reason(self, mention: MentionRecord, actor: Principal) -> str | None:
        """Why the reply must wait for an editor, or None. Editors' own replies need no second editor."""
        if self.holds is not None and self.holds.active_hold():
            return "a crisis hold is on: every reply waits for an editor's approval"
        if "pr" in mention.teams and not actor.is_editor:
            return "the mention was routed to PR: an editor approves the reply"
        return None

    def _reply_channel(self, mention: MentionRecord, channel_id: str | None) -> Channel:
        """The organisation's account on the mention's platform: the one named, or the only one there is."""
        if mention.platform not in REPLY_PLATFORMS:
            raise Conflict(f"Chorus cannot reply on {mention.platform}: it has no connector for it; answer on the site "
                           f"itself ({mention.url or 'no link known'})", platform=mention.platform)
        channels = self.channels.all()
        candidates = [c for c in channels if c.platform == mention.platform]
        if channel_id:
            channel = next((c for c in channels if c.id == channel_id), None)
            if channel is None:
                raise ValidationError("channel", f"no channel {channel_id!r}")
            if channel.platform != mention.platform:
                raise ValidationError("channel", f"a {mention.platform} mention is answered on a {mention.platform} "
                                                 f"channel; {channel_id} is a {channel.platform} channel")
        elif not candidates:
            raise Conflict(f"the organisation has no {mention.platform} channel to reply from; add one under /channels",
                           platform=mention.platform)
        elif len(candidates) > 1:
            raise ValidationError("channel", f"choose the account to reply from: {', '.join(c.id for c in candidates)}")
        else:
            channel = candidates[0]
        if channel.status == "needs_reconnect":
            raise Conflict(f"channel {channel.id} must be reconnected by its owner ({channel.owner or 'unknown'}) "
                           "before it can reply", channel=channel.id)
        return channel


def _reply_id(mention_id: str, text: str, failed_before: int) -> str:
    attempt = f"\n{failed_before}" if failed_before else ""
    return hashlib.sha256(f"reply\n{mention_id}\n{' '.join(text.split())}{attempt}".encode()).hexdigest()[:32]
