"""Processing mentions: stored once, routed by the rules, one alert per conversation and team, PR when it spreads."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chorus.core.errors import Conflict
from chorus.core.roles import Principal
from chorus.listening.rules import DEFAULT_RULES, conversation_of, text_fingerprint
from chorus.listening.schemas import Escalation, MentionIn, RoutingRules, Rule
from chorus.listening.service import ListeningService
from chorus.platforms.base import Author, Engagement, Mention
from tests.clock import Clock
from tests.unit.listening.fakes import (
    T0,
    MemoryAlerts,
    MemoryMentions,
    MemoryNotifier,
    MemoryQueue,
    MemoryState,
    keyword_classifier,
)

COMPLAINT = "Al drie dagen geen internet en niemand neemt op, echt schandalig @KPN"
CARE = Principal("carla", frozenset({"care"}))


class World:
    def __init__(self) -> None:
        self.clock = Clock(T0)
        self.mentions, self.alerts, self.state = MemoryMentions(), MemoryAlerts(), MemoryState()
        self.notifier, self.queue = MemoryNotifier(), MemoryQueue()
        self.service = ListeningService(self.mentions, self.alerts, self.state, self.queue, self.notifier,
                                        keyword_classifier, self.clock, timedelta(days=90))

    def mention(self, platform_id: str, text: str = COMPLAINT, author: str = "jan", followers: int | None = 120,
                **extra: Any) -> Mention:
        return Mention(platform="x", platform_id=platform_id, text=text, created_at=self.clock(),
                       author=Author(author, followers=followers), **extra)

    def teams_alerted(self) -> list[tuple[str, str]]:
        return [(s.attributes["team"], s.attributes["severity"]) for s in self.notifier.sent]


def test_a_complaint_goes_to_care_once_with_the_attributes_subscribers_filter_on() -> None:
    world = World()
    assert world.service.process(world.mention("1"), "brand") == "care:medium"
    assert world.service.process(world.mention("1"), "brand") == "duplicate"
    [sent] = world.notifier.sent
    assert sent.attributes == {"team": "care", "severity": "medium", "intent": "complaint", "language": "nl",
                               "platform": "x", "facet": "brand", "kind": "mention", "sms": "no"}
    assert "schandalig" in sent.message and sent.subject.startswith("[care medium] complaint (nl) on x by @jan")
    stored = world.mentions.get(world.mention("1").id, world.clock())
    assert stored is not None and stored.routed and stored.teams == ["care"] and stored.status == "new"


def test_an_author_with_a_large_audience_takes_a_complaint_to_pr() -> None:
    world = World()
    world.service.process(world.mention("1", followers=250_000), "brand")
    assert world.teams_alerted() == [("care", "medium"), ("pr", "high")]
    assert "250,000 followers" in world.notifier.sent[1].message


def test_reposts_of_the_same_words_are_one_conversation_and_spread_escalates_it_once() -> None:
    world = World()
    for n in range(8):  # eight people post the same complaint within the hour
        world.service.process(world.mention(str(n), text=f"RT {COMPLAINT} https://t.co/x{n}", author=f"user{n}"),
                              "brand")
        world.clock.advance(minutes=3)
    assert world.teams_alerted() == [("care", "medium"), ("pr", "high")]
    care = world.alerts.get(world.notifier.sent[0].message.split("Alert: ")[1].split()[0], world.clock())
    assert care is not None and care.mentions == 8
    assert "5 people joined the conversation" in world.notifier.sent[1].message


def test_replies_join_their_parents_conversation() -> None:
    world = World()
    world.service.process(world.mention("1"), "brand")
    world.service.process(world.mention("2", text="Same here, terrible", author="piet", in_reply_to="1"), "brand")
    assert len(world.notifier.sent) == 1  # the reply's complaint is counted on the same care alert


def test_praise_goes_to_marketing_and_other_is_only_stored() -> None:
    world = World()
    assert world.service.process(world.mention("1", text="Bedankt voor de snelle hulp!"), "brand") == "marketing:low"
    assert world.service.process(world.mention("2", text="Nieuwe vacature in Utrecht"), "brand") == "stored"
    assert world.teams_alerted() == [("marketing", "low")]


ARABIC_COMPLAINT = "الخدمة سيئة جدا ولا أحد يرد على الهاتف منذ ثلاثة أيام"


def test_a_mention_in_another_language_goes_to_care_for_triage_with_its_language() -> None:
    """Issue 11, item 22: an Arabic complaint was stored as `other` with no team, so nobody was told."""
    world = World()
    assert world.service.process(world.mention("1", text="مرحبا، متى يفتح المتجر"), "brand") == "care:medium"
    [sent] = world.notifier.sent
    assert sent.subject.startswith("[care medium] other (ar) on x by @jan")
    assert sent.attributes["language"] == "other"  # what subscriptions filter on stays nl, en or other
    assert ("Why: in Arabic (ar), which Chorus cannot classify (it reads Dutch and English): read it and decide who "
            "answers it") in sent.message
    stored = world.mentions.get(world.mention("1").id, world.clock())
    assert stored is not None and (stored.language, stored.detected_language, stored.teams) == ("other", "ar", ["care"])


def test_a_complaint_in_another_language_that_a_rule_sends_to_care_is_told_once() -> None:
    world = World()
    assert world.service.process(world.mention("1", text=ARABIC_COMPLAINT), "brand") == "care:medium"
    assert world.teams_alerted() == [("care", "medium")]


def test_the_platforms_own_language_tag_names_the_language() -> None:
    world = World()
    world.service.process(world.mention("1", text="Merci beaucoup", language_hint="fr"), "brand")
    world.service.process(world.mention("2", text="مرحبا", language_hint="fa"), "brand")
    stored = [world.mentions.get(world.mention(n).id, world.clock()) for n in ("1", "2")]
    assert [(r.language, r.detected_language, r.teams) for r in stored if r] == [
        ("other", "fr", ["marketing", "care"]), ("other", "fa", ["care"])]


def test_a_sources_dutch_or_english_overrules_other_only_for_a_few_words_in_latin_letters() -> None:
    """"Prima" from a Dutch feed is Dutch; an Arabic complaint in a Dutch feed is still Arabic (and reaches care)."""
    world = World()
    world.service.process(world.mention("1", text="Merci!", language_hint="nl"), "brand")
    world.service.process(world.mention("2", text="Merci pour votre aide rapide hier", language_hint="nl"), "brand")
    world.service.process(world.mention("3", text="مرحبا", language_hint="nl"), "brand")
    stored = [world.mentions.get(world.mention(n).id, world.clock()) for n in ("1", "2", "3")]
    assert [(r.language, r.detected_language, r.teams) for r in stored if r] == [
        ("nl", "nl", ["marketing"]), ("other", "fr", ["marketing", "care"]), ("other", "ar", ["care"])]


def test_a_mention_without_words_is_stored_and_routed_by_the_rules_only() -> None:
    world = World()
    assert world.service.process(world.mention("1", text="👍🎉"), "brand") == "stored"
    stored = world.mentions.get(world.mention("1").id, world.clock())
    assert stored is not None and (stored.language, stored.detected_language) == ("other", None)


def test_praise_with_signs_of_irony_also_goes_to_care() -> None:
    """Issue 11, item 11: sarcasm is praise in its words; care reads it, as it may well be a complaint."""
    world = World()
    text = "Oh great, thanks for skipping our street AGAIN 🙄"
    assert world.service.process(world.mention("1", text=text), "brand") == "marketing:low,care:medium"
    care = world.notifier.sent[1]
    assert "Why: praise with signs of irony (“🙄”, “Oh great”, “AGAIN”, “skipping”): it may be a complaint; read it " \
           "and decide who answers it" in care.message
    assert world.service.process(world.mention("2", text="Bedankt voor de snelle hulp!"), "brand") == "marketing:low"


def test_sms_attribute_only_within_the_hourly_budget() -> None:
    world = World()
    world.service.set_rules(DEFAULT_RULES.model_copy(update={"sms_per_hour": 2}), CARE)
    for n in range(4):
        world.service.process(world.mention(str(n), text=f"{COMPLAINT} nummer {n} " * 2, author=f"vip{n}",
                                            followers=99_999), "brand")
    pr = [s.attributes["sms"] for s in world.notifier.sent if s.attributes["team"] == "pr"]
    assert pr == ["yes", "yes", "no", "no"]


def test_a_crash_after_creating_the_alert_is_recovered_by_the_redelivery() -> None:
    world = World()

    class Dies(Exception):
        pass

    def die(*_: object, **__: object) -> None:
        raise Dies
    original = world.notifier.send
    world.notifier.send = die  # type: ignore[method-assign]  # SNS fails
    with pytest.raises(Dies):
        world.service.process(world.mention("1"), "brand")
    world.notifier.send = original  # type: ignore[method-assign]  # the fake's own send again
    with pytest.raises(Conflict):  # redelivered before the claim ended: someone may still send; the queue retries
        world.service.process(world.mention("1"), "brand")
    assert world.notifier.sent == []
    world.clock.advance(seconds=61)
    world.service.process(world.mention("1"), "brand")
    assert world.teams_alerted() == [("care", "medium")]
    world.service.process(world.mention("1"), "brand")
    assert len(world.notifier.sent) == 1


def test_rules_are_data_first_match_wins() -> None:
    world = World()
    world.service.set_rules(RoutingRules(rules=[Rule(intent="complaint", team="pr", severity="high", languages=["en"]),
                                                Rule(intent="complaint", team="care")], escalation=Escalation()), CARE)
    world.service.process(world.mention("1", text="Terrible service, thanks for nothing"), "brand")
    world.service.process(world.mention("2"), "brand")
    assert world.teams_alerted() == [("pr", "high"), ("care", "medium")]


def test_acknowledging_records_who_and_when_once() -> None:
    world = World()
    world.service.process(world.mention("1"), "brand")
    alert_id = world.notifier.sent[0].message.split("Alert: ")[1].split()[0]
    acknowledged = world.service.acknowledge(alert_id, CARE)
    assert (acknowledged.status, acknowledged.acknowledged_by) == ("acknowledged", "carla")
    world.clock.advance(minutes=5)
    assert world.service.acknowledge(alert_id, Principal("other", frozenset({"care"}))).acknowledged_by == "carla"


def test_ingest_queues_a_normalised_mention() -> None:
    world = World()
    body = MentionIn.model_validate({"platform": "mastodon", "id": "109", "text": COMPLAINT, "forwarded_by": "ellen"})
    queued = world.service.ingest(body, Principal("ellen", frozenset({"publisher"})))
    [(mention, facet)] = world.queue.messages
    assert queued == {"id": mention.id, "status": "queued"} and facet == "brand"
    assert mention.author.handle == "ellen" and mention.created_at == T0


def test_expired_mentions_are_not_read() -> None:
    world = World()
    world.service.process(world.mention("1"), "brand")
    world.clock.advance(days=91)
    assert world.mentions.get(world.mention("1").id, world.clock()) is None


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["", "RT ", "via "]),
       st.sampled_from(["", " https://t.co/abc", " @someone"]))
def test_a_repost_has_the_fingerprint_of_the_original(text: str, prefix: str, suffix: str) -> None:
    assert text_fingerprint(prefix + text + suffix) == text_fingerprint(text)


def test_short_texts_are_not_grouped_by_their_words() -> None:
    mention = Mention("x", "1", "bedankt!", T0, Author("a"))
    assert conversation_of(mention, None) == "x#1"
    assert conversation_of(Mention("x", "2", "ok", T0, Author("b"), in_reply_to="1"), None) == "x#1"
    assert conversation_of(Mention("x", "3", "ok", T0, Author("b"), engagement=Engagement()), "text#abc") == "text#abc"
