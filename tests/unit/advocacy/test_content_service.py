"""Creators' content (chorus.advocacy.content.service) with in-memory ports that keep the stores' conditional semantics:
uploads, submissions, the queue with suggestions, accept and decline at most once, engagement, privacy; then a
Hypothesis state machine of editors racing, retrying and crashing."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from chorus.advocacy.content import rules
from chorus.advocacy.content import service as content
from chorus.advocacy.content.schemas import (
    AcceptRequest,
    PrecheckLists,
    StoredObject,
    Submission,
    SubmissionIn,
    Upload,
    UploadRequest,
)
from chorus.advocacy.content.service import ContentService, SubmissionsPersonalData
from chorus.calendar.schemas import Channel, MediaRef, Post, PostSource
from chorus.core.errors import Conflict, Forbidden, NotFound, Stale, ValidationError
from chorus.core.roles import Principal
from chorus.listening.schemas import MentionRecord, MentionStatus
from tests.unit.advocacy.fakes import MemoryLedger

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
MB = 1024 * 1024
STARTS = {"image/jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/png": b"\x89PNG\r\n\x1a\n\x00\x00",
          "video/quicktime": b"\x00\x00\x00\x14ftypqt  "}


def who(username: str, *roles: str) -> Principal:
    return Principal(username, frozenset(roles))


CARA, CARL = who("cara", "creator"), who("carl", "creator")
ED, EVA, MIA = who("ed", "editor"), who("eva", "editor"), who("mia", "master")
PIM = who("pim", "publisher")
OUTSIDER = who("olaf", "creator")  # a creator without a profile in the programme


# ---------------------------------------------------------------------------------------------------- fakes
@dataclass
class Person:
    """A person as the People port hands one out (its Ambassador shape), plus what this fake finds people by."""

    id: str
    name: str
    username: str
    platforms: dict[str, str] = field(default_factory=dict)
    named_consent: bool = False


class People(content.People):
    def __init__(self, *people: Person) -> None:
        self.people = {p.id: p for p in people}

    def get(self, person_id: str) -> Person:
        if person_id not in self.people:
            raise NotFound(f"no person {person_id!r}")
        return self.people[person_id]

    def for_principal(self, principal: Principal) -> Person | None:
        return next((p for p in self.people.values() if p.username == principal.username), None)

    def named_people(self) -> list[Person]:
        return [p for p in self.people.values() if p.named_consent]


class Posts(content.Posts):
    def __init__(self) -> None:
        self.items: dict[str, Post] = {}

    def get(self, post_id: str) -> Post | None:
        return self.items.get(post_id)

    def create(self, post: Post) -> bool:
        if post.id in self.items:
            return False
        self.items[post.id] = post.model_copy(update={"version": 1})
        return True

    def save(self, post: Post) -> Post:
        if self.items[post.id].version != post.version:
            raise Stale("changed meanwhile")
        saved = post.model_copy(update={"version": post.version + 1})
        self.items[post.id] = saved
        return saved


class Submissions(content.Submissions):
    """SubmissionRepository's semantics: creation uses up the uploads in one step; a save of a stale read and a save
    whose post exists already both fail, and change nothing."""

    def __init__(self, uploads: Uploads, posts: Posts) -> None:
        self.items: dict[str, Submission] = {}
        self.uploads = uploads
        self.posts = posts
        # a hook for races: runs just before a save is applied
        self.before_save: Callable[[Submission], object] = lambda submission: None

    def get(self, submission_id: str) -> Submission | None:
        return self.items.get(submission_id)

    def create(self, submission: Submission, uploads: list[Upload]) -> bool:
        if submission.id in self.items:
            return False
        if any(self.uploads.get(u.person, u.id) is None for u in uploads):
            raise ValidationError("media", "an upload was submitted with other content meanwhile")
        for upload in uploads:
            self.uploads.remove(upload)
        self.items[submission.id] = submission.model_copy(update={"version": 1})
        return True

    def save(self, submission: Submission, post: Post | None = None) -> Submission:
        self.before_save(submission)
        if self.items[submission.id].version != submission.version or (post and self.posts.get(post.id)):
            raise Stale("decided meanwhile")
        if post is not None:
            self.posts.create(post)
        saved = submission.model_copy(update={"version": submission.version + 1})
        self.items[submission.id] = saved
        return saved

    def of_creator(self, person: str, limit: int, cursor: str | None) -> tuple[list[Submission], str | None]:
        mine = sorted((s for s in self.items.values() if s.creator == person),
                      key=lambda s: (s.created_at, s.id), reverse=True)
        start = int(cursor or 0)
        return mine[start:start + limit], str(start + limit) if start + limit < len(mine) else None

    def queue(self, limit: int, cursor: str | None) -> tuple[list[Submission], str | None]:
        waiting = sorted((s for s in self.items.values() if s.status == "submitted"),
                         key=lambda s: (s.created_at, s.id))
        return waiting[:limit], None


class Uploads(content.Uploads):
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], Upload] = {}

    def add(self, upload: Upload, now: datetime) -> None:
        self.items[(upload.person, upload.id)] = upload

    def get(self, person: str, upload_id: str) -> Upload | None:
        return self.items.get((person, upload_id))

    def of_person(self, person: str) -> list[Upload]:
        return [u for (p, _), u in self.items.items() if p == person]

    def remove(self, upload: Upload) -> None:
        self.items.pop((upload.person, upload.id), None)


class Media(content.Media):
    def __init__(self) -> None:
        self.objects: dict[str, StoredObject] = {}
        self.forms: dict[str, tuple[str, int]] = {}  # key -> (content type, max size) the POST policy allows

    def upload_form(self, key: str, content_type: str, max_size: int, expires_in: int) -> tuple[str, dict[str, str]]:
        self.forms[key] = (content_type, max_size)
        return "https://media.example/", {"key": key, "Content-Type": content_type}

    def put(self, key: str, content_type: str, size: int, head: bytes | None = None) -> None:
        """What the browser does with the form (S3 does not check the policy here: the service must)."""
        self.objects[key] = StoredObject(content_type=content_type, size=size,
                                         head=STARTS.get(content_type, b"") if head is None else head)

    def head(self, key: str) -> StoredObject | None:
        return self.objects.get(key)

    def copy(self, source: str, target: str) -> None:
        self.objects[target] = self.objects[source]

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def download_url(self, key: str, expires_in: int) -> str:
        return f"https://media.example/{key}?expires={expires_in}"


class Lists(content.PrecheckListStore):
    def __init__(self) -> None:
        self.lists = PrecheckLists()
        self.updated_at: str | None = None
        self.updated_by: str | None = None

    def get(self) -> tuple[PrecheckLists, str | None, str | None]:
        return self.lists, self.updated_at, self.updated_by

    def put(self, lists: PrecheckLists, updated_at: str, updated_by: str) -> None:
        self.lists, self.updated_at, self.updated_by = lists, updated_at, updated_by


class Suggestions(content.Suggestions):
    def __init__(self) -> None:
        self.mentions: dict[str, MentionRecord] = {}
        self.fail_resolving = 0

    def open_praise(self, limit: int, cursor: str | None) -> tuple[list[MentionRecord], str | None]:
        found = [m for m in self.mentions.values() if rules.is_suggestion(m)]
        return sorted(found, key=lambda m: m.received_at)[:limit], None

    def mention(self, mention_id: str) -> MentionRecord:
        if mention_id not in self.mentions:
            raise NotFound(f"no mention {mention_id!r}")
        return self.mentions[mention_id]

    def resolve(self, mention_id: str, actor: Principal) -> MentionRecord:
        if self.fail_resolving:
            self.fail_resolving -= 1
            raise TimeoutError("the inbox did not answer")
        self.mentions[mention_id] = self.mentions[mention_id].model_copy(update={"status": "resolved"})
        return self.mentions[mention_id]


def mention(mention_id: str, intent: str = "praise", teams: tuple[str, ...] = ("marketing",),
            status: MentionStatus = "new",
            text: str = "Geweldige service van jullie team, dank @chorus_org!") -> MentionRecord:
    return MentionRecord(
        id=mention_id, platform="mastodon", platform_id=f"p{mention_id}", text=text,
        url=f"https://social.example/@fan/{mention_id}",
        author_handle="fan@social.example", created_at="2026-11-23T08:00:00Z",
        received_at=f"2026-11-23T08:0{len(mention_id) % 10}:00Z",
        language="nl", intent=intent, sentiment=0.9, complaint_score=0.0, reach=120, conversation=mention_id,
        teams=list(teams), status=status, expires_at=2_000_000_000)


def ledger_down(*_: object, **__: object) -> bool:
    """The engagement ledger's record, when DynamoDB does not answer."""
    raise TimeoutError("ledger down")


