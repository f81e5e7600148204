"""The content pool on moto, through the API with real Cognito tokens (issue 5's "done when", from the offer on):
an editor offers an approved post, an eligible publisher sees it with personal links, someone who has not
acknowledged the policy sees nothing, a click on /r/{code} redirects with UTM parameters and counts once in the
ledger (a bot does not), a share counts once when it is verified (read on Mastodon as the publisher's own post
linking the offer, or confirmed by an editor) and never when it is made up, and each publisher's notification reaches
only them."""
from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from chorus.local.scheduler import LambdaContext
from functions.notify_offers.handler import handler as notify_offers
from tests.integration.advocacy.conftest import PAGE, Programme
from tests.unit.platforms.fakes import json_response

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


def test_a_share_claimed_twice_is_one_claim_that_counts_nothing_until_verified(programme: Programme) -> None:
    offer = programme.offer()
    share = {"offer_id": offer["id"], "url": "https://social.example/@ann/110000000000000001"}
    status, first = programme.api.call("POST", "/shares", programme.tokens["ann"], share)
    assert (status, first["platform"], first["post_id"], first["found_by"], first["status"]) == (
        201, "mastodon", "110000000000000001", "publisher", "claimed")  # Mastodon did not answer: read later
    status, again = programme.api.call("POST", "/shares", programme.tokens["ann"],
                                       {**share, "url": share["url"] + "/?utm_source=x"})
    assert (status, again["id"]) == (200, first["id"])
    assert programme.counts("ann", "share") == {} and programme.counts("ann", "share_claimed") == {"mastodon": 1}
    assert [s["id"] for s in programme.api.call("GET", "/shares", programme.tokens["ann"])[1]["items"]] == [first["id"]]
    assert programme.api.call("GET", "/shares", programme.tokens["cy"])[1]["items"] == []
    assert len(programme.api.call("GET", f"/shares?offer={offer['id']}", programme.editor)[1]["items"]) == 1
    assert programme.api.call("GET", f"/shares?person={programme.ids['ann']}", programme.tokens["cy"])[0] == 403
    status, error = programme.api.call("POST", "/shares", programme.tokens["bo"], share)
    assert (status, error["error"]["code"]) == (404, "not_found")
    scripted = {**share, "url": "javascript:alert(1)"}
    assert programme.api.call("POST", "/shares", programme.tokens["ann"], scripted)[0] == 400


def test_a_mastodon_share_is_read_when_claimed_and_counts_once_when_it_is_hers(programme: Programme) -> None:
    offer = programme.offer()
    link = programme.api.call("GET", "/pool", programme.tokens["ann"])[1]["items"][0]["links"]["mastodon"]
    status_id = "110000000000000002"
    posted = (datetime.now(UTC) + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    toot = {"id": status_id, "created_at": posted, "url": f"https://social.example/@ann/{status_id}",
            "content": f'<p>Kom bij ons werken! <a href="{link}">{link}</a></p>', "reblog": None,
            "replies_count": 0, "account": {"id": "7", "username": "ann", "acct": "ann"}}
    programme.platforms.replies.append(json_response(200, toot))
    status, share = programme.api.call("POST", "/shares", programme.tokens["ann"],
                                       {"offer_id": offer["id"], "url": toot["url"]})
    assert (status, share["status"], share["verified_by"]) == (201, "verified", "mastodon"), share
    assert programme.platforms.sent[-1].url == f"https://social.example/api/v1/statuses/{status_id}"
    assert programme.counts("ann", "share") == {"mastodon": 1} and programme.counts("ann", "share_claimed") == {}

    # Cy says she made the same kind of post, but the one she names is someone else's: it never counts.
    programme.platforms.replies.append(json_response(200, {**toot, "id": "9", "url": "https://social.example/@ann/9"}))
    status, made_up = programme.api.call("POST", "/shares", programme.tokens["cy"],
                                         {"offer_id": offer["id"], "url": "https://social.example/@cy/9"})
    assert (status, made_up["status"]) == (201, "rejected") and "@ann@social.example" in made_up["note"]
    assert programme.counts("cy", "share") == {} and programme.counts("cy", "share_claimed") == {}


def test_made_up_shares_stay_claimed_until_an_editor_decides_and_the_report_shows_them_apart(
        programme: Programme) -> None:
    api, ann = programme.api, programme.tokens["ann"]
    offer = programme.offer()
    claims = [api.call("POST", "/shares", ann, {"offer_id": offer["id"], "url": f"https://made-up.example/post/{n}"})
              for n in (1, 2, 3)]
    assert [(status, share["status"]) for status, share in claims] == [(201, "claimed")] * 3
    row = api.call("GET", "/reports/engagement/me", ann)[1]["row"]
    assert (row["shares"], row["shares_claimed"], row["score"]) == (0, 3, 0)
    assert api.call("PUT", "/reports/engagement/settings", programme.master, {"leaderboard_enabled": True})[0] == 200
    assert api.call("GET", "/reports/engagement/leaderboard", ann)[1]["entries"] == []

    waiting = api.call("GET", "/shares?status=claimed", programme.editor)[1]["items"]
    assert sorted(s["url"] for s in waiting) == [f"https://made-up.example/post/{n}" for n in (1, 2, 3)]
    first, second = claims[0][1]["id"], claims[1][1]["id"]
    assert api.call("POST", f"/shares/{first}/confirm", ann)[0] == 403  # nobody confirms their own
    status, confirmed = api.call("POST", f"/shares/{first}/confirm", programme.editor)
    assert (status, confirmed["status"], confirmed["verified_by"]) == (200, "verified", "editor")
    assert api.call("POST", f"/shares/{first}/confirm", programme.editor)[1] == confirmed  # again: the same
    status, rejected = api.call("POST", f"/shares/{second}/reject", programme.editor,
                                {"reason": "Deze pagina bestaat niet."})
    assert (status, rejected["status"], rejected["note"]) == (200, "rejected", "Deze pagina bestaat niet.")
    assert api.call("POST", f"/shares/{first}/reject", programme.editor, {"reason": "x"})[0] == 409
    assert api.call("POST", f"/shares/{second}/reject", programme.editor, {"reason": ""})[0] == 400
    assert api.call("POST", "/shares/nope/confirm", programme.editor)[0] == 404

    row = api.call("GET", "/reports/engagement/me", ann)[1]["row"]
    assert (row["shares"], row["shares_claimed"], row["score"]) == (1, 1, 1)
    assert programme.counts("ann", "share") == {"other": 1}


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
    share = programme.api.call("POST", "/shares", programme.tokens["ann"],
                               {"offer_id": offer["id"], "url": "https://x.com/ann/status/7"})[1]
    programme.api.call("POST", f"/shares/{share['id']}/confirm", programme.editor)
    ann = programme.ids["ann"]
    exported = programme.api.call("GET", f"/ambassadors/{ann}/export", programme.master)[1]["sections"]["pool"]
    assert [e["kind"] for e in exported] == ["offer_received", "share", "offer_notifications"]
    assert programme.api.call("DELETE", f"/ambassadors/{ann}", programme.master)[0] == 204
    shares = programme.api.call("GET", "/shares", programme.editor)[1]["items"]
    assert [(s["person"], s["url"]) for s in shares] == [(ann, None)]
    assert programme.counts("ann", "share") == {"x": 1}
