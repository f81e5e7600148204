"""The content pool on moto, through the API with real Cognito tokens (issue 5's "done when", from the offer on):
an editor offers an approved post, an eligible publisher sees it with personal links, someone who has not
acknowledged the policy sees nothing, a click on /r/{code} redirects with UTM parameters and counts once in the
ledger (a bot does not), a share confirmed twice counts once, and each publisher's notification reaches only them."""
from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from chorus.local.scheduler import LambdaContext
from functions.notify_offers.handler import handler as notify_offers
from tests.integration.advocacy.conftest import PAGE, Programme

EVENTS = Path(__file__).resolve().parents[3] / "events"


def test_the_offer_reaches_the_eligible_publisher_with_links_and_nothing_reaches_the_others(
        programme: Programme) -> None:
    offer = programme.offer(texts={"x": "Kom bij ons werken!"})
    assert (offer["recipients"], offer["texts"]["x"], offer["texts"]["linkedin"]) == (
        2, "Kom bij ons werken!", "Wij zoeken een collega in Utrecht!")
    status, pool = programme.api.call("GET", "/pool", programme.tokens["ann"])
    assert status == 200 and pool["notice"] is None and [e["offer"]["id"] for e in pool["items"]] == [offer["id"]]
    entry = pool["items"][0]
    assert set(entry["links"]) == {"x", "linkedin", "bluesky", "mastodon", "facebook", "chorus"}
    assert parse_qs(urlsplit(entry["share"]["x"]).query) == {"text": ["Kom bij ons werken!"],
                                                             "url": [entry["links"]["x"]]}
    assert entry["share"]["mastodon"].startswith("https://social.example/share?text=")
    status, nothing = programme.api.call("GET", "/pool", programme.tokens["bo"])
    assert (status, nothing["items"]) == (200, []) and "acknowledge the current policy" in nothing["notice"]
    assert programme.api.call("GET", f"/pool/{offer['id']}", programme.tokens["bo"])[0] == 403
    assert programme.counts("ann", "offer_received") == {"-": 1} and programme.counts("bo", "offer_received") == {}
    assert programme.api.call("GET", "/pool", programme.editor)[1]["items"][0]["offer"]["recipients"] == 2


def test_a_click_redirects_with_utm_and_counts_once_but_bots_and_heads_do_not(programme: Programme) -> None:
    offer = programme.offer()
    links = programme.api.call("GET", "/pool", programme.tokens["ann"])[1]["items"][0]["links"]
    response = programme.follow(links["linkedin"] + "?trk=public_post")  # platforms decorate links
    assert response.status_code == 302 and response.headers["Cache-Control"] == "no-store"
    location = urlsplit(response.headers["Location"])
    assert location.netloc == "www.example.org" and location.path == "/vacatures/42"
    assert parse_qs(location.query) == {"ref": ["site"], "utm_source": ["linkedin"], "utm_medium": ["ambassador"],
                                        "utm_campaign": [f"offer-{offer['id']}"]}
    for agent in ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)",
                  "http.rb/5.1.1 (Mastodon/4.2.8; +https://social.example/)", None):
        assert programme.follow(links["linkedin"], agent).status_code == 302
    assert programme.follow(links["linkedin"], method="HEAD").status_code == 302
    assert programme.counts("ann", "click") == {"linkedin": 1}
    programme.follow(links["chorus"])
    assert programme.counts("ann", "click") == {"linkedin": 1, "chorus": 1}


def test_an_unknown_link_is_a_404_page_or_json_and_counts_nothing(programme: Programme) -> None:
    programme.offer()
    assert json.loads(programme.follow("/r/Zz9Zz9Zz9x").body)["error"]["code"] == "not_found"
    page = programme.follow("/r/Zz9Zz9Zz9x", accept="text/html,application/xhtml+xml")
    assert page.status_code == 404 and page.headers["Content-Type"].startswith("text/html")
    assert programme.follow("/r/not-a-code").status_code == 404
    assert programme.counts("ann", "click") == {}


def test_a_share_confirmed_twice_counts_once(programme: Programme) -> None:
    offer = programme.offer()
    share = {"offer_id": offer["id"], "url": "https://social.example/@ann/110000000000000001"}
    status, first = programme.api.call("POST", "/shares", programme.tokens["ann"], share)
    assert (status, first["platform"], first["post_id"], first["found_by"]) == (
        201, "mastodon", "110000000000000001", "publisher")
    status, again = programme.api.call("POST", "/shares", programme.tokens["ann"],
                                       {**share, "url": share["url"] + "/?utm_source=x"})
    assert (status, again["id"]) == (200, first["id"])
    assert programme.counts("ann", "share") == {"mastodon": 1}
    assert [s["id"] for s in programme.api.call("GET", "/shares", programme.tokens["ann"])[1]["items"]] == [first["id"]]
    assert programme.api.call("GET", "/shares", programme.tokens["cy"])[1]["items"] == []
    assert len(programme.api.call("GET", f"/shares?offer={offer['id']}", programme.editor)[1]["items"]) == 1
    assert programme.api.call("GET", f"/shares?person={programme.ids['ann']}", programme.tokens["cy"])[0] == 403
    status, error = programme.api.call("POST", "/shares", programme.tokens["bo"], share)
    assert (status, error["error"]["code"]) == (404, "not_found")
    scripted = {**share, "url": "javascript:alert(1)"}
    assert programme.api.call("POST", "/shares", programme.tokens["ann"], scripted)[0] == 400


