"""People, handles, change rules, policy and inventory: the pure rules of chorus.advocacy.people.rules."""
from __future__ import annotations

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.advocacy.people.rules import apply_change, check_change, check_next_version, inventory
from chorus.advocacy.people.schemas import (
    PLATFORMS,
    PROGRAMME_ROLES,
    PersonChange,
    PersonIn,
    PolicyIn,
    eligible_partition,
    normalise_handle,
)
from chorus.core.errors import Conflict, Forbidden, ValidationError
from chorus.core.roles import Principal
from tests.unit.advocacy.people_fakes import person

LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?", fullmatch=True)
HOST = st.builds(lambda labels, tld: ".".join([*labels, tld]), st.lists(LABEL, min_size=1, max_size=3),
                 st.from_regex(r"[a-z][a-z0-9]{1,5}", fullmatch=True))
MASTODON_USER = st.from_regex(r"[a-z0-9_]{1,12}([.-][a-z0-9_]{1,8})?", fullmatch=True)
X_USER = st.from_regex(r"[a-z0-9_]{1,15}", fullmatch=True)
SLUG = st.from_regex(r"[a-z0-9][a-z0-9-]{1,30}[a-z0-9]", fullmatch=True)


def _shout(text: str, upper: bool) -> str:
    return text.upper() if upper else text


# ---------------------------------------------------------------------------------------------------- handles
@pytest.mark.parametrize(("platform", "typed", "stored"), [
    ("mastodon", "@Ann@Social.Example", "@ann@social.example"),
    ("mastodon", "ann@social.example", "@ann@social.example"),
    ("mastodon", "https://social.example/@Ann", "@ann@social.example"),
    ("bluesky", "@Ann.bsky.social", "ann.bsky.social"),
    ("bluesky", "https://bsky.app/profile/ann.bsky.social", "ann.bsky.social"),
    ("x", "@Ann_NL", "ann_nl"),
    ("x", "https://twitter.com/ann_nl?lang=nl", "ann_nl"),
    ("x", "x.com/ann_nl", "ann_nl"),
    ("linkedin", "https://www.linkedin.com/in/ann-de-vries/", "ann-de-vries"),
    ("linkedin", "Ann-de-Vries", "ann-de-vries"),
    ("youtube", "AnnVlogs", "@annvlogs"),
    ("threads", "https://www.threads.net/@ann.dv", "ann.dv"),
    ("blog", " https://ann.example/Blog ", "https://ann.example/Blog"),
])
def test_a_handle_is_stored_in_the_platforms_one_spelling(platform: str, typed: str, stored: str) -> None:
    assert normalise_handle(platform, typed) == stored


@pytest.mark.parametrize(("platform", "typed"), [
    ("mastodon", "@ann"),  # no instance: another server's @ann is someone else
    ("mastodon", "https://social.example/users/ann/statuses/1"),
    ("bluesky", "ann"),  # a handle is a domain name
    ("bluesky", "ann.bsky.123"),  # a TLD does not start with a digit
    ("x", "ann_de_vries_the_first"),  # over 15 characters
    ("x", "https://example.org/ann"),
    ("linkedin", "https://www.linkedin.com/company/chorus"),
    ("linkedin", "a"),
    ("blog", "ann.example"),
    ("x", "https://[x.com/ann"),  # not even a URL
    ("mastodon", "https://[::1/@ann"),
    ("myspace", "ann"),
])
def test_what_is_not_a_handle_is_refused_with_the_field_named(platform: str, typed: str) -> None:
    with pytest.raises(ValidationError) as refused:
        normalise_handle(platform, typed)
    assert refused.value.field.startswith("platforms")


@given(user=MASTODON_USER, host=HOST, at=st.booleans(), upper=st.booleans(), url=st.booleans())
def test_every_way_to_write_a_mastodon_account_gives_the_same_handle(user: str, host: str, at: bool, upper: bool,
                                                                      url: bool) -> None:
    typed = (f"https://{_shout(host, upper)}/@{_shout(user, upper)}" if url
             else _shout(f"{'@' if at else ''}{user}@{host}", upper))
    assert normalise_handle("mastodon", typed) == f"@{user}@{host}"


@given(host=HOST, at=st.booleans(), upper=st.booleans(), url=st.booleans())
def test_every_way_to_write_a_bluesky_handle_gives_the_same_handle(host: str, at: bool, upper: bool, url: bool) -> None:
    typed = f"{'@' if at else ''}{_shout(host, upper)}"
    assert normalise_handle("bluesky", f"https://bsky.app/profile/{typed}" if url else typed) == host


