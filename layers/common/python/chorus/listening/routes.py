"""The routes of listening: POST /mentions, GET and PUT /routing-rules and its versions, GET /alerts, the acknowledge
page and action (GET and POST /alerts/{id}/ack), GET, POST and DELETE /subscriptions and their history, and the local
runtime's GET /mailbox."""
from __future__ import annotations

from chalice.app import Request

from chorus import container
from chorus.core.errors import NotFound
from chorus.core.roles import ALERT_ADMINS, EVERYONE, LISTENERS, RESPONDERS, Principal
from chorus.core.time import utc_now
from chorus.http import pages
from chorus.http.api import PAGING, Query, Reply, Routes, SignedLink
from chorus.listening.schemas import (
    Alert,
    AlertList,
    Mailbox,
    MailboxEntry,
    MentionIn,
    MentionQueued,
    RoutingRulesIn,
    RoutingRulesVersion,
    RoutingRulesVersionPage,
    Subscription,
    SubscriptionHistory,
    SubscriptionIn,
    SubscriptionList,
)

routes = Routes()


@routes.route("/mentions", "POST",
              "Ingest one mention from another tool, or forward one you saw (processed within seconds)",
              roles=EVERYONE, body=MentionIn, response=MentionQueued, status=202)
def ingest_mention(principal: Principal, body: MentionIn) -> Reply:
    return Reply(MentionQueued.model_validate(container.listening().ingest(body, principal)), status=202)


@routes.route("/routing-rules", "GET", "Which team gets which mentions, and when a complaint goes to PR (with its "
              "version as the ETag)", roles=LISTENERS, response=RoutingRulesVersion)
def get_routing_rules(principal: Principal) -> RoutingRulesVersion:
    return container.listening().rules()


@routes.route("/routing-rules", "PUT", "Replace the routing rules, kept as a new version (If-Match with the ETag you "
              "read: 412 when someone changed them since). Rules under which no team is told about some complaints "
              "need confirm_no_complaint_route", roles=ALERT_ADMINS, body=RoutingRulesIn,
              response=RoutingRulesVersion, versioned=True)
def put_routing_rules(principal: Principal, body: RoutingRulesIn, expected_version: int | None) -> RoutingRulesVersion:
    return container.listening().set_rules(body.rules_only(), principal, expected_version,
                                           body.confirm_no_complaint_route)


@routes.route("/routing-rules/versions", "GET", "Every saved version of the routing rules, newest first, with who "
              "saved it and when", roles=LISTENERS, response=RoutingRulesVersionPage, query=PAGING)
def routing_rule_versions(principal: Principal, limit: int, cursor: str | None) -> RoutingRulesVersionPage:
    items, next_cursor = container.listening().rule_versions(limit, cursor)
    return RoutingRulesVersionPage(items=items, next_cursor=next_cursor)


@routes.route("/alerts", "GET", "Alerts of the last hours, newest first", roles=LISTENERS, response=AlertList, query=(
    Query("hours", "how far back", type="integer", minimum=1, maximum=2160, default=24),
    Query("limit", "at most this many", type="integer", minimum=1, maximum=500, default=100),
    Query("cursor", "next_cursor of the previous page")))
def list_alerts(principal: Principal, hours: int, limit: int, cursor: str | None) -> AlertList:
    items, next_cursor = container.listening().recent_alerts(hours, limit, cursor)
    return AlertList(items=items, next_cursor=next_cursor)


# An alert email's acknowledge link carries these instead of a token (see chorus.http.signing).
ACK_LINK = SignedLink(
    query=(Query("team", "signed link: the team the email went to"),
           Query("expires", "signed link: until when it works (epoch seconds)"),
           Query("sig", "signed link: HMAC-SHA256 of the alert, team and expiry")),
    signer=lambda path, params: container.ack_links().signer(path["id"], params, utc_now()),
)


@routes.route("/alerts/{id}/ack", "GET",
              "The page an alert email's signed link opens: the alert and an Acknowledge button "
              "(HTML; opening it changes nothing, as mail scanners open every link)", roles=RESPONDERS, link=ACK_LINK,
              query=(pages.PAGE_LANGUAGE,))
def acknowledge_page(principal: Principal, id: str, lang: str) -> Reply:
    return Reply(pages.confirm(container.listening().alert(id), principal.username, lang), headers=pages.HEADERS)


@routes.route("/alerts/{id}/ack", "POST",
              "Acknowledge an alert: someone is on it (stops its escalation). With a bearer "
              "token, or with an email's signed link (then it answers a page)",
              roles=RESPONDERS, response=Alert, link=ACK_LINK, query=(pages.PAGE_LANGUAGE,))
def acknowledge_alert(principal: Principal, id: str, request: Request, lang: str) -> Alert | Reply:
    alert = container.listening().acknowledge(id, principal)
    if any(q.name in (request.query_params or {}) for q in ACK_LINK.query):
        return Reply(pages.done(alert, lang), headers=pages.HEADERS)
    return alert


@routes.route("/subscriptions", "GET", "Who receives alerts, by email or SMS (addresses partly hidden)",
              roles=ALERT_ADMINS, response=SubscriptionList)
def list_subscriptions(principal: Principal) -> SubscriptionList:
    return SubscriptionList(items=[s.masked() for s in container.subscriptions().all()])


@routes.route("/subscriptions", "POST", "Subscribe an email address or phone number to a team's alerts",
              roles=ALERT_ADMINS, body=SubscriptionIn, response=Subscription, status=201)
def create_subscription(principal: Principal, body: SubscriptionIn) -> Subscription:
    return container.subscriptions().create(body, principal)


@routes.route("/subscriptions/history", "GET", "Who subscribed and unsubscribed whom, and when, newest first "
              "(addresses partly hidden)", roles=ALERT_ADMINS, response=SubscriptionHistory, query=PAGING)
def subscription_history(principal: Principal, limit: int, cursor: str | None) -> SubscriptionHistory:
    items, next_cursor = container.subscriptions().history(limit, cursor)
    return SubscriptionHistory(items=items, next_cursor=next_cursor)


@routes.route("/subscriptions/{id}", "DELETE", "Stop a subscription (the last one receiving a team's complaint "
              "alerts needs confirm_no_complaint_subscriber=true)", roles=ALERT_ADMINS, status=204, query=(
    Query("confirm_no_complaint_subscriber", "true: stop it even though nobody else receives that team's complaint "
          "alerts", enum=("true", "false"), default="false"),))
def delete_subscription(principal: Principal, id: str, confirm_no_complaint_subscriber: str) -> None:
    container.subscriptions().delete(id, principal, confirm_no_complaint_subscriber == "true")


@routes.route("/mailbox", "GET", "Local runtime only: what each email and SMS subscriber would have received",
              roles=EVERYONE, response=Mailbox)
def mailbox(principal: Principal) -> Mailbox:
    box = container.mailbox()
    if box is None:
        raise NotFound("the mailbox exists only in the local runtime (make run); on AWS, SNS delivers email and SMS")
    entries = box.messages(container.subscriptions().all())
    return Mailbox(items=[MailboxEntry.model_validate(e) for e in entries], next_cursor=None)
