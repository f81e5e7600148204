"""Signed acknowledge links: who a valid link speaks for, and a clear refusal for anything altered or expired."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chorus.core.errors import Forbidden
from chorus.http.signing import AckLinks
from tests.unit.listening.fakes import T0

KEY = b"k" * 64
LINKS = AckLinks(lambda: KEY, "https://chorus.example/api/")


def params_of(link: str) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(urlsplit(link).query).items()}


def test_a_link_names_the_alert_and_speaks_for_the_team_it_was_sent_to_for_seven_days() -> None:
    link = LINKS.link("a123", "care-lead", T0)
    assert link is not None and link.startswith("https://chorus.example/api/alerts/a123/ack?team=care-lead&expires=")
    params = params_of(link)
    assert int(params["expires"]) == int((T0 + timedelta(days=7)).timestamp())
    assert LINKS.signer("a123", params, T0 + timedelta(days=6)).username == "care-lead (email link)"


@pytest.mark.parametrize(("alert_id", "change"), [
    ("a999", {}),  # another alert's link
    ("a123", {"team": "pr"}),
    ("a123", {"expires": "9999999999"}),
    ("a123", {"sig": "A" * 43}),
])
def test_an_altered_link_is_refused(alert_id: str, change: dict[str, str]) -> None:
    params = {**params_of(LINKS.link("a123", "care", T0) or ""), **change}
    with pytest.raises(Forbidden, match="not valid"):
        LINKS.signer(alert_id, params, T0)


def test_a_link_signed_with_another_key_is_refused() -> None:
    forged = AckLinks(lambda: b"another key", "https://chorus.example/api").link("a123", "care", T0)
    with pytest.raises(Forbidden, match="not valid"):
        LINKS.signer("a123", params_of(forged or ""), T0)


def test_an_expired_link_is_refused_with_when_it_expired() -> None:
    params = params_of(LINKS.link("a123", "care", T0) or "")
    with pytest.raises(Forbidden, match=r"expired at 2026-11-27T09:00:00Z"):
        LINKS.signer("a123", params, T0 + timedelta(days=7))


@pytest.mark.parametrize("missing", ["team", "expires", "sig"])
def test_an_incomplete_link_is_refused(missing: str) -> None:
    params = params_of(LINKS.link("a123", "care", T0) or "")
    del params[missing]
    with pytest.raises(Forbidden, match="incomplete"):
        LINKS.signer("a123", params, T0)


@given(st.dictionaries(st.sampled_from(["team", "expires", "sig"]), st.text(st.characters(codec=None), max_size=60)))
def test_made_up_parameters_are_always_refused_never_an_error(params: dict[str, str]) -> None:
    with pytest.raises(Forbidden):
        LINKS.signer("a123", params, T0)


def test_without_a_public_url_or_a_readable_key_alerts_go_out_without_a_link() -> None:
    assert AckLinks(lambda: KEY, None).link("a123", "care", T0) is None

    def unreadable() -> bytes:
        raise RuntimeError("AccessDenied")

    assert AckLinks(unreadable, "https://chorus.example/api").link("a123", "care", T0) is None
