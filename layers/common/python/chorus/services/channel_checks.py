"""Checks that keep the calendar healthy: enough posts planned per channel (seed 000 #6: regularity), and channels
whose credentials will be rejected, found before their next post is due rather than when it fails."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Callable

from chorus.adapters.connectors.base import Connector, CredentialsRejected, PublishError
from chorus.domain.channels import Channel
from chorus.domain.posts import Status
from chorus.services.calendar import ChannelStore, Clock, PostStore
from chorus.services.publishing import AlertSink, mark_needs_reconnect

CADENCE_WINDOW = timedelta(days=7)
CREDENTIALS_WINDOW = timedelta(hours=24)
PLANNED = (Status.SCHEDULED, Status.PUBLISHING, Status.PUBLISHED)


class ChannelChecks:
    def __init__(
        self, posts: PostStore, channels: ChannelStore, alerts: AlertSink, connectors: Callable[[Channel], Connector], clock: Clock
    ) -> None:
        self.posts = posts
        self.channels = channels
        self.alerts = alerts
        self.connectors = connectors
        self.clock = clock

    def cadence(self) -> dict[str, object]:
        """Alert the editors when a channel's next 7 days hold fewer posts than its weekly cadence target."""
        now = self.clock()
        window = self.posts.in_window(now, now + CADENCE_WINDOW)
        planned = Counter(c for post in window if post.status in PLANNED for c in post.channels)
        short = [
            (channel, planned[channel.id])
            for channel in self.channels.all()
            if channel.cadence_per_week and planned[channel.id] < channel.cadence_per_week
        ]
        if short:
            lines = [f"- {c.id} ({c.platform} {c.handle}): {n} of {c.cadence_per_week} posts planned" for c, n in short]
            self.alerts.send(
                f"Calendar running dry on {len(short)} channel{'s' if len(short) > 1 else ''}",
                "The next 7 days fall short of the cadence targets:\n" + "\n".join(lines),
                team="editors", severity="low", kind="cadence",
            )
        return {"posts_read": len(window), "channels_short": [c.id for c, _ in short]}

    def credentials(self) -> dict[str, object]:
        """Verify the credentials of every channel that has a post due in the next 24 hours."""
        now = self.clock()
        due = {c for post in self.posts.in_window(now, now + CREDENTIALS_WINDOW) if post.status == Status.SCHEDULED for c in post.channels}
        rejected, unreachable = [], []
        for channel in self.channels.all():
            if channel.id not in due or channel.status != "active" or channel.platform == "local":
                continue
            try:
                self.connectors(channel).verify_credentials()
            except CredentialsRejected as error:
                mark_needs_reconnect(self.channels, self.alerts, channel, str(error))
                rejected.append(channel.id)
            except PublishError:
                unreachable.append(channel.id)  # a passing outage says nothing about the token; the next run retries
        return {"checked": sorted(due), "rejected": rejected, "unreachable": unreachable}
