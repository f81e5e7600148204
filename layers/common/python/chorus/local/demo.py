"""Demo organisation for `make run`: one user per role, channels on every platform, posts in several states."""
from __future__ import annotations

import secrets
from datetime import timedelta

import boto3

from chorus.calendar.schemas import Category, ChannelCreate, PostContent, SlotSpec
from chorus.calendar.service import CalendarService
from chorus.core import time as timing
from chorus.core.roles import ROLES, Principal
from chorus.inbox.saved.schemas import SavedReplyIn
from chorus.inbox.saved.service import SavedReplyService
from chorus.listening.schemas import SubscriptionIn
from chorus.listening.service import SubscriptionService
from chorus.listening.sources.schemas import SourceCreate
from chorus.listening.sources.service import SourcesService


def demo_username(role: str) -> str:
    return f"demo-{role}"


# The demo users' names in the user pool (GET /team shows them; a saved reply's {agent} is the first name).
DEMO_NAMES = {"master": "Marieke Jansen", "editor": "Eva de Boer", "creator": "Chris Bakker",
              "publisher": "Priya Ramdin", "care": "Carla de Vries", "pr": "Piet Bakker", "viewer": "Vera Smit"}


def demo_password() -> str:
    """A fresh password for the demo users of one run; it meets the pool's policy (12+, lower, upper, digit)."""
    return f"Chorus-{secrets.token_urlsafe(12)}-9a"


def create_role_users(region: str, user_pool_id: str, password: str | None = None) -> dict[str, dict[str, str]]:
    """One Cognito user per role, with `password` for all of them (the dashboard's demo sign-in), or a fresh random
    password each (kept only in the local state file)."""
    cognito = boto3.client("cognito-idp", region_name=region)
    users = {}
    for role in ROLES:
        username = demo_username(role)
        user_password = password or demo_password()
        cognito.admin_create_user(
            UserPoolId=user_pool_id,
            Username=username,
            UserAttributes=[{"Name": "email", "Value": f"{username}@example.org"},
                            {"Name": "email_verified", "Value": "true"}, {"Name": "name", "Value": DEMO_NAMES[role]}],
            MessageAction="SUPPRESS",
        )
        cognito.admin_set_user_password(UserPoolId=user_pool_id, Username=username, Password=user_password,
                                         Permanent=True)
        cognito.admin_add_user_to_group(UserPoolId=user_pool_id, Username=username, GroupName=role)
        users[role] = {"username": username, "password": user_password}
    return users


WEEKDAY_MORNINGS = [SlotSpec(weekday=d, time="09:30") for d in ("mon", "tue", "wed", "thu", "fri")]


def seed(calendar: CalendarService) -> dict[str, int]:
    """Channels and posts, made through the same services the API uses (so audit trails are real)."""
    master = Principal(demo_username("master"), frozenset({"master"}))
    editor = Principal(demo_username("editor"), frozenset({"editor"}))
    creator = Principal(demo_username("creator"), frozenset({"creator"}))
    pr = Principal(demo_username("pr"), frozenset({"pr"}))
    channels = [
        ChannelCreate(id="demo-local", platform="local", handle="@chorus-demo", cadence_per_week=5, tone="informal",
                      slots=WEEKDAY_MORNINGS + [SlotSpec(weekday="fri", time="15:00")]),
        ChannelCreate(id="mastodon-main", platform="mastodon", handle="@gemeente@social.example", cadence_per_week=5,
                      tone="informal", slots=WEEKDAY_MORNINGS),
        ChannelCreate(id="bluesky-main", platform="bluesky", handle="gemeente.example", cadence_per_week=3),
        ChannelCreate(id="x-main", platform="x", handle="@gemeente", cadence_per_week=7),
        ChannelCreate(id="linkedin-page", platform="linkedin", handle="urn:li:organization:1234", cadence_per_week=2,
                      tone="formal",
                      slots=[SlotSpec(weekday="tue", time="08:00"), SlotSpec(weekday="thu", time="08:00")]),
    ]
    for channel in channels:
        calendar.create_channel(master, channel)

    def write(text: str, channels: list[str], category: Category, pillar: str | None = None,
              campaign: str | None = None, on_behalf_of: str | None = None) -> str:
        content = PostContent(text=text, channels=channels, category=category, pillar=pillar, campaign=campaign,
                              on_behalf_of=on_behalf_of)
        post, _, _ = calendar.create_post(creator, content)
        return post.id

    write("Achter de schermen bij onze klantenservice: wat doe jij als eerste op maandagochtend?",
          ["demo-local", "mastodon-main"], "other", pillar="mensen")
    submitted = write("We zoeken een communicatieadviseur! Ken jij iemand? Deel deze vacature.",
                      ["demo-local", "linkedin-page"], "vacancy", campaign="werving-2026")
    calendar.act(creator, submitted, "submit")
    approved = write("Open dag op zaterdag: kom kijken hoe je werk bij ons eruitziet.",
                     ["demo-local", "bluesky-main"], "event")
    calendar.act(creator, approved, "submit")
    calendar.act(editor, approved, "approve")
    scheduled = write("Mijlpaal: 10.000 vragen beantwoord via onze chat. Dank je wel voor je vertrouwen!",
                      ["demo-local"], "milestone")
    calendar.act(creator, scheduled, "submit")
    calendar.act(editor, scheduled, "approve")
    tomorrow = (calendar.clock() + timedelta(days=1)).astimezone(timing.zone(calendar.timezone)).date()
    calendar.schedule(editor, scheduled, f"{tomorrow.isoformat()}T09:30", None, False)
    quoted = write("Namens onze directeur: trots op het team dat deze week de nieuwe dienstverlening lanceerde.",
                   ["linkedin-page"], "success", on_behalf_of=pr.username)
    calendar.act(creator, quoted, "submit")
    calendar.act(editor, quoted, "approve")
    cancelled = write("Storing opgelost (oude melding).", ["x-main"], "problem")
    calendar.act(editor, cancelled, "cancel", "dubbel met de statuspagina")
    return {"channels": len(channels), "posts": 6}


