"""Builds the connector of a channel: the local outbox directly, other platforms with the channel's credentials
from Secrets Manager (through Powertools Parameters, cached for five minutes)."""
from __future__ import annotations

import hashlib
import json

from chorus.adapters.connectors.base import Connector, Credentials, CredentialsRejected
from chorus.domain.channels import Channel

SECRET_CACHE_SECONDS = 300
# One connector per channel and credentials, kept while the Lambda is warm: Bluesky limits sign-ins to 30 per
# 5 minutes per account, so its session must outlive a single publish.
_connectors: dict[tuple[str, str], Connector] = {}


def connector_for_channel(channel: Channel, secrets_prefix: str) -> Connector:
    from chorus.adapters.connectors.registry import connector_for

    if channel.platform == "local":  # the outbox needs no credentials
        return connector_for("local", {"channel_id": channel.id}, Credentials({}))
    from aws_lambda_powertools.utilities import parameters

    name = f"{secrets_prefix}{channel.id}"
    try:
        values = parameters.get_secret(name, transform="json", max_age=SECRET_CACHE_SECONDS)
    except parameters.exceptions.GetParameterError:
        raise CredentialsRejected(f"no credentials stored for channel {channel.id} (secret {name})") from None
    if not isinstance(values, dict):
        raise CredentialsRejected(f"the secret {name} must be a JSON object")
    credentials = {k: str(v) for k, v in values.items()}
    fingerprint = hashlib.sha256(json.dumps([channel.platform, channel.connection, credentials], sort_keys=True).encode()).hexdigest()
    key = (channel.id, fingerprint)
    if key not in _connectors:
        _connectors[key] = connector_for(channel.platform, dict(channel.connection), Credentials(credentials))
    return _connectors[key]
