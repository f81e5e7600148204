"""Builds the ambassador programme's services (people and policy, creators' content, the pool and shares,
engagement, privacy) from the settings, each other, and the ports other features provide (see chorus.container)."""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chorus.advocacy.engagement.service import EngagementReports, Forwards, ForwardsSection
from chorus.advocacy.engagement.store import EngagementLedger, ReportSettingsRepository
from chorus.advocacy.people.service import AmbassadorService, OfferNotifications
from chorus.advocacy.people.store import PeopleRepository, PolicyRepository
from chorus.advocacy.pool.service import (
    OfferNotifier,
    PoolPersonalData,
    PoolService,
    Reader,
    ShareService,
    ShareTracker,
)
from chorus.advocacy.pool.store import OfferMessages, PoolStore
from chorus.calendar.schemas import Channel
from chorus.calendar.store import PostRepository
from chorus.core.settings import Settings
from chorus.core.time import Clock
from chorus.http.signing import PolicyLinks, SecretKey
from chorus.listening.store import MentionRepository

if TYPE_CHECKING:
    from chorus.advocacy.content.service import ContentService, Suggestions
    from chorus.advocacy.privacy.service import PrivacyService
    from chorus.local.mailbox import LocalOfferMailbox
    from chorus.platforms.transport import HttpClient


def ledger() -> EngagementLedger:
    return EngagementLedger()


def ambassadors(settings: Settings, messages: OfferMessages | LocalOfferMailbox,
                offer_notifications: OfferNotifications, policy_links: PolicyLinks, clock: Clock) -> AmbassadorService:
    return AmbassadorService(PeopleRepository(), PolicyRepository(), clock=clock, announcements=messages,
                             offer_notifications=offer_notifications, policy_links=policy_links)


def policy_links(settings: Settings) -> PolicyLinks:
    """The policy mail's signed links to each person's policy page (the acknowledge links' key)."""
    return PolicyLinks(SecretKey(settings.ack_link_secret), settings.public_api_url)


def offer_messages(settings: Settings) -> OfferMessages | LocalOfferMailbox:
    """SNS on AWS; locally each publisher's subscription is an SQS queue shown by GET /mailbox
    (chorus.local.mailbox)."""
    if settings.local_mailbox:
        from chorus.local.mailbox import LocalOfferMailbox

        return LocalOfferMailbox(settings.offers_topic_arn, settings.region, settings.org)
    return OfferMessages(settings.offers_topic_arn, settings.region)


def content(settings: Settings, people: AmbassadorService, suggestions: Suggestions,
            channels: Callable[[], list[Channel]], ledger: EngagementLedger, clock: Clock) -> ContentService:
    from chorus.advocacy.content.service import ContentService
    from chorus.advocacy.content.store import (
        MediaBucket,
        PrecheckListRepository,
        SubmissionRepository,
        UploadRepository,
    )

    return ContentService(
        SubmissionRepository(), UploadRepository(), MediaBucket(settings.media_bucket, settings.region),
        PrecheckListRepository(), people, suggestions, PostRepository(), channels=channels, ledger=ledger,
        clock=clock,
    )


def engagement_reports(ledger: EngagementLedger, people: AmbassadorService, clock: Clock) -> EngagementReports:
    return EngagementReports(ledger, people, PeopleRepository(), ReportSettingsRepository(), clock=clock)


def forwards(ledger: EngagementLedger, people: AmbassadorService, clock: Clock) -> Forwards:
    return Forwards(ledger, people, MentionRepository(), clock=clock)


def pool(people: AmbassadorService, ledger: EngagementLedger, clock: Clock) -> PoolService:
    return PoolService(PoolStore(), people, PostRepository(), ledger, clock=clock)


QUICK_CONNECT_SECONDS = 2.0  # POST /shares reads the post while the publisher waits; track_shares reads the rest
QUICK_READ_SECONDS = 3.0


def shares(settings: Settings, people: AmbassadorService, ledger: EngagementLedger, clock: Clock) -> ShareService:
    from chorus.platforms.transport import Transport

    quick = Transport(connect_seconds=QUICK_CONNECT_SECONDS, read_seconds=QUICK_READ_SECONDS)
    return ShareService(PoolStore(), people, ledger, clock=clock, readers=share_readers(settings, quick))


def share_readers(settings: Settings, transport: HttpClient) -> list[Reader]:
    """The Mastodon and Bluesky readers of publishers' posts. Mastodon instances come from handles people typed: only
    public addresses are read."""
    from chorus.platforms.bluesky import BlueskyReader
    from chorus.platforms.checks import PublicOnlyTransport
    from chorus.platforms.mastodon import MastodonReader

    public = PublicOnlyTransport(transport, settings.sources_allow_loopback)
    return [MastodonReader(public), BlueskyReader(public)]


def offer_notifier(settings: Settings, people: AmbassadorService, messages: OfferMessages | LocalOfferMailbox,
                   pool: PoolService, clock: Clock) -> OfferNotifier:
    return OfferNotifier(PoolStore(), people, messages, pool, clock=clock, pool_url=settings.public_api_url)


def share_tracker(settings: Settings, people: AmbassadorService, shares: ShareService,
                  ledger: EngagementLedger, clock: Clock) -> ShareTracker:
    from chorus.platforms.transport import shared_transport

    return ShareTracker(PoolStore(), people, shares, ledger, share_readers(settings, shared_transport()),
                        clock=clock, window_days=settings.share_tracking_days)


def pool_personal_data(messages: OfferMessages | LocalOfferMailbox) -> PoolPersonalData:
    return PoolPersonalData(PoolStore(), messages)


def privacy(settings: Settings, people: AmbassadorService, ledger: EngagementLedger, content: ContentService,
            pool_data: PoolPersonalData, clock: Clock) -> PrivacyService:
    """Export and erase go through every kind of data the programme keeps about a person."""
    from chorus.advocacy.content.service import SubmissionsPersonalData
    from chorus.advocacy.privacy.service import (
        EngagementSection,
        LoginSection,
        PeopleSection,
        PersonalData,
        PrivacyService,
    )
    from chorus.advocacy.privacy.store import CognitoLogins

    sections: list[PersonalData] = [
        PeopleSection(PeopleRepository()),
        LoginSection(PeopleRepository(), CognitoLogins(settings.user_pool_id, settings.region)),
        EngagementSection(ledger),
        SubmissionsPersonalData(content.submissions, content.uploads, content.media, content.posts),
        ForwardsSection(MentionRepository(), PeopleRepository(), clock=clock),
        pool_data,
    ]
    return PrivacyService(people, sections, clock=clock)
