"""Composition root: builds each service once per process from the settings (Lambda keeps it warm)."""
from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from chorus.adapters import dynamodb
from chorus.services.calendar import CalendarService
from chorus.settings import get_settings

if TYPE_CHECKING:
    from chorus.adapters.engagement_store import EngagementLedger
    from chorus.services.ambassadors import AmbassadorService
    from chorus.services.privacy import PersonalData, PrivacyService
    from chorus.services.content import ContentService, SubmissionsPersonalData
    from chorus.services.engagement import EngagementReports, Forwards
    from chorus.services.pool import OfferNotifier, PoolPersonalData, PoolService
    from chorus.services.shares import ShareService, ShareTracker
    from chorus.adapters.auth import TokenVerifier
    from chorus.services.inbox import InboxService
    from chorus.adapters.signing import AckLinks
    from chorus.services.escalation import EscalationService
    from chorus.services.listening import ListeningService
    from chorus.services.subscriptions import SubscriptionService
    from chorus.services.channel_checks import ChannelChecks
    from chorus.services.crisis import CrisisService
    from chorus.services.publishing import PublishingService
    from chorus.services.fetching import FetchingService
    from chorus.services.sources import SourcesService
    from chorus.services.spikes import SpikeService
    from chorus.services.digest import DigestService


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
        approve_reply=lambda actor, post: inbox().approve_reply(actor, post),
    )


