"""The routes of the programme's people: POST and GET /ambassadors; /ambassadors/me (GET, PUT) with its opt-in,
opt-out, acknowledge-policy and training steps; GET and PUT /ambassadors/{id} and its training; GET and POST /policy,
GET /policy/versions; and GET /inventory."""
from __future__ import annotations

from chorus import container
from chorus.advocacy.people.schemas import (
    PROGRAMME_ROLES,
    AcknowledgeRequest,
    Ambassador,
    AmbassadorPage,
    Inventory,
    Person,
    PersonChange,
    PersonIn,
    Policy,
    PolicyIn,
    PolicyVersionPage,
    TrainingRequest,
)
from chorus.core.roles import EDITORS, EVERYONE, MASTERS, Principal
from chorus.core.time import utc_now
from chorus.http import pages
from chorus.http.api import PAGING, Query, Reply, Routes, SignedLink, Stored
from chorus.http.signing import LINK_PERSON

routes = Routes()


# Masters manage people; everyone else sees and changes only themselves (/ambassadors/me). Opting in, consent and
# preferences have routes for the person only: nobody is opted in by someone else (seed 001).
def _shown(person: Person) -> Ambassador:
    return container.ambassadors().show([person])[0]


@routes.route("/ambassadors", "POST", "Add a person to the programme (Idempotency-Key header makes retries safe)",
              roles=MASTERS, body=PersonIn, response=Ambassador, status=201, idempotent=True)
def create_ambassador(principal: Principal, body: PersonIn, idempotency_key: str | None) -> Stored:
    person, created = container.ambassadors().create(principal, body, idempotency_key)
    return Stored(_shown(person), created)


@routes.route("/ambassadors", "GET", "The programme's people by team and name, filtered", roles=MASTERS,
              response=AmbassadorPage, query=(
                  Query("team", "only this team"), Query("role", "only people in this role", enum=PROGRAMME_ROLES),
                  Query("opted_in", "only people who opted in (true) or not (false)", enum=("true", "false")), *PAGING))
def list_ambassadors(principal: Principal, team: str | None, role: str | None, opted_in: str | None, limit: int,
                     cursor: str | None) -> AmbassadorPage:
    service = container.ambassadors()
    people, next_cursor = service.page(team, role, None if opted_in is None else opted_in == "true", limit, cursor)
    return AmbassadorPage(items=service.show(people), next_cursor=next_cursor)


@routes.route("/ambassadors/me", "GET", "Your profile, and what still stands between you and offered content",
              roles=EVERYONE, response=Ambassador)
def my_profile(principal: Principal) -> Ambassador:
    return _shown(container.ambassadors().me(principal))


@routes.route("/ambassadors/me", "PUT", "Change your contact details, handles, topics, how and how often you hear from "
              "the programme, consent to be named, leaderboard visibility (only the fields sent)", roles=EVERYONE,
              body=PersonChange, response=Ambassador, versioned=True)
def change_my_profile(principal: Principal, body: PersonChange, expected_version: int | None) -> Ambassador:
    return _shown(container.ambassadors().change_me(principal, body, expected_version))


@routes.route("/ambassadors/me/opt-in", "POST", "Take part: receive offered content (once the policy is acknowledged)",
              roles=EVERYONE, response=Ambassador)
def opt_in(principal: Principal) -> Ambassador:
    return _shown(container.ambassadors().set_opted_in(principal, True))


@routes.route("/ambassadors/me/opt-out", "POST", "Stop taking part, at any time: nothing more is offered to you",
              roles=EVERYONE, response=Ambassador)
def opt_out(principal: Principal) -> Ambassador:
    return _shown(container.ambassadors().set_opted_in(principal, False))


@routes.route("/ambassadors/me/acknowledge-policy", "POST", "Acknowledge the current social-media policy (409 for "
              "another version)", roles=EVERYONE, body=AcknowledgeRequest, response=Ambassador)
def acknowledge_policy(principal: Principal, body: AcknowledgeRequest) -> Ambassador:
    return _shown(container.ambassadors().acknowledge_policy(principal, body.version))


@routes.route("/ambassadors/me/training", "POST", "Record that you completed the training", roles=EVERYONE,
              body=TrainingRequest, response=Ambassador)
