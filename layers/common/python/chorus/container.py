"""Composition root: connects the features. Each feature builds its own services in its `wiring.py` from the settings
and the ports it calls; this module builds each service once per process (a warm Lambda keeps them) and connects the
features through the named ports at the bottom, which resolve the other feature only when it is first called (the
API imports the publisher, the programme or the classifier only when a request needs them).

Handlers and routes ask this module for a service: `container.calendar().schedule(...)`."""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from chorus.aws import tables
from chorus.core.settings import Settings
from chorus.core.time import utc_now

if TYPE_CHECKING:
    from chorus.advocacy.content.service import ContentService
    from chorus.advocacy.engagement.service import EngagementReports, Forwards
    from chorus.advocacy.engagement.store import EngagementLedger
    from chorus.advocacy.people.service import AmbassadorService
    from chorus.advocacy.pool.service import OfferNotifier, PoolPersonalData, PoolService, ShareService, ShareTracker
    from chorus.advocacy.pool.store import OfferMessages
    from chorus.advocacy.privacy.service import PrivacyService
    from chorus.aws.state import StateRepository
    from chorus.calendar.schemas import Post
    from chorus.calendar.service import CalendarService, ChannelChecks, CrisisService
    from chorus.core.roles import Principal
    from chorus.http.auth import TokenVerifier
    from chorus.http.signing import AckLinks, PolicyLinks
    from chorus.inbox.saved.service import SavedReplyService
    from chorus.inbox.service import InboxService
    from chorus.listening.digests.service import DigestService
    from chorus.listening.escalation.service import EscalationService
    from chorus.listening.schemas import Alert, MentionRecord
    from chorus.listening.service import ListeningService, SubscriptionService
    from chorus.listening.sources.service import FetchingService, SourcesService
    from chorus.listening.spikes.service import SpikeService
    from chorus.local.mailbox import LocalMailbox, LocalOfferMailbox
    from chorus.publishing.metrics.service import PostMetricsService
    from chorus.publishing.service import PublishingService
    from chorus.reports.service import WeeklyReports

T = TypeVar("T")
_BUILT: list[Any] = []  # every cache below, so that reset() forgets them all


def service(build: Callable[[], T]) -> Callable[[], T]:
    """Built once per process, after the settings (which bind the tables)."""

    @functools.cache
    def built() -> T:
        settings()
        return build()

    _BUILT.append(built)
    return functools.wraps(build)(built)


@functools.cache
def settings() -> Settings:
    current = Settings.from_env()
    tables.bind(current)
    return current


_BUILT.append(settings)


def reset() -> None:
    """Forget every built service and the settings (tests and the local runtime rebind to new resources)."""
    for cached in _BUILT:
        cached.cache_clear()


# ---------------------------------------------------------------------------------------------------- calendar
@service
def calendar() -> CalendarService:
    from chorus.calendar import wiring

    return wiring.calendar(settings(), PublishSoon(), crisis(), ApproveReplies(), utc_now)


@service
def crisis() -> CrisisService:
    from chorus.calendar import wiring

    return wiring.crisis(settings(), utc_now)


@service
def channel_checks() -> ChannelChecks:
    from chorus.calendar import wiring

    publisher = publishing()
    return wiring.channel_checks(settings(), publisher.alerts, publisher.connectors, utc_now)


# ---------------------------------------------------------------------------------------------------- publishing
@service
def publishing() -> PublishingService:
    from chorus.publishing import wiring

    return wiring.publishing(settings(), ReportReplies(), utc_now)


@service
def post_metrics() -> PostMetricsService:
    from chorus.publishing.metrics import wiring

    return wiring.post_metrics(settings(), utc_now)


# ---------------------------------------------------------------------------------------------------- listening
@service
def listening() -> ListeningService:
    from chorus.listening import wiring

    return wiring.listening(settings(), ack_links(), CountForwards(), utc_now)


@service
def ack_links() -> AckLinks:
    from chorus.listening import wiring

    return wiring.ack_links(settings())


@service
def subscriptions() -> SubscriptionService:
    from chorus.listening import wiring

    return wiring.subscriptions(settings(), utc_now)


@service
def mailbox() -> LocalMailbox | None:
    from chorus.listening import wiring

    return wiring.mailbox(settings())


@service
def escalation() -> EscalationService:
    from chorus.listening import wiring

    return wiring.escalation(settings(), listening(), ack_links(), utc_now)


@service
def spikes() -> SpikeService:
    from chorus.listening import wiring

    return wiring.spikes(settings(), listening(), crisis(), utc_now)


@service
def digests() -> DigestService:
    from chorus.listening import wiring

    return wiring.digests(settings(), listening(), utc_now)


@service
def sources() -> SourcesService:
    from chorus.listening import wiring

    return wiring.sources(settings(), utc_now)


@service
def fetching() -> FetchingService:
    from chorus.listening import wiring

    return wiring.fetching(settings(), utc_now)


# ---------------------------------------------------------------------------------------------------- inbox
@service
def inbox() -> InboxService:
    from chorus.inbox import wiring

    return wiring.inbox(settings(), PublishSoon(), crisis(), EndAlerts(), utc_now)


@service
def saved_replies() -> SavedReplyService:
    from chorus.inbox import wiring

    return wiring.saved_replies(settings(), utc_now)


# ---------------------------------------------------------------------------------------------------- advocacy
@service
def engagement_ledger() -> EngagementLedger:
    from chorus.advocacy import wiring

    return wiring.ledger()


