"""The shapes of our posts' metrics: what one channel counted for a post at its latest reading (stored apart from the
post, so reading them never changes the post's version), and what the API shows on a post: each channel and totals."""
from __future__ import annotations

from pydantic import BaseModel, Field


class ChannelMetrics(BaseModel):
    platform: str
    replies: int = 0
    reposts: int = Field(default=0, description="boosts (Mastodon), reposts (Bluesky, X), reshares (LinkedIn)")
    likes: int = Field(default=0, description="favourites (Mastodon), likes, reactions (LinkedIn)")
    quotes: int | None = Field(default=None, description="quote posts; null where the platform does not count them")
    impressions: int | None = Field(default=None, description="times the post was shown (X, LinkedIn); null where "
                                    "the platform does not tell")
    link_clicks: int | None = Field(default=None, description="X: clicks on links in the post; LinkedIn: clicks on "
                                    "the post; null where the platform does not tell")
    read_at: str = Field(description="when these numbers were read from the platform (UTC)")
    missing_since: str | None = Field(default=None, description="the platform has not shown the post since then "
                                      "(deleted there?); the numbers are the last ones read")

    @property
    def engagements(self) -> int:
        return self.replies + self.reposts + self.likes + (self.quotes or 0)


class MetricTotals(BaseModel):
    replies: int
    reposts: int
    likes: int
    quotes: int
    engagements: int = Field(description="replies + reposts + likes + quotes: what ranks the best-performing posts")
    impressions: int | None = Field(description="the sum over the channels that tell; null when none does")
    link_clicks: int | None = Field(description="the sum over the channels that tell; null when none does")


class PostMetrics(BaseModel):
    channels: dict[str, ChannelMetrics] = Field(description="per channel id, the latest reading")
    totals: MetricTotals
    read_at: str = Field(description="the latest reading of any channel (UTC)")
