"""Composition root: builds each service once per process from the settings (Lambda keeps it warm)."""
from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from chorus.aws import tables as dynamodb
from chorus.aws.state import StateRepository
from chorus.calendar.service import CalendarService
from chorus.calendar.store import ChannelRepository, PostRepository
from chorus.core.settings import get_settings

if TYPE_CHECKING:
    from chorus.advocacy.content.service import ContentService, SubmissionsPersonalData
    from chorus.advocacy.engagement.service import EngagementReports, Forwards
    from chorus.advocacy.engagement.store import EngagementLedger
    from chorus.advocacy.people.service import AmbassadorService
    from chorus.advocacy.pool.service import OfferNotifier, PoolPersonalData, PoolService, ShareService, ShareTracker
    from chorus.advocacy.privacy.service import PersonalData, PrivacyService
    from chorus.calendar.service import ChannelChecks, CrisisService
    from chorus.core.roles import Principal
    from chorus.http.auth import TokenVerifier
    from chorus.listening.schemas import MentionRecord
    from chorus.http.signing import AckLinks
    from chorus.inbox.service import InboxService
    from chorus.listening.digests.service import DigestService
    from chorus.listening.escalation.service import EscalationService
    from chorus.listening.service import ListeningService, SubscriptionService
    from chorus.listening.sources.service import FetchingService, SourcesService
    from chorus.listening.spikes.service import SpikeService
    from chorus.publishing.service import PublishingService


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


@functools.cache
def calendar() -> CalendarService:
    settings = get_settings()
    dynamodb.bind(settings)
    return CalendarService(
        PostRepository(), ChannelRepository(settings.org), clock=utc_now, timezone=settings.timezone,
        on_scheduled=lambda post: publishing().enqueue_soon(post),
        active_hold=lambda: crisis().active_hold(),
        approve_reply=lambda actor, post: inbox().approve_reply(actor, post),
    )


@functools.cache
def inbox() -> "InboxService":
    from chorus.inbox.service import InboxService
    from chorus.inbox.store import InboxReader, ReplyTransactions
    from chorus.listening.store import MentionRepository

    settings = get_settings()
    dynamodb.bind(settings)
    return InboxService(
        MentionRepository(), InboxReader(), PostRepository(), ChannelRepository(settings.org),
        ReplyTransactions(), clock=utc_now, on_scheduled=lambda post: publishing().enqueue_soon(post),
        active_hold=lambda: crisis().active_hold(),
    )


@functools.cache
def channel_checks() -> "ChannelChecks":
    from chorus.calendar.service import ChannelChecks

    service = publishing()
    return ChannelChecks(calendar().posts, service.channels, service.alerts, service.connectors, clock=utc_now)


@functools.cache
def crisis() -> "CrisisService":
    from chorus.calendar.service import CrisisService

    settings = get_settings()
    dynamodb.bind(settings)
    return CrisisService(PostRepository(), StateRepository(settings.org), clock=utc_now)


@functools.cache
def publishing() -> "PublishingService":
    # Imported here: the API needs the publisher only when a post is due within a minute (keeps its import small).
    from chorus.aws.messaging import Alerts
    from chorus.platforms.registry import connector_for_channel
    from chorus.publishing.service import PublishingService
    from chorus.publishing.store import PublishQueue

    settings = get_settings()
    dynamodb.bind(settings)
    return PublishingService(
        PostRepository(),
        ChannelRepository(settings.org),
        PublishQueue(settings.publish_queue_url, settings.region),
        Alerts(settings.alerts_topic_arn, settings.region),
        connectors=lambda channel: connector_for_channel(channel, settings.secrets_prefix),
        clock=utc_now,
    )


@functools.cache
def listening() -> "ListeningService":
    from datetime import timedelta

    from chorus.aws.messaging import Alerts
    from chorus.listening.classify import classify
    from chorus.listening.service import ListeningService
    from chorus.listening.store import AlertRepository, CountingMentionRepository, IngestQueue

    settings = get_settings()
    dynamodb.bind(settings)
    return ListeningService(
        CountingMentionRepository(settings.org), AlertRepository(), StateRepository(settings.org),
        IngestQueue(settings.ingest_queue_url, settings.region), Alerts(settings.alerts_topic_arn, settings.region),
        classify=classify, clock=utc_now, retention=timedelta(days=settings.mention_retention_days),
        ack_links=ack_links(), on_forwarded=lambda principal, mention_id: forwards().count(principal, mention_id),
    )


@functools.cache
def ack_links() -> "AckLinks":
    from chorus.http.signing import AckLinks, SecretKey

    settings = get_settings()
    return AckLinks(SecretKey(settings.ack_link_secret), settings.public_api_url)


