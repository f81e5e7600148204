"""The inbox on moto through the API: filtered, paged listing over the `by_status` index (Query only), assignment,
statuses and notes with optimistic locking, and replies that go out through the publisher exactly once."""
from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from chorus import container
from chorus.aws.cursors import encode_cursor
from chorus.calendar import rules as post_rules
from chorus.calendar.schemas import ChannelCreate, Platform, ReplyTarget
from chorus.calendar.store import PostRepository
from chorus.core import time as timing
from chorus.core.errors import Conflict
from chorus.core.roles import Principal
from chorus.inbox.store import InboxReader, ReplyTransactions
from chorus.listening.schemas import MentionRecord
from chorus.listening.store import AlertRepository, MentionRepository
from chorus.local.queues import QueuePoller, consumers_from_template
from chorus.local.scheduler import LambdaContext
from chorus.local.template import load_template
from chorus.platforms.local import LocalConnector, OutboxRepository
from tests.integration.conftest import REGION, Api, Stack
from tests.integration.listening.test_listening import drain_ingest_queue

Inbox = tuple[Stack, Api, MentionRepository]  # the inbox fixture
MASTER = Principal("mia", frozenset({"master"}))
NOW = datetime.now(UTC).replace(microsecond=0)


def record(number: int, *, status: str = "new", minutes_ago: int = 0, platform: str = "x",
           **fields: Any) -> MentionRecord:
    received = NOW - timedelta(minutes=minutes_ago)
    values: dict[str, Any] = dict(
        id=f"m{number:03d}", platform=platform, platform_id=f"{platform}-{number}", text=f"mention {number}",
        author_handle=f"author{number}", created_at=timing.iso_utc(received), received_at=timing.iso_utc(received),
        language="nl", intent="complaint", sentiment=-0.5, complaint_score=0.9, reach=10, facet="brand",
        conversation=f"c{number}", teams=["care"], status=status, routed=True,
        expires_at=int((received + timedelta(days=90)).timestamp()))
    if status == "assigned":
        values["assignee"] = "ann"
    values.update(fields)
    return MentionRecord.model_validate(values)


@pytest.fixture
def inbox(stack: Stack, api: Api) -> Iterator[Inbox]:
    container.inbox()  # binds the models to this stack's tables
    yield stack, api, MentionRepository()


def store(mentions: MentionRepository, *records: MentionRecord) -> None:
    for each in records:
        assert mentions.create(each) is not None


def ids(page: dict[str, Any]) -> list[str]:
    return [item["id"] for item in page["items"]]


def drain_publish_queue(stack: Stack) -> int:
    """What Lambda's SQS event source does for publish_post: until the queue is empty."""
    consumers = consumers_from_template(load_template(), stack.resources)
    (consumer,) = [c for c in consumers if c.name.startswith("PublishPost")]
    poller = QueuePoller([consumer], REGION)
    handled = 0
    while count := poller.poll_once(consumer):
        handled += count
    return handled


# ---------------------------------------------------------------------------------------------- listing
def test_the_default_inbox_merges_new_and_assigned_newest_first_across_pages(inbox: Inbox) -> None:
    stack, api, mentions = inbox
    viewer = stack.user("viewer")
    store(mentions, *[record(n, status=("new", "assigned", "resolved")[n % 3], minutes_ago=n) for n in range(1, 13)])
    open_ids = [f"m{n:03d}" for n in range(1, 13) if n % 3 != 2]  # newest (fewest minutes ago) first

    seen: list[str] = []
    cursor = None
    for _ in range(10):
        status, page = api.call("GET", "/mentions?limit=3" + (f"&cursor={cursor}" if cursor else ""), viewer)
        assert status == 200 and len(page["items"]) <= 3
        seen += ids(page)
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == open_ids
    everything = api.call("GET", "/mentions?status=all&limit=100", viewer)[1]["items"]
    assert {m["status"] for m in everything} == {"new", "assigned", "resolved"}
    status, oldest = api.call("GET", "/mentions?status=resolved&order=oldest", viewer)
    assert ids(oldest) == ["m011", "m008", "m005", "m002"]