def source_of(post: Post) -> PostSource:
    """The submission a post was made from (every post in these tests was)."""
    assert post.source is not None, f"post {post.id} was not made from a submission"
    return post.source


class World:
    def __init__(self) -> None:
        self.now = T0
        self.people = People(Person("p-cara", "Cara Jansen", "cara", {"mastodon": "@cara@social.example"},
                                    named_consent=True),
                             Person("p-carl", "Carl de Boer", "carl"), Person("p-ed", "Ed van Dijk", "ed"),
                             Person("p-eva", "Eva Smit", "eva"), Person("p-mia", "Mia Bakker", "mia"))
        self.posts = Posts()
        self.uploads = Uploads()
        self.submissions = Submissions(self.uploads, self.posts)
        self.media = Media()
        self.lists = Lists()
        self.suggestions = Suggestions()
        self.ledger = MemoryLedger()
        self.channels = [Channel(id="masto", platform="mastodon", handle="@chorus_org@social.example"),
                         Channel(id="bsky", platform="bluesky", handle="chorus.example")]
        self.service = ContentService(self.submissions, self.uploads, self.media, self.lists, self.people,
                                      self.suggestions, self.posts, lambda: self.channels, self.ledger,
                                      clock=lambda: self.now)

    def tick(self) -> None:
        self.now += timedelta(minutes=1)

    def uploaded(self, actor: Principal, filename: str = "team.jpg", content_type: str = "image/jpeg",
                 size: int = 2 * MB, actual_type: str | None = None, actual_size: int | None = None,
                 head: bytes | None = None) -> str:
        ticket = self.service.upload(actor, UploadRequest(filename=filename, content_type=content_type, size=size))
        self.media.put(ticket.key, actual_type or content_type, actual_size or size, head)
        return ticket.key

    def submitted(self, actor: Principal = CARA, text: str = "Ons team plantte vandaag 200 bomen.", media: int = 1,
                  key: str | None = None) -> Submission:
        keys = [self.uploaded(actor, f"photo-{n}.jpg") for n in range(media)]
        self.tick()
        view, _ = self.service.submit(actor, SubmissionIn(text=text, tags=["#Duurzaam", "bomen"],
                                                          pillar="behind-the-scenes",
                                                          media=[MediaRef(key=k) for k in keys]), key)
        return self.submissions.items[view.id]

    def counts(self, event: str) -> dict[str, int]:
        totals: dict[str, int] = {}
        for (person, _, counted, _), n in self.ledger.counts.items():
            if counted == event:
                totals[person] = totals.get(person, 0) + n
        return totals


