"""Builds the inbox from the settings and the ports other features provide (see chorus.container)."""
from __future__ import annotations

from chorus.calendar.service import Holds, Publisher
from chorus.calendar.store import ChannelRepository, PostRepository
from chorus.core.settings import Settings
from chorus.core.time import Clock
from chorus.inbox.service import InboxService
from chorus.inbox.store import InboxReader, ReplyTransactions
from chorus.listening.store import MentionRepository


def inbox(settings: Settings, publisher: Publisher, holds: Holds, clock: Clock) -> InboxService:
    return InboxService(MentionRepository(), InboxReader(), PostRepository(), ChannelRepository(settings.org),
                        ReplyTransactions(), clock=clock, publisher=publisher, holds=holds)
