"""The routes of the content pool: POST and GET /pool, GET and DELETE /pool/{id}, the tracked links GET and HEAD
/r/{code}, and POST and GET /shares with an editor's POST /shares/{id}/confirm and /reject."""
from __future__ import annotations

from chalice.app import Request

from chorus import container
from chorus.advocacy.pool.rules import POOL_READERS, RECEIVERS, is_link_preview
from chorus.advocacy.pool.schemas import (
    SHARE_STATUSES,
    Offer,
    OfferIn,
    PoolEntry,
    PoolPage,
    Share,
    ShareIn,
    SharePage,
    ShareRejection,
)
from chorus.core.errors import NotFound
from chorus.core.roles import EDITORS, Principal
from chorus.http import pages
from chorus.http.api import PAGING, Query, Reply, Routes, Stored, public_base_url

routes = Routes()


# Editors offer approved posts; publishers see what is offered to them (only while opted in with the current policy
# acknowledged) with personal share links; /r/{code} is public: it counts a click and redirects.
def _base(request: Request) -> str:
    return public_base_url(request, container.settings().public_api_url)


@routes.route("/pool", "POST",
              "Offer an approved, scheduled or published post to publishers (all, or per team or topic), "
              "with a suggested text per platform (Idempotency-Key header makes retries safe)",
              roles=EDITORS, body=OfferIn, response=Offer, status=201, idempotent=True)
def offer_post(principal: Principal, body: OfferIn, idempotency_key: str | None, request: Request) -> Stored:
    return Stored(*container.pool().offer(principal, body, _base(request), idempotency_key))


@routes.route("/pool", "GET",
              "Publishers: the offers meant for you, newest first, with your share links (nothing until you "
              "opted in and acknowledged the current policy; `notice` says why). Editors: every offer",
              roles=POOL_READERS, response=PoolPage, query=(
                  Query("view", "mine (a publisher's pool; the default for publishers) or all (editors' default)",
                        enum=("mine", "all")), *PAGING))
def list_pool(principal: Principal, view: str | None, limit: int, cursor: str | None, request: Request) -> PoolPage:
    return container.pool().listing(principal, view, limit, cursor, _base(request))


@routes.route("/pool/{id}", "GET", "One offer (publishers: one offered to them, with their share links)",
              roles=POOL_READERS, response=PoolEntry)
def get_offer(principal: Principal, id: str, request: Request) -> PoolEntry:
    return container.pool().entry(principal, id, _base(request))


@routes.route("/pool/{id}", "DELETE",
              "Withdraw an offer: publishers no longer see it (links already shared keep working)",
              roles=EDITORS, status=204)
def withdraw_offer(principal: Principal, id: str) -> None:
    container.pool().withdraw(principal, id)


def _follow(code: str, counts: bool, request: Request) -> Reply:
    try:
        target = container.pool().follow(code, counts)
    except NotFound:
        if "text/html" not in (request.headers.get("accept") or ""):
            raise
        return Reply(pages.LINK_NOT_FOUND, status=404, headers=pages.HEADERS)
    return Reply(None, status=302, headers={"Location": target, "Cache-Control": "no-store"})


@routes.route("/r/{code}", "GET",
              "A tracked link (no token): redirects to the offered page with UTM parameters and counts "
              "a click for the person on the link's channel; link-preview bots do not count", roles=None, status=302,
              any_query=True)
def follow_link(code: str, request: Request) -> Reply:
    return _follow(code, not is_link_preview(request.headers.get("user-agent")), request)


@routes.route("/r/{code}", "HEAD", "A tracked link's target, without counting a click", roles=None, status=302,
              any_query=True)
def peek_link(code: str, request: Request) -> Reply:
    return _follow(code, False, request)


@routes.route("/shares", "POST",
              "Report that you shared an offer, with your post's URL: a Mastodon or Bluesky post counts once it is "
              "read there as yours and linking to the offer; a post elsewhere once an editor confirms it (the same "
              "post counts once)", roles=RECEIVERS, body=ShareIn, response=Share, status=201)
def confirm_share(principal: Principal, body: ShareIn) -> Stored:
    return Stored(*container.shares().confirm(principal, body))


@routes.route("/shares", "GET", "Your shares, newest first (editors and masters: everyone's, filtered)",
              roles=POOL_READERS, response=SharePage, query=(
                  Query("person", "only this person's (editors)"), Query("offer", "only shares of this offer"),
                  Query("platform", "only shares on this platform"),
                  Query("status", "only claimed (waiting to be verified), verified or rejected shares",
                        enum=SHARE_STATUSES), *PAGING))
def list_shares(principal: Principal, person: str | None, offer: str | None, platform: str | None,
                status: str | None, limit: int, cursor: str | None) -> SharePage:
    return container.shares().list(principal, person, offer, platform, status, limit, cursor)


@routes.route("/shares/{id}/confirm", "POST",
              "Confirm a publisher's claimed share (one Chorus cannot read, such as on LinkedIn or X): it counts once; "
              "not your own", roles=EDITORS, response=Share)
def confirm_share_by_editor(principal: Principal, id: str) -> Share:
    return container.shares().confirm_by_editor(principal, id)


@routes.route("/shares/{id}/reject", "POST",
              "Reject a publisher's claimed share (made up, not public, not the offer) with the reason they see: it "
              "never counts", roles=EDITORS, body=ShareRejection, response=Share)
def reject_share(principal: Principal, id: str, body: ShareRejection) -> Share:
    return container.shares().reject(principal, id, body.reason)