@given(user=X_USER, form=st.sampled_from(["{u}", "@{u}", "https://x.com/{u}", "twitter.com/{u}/"]), upper=st.booleans())
def test_every_way_to_write_an_x_username_gives_it_without_at(user: str, form: str, upper: bool) -> None:
    assert normalise_handle("x", form.format(u=_shout(user, upper))) == user


@given(slug=SLUG, form=st.sampled_from(["{s}", "https://www.linkedin.com/in/{s}/", "linkedin.com/in/{s}"]))
def test_every_way_to_write_a_linkedin_profile_gives_its_slug(slug: str, form: str) -> None:
    assert normalise_handle("linkedin", form.format(s=slug)) == slug


@given(platform=st.sampled_from(PLATFORMS),
       typed=st.one_of(st.text(max_size=80),
                       st.builds("https://{}/{}".format, st.text(max_size=30), st.text(max_size=30))))
def test_any_text_gives_a_handle_that_normalises_to_itself_or_a_validation_error(platform: str, typed: str) -> None:
    try:
        handle = normalise_handle(platform, typed)
    except ValidationError:
        return
    assert normalise_handle(platform, handle) == handle


# ---------------------------------------------------------------------------------------------------- input
def test_a_new_person_is_validated_and_cleaned() -> None:
    body = PersonIn(name="  Ann   de Vries ", team="Sales", email="Ann@Example.ORG", phone="0031 6-1234 5678",
                    roles=["publisher", "creator", "publisher"], topics=["Cycling", "cycling "],
                    platforms={"x": "@Ann"})
    assert (body.name, body.team, body.email, body.phone) == (
        "Ann de Vries", "sales", "Ann@example.org", "+31612345678")
    assert (body.roles, body.topics, body.platforms) == (["creator", "publisher"], ["cycling"], {"x": "ann"})


@pytest.mark.parametrize("fields", [
    {"email": "ann"}, {"phone": "12345"}, {"roles": ["care"]}, {"team": "Sales & Marketing"}, {"name": "   "},
    {"opted_in": True},  # never set by someone else: the person opts in themselves
    {"topics": [f"t{n}" for n in range(21)]},
])
def test_bad_person_input_is_refused(fields: dict) -> None:
    with pytest.raises((pydantic.ValidationError, ValidationError)):
        PersonIn.model_validate({"name": "Ann", "team": "sales", **fields})


def test_a_change_cannot_clear_what_a_person_must_have() -> None:
    with pytest.raises(pydantic.ValidationError, match="team cannot be null"):
        PersonChange.model_validate({"team": None})
    assert PersonChange.model_validate({"phone": None}).model_fields_set == {"phone"}


def test_masters_manage_roles_and_people_manage_their_consent() -> None:
    check_change({"roles", "team", "name"}, by_master=True, by_self=False)
    check_change({"named_consent", "rhythm", "email"}, by_master=False, by_self=True)
    check_change({"roles", "named_consent"}, by_master=True, by_self=True)  # a master editing themselves
    with pytest.raises(Forbidden, match="only a social master changes roles"):
        check_change({"roles"}, by_master=False, by_self=True)
    with pytest.raises(Forbidden, match="only the person themselves chooses named_consent"):
        check_change({"named_consent"}, by_master=True, by_self=False)
    with pytest.raises(Forbidden, match="only your own profile"):
        check_change({"email"}, by_master=False, by_self=False)


def test_offers_by_email_or_sms_need_the_address_to_send_them_to() -> None:
    ann = person(email="ann@example.org", notify_by="email")
    with pytest.raises(ValidationError, match="need an email address"):
        apply_change(ann, PersonChange(email=None), "2026-11-24T09:00:00Z")
    changed = apply_change(ann, PersonChange(phone="+31612345678", notify_by="sms"), "2026-11-24T09:00:00Z")
    assert (changed.notify_by, changed.phone, changed.updated_at) == ("sms", "+31612345678", "2026-11-24T09:00:00Z")


def test_a_policy_needs_a_version_name_and_its_text_or_url() -> None:
    assert PolicyIn(version="2026-2", summary="new", url="https://intra.example/policy").version == "2026-2"
    for bad in ({"version": "2026 2", "summary": "x", "text": "t"}, {"version": "v1", "summary": "x"},
                {"version": "v1", "summary": "x", "url": "intra/policy"}):
        with pytest.raises(pydantic.ValidationError):
            PolicyIn.model_validate(bad)


# ---------------------------------------------------------------------------------------------------- policy versions
@pytest.mark.parametrize(("current", "new"), [
    ("2026-9", "2026-10"), ("2026-2", "2027-1"), ("2026-2", "2026-2.1"), ("v1", "v2"), ("2026-1", "2026-1b"),
    ("2026-1", "2026.2"),
])
def test_a_later_version_may_follow_the_current_one(current: str, new: str) -> None:
    check_next_version(new, current)
    check_next_version(new, None)  # the first version may be anything


