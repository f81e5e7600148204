"""Saved replies' pure rules: placeholders checked when a template is saved and filled in for a mention, who may
write a team's templates, and the order a mention is offered them in."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.core.errors import Forbidden, ValidationError
from chorus.core.roles import Principal
from chorus.inbox.saved import rules
from chorus.listening.schemas import case_number

KNOWN = sorted(rules.PLACEHOLDERS)
# (NUL is left out only because the test below uses it as a marker.)
no_braces = st.text(alphabet=st.characters(blacklist_characters="{}\x00", codec="utf-8"), max_size=300)
any_value = st.text(alphabet=st.characters(blacklist_characters="\x00", codec="utf-8"), max_size=60)
values = st.fixed_dictionaries({name: any_value for name in KNOWN})
# A template as someone could write it: plain text with known placeholders anywhere.
template = st.lists(st.one_of(no_braces, st.sampled_from([f"{{{name}}}" for name in KNOWN])), max_size=12).map("".join)


@given(no_braces, values)
def test_text_without_braces_fills_to_itself(text: str, filling: dict[str, str]) -> None:
    assert rules.placeholders_in(text) == []
    assert rules.fill(text, filling) == text


@given(template, values)
def test_filling_never_leaves_a_placeholder(text: str, filling: dict[str, str]) -> None:
    rules.placeholders_in(text)  # a template made of known placeholders is accepted
    filled = rules.fill(text, filling)
    assert "{" not in filled and "}" not in filled  # values' own braces are dropped: nothing to fill again
    assert all(f"{{{name}}}" not in filled for name in KNOWN)


@given(template, values)
def test_filling_puts_each_value_where_its_placeholder_was(text: str, filling: dict[str, str]) -> None:
    clean = {name: value.replace("{", "").replace("}", "") for name, value in filling.items()}
    expected = text
    for name in KNOWN:  # no value has braces left, so replacing one after another gives the same as one pass
        expected = expected.replace(f"{{{name}}}", f"\x00{name}\x00")
    for name in KNOWN:
        expected = expected.replace(f"\x00{name}\x00", clean[name])
    assert rules.fill(text, filling) == expected


def test_a_value_that_looks_like_a_placeholder_is_not_filled_again() -> None:
    filled = rules.fill("Hoi {name}, groet {agent}", {"name": "{agent}", "handle": "", "case": "", "agent": "Carla"})
    assert filled == "Hoi agent, groet Carla"


def test_placeholders_are_listed_once_in_order_of_first_use() -> None:
    assert rules.placeholders_in("{agent}: {name}, {case} ({name})") == ["agent", "name", "case"]


@pytest.mark.parametrize("text, named", [
    ("Hoi {naam}, ...", "naam"), ("Hoi {Name}", "Name"), ("Beste { name }", " name "), ("{}", ""),
])
def test_an_unknown_placeholder_is_refused_naming_it(text: str, named: str) -> None:
    with pytest.raises(ValidationError) as refused:
        rules.placeholders_in(text)
    assert refused.value.field == "text"
    assert refused.value.details["placeholder"] == named
    assert f"{{{named}}}" in refused.value.message and "{name}, {handle}, {case}, {agent}" in refused.value.message


@pytest.mark.parametrize("text", ["Hoi {name", "Hoi name}", "{{name}}", "Groet :-}"])
def test_a_brace_outside_a_placeholder_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        rules.placeholders_in(text)
    assert refused.value.field == "text"


def test_text_and_title_are_cleaned_and_checked() -> None:
    assert rules.clean_text("  Hoi {name}!\n") == ("Hoi {name}!", ["name"])
    assert rules.clean_title("  Pakket   kwijt ") == "Pakket kwijt"
    with pytest.raises(ValidationError, match="empty") as empty:
        rules.clean_title("   ")
    assert empty.value.field == "title"
    with pytest.raises(ValidationError) as blank:
        rules.clean_text(" \n ")
    assert blank.value.field == "text"


def test_values_for_a_mention() -> None:
    assert rules.values_for("@klant", "Jan  de Vries", "C-1234-ABCD", "Carla de Vries", "carla") == {
        "name": "Jan de Vries", "handle": "@klant", "case": "C-1234-ABCD", "agent": "Carla"}
    # No display name: the handle stands in; no name in the user pool: the username.
    assert rules.values_for("klant.bsky.social", None, "C-1", None, "demo-care") == {
        "name": "klant.bsky.social", "handle": "@klant.bsky.social", "case": "C-1", "agent": "demo-care"}
    assert rules.values_for("klant", "   ", "C-1", "  ", "bob")["name"] == "klant"


@given(st.text(min_size=1, max_size=40))
def test_a_case_number_is_stable_short_and_readable(mention_id: str) -> None:
    number = case_number(mention_id)
    assert number == case_number(mention_id)
    assert len(number) == 11 and number.startswith("C-") and number[6] == "-"
    assert not set(number[2:].replace("-", "")) & set("ILOU")  # nothing to misread on the phone


def test_different_mentions_get_different_case_numbers() -> None:
    numbers = {case_number(f"m{n:024x}") for n in range(20_000)}
    assert len(numbers) == 20_000


@pytest.mark.parametrize("roles, team, allowed", [
    ({"care"}, "care", True), ({"care"}, "care-lead", True), ({"care"}, "pr", False),
    ({"pr"}, "pr", True), ({"pr"}, "care", False), ({"editor"}, "marketing", True), ({"editor"}, "care", False),
    ({"master"}, "pr", True), ({"viewer"}, "care", False), ({"care", "pr"}, "pr", True),
])
def test_a_teams_own_people_and_master_write_its_saved_replies(roles: set[str], team: str, allowed: bool) -> None:
    actor = Principal("someone", frozenset(roles))
    assert rules.may_write(actor, team) is allowed
    if not allowed:
        with pytest.raises(Forbidden, match=team):
            rules.require_write(actor, team)


@pytest.mark.parametrize("language, teams, expected", [
    ("nl", ["care"], (("care",), ("nl", "en"))),
    ("en", ["care", "pr"], (("care", "pr"), ("en", "nl"))),
    ("other", [], (("care",), ("en", "nl"))),  # nobody was told: care triages it; English first
])
def test_a_mention_is_offered_its_teams_templates_in_its_language_first(
        language: str, teams: list[str], expected: tuple[tuple[str, ...], tuple[str, ...]]) -> None:
    assert rules.offer_order(language, teams) == expected