@functools.cache
def escalation() -> "EscalationService":
    from chorus.aws.messaging import Alerts
    from chorus.listening.escalation.service import EscalationService
    from chorus.listening.store import AlertRepository

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

    from chorus.aws.messaging import Alerts
    from chorus.listening.spikes.service import SpikeService
    from chorus.listening.spikes.store import SpikeRepository
    from chorus.listening.store import SparseIndexReads

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
    from chorus.aws.messaging import Alerts
    from chorus.inbox.store import InboxReader
    from chorus.listening.digests.service import DigestService
    from chorus.listening.digests.store import DigestSlotRepository
    from chorus.listening.spikes.store import SpikeRepository
    from chorus.listening.store import AlertRepository, SparseIndexReads

    settings = get_settings()
    dynamodb.bind(settings)
    return DigestService(
        InboxReader(), SparseIndexReads(), AlertRepository(), SpikeRepository(settings.org),
        DigestSlotRepository(settings.org), Alerts(settings.alerts_topic_arn, settings.region),
        rules=listening().rules, clock=utc_now, timezone=settings.timezone,
    )


@functools.cache
def engagement_ledger() -> "EngagementLedger":
    from chorus.advocacy.engagement.store import EngagementLedger

    dynamodb.bind(get_settings())
    return EngagementLedger()


@functools.cache
def ambassadors() -> "AmbassadorService":
    from chorus.advocacy.people.service import AmbassadorService
    from chorus.advocacy.people.store import PeopleRepository, PolicyRepository

    dynamodb.bind(get_settings())
    return AmbassadorService(PeopleRepository(), PolicyRepository(), clock=utc_now, announcements=offer_messages(),
                             stop_offer_notifications=lambda person_id: pool_personal_data().stop_notifications(person_id))


@functools.cache
def personal_data() -> "list[PersonalData]":
    """Every kind of data the programme keeps about a person: export and erase go through all of them."""
    from chorus.advocacy.people.store import PeopleRepository
    from chorus.advocacy.privacy.service import EngagementSection, LoginSection, PeopleSection
    from chorus.advocacy.privacy.store import CognitoLogins

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
    from chorus.advocacy.engagement.service import ForwardsSection
    from chorus.advocacy.people.store import PeopleRepository
    from chorus.listening.store import MentionRepository

    return ForwardsSection(MentionRepository(), PeopleRepository(), clock=utc_now)


@functools.cache
def content() -> "ContentService":
    from chorus.advocacy.content.service import ContentService
    from chorus.advocacy.content.store import (
        MediaBucket,
        PrecheckListRepository,
        SubmissionRepository,
        UploadRepository,
    )

    settings = get_settings()
    dynamodb.bind(settings)
    return ContentService(
        SubmissionRepository(), UploadRepository(), MediaBucket(settings.media_bucket, settings.region),
        PrecheckListRepository(), ambassadors(), InboxSuggestions(inbox()), PostRepository(),
        channels=lambda: calendar().list_channels(), ledger=engagement_ledger(), clock=utc_now,
    )


def content_personal_data() -> "SubmissionsPersonalData":
    from chorus.advocacy.content.service import SubmissionsPersonalData

    service = content()
    return SubmissionsPersonalData(service.submissions, service.uploads, service.media, service.posts)


@functools.cache
def privacy() -> "PrivacyService":
    from chorus.advocacy.privacy.service import PrivacyService

    return PrivacyService(ambassadors().visible, personal_data(), clock=utc_now)


@functools.cache
def engagement_reports() -> "EngagementReports":
    from chorus.advocacy.engagement.service import EngagementReports
    from chorus.advocacy.engagement.store import ReportSettingsRepository
    from chorus.advocacy.people.store import PeopleRepository

    return EngagementReports(engagement_ledger(), ambassadors(), PeopleRepository(), ReportSettingsRepository(),
                             clock=utc_now)


@functools.cache
def forwards() -> "Forwards":
    from chorus.advocacy.engagement.service import Forwards
    from chorus.listening.store import MentionRepository

    dynamodb.bind(get_settings())
    return Forwards(engagement_ledger(), ambassadors(), MentionRepository(), clock=utc_now)


@functools.cache
def pool() -> "PoolService":
    from chorus.advocacy.pool.service import PoolService
    from chorus.advocacy.pool.store import PoolStore

    dynamodb.bind(get_settings())
    return PoolService(PoolStore(), ambassadors(), PostRepository(), engagement_ledger(), clock=utc_now)


