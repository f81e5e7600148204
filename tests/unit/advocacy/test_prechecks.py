"""The pre-share check (chorus.advocacy.content.rules): examples of what it flags and what it leaves alone, then
properties of the parser over generated texts."""
from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chorus.advocacy.content.rules import TUSSENVOEGSELS, Consent, check
from chorus.advocacy.content.schemas import Flag, PrecheckLists

NOBODY = Consent.of()


def found(text: str, consent: Consent = NOBODY, competitors: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in check(text, consent, competitors)]


# ---------------------------------------------------------------------------------------------------- examples
@pytest.mark.parametrize("name", ["Jan van der Berg", "Anna de Vries", "Piet ter Horst", "Joost van 't Hek",
                                  "Marieke van den Broek", "Anna Maria Jansen-de Boer", "Émile Zola", "Jan Van Dijk"])
def test_full_names_with_tussenvoegsels_are_found(name: str) -> None:
    assert found(f"Vandaag sprak {name} over ons nieuwe magazijn.") == [("name", name)]


def test_the_flag_says_where_and_why() -> None:
    text = "Welkom aan boord, Jan van der Berg!"
    (flag,) = check(text, NOBODY)
    assert flag == Flag(kind="name", text="Jan van der Berg", start=18, end=34, reason=flag.reason)
    assert text[flag.start:flag.end] == "Jan van der Berg" and "agreed to be named" in flag.reason


@pytest.mark.parametrize("text", [
    "De Vries won gisteren.",  # a surname alone
    "Welkom Jan!",  # a first name alone
    "KLM en NS rijden samen.",  # acronyms
    "Open Dag Bij Onze Grote Fabriek Vandaag",  # a title in title case
    "Mail info@example.com of kijk op https://www.Jansen.nl/Over-Ons",  # an address and a link
    "In Amsterdam.",  # one capitalised word after a particle
])
def test_ordinary_capitals_are_not_names(text: str) -> None:
    assert found(text) == []


@pytest.mark.parametrize(("text", "name"), [
    ("Vandaag was ik met Piet Jansen in het Vogelpark.", "Piet Jansen"),
    ("Anna Bakker op de Dam, met de hele afdeling.", "Anna Bakker"),
    ("Groeten van Kees Smit uit Den Haag", "Kees Smit"),
    ("Het gesprek met Piet Jansen te Amsterdam ging goed.", "Piet Jansen"),
    ("Jan Willem Bakker bij de Stadsschouwburg", "Jan Willem Bakker"),
])
def test_a_name_does_not_run_on_into_a_place(text: str, name: str) -> None:
    assert found(text) == [("name", name)]


@pytest.mark.parametrize("name", ["Sophie in 't Veld", "Jan op de Beek", "Piet uit den Bogaard", "Anna te Riele",
                                  "Jan Willem van der Berg", "Anna de Vries-van Dijk", "Jan Van der Berg"])
def test_real_names_with_those_particles_are_still_found_whole(name: str) -> None:
    assert found(f"Vandaag sprak {name} over ons nieuwe magazijn.") == [("name", name)]


def test_a_place_after_a_lowercase_particle_is_no_surname() -> None:
    assert found("Kees uit Den Haag en Anna van De Bilt") == []


def test_a_sentence_word_and_a_particle_in_front_of_a_name_are_not_part_of_it() -> None:
    assert found("Foto van Anna Bakker") == [("name", "Anna Bakker")]
    assert found("Bericht van Jan de Vries, Piet van Dam") == [("name", "Jan de Vries"), ("name", "Piet van Dam")]


def test_sentence_words_in_front_of_a_name_are_not_part_of_it() -> None:
    assert found("Welkom Jan de Vries") == [("name", "Jan de Vries")]
    assert found("Gefeliciteerd Anna Jansen!") == [("name", "Anna Jansen")]