def my_training(principal: Principal, body: TrainingRequest) -> Ambassador:
    return _shown(container.ambassadors().record_training(principal, None, body.completed))


@routes.route("/ambassadors/{id}", "GET", "One person (a master, or the person themselves)", roles=EVERYONE,
              response=Ambassador)
def get_ambassador(principal: Principal, id: str) -> Ambassador:
    return _shown(container.ambassadors().visible(principal, id))


@routes.route("/ambassadors/{id}", "PUT", "Change a person (only the fields sent): masters change team, roles and "
              "username; only the person changes consent and preferences; with If-Match only the version you read",
              roles=EVERYONE, body=PersonChange, response=Ambassador, versioned=True)
def change_ambassador(principal: Principal, id: str, body: PersonChange, expected_version: int | None) -> Ambassador:
    return _shown(container.ambassadors().change(principal, id, body, expected_version))


@routes.route("/ambassadors/{id}/training", "POST", "Record that a person completed the training", roles=MASTERS,
              body=TrainingRequest, response=Ambassador)
def record_training(principal: Principal, id: str, body: TrainingRequest) -> Ambassador:
    return _shown(container.ambassadors().record_training(principal, id, body.completed))


@routes.route("/policy", "GET", "The current social-media policy", roles=EVERYONE, response=Policy)
def current_policy(principal: Principal) -> Policy:
    return container.ambassadors().policy()


@routes.route("/policy/versions", "GET", "Every policy version published, newest first, with who published it and "
              "when", roles=EVERYONE, response=PolicyVersionPage, query=PAGING)
def policy_versions(principal: Principal, limit: int, cursor: str | None) -> PolicyVersionPage:
    return container.ambassadors().policy_versions(limit, cursor)


# A policy mail's link to the person's own policy page carries these instead of a token (chorus.http.signing).
POLICY_LINK = SignedLink(
    query=(Query("person", "signed link: the person the policy mail went to"),
           Query("expires", "signed link: until when it works (epoch seconds)"),
           Query("sig", "signed link: HMAC-SHA256 of the person, the version and the expiry")),
    signer=lambda path, params: container.policy_links().signer(path["version"], params, utc_now()),
)


def _linked_person(principal: Principal) -> str:
    """The person a policy link speaks for, or with a bearer token the caller's own profile."""
    if principal.username.startswith(LINK_PERSON):
        return principal.username.removeprefix(LINK_PERSON)
    return container.ambassadors().me(principal).id


@routes.route("/policy/{version}/acknowledge", "GET", "The page a policy mail's signed link opens: the policy and a "
              "button to acknowledge it (HTML; opening it changes nothing, as mail scanners open every link)",
              roles=EVERYONE, link=POLICY_LINK, query=(pages.PAGE_LANGUAGE,))
def policy_page(principal: Principal, version: str, lang: str) -> Reply:
    person, current = container.ambassadors().policy_for_link(_linked_person(principal), version)
    acknowledged = person.policy_acknowledged_at if person.policy_version == version else None
    return Reply(pages.policy(person.name, version, current, acknowledged, lang), headers=pages.HEADERS)


@routes.route("/policy/{version}/acknowledge", "POST", "The button on that page: acknowledge this policy version "
              "(409 when it is no longer the current one); answers the page", roles=EVERYONE, link=POLICY_LINK,
              query=(pages.PAGE_LANGUAGE,))
def acknowledge_policy_page(principal: Principal, version: str, lang: str) -> Reply:
    ambassadors = container.ambassadors()
    person = ambassadors.acknowledge_policy_by_link(_linked_person(principal), version)
    current = ambassadors.policy()
    return Reply(pages.policy_done(person.name, current, person.policy_acknowledged_at or "", lang),
                 headers=pages.HEADERS)


@routes.route("/policy", "POST", "Publish a new policy version, after the current one (versions only move forward): "
              "nobody receives offers until they acknowledge it", roles=MASTERS, body=PolicyIn, response=Policy,
              status=201)
def publish_policy(principal: Principal, body: PolicyIn) -> Policy:
    return container.ambassadors().publish_policy(principal, body)


@routes.route("/inventory", "GET", "Where the organisation's people are active: per platform how many and who",
              roles=EDITORS, response=Inventory)
def people_inventory(principal: Principal) -> Inventory:
    return container.ambassadors().inventory()
