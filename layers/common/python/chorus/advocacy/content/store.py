"""Creators' content in the AdvocacyTable (keys in chorus.advocacy.store's layout table), and its media in S3.

  a submission .................. GetItem content#<id> / submission
  a creator's submissions ....... gsi1 Query content#creator#<person>, newest first
  the editors' queue ............ gsi2 Query content#queue, oldest first (sparse: only while submitted)
  submit ........................ TransactWriteItems: the new submission, and each upload it uses deleted (on
                                  condition that it is still there: an upload goes into one submission only)
  accept ........................ TransactWriteItems: the draft post (PostsTable, on condition it does not exist)
                                  and the decided submission (optimistic locking): both or neither
  decline ....................... PutItem with optimistic locking
  a person's uploads ............ Query content#uploads#<person> (TTL: gone a day after the bucket expired them)
  the pre-check lists ........... GetItem / PutItem content#lists / prechecks
  suggestions ................... not here: the inbox's reads (MentionsTable `by_status`), open praise for marketing

The media bucket (MediaBucket in infra/template.yaml): creators' photos and videos, uploaded by the browser itself.

  hand out an upload ....... presigned POST (no S3 call): the policy pins the key, the exact Content-Type and a
                             content-length-range, and lasts 15 minutes; S3 refuses anything else
  check an upload .......... GetObject of its first 16 bytes: type, whole size (Content-Range) and signature in one
                             request (the API role may list the bucket: without that S3 answers a GET of a missing
                             key with 403, indistinguishable from a denied one)
  keep a submitted upload .. CopyObject uploads/... -> content/... (server side; the bucket expires uploads/)
  show media to editors .... presigned GET (no S3 call)"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError
from pynamodb.attributes import JSONAttribute, ListAttribute, UnicodeAttribute, VersionAttribute
from pynamodb.exceptions import PutError, TransactWriteError
from pynamodb.transactions import TransactWrite

from chorus.advocacy.content.rules import SIGNATURE_BYTES
from chorus.advocacy.content.schemas import PrecheckLists, StoredObject, Submission, Upload
from chorus.advocacy.store import AdvocacyItem, Gsi1, Gsi2
from chorus.aws.cursors import decode_cursor, encode_cursor
from chorus.aws.media import MISSING, MediaLibrary
from chorus.aws.tables import cancellation_reasons, is_condition_failure, table, transaction_connection
from chorus.calendar.schemas import Post
from chorus.calendar.store import PostItem
from chorus.core.errors import Conflict, Stale, ValidationError

SUBMISSION = "submission"
QUEUE = "content#queue"
UPLOAD_RECORD_LIFETIME = timedelta(days=3)  # the bucket expires uploads/ after 2 days


@table("advocacy_table")
class ContentItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    id = UnicodeAttribute()
    creator = UnicodeAttribute(null=True)
    text = UnicodeAttribute()
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    pillar = UnicodeAttribute()
    media = JSONAttribute(default=list)
    status = UnicodeAttribute()
    post_id = UnicodeAttribute(null=True)
    decline_reason = UnicodeAttribute(null=True)
    decided_by = UnicodeAttribute(null=True)
    decided_at = UnicodeAttribute(null=True)
    editor = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = VersionAttribute()

    gsi1: Gsi1[ContentItem] = Gsi1()
    gsi2: Gsi2[ContentItem] = Gsi2()

    @classmethod
    def from_submission(cls, submission: Submission) -> ContentItem:
        data = submission.model_dump(mode="json")
        if not data["version"]:
            del data["version"]  # a new item: PynamoDB's VersionAttribute then requires that none exists yet
        order = f"{submission.created_at}#{submission.id}"
        return cls(
            f"content#{submission.id}", SUBMISSION, **data,
            gsi1pk=f"content#creator#{submission.creator}" if submission.creator else None,
            gsi1sk=order if submission.creator else None,
            gsi2pk=QUEUE if submission.status == "submitted" else None,
            gsi2sk=order if submission.status == "submitted" else None,
        )

    def to_submission(self) -> Submission:
        data = {name: getattr(self, name) for name in Submission.model_fields if name != "version"}
        return Submission.model_validate({**data, "version": self.version or 0})


@table("advocacy_table")
class UploadItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    person = UnicodeAttribute()
    key = UnicodeAttribute()
    filename = UnicodeAttribute()
    content_type = UnicodeAttribute()
    created_at = UnicodeAttribute()

    def to_upload(self) -> Upload:
        return Upload(id=self.sk, person=self.person, key=self.key, filename=self.filename,
                      content_type=self.content_type, created_at=self.created_at)


@table("advocacy_table")
class PrecheckListItem(AdvocacyItem):
    class Meta:
        table_name = "unbound"

    named = ListAttribute(of=UnicodeAttribute, default=list)
    competitors = ListAttribute(of=UnicodeAttribute, default=list)
    updated_at = UnicodeAttribute(null=True)
    updated_by = UnicodeAttribute(null=True)


class SubmissionRepository:
    def get(self, submission_id: str) -> Submission | None:
        try:
            return ContentItem.get(f"content#{submission_id}", SUBMISSION, consistent_read=True).to_submission()
        except ContentItem.DoesNotExist:
            return None

    def create(self, submission: Submission, uploads: list[Upload]) -> bool:
        """Store a new submission and use up its uploads; False when a submission with its id exists (a retry)."""
        item = ContentItem.from_submission(submission)
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(item, condition=ContentItem.pk.does_not_exist())
                for upload in uploads:
                    transaction.delete(UploadItem(_uploads_of(upload.person), upload.id),
                                       condition=UploadItem.pk.exists())
        except TransactWriteError as error:
            reasons = cancellation_reasons(error)
            if reasons[0] == "ConditionalCheckFailed":
                return False
            if "ConditionalCheckFailed" in reasons:
                raise ValidationError("media", "an upload was submitted with other content meanwhile") from None
            raise Conflict("the uploads were being changed meanwhile; try again") from None
        return True

    def save(self, submission: Submission, post: Post | None = None) -> Submission:
        """Store a change (a decision), with the post made from it in the same transaction; Conflict when the
        submission changed since it was read or the post exists already."""
        item = ContentItem.from_submission(submission)
        if post is None:
            try:
                item.save()
            except PutError as error:
                if is_condition_failure(error):
                    raise Stale("the content was changed by someone else meanwhile") from None
                raise
            return submission.model_copy(update={"version": item.version})
        try:
            with TransactWrite(connection=transaction_connection()) as transaction:
                transaction.save(PostItem.from_post(post), condition=PostItem.id.does_not_exist())
                transaction.save(item)
        except TransactWriteError as error:
            cancellation_reasons(error)
            raise Stale("the content was decided by someone else meanwhile") from None
        return submission.model_copy(update={"version": item.version})

    def of_creator(self, person: str, limit: int, cursor: str | None) -> tuple[list[Submission], str | None]:
        results = ContentItem.gsi1.query(f"content#creator#{person}", scan_index_forward=False, limit=limit,
                                         last_evaluated_key=_start(cursor, "gsi1", f"content#creator#{person}"))
        return [item.to_submission() for item in results], _next(results.last_evaluated_key)

    def queue(self, limit: int, cursor: str | None) -> tuple[list[Submission], str | None]:
        results = ContentItem.gsi2.query(QUEUE, scan_index_forward=True, limit=limit,
                                         last_evaluated_key=_start(cursor, "gsi2", QUEUE))
        return [item.to_submission() for item in results], _next(results.last_evaluated_key)


class UploadRepository:
    def add(self, upload: Upload, now: datetime) -> None:
        UploadItem(_uploads_of(upload.person), upload.id, person=upload.person, key=upload.key,
                   filename=upload.filename, content_type=upload.content_type, created_at=upload.created_at,
                   expires_at=int((now + UPLOAD_RECORD_LIFETIME).timestamp())).save()

    def get(self, person: str, upload_id: str) -> Upload | None:
        try:
            return UploadItem.get(_uploads_of(person), upload_id, consistent_read=True).to_upload()
        except UploadItem.DoesNotExist:
            return None

    def of_person(self, person: str) -> list[Upload]:
        return [item.to_upload() for item in UploadItem.query(_uploads_of(person))]

    def remove(self, upload: Upload) -> None:
        UploadItem(_uploads_of(upload.person), upload.id).delete()


class PrecheckListRepository:
    KEY = ("content#lists", "prechecks")

    def get(self) -> tuple[PrecheckLists, str | None, str | None]:
        """The lists, when and by whom they were last changed."""
        try:
            item = PrecheckListItem.get(*self.KEY, consistent_read=True)
        except PrecheckListItem.DoesNotExist:
            return PrecheckLists(), None, None
        # PynamoDB types a ListAttribute(of=UnicodeAttribute)'s values as UnicodeAttribute; they are str.
        lists = PrecheckLists(named=list(item.named or []),  # type: ignore[arg-type]
                              competitors=list(item.competitors or []))  # type: ignore[arg-type]
        return lists, item.updated_at, item.updated_by

    def put(self, lists: PrecheckLists, updated_at: str, updated_by: str) -> None:
        PrecheckListItem(*self.KEY, named=lists.named, competitors=lists.competitors, updated_at=updated_at,
                         updated_by=updated_by).save()


def _uploads_of(person: str) -> str:
    return f"content#uploads#{person}"


def _start(cursor: str | None, index: str, partition: str) -> dict[str, Any] | None:
    """A page's start from a cursor, checked: a tampered cursor is a 400, never a failed Query."""
    key = decode_cursor(cursor).get("k") if cursor else None
    if key is None:
        return None
    names = {"pk", "sk", f"{index}pk", f"{index}sk"}
    well_formed = isinstance(key, dict) and set(key) == names and all(
        isinstance(v, dict) and list(v) == ["S"] and isinstance(v["S"], str) for v in key.values())
    if not well_formed or key[f"{index}pk"]["S"] != partition:
        raise ValidationError("cursor", "is not a cursor this API returned")
    return key