@functools.cache
def inbox() -> "InboxService":
    from chorus.adapters.inbox_store import InboxReader, ReplyTransactions
    from chorus.adapters.listening_store import MentionRepository
    from chorus.services.inbox import InboxService

    settings = get_settings()
    dynamodb.bind(settings)
    return InboxService(
        MentionRepository(), InboxReader(), dynamodb.PostRepository(), dynamodb.ChannelRepository(settings.org),
        ReplyTransactions(), clock=utc_now, on_scheduled=lambda post: publishing().enqueue_soon(post),
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

    from chorus.adapters.listening_store import AlertRepository
    from chorus.adapters.messaging import Alerts, IngestQueue
    from chorus.adapters.spikes_digest_store import CountingMentionRepository
    from chorus.classify import classify
    from chorus.services.listening import ListeningService

    settings = get_settings()
    dynamodb.bind(settings)
    return ListeningService(
        CountingMentionRepository(settings.org), AlertRepository(), dynamodb.StateRepository(settings.org),
        IngestQueue(settings.ingest_queue_url, settings.region), Alerts(settings.alerts_topic_arn, settings.region),
        classify=classify, clock=utc_now, retention=timedelta(days=settings.mention_retention_days),
        ack_links=ack_links(), on_forwarded=lambda principal, mention_id: forwards().count(principal, mention_id),
    )


@functools.cache
def ack_links() -> "AckLinks":
    from chorus.adapters.signing import AckLinks, SecretKey

    settings = get_settings()
    return AckLinks(SecretKey(settings.ack_link_secret), settings.public_api_url)


@functools.cache
def escalation() -> "EscalationService":
    from chorus.adapters.listening_store import AlertRepository
    from chorus.adapters.messaging import Alerts
    from chorus.services.escalation import EscalationService

    settings = get_settings()
    listening_service = listening()
    return EscalationService(
        AlertRepository(), Alerts(settings.alerts_topic_arn, settings.region), rules=listening_service.rules,
        sms_budget=listening_service.sms_budget,  # the one SMS budget per team and hour, first alerts and escalations
        ack_links=ack_links(), clock=utc_now,
    )


@functools.cache
def spikes() -> "SpikeService":
    from datetime import timedelta

    from chorus.adapters.messaging import Alerts
    from chorus.adapters.spikes_digest_store import SparseIndexReads, SpikeRepository
    from chorus.services.spikes import SpikeService

    settings = get_settings()
    dynamodb.bind(settings)
    listening_service = listening()
    return SpikeService(
        SpikeRepository(settings.org), SparseIndexReads(), Alerts(settings.alerts_topic_arn, settings.region),
        crisis(), rules=listening_service.rules, sms_budget=listening_service.sms_budget, clock=utc_now,
        retention=timedelta(days=settings.mention_retention_days),
    )


@functools.cache
def digests() -> "DigestService":
    from chorus.adapters.inbox_store import InboxReader
    from chorus.adapters.listening_store import AlertRepository
    from chorus.adapters.messaging import Alerts
    from chorus.adapters.spikes_digest_store import DigestSlotRepository, SparseIndexReads, SpikeRepository
    from chorus.services.digest import DigestService

    settings = get_settings()
    dynamodb.bind(settings)
    return DigestService(
        InboxReader(), SparseIndexReads(), AlertRepository(), SpikeRepository(settings.org),
        DigestSlotRepository(settings.org), Alerts(settings.alerts_topic_arn, settings.region),
        rules=listening().rules, clock=utc_now, timezone=settings.timezone,
    )


@functools.cache
def engagement_ledger() -> "EngagementLedger":
    from chorus.adapters.engagement_store import EngagementLedger

    dynamodb.bind(get_settings())
    return EngagementLedger()


@functools.cache
def ambassadors() -> "AmbassadorService":
    from chorus.adapters.people_store import PeopleRepository, PolicyRepository
    from chorus.services.ambassadors import AmbassadorService

    dynamodb.bind(get_settings())
    return AmbassadorService(PeopleRepository(), PolicyRepository(), clock=utc_now, announcements=offer_messages(),
                             stop_offer_notifications=lambda person_id: pool_personal_data().stop_notifications(person_id))


@functools.cache
def personal_data() -> "list[PersonalData]":
    """Every kind of data the programme keeps about a person: export and erase go through all of them."""
    from chorus.adapters.logins import CognitoLogins
    from chorus.adapters.people_store import PeopleRepository
    from chorus.services.privacy import EngagementSection, LoginSection, PeopleSection

    settings = get_settings()
    dynamodb.bind(settings)
    return [
        PeopleSection(PeopleRepository()),
        LoginSection(PeopleRepository(), CognitoLogins(settings.user_pool_id, settings.region)),
        EngagementSection(engagement_ledger()),
        content_personal_data(),
        forwards_personal_data(),
        pool_personal_data(),
    ]


def forwards_personal_data() -> "PersonalData":
    from chorus.adapters.listening_store import MentionRepository
    from chorus.adapters.people_store import PeopleRepository
    from chorus.services.engagement import ForwardsSection

    return ForwardsSection(MentionRepository(), PeopleRepository(), clock=utc_now)


@functools.cache
def content() -> "ContentService":
    from chorus.adapters.content_store import (
        InboxSuggestions, PrecheckListRepository, SubmissionRepository, UploadRepository,
    )
    from chorus.adapters.media import MediaBucket
    from chorus.services.content import ContentService

    settings = get_settings()
    dynamodb.bind(settings)
    return ContentService(
        SubmissionRepository(), UploadRepository(), MediaBucket(settings.media_bucket, settings.region),
        PrecheckListRepository(), ambassadors(), InboxSuggestions(inbox()), dynamodb.PostRepository(),
        channels=lambda: calendar().list_channels(), ledger=engagement_ledger(), clock=utc_now,
    )


def content_personal_data() -> "SubmissionsPersonalData":
    from chorus.services.content import SubmissionsPersonalData

    service = content()
    return SubmissionsPersonalData(service.submissions, service.uploads, service.media, service.posts)


@functools.cache
def privacy() -> "PrivacyService":
    from chorus.services.privacy import PrivacyService

    return PrivacyService(ambassadors().visible, personal_data(), clock=utc_now)


@functools.cache
def engagement_reports() -> "EngagementReports":
    from chorus.adapters.engagement_settings_store import ReportSettingsRepository
    from chorus.adapters.people_store import PeopleRepository
    from chorus.services.engagement import EngagementReports

    return EngagementReports(engagement_ledger(), ambassadors(), PeopleRepository(), ReportSettingsRepository(),
                             clock=utc_now)


@functools.cache
def forwards() -> "Forwards":
    from chorus.adapters.listening_store import MentionRepository
    from chorus.services.engagement import Forwards

    dynamodb.bind(get_settings())
    return Forwards(engagement_ledger(), ambassadors(), MentionRepository(), clock=utc_now)


@functools.cache
def pool() -> "PoolService":
    from chorus.adapters.pool_store import PoolStore
    from chorus.services.pool import PoolService

    dynamodb.bind(get_settings())
    return PoolService(PoolStore(), ambassadors(), dynamodb.PostRepository(), engagement_ledger(), clock=utc_now)


@functools.cache
def shares() -> "ShareService":
    from chorus.adapters.pool_store import PoolStore
    from chorus.services.shares import ShareService

    dynamodb.bind(get_settings())
    return ShareService(PoolStore(), ambassadors(), engagement_ledger(), clock=utc_now)


@functools.cache
def offer_messages() -> Any:
    """SNS on AWS; locally each publisher's subscription is an SQS queue shown by GET /mailbox (chorus.local.mailbox)."""
    settings = get_settings()
    if settings.local_mailbox:
        from chorus.local.mailbox import LocalOfferMailbox

        return LocalOfferMailbox(settings.offers_topic_arn, settings.region, settings.org)
    from chorus.adapters.messaging import OfferMessages

    return OfferMessages(settings.offers_topic_arn, settings.region)


def offer_notifier() -> "OfferNotifier":
    from chorus.adapters.pool_store import PoolStore
    from chorus.services.pool import OfferNotifier

    settings = get_settings()
    return OfferNotifier(PoolStore(), ambassadors(), offer_messages(), pool(), clock=utc_now, pool_url=settings.public_api_url)


def share_tracker() -> "ShareTracker":
    from chorus.adapters.connectors.transport import shared_transport
    from chorus.adapters.pool_store import PoolStore
    from chorus.adapters.share_readers import BlueskyReader, MastodonReader
    from chorus.adapters.sources.checks import PublicOnlyTransport
    from chorus.services.shares import ShareTracker

    settings = get_settings()
    # Mastodon instances come from handles people typed: only public addresses are read.
    transport = PublicOnlyTransport(shared_transport(), settings.sources_allow_loopback)
    return ShareTracker(PoolStore(), ambassadors(), shares(), engagement_ledger(),
                        [MastodonReader(transport), BlueskyReader(transport)], clock=utc_now,
                        window_days=settings.share_tracking_days)


def pool_personal_data() -> "PoolPersonalData":
    from chorus.adapters.pool_store import PoolStore
    from chorus.services.pool import PoolPersonalData

    dynamodb.bind(get_settings())
    return PoolPersonalData(PoolStore(), offer_messages())


@functools.cache
def subscriptions() -> "SubscriptionService":
    from chorus.adapters.listening_store import ConfigRepository, SubscriptionItem
    from chorus.services.subscriptions import SubscriptionService

    settings = get_settings()
    dynamodb.bind(settings)
    return SubscriptionService(ConfigRepository(SubscriptionItem, settings.org), alert_gateway(), clock=utc_now)


@functools.cache
def sources() -> "SourcesService":
    from chorus.adapters.listening_store import SourceRepository
    from chorus.adapters.sources.base import SourceSpec
    from chorus.adapters.sources.checks import check_settings
    from chorus.services.sources import SourcesService

    settings = get_settings()
    dynamodb.bind(settings)

    def check(source: Any) -> None:
        check_settings(SourceSpec(source.id, source.kind, source.settings, source.language), settings.sources_allow_loopback)

    return SourcesService(SourceRepository(settings.org), check, clock=utc_now)


@functools.cache
def fetching() -> "FetchingService":
    from chorus.adapters.connectors.base import Credentials
    from chorus.adapters.connectors.provider import ChannelSecret
    from chorus.adapters.connectors.transport import shared_transport
    from chorus.adapters.listening_store import SourceRepository
    from chorus.adapters.messaging import IngestQueue
    from chorus.adapters.sources.checks import PublicOnlyTransport
    from chorus.adapters.sources.registry import fetcher_for
    from chorus.services.fetching import FetchingService

    settings = get_settings()
    dynamodb.bind(settings)
    transport = PublicOnlyTransport(shared_transport(), settings.sources_allow_loopback)

    def credentials(source: Any) -> Credentials | None:
        if not source.secret:
            return None
        return Credentials(ChannelSecret(f"{settings.source_secrets_prefix}{source.secret}", source.id).cached())

    # One fetcher per kind while the Lambda is warm: Bluesky sessions and Reddit tokens outlive a run.
    return FetchingService(SourceRepository(settings.org), IngestQueue(settings.ingest_queue_url, settings.region),
                           functools.cache(lambda kind: fetcher_for(kind, transport)), credentials, clock=utc_now)


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
    inbox.cache_clear()
    publishing.cache_clear()
    crisis.cache_clear()
    channel_checks.cache_clear()
    listening.cache_clear()
    ack_links.cache_clear()
    escalation.cache_clear()
    spikes.cache_clear()
    digests.cache_clear()
    subscriptions.cache_clear()
    engagement_ledger.cache_clear()
    ambassadors.cache_clear()
    personal_data.cache_clear()
    privacy.cache_clear()
    content.cache_clear()
    engagement_reports.cache_clear()
    forwards.cache_clear()
    pool.cache_clear()
    shares.cache_clear()
    offer_messages.cache_clear()
    sources.cache_clear()
    fetching.cache_clear()
    alert_gateway.cache_clear()
    token_verifier.cache_clear()
