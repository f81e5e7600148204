"""Listening end to end on moto: POST /mentions -> ingest queue -> process_mentions handler -> SNS with message
attributes -> per-subscriber SQS queues with the subscriptions' filter policies -> GET /mailbox."""
from __future__ import annotations

import json

import boto3

from chorus.local.scheduler import LambdaContext
from tests.integration.conftest import REGION, Api, Stack

DUTCH_COMPLAINT = "Al drie dagen geen internet en de klantenservice neemt niet op. Echt schandalig slecht @Ziggo"




def drain_ingest_queue(stack: Stack) -> dict[str, list[str]]:
    """What Lambda's SQS event source does: receive a batch, invoke the handler, delete what succeeded."""
    from functions.process_mentions.handler import handler

    sqs = boto3.client("sqs", region_name=REGION)
    url = stack.environment["CHORUS_INGEST_QUEUE_URL"]
    failures: list[str] = []
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return {"failures": failures}
        event = {"Records": [{"messageId": m["MessageId"], "receiptHandle": m["ReceiptHandle"], "body": m["Body"],
                              "attributes": {}, "messageAttributes": {}, "md5OfBody": m["MD5OfBody"],
                              "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:ingest",
                              "awsRegion": REGION} for m in messages]}
        result = handler(event, LambdaContext("ProcessMentionsFunction"))
        failed = {str(f["itemIdentifier"]) for f in result["batchItemFailures"]}  # for SQS, the message id
        failures.extend(failed)
        for message in messages:
            if message["MessageId"] not in failed:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        if failed:
            return {"failures": failures}


