"""A channel's or source's credentials in Secrets Manager: read through Powertools Parameters (cached for five
minutes, or fresh when a platform refused them) and written back when a platform rotates its tokens."""
from __future__ import annotations

import json

from chorus.core.observability import logger
from chorus.platforms.base import CredentialsRejected

SECRET_CACHE_SECONDS = 300


class ChannelSecret:
    """A channel's credentials in Secrets Manager: a JSON object of strings."""

    def __init__(self, name: str, channel_id: str) -> None:
        self.name = name
        self.channel_id = channel_id
        self._last: dict[str, str] = {}

    def cached(self) -> dict[str, str]:
        return self._read(force=False)

    def load(self) -> dict[str, str]:
        return self._read(force=True)

    def save(self, values: dict[str, str]) -> None:
        """Write rotated tokens back, keeping any other values of the secret. A failed write is logged (never the
        values): the new tokens still work in this instance, and the owner is asked to reconnect if they are lost."""
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        merged = {**self._last, **values}
        try:
            boto3.client("secretsmanager").put_secret_value(SecretId=self.name, SecretString=json.dumps(merged))
        except (BotoCoreError, ClientError) as error:
            logger.error(
                "could not store rotated credentials",
                extra={"channel": self.channel_id, "error": type(error).__name__},
            )
            return
        self._last = merged

    def _read(self, force: bool) -> dict[str, str]:
        from aws_lambda_powertools.utilities import parameters

        try:
            values = parameters.get_secret(self.name, transform="json", max_age=SECRET_CACHE_SECONDS, force_fetch=force)
        except parameters.exceptions.GetParameterError:
            raise CredentialsRejected(
                f"no credentials stored for channel {self.channel_id} (secret {self.name})"
            ) from None
        if not isinstance(values, dict):
            raise CredentialsRejected(f"the secret {self.name} must be a JSON object")
        self._last = {k: str(v) for k, v in values.items()}
        return dict(self._last)
