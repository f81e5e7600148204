"""Channel credentials in Secrets Manager (moto): read through Powertools Parameters, rotated tokens written back."""
from __future__ import annotations

import json

import boto3

from chorus.aws.secrets import ChannelSecret
from chorus.calendar.schemas import Channel
from chorus.platforms.registry import connector_for_channel
from chorus.platforms.x import XConnector
from tests.integration.conftest import REGION, Stack


def test_rotated_tokens_are_written_back_next_to_the_other_values(stack: Stack) -> None:
    prefix = stack.environment["CHORUS_SECRETS_PREFIX"]
    secrets = boto3.client("secretsmanager", region_name=REGION)
    secrets.create_secret(Name=f"{prefix}x-main", SecretString=json.dumps(
        {"access_token": "a1", "refresh_token": "r1", "client_id": "c", "note": "kept"}))
    channel = Channel(id="x-main", platform="x", handle="@org")

    connector = connector_for_channel(channel, prefix)
    assert isinstance(connector, XConnector)
    secret = ChannelSecret(f"{prefix}x-main", "x-main")
    assert secret.load()["refresh_token"] == "r1"
    secret.save({"access_token": "a2", "refresh_token": "r2", "expires_at": "1800000000"})

    stored = json.loads(secrets.get_secret_value(SecretId=f"{prefix}x-main")["SecretString"])
    assert stored == {"access_token": "a2", "refresh_token": "r2", "client_id": "c", "note": "kept",
                      "expires_at": "1800000000"}
    assert secret.load()["access_token"] == "a2"  # a forced read sees the write at once, past the 5-minute cache
