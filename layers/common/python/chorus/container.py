"""Composition root: builds each service once per process from the settings (Lambda keeps it warm)."""
from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from chorus.adapters import dynamodb
from chorus.services.calendar import CalendarService
from chorus.settings import get_settings

if TYPE_CHECKING:
    from chorus.adapters.auth import TokenVerifier
    from chorus.services.listening import ListeningService
    from chorus.services.subscriptions import SubscriptionService
    from chorus.services.channel_checks import ChannelChecks
    from chorus.services.crisis import CrisisService
    from chorus.services.publishing import PublishingService


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@functools.cache
def calendar() -> CalendarService:
    settings = get_settings()
    dynamodb.bind(settings)
    return CalendarService(
        dynamodb.PostRepository(), dynamodb.ChannelRepository(settings.org), clock=utc_now, timezone=settings.timezone,
        on_scheduled=lambda post: publishing().enqueue_soon(post),
        active_hold=lambda: crisis().active_hold(),
    )


@functools.cache
def channel_checks() -> "ChannelChecks":
    from chorus.services.channel_checks import ChannelChecks

    service = publishing()
    return ChannelChecks(calendar().posts, service.channels, service.alerts, service.connectors, clock=utc_now)


@functools.cache
def crisis() -> "CrisisService":
    from chorus.services.crisis import CrisisService

    settings = get_settings()
    dynamodb.bind(settings)
    return CrisisService(dynamodb.PostRepository(), dynamodb.StateRepository(settings.org), clock=utc_now)


@functools.cache
def publishing() -> "PublishingService":
    # Imported here: the API needs the publisher only when a post is due within a minute (keeps its import small).
    from chorus.adapters.connectors.provider import connector_for_channel
    from chorus.adapters.messaging import Alerts, PublishQueue
    from chorus.services.publishing import PublishingService

    settings = get_settings()
    dynamodb.bind(settings)
    return PublishingService(
        dynamodb.PostRepository(),
        dynamodb.ChannelRepository(settings.org),
        PublishQueue(settings.publish_queue_url, settings.region),
        Alerts(settings.alerts_topic_arn, settings.region),
        connectors=lambda channel: connector_for_channel(channel, settings.secrets_prefix),
        clock=utc_now,
    )


@functools.cache
def listening() -> "ListeningService":
    from datetime import timedelta

    from chorus.adapters.listening_store import AlertRepository, MentionRepository
    from chorus.adapters.messaging import Alerts, IngestQueue
    from chorus.classify import classify
    from chorus.services.listening import ListeningService

    settings = get_settings()
    dynamodb.bind(settings)
    return ListeningService(
        MentionRepository(), AlertRepository(), dynamodb.StateRepository(settings.org),
        IngestQueue(settings.ingest_queue_url, settings.region), Alerts(settings.alerts_topic_arn, settings.region),
        classify=classify, clock=utc_now, retention=timedelta(days=settings.mention_retention_days),
    )


@functools.cache
def subscriptions() -> "SubscriptionService":
    from chorus.adapters.listening_store import ConfigRepository, SubscriptionItem
    from chorus.services.subscriptions import SubscriptionService

    settings = get_settings()
    dynamodb.bind(settings)
    return SubscriptionService(ConfigRepository(SubscriptionItem, settings.org), alert_gateway(), clock=utc_now)


@functools.cache
def alert_gateway() -> Any:
    """SNS email/SMS subscriptions on AWS; locally one SQS queue per subscriber (see chorus.local.mailbox)."""
    settings = get_settings()
    if settings.local_mailbox:
        from chorus.local.mailbox import LocalMailbox

        return LocalMailbox(settings.alerts_topic_arn, settings.region, settings.org)
    from chorus.adapters.messaging import AlertSubscriptions

    return AlertSubscriptions(settings.alerts_topic_arn, settings.region)


@functools.cache
def token_verifier() -> "TokenVerifier":
    # Imported here: only the API verifies tokens, and PyJWT with `cryptography` costs ~45 ms of every cold start.
    from chorus.adapters.auth import TokenVerifier, jwks_key_lookup

    settings = get_settings()
    return TokenVerifier(settings.jwt_issuer, settings.user_pool_client_id, jwks_key_lookup(settings.jwks_url))


def reset() -> None:
    """Forget every built service and the settings (tests and the local runtime rebind to new resources)."""
    get_settings.cache_clear()
    calendar.cache_clear()
    publishing.cache_clear()
    crisis.cache_clear()
    channel_checks.cache_clear()
    listening.cache_clear()
    subscriptions.cache_clear()
    alert_gateway.cache_clear()
    token_verifier.cache_clear()