def _next(key: dict[str, Any] | None) -> str | None:
    return encode_cursor({"k": key}) if key else None


class MediaBucket(MediaLibrary):
    """The media library as creators' uploads use it: presigned upload forms, a first look at a file, copies."""

    def upload_form(self, key: str, content_type: str, max_size: int, expires_in: int) -> tuple[str, dict[str, str]]:
        """The URL and form fields of a browser POST that can store exactly this key, type and size range."""
        form = self.client.generate_presigned_post(
            self.bucket, key, Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_size]], ExpiresIn=expires_in,
        )
        return form["url"], dict(form["fields"])

    def head(self, key: str) -> StoredObject | None:
        """Type, size and first bytes in one ranged GET (ContentRange carries the whole size)."""
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{SIGNATURE_BYTES - 1}")
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code in MISSING:
                return None
            if code == "InvalidRange":  # an empty object has no first byte
                return StoredObject(content_type="", size=0)
            raise
        with found["Body"] as body:
            head = body.read()
        total = str(found.get("ContentRange", "")).rpartition("/")[2]
        size = int(total) if total.isdigit() else int(found.get("ContentLength", 0))
        return StoredObject(content_type=found.get("ContentType", ""), size=size, head=head)

    def copy(self, source: str, target: str) -> None:
        self.client.copy_object(Bucket=self.bucket, Key=target, CopySource={"Bucket": self.bucket, "Key": source},
                                MetadataDirective="COPY")

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def download_url(self, key: str, expires_in: int) -> str:
        return self.link(key, expires_in)
