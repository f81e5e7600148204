"""Builds the inbox from the settings and the ports other features provide (see chorus.container)."""
from __future__ import annotations

from chorus.aws.messaging import Alerts
from chorus.calendar.service import Holds, Publisher
from chorus.calendar.store import ChannelRepository, PostRepository
from chorus.core.settings import Settings
from chorus.core.time import Clock
from chorus.inbox.saved.service import SavedReplyService
from chorus.inbox.saved.store import SavedReplyStore
from chorus.inbox.service import AlertEnds, InboxService
from chorus.inbox.store import CognitoTeam, InboxReader, ReplyTransactions
from chorus.listening.store import MentionRepository


def inbox(settings: Settings, publisher: Publisher, holds: Holds, alert_ends: AlertEnds, clock: Clock) -> InboxService:
    return InboxService(MentionRepository(), InboxReader(), PostRepository(), ChannelRepository(settings.org),
                        ReplyTransactions(), clock=clock, team=CognitoTeam(settings.user_pool_id, settings.region),
                        publisher=publisher, holds=holds, alert_ends=alert_ends,
                        alerts=Alerts(settings.alerts_topic_arn, settings.region), timezone=settings.timezone,
                        saved_replies=saved_replies(settings, clock))


def saved_replies(settings: Settings, clock: Clock) -> SavedReplyService:
    return SavedReplyService(SavedReplyStore(settings.org), clock)
