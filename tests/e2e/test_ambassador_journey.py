"""End to end, the ambassador programme as new users would try it over HTTP against the `make run` stack (issue 5,
"Done when"): a creator submits a photo with a story, an editor turns it into a post and offers it, a publisher
opens the pool, a stranger clicks their tracked link, they report their share and an editor confirms it, and the
engagement report shows it all; a person who has not acknowledged the policy is offered nothing, and the roles hold on
the way.

The demo users (`chorus token ROLE`: demo-<role>) play the roles; two more people are signed up in the local user
pool the way the README says for AWS (admin-create-user, a group): a second publisher and a second creator."""
from __future__ import annotations

import json
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypedDict
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
import requests

if TYPE_CHECKING:
    from tests.e2e.conftest import Running

pytestmark = pytest.mark.e2e

POLICY = "2026-1"
PAGE = "https://www.example.org/nieuws/bomenplantdag"
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
# The report's period as query parameters (`from` is a keyword, so they are passed as a dict).
Period = TypedDict("Period", {"from": str, "to": str})
CARD_BOT = "Mastodon/4.3.0 (http.rb/5.2.0; +https://social.example/)"  # a server fetching the link to draw a card
COUNTERS = ("submissions_made", "submissions_accepted", "posts_edited", "offers_received", "shares", "clicks")


def tiny_jpeg() -> bytes:
    """A complete baseline JPEG of one grey pixel: JFIF header, a flat quantisation table, one-symbol Huffman tables
    (DC difference 0, end of block) and the two coded bits of its one block."""
    quantisation = b"\xff\xdb\x00\x43\x00" + b"\x01" * 64
    frame = b"\xff\xc0\x00\x0b\x08\x00\x01\x00\x01\x01\x01\x11\x00"  # 8 bit, 1 x 1, one component
    one_code = b"\x01" + b"\x00" * 15 + b"\x00"  # one code of length 1, for the symbol 0
    huffman = b"\xff\xc4\x00\x14\x00" + one_code + b"\xff\xc4\x00\x14\x10" + one_code
    scan = b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00" + b"\x3f"  # bits 00 (DC 0, EOB), padded with ones
    jfif = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + jfif + quantisation + frame + huffman + scan + b"\xff\xd9"


class Client:
    """One signed-in person: JSON calls with their bearer token; an unexpected status fails with the answer."""

    def __init__(self, running: Running, token: str, name: str) -> None:
        self.running, self.name = running, name
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: dict[str, Any] | None = None, expect: int = 200,
             **params: str) -> Any:
        answer = self.http.request(method, self.running.url + path, json=body, params=params or None, timeout=30)
        assert answer.status_code == expect, f"{self.name} {method} {path}: {answer.status_code} {answer.text}"
        if expect >= 400:
            assert set(answer.json()["error"]) >= {"code", "message"}, answer.text
        return answer.json() if answer.content else None


def sign_up(running: Running, username: str, group: str) -> str:
    """A new user in the local pool, as `aws cognito-idp admin-create-user` does on AWS; answers their access token."""
    state = json.loads(next(running.state_dir.glob("local-*.json")).read_text())
    cognito = boto3.client("cognito-idp", region_name=state["region"], endpoint_url=state["aws_endpoint"],
                           aws_access_key_id="local", aws_secret_access_key="local")
    password = f"Journey-{secrets.token_urlsafe(9)}-7b"
    cognito.admin_create_user(UserPoolId=state["user_pool_id"], Username=username, MessageAction="SUPPRESS",
                              UserAttributes=[{"Name": "email", "Value": f"{username}@example.org"}])
    cognito.admin_set_user_password(UserPoolId=state["user_pool_id"], Username=username, Password=password,
                                    Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=state["user_pool_id"], Username=username, GroupName=group)
    signed_in = cognito.initiate_auth(ClientId=state["client_id"], AuthFlow="USER_PASSWORD_AUTH",
                                      AuthParameters={"USERNAME": username, "PASSWORD": password})
    return signed_in["AuthenticationResult"]["AccessToken"]


def profile(master: Client, body: dict[str, Any]) -> dict[str, Any]:
    """The master adds the person; when `make run` seeded them already (409), the master gives them the role."""
    answer = master.http.post(master.running.url + "/ambassadors", json=body, timeout=30)
    if answer.status_code == 201:
        return answer.json()
    assert answer.status_code == 409, answer.text
    people = master.call("GET", "/ambassadors", limit="100")["items"]
    existing = next(p for p in people if p["username"] == body["username"])
    roles = sorted(set(existing["roles"]) | set(body["roles"]))
    return master.call("PUT", f"/ambassadors/{existing['id']}", {"roles": roles})