def test_filters_and_the_time_window_narrow_the_inbox(inbox: Inbox) -> None:
    stack, api, mentions = inbox
    care = stack.user("care")
    store(mentions,
          record(1, minutes_ago=5, intent="praise", teams=["marketing"]),
          record(2, minutes_ago=10, teams=["care", "pr"], platform="mastodon", language="en"),
          record(3, minutes_ago=200, status="assigned", facet="employees"),
          record(4, minutes_ago=30, status="assigned", assignee="bob"))

    def query(q: str) -> list[str]:
        return ids(api.call("GET", f"/mentions?{q}", care)[1])

    assert query("intent=praise") == ["m001"]
    assert query("team=pr") == ["m002"]
    assert query("platform=mastodon&language=en") == ["m002"]
    assert query("facet=employees") == ["m003"]
    assert query("assignee=bob") == ["m004"]
    since = (NOW - timedelta(minutes=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    until = (NOW - timedelta(minutes=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert query(f"from={since}&to={until}") == ["m002", "m004"]
    assert query(f"from={since}") == ["m001", "m002", "m004"]
    exactly = (NOW - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M:%SZ")  # when m002 was received
    assert query(f"from={since}&to={exactly}") == ["m004"]  # `to` is not included
    assert query(f"from={exactly}&to={until}") == ["m002"]  # `from` is
    tomorrow, week_ago = (NOW + timedelta(days=2)).date(), (NOW - timedelta(days=7)).date()
    assert query(f"from={tomorrow}") == [] and query(f"from={week_ago}&to={tomorrow}") == ["m001", "m002", "m004",
                                                                                            "m003"]


@pytest.mark.parametrize("query, field", [
    ("status=closed", "status"), ("intent=rant", "intent"), ("team=sales", "team"), ("platform=myspace", "platform"),
    ("language=de", "language"), ("facet=weather", "facet"), ("colour=red", "colour"), ("cursor=nonsense", "cursor"),
    ("from=yesterday", "from"), ("from=2026-01-02T00:00Z&to=2026-01-01T00:00Z", "to"),
    ("from=2026-01-02&to=2026-01-02", "to"), ("to=1999-12-31", "to"), ("order=random", "order"),
    ("cursor=" + encode_cursor({"p": ["new"]}), "cursor"),
    ("cursor=" + encode_cursor({"p": {"new": "end"}}), "cursor"),  # a cursor of status=new, not of the open inbox
    ("cursor=" + encode_cursor({"p": {"new": {"id": {"N": "1"}, "status": {"S": "new"}, "received_at": {"S": "x"}},
                                      "assigned": "end"}}), "cursor"),
    ("cursor=" + encode_cursor({"p": {"new": {"id": {"S": "m1"}, "status": {"S": "resolved"},
                                              "received_at": {"S": "x"}},
                                      "assigned": "end"}}), "cursor"),
])
def test_unknown_filter_values_are_a_400_naming_the_filter(inbox: Inbox, query: str, field: str) -> None:
    stack, api, _ = inbox
    status, error = api.call("GET", f"/mentions?{query}", stack.user("care"))
    assert status == 400 and error["error"]["field"] == field


def test_a_selective_filter_reads_at_most_the_cap_per_page_and_the_cursor_finds_the_rest(inbox: Inbox) -> None:
    stack, api, mentions = inbox
    store(mentions, *[record(n, minutes_ago=n, intent="praise" if n in (7, 55) else "complaint") for n in range(1, 61)])
    reader = container.inbox().reads
    assert isinstance(reader, InboxReader)
    reader.max_read = 20
    found, reads, pages, cursor = [], [], 0, None
    while True:
        page = container.inbox().inbox("new", {"intent": "praise"}, None, None, False, 50, cursor)
        found += [m.id for m in page.items]
        reads.append(page.items_read)
        pages += 1
        cursor = page.next_cursor
        if not cursor:
            break
    assert found == ["m007", "m055"]
    assert max(reads) <= 20 and sum(reads) == 60 and pages == 3  # each item read once, over three short pages
    unfiltered = container.inbox().inbox("new", {}, None, None, False, 10, None)
    assert len(unfiltered.items) == 10 and unfiltered.items_read == 20  # the cap limits reading, not a full page


def test_paging_finds_every_match_once_whatever_the_page_size_and_read_cap(inbox: Inbox) -> None:
    _, _, mentions = inbox
    statuses = ("new", "assigned", "responded", "resolved", "ignored")
    store(mentions, *[record(n, status=statuses[n * 7 % 5], minutes_ago=n * 3 % 31,
                             intent=("praise", "complaint")[n % 3 > 0])
                      for n in range(1, 31)])
    stored = [m for m in (mentions.get(f"m{n:03d}", NOW) for n in range(1, 31)) if m]
    reader = container.inbox().reads
    assert isinstance(reader, InboxReader)
    cases = [("open", {}, False, 1, 500), ("all", {"intent": "complaint"}, True, 4, 7), ("all", {}, False, 7, 25),
             ("open", {}, True, 50, 3), ("all", {"intent": "complaint"}, False, 50, 3)]
    for status, filters, oldest_first, limit, max_read in cases:
        among = ("new", "assigned") if status == "open" else statuses
        matching = [m for m in stored if m.status in among and m.intent == filters.get("intent", m.intent)]
        expected = sorted(matching, key=lambda m: (m.received_at, m.id), reverse=not oldest_first)
        reader.max_read = max_read
        found: list[MentionRecord] = []
        cursor = None
        for _ in range(100):
            page = container.inbox().inbox(status, filters, None, None, oldest_first, limit, cursor)
            assert len(page.items) <= limit and page.items_read <= max(max_read, len(among))
            found += page.items
            cursor = page.next_cursor
            if not cursor:
                break
        case = (status, filters, limit, max_read)
        assert sorted(m.id for m in found) == sorted(m.id for m in expected), case  # each once
        # In order (equal times may swap).
        assert [m.received_at for m in found] == [m.received_at for m in expected], case


# ---------------------------------------------------------------------------------------------- working a mention
def test_assign_note_and_status_through_the_api(inbox: Inbox) -> None:
    stack, api, mentions = inbox
    care, viewer, publisher = stack.user("care", "carla"), stack.user("viewer"), stack.user("publisher")
    stack.user("care", "bob")
    store(mentions, record(1, minutes_ago=3))

    status, assigned = api.call("POST", "/mentions/m001/assign", care, {"assignee": "carla"})
    assert status == 200 and (assigned["status"], assigned["assignee"]) == ("assigned", "carla")
    status, noted = api.call("POST", "/mentions/m001/notes", care, {"text": "Klant heeft ook gebeld"})
    assert status == 201 and [(n["by"], n["text"]) for n in noted["notes"]] == [("carla", "Klant heeft ook gebeld")]
    status, answered = api.call("POST", "/mentions/m001/status", care, {"status": "responded"})
    waited = (datetime.now(UTC) - NOW).total_seconds() + 180  # received 3 minutes before NOW
    assert status == 200 and answered["status"] == "responded"
    assert 180 <= answered["first_response_seconds"] <= waited + 1
    status, error = api.call("POST", "/mentions/m001/status", care, {"status": "ignored"})
    assert status == 409 and error["error"]["details"]["allowed"] == ["resolved", "responded"]
    assert api.call("POST", "/mentions/m001/status", care, {"status": "resolved"})[0] == 200
    status, reopened = api.call("POST", "/mentions/m001/assign", care, {"assignee": "bob"})
    assert (status, reopened["status"], reopened["assignee"]) == (200, "assigned", "bob")
    assert reopened["first_response_at"] == answered["first_response_at"]  # never moves

    assert api.call("POST", "/mentions/m001/status", care, {"status": "assigned"})[0] == 400
    assert api.call("POST", "/mentions/m001/status", care, {"status": "resolved", "why": "x"})[0] == 400
    assert api.call("POST", "/mentions/m001/notes", care, {"text": "x" * 1001})[0] == 400
    assert api.call("POST", "/mentions/m001/assign", care, {"assignee": "two words"})[0] == 400
    assert api.call("POST", "/mentions/nope/assign", care, {"assignee": "bob"})[0] == 404
    assert api.call("POST", "/mentions/m001/notes", viewer, {"text": "mag niet"})[0] == 403
    assert api.call("GET", "/mentions/m001", publisher)[0] == 403
    status, one = api.call("GET", "/mentions/m001", viewer)
    assert status == 200 and len(one["notes"]) == 1


def test_concurrent_notes_are_all_kept(inbox: Inbox) -> None:
    _, _, mentions = inbox
    store(mentions, record(1))
    service = container.inbox()
    errors: list[BaseException] = []

    def note(n: int) -> None:
        try:
            service.add_note("m001", f"note {n}", Principal(f"user{n}", frozenset({"care"})))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=note, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    stored = mentions.get("m001", datetime.now(UTC))
    assert stored is not None and sorted(n.text for n in stored.notes) == [f"note {n}" for n in range(8)]


@contextmanager
def cognito_calls() -> Iterator[Counter[str]]:
    """Cognito requests by operation while the block runs."""
    from botocore.client import BaseClient

    counted: Counter[str] = Counter()
    original = BaseClient._make_api_call

    def counting(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name == "cognito-idp":
            counted[operation] += 1
        return original(client, operation, params)

    BaseClient._make_api_call = counting
    try:
        yield counted
    finally:
        BaseClient._make_api_call = original


# Issue 11, item 7: `POST /mentions/{id}/assign {"assignee": "iemand-die-niet-bestaat"}` answered 200.
def test_only_the_team_can_be_assigned_and_the_team_is_listed_with_its_open_mentions(inbox: Inbox) -> None:
    stack, api, mentions = inbox
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool = stack.environment["CHORUS_USER_POOL_ID"]
    care = stack.user("care", "carla")
    cognito.admin_update_user_attributes(UserPoolId=pool, Username="carla",
                                         UserAttributes=[{"Name": "name", "Value": "Carla de Vries"}])
    stack.user("pr", "piet")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="piet", GroupName="care")
    stack.user("viewer", "vera")
    stack.user("care", "weg")
    cognito.admin_disable_user(UserPoolId=pool, Username="weg")
    store(mentions, *(record(n, minutes_ago=n) for n in range(1, 5)))

    with cognito_calls() as first:
        status, team = api.call("GET", "/team", care)
    assert status == 200 and team["next_cursor"] is None
    assert [(m["username"], m["name"], m["roles"], m["open_mentions"]) for m in team["items"]] == [
        ("carla", "Carla de Vries", ["care"], 0), ("piet", None, ["care", "pr"], 0)]
    with cognito_calls() as assigning:
        for mention_id, who in (("m001", "me"), ("m002", "piet"), ("m003", "PIET")):
            status, assigned = api.call("POST", f"/mentions/{mention_id}/assign", care, {"assignee": who})
            assert status == 200, assigned
    for who in ("iemand-die-niet-bestaat", "vera", "weg"):  # unknown, a viewer, a disabled login
        status, error = api.call("POST", "/mentions/m004/assign", care, {"assignee": who})
        assert status == 400 and error["error"]["field"] == "assignee", error
        assert "does not work the inbox" in error["error"]["message"] and "GET /team" in error["error"]["message"]
    assert mentions.get("m004", NOW).status == "new"  # type: ignore[union-attr]  # stored above
    print(f"\nCognito calls: first GET /team {dict(first)}; three assigns within the minute {dict(assigning)}")
    assert dict(first) == {"ListUsersInGroup": 4} and dict(assigning) == {}

    team = api.call("GET", "/team", stack.user("viewer"))[1]
    assert {m["username"]: m["open_mentions"] for m in team["items"]} == {"carla": 1, "piet": 2}
    mine = api.call("GET", "/mentions?assignee=me", care)[1]
    assert ids(mine) == ["m001"]


# ---------------------------------------------------------------------------------------------- replies
@pytest.mark.parametrize("platform, channel_id", [("local", "demo-local"), ("mastodon", "mastodon-main")])
def test_a_reply_reaches_the_outbox_once_with_its_reply_target(inbox: Inbox, platform: Platform,
                                                               channel_id: str) -> None:
    stack, api, _ = inbox
    care, editor = stack.user("care"), stack.user("editor")
    container.calendar().create_channel(MASTER, ChannelCreate(id=channel_id, platform=platform, handle="@org"))
    # The Mastodon account is played by the local outbox: what the connector is asked to publish is what lands there.
    container.publishing().connectors = lambda channel: LocalConnector(channel.id)
    mention = {"platform": platform, "id": "110000000000000042", "text": "Mijn pakket is al een week zoek, schandalig!",
               "author": {"handle": "boos@elders.example", "followers": 12}}
    assert api.call("POST", "/mentions", care, mention)[0] == 202
    assert drain_ingest_queue(stack) == {"failures": []}
    (listed,) = api.call("GET", f"/mentions?platform={platform}", care)[1]["items"]

    reply = {"text": "Wat vervelend! We zoeken het uit."}
    status, first = api.call("POST", f"/mentions/{listed['id']}/reply", care, reply)
    assert status == 201 and (first["needs_approval"], first["post"]["status"]) == (False, "scheduled")
    assert (first["mention"]["status"], first["mention"]["first_response_seconds"]) == ("new", None)  # not yet
    assert [r["state"] for r in first["mention"]["our_replies"]] == ["sending"]
    status, again = api.call("POST", f"/mentions/{listed['id']}/reply", care, reply)
    assert status == 200 and again["post"]["id"] == first["post"]["id"]

    assert drain_publish_queue(stack) >= 1
    expected_text = ("@boos@elders.example " if platform == "mastodon" else "") + "Wat vervelend! We zoeken het uit."
    published = [(e.in_reply_to, e.text) for e in LocalConnector(channel_id).recent_posts()]
    assert published == [("110000000000000042", expected_text)]
    if platform == "local":
        outbox = api.call("GET", f"/channels/{channel_id}/outbox", editor)[1]["items"]
        assert [(e["in_reply_to"], e["text"]) for e in outbox] == published
    status, post = api.call("GET", f"/posts/{first['post']['id']}", editor)
    assert post["status"] == "published" and post["reply_to"]["mention_id"] == listed["id"]
    status, shown = api.call("GET", f"/mentions/{listed['id']}", care)
    assert [(r["post_id"], r["state"]) for r in shown["our_replies"]] == [(post["id"], "published")]
    assert shown["status"] == "responded" and shown["first_response_seconds"] is not None


def test_a_reply_to_a_pr_mention_waits_for_an_editor(inbox: Inbox) -> None:
    stack, api, mentions = inbox
    pr, editor = stack.user("pr"), stack.user("editor")
    container.calendar().create_channel(MASTER, ChannelCreate(id="demo-local", platform="local", handle="@org"))
    store(mentions, record(1, platform="local", teams=["care", "pr"], minutes_ago=2))

    status, made = api.call("POST", "/mentions/m001/reply", pr, {"text": "Wij nemen vandaag contact met u op."})
    assert status == 201 and (made["needs_approval"], made["post"]["status"]) == (True, "submitted")
    assert made["mention"]["status"] == "new" and made["mention"]["first_response_at"] is None
    assert drain_publish_queue(stack) == 0
    status, queue = api.call("GET", "/posts?status=submitted&kind=replies", editor)
    assert [p["id"] for p in queue["items"]] == [made["post"]["id"]]

    assert api.call("POST", f"/posts/{made['post']['id']}/approve", pr)[0] == 403
    status, approved = api.call("POST", f"/posts/{made['post']['id']}/approve", editor)
    assert status == 200
    assert api.call("GET", "/mentions/m001", pr)[1]["our_replies"][0]["state"] == "sending"
    assert drain_publish_queue(stack) == 1
    outbox = api.call("GET", "/channels/demo-local/outbox", editor)[1]["items"]
    assert [(e["in_reply_to"], e["text"]) for e in outbox] == [("local-1", "Wij nemen vandaag contact met u op.")]
    assert api.call("GET", "/mentions/m001", pr)[1]["status"] == "responded"


def test_replies_that_cannot_be_made_say_why(inbox: Inbox) -> None:
    stack, api, mentions = inbox
    care = stack.user("care")
    container.calendar().create_channel(MASTER, ChannelCreate(id="x-main", platform="x", handle="@org"))
    store(mentions, record(1, platform="rss"), record(2, platform="reddit"), record(3, platform="x"),
          record(4, platform="bluesky"), record(5, platform="x", status="resolved"))
    for mention_id, platform in (("m001", "rss"), ("m002", "reddit")):
        status, error = api.call("POST", f"/mentions/{mention_id}/reply", care, {"text": "Dank je"})
        assert status == 409 and f"cannot reply on {platform}" in error["error"]["message"]
    status, error = api.call("POST", "/mentions/m003/reply", care, {"text": "x" * 281})
    assert status == 400 and error["error"]["field"] == "text"
    status, error = api.call("POST", "/mentions/m004/reply", care, {"text": "Dank je"})
    assert status == 409 and "no bluesky channel" in error["error"]["message"]
    assert api.call("POST", "/mentions/m005/reply", care, {"text": "Dank je"})[0] == 409
    assert api.call("POST", "/mentions/m003/reply", care, {"text": "Dank je", "channel": "nope"})[0] == 400
    assert api.call("POST", "/mentions/m003/reply", stack.user("viewer"), {"text": "Dank je"})[0] == 403
    for status_name in ("submitted", "scheduled"):
        assert api.call("GET", f"/posts?status={status_name}", care)[1]["items"] == []
    assert all(not m.our_replies for m in (mentions.get(f"m00{n}", NOW) for n in range(1, 6)) if m)


def test_the_reply_transaction_writes_both_or_neither(inbox: Inbox) -> None:
    _, _, mentions = inbox
    store(mentions, record(1, platform="local"))
    stale = mentions.get("m001", NOW)
    assert stale is not None
    mentions.save(stale.model_copy(update={"assignee": "ann", "status": "assigned"}))  # someone else, meanwhile
    channel = container.calendar().create_channel(MASTER,
                                                  ChannelCreate(id="demo-local", platform="local", handle="@org"))
    target = ReplyTarget(mention_id="m001", platform_id="local-1", author_handle="author1")
    post = post_rules.reply("p1", "Hallo", channel, target, MASTER, NOW, None)
    writes = ReplyTransactions()
    with pytest.raises(Conflict):
        writes.create(post, stale.model_copy(update={"status": "responded"}))
    assert PostRepository().get("p1") is None  # the post was not written without its mention

    fresh = mentions.get("m001", NOW)
    assert fresh is not None
    created = writes.create(post, fresh.model_copy(update={"status": "responded"}))
    assert created is not None
    saved_post, saved_mention = created
    assert (saved_post.version, saved_mention.version) == (1, fresh.version + 1)
    assert writes.create(post, saved_mention) is None  # the same post again: it exists
    assert OutboxRepository().latest("demo-local", 5) == []  # nothing is published by storing


# Issue 11, items 2 and 3: a failed reply (no credentials on x-main) marked the mention responded and answered in the
# metrics; a resolved complaint still escalated to the care lead and to PR.
def test_a_failed_reply_stays_in_the_open_inbox_and_care_is_told(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    master, care = stack.user("master"), stack.user("care", "carla")
    assert api.call("POST", "/subscriptions", master, {"name": "Care desk", "team": "care", "protocol": "email",
                                                       "endpoint": "care@example.org"})[0] == 201
    container.calendar().create_channel(MASTER, ChannelCreate(id="x-main", platform="x", handle="@org"))  # no secret
    mention = {"platform": "x", "id": "1850000000000000031", "author": {"handle": "klant31"},
               "text": "Mijn pakket is al een week zoek, schandalig!"}
    assert api.call("POST", "/mentions", care, mention)[0] == 202
    assert drain_ingest_queue(stack) == {"failures": []}
    (listed,) = api.call("GET", "/mentions?platform=x", care)[1]["items"]
    assert api.call("POST", f"/mentions/{listed['id']}/assign", care, {"assignee": "carla"})[0] == 200
    assert api.call("POST", f"/mentions/{listed['id']}/reply", care, {"text": "Sorry! Stuur je ons een DM?"})[0] == 201
    assert drain_publish_queue(stack) == 1

    status, shown = api.call("GET", f"/mentions/{listed['id']}", care)
    assert (shown["status"], shown["assignee"], shown["first_response_seconds"]) == ("assigned", "carla", None)
    [reply] = shown["our_replies"]
    assert reply["state"] == "failed" and "no credentials stored for channel x-main" in reply["error"]
    assert [m["id"] for m in api.call("GET", "/mentions?assignee=carla", care)[1]["items"]] == [listed["id"]]
    box = api.call("GET", "/mailbox", care)[1]["items"]
    failure = [e for e in box if e["attributes"]["kind"] == "reply_failure"]
    assert [(e["subscriber"], e["subject"]) for e in failure] == [
        ("Care desk", "[care medium] reply to @klant31 on x not sent; assigned to carla")]
    assert "reconnect x-main" in failure[0]["text"] and failure[0]["attributes"]["assignee"] == "carla"
    alert = api.call("GET", "/alerts", care)[1]["items"][0]
    assert alert["status"] == "open"  # nobody was answered: the alert stands


def test_a_published_reply_or_a_resolution_ends_the_alert_and_nothing_escalates(listening: tuple[Stack, Api]) -> None:
    from functions.escalate_alerts.handler import handler

    stack, api = listening
    care, editor = stack.user("care", "carla"), stack.user("editor", "ed")
    container.calendar().create_channel(MASTER, ChannelCreate(id="demo-local", platform="local", handle="@org"))
    for number in (41, 42):
        mention = {"platform": "local", "id": f"{number}", "author": {"handle": f"klant{number}", "followers": 50_000},
                   "text": f"Mijn pakket {number} is al een week zoek en niemand helpt, schandalig!"}
        assert api.call("POST", "/mentions", care, mention)[0] == 202
    assert drain_ingest_queue(stack) == {"failures": []}
    answered, resolved = api.call("GET", "/mentions?platform=local&order=oldest", care)[1]["items"]
    # Routed to PR as well (50,000 followers): an editor's reply goes out without a second editor.
    assert api.call("POST", f"/mentions/{answered['id']}/reply", editor, {"text": "Sorry, we bellen je."})[0] == 201
    assert drain_publish_queue(stack) == 1
    assert api.call("POST", f"/mentions/{resolved['id']}/status", care, {"status": "resolved"})[0] == 200

    alerts = {(a["mention_id"], a["team"]): a for a in api.call("GET", "/alerts", care)[1]["items"]}
    assert {(m, team): (a["status"], a["acknowledged_by"], a["escalate_at"]) for (m, team), a in alerts.items()} == {
        (answered["id"], "care"): ("answered", "ed", None), (answered["id"], "pr"): ("answered", "ed", None),
        (resolved["id"], "care"): ("resolved", "carla", None), (resolved["id"], "pr"): ("resolved", "carla", None)}
    later = datetime.now(UTC) + timedelta(hours=3)
    assert AlertRepository().due_for_escalation(later, 10) == []  # out of the escalation index
    event = {"version": "0", "id": "e", "detail-type": "Scheduled Event", "source": "aws.events", "time": "",
             "region": REGION, "resources": [], "detail": {}}
    assert handler(event, LambdaContext("EscalateAlertsFunction")) == {"alerts_due": 0, "escalations_sent": 0}
