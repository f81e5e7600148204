"""Builds the publisher from the settings: the posts it delivers, the publish queue, the alerts topic, a connector
per channel (platform credentials from Secrets Manager), and the inbox it reports replies' outcomes to."""
from __future__ import annotations

from chorus.aws.media import MediaLibrary
from chorus.aws.messaging import Alerts
from chorus.calendar.store import ChannelRepository, PostRepository
from chorus.core.settings import Settings
from chorus.core.time import Clock
from chorus.platforms.registry import connector_for_channel
from chorus.publishing.service import PublishingService, ReplyOutcomes
from chorus.publishing.store import PublishQueue


def publishing(settings: Settings, replies: ReplyOutcomes, clock: Clock) -> PublishingService:
    return PublishingService(
        PostRepository(), ChannelRepository(settings.org), PublishQueue(settings.publish_queue_url, settings.region),
        alerts(settings), connectors=lambda channel: connector_for_channel(channel, settings.secrets_prefix),
        clock=clock, replies=replies, media=MediaLibrary(settings.media_bucket, settings.region),
    )


def alerts(settings: Settings) -> Alerts:
    return Alerts(settings.alerts_topic_arn, settings.region)