def test_handles_of_every_platform_are_found_but_not_email_addresses() -> None:
    text = "Dank @ann, @bob.bsky.social en @carl@social.example (mail carl@example.com)."
    assert found(text) == [("handle", "@ann"), ("handle", "@bob.bsky.social"), ("handle", "@carl@social.example")]


def test_people_who_agreed_are_not_flagged_by_name_or_handle() -> None:
    consent = Consent.of(["Jan de Vries", "@ann"], ["@carl@social.example", "bob.bsky.social"])
    text = "Dank Jan de Vries, @ann, @bob.bsky.social en @carl@social.example; ook @dave en Piet Jansen."
    assert found(text, consent) == [("handle", "@dave"), ("name", "Piet Jansen")]


def test_consent_ignores_case_spacing_and_apostrophes() -> None:
    consent = Consent.of(["joost  VAN ’t hek"], ["@Ann"])
    assert found("Met Joost van 't Hek en @ANN.", consent) == []


def test_a_consented_name_inside_a_longer_run_leaves_the_rest_to_be_judged() -> None:
    consent = Consent.of(["Jan de Vries"])
    assert found("Proost Jan de Vries", consent) == []
    assert found("Anna Bakker Jan de Vries", consent) == [("name", "Anna Bakker")]


def test_competitors_match_whole_words_in_any_case_and_are_not_also_names() -> None:
    competitors = ("Albert Heijn", "Jumbo", "@lidl")
    text = "Beter dan ALBERT  heijn of jumbo's? Niet Jumbotron, wel #Jumbo en @lidl."
    assert found(text, NOBODY, competitors) == [
        ("competitor", "ALBERT  heijn"), ("competitor", "jumbo"), ("competitor", "Jumbo"), ("competitor", "@lidl")]
    assert found("Albert Heijn opent", NOBODY, competitors) == [("competitor", "Albert Heijn")]


def test_lists_are_cleaned_and_deduplicated() -> None:
    lists = PrecheckLists(named=[" Jan  de Vries ", "jan de vries", "@ann"], competitors=["Jumbo", "JUMBO"])
    assert lists.named == ["Jan de Vries", "@ann"] and lists.competitors == ["Jumbo"]
    with pytest.raises(ValueError):
        PrecheckLists(competitors=["  "])


# ---------------------------------------------------------------------------------------------------- properties
first_names = st.sampled_from(["Jan", "Anna", "Piet", "Marieke", "Joost", "Émile", "Sanne", "Öznur", "Kees"])
surnames = st.sampled_from(["Berg", "Vries", "Horst", "Jansen", "Bakker", "Hek", "Dijk", "Boer", "Smit"])
particles = st.sampled_from(["", "van", "de", "van der", "van den", "ter", "van 't", "den", "in 't", "op de",
                             "uit den", "te", "ten", "van de"])


@st.composite
def person_names(draw: st.DrawFn) -> str:
    particle = draw(particles)
    return " ".join(part for part in (draw(first_names), particle, draw(surnames)) if part)


filler = st.lists(st.sampled_from(["we", "zijn", "blij", "met", "het", "nieuws", "en", "dank", "aan", "iedereen",
                                   "today", "great", "work", ",", ".", "!", "2026", "#team", "https://x.nl/a"]),
                  max_size=8).map(" ".join)


@settings(max_examples=300)
@given(st.text(max_size=300), st.lists(st.text(min_size=1, max_size=30), max_size=4),
       st.lists(st.text(min_size=1, max_size=20), max_size=4))
def test_flags_always_point_into_the_text_in_order_without_overlap(text: str, named: list[str],
                                                                   competitors: list[str]) -> None:
    flags = check(text, Consent.of(named, named), competitors)
    for flag in flags:
        assert 0 <= flag.start < flag.end <= len(text)
        assert text[flag.start:flag.end] == flag.text
    for before, after in pairwise(flags):
        assert before.end <= after.start