@service
def offer_messages() -> OfferMessages | LocalOfferMailbox:
    from chorus.advocacy import wiring

    return wiring.offer_messages(settings())


@service
def ambassadors() -> AmbassadorService:
    from chorus.advocacy import wiring

    return wiring.ambassadors(settings(), offer_messages(), StopOfferNotifications(), policy_links(), utc_now)


@service
def policy_links() -> PolicyLinks:
    from chorus.advocacy import wiring

    return wiring.policy_links(settings())


@service
def content() -> ContentService:
    from chorus.advocacy import wiring

    return wiring.content(settings(), ambassadors(), InboxSuggestions(), lambda: calendar().list_channels(),
                          engagement_ledger(), utc_now)


@service
def engagement_reports() -> EngagementReports:
    from chorus.advocacy import wiring

    return wiring.engagement_reports(engagement_ledger(), ambassadors(), utc_now)


@service
def forwards() -> Forwards:
    from chorus.advocacy import wiring

    return wiring.forwards(engagement_ledger(), ambassadors(), utc_now)


@service
def pool() -> PoolService:
    from chorus.advocacy import wiring

    return wiring.pool(ambassadors(), engagement_ledger(), utc_now)


@service
def shares() -> ShareService:
    from chorus.advocacy import wiring

    return wiring.shares(settings(), ambassadors(), engagement_ledger(), utc_now)


@service
def offer_notifier() -> OfferNotifier:
    from chorus.advocacy import wiring

    return wiring.offer_notifier(settings(), ambassadors(), offer_messages(), pool(), utc_now)


@service
def share_tracker() -> ShareTracker:
    from chorus.advocacy import wiring

    return wiring.share_tracker(settings(), ambassadors(), shares(), engagement_ledger(), utc_now)


@service
def pool_personal_data() -> PoolPersonalData:
    from chorus.advocacy import wiring

    return wiring.pool_personal_data(offer_messages())


@service
def privacy() -> PrivacyService:
    from chorus.advocacy import wiring

    return wiring.privacy(settings(), ambassadors(), engagement_ledger(), content(), pool_personal_data(), utc_now)


# ---------------------------------------------------------------------------------------------------- reports
@service
def weekly_reports() -> WeeklyReports:
    from chorus.reports import wiring

    return wiring.weekly_reports(settings(), crisis(), engagement_reports(), post_metrics(), utc_now)


# ---------------------------------------------------------------------------------------------------- the API
@service
def idempotency_keys() -> StateRepository:
    from chorus.aws.state import StateRepository

    return StateRepository(settings().org)


@service
def token_verifier() -> TokenVerifier:
    # Imported here: only the API verifies tokens, and PyJWT with `cryptography` costs ~45 ms of every cold start.
    from chorus.http.auth import TokenVerifier, jwks_key_lookup

    current = settings()
    return TokenVerifier(current.jwt_issuer, current.user_pool_client_id, jwks_key_lookup(current.jwks_url))


# ---------------------------------------------------------------------------------------------------- named ports
# One feature calls another only through these; each resolves the other feature when it is first called.
class PublishSoon:
    """calendar and inbox → publishing (chorus.calendar.service.Publisher): a post due before the next due run is
    queued at once."""

    def enqueue_soon(self, post: Post) -> int:
        return publishing().enqueue_soon(post)


class ApproveReplies:
    """calendar → inbox (chorus.calendar.service.ReplyApprovals): an approved reply goes out now and answers its
    mention."""

    def approve_reply(self, actor: Principal, post: Post) -> Post:
        return inbox().approve_reply(actor, post)


class ReportReplies:
    """publishing → inbox (chorus.publishing.service.ReplyOutcomes): a reply's final outcome; published, it answers
    its mention; failed, the mention stays in the open inbox with the failure and care is told."""

    def settled(self, post: Post, channel_id: str) -> MentionRecord | None:
        return inbox().reply_settled(post, channel_id)


class EndAlerts:
    """inbox → listening (chorus.inbox.service.AlertEnds): a mention answered, resolved or ignored ends its alerts."""

    def end_alerts(self, mention: MentionRecord, by: str) -> list[Alert]:
        return listening().end_alerts(mention, by)


class CountForwards:
    """listening → advocacy (chorus.listening.service.Forwards): a mention an employee forwarded counts for them."""

    def count(self, principal: Principal, mention_id: str) -> bool:
        return forwards().count(principal, mention_id)


class StopOfferNotifications:
    """people → pool, inside advocacy (chorus.advocacy.people.service.OfferNotifications): an opt-out ends the
    person's offer notifications at once."""

    def stop_notifications(self, person_id: str) -> int:
        return pool_personal_data().stop_notifications(person_id)


class InboxSuggestions:
    """advocacy → inbox (chorus.advocacy.content.service.Suggestions): praise routed to marketing, still open, read
    through the inbox (no copy of the mentions is kept)."""

    FILTERS = {"intent": "praise", "team": "marketing"}

    def open_praise(self, limit: int, cursor: str | None) -> tuple[list[MentionRecord], str | None]:
        page = inbox().inbox("open", dict(self.FILTERS), None, None, True, limit, cursor)
        return page.items, page.next_cursor

    def mention(self, mention_id: str) -> MentionRecord:
        return inbox().mention(mention_id)

    def resolve(self, mention_id: str, actor: Principal) -> MentionRecord:
        return inbox().set_status(mention_id, "resolved", actor)