@pytest.fixture
def world() -> World:
    return World()


# ---------------------------------------------------------------------------------------------------- uploads
def test_an_upload_gets_a_presigned_form_limited_to_its_type_and_size(world: World) -> None:
    ticket = world.service.upload(CARA,
                                  UploadRequest(filename="../Zomer uitje 2026 (1).JPG", content_type="image/jpeg",
                                                size=3 * MB))
    assert ticket.key == f"uploads/{ticket.upload_id}/Zomer-uitje-2026-1.JPG"
    assert world.media.forms[ticket.key] == ("image/jpeg", 10 * MB) and ticket.max_size == 10 * MB
    assert ticket.expires_at == "2026-11-23T09:15:00Z"
    upload = world.uploads.get("p-cara", ticket.upload_id)
    assert upload is not None and upload.content_type == "image/jpeg"
    video = world.service.upload(CARA,
                                 UploadRequest(filename="tour.mov", content_type="video/quicktime", size=150 * MB))
    assert world.media.forms[video.key] == ("video/quicktime", 200 * MB)


@pytest.mark.parametrize(("content_type", "size", "field"), [
    ("application/pdf", 1000, "content_type"), ("image/svg+xml", 1000, "content_type"),
    ("image/png", 10 * MB + 1, "size"), ("video/mp4", 200 * MB + 1, "size")])
