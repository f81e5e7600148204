"""One connector per platform, built from a channel's settings and credentials. Each platform's module is imported
only when a channel of that platform is used, so a function that posts to one platform never loads the others."""
from __future__ import annotations

from collections.abc import Mapping

from chorus.adapters.connectors.base import Connector, Credentials, CredentialsRejected, PermanentFailure, SecretStore

DEFAULT_BLUESKY_SERVICE = "https://bsky.social"


def connector_for(platform: str, settings: dict[str, str], credentials: Credentials, store: SecretStore | None = None) -> Connector:
    """`store` is where the credentials came from; connectors that rotate tokens write the new ones back there."""
    if platform == "mastodon":
        from chorus.adapters.connectors.mastodon import MastodonConnector

        return MastodonConnector(_setting(platform, settings, "instance_url"), _credential(platform, credentials, "access_token"))
    if platform == "bluesky":
        from chorus.adapters.connectors.bluesky import BlueskyConnector

        return BlueskyConnector(
            settings.get("service_url") or DEFAULT_BLUESKY_SERVICE,
            _credential(platform, credentials, "handle"),
            _credential(platform, credentials, "app_password"),
        )
    if platform == "x":
        from chorus.adapters.connectors.x import XConnector, XTokens

        _credential(platform, credentials, "access_token")
        return XConnector(XTokens.from_secret(credentials.values), store=store)
    if platform == "linkedin":
        from chorus.adapters.connectors.linkedin import LinkedInConnector

        return LinkedInConnector(_credential(platform, credentials, "access_token"), _setting(platform, settings, "organization_urn"))
    if platform == "local":
        from chorus.adapters.connectors.local import LocalConnector

        return LocalConnector.from_settings(settings)
    raise PermanentFailure(f"no connector for platform {platform!r}")


def _setting(platform: str, settings: Mapping[str, str], name: str) -> str:
    value = settings.get(name)
    if not value:
        raise PermanentFailure(f"the {platform} channel has no {name!r} setting")
    return value


def _credential(platform: str, credentials: Credentials, name: str) -> str:
    value = credentials.get(name)
    if not value:  # CredentialsRejected (a PermanentFailure) so the publisher asks the owner to reconnect the channel
        raise CredentialsRejected(f"the {platform} channel's credentials have no {name!r} value")
    return value
