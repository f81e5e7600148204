"""Shapes of the weekly report: what `GET /reports/weekly` answers and what is stored as JSON in S3 next to its HTML
page (chorus.reports.rules builds both from plain data)."""
from __future__ import annotations

from pydantic import BaseModel, Field


class ChannelWeek(BaseModel):
    channel: str
    platform: str
    handle: str
    published: int = Field(description="posts published on the channel in the week (replies to mentions not counted)")
    target: int = Field(description="the channel's cadence target (posts per week; 0: none set)")
    failed: int = Field(description="posts planned in the week whose delivery to this channel failed")
    held: int = Field(description="posts planned in the week that are held (crisis hold)")

    @property
    def short(self) -> bool:
        return self.target > 0 and self.published < self.target


class PostsWeek(BaseModel):
    channels: list[ChannelWeek]
    published: int = Field(description="posts published (each post once, however many channels)")
    failed: int
    held: int
    replies: int = Field(description="replies to mentions published from Chorus")
    crisis_hold: str | None = Field(default=None, description="the crisis hold, when it was on during the week")


class Count(BaseModel):
    key: str
    count: int
    previous: int = Field(description="the week before")
    change: int = Field(description="count - previous")


class MentionsWeek(BaseModel):
    total: int
    previous_total: int
    by_facet: list[Count]
    by_intent: list[Count]
    by_sentiment: list[Count] = Field(description="negative (sentiment below -0.2), neutral, positive (above 0.2)")
    by_language: list[Count]
    by_platform: list[Count]
    complete: bool = Field(description="false when the week held more mentions than one build reads: the counts are "
                                       "a lower bound")


class ComplaintsWeek(BaseModel):
    total: int
    to_care: int = Field(description="complaints routed to customer care")
    to_pr: int = Field(description="complaints routed to PR (directly or as an escalation)")
    alerts: int = Field(description="alerts raised in the week for care, the care lead and PR")
    median_ack_seconds: int | None = Field(description="median time from an alert to its acknowledgement (or "
                                           "answer); null when none was acknowledged")
    answered: int
    median_first_response_seconds: int | None = Field(description="median time from a complaint's arrival to the "
                                                      "first answer; null when none was answered")
    still_open: int = Field(description="complaints of the week still new or assigned when the report was built")


class TeamActivity(BaseModel):
    team: str
    score: int
    active_people: int
    people: int
    shares: int
    contribution: int
    conversation: int


class AdvocacyWeek(BaseModel):
    submissions: int = Field(description="content creators submitted")
    accepted: int = Field(description="submissions editors turned into posts")
    shares: int = Field(description="verified shares by employees")
    shares_by_channel: dict[str, int]
    clicks: int = Field(description="clicks on employees' tracked links")
    conversations: int = Field(description="replies to employees' shares and mentions they forwarded")
    teams: list[TeamActivity] = Field(description="the most active teams, highest score first (at most five)")


class MentionCard(BaseModel):
    id: str
    author: str
    author_name: str | None = None
    text: str
    url: str | None = None
    platform: str
    language: str
    intent: str
    sentiment: float
    reach: int
    interactions: int = Field(description="replies, reposts and likes the mention had when it was read")
    received_at: str
    why: str = Field(description="why it was chosen, in plain words")


class TopPost(BaseModel):
    id: str
    text: str
    channels: list[str]
    publish_at: str | None
    engagements: int = Field(description="replies + reposts + likes + quotes over its channels")
    replies: int
    reposts: int
    likes: int
    impressions: int | None = None
    link_clicks: int | None = None


class WeeklyReport(BaseModel):
    week: str = Field(description="ISO week, e.g. 2026-W49")
    start: str = Field(description="Monday 00:00 in `timezone`, as UTC ISO 8601 (included)")
    end: str = Field(description="the next Monday 00:00, as UTC ISO 8601 (not included)")
    timezone: str
    built_at: str
    posts: PostsWeek
    mentions: MentionsWeek
    complaints: ComplaintsWeek
    advocacy: AdvocacyWeek
    striking: list[MentionCard] = Field(description="the five most striking mentions of the week")
    best_posts: list[TopPost] = Field(description="the best-performing posts of the week (by engagements)")
    successes: str = Field(description="the week's successes, in one line")
    setbacks: str = Field(description="the week's setbacks, in one line")
    items_read: dict[str, int] = Field(default_factory=dict, description="what the build read, per source")


class BuildResult(BaseModel):
    week: str
    json_key: str
    html_key: str
    mailed: bool = Field(description="true when this build sent the email to the report team (once per week)")
    items_read: dict[str, int]
