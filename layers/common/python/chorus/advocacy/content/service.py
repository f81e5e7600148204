"""Use cases of creators' content: uploads, submissions, the editors' queue (with suggestions from listening), the
decisions, and the pre-share check. Combines chorus.advocacy.content.rules with ports.

Every step happens once however often it is retried or however many editors act at once:
- a submission's id comes from its Idempotency-Key, and storing it uses up its uploads in the same transaction;
- accepting stores the draft post and the decision in one transaction, and the post's id comes from the content's,
  so a second accept (a retry, another editor) finds the decision taken: 409 with the post's id;
- a suggestion's post id comes from the mention's; a retry after a crash between the post and resolving the mention
  finishes the resolving and answers 409;
- engagement is counted with once-keys, and counted again (harmlessly) when a retry finds the decision taken, so a
  crash between a decision and its counting loses nothing."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol

from chorus.advocacy.content import rules
from chorus.advocacy.content import rules as prechecks
from chorus.advocacy.content.schemas import (
    MEDIA_LIMITS,
    AcceptRequest,
    ContentQueue,
    Flag,
    MediaItem,
    PrecheckLists,
    PrecheckListsView,
    StoredObject,
    Submission,
    SubmissionIn,
    SubmissionPage,
    SubmissionView,
    Suggestion,
    Upload,
    UploadRequest,
    UploadTicket,
)
from chorus.advocacy.people.service import NO_PROFILE
from chorus.calendar import rules as post_rules
from chorus.calendar.schemas import Channel, Post, PostContent, PostMedia, PostSource
from chorus.core import time as timing
from chorus.core.errors import Conflict, Forbidden, NotFound, ValidationError
from chorus.core.observability import logger
from chorus.core.retry import retry_on_conflict
from chorus.core.roles import EDITORS, Principal
from chorus.core.time import Clock
from chorus.listening.schemas import MentionRecord

MEDIA_LINK_SECONDS = 3600


class Ambassador(Protocol):
    """What this service reads of a person (chorus.advocacy.people.schemas.Person)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def platforms(self) -> dict[str, str]: ...


class People(Protocol):
    """The parts of the AmbassadorService (chorus.advocacy.people.service) content uses."""

    def get(self, person_id: str) -> Ambassador: ...
    def for_principal(self, principal: Principal) -> Ambassador | None: ...
    def named_people(self) -> Sequence[Ambassador]: ...


class Submissions(Protocol):
    def get(self, submission_id: str) -> Submission | None: ...
    def create(self, submission: Submission, uploads: list[Upload]) -> bool: ...
    def save(self, submission: Submission, post: Post | None = None) -> Submission: ...
    def of_creator(self, person: str, limit: int, cursor: str | None) -> tuple[list[Submission], str | None]: ...
    def queue(self, limit: int, cursor: str | None) -> tuple[list[Submission], str | None]: ...


class Uploads(Protocol):
    def add(self, upload: Upload, now: datetime) -> None: ...
    def get(self, person: str, upload_id: str) -> Upload | None: ...
    def of_person(self, person: str) -> list[Upload]: ...
    def remove(self, upload: Upload) -> None: ...


class Media(Protocol):
    def upload_form(self, key: str, content_type: str, max_size: int,
                    expires_in: int) -> tuple[str, dict[str, str]]: ...
    def head(self, key: str) -> StoredObject | None: ...
    def copy(self, source: str, target: str) -> None: ...
    def delete(self, key: str) -> None: ...
    def download_url(self, key: str, expires_in: int) -> str: ...


class PrecheckListStore(Protocol):
    def get(self) -> tuple[PrecheckLists, str | None, str | None]: ...
    def put(self, lists: PrecheckLists, updated_at: str, updated_by: str) -> None: ...


class Suggestions(Protocol):
    def open_praise(self, limit: int, cursor: str | None) -> tuple[list[MentionRecord], str | None]: ...
    def mention(self, mention_id: str) -> MentionRecord: ...
    def resolve(self, mention_id: str, actor: Principal) -> MentionRecord: ...


