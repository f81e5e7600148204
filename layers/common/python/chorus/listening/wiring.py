"""Builds listening's services (mentions and alerts, subscriptions, sources and fetching, escalation, spikes,
digests) from the settings and the ports other features provide (see chorus.container)."""
from __future__ import annotations

import functools
from datetime import timedelta
from typing import TYPE_CHECKING

from chorus.aws.messaging import AlertSubscriptions
from chorus.aws.secrets import ChannelSecret
from chorus.aws.state import StateRepository
from chorus.core.settings import Settings
from chorus.core.time import Clock
from chorus.http.signing import AckLinks, SecretKey
from chorus.listening.rules import DEFAULT_RULES
from chorus.listening.service import Forwards, ListeningService, SubscriptionService
from chorus.listening.sources.schemas import Source
from chorus.listening.sources.service import FetchingService, SourcesService
from chorus.listening.sources.store import SourceRepository
from chorus.listening.store import (
    AlertRepository,
    CountingMentionRepository,
    IngestQueue,
    LocalizedAlerts,
    MentionRepository,
    RoutingRulesRepository,
    SparseIndexReads,
    SubscriptionRepository,
)
from chorus.platforms.base import Credentials, SourceSpec

if TYPE_CHECKING:
    from chorus.calendar.service import CrisisService
    from chorus.listening.digests.service import DigestService
    from chorus.listening.escalation.service import EscalationService
    from chorus.listening.spikes.service import SpikeService
    from chorus.local.mailbox import LocalMailbox


def listening(settings: Settings, ack_links: AckLinks, forwards: Forwards, clock: Clock) -> ListeningService:
    from chorus.listening.classify import classify

    return ListeningService(
        CountingMentionRepository(settings.org), AlertRepository(), StateRepository(settings.org),
        IngestQueue(settings.ingest_queue_url, settings.region),
        LocalizedAlerts(settings.alerts_topic_arn, settings.region),
        classify=classify, clock=clock, retention=timedelta(days=settings.mention_retention_days),
        ack_links=ack_links, forwards=forwards, rules_store=RoutingRulesRepository(settings.org),
    )


def ack_links(settings: Settings) -> AckLinks:
    return AckLinks(SecretKey(settings.ack_link_secret), settings.public_api_url)


def subscriptions(settings: Settings, clock: Clock) -> SubscriptionService:
    rules = RoutingRulesRepository(settings.org)
    return SubscriptionService(SubscriptionRepository(settings.org), alert_gateway(settings), clock=clock,
                               rules=lambda: rules.current() or DEFAULT_RULES)


def alert_gateway(settings: Settings) -> AlertSubscriptions | LocalMailbox:
    """SNS email/SMS subscriptions on AWS; locally one SQS queue per subscriber (see chorus.local.mailbox)."""
    return mailbox(settings) or AlertSubscriptions(settings.alerts_topic_arn, settings.region)


def mailbox(settings: Settings) -> LocalMailbox | None:
    """What each subscriber would have received, in the local runtime only (moto records no email or SMS)."""
    if not settings.local_mailbox:
        return None
    from chorus.local.mailbox import LocalMailbox

    return LocalMailbox(settings.alerts_topic_arn, settings.region, settings.org)


def escalation(settings: Settings, listening: ListeningService, ack_links: AckLinks, clock: Clock) -> EscalationService:
    from chorus.listening.escalation.service import EscalationService

    # The one SMS budget per team and hour, shared by first alerts and escalations.
    return EscalationService(AlertRepository(), MentionRepository(),
                             LocalizedAlerts(settings.alerts_topic_arn, settings.region),
                             rules=listening.rules, sms_budget=listening.sms_budget, ack_links=ack_links, clock=clock)


def spikes(settings: Settings, listening: ListeningService, crisis: CrisisService, clock: Clock) -> SpikeService:
    from chorus.listening.spikes.service import SpikeService
    from chorus.listening.spikes.store import SpikeRepository

    return SpikeService(
        SpikeRepository(settings.org), SparseIndexReads(), LocalizedAlerts(settings.alerts_topic_arn, settings.region),
        crisis,
        rules=listening.rules, sms_budget=listening.sms_budget, clock=clock,
        retention=timedelta(days=settings.mention_retention_days),
    )


def digests(settings: Settings, listening: ListeningService, clock: Clock) -> DigestService:
    from chorus.inbox.store import InboxReader
    from chorus.listening.digests.service import DigestService
    from chorus.listening.digests.store import DigestSlotRepository
    from chorus.listening.spikes.store import SpikeRepository

    return DigestService(
        InboxReader(), SparseIndexReads(), AlertRepository(), SpikeRepository(settings.org),
        DigestSlotRepository(settings.org), LocalizedAlerts(settings.alerts_topic_arn, settings.region),
        rules=listening.rules, clock=clock, timezone=settings.timezone,
    )


def sources(settings: Settings, clock: Clock) -> SourcesService:
    from chorus.platforms.checks import check_settings

    def check(source: Source) -> None:
        spec = SourceSpec(source.id, source.kind, source.settings, source.language)
        check_settings(spec, settings.sources_allow_loopback)

    return SourcesService(SourceRepository(settings.org), check, clock=clock)


def fetching(settings: Settings, clock: Clock) -> FetchingService:
    from chorus.platforms.checks import PublicOnlyTransport
    from chorus.platforms.registry import fetcher_for
    from chorus.platforms.transport import shared_transport

    transport = PublicOnlyTransport(shared_transport(), settings.sources_allow_loopback)

    def credentials(source: Source) -> Credentials | None:
        if not source.secret:
            return None
        return Credentials(ChannelSecret(f"{settings.source_secrets_prefix}{source.secret}", source.id).cached())

    # One fetcher per kind while the Lambda is warm: Bluesky sessions and Reddit tokens outlive a run.
    return FetchingService(SourceRepository(settings.org), IngestQueue(settings.ingest_queue_url, settings.region),
                           functools.cache(lambda kind: fetcher_for(kind, transport)), credentials, clock=clock)
