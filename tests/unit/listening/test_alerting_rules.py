"""Issue 11, items 13, 15 and 18 for alerting, without AWS: which complaints rules leave without a team (and that this
agrees with routing itself), versions of the routing rules with If-Match, Dutch phone numbers as typed, and alert
texts in the subscriber's language."""
from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.core import phones
from chorus.core.errors import PreconditionFailed, ValidationError
from chorus.core.roles import Principal
from chorus.listening.escalation import rules as escalation
from chorus.listening.rules import DEFAULT_RULES, FACETS, Facts, complaint_gaps, route
from chorus.listening.schemas import Alert, RoutingRules, Rule, Subscription, SubscriptionIn
from tests.unit.listening.test_listening_service import World

CARE = Principal("carla", frozenset({"care"}))


# ---------------------------------------------------------------------------------------------- complaint routes
def test_the_defaults_route_every_complaint_and_no_rules_route_none() -> None:
    assert complaint_gaps(DEFAULT_RULES) == []
    assert complaint_gaps(RoutingRules(rules=[])) == ["complaints in Dutch", "complaints in English"]
    only_praise = RoutingRules(rules=[Rule(intent="praise", team="marketing")])
    assert complaint_gaps(only_praise) == ["complaints in Dutch", "complaints in English"]


def test_rules_for_some_languages_or_facets_name_what_is_left_out() -> None:
    dutch = RoutingRules(rules=[Rule(intent="complaint", team="care", languages=["nl"])])
    assert complaint_gaps(dutch) == ["complaints in English"]
    brand = RoutingRules(rules=[Rule(intent="complaint", team="pr", facets=["brand"])])
    assert complaint_gaps(brand) == ["complaints in Dutch about the company or employees",
                                     "complaints in English about the company or employees"]
    other_only = RoutingRules(rules=[Rule(intent="complaint", team="care", languages=["other"])])
    assert complaint_gaps(other_only) == ["complaints in Dutch", "complaints in English"]


rule_sets = st.lists(st.builds(
    Rule, intent=st.sampled_from(["complaint", "question", "praise", "other"]),
    team=st.sampled_from(["care", "care-lead", "marketing", "pr"]),
    languages=st.lists(st.sampled_from(["nl", "en", "other"]), max_size=2, unique=True),
    facets=st.lists(st.sampled_from(list(FACETS)), max_size=2, unique=True)), max_size=6)


@given(rules=rule_sets, language=st.sampled_from(["nl", "en"]), facet=st.sampled_from(list(FACETS)))
def test_a_complaint_reaches_a_team_exactly_when_its_language_and_facet_are_not_a_gap(
        rules: list[Rule], language: str, facet: str) -> None:
    """The confirmation asks about the same complaints routing would drop (a certain complaint: score 1)."""
    routing = RoutingRules(rules=rules)
    facts = Facts(intent="complaint", language=language, facet=facet, complaint_score=1.0, followers=0,
                  distinct_authors=1, interactions=0)
    gaps = complaint_gaps(routing)
    names = {"nl": "Dutch", "en": "English"}
    in_gap = any(gap == f"complaints in {names[language]}" or (gap.startswith(f"complaints in {names[language]} about")
                                                                and facet in gap.replace("the ", ""))
                 for gap in gaps)
    assert bool(route(routing, facts)) == (not in_gap)


# ---------------------------------------------------------------------------------------------- versions
def test_each_save_is_a_new_version_with_who_and_when_and_if_match_refuses_a_stale_one() -> None:
    world = World()
    assert world.service.rules().version == 0
    first = world.service.set_rules(DEFAULT_RULES, CARE, expected_version=0)
    assert (first.version, first.changed_by, first.changed_at) == (1, "carla", "2026-11-20T09:00:00Z")
    with pytest.raises(PreconditionFailed) as stale:
        world.service.set_rules(DEFAULT_RULES, CARE, expected_version=0)
    assert stale.value.details == {"current_version": 1}
    assert world.service.set_rules(DEFAULT_RULES, CARE).version == 2  # no If-Match: on whatever is current
    assert [v.version for v in world.service.rule_versions(10, None)[0]] == [2, 1]


def test_no_complaint_route_is_refused_unless_confirmed_and_nothing_changes() -> None:
    world = World()
    with pytest.raises(ValidationError) as refused:
        world.service.set_rules(RoutingRules(rules=[]), CARE)
    assert refused.value.field == "confirm_no_complaint_route"
    assert world.service.rules().version == 0
    saved = world.service.set_rules(RoutingRules(rules=[]), CARE, confirm_no_complaint_route=True)
    assert (saved.version, saved.no_complaint_route, saved.rules) == (1, True, [])


# ---------------------------------------------------------------------------------------------- phone numbers
mobile_digits = st.tuples(st.sampled_from("1234568"), st.text("0123456789", min_size=7, max_size=7))


@given(digits=mobile_digits, form=st.sampled_from([
    "06 {a}{b3} {b4}", "06{a}{b}", "06-{a}{b}", "+31 6 {a}{b}", "+316{a}{b}", "0031 6 {a}{b}", "0031-6-{a}{b}",
    "+31 (0)6 {a}{b}", "(06) {a}{b}", "+31 6 {a}{b3} {b4}"]))
