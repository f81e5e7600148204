"""Builds the calendar's services from the settings and the ports other features provide (see chorus.container)."""
from __future__ import annotations

from collections.abc import Callable

from chorus.aws.media import MediaLibrary
from chorus.aws.state import StateRepository
from chorus.calendar.schemas import Channel
from chorus.calendar.service import AlertSink, CalendarService, ChannelChecks, CrisisService, Publisher, ReplyApprovals
from chorus.calendar.store import ChannelRepository, PostRepository
from chorus.core.settings import Settings
from chorus.core.time import Clock
from chorus.platforms.base import Connector


def calendar(
    settings: Settings, publisher: Publisher, crisis: CrisisService, replies: ReplyApprovals, clock: Clock
) -> CalendarService:
    return CalendarService(PostRepository(), ChannelRepository(settings.org), clock=clock, timezone=settings.timezone,
                           publisher=publisher, holds=crisis, replies=replies, feeds=StateRepository(settings.org),
                           media=MediaLibrary(settings.media_bucket, settings.region))


def crisis(settings: Settings, clock: Clock) -> CrisisService:
    return CrisisService(PostRepository(), StateRepository(settings.org), clock=clock)


def channel_checks(
    settings: Settings, alerts: AlertSink, connectors: Callable[[Channel], Connector], clock: Clock
) -> ChannelChecks:
    return ChannelChecks(PostRepository(), ChannelRepository(settings.org), alerts, connectors, clock=clock)