@functools.cache
def shares() -> "ShareService":
    from chorus.advocacy.pool.service import ShareService
    from chorus.advocacy.pool.store import PoolStore

    dynamodb.bind(get_settings())
    return ShareService(PoolStore(), ambassadors(), engagement_ledger(), clock=utc_now)


@functools.cache
def offer_messages() -> Any:
    """SNS on AWS; locally each publisher's subscription is an SQS queue shown by GET /mailbox (chorus.local.mailbox)."""
    settings = get_settings()
    if settings.local_mailbox:
        from chorus.local.mailbox import LocalOfferMailbox

        return LocalOfferMailbox(settings.offers_topic_arn, settings.region, settings.org)
    from chorus.advocacy.pool.store import OfferMessages

    return OfferMessages(settings.offers_topic_arn, settings.region)


def offer_notifier() -> "OfferNotifier":
    from chorus.advocacy.pool.service import OfferNotifier
    from chorus.advocacy.pool.store import PoolStore

    settings = get_settings()
    return OfferNotifier(PoolStore(), ambassadors(), offer_messages(), pool(), clock=utc_now, pool_url=settings.public_api_url)


def share_tracker() -> "ShareTracker":
    from chorus.advocacy.pool.service import ShareTracker
    from chorus.advocacy.pool.store import PoolStore
    from chorus.platforms.bluesky import BlueskyReader
    from chorus.platforms.checks import PublicOnlyTransport
    from chorus.platforms.mastodon import MastodonReader
    from chorus.platforms.transport import shared_transport

    settings = get_settings()
    # Mastodon instances come from handles people typed: only public addresses are read.
    transport = PublicOnlyTransport(shared_transport(), settings.sources_allow_loopback)
    return ShareTracker(PoolStore(), ambassadors(), shares(), engagement_ledger(),
                        [MastodonReader(transport), BlueskyReader(transport)], clock=utc_now,
                        window_days=settings.share_tracking_days)


def pool_personal_data() -> "PoolPersonalData":
    from chorus.advocacy.pool.service import PoolPersonalData
    from chorus.advocacy.pool.store import PoolStore

    dynamodb.bind(get_settings())
    return PoolPersonalData(PoolStore(), offer_messages())


@functools.cache
def subscriptions() -> "SubscriptionService":
    from chorus.listening.service import SubscriptionService
    from chorus.listening.store import ConfigRepository, SubscriptionItem

    settings = get_settings()
    dynamodb.bind(settings)
    return SubscriptionService(ConfigRepository(SubscriptionItem, settings.org), alert_gateway(), clock=utc_now)


@functools.cache
def sources() -> "SourcesService":
    from chorus.listening.sources.service import SourcesService
    from chorus.listening.sources.store import SourceRepository
    from chorus.platforms.base import SourceSpec
    from chorus.platforms.checks import check_settings

    settings = get_settings()
    dynamodb.bind(settings)

    def check(source: Any) -> None:
        check_settings(SourceSpec(source.id, source.kind, source.settings, source.language), settings.sources_allow_loopback)

    return SourcesService(SourceRepository(settings.org), check, clock=utc_now)


@functools.cache
def fetching() -> "FetchingService":
    from chorus.aws.secrets import ChannelSecret
    from chorus.listening.sources.service import FetchingService
    from chorus.listening.sources.store import SourceRepository
    from chorus.listening.store import IngestQueue
    from chorus.platforms.base import Credentials
    from chorus.platforms.checks import PublicOnlyTransport
    from chorus.platforms.registry import fetcher_for
    from chorus.platforms.transport import shared_transport

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
    from chorus.aws.messaging import AlertSubscriptions

    return AlertSubscriptions(settings.alerts_topic_arn, settings.region)


@functools.cache
def token_verifier() -> "TokenVerifier":
    # Imported here: only the API verifies tokens, and PyJWT with `cryptography` costs ~45 ms of every cold start.
    from chorus.http.auth import TokenVerifier, jwks_key_lookup

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


class InboxSuggestions:
    """Praise routed to marketing, still open, read through the inbox (no copy of the mentions is kept)."""

    FILTERS = {"intent": "praise", "team": "marketing"}

    def __init__(self, inbox: "InboxService") -> None:
        self.inbox = inbox

    def open_praise(self, limit: int, cursor: str | None) -> "tuple[list[MentionRecord], str | None]":
        page = self.inbox.inbox("open", dict(self.FILTERS), None, None, True, limit, cursor)
        return page.items, page.next_cursor

    def mention(self, mention_id: str) -> "MentionRecord":
        return self.inbox.mention(mention_id)

    def resolve(self, mention_id: str, actor: "Principal") -> "MentionRecord":
        return self.inbox.set_status(mention_id, "resolved", actor)