@pytest.mark.parametrize(("current", "new", "said"), [
    ("2026-2", "2025-9", "comes before the current version 2026-2"),
    ("2026-10", "2026-9", "comes before the current version 2026-10"),
    ("2026-2", "2026-2", "is already the current one"),
    ("2026-2", "2026_02", "is already the current one"),
])
def test_an_earlier_or_the_same_version_is_refused_with_the_next_one_suggested(current: str, new: str,
                                                                              said: str) -> None:
    with pytest.raises(Conflict, match=said) as refused:
        check_next_version(new, current)
    assert "versions only move forward" in str(refused.value) and refused.value.details["current"] == current
    assert "2026-3" in str(refused.value) if current == "2026-2" else True


@given(st.lists(st.integers(0, 3000), min_size=1, max_size=4), st.lists(st.integers(0, 3000), min_size=1, max_size=4),
       st.sampled_from(["-", ".", "_"]))
def test_versions_of_numbers_are_ordered_as_their_numbers(a: list[int], b: list[int], separator: str) -> None:
    first, second = separator.join(map(str, a)), "-".join(map(str, b))
    if b > a:
        check_next_version(second, first)
    else:
        with pytest.raises(Conflict):
            check_next_version(second, first)


# ---------------------------------------------------------------------------------------------------- eligibility
@given(opted_in=st.booleans(), erased=st.booleans(), roles=st.sets(st.sampled_from(PROGRAMME_ROLES)),
       acknowledged=st.sampled_from([None, "v1", "v2"]), current=st.sampled_from([None, "v1", "v2"]))
def test_only_opted_in_publishers_who_acknowledged_the_current_policy_receive_offers(
        opted_in: bool, erased: bool, roles: set[str], acknowledged: str | None, current: str | None) -> None:
    someone = person(opted_in=opted_in, roles=sorted(roles), policy_version=acknowledged,
                     erased_at="2026-11-24T09:00:00Z" if erased else None)
    receives = opted_in and not erased and "publisher" in roles and current is not None and acknowledged == current
    view = someone.view(current)
    assert view.receives_offers is receives
    assert (view.waiting_for == []) is receives
    assert (someone.eligibility() == eligible_partition(current or "")) is receives
    assert someone.can_receive_offers(current) is (opted_in and not erased and current is not None
                                                   and acknowledged == current)


def test_a_new_policy_version_is_missing_from_everyone_until_acknowledged() -> None:
    ann = person(opted_in=True, policy_version="2026-1")
    assert ann.view("2026-2").waiting_for == [
        "acknowledging policy version 2026-2 (POST /ambassadors/me/acknowledge-policy)"]


def test_erasing_keeps_only_what_is_not_personal() -> None:
    ann = person(username="ann", name="Ann", email="ann@example.org", phone="+31612345678", platforms={"x": "ann"},
                 topics=["cycling"], opted_in=True, named_consent=True, policy_version="v1",
                 roles=["creator", "publisher"])
    erased = ann.erased("2026-11-24T09:00:00Z")
    assert (erased.id, erased.team, erased.roles, erased.created_at) == (ann.id, ann.team, ann.roles, ann.created_at)
    assert (erased.username, erased.email, erased.phone, erased.platforms, erased.topics) == (None, None, None, {}, [])
    assert erased.name == "erased" and not erased.opted_in and not erased.named_consent and erased.eligibility() is None


def test_a_profile_belongs_to_its_username_whatever_the_case() -> None:
    assert person(username="Ann").is_principal(Principal("ann", frozenset({"publisher"})))
    assert not person(username=None).is_principal(Principal("ann", frozenset({"publisher"})))


# ---------------------------------------------------------------------------------------------------- inventory
def test_the_inventory_counts_people_per_platform_and_names_them() -> None:
    people = [
        person(name="Bo", team="hr", platforms={"x": "bo", "instagram": "bo.hr"}, opted_in=True),
        person(name="Ann", platforms={"x": "ann", "linkedin": "ann-de-vries"}),
        person(name="Cas", platforms={}),
        person(name="erased", platforms={}, erased_at="2026-11-24T09:00:00Z"),
    ]
    result = inventory(people)
    assert (result.people, result.active_somewhere, result.on_no_platform, result.opted_in) == (3, 2, 1, 1)
    assert [(p.platform, p.people, p.share) for p in result.platforms] == [
        ("x", 2, 0.667), ("instagram", 1, 0.333), ("linkedin", 1, 0.333)]
    assert [(w.name, w.handle) for w in result.platforms[0].who] == [("Ann", "ann"), ("Bo", "bo")]
