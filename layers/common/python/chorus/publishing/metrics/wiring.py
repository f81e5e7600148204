"""Builds the metrics collector from the settings: the posts (calendar index), the channels, the metrics table, the
state table (rate-limit pauses) and a connector per channel (platform credentials from Secrets Manager)."""
from __future__ import annotations

from chorus.aws.state import StateRepository
from chorus.calendar.schemas import Channel
from chorus.calendar.store import ChannelRepository, PostRepository
from chorus.core.settings import Settings
from chorus.core.time import Clock
from chorus.publishing.metrics.service import PostMetricsService
from chorus.publishing.metrics.store import PostMetricsRepository


def post_metrics(settings: Settings, clock: Clock) -> PostMetricsService:
    def reader(channel: Channel) -> object:
        # imported here: the API builds this service to show readings and never reads a platform
        from chorus.platforms.registry import connector_for_channel

        return connector_for_channel(channel, settings.secrets_prefix)

    return PostMetricsService(PostRepository(), ChannelRepository(settings.org), PostMetricsRepository(),
                              StateRepository(settings.org), reader, clock)