DEMO_SUBSCRIBERS = [
    {"name": "Klantenservice (care desk)", "team": "care", "protocol": "email", "endpoint": "care@example.org"},
    {"name": "Teamleider care", "team": "care-lead", "protocol": "email", "endpoint": "care-lead@example.org"},
    {"name": "Woordvoerder (PR)", "team": "pr", "protocol": "email", "endpoint": "pr@example.org", "language": "en"},
    {"name": "PR dienst-telefoon", "team": "pr", "protocol": "sms", "endpoint": "06 1234 5678"},
    {"name": "Marketing", "team": "marketing", "protocol": "email", "endpoint": "marketing@example.org"},
    {"name": "Weekoverleg (rapport)", "team": "report", "protocol": "email", "endpoint": "weekoverleg@example.org"},
]


def seed_listening(subscriptions: SubscriptionService) -> int:
    """Alert subscribers for every team (their mail lands in GET /mailbox), in Dutch but for PR's email address, so
    the mailbox shows both languages. Always created: without them nobody would see what listening does."""
    master = Principal(demo_username("master"), frozenset({"master"}))
    for body in DEMO_SUBSCRIBERS:
        subscriptions.create(SubscriptionIn.model_validate(body), master)
    return len(DEMO_SUBSCRIBERS)


DEMO_SAVED_REPLIES = [
    ("Excuses, stuur een DM", "nl", "Hoi {name}, wat vervelend! We zoeken het voor je uit: stuur je ons een DM met je "
                                    "adres? Noem daarbij zaaknummer {case}. Groet, {agent}"),
    ("Melding doorgezet", "nl", "Dank je voor je melding, {name}. We hebben hem doorgezet naar de juiste afdeling "
                                "(zaaknummer {case}); je hoort binnen twee werkdagen van ons. Groet, {agent}"),
    ("Sorry, please DM us", "en", "Hi {name}, sorry to hear this! Could you send us a DM with your address? Please "
                                  "mention case {case}. Best, {agent}"),
    ("Passed on", "en", "Thanks for letting us know, {name}. We have passed this on to the right team (case {case}); "
                        "you will hear from us within two working days. {agent}"),
]


def seed_saved_replies(saved: SavedReplyService) -> int:
    """A few of care's saved replies in Dutch and English (GET /mentions/{id}/saved-replies fills them in)."""
    care = Principal(demo_username("care"), frozenset({"care"}))
    for title, language, text in DEMO_SAVED_REPLIES:
        saved.create(care, SavedReplyIn.model_validate({"title": title, "team": "care", "language": language,
                                                        "text": text}))
    return len(DEMO_SAVED_REPLIES)


DEMO_SOURCE_ID = "google-alerts-demo"


def seed_sources(sources: SourcesService, feed_url: str) -> int:
    """A Google-Alerts-like feed on 127.0.0.1 (chorus.local.demo_feed) with a Dutch complaint, a question and
    praise: fetch_mentions polls it at the next minute, and the complaint reaches the care desk's mailbox."""
    master = Principal(demo_username("master"), frozenset({"master"}))
    sources.create(SourceCreate(id=DEMO_SOURCE_ID, kind="rss", name="Google Alert: gemeente Chorusstad (demo)",
                                facet="brand", language="nl", settings={"url": feed_url}), master)
    return 1


