"""Typed settings, read once from the environment (set by the template on AWS, by chorus.local locally)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


class SettingsError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    region: str
    posts_table: str
    channels_table: str
    outbox_table: str
    state_table: str
    advocacy_table: str
    post_metrics_table: str  # how our published posts do, per post and channel (collect_post_metrics)
    media_bucket: str  # creators' photos and videos (presigned uploads)
    publish_queue_url: str
    mentions_table: str
    alerts_table: str
    sources_table: str
    subscriptions_table: str
    ingest_queue_url: str
    alerts_topic_arn: str
    secrets_prefix: str
    source_secrets_prefix: str  # a source's `secret` names a secret under this prefix
    user_pool_id: str
    user_pool_client_id: str
    jwt_issuer: str
    jwks_url: str
    org: str
    timezone: str
    local_mailbox: bool  # the local runtime: alert subscribers get an SQS queue each (GET /mailbox shows them)
    sources_allow_loopback: bool  # the local runtime's demo feed is on 127.0.0.1; on AWS sources must be public
    mention_retention_days: int
    ack_link_secret: str  # the Secrets Manager secret whose value signs acknowledge links
    public_api_url: str | None  # where people reach the API; alert emails link to it (no link without it)
    offers_topic_arn: str  # offer notifications: one SNS subscription per publisher, filtered on `person`
    share_tracking_days: int  # track_shares reads publishers' posts for offers of this many days

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        def need(name: str) -> str:
            value = env.get(name, "").strip()
            if not value:
                raise SettingsError(f"environment variable {name} is not set (see infra/template.yaml Globals)")
            return value

        issuer = need("CHORUS_JWT_ISSUER").rstrip("/")
        return cls(
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "eu-west-1",
            posts_table=need("CHORUS_POSTS_TABLE"),
            channels_table=need("CHORUS_CHANNELS_TABLE"),
            outbox_table=need("CHORUS_OUTBOX_TABLE"),
            state_table=need("CHORUS_STATE_TABLE"),
            advocacy_table=need("CHORUS_ADVOCACY_TABLE"),
            post_metrics_table=need("CHORUS_POST_METRICS_TABLE"),
            media_bucket=need("CHORUS_MEDIA_BUCKET"),
            publish_queue_url=need("CHORUS_PUBLISH_QUEUE_URL"),
            mentions_table=need("CHORUS_MENTIONS_TABLE"),
            alerts_table=need("CHORUS_ALERTS_TABLE"),
            sources_table=need("CHORUS_SOURCES_TABLE"),
            subscriptions_table=need("CHORUS_SUBSCRIPTIONS_TABLE"),
            ingest_queue_url=need("CHORUS_INGEST_QUEUE_URL"),
            alerts_topic_arn=need("CHORUS_ALERTS_TOPIC_ARN"),
            secrets_prefix=env.get("CHORUS_SECRETS_PREFIX", "chorus/channels/"),
            source_secrets_prefix=env.get("CHORUS_SOURCE_SECRETS_PREFIX", "chorus/sources/"),
            user_pool_id=need("CHORUS_USER_POOL_ID"),
            user_pool_client_id=need("CHORUS_USER_POOL_CLIENT_ID"),
            jwt_issuer=issuer,
            # Cognito serves the keys under the issuer; locally moto serves them elsewhere, so it is configurable.
            jwks_url=env.get("CHORUS_JWKS_URL") or f"{issuer}/.well-known/jwks.json",
            org=env.get("CHORUS_ORG", "default"),
            timezone=env.get("CHORUS_TIMEZONE", "Europe/Amsterdam"),
            local_mailbox=env.get("CHORUS_LOCAL_MAILBOX", "").lower() == "true",
            sources_allow_loopback=env.get("CHORUS_SOURCES_ALLOW_LOOPBACK", "").lower() == "true",
            mention_retention_days=_positive_int(
                env.get("CHORUS_MENTION_RETENTION_DAYS", "90"), "CHORUS_MENTION_RETENTION_DAYS"
            ),
            ack_link_secret=need("CHORUS_ACK_LINK_SECRET"),
            public_api_url=env.get("CHORUS_PUBLIC_API_URL", "").strip().rstrip("/") or None,
            offers_topic_arn=need("CHORUS_OFFERS_TOPIC_ARN"),
            share_tracking_days=_positive_int(
                env.get("CHORUS_SHARE_TRACKING_DAYS", "14"), "CHORUS_SHARE_TRACKING_DAYS"
            ),
        )


def _positive_int(raw: str, name: str) -> int:
    if not raw.strip().isdigit() or int(raw) < 1:
        raise SettingsError(f"environment variable {name} must be a whole number of at least 1, not {raw!r}")
    return int(raw)

