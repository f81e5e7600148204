"""Builds the weekly report's service from the settings and the other features' stores and services (see
chorus.container)."""
from __future__ import annotations

from chorus.advocacy.engagement.service import EngagementReports
from chorus.aws.state import StateRepository
from chorus.calendar.service import CrisisService
from chorus.core.settings import Settings
from chorus.core.time import Clock
from chorus.publishing.metrics.service import PostMetricsService
from chorus.reports.service import WeeklyReports


def weekly_reports(settings: Settings, crisis: CrisisService, engagement: EngagementReports,
                   metrics: PostMetricsService, clock: Clock) -> WeeklyReports:
    from chorus.calendar.store import ChannelRepository, PostRepository
    from chorus.inbox.store import InboxReader
    from chorus.listening.store import AlertRepository, LocalizedAlerts
    from chorus.reports.store import ReportBucket

    return WeeklyReports(
        PostRepository(), ChannelRepository(settings.org), crisis, InboxReader(), AlertRepository(), engagement,
        metrics, ReportBucket(settings.media_bucket, settings.region), StateRepository(settings.org),
        LocalizedAlerts(settings.alerts_topic_arn, settings.region), clock=clock, timezone=settings.timezone)