@given(filler, person_names(), filler)
def test_a_name_in_ordinary_text_is_flagged_exactly_unless_they_agreed(before: str, name: str, after: str) -> None:
    text = f"{before} {name} {after}"
    start = len(before) + 1
    assert [(f.kind, f.start, f.end) for f in check(text, NOBODY) if f.kind == "name"] == [("name", start,
                                                                                            start + len(name))]
    assert [f for f in check(text, Consent.of([name.upper()])) if f.kind == "name"] == []


@given(st.text(max_size=200), st.lists(person_names(), min_size=1, max_size=3),
       st.lists(st.text(max_size=15), max_size=3))
def test_consenting_more_people_never_adds_a_flag(text: str, extra: list[str], competitors: list[str]) -> None:
    fewer = {(f.kind, f.start, f.end) for f in check(text, NOBODY, competitors)}
    more = {(f.kind, f.start, f.end) for f in check(text, Consent.of(extra), competitors)}
    assert more <= fewer


@given(filler, st.sampled_from(["Jumbo", "Albert Heijn", "C&A", "Blokker"]), filler, st.booleans())
def test_a_competitor_is_always_flagged_whatever_its_case(before: str, competitor: str, after: str,
                                                          upper: bool) -> None:
    written = competitor.upper() if upper else competitor.lower()
    text = f"{before} {written} {after}"
    flags = [f for f in check(text, NOBODY, [competitor]) if f.kind == "competitor"]
    assert [(f.start, f.text) for f in flags] == [(len(before) + 1, written)]


@given(st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True), filler, filler)
def test_a_handle_is_flagged_unless_consented(handle: str, before: str, after: str) -> None:
    assume(not before.endswith(("@", ".")))
    text = f"{before} @{handle} {after}"
    assert ("handle", f"@{handle}") in found(text)
    assert ("handle", f"@{handle}") not in found(text, Consent.of([], [handle.upper()]))


prepositions = st.sampled_from(["in", "in het", "op", "op de", "op het", "uit", "uit de", "bij", "bij de", "aan",
                                "aan de", "te", "onder de", "over de", "in 't"])
places = st.sampled_from(["Vogelpark", "Amsterdam", "Stadhuis", "Jaarbeurs", "Rijksmuseum", "Markt", "Zuidas"])


@given(filler, first_names, surnames, prepositions, places, filler)
def test_a_name_does_not_run_on_into_the_place_after_it(before: str, first: str, surname: str, preposition: str,
                                                        place: str, after: str) -> None:
    name = f"{first} {surname}"
    text = f"{before} {name} {preposition} {place} {after}"
    start = len(before) + 1
    assert [(f.text, f.start, f.end) for f in check(text, NOBODY)] == [(name, start, start + len(name))]


words = st.sampled_from(["Jan", "Anna", "Piet", "Willem", "Jansen", "Berg", "Vries", "Vogelpark", "Den", "Haag",
                         "De", "Van", "van", "de", "der", "den", "in", "het", "'t", "op", "uit", "te", "ter", "bij",
                         "met", "was", "en", "vandaag", ",", "."])


@settings(max_examples=300)
@given(st.lists(words, max_size=14).map(" ".join))
def test_a_flagged_name_is_first_names_then_at_most_one_group_of_particles_then_one_surname(text: str) -> None:
    for flag in check(text, NOBODY):
        parts = flag.text.split()
        is_particle = [part.casefold() in TUSSENVOEGSELS for part in parts]
        assert not is_particle[0] and not is_particle[-1], flag.text
        if any(is_particle):
            first, last = is_particle.index(True), len(is_particle) - 1 - is_particle[::-1].index(True)
            assert all(is_particle[first:last + 1]), flag.text  # one group
            assert last == len(parts) - 2, flag.text  # then the surname, and the name ends


def test_particles_alone_never_make_a_name() -> None:
    text = " ".join(sorted(TUSSENVOEGSELS)).title()
    assert found(text) == []