class Posts(Protocol):
    def get(self, post_id: str) -> Post | None: ...
    def create(self, post: Post) -> bool: ...
    def save(self, post: Post) -> Post: ...


class Ledger(Protocol):
    def record(self, person: str, event: str, moment: datetime, channel: str | None = None, count: int = 1,
               once_key: str | None = None) -> bool: ...


class ContentService:
    def __init__(self, submissions: Submissions, uploads: Uploads, media: Media, lists: PrecheckListStore,
                 people: People, suggestions: Suggestions, posts: Posts, channels: Callable[[], list[Channel]],
                 ledger: Ledger, clock: Clock) -> None:
        self.submissions = submissions
        self.uploads = uploads
        self.media = media
        self.lists = lists
        self.people = people
        self.suggestions = suggestions
        self.posts = posts
        self.channels = channels
        self.ledger = ledger
        self.clock = clock

    # ------------------------------------------------------------------ uploads and submissions
    def upload(self, actor: Principal, request: UploadRequest) -> UploadTicket:
        """A presigned POST for one file: S3 itself refuses another key, type, or a size over the type's limit."""
        person = self._member(actor)
        now = self.clock()
        upload = rules.new_upload(person, request, now)
        limit = MEDIA_LIMITS[upload.content_type]
        url, fields = self.media.upload_form(upload.key, upload.content_type, limit,
                                             int(rules.UPLOAD_WINDOW.total_seconds()))
        self.uploads.add(upload, now)
        return UploadTicket(upload_id=upload.id, key=upload.key, url=url, fields=fields,
                            content_type=upload.content_type, max_size=limit,
                            expires_at=timing.iso_utc(now + rules.UPLOAD_WINDOW))

    def submit(self, actor: Principal, content: SubmissionIn,
               idempotency_key: str | None = None) -> tuple[SubmissionView, bool]:
        """Submit a story with its uploads. With an Idempotency-Key a retry returns the first submission (False)."""
        person = self._member(actor)
        submission_id = rules.submission_id(person, idempotency_key)
        earlier = self.submissions.get(submission_id) if idempotency_key else None
        if earlier is not None:
            return self._view(earlier, self._checker()), False
        uploads = self._checked_uploads(person, [ref.key for ref in content.media])
        media = []
        for (upload, stored), ref in zip(uploads, content.media, strict=True):
            target = rules.content_key(upload.key)
            self.media.copy(upload.key, target)
            media.append(MediaItem(key=target, content_type=stored.content_type, size=stored.size, alt=ref.alt))
        now = self.clock()
        submission = rules.submit(submission_id, person, content, media, now)
        if not self.submissions.create(submission, [upload for upload, _ in uploads]):
            stored_before = self.submissions.get(submission_id)
            if stored_before is None:
                raise Conflict("the submission is being stored by a parallel retry; try again")
            return self._view(stored_before, self._checker()), False
        for upload, _ in uploads:
            self._forget_upload_object(upload)
        self.ledger.record(person, "submission_made", now, once_key=submission.id)
        logger.info("content submitted",
                    extra={"submission": submission.id, "media": len(media), "pillar": content.pillar})
        return self._view(submission, self._checker()), True

    def _checked_uploads(self, person: str, keys: list[str]) -> list[tuple[Upload, StoredObject]]:
        """Each key an upload of this person, uploaded, of the type announced and within its limit; 400 otherwise
        (and a wrong file is deleted at once: it can never become content)."""
        if len(set(keys)) != len(keys):
            raise ValidationError("media", "each upload can be named once")
        checked = []
        for n, key in enumerate(keys):
            field = f"media.{n}"
            upload = self.uploads.get(person, rules.upload_id_of(key, field))
            if upload is None or upload.key != key:
                raise ValidationError(field, f"{key} is not an upload of yours, or it was submitted or expired already")
            stored = self.media.head(key)
            try:
                checked.append((upload, rules.check_object(upload, stored, field)))
            except ValidationError:
                if stored is not None:
                    self.media.delete(key)
                raise
        return checked

    def _forget_upload_object(self, upload: Upload) -> None:
        try:
            self.media.delete(upload.key)
        except Exception:  # noqa: BLE001 - the bucket's lifecycle removes it anyway; the submission is stored
            logger.warning("upload not deleted after submitting; the bucket expires it", extra={"key": upload.key})

    def listing(self, actor: Principal, creator: str | None, limit: int, cursor: str | None) -> SubmissionPage:
        """Your own submissions, newest first; editors may name another creator (a person id)."""
        if creator is not None and not actor.has_any(EDITORS):
            raise Forbidden("creators see only their own submissions")
        person = creator or self._person_of(actor)
        if person is None:
            return SubmissionPage(items=[])  # without a profile, nothing was submitted
        items, next_cursor = self.submissions.of_creator(person, limit, cursor)
        checker = self._checker()
        return SubmissionPage(items=[self._view(s, checker) for s in items], next_cursor=next_cursor)

    def get(self, actor: Principal, submission_id: str) -> SubmissionView:
        submission = self._get(submission_id)
        person = None if actor.has_any(EDITORS) else self._member(actor)
        rules.require_visible(submission, actor, person)
        return self._view(submission, self._checker(), with_creator=actor.has_any(EDITORS))

    # ------------------------------------------------------------------ the editors' queue
    def queue(self, actor: Principal, limit: int, cursor: str | None, suggestions_cursor: str | None) -> ContentQueue:
        self._require_editor(actor)
        checker = self._checker()
        submissions, next_cursor = self.submissions.queue(limit, cursor)
        mentions, next_suggestions = self.suggestions.open_praise(limit, suggestions_cursor)
        names: dict[str, str | None] = {}
        return ContentQueue(
            items=[self._view(s, checker, with_creator=True, names=names) for s in submissions],
            next_cursor=next_cursor,
            suggestions=[Suggestion.of(m, checker(m.text)) for m in mentions if rules.is_suggestion(m)],
            next_suggestions_cursor=next_suggestions,
        )

    def accept(self, actor: Principal, submission_id: str,
               request: AcceptRequest) -> tuple[Submission, Post, list[Flag]]:
        """Turn submitted content into a draft post that names its source and creator."""
        self._require_editor(actor)
        editor = self._person_of(actor)
        self._known_channels(request.channels)

        def accept(attempt: int) -> tuple[Submission, Post]:  # decided meanwhile: the next read answers 409
            submission = self._get(submission_id)
            if submission.status != "submitted":
                self._count_acceptance(submission)
            now = self.clock()
            post_id = rules.post_id_for("content", submission.id)
            decided = rules.accept(submission, post_id, actor, editor, now)  # 409 once decided
            post = self._draft(post_id, request.text or submission.text, request.channels, submission.pillar,
                               PostSource(kind="content", id=submission.id, creator=submission.creator), actor, now,
                               media=[PostMedia(key=m.key, alt=m.alt, content_type=m.content_type, size=m.size)
                                      for m in submission.media])
            return self.submissions.save(decided, post), post

        saved, post = retry_on_conflict(accept, f"content {submission_id} kept changing; try again")
        self._count_acceptance(saved)
        logger.info("content accepted", extra={"submission": saved.id, "post": post.id, "by": actor.username})
        return saved, post, self.precheck(post.text)

    def decline(self, actor: Principal, submission_id: str, reason: str) -> Submission:
        self._require_editor(actor)
        editor = self._person_of(actor)
        saved = retry_on_conflict(
            lambda attempt: self.submissions.save(rules.decline(self._get(submission_id), reason, actor, editor,
                                                                self.clock())),
            f"content {submission_id} kept changing; try again")
        logger.info("content declined", extra={"submission": submission_id, "by": actor.username})
        return saved

    def accept_suggestion(self, actor: Principal, mention_id: str, request: AcceptRequest) -> tuple[Post, list[Flag]]:
        """Turn a praise mention into a draft post that cites it, and resolve the mention."""
        self._require_editor(actor)
        mention = self.suggestions.mention(mention_id)
        post_id = rules.post_id_for("mention", mention.id)
        if self.posts.get(post_id) is None:
            if not rules.is_suggestion(mention):
                raise Conflict("only open praise mentions routed to marketing are suggestions", status=mention.status,
                               intent=mention.intent)
            self._known_channels(request.channels)
            now = self.clock()
            post = self._draft(post_id, request.text or rules.suggested_text(mention), request.channels,
                               "customer-story", PostSource(kind="mention", id=mention.id), actor, now)
            if self.posts.create(post):
                self._finish_suggestion(mention, actor, now)
                logger.info("suggestion accepted", extra={"mention": mention.id, "post": post.id, "by": actor.username})
                return post, self.precheck(post.text)
        self._finish_suggestion(mention, actor, self.clock())  # a retry after a crash, or a second editor
        raise Conflict(f"this suggestion was accepted already as post {post_id}", post_id=post_id)

    def _finish_suggestion(self, mention: MentionRecord, actor: Principal, now: datetime) -> None:
        if mention.status in ("new", "assigned", "responded"):
            self.suggestions.resolve(mention.id, actor)
        editor = self._person_of(actor)
        if editor:
            self.ledger.record(editor, "post_edited", now, once_key=f"mention#{mention.id}")

    def _draft(self, post_id: str, text: str, channels: list[str], pillar: str, source: PostSource, actor: Principal,
               now: datetime, media: list[PostMedia] | None = None) -> Post:
        content = PostContent(text=text, channels=channels, pillar=pillar, category=rules.category_of(pillar))
        return post_rules.draft(post_id, content, actor, now).model_copy(update={"source": source,
                                                                                 "media": media or []})

    def _count_acceptance(self, submission: Submission) -> None:
        if submission.status != "accepted" or not submission.decided_at:
            return
        moment = timing.from_iso_utc(submission.decided_at)
        if submission.creator:
            self.ledger.record(submission.creator, "submission_accepted", moment, once_key=submission.id)
        if submission.editor:
            self.ledger.record(submission.editor, "post_edited", moment, once_key=f"content#{submission.id}")

    # ------------------------------------------------------------------ the pre-share check
    def precheck(self, text: str) -> list[Flag]:
        return self._checker()(text)

    def get_lists(self) -> PrecheckListsView:
        lists, updated_at, updated_by = self.lists.get()
        return PrecheckListsView(**lists.model_dump(), updated_at=updated_at, updated_by=updated_by)

    def set_lists(self, actor: Principal, lists: PrecheckLists) -> PrecheckListsView:
        self._require_editor(actor)
        stamp = timing.iso_utc(self.clock())
        self.lists.put(lists, stamp, actor.username)
        logger.info("pre-check lists replaced", extra={"named": len(lists.named), "competitors": len(lists.competitors),
                                                       "by": actor.username})
        return PrecheckListsView(**lists.model_dump(), updated_at=stamp, updated_by=actor.username)

    def _checker(self) -> Callable[[str], list[Flag]]:
        """The check with today's lists, read once for everything one request checks."""
        lists, _, _ = self.lists.get()
        people = self.people.named_people()
        # The organisation's own accounts too, on Mastodon also by their short form (@org for @org@server).
        own = [h for c in self.channels() for h in {c.handle, "@" + c.handle.lstrip("@").split("@")[0]}]
        handles = [h for person in people for h in person.platforms.values()] + own
        consent = prechecks.Consent.of([p.name for p in people] + lists.named, handles)
        return lambda text: prechecks.check(text, consent, lists.competitors)

    # ------------------------------------------------------------------ helpers
    def _view(self, submission: Submission, checker: Callable[[str], list[Flag]], with_creator: bool = False,
              names: dict[str, str | None] | None = None) -> SubmissionView:
        media = [m.model_copy(update={"url": self.media.download_url(m.key, MEDIA_LINK_SECONDS)})
                 for m in submission.media]
        name = None
        if with_creator and submission.creator:
            names = {} if names is None else names
            if submission.creator not in names:
                names[submission.creator] = self._name_of(submission.creator)
            name = names[submission.creator]
        return SubmissionView(**{**submission.model_dump(), "media": media}, flags=checker(submission.text),
                              creator_name=name)

    def _name_of(self, person_id: str) -> str | None:
        try:
            return self.people.get(person_id).name
        except NotFound:
            return None

    def _get(self, submission_id: str) -> Submission:
        submission = self.submissions.get(submission_id)
        if submission is None:
            raise NotFound(f"no content {submission_id!r}")
        return submission

    def _member(self, actor: Principal) -> str:
        """The caller's person id: content is kept by person, so only members of the programme submit."""
        person = self._person_of(actor)
        if person is None:
            raise NotFound(NO_PROFILE)
        return person

    def _person_of(self, actor: Principal) -> str | None:
        person = self.people.for_principal(actor)
        return person.id if person is not None else None

    def _known_channels(self, channel_ids: list[str]) -> None:
        known = {c.id for c in self.channels()}
        unknown = [c for c in channel_ids if c not in known]
        if unknown:
            raise ValidationError("channels", f"unknown channels: {', '.join(unknown)}", unknown=unknown)

    @staticmethod
    def _require_editor(actor: Principal) -> None:
        if not actor.has_any(EDITORS):
            raise Forbidden("only editors and masters work the content queue")