def test_a_dutch_complaint_reaches_care_once_and_a_large_audience_reaches_pr(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    master, care, publisher = stack.user("master"), stack.user("care"), stack.user("publisher")
    for body in ({"name": "Care desk", "team": "care", "protocol": "email", "endpoint": "care@example.org"},
                 {"name": "PR duty", "team": "pr", "protocol": "email", "endpoint": "pr@example.org"},
                 {"name": "PR phone", "team": "pr", "protocol": "sms", "endpoint": "+31612345678"}):
        status, created = api.call("POST", "/subscriptions", master, body)
        assert status == 201, created

    mention = {"platform": "x", "id": "1850000000000000001", "text": DUTCH_COMPLAINT,
               "author": {"handle": "klant123", "followers": 85}, "url": "https://x.com/klant123/status/1850000000000000001"}
    status, queued = api.call("POST", "/mentions", publisher, {**mention, "forwarded_by": "ellen"})
    assert status == 202 and queued["status"] == "queued"
    assert api.call("POST", "/mentions", care, mention)[0] == 202  # the same post again, from another tool
    assert drain_ingest_queue(stack) == {"failures": []}

    status, box = api.call("GET", "/mailbox", care)
    assert status == 200
    assert [(e["subscriber"], e["protocol"], e["attributes"]["team"]) for e in box["items"]] == [
        ("Care desk", "email", "care")]
    assert "schandalig" in box["items"][0]["text"] and box["items"][0]["attributes"]["language"] == "nl"

    famous = {"platform": "x", "id": "1850000000000000002",
              "text": "Mijn pakket is al twee weken zoek en niemand helpt me. "
                      "Nooit meer bestellen bij @Webshop, wat een waardeloze service",
              "author": {"handle": "bekendeNL", "followers": 420_000}}
    assert api.call("POST", "/mentions", care, famous)[0] == 202
    assert drain_ingest_queue(stack) == {"failures": []}
    status, box = api.call("GET", "/mailbox", care)
    received = sorted((e["subscriber"], e["protocol"]) for e in box["items"])
    assert received == [("Care desk", "email"), ("Care desk", "email"), ("PR duty", "email"), ("PR phone", "sms")]

    status, page = api.call("GET", "/mentions?intent=complaint&team=pr", care)
    assert status == 200 and [m["author_handle"] for m in page["items"]] == ["bekendeNL"]
    status, alerts = api.call("GET", "/alerts", care)
    assert sorted(a["team"] for a in alerts["items"]) == ["care", "care", "pr"]
    status, acked = api.call("POST", f"/alerts/{alerts['items'][0]['id']}/ack", care)
    assert status == 200 and acked["acknowledged_by"]


def test_bad_input_is_a_clear_400_and_roles_are_enforced(listening: tuple[Stack, Api]) -> None:
    stack, api = listening
    master, publisher = stack.user("master"), stack.user("publisher")
    status, error = api.call("POST", "/mentions", publisher, {"platform": "x", "id": "1"})
    assert status == 400 and "text" in json.dumps(error)
    status, error = api.call("POST", "/subscriptions", master,
                             {"name": "x", "team": "care", "protocol": "sms", "endpoint": "+31612345678",
                              "min_severity": "low"})
    assert status == 400 and "SMS is only for high severity" in json.dumps(error)
    assert api.call("GET", "/mentions", publisher)[0] == 403
    assert api.call("POST", "/subscriptions", publisher, {"name": "x", "team": "care", "protocol": "email",
                                                          "endpoint": "a@b.nl"})[0] == 403
    status, rules = api.call("GET", "/routing-rules", master)
    assert status == 200 and rules["rules"][0]["intent"] == "complaint"
    rules["escalation"]["min_followers"] = 500
    status, saved = api.call("PUT", "/routing-rules", master, rules)
    assert status == 200 and saved["escalation"]["min_followers"] == 500
    assert api.call("PUT", "/routing-rules", master, {"rules": [{"intent": "nonsense", "team": "care"}]})[0] == 400


SARCASM = "Oh great, the bin collection skipped our street AGAIN. Fantastic service… 🙄"
PRAISE = "Wat een fijne en snelle hulp van jullie medewerker vandaag, dank je wel! 😊"
ARABIC_COMPLAINT = "الخدمة سيئة جدا ولا أحد يرد على الهاتف منذ ثلاثة أيام"


def test_sarcasm_is_not_offered_as_content_and_other_languages_reach_care(listening: tuple[Stack, Api]) -> None:
    """Issue 11, items 11 and 22, with the committed classifier: it reads the English sarcasm as praise; the signs of
    irony keep it out of the editors' suggestions and take it to care; an Arabic complaint reaches care too."""
    stack, api = listening
    master, care, editor = stack.user("master"), stack.user("care"), stack.user("editor")
    assert api.call("POST", "/subscriptions", master, {"name": "Care desk", "team": "care", "protocol": "email",
                                                       "endpoint": "care@example.org", "language": "en"})[0] == 201
    ids = {}
    for number, text in enumerate((SARCASM, PRAISE, ARABIC_COMPLAINT)):
        status, queued = api.call("POST", "/mentions", care, {"platform": "x", "id": f"18500000000000001{number}",
                                                              "text": text, "author": {"handle": f"klant{number}"}})
        assert status == 202, queued
        ids[text] = queued["id"]
    assert drain_ingest_queue(stack) == {"failures": []}

    sarcasm, praise, arabic = (api.call("GET", f"/mentions/{ids[text]}", care)[1]
                               for text in (SARCASM, PRAISE, ARABIC_COMPLAINT))
    assert (sarcasm["intent"], sarcasm["teams"]) == ("praise", ["marketing", "care"])
    assert (praise["intent"], praise["teams"]) == ("praise", ["marketing"])
    assert (arabic["language"], arabic["detected_language"], arabic["teams"]) == ("other", "ar", ["care"])

    status, queue = api.call("GET", "/content/queue", editor)
    assert status == 200 and [s["mention_id"] for s in queue["suggestions"]] == [praise["id"]]
    status, error = api.call("POST", f"/content/suggestions/{sarcasm['id']}/accept", editor,
                             {"channels": ["x-main"]})
    assert status == 409, error

    box = api.call("GET", "/mailbox", care)[1]["items"]
    subjects = sorted(e["subject"] for e in box)
    assert subjects == ["[care medium] other (ar) on x by @klant2", "[care medium] praise (en) on x by @klant0"]
    assert "signs of irony" in next(e["text"] for e in box if "klant0" in e["subject"])