def test_each_publisher_is_notified_once_and_only_of_their_own_offers(programme: Programme) -> None:
    programme.offer()
    programme.offer(texts={"bluesky": "Ook voor Bluesky"})
    event = json.loads((EVENTS / "notify_offers.json").read_text())
    summary = notify_offers(event, LambdaContext("NotifyOffersFunction"))
    assert (summary["due"], summary["sent"]) == (2, 2)
    assert notify_offers({}, LambdaContext("NotifyOffersFunction"))["sent"] == 0
    mail = programme.api.call("GET", "/mailbox", programme.master)[1]["items"]
    by_endpoint = {entry["endpoint"]: entry for entry in mail}
    # The filter policy per person.
    assert sorted(by_endpoint) == ["ann@example.org", "cy@example.org"] and len(mail) == 2
    assert by_endpoint["ann@example.org"]["subject"] == "2 new posts to share"
    assert by_endpoint["ann@example.org"]["attributes"] == {"person": programme.ids["ann"]}


def test_a_retried_offer_request_answers_the_first_offer(programme: Programme) -> None:
    body = {"post_id": programme.post_id, "url": PAGE}
    first = programme.api.call("POST", "/pool", programme.editor, body, headers={"Idempotency-Key": "k-1"})
    again = programme.api.call("POST", "/pool", programme.editor, body, headers={"Idempotency-Key": "k-1"})
    assert (first[0], again[0], again[1]["id"]) == (201, 200, first[1]["id"])
    assert len(programme.api.call("GET", "/pool", programme.tokens["ann"])[1]["items"]) == 1
    assert programme.counts("ann", "offer_received") == {"-": 1}


def test_bad_offers_are_refused_with_the_field_and_change_nothing(programme: Programme) -> None:
    api = programme.api
    status, error = api.call("POST", "/pool", programme.editor, {"post_id": programme.post_id, "url": PAGE,
                                                                 "texts": {"bluesky": "a" * 300}})
    assert (status, error["error"]["field"]) == (400, "texts.bluesky")
    assert api.call("POST", "/pool", programme.editor, {"post_id": programme.post_id, "url": PAGE,
                                                        "texts": {"tiktok": "hi"}})[0] == 400
    not_a_web_page = {"post_id": programme.post_id, "url": "ftp://x.example/"}
    assert api.call("POST", "/pool", programme.editor, not_a_web_page)[0] == 400
    assert api.call("POST", "/pool", programme.editor, {"post_id": "nope", "url": PAGE})[0] == 404
    assert api.call("POST", "/pool", programme.tokens["ann"], {"post_id": programme.post_id, "url": PAGE})[0] == 403
    assert api.call("GET", "/pool?view=all", programme.tokens["ann"])[0] == 403
    assert api.call("GET", "/pool", programme.editor)[1]["items"] == []


def test_a_withdrawn_offer_leaves_the_pool_and_its_shared_links_keep_working(programme: Programme) -> None:
    offer = programme.offer()
    link = programme.api.call("GET", "/pool", programme.tokens["ann"])[1]["items"][0]["links"]["x"]
    assert programme.api.call("DELETE", f"/pool/{offer['id']}", programme.tokens["ann"])[0] == 403
    assert programme.api.call("DELETE", f"/pool/{offer['id']}", programme.editor)[0] == 204
    assert programme.api.call("GET", "/pool", programme.tokens["ann"])[1]["items"] == []
    assert programme.api.call("GET", f"/pool/{offer['id']}", programme.editor)[1]["offer"]["status"] == "withdrawn"
    assert programme.follow(link).status_code == 302


def test_erasing_a_publisher_drops_their_share_urls_and_subscription_but_keeps_counts(programme: Programme) -> None:
    offer = programme.offer()
    notify_offers({}, LambdaContext("NotifyOffersFunction"))
    programme.api.call("POST", "/shares", programme.tokens["ann"], {"offer_id": offer["id"], "url": "https://x.com/ann/status/7"})
    ann = programme.ids["ann"]
    exported = programme.api.call("GET", f"/ambassadors/{ann}/export", programme.master)[1]["sections"]["pool"]
    assert [e["kind"] for e in exported] == ["offer_received", "share", "offer_notifications"]
    assert programme.api.call("DELETE", f"/ambassadors/{ann}", programme.master)[0] == 204
    shares = programme.api.call("GET", "/shares", programme.editor)[1]["items"]
    assert [(s["person"], s["url"]) for s in shares] == [(ann, None)]
    assert programme.counts("ann", "share") == {"x": 1}
