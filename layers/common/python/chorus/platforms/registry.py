"""Builds what talks to a network. Each platform's module is imported only when a channel or source of that platform
is used, so a function that posts to one platform never loads the others.

- Connectors: one per channel, from its settings and its credentials in Secrets Manager (through Powertools
  Parameters, cached for five minutes; the local outbox needs none), kept while the Lambda is warm.
- Fetchers: one per source kind. A fetcher keeps what is worth keeping between polls (Bluesky sessions, Reddit
  tokens): build one per kind and reuse it."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from chorus.aws.secrets import ChannelSecret
from chorus.calendar.schemas import Channel
from chorus.platforms.base import (
    SOURCE_KINDS,
    BadSetting,
    Connector,
    Credentials,
    CredentialsRejected,
    Fetcher,
    PermanentFailure,
    SecretStore,
)
from chorus.platforms.transport import HttpClient

# One connector per channel and credentials, kept while the Lambda is warm: Bluesky limits sign-ins to 30 per
# 5 minutes per account, so its session must outlive a single publish.
_connectors: dict[tuple[str, str], Connector] = {}


def connector_for_channel(channel: Channel, secrets_prefix: str) -> Connector:
    if channel.platform == "local":  # the outbox needs no credentials
        return connector_for("local", {"channel_id": channel.id}, Credentials({}))
    secret = ChannelSecret(f"{secrets_prefix}{channel.id}", channel.id)
    credentials = secret.cached()
    identity = json.dumps([channel.platform, channel.connection, credentials], sort_keys=True)
    fingerprint = hashlib.sha256(identity.encode()).hexdigest()
    key = (channel.id, fingerprint)
    if key not in _connectors:
        _connectors[key] = connector_for(channel.platform, dict(channel.connection), Credentials(credentials), secret)
    return _connectors[key]


DEFAULT_BLUESKY_SERVICE = "https://bsky.social"


def connector_for(
    platform: str, settings: dict[str, str], credentials: Credentials, store: SecretStore | None = None
) -> Connector:
    """`store` is where the credentials came from; connectors that rotate tokens write the new ones back there."""
    if platform == "mastodon":
        from chorus.platforms.mastodon import MastodonConnector

        return MastodonConnector(
            _setting(platform, settings, "instance_url"), _credential(platform, credentials, "access_token")
        )
    if platform == "bluesky":
        from chorus.platforms.bluesky import BlueskyConnector

        return BlueskyConnector(
            settings.get("service_url") or DEFAULT_BLUESKY_SERVICE,
            _credential(platform, credentials, "handle"),
            _credential(platform, credentials, "app_password"),
        )
    if platform == "x":
        from chorus.platforms.x import XConnector, XTokens

        _credential(platform, credentials, "access_token")
        return XConnector(XTokens.from_secret(credentials.values), store=store)
    if platform == "linkedin":
        from chorus.platforms.linkedin import LinkedInConnector

        return LinkedInConnector(
            _credential(platform, credentials, "access_token"), _setting(platform, settings, "organization_urn")
        )
    if platform == "local":
        from chorus.platforms.local import LocalConnector

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


def fetcher_for(kind: str, transport: HttpClient | None = None) -> Fetcher:
    if kind == "rss":
        from chorus.platforms.rss import RssFetcher

        return RssFetcher(transport)
    if kind == "mastodon":
        from chorus.platforms.mastodon import MastodonFetcher

        return MastodonFetcher(transport)
    if kind == "bluesky":
        from chorus.platforms.bluesky import BlueskyFetcher

        return BlueskyFetcher(transport)
    if kind == "x":
        from chorus.platforms.x import XFetcher

        return XFetcher(transport)
    if kind == "reddit":
        from chorus.platforms.reddit import RedditFetcher

        return RedditFetcher(transport)
    raise BadSetting("kind", f"no fetcher for source kind {kind!r}; expected one of {', '.join(SOURCE_KINDS)}")