def day_report(reader: Client, day: str) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """One day's rows per person, and who is inactive."""
    period: Period = {"from": day, "to": (date.fromisoformat(day) + timedelta(days=1)).isoformat()}  # to: not in
    report = reader.call("GET", "/reports/engagement", by="person", **period)
    return {row["key"]: row for row in report["rows"]}, {person["id"] for person in report["inactive"]}


def gained(after: dict[str, Any], before: dict[str, Any] | None, counter: str) -> int:
    return after[counter] - (before or {}).get(counter, 0)


def test_a_photo_goes_from_creator_to_publisher_and_every_step_is_counted(running: Running) -> None:
    started = time.monotonic()
    suffix = secrets.token_hex(3)
    with ThreadPoolExecutor() as signing_in:  # each `chorus token` is a process of its own
        tokens = {role: signing_in.submit(running.token, role) for role in ("master", "editor", "creator", "publisher")}
        hesitant_token = signing_in.submit(sign_up, running, f"journey-publisher-{suffix}", "publisher")
        other_creator_token = signing_in.submit(sign_up, running, f"journey-creator-{suffix}", "creator")
        master, editor, creator, publisher = (Client(running, tokens[role].result(), role) for role in tokens)
        hesitant = Client(running, hesitant_token.result(), "second publisher")
        other_creator = Client(running, other_creator_token.result(), "second creator")
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    before, _ = day_report(master, today)  # the demo's and other tests' counts of today stay out of the sums below

    # 1. The master adds the people and publishes the policy.
    cas = profile(master, {"username": "demo-creator", "name": "Cas Maker", "email": "cas@example.org",
                           "team": "communicatie", "roles": ["creator"]})
    creator_id = cas["id"]
    editor_id = profile(master, {"username": "demo-editor", "name": "Eva Redactie", "email": "eva@example.org",
                                 "team": "communicatie", "roles": ["editor"]})["id"]
    added = profile(master, {"username": "demo-publisher", "name": "Ann de Vries", "email": "ann@example.org",
                             "team": "sales", "roles": ["publisher"],
                             "platforms": {"mastodon": "https://social.example/@ann", "bluesky": "@ann.bsky.social"}})
    publisher_id = added["id"]
    hesitant_id = profile(master, {"username": f"journey-publisher-{suffix}", "name": "Hugo Twijfel",
                                   "email": "hugo@example.org", "team": "sales", "roles": ["publisher"]})["id"]
    other_creator_id = profile(master, {"username": f"journey-creator-{suffix}", "name": "Olga Fotograaf",
                                        "team": "hr", "roles": ["creator"]})["id"]
    current = master.http.get(running.url + "/policy", timeout=30)  # 404 until a first version is published
    fresh_policy = current.status_code == 404 or current.json()["version"] != POLICY
    if fresh_policy:
        master.call("POST", "/policy", {"version": POLICY, "summary": "Say you work here; never share customer data.",
                                        "url": "https://intranet.example/social-policy"}, expect=201)
    assert master.call("GET", "/policy")["version"] == POLICY

    publisher.call("GET", "/ambassadors", expect=403)  # only masters list people
    creator.call("GET", f"/ambassadors/{publisher_id}", expect=403)  # nor see someone else's profile

    # 2. Taking part is the person's own doing: the publisher opts in and acknowledges; the second one only opts in.
    handles = {"mastodon": "@ann@social.example", "bluesky": "ann.bsky.social"}  # as typed or pasted, normalised
    if added["platforms"] != handles:  # a profile `make run` seeded: she adds her handles herself
        added = publisher.call("PUT", "/ambassadors/me", {"platforms": handles})
    assert added["platforms"] == handles
    opted_in = publisher.call("POST", "/ambassadors/me/opt-in")
    assert opted_in["opted_in"] is True and (opted_in["receives_offers"] is False or not fresh_policy)
    me = publisher.call("POST", "/ambassadors/me/acknowledge-policy", {"version": POLICY})
    assert (me["receives_offers"], me["waiting_for"], me["policy_version"]) == (True, [], POLICY)
    hugo = hesitant.call("POST", "/ambassadors/me/opt-in")
    assert hugo["opted_in"] is True and hugo["receives_offers"] is False
    assert any(POLICY in reason for reason in hugo["waiting_for"]), hugo["waiting_for"]

    # 3. The creator uploads a photo straight to S3 with the presigned POST and submits it with a story.
    photo = tiny_jpeg()
    ticket = creator.call("POST", "/content/uploads", {"filename": "bomenplantdag.jpg", "content_type": "image/jpeg",
                                                       "size": len(photo)}, expect=201)
    stored = requests.post(ticket["url"], data=ticket["fields"],
                           files={"file": ("bomenplantdag.jpg", photo, "image/jpeg")}, timeout=30)
    assert stored.status_code in (200, 201, 204), stored.text
    story = "Vandaag plantten we met z'n allen 200 bomen langs de Vecht. Wat een dag!"
    alt = "Collega's met schoppen bij een rij jonge bomen langs de Vecht"  # alt text: the post needs it to be approved
    submission = creator.call("POST", "/content", {"text": story, "tags": ["duurzaam", "team"],
                                                   "pillar": "behind-the-scenes",
                                                   "media": [{"key": ticket["key"], "alt": alt}]}, expect=201)
    assert (submission["status"], submission["creator"]) == ("submitted", creator_id)
    assert [(m["content_type"], m["size"], m["alt"]) for m in submission["media"]] == [("image/jpeg", len(photo), alt)]
    forged = creator.call("POST", "/content/uploads", {"filename": "echt.jpg", "content_type": "image/jpeg",
                                                       "size": 20}, expect=201)
    stored = requests.post(forged["url"], data=forged["fields"],
                           files={"file": ("echt.jpg", b"<html>not a photo</html>", "image/jpeg")}, timeout=30)
    assert stored.status_code in (200, 201, 204), stored.text  # S3 takes any bytes; Chorus looks at them
    refused = creator.http.post(running.url + "/content", json={"text": "Nep", "pillar": "news",
                                                                "media": [forged["key"]]}, timeout=30)
    assert (refused.status_code, refused.json()["error"]["field"]) == (400, "media.0"), refused.text

    # ... and the creators keep to their own submissions.
    theirs = other_creator.call("POST", "/content", {"text": "Onze nieuwe collega's op hun eerste dag.",
                                                     "pillar": "milestone"}, expect=201)
    creator.call("GET", f"/content/{theirs['id']}", expect=403)
    creator.call("GET", "/content", creator=other_creator_id, expect=403)
    own = [s["id"] for s in creator.call("GET", "/content")["items"]]
    assert submission["id"] in own and theirs["id"] not in own
    assert other_creator.call("GET", f"/content/{theirs['id']}")["id"] == theirs["id"]

    # 4. The editor finds it in the queue with its photo, turns it into a post, walks the workflow and offers it.
    queue = editor.call("GET", "/content/queue", limit="100")
    queued = next(s for s in queue["items"] if s["id"] == submission["id"])
    assert queued["creator_name"] == cas["name"] and queued["tags"] == ["duurzaam", "team"]
    fetched = requests.get(queued["media"][0]["url"], timeout=30)
    assert (fetched.status_code, fetched.content) == (200, photo)
    creator.call("GET", "/content/queue", expect=403)
    accepted = editor.call("POST", f"/content/{submission['id']}/accept",
                           {"text": "200 nieuwe bomen langs de Vecht, geplant door ons eigen team!",
                            "channels": ["demo-local"]}, expect=201)
    post = accepted["post"]
    assert post["status"] == "draft"
    assert post["source"] == {"kind": "content", "id": submission["id"], "creator": creator_id}
    editor.call("POST", f"/content/{submission['id']}/accept", {"channels": ["demo-local"]}, expect=409)
    decided = creator.call("GET", f"/content/{submission['id']}")
    assert (decided["status"], decided["post_id"]) == ("accepted", post["id"])
    assert submission["id"] not in [s["id"] for s in editor.call("GET", "/content/queue", limit="100")["items"]]

    editor.call("POST", f"/posts/{post['id']}/submit")
    publisher.call("POST", f"/posts/{post['id']}/approve", expect=403)  # a publisher cannot approve
    creator.call("POST", f"/posts/{post['id']}/approve", expect=403)
    publisher.call("POST", "/pool", {"post_id": post["id"], "url": PAGE}, expect=403)  # nor offer
    editor.call("POST", "/pool", {"post_id": post["id"], "url": PAGE}, expect=409)  # not approved yet
    assert editor.call("POST", f"/posts/{post['id']}/approve")["post"]["status"] == "approved"
    when = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    scheduled = editor.call("POST", f"/posts/{post['id']}/schedule", {"publish_at": when.isoformat()})
    assert scheduled["post"]["status"] == "scheduled"
    mastodon_text = "Wij plantten 200 bomen langs de Vecht. Kijk maar!"
    offer = editor.call("POST", "/pool", {"post_id": post["id"], "url": PAGE, "texts": {"mastodon": mastodon_text}},
                        expect=201)
    assert offer["url"] == PAGE and offer["texts"]["mastodon"] == mastodon_text
    assert offer["texts"]["x"] == post["text"]
    if fresh_policy:  # nobody but the publisher acknowledged the version published above
        assert offer["recipients"] == 1, offer

    # 5. The publisher's pool holds it with personal links; the one who did not acknowledge sees nothing.
    pool = publisher.call("GET", "/pool")
    entry = next(e for e in pool["items"] if e["offer"]["id"] == offer["id"])
    links, intents = entry["links"], entry["share"]
    assert set(links) >= {"x", "linkedin", "bluesky", "mastodon", "facebook", "chorus"}, links
    assert all(link.startswith(running.url + "/r/") for link in links.values()), links
    assert intents["mastodon"].startswith("https://social.example/share?text=")  # on her own instance
    assert links["mastodon"] in parse_qs(urlsplit(intents["mastodon"]).query)["text"][0]
    assert intents["bluesky"].startswith("https://bsky.app/intent/compose?")
    nothing = hesitant.call("GET", "/pool")
    assert nothing["items"] == [] and POLICY in nothing["notice"], nothing
    hesitant.call("GET", f"/pool/{offer['id']}", expect=403)
    creator.call("GET", "/pool", expect=403)

    # 6. A stranger's browser follows her Mastodon link: a click, and the page with UTM parameters.
    link = links["mastodon"]
    card = requests.get(link, headers={"User-Agent": CARD_BOT}, allow_redirects=False, timeout=30)
    assert card.status_code == 302  # the card-drawing server gets the page too, but is no click
    click = requests.get(link, headers={"User-Agent": BROWSER}, allow_redirects=False, timeout=30)
    assert click.status_code == 302, click.text
    target = urlsplit(click.headers["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == PAGE
    assert parse_qs(target.query) == {"utm_source": ["mastodon"], "utm_medium": ["ambassador"],
                                      "utm_campaign": [offer["campaign"]]}
    assert requests.get(running.url + "/r/AAAAAAAAAm", headers={"User-Agent": BROWSER}, allow_redirects=False,
                        timeout=30).status_code == 404

    # 7. She reports her toot; reporting it again (another spelling of the same URL) is the same share. Chorus cannot
    # read social.example from here, so it stays claimed (counting nothing) until an editor confirms it, once.
    toot = f"https://social.example/@ann/{113_000_000_000_000_000 + int(suffix, 16)}"  # a post shares one offer
    share = publisher.call("POST", "/shares", {"offer_id": offer["id"], "url": toot}, expect=201)
    assert (share["platform"], share["person"], share["found_by"], share["status"]) == (
        "mastodon", publisher_id, "publisher", "claimed")
    again = publisher.call("POST", "/shares", {"offer_id": offer["id"], "url": toot + "/?utm_source=mastodon"})
    assert again["id"] == share["id"]
    hesitant.call("POST", "/shares", {"offer_id": offer["id"], "url": "https://social.example/@hugo/1"}, expect=404)
    publisher.call("POST", f"/shares/{share['id']}/confirm", expect=403)  # nobody confirms their own
    assert editor.call("POST", f"/shares/{share['id']}/confirm")["status"] == "verified"

    # 8. The master's report of today: every step above, once.
    publisher.call("GET", "/reports/engagement", expect=403)
    after, inactive = day_report(master, today)
    assert {creator_id, editor_id, publisher_id, hesitant_id, other_creator_id} <= set(after)
    expected = {
        creator_id: {"submissions_made": 1, "submissions_accepted": 1},
        other_creator_id: {"submissions_made": 1},
        editor_id: {"posts_edited": 1},
        publisher_id: {"offers_received": 1, "shares": 1, "clicks": 1},
        hesitant_id: {},
    }
    for person, counts in expected.items():
        found = {counter: gained(after[person], before.get(person), counter) for counter in COUNTERS}
        assert found == {counter: counts.get(counter, 0) for counter in COUNTERS}, (after[person]["name"], found)
    ann, ann_before = after[publisher_id], before.get(publisher_id) or {}
    assert ann["shares_by_channel"].get("mastodon", 0) - ann_before.get("shares_by_channel", {}).get("mastodon", 0) == 1
    assert after[hesitant_id]["offers_received"] == 0
    # all of them did something of their own, except the second publisher, whom the programme does not count on yet
    assert not {creator_id, other_creator_id, editor_id, publisher_id, hesitant_id} & inactive
    print(f"journey over HTTP in {time.monotonic() - started:.1f} s")