# (username, name, team, roles, handles, topics): demo-<role> users log in; the others are colleagues in the programme
DEMO_PEOPLE = [
    ("demo-master", "Marieke Jansen", "communicatie", ["master"], {}, []),
    ("demo-editor", "Eva de Boer", "communicatie", ["editor"], {"linkedin": "eva-de-boer"}, ["nieuws"]),
    ("demo-creator", "Chris Bakker", "wijkteams", ["creator"], {"bluesky": "chris.bsky.social"}, ["wijk"]),
    ("demo-publisher", "Priya Ramdin", "burgerzaken", ["publisher"],
     {"mastodon": "@priya@social.example", "bluesky": "priya.bsky.social", "linkedin": "priya-ramdin"},
     ["werken", "wijk"]),
    ("sanne.visser", "Sanne Visser", "hr", ["publisher", "creator"], {"linkedin": "sanne-visser", "x": "sannevisser"},
     ["werken"]),
    ("tom.mulder", "Tom Mulder", "wijkteams", ["publisher"], {"mastodon": "@tom@social.example"}, ["wijk"]),
    ("ahmed.elamrani", "Ahmed El Amrani", "ict", ["publisher"], {"x": "ahmed_ict"}, ["nieuws"]),
    ("lotte.smit", "Lotte Smit", "hr", ["publisher"], {"linkedin": "lotte-smit"}, ["werken"]),  # has not acknowledged
]
DEMO_POLICY = "2026-1"


def seed_ambassadors(api_url: str) -> dict[str, int]:
    """The programme with two weeks of history: a policy, people in every role (all but one acknowledged it), creator
    submissions (one accepted, one declined, one waiting), an offer in the pool with a share, and past engagement, so
    `GET /reports/engagement` shows something from the start."""
    from chorus import container
    from chorus.advocacy.content.schemas import AcceptRequest, Pillar, SubmissionIn
    from chorus.advocacy.people.schemas import PersonChange, PersonIn, PolicyIn
    from chorus.advocacy.pool.schemas import OfferIn, ShareIn

    people, content, calendar = container.ambassadors(), container.content(), container.calendar()
    master, editor = (Principal(demo_username(r), frozenset({r})) for r in ("master", "editor"))
    people.publish_policy(master, PolicyIn(version=DEMO_POLICY, summary="Deel alleen wat openbaar is; noem niemand "
                                           "zonder toestemming; twijfel je, vraag het de redactie.",
                                           url="https://example.org/beleid"))
    ids = {}
    for username, name, team, roles, handles, topics in DEMO_PEOPLE:
        person, _ = people.create(master, PersonIn(username=username, name=name, team=team, roles=roles,
                                                  platforms=handles, topics=topics, email=f"{username}@example.org"))
        ids[username] = person.id
        self_ = Principal(username, frozenset(roles))
        people.set_opted_in(self_, True)
        if username != "lotte.smit":
            people.acknowledge_policy(self_, DEMO_POLICY)
        people.change_me(self_, PersonChange(notify_by="email", rhythm="daily", named_consent=username != "tom.mulder"))

    creator = Principal("demo-creator", frozenset({"creator"}))
    stories: list[tuple[str, Pillar]] = [
        ("Vanochtend de nieuwe speeltuin in de Vogelwijk geopend, samen met de kinderen van De Regenboog.", "event"),
        ("Onze wijkagent en het wijkteam hielpen deze week 40 buren met hun energietoeslag.", "behind-the-scenes"),
        ("Foto's van de verhuizing van het archief: 2 km aan dossiers in één weekend.", "behind-the-scenes"),
    ]
    submitted = [content.submit(creator, SubmissionIn(text=text, pillar=pillar, tags=["wijk"]))[0]
                 for text, pillar in stories]
    _, post, _ = content.accept(editor, submitted[0].id, AcceptRequest(channels=["demo-local"]))
    content.decline(editor, submitted[1].id, "Mooi verhaal, maar we wachten op toestemming van de buren op de foto.")
    calendar.act(editor, post.id, "submit")
    calendar.act(editor, post.id, "approve")

    offer, _ = container.pool().offer(editor, OfferIn(post_id=post.id, topics=["wijk", "werken"],
                                                      url="https://example.org/nieuws/speeltuin-vogelwijk"), api_url)
    publisher = Principal("demo-publisher", frozenset({"publisher"}))
    container.shares().confirm(publisher, ShareIn(offer_id=offer.id,
                                                  url="https://social.example/@priya/113000000000000001"))

    # Two weeks of past activity (the ledger's counters, as the live flows write them).
    ledger, today = container.engagement_ledger(), calendar.clock()
    history = [("demo-publisher", "share", "mastodon", 3), ("demo-publisher", "click", "mastodon", 14),
               ("demo-publisher", "reply", "mastodon", 2), ("sanne.visser", "share", "linkedin", 4),
               ("sanne.visser", "click", "linkedin", 22), ("sanne.visser", "submission_made", None, 2),
               ("sanne.visser", "submission_accepted", None, 1), ("tom.mulder", "offer_received", None, 3),
               ("ahmed.elamrani", "share", "x", 1), ("ahmed.elamrani", "forward", None, 1),
               ("demo-editor", "post_edited", None, 3), ("demo-creator", "submission_made", None, 2)]
    for n, (username, event, channel, count) in enumerate(history):
        ledger.record(ids[username], event, today - timedelta(days=1 + n % 13), channel, count)
    return {"people": len(DEMO_PEOPLE), "submissions": len(stories), "offers": 1}
