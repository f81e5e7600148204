"""connector_for: the right connector per platform, lazily imported, and clear errors for missing values."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from chorus.platforms.base import Credentials, CredentialsRejected, PermanentFailure
from chorus.platforms.bluesky import BlueskyConnector
from chorus.platforms.local import LocalConnector
from chorus.platforms.registry import connector_for

CASES = {
    "mastodon": ({"instance_url": "https://m.example"}, {"access_token": "tok"}),
    "bluesky": ({}, {"handle": "chorus.example.com", "app_password": "pass"}),
    "x": ({}, {"access_token": "tok"}),
    "linkedin": ({"organization_urn": "urn:li:organization:1"}, {"access_token": "tok"}),
}


@pytest.mark.parametrize("platform", sorted(CASES))
def test_each_platform_gets_its_connector(platform: str) -> None:
    settings, values = CASES[platform]
    connector = connector_for(platform, settings, Credentials(values))
    assert connector.platform == platform


def test_bluesky_defaults_to_bsky_social() -> None:
    connector = connector_for("bluesky", {}, Credentials(CASES["bluesky"][1]))
    assert isinstance(connector, BlueskyConnector)
    assert connector._service_url == "https://bsky.social"


@pytest.mark.parametrize("platform, missing", [
    ("mastodon", "access_token"), ("bluesky", "handle"), ("bluesky", "app_password"), ("x", "access_token"),
    ("linkedin", "access_token"),
])
def test_a_missing_credential_is_named_and_no_value_is_shown(platform: str, missing: str) -> None:
    settings, values = CASES[platform]
    values = {k: ("" if k == missing else v) for k, v in values.items()}
    with pytest.raises(CredentialsRejected) as raised:
        connector_for(platform, settings, Credentials(values))
    assert repr(missing) in str(raised.value)
    assert not any(v and v in str(raised.value) for v in values.values())


@pytest.mark.parametrize("platform, missing", [("mastodon", "instance_url"), ("linkedin", "organization_urn")])
def test_a_missing_setting_is_named(platform: str, missing: str) -> None:
    with pytest.raises(PermanentFailure, match=missing):
        connector_for(platform, {}, Credentials(CASES[platform][1]))


def test_an_unknown_platform_is_a_permanent_failure() -> None:
    with pytest.raises(PermanentFailure, match="myspace"):
        connector_for("myspace", {}, Credentials({}))


def test_only_the_platform_asked_for_is_imported() -> None:
    script = textwrap.dedent("""
        import sys
        from chorus.platforms.base import Credentials
        from chorus.platforms.registry import connector_for
        connector_for("x", {}, Credentials({"access_token": "tok"}))
        print(sorted(m.rsplit(".", 1)[1] for m in sys.modules if m.startswith("chorus.platforms.")))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['base', 'registry', 'transport', 'x']"


def test_local_is_built_from_its_settings() -> None:
    connector = connector_for("local", {"channel_id": "ch-1"}, Credentials({}))
    assert isinstance(connector, LocalConnector)
    assert (connector.platform, connector.channel_id) == ("local", "ch-1")