def test_dutch_mobile_numbers_as_people_type_them_are_stored_in_e164(digits: tuple[str, str], form: str) -> None:
    a, b = digits
    typed = form.format(a=a, b=b, b3=b[:3], b4=b[3:])
    assert phones.e164(typed) == f"+316{a}{b}"
    body = SubscriptionIn(name="PR", team="pr", protocol="sms", endpoint=typed)
    assert body.endpoint == f"+316{a}{b}"


@pytest.mark.parametrize(("typed", "why"), [
    ("020 123 4567", "landline"), ("12345", "not a valid phone number"), ("bel me", "not a phone number"),
    ("06 1234 567", "not a valid phone number"), ("+31 6 0000 0001", "not a valid phone number")])
def test_what_is_not_a_mobile_number_says_why(typed: str, why: str) -> None:
    with pytest.raises(phones.InvalidPhone, match=why):
        phones.e164(typed)


def test_numbers_with_another_country_code_stay_theirs() -> None:
    assert phones.e164("+32 470 12 34 56") == "+32470123456"
    assert phones.e164("+44 7400 123456") == "+447400123456"


# ---------------------------------------------------------------------------------------------- languages
def test_each_subscription_takes_the_messages_in_its_language_and_those_in_one_language_only() -> None:
    nl = Subscription(id="s1", name="Desk", team="care", protocol="email", endpoint="a@b.nl", min_severity="low",
                      created_by="m", created_at="2026-11-20T09:00:00Z")
    sms = nl.model_copy(update={"protocol": "sms", "min_severity": "high", "language": "en"})
    assert nl.language == "nl" and nl.filter_policy()["locale"] == [{"exists": False}, "nl"]
    assert sms.filter_policy() == {"team": ["care"], "severity": ["high"], "sms": ["yes"],
                                   "locale": [{"exists": False}, "en"]}
    assert nl.receives("care", "medium") and not sms.receives("care", "high")  # SMS: within a budget only


ALERT = Alert(id="a1", team="care", severity="medium", reason="author reaches 250,000 followers",
              reason_nl="de schrijver bereikt 250.000 volgers", intent="complaint", language="nl", platform="x",
              mention_id="m1", conversation="x#1", author_handle="klant", author_followers=250_000,
              excerpt="Al drie dagen geen internet", url="https://x.com/klant/status/1",
              created_at="2026-11-23T09:00:00Z", expires_at=2_000_000_000)


def test_an_alert_reads_in_dutch_or_english() -> None:
    assert ALERT.subject("nl") == "[care middel] klacht (nl) op x door @klant, 250.000 volgers"
    assert ALERT.subject() == "[care medium] complaint (nl) on x by @klant, 250,000 followers"
    dutch = ALERT.message("https://chorus.example/ack?lang=nl", "nl")
    assert "Waarom: de schrijver bereikt 250.000 volgers" in dutch
    assert dutch.endswith("Klik om het op te pakken: https://chorus.example/ack?lang=nl")
    assert "Klik" not in ALERT.message(None, "nl")  # the SMS: no link


def test_an_escalation_reads_in_dutch_or_english() -> None:
    stage = escalation.Stage("care-lead", timedelta(minutes=30), "high")
    now = escalation.raised_at(ALERT) + timedelta(minutes=150)
    assert escalation.subject(ALERT, stage, now, "nl").startswith("[care-lead hoog] 2 uur 30 min niet opgepakt: care")
    assert escalation.message(ALERT, stage, now, None, "nl").startswith(
        "Escalatie naar care-lead: deze melding voor care staat al 2 uur 30 min open en niemand heeft hem opgepakt.")
    assert escalation.subject(ALERT, stage, now).startswith("[care-lead high] not acknowledged for 2 h 30 min")


def test_the_service_sends_one_message_with_its_dutch_translation() -> None:
    world = World()
    world.service.process(world.mention("1", followers=250_000), "brand")
    care, pr = world.notifier.sent
    assert care.subject.startswith("[care medium] complaint (nl)")
    assert care.translations["nl"].subject.startswith("[care middel] klacht (nl) op x door @jan")
    assert "Waarom: de schrijver bereikt 250.000 volgers" in pr.translations["nl"].message


def test_a_spike_alert_reads_in_dutch_and_names_no_api_path() -> None:
    from chorus.listening.spikes.schemas import Example, Spike

    spike = Spike(id="s1", facet="brand", language="nl", detected_at="2026-11-20T09:00:00Z", count=34, mean=3.12,
                  sigma=1.77, threshold=8.42, sigmas=3.0, min_count=10, baseline_days=7, expires_at=2_000_000_000,
                  examples=[Example(mention_id="m7", author_handle="klant", platform="x", excerpt="Storing!")],
                  crisis_hold="switched_on")
    assert spike.subject("nl") == ("[pr hoog] piek: 34 negatieve berichten over het merk in het Nederlands in het "
                                   "afgelopen uur")
    dutch = spike.message("nl")
    assert "Waarom: 34 negatieve berichten in het afgelopen uur; meestal 3,1 ± 1,8" in dutch
    assert "(geen link; bericht m7 in Chorus)" in dutch and "Publicatiestop: AAN gezet door deze piek" in dutch
    english = spike.message()
    assert "(no link; mention m7 in Chorus)" in english and "Release the crisis hold in Chorus" in english
    assert "GET /" not in dutch + english and "POST /" not in dutch + english