def test_a_wrong_type_or_size_gets_no_upload(world: World, content_type: str, size: int, field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        world.service.upload(CARA, UploadRequest(filename="x", content_type=content_type, size=size))
    assert raised.value.field == field and world.uploads.items == {} and world.media.forms == {}


def test_only_people_in_the_programme_upload_and_submit(world: World) -> None:
    with pytest.raises(NotFound, match="no ambassador profile"):
        world.service.upload(OUTSIDER, UploadRequest(filename="a.jpg", content_type="image/jpeg", size=10))
    with pytest.raises(NotFound, match="no ambassador profile"):
        world.service.submit(OUTSIDER, SubmissionIn(text="x", pillar="news"))
    assert world.service.listing(OUTSIDER, None, 50, None).items == [] and world.uploads.items == {}


def test_safe_names_keep_keys_and_links_clean() -> None:
    assert rules.safe_name("C:\\Users\\me\\Été 2026.png") == "Ete-2026.png"
    assert rules.safe_name("...") == "file" and rules.safe_name("a/../../b.gif") == "b.gif"
    assert len(rules.safe_name("x" * 500 + ".mp4")) == 100


@pytest.mark.parametrize(("content_type", "start"), [
    ("image/jpeg", STARTS["image/jpeg"]), ("image/png", STARTS["image/png"]), ("image/gif", b"GIF89a\x01\x00"),
    ("image/webp", b"RIFF\x24\x00\x00\x00WEBPVP8 "), ("video/mp4", b"\x00\x00\x00\x18ftypmp42"),
    ("video/quicktime", STARTS["video/quicktime"]), ("video/quicktime", b"\x00\x00\x00\x08wide")])
def test_each_type_is_known_by_how_its_files_begin(content_type: str, start: bytes) -> None:
    assert rules.SIGNATURES[content_type](start)
    others = [other for other, matches in rules.SIGNATURES.items() if matches(start)]
    assert others in ([content_type], ["video/mp4", "video/quicktime"])  # QuickTime files may be ISO media too


# ---------------------------------------------------------------------------------------------------- submitting
def test_a_submission_keeps_its_media_under_content_and_uses_up_the_uploads(world: World) -> None:
    key = world.uploaded(CARA)
    view, created = world.service.submit(CARA, SubmissionIn(text="  Ons team plantte bomen.  ",
                                                            tags=["#Duurzaam", "duurzaam"],
                                                            pillar="behind-the-scenes", media=[MediaRef(key=key)]))
    assert created and view.status == "submitted" and view.creator == "p-cara"
    assert view.text == "Ons team plantte bomen."
    assert view.tags == ["duurzaam"]
    kept = key.replace("uploads/", "content/", 1)
    assert [(m.key, m.content_type, m.size) for m in view.media] == [(kept, "image/jpeg", 2 * MB)]
    url = view.media[0].url
    assert url is not None and url.startswith(f"https://media.example/{kept}")
    assert key not in world.media.objects and kept in world.media.objects  # the upload is gone, the content kept
    assert world.uploads.items == {}
    assert world.counts("submission_made") == {"p-cara": 1}
    with pytest.raises(ValidationError, match="not an upload of yours"):  # an upload goes into one submission only
        world.service.submit(CARA, SubmissionIn(text="again", pillar="news", media=[MediaRef(key=key)]))


def test_a_retried_submission_is_the_same_submission(world: World) -> None:
    first = world.submitted(key="retry-1")
    again, created = world.service.submit(CARA, SubmissionIn(text="other text", pillar="news"), "retry-1")
    assert not created and again.id == first.id and again.text == first.text
    assert len(world.submissions.items) == 1 and world.counts("submission_made") == {"p-cara": 1}
    other, created = world.service.submit(CARL, SubmissionIn(text="carl's", pillar="news"), "retry-1")
    assert created and other.id != first.id  # keys are per person


@pytest.mark.parametrize(("actual_type", "actual_size", "head", "message"), [
    ("image/png", 2 * MB, None, "not the image/jpeg announced"),
    ("text/html", 2 * MB, b"<html>", "not the image/jpeg announced"),
    ("image/jpeg", 10 * MB + 1, None, "bytes"), ("image/jpeg", 0, b"", "bytes"),
    ("image/jpeg", 2 * MB, STARTS["image/png"], "content is something else")])
def test_an_upload_that_is_not_what_was_announced_is_refused_and_deleted(world: World, actual_type: str,
                                                                         actual_size: int, head: bytes | None,
                                                                         message: str) -> None:
    good = world.uploaded(CARA)
    bad = world.uploaded(CARA, head=head)
    world.media.objects[bad] = StoredObject(content_type=actual_type, size=actual_size,
                                            head=STARTS.get(actual_type, b"") if head is None else head)
    with pytest.raises(ValidationError, match=message) as raised:
        world.service.submit(CARA, SubmissionIn(text="story", pillar="news",
                                                media=[MediaRef(key=good), MediaRef(key=bad)]))
    assert raised.value.field == "media.1"
    assert world.submissions.items == {} and bad not in world.media.objects and good in world.media.objects
    assert not any(k.startswith("content/") for k in world.media.objects) and world.ledger.counts == {}


def test_missing_foreign_and_made_up_uploads_are_refused(world: World) -> None:
    ticket = world.service.upload(CARA, UploadRequest(filename="a.jpg", content_type="image/jpeg", size=100))
    carls = world.uploaded(CARL)
    for keys, message in (([ticket.key], "nothing was uploaded"), ([carls], "not an upload of yours"),
                          (["content/abc/x.jpg"], "not an upload key"), ([carls, carls], "named once")):
        with pytest.raises(ValidationError, match=message):
            world.service.submit(CARA, SubmissionIn(text="story", pillar="news",
                                                    media=[MediaRef(key=k) for k in keys]))
    assert world.submissions.items == {}


# ---------------------------------------------------------------------------------------------------- seeing
def test_creators_see_only_their_own_submissions(world: World) -> None:
    caras, carls = world.submitted(CARA), world.submitted(CARL)
    assert world.service.get(CARA, caras.id).id == caras.id
    with pytest.raises(Forbidden, match="only their own"):
        world.service.get(CARA, carls.id)
    with pytest.raises(Forbidden):
        world.service.listing(CARA, "p-carl", 50, None)
    assert [s.id for s in world.service.listing(CARA, None, 50, None).items] == [caras.id]
    assert [s.id for s in world.service.listing(ED, "p-carl", 50, None).items] == [carls.id]
    assert world.service.get(ED, carls.id).creator_name == "Carl de Boer"
    with pytest.raises(NotFound):
        world.service.get(ED, "nope")


def test_the_queue_shows_waiting_content_oldest_first_with_flags_media_and_suggestions(world: World) -> None:
    world.lists.put(PrecheckLists(competitors=["Jumbo"]), "t", "ed")
    first = world.submitted(CARA, "Met Piet Jansen en @cara@social.example bij Jumbo.")
    second = world.submitted(CARL, "Onze nieuwe hal is open.")
    decided = world.submitted(CARL, "Al beslist.")
    world.service.decline(ED, decided.id, "te vaag")
    world.suggestions.mentions = {"m1": mention("m1", text="Top geholpen door Anna de Vries!"),
                                  "m2": mention("m2", intent="complaint", teams=("care",)),
                                  "m3": mention("m3", status="resolved")}
    queue = world.service.queue(ED, 50, None, None)
    assert [s.id for s in queue.items] == [first.id, second.id]
    assert [(f.kind, f.text) for f in queue.items[0].flags] == [("name", "Piet Jansen"), ("competitor", "Jumbo")]
    assert queue.items[0].creator_name == "Cara Jansen" and queue.items[0].media[0].url
    suggested = [(s.mention_id, [(f.kind, f.text) for f in s.flags]) for s in queue.suggestions]
    assert suggested == [("m1", [("name", "Anna de Vries")])]
    with pytest.raises(Forbidden):
        world.service.queue(CARA, 50, None, None)


# ---------------------------------------------------------------------------------------------------- deciding
def test_accepting_makes_a_draft_post_that_names_its_source_and_creator(world: World) -> None:
    submission = world.submitted(CARA, "Ons magazijn draait op zonne-energie; dank @ann!")
    world.tick()
    saved, post, flags = world.service.accept(ED, submission.id,
                                              AcceptRequest(text="Ons magazijn draait op zon. Dank @ann!",
                                                            channels=["masto"]))
    assert saved.status == "accepted" and saved.post_id == post.id
    assert saved.decided_by == "ed" and saved.editor == "p-ed"
    assert post.status == "draft" and post.author == "ed" and post.text == "Ons magazijn draait op zon. Dank @ann!"
    assert post.channels == ["masto"]
    assert [(m.key, m.content_type, m.size) for m in post.media] == [(m.key, m.content_type, m.size)
                                                                     for m in submission.media]
    assert post.pillar == "behind-the-scenes" and post.category == "other"
    assert post.source is not None and post.source.model_dump() == {"kind": "content", "id": submission.id,
                                                                    "creator": "p-cara"}
    assert world.posts.get(post.id) is not None and [(f.kind, f.text) for f in flags] == [("handle", "@ann")]
    assert world.counts("submission_accepted") == {"p-cara": 1} and world.counts("post_edited") == {"p-ed": 1}
    assert world.service.get(CARA, submission.id).post_id == post.id  # the creator sees what became of it


def test_a_second_accept_is_a_conflict_naming_the_post_and_counts_nothing(world: World) -> None:
    submission = world.submitted()
    _, post, _ = world.service.accept(ED, submission.id, AcceptRequest())
    for editor in (ED, EVA):
        with pytest.raises(Conflict) as raised:
            world.service.accept(editor, submission.id, AcceptRequest(text="different"))
        assert raised.value.details["post_id"] == post.id
    with pytest.raises(Conflict):
        world.service.decline(EVA, submission.id, "too late")
    assert len(world.posts.items) == 1 and world.counts("post_edited") == {"p-ed": 1}
    assert world.counts("submission_accepted") == {"p-cara": 1}


def test_an_editor_who_loses_the_race_gets_a_conflict(world: World) -> None:
    submission = world.submitted()

    def eva_declines_first(_: Submission) -> None:
        world.submissions.before_save = lambda s: None
        world.service.decline(EVA, submission.id, "we posted this last week")

    world.submissions.before_save = eva_declines_first
    with pytest.raises(Conflict, match="declined already"):
        world.service.accept(ED, submission.id, AcceptRequest())
    assert world.posts.items == {}
    assert world.submissions.items[submission.id].decline_reason == "we posted this last week"


def test_declining_needs_a_reason_which_the_creator_sees(world: World) -> None:
    submission = world.submitted()
    with pytest.raises(ValidationError, match="reason"):
        world.service.decline(ED, submission.id, "   ")
    world.service.decline(MIA, submission.id, " Helaas onscherp; heb je een andere foto? ")
    seen = world.service.get(CARA, submission.id)
    assert seen.status == "declined" and seen.decline_reason == "Helaas onscherp; heb je een andere foto?"
    with pytest.raises(Conflict):
        world.service.accept(ED, submission.id, AcceptRequest())
    assert world.posts.items == {} and world.counts("submission_accepted") == {}


def test_only_editors_decide_and_only_on_known_channels(world: World) -> None:
    submission = world.submitted()
    for actor in (CARA, PIM):
        with pytest.raises(Forbidden):
            world.service.accept(actor, submission.id, AcceptRequest())
        with pytest.raises(Forbidden):
            world.service.decline(actor, submission.id, "no")
    with pytest.raises(ValidationError, match="unknown channels: tiktok"):
        world.service.accept(ED, submission.id, AcceptRequest(channels=["tiktok"]))
    assert world.submissions.items[submission.id].status == "submitted" and world.posts.items == {}


def test_a_retry_after_a_crash_between_deciding_and_counting_counts_once(world: World) -> None:
    submission = world.submitted()
    real_record = world.ledger.record
    world.ledger.record = ledger_down  # type: ignore[method-assign]  # the ledger fails
    with pytest.raises(TimeoutError):
        world.service.accept(ED, submission.id, AcceptRequest())
    world.ledger.record = real_record  # type: ignore[method-assign]  # the fake's own record again
    with pytest.raises(Conflict):
        world.service.accept(ED, submission.id, AcceptRequest())
    with pytest.raises(Conflict):
        world.service.accept(ED, submission.id, AcceptRequest())
    assert world.counts("submission_accepted") == {"p-cara": 1} and world.counts("post_edited") == {"p-ed": 1}


# ---------------------------------------------------------------------------------------------------- suggestions
def test_accepting_a_suggestion_cites_the_mention_and_resolves_it(world: World) -> None:
    world.suggestions.mentions["m1"] = mention("m1")
    post, flags = world.service.accept_suggestion(ED, "m1", AcceptRequest(channels=["masto"]))
    assert post.source is not None and post.source.model_dump() == {"kind": "mention", "id": "m1", "creator": None}
    assert post.text.startswith("“Geweldige service") and "@fan@social.example on mastodon" in post.text
    assert "https://social.example/@fan/m1" in post.text and post.category == "success"
    # The organisation's own handle is fine; the fan is someone to ask before naming them.
    assert [(f.kind, f.text) for f in flags] == [("handle", "@fan@social.example")]
    assert world.suggestions.mentions["m1"].status == "resolved" and world.counts("post_edited") == {"p-ed": 1}
    with pytest.raises(Conflict) as raised:
        world.service.accept_suggestion(EVA, "m1", AcceptRequest())
    assert raised.value.details["post_id"] == post.id and len(world.posts.items) == 1


def test_a_crash_before_resolving_the_mention_is_finished_by_the_retry(world: World) -> None:
    world.suggestions.mentions["m1"] = mention("m1")
    world.suggestions.fail_resolving = 1
    with pytest.raises(TimeoutError):
        world.service.accept_suggestion(ED, "m1", AcceptRequest())
    assert world.suggestions.mentions["m1"].status == "new" and len(world.posts.items) == 1
    with pytest.raises(Conflict, match="accepted already"):
        world.service.accept_suggestion(ED, "m1", AcceptRequest())
    assert world.suggestions.mentions["m1"].status == "resolved" and len(world.posts.items) == 1
    assert world.counts("post_edited") == {"p-ed": 1}


@pytest.mark.parametrize("record", [mention("m2", intent="complaint", teams=("care",)), mention("m3", status="ignored"),
                                    mention("m4", teams=("pr",))])
def test_only_open_praise_for_marketing_is_a_suggestion(world: World, record: MentionRecord) -> None:
    world.suggestions.mentions[record.id] = record
    with pytest.raises(Conflict, match="suggestions"):
        world.service.accept_suggestion(ED, record.id, AcceptRequest())
    assert world.posts.items == {}


# ---------------------------------------------------------------------------------------------------- pre-share check
def test_the_check_knows_consenting_ambassadors_outside_people_and_competitors(world: World) -> None:
    with pytest.raises(Forbidden):
        world.service.set_lists(CARA, PrecheckLists())
    lists = world.service.set_lists(ED, PrecheckLists(named=["Anna de Vries", "@kees"], competitors=["Jumbo"]))
    assert lists.updated_by == "ed" and world.service.get_lists().named == ["Anna de Vries", "@kees"]
    text = "Cara Jansen, @cara@social.example, Anna de Vries en @kees bij Jumbo; Carl de Boer en @carl niet."
    assert [(f.kind, f.text) for f in world.service.precheck(text)] == [
        ("competitor", "Jumbo"), ("name", "Carl de Boer"), ("handle", "@carl")]


# ---------------------------------------------------------------------------------------------------- privacy
def test_export_and_erase_of_a_creators_content(world: World) -> None:
    privacy = SubmissionsPersonalData(world.submissions, world.uploads, world.media, world.posts)
    accepted, waiting = world.submitted(CARA), world.submitted(CARA, "nog een verhaal")
    _, post, _ = world.service.accept(ED, accepted.id, AcceptRequest())
    pending = world.uploaded(CARA, "never-submitted.jpg")
    carls = world.submitted(CARL)
    exported = privacy.export("p-cara")
    assert sorted(e["id"] for e in exported if e["kind"] == "submission") == sorted([accepted.id, waiting.id])
    assert [e["key"] for e in exported if e["kind"] == "upload"] == [pending]

    assert privacy.erase("p-cara", world.now) == 3
    assert pending not in world.media.objects and world.uploads.of_person("p-cara") == []
    assert world.submissions.items[accepted.id].creator is None and world.submissions.items[waiting.id].creator is None
    assert world.submissions.items[accepted.id].text == accepted.text  # the content stays the organisation's
    source = source_of(world.posts.items[post.id])
    assert source.creator is None and source.id == accepted.id
    assert privacy.export("p-cara") == [] and privacy.erase("p-cara", world.now) == 0
    assert world.submissions.items[carls.id].creator == "p-carl"
    assert world.counts("submission_made") == {"p-cara": 2, "p-carl": 1}  # anonymous counts stay


# ---------------------------------------------------------------------------------------------------- racing editors
class EditorsRace(RuleBasedStateMachine):
    """Editors accept, decline and retry in any order, some requests crash after their decision is stored: each
    submission is decided once, becomes at most one post, and every count is there exactly once."""

    def __init__(self) -> None:
        super().__init__()
        self.world = World()
        self.ids: list[str] = []

    @rule(creator=st.sampled_from([CARA, CARL]))
    def submit(self, creator: Principal) -> None:
        self.ids.append(self.world.submitted(creator, media=0).id)

    @rule(editor=st.sampled_from([ED, EVA, MIA]), pick=st.integers(0, 20), crash=st.booleans(), decline=st.booleans())
    def decide(self, editor: Principal, pick: int, crash: bool, decline: bool) -> None:
        if not self.ids:
            return
        submission_id = self.ids[pick % len(self.ids)]
        before = self.world.submissions.items[submission_id]
        real_record = self.world.ledger.record
        if crash:
            self.world.ledger.record = ledger_down  # type: ignore[method-assign]  # the ledger fails
        try:
            if decline:
                self.world.service.decline(editor, submission_id, "no")
            else:
                self.world.service.accept(editor, submission_id, AcceptRequest())
            assert before.status == "submitted"
        except Conflict:
            assert before.status != "submitted"
        except TimeoutError:
            assert crash and not decline
        finally:
            self.world.ledger.record = real_record  # type: ignore[method-assign]  # the fake's own record again

    @invariant()
    def decided_once_and_counted_once(self) -> None:
        submissions = self.world.submissions.items.values()
        accepted = [s for s in submissions if s.status == "accepted"]
        assert sorted(source_of(p).id for p in self.world.posts.items.values()) == sorted(s.id for s in accepted)
        for s in accepted:
            assert s.post_id is not None
            assert source_of(self.world.posts.items[s.post_id]).creator == s.creator
        counted = self.world.counts("submission_accepted")
        for person in ("p-cara", "p-carl"):
            assert counted.get(person, 0) <= sum(1 for s in accepted if s.creator == person)
        assert sum(self.world.counts("post_edited").values()) <= len(accepted)

    def teardown(self) -> None:
        # Whatever crashed, one more try of every accept leaves every acceptance counted.
        for submission_id in self.ids:
            try:
                self.world.service.accept(ED, submission_id, AcceptRequest())
            except Conflict:
                pass
        accepted = [s for s in self.world.submissions.items.values() if s.status == "accepted"]
        assert sum(self.world.counts("submission_accepted").values()) == len(accepted)
        assert sum(self.world.counts("post_edited").values()) == len(accepted)


TestEditorsRace = EditorsRace.TestCase
TestEditorsRace.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