class SubmissionsPersonalData:
    """A person's content for GET /ambassadors/{id}/export and DELETE /ambassadors/{id} (PersonalData in
    chorus.advocacy.privacy.service). Erasing keeps the content, which the creator gave to the organisation and which
    its posts may use, but removes every link to the creator (the submissions' and their posts' `creator`), and
    deletes the uploads they never submitted."""

    section = "content"

    def __init__(self, submissions: Submissions, uploads: Uploads, media: Media, posts: Posts) -> None:
        self.submissions = submissions
        self.uploads = uploads
        self.media = media
        self.posts = posts

    def export(self, person_id: str) -> list[dict[str, Any]]:
        submissions = [{"kind": "submission", **s.model_dump(mode="json", exclude={"version", "editor"})}
                       for s in self._all(person_id)]
        uploads = [{"kind": "upload", **u.model_dump(mode="json")} for u in self.uploads.of_person(person_id)]
        return submissions + uploads

    def erase(self, person_id: str, now: datetime) -> int:
        changed = 0
        for upload in self.uploads.of_person(person_id):
            self.media.delete(upload.key)
            self.uploads.remove(upload)
            changed += 1
        for submission in self._all(person_id):
            if submission.post_id:  # the post first: once the submission is unlinked, it no longer leads here
                self._unlink_post(submission.post_id, person_id)
            self._unlink_submission(submission, now)
            changed += 1
        return changed

    def _all(self, person_id: str) -> list[Submission]:
        found: list[Submission] = []
        cursor = None
        while True:
            page, cursor = self.submissions.of_creator(person_id, 100, cursor)
            found.extend(page)
            if cursor is None:
                return found

    def _unlink_submission(self, submission: Submission, now: datetime) -> None:
        def unlink(attempt: int) -> None:
            current = submission if attempt == 0 else self.submissions.get(submission.id)
            if current is not None and current.creator is not None:
                self.submissions.save(rules.erased(current, now))

        retry_on_conflict(unlink, f"content {submission.id} kept changing while erasing; try again")

    def _unlink_post(self, post_id: str, person_id: str) -> None:
        def unlink(attempt: int) -> None:  # the publisher or an editor may save the post meanwhile
            post = self.posts.get(post_id)
            if post is None or post.source is None or post.source.creator != person_id:
                return
            self.posts.save(post.model_copy(update={"source": post.source.model_copy(update={"creator": None})}))

        retry_on_conflict(unlink, f"post {post_id} kept changing while erasing; try again")
