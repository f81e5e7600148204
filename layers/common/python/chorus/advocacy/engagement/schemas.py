"""Shapes of engagement: the events the ambassador programme counts and how the score weighs them, a tally and a
report row, the engagement report, the leaderboard and its settings, and the mentions an employee forwarded, as
request and response bodies of the REST API (validated on the way in, documented in /openapi.json)."""
from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from chorus.listening.schemas import MentionRecord, OurReply, excerpt

EngagementEvent = Literal[
    "submission_made",  # a creator submitted content
    "submission_accepted",  # an editor turned it into a post
    "post_edited",  # an editor made a post from content (or edited one)
    "offer_received",  # a publisher was offered a post from the pool
    "share",  # a publisher's share, verified (read on their account, or confirmed by an editor)
    "share_claimed",  # a publisher's claimed share still waiting to be verified (+1 when claimed, -1 when settled)
    "click",  # someone clicked a publisher's tracked link
    "reply",  # a reply to a publisher's share (conversation)
    "forward",  # an employee forwarded a mention to care or marketing
]
Grouping = Literal["person", "team", "role"]
# The score: contribution weighs most (it makes the content everyone shares), conversation next, a share least.
# Clicks and offers are not scored: clicks measure the audience's reaction, offers what the programme sent.
WEIGHTS = {"contribution": 3, "conversation": 2, "share": 1}
SCORE_FORMULA = ("3 × contribution (submissions made + accepted + posts edited) + 2 × conversation (replies + forwards)"
                 " + 1 × shares")
# Ledger event -> the counter it adds to.
FIELD_OF_EVENT = {
    "submission_made": "submissions_made",
    "submission_accepted": "submissions_accepted",
    "post_edited": "posts_edited",
    "offer_received": "offers_received",
    "share": "shares",
    "share_claimed": "shares_claimed",
    "click": "clicks",
    "reply": "replies",
    "forward": "forwards",
}
COUNTERS = tuple(FIELD_OF_EVENT.values())


class Tally(BaseModel):
    """What one person (or a group, or everyone) did in the period."""

    submissions_made: int = 0
    submissions_accepted: int = 0
    posts_edited: int = 0
    offers_received: int = 0
    shares: int = Field(default=0, description="verified shares: read on the platform or confirmed by an editor")
    shares_by_channel: dict[str, int] = Field(default_factory=dict, description="verified shares per platform")
    shares_claimed: int = Field(default=0, description="shares publishers reported in the period that are not "
                                "verified yet (waiting for a read or an editor): not in the score, the leaderboard "
                                "or activity")
    clicks: int = 0
    replies: int = Field(default=0, description="replies to their shares (conversation)")
    forwards: int = Field(default=0, description="mentions they forwarded to care or marketing")

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorated property; pydantic's documented way
    @property
    def contribution(self) -> int:
        return self.submissions_made + self.submissions_accepted + self.posts_edited

    @computed_field  # type: ignore[prop-decorator]  # mypy rejects a decorated property; pydantic's documented way
    @property
    def conversation(self) -> int:
        return self.replies + self.forwards

    @computed_field(  # type: ignore[prop-decorator]  # mypy rejects a decorated property; pydantic's documented way
        description=SCORE_FORMULA)
    @property
    def score(self) -> int:
        return (WEIGHTS["contribution"] * self.contribution + WEIGHTS["conversation"] * self.conversation
                + WEIGHTS["share"] * self.shares)

    @property
    def active(self) -> bool:
        """Contributed, shared or conversed (clicks and offers are not the person's own doing)."""
        return self.contribution + self.shares + self.conversation > 0

    def plus(self, other: Tally) -> Tally:
        channels = dict(self.shares_by_channel)
        for channel, n in other.shares_by_channel.items():
            channels[channel] = channels.get(channel, 0) + n
        return Tally(**{name: getattr(self, name) + getattr(other, name) for name in COUNTERS},
                     shares_by_channel=channels)


class Row(Tally):
    key: str = Field(description="the person's id, the team or the role")
    name: str | None = Field(default=None, description="person rows only")
    team: str | None = Field(default=None, description="person rows only")
    roles: list[str] = Field(default_factory=list, description="person rows only")
    people: int = Field(description="people in the row (1 for a person)")
    active_people: int = Field(description="of whom contributed, shared or conversed")


class InactivePerson(BaseModel):
    id: str
    name: str
    team: str
    roles: list[str]


class ScoreRule(BaseModel):
    weights: dict[str, int] = Field(default_factory=lambda: dict(WEIGHTS))
    formula: str = SCORE_FORMULA


class EngagementReport(BaseModel):
    start: date = Field(description="the first day counted (UTC)")
    end: date = Field(description="the day after the last day counted, as `to` (not included)")
    by: Grouping
    rows: list[Row]
    anonymous: Tally = Field(description="counts of erased people and of people no longer in the programme")
    totals: Tally = Field(description="everyone's counts: the person or team rows plus anonymous")
    inactive: list[InactivePerson] = Field(description="people who receive offers, create or edit, and did none of "
                                           "contributing, sharing or conversing in the period")
    score: ScoreRule = Field(default_factory=ScoreRule)


# ---------------------------------------------------------------------------------------------- leaderboard
class ReportSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    leaderboard_enabled: bool = Field(description="show the leaderboard (GET /reports/engagement/leaderboard); off "
                                      "until a social master switches it on")


class ReportSettings(ReportSettingsIn):
    updated_at: str | None = None
    updated_by: str | None = None


class LeaderboardEntry(BaseModel):
    rank: int = Field(description="equal scores share a rank (1, 2, 2, 4)")
    person_id: str
    name: str
    team: str
    score: int
    contribution: int
    conversation: int
    shares: int


class Leaderboard(BaseModel):
    start: date = Field(description="the first day counted (UTC)")
    end: date = Field(description="the day after the last day counted, as `to` (not included)")
    entries: list[LeaderboardEntry]
    totals: Tally = Field(description="everyone's counts, including people who are hidden or erased (anonymously)")
    score: ScoreRule = Field(default_factory=ScoreRule)


class ForwardedMention(BaseModel):
    """A mention you forwarded, and what became of it (the team's internal notes stay with the team)."""

    id: str
    platform: str
    url: str | None
    author_handle: str
    excerpt: str
    received_at: str
    teams: list[str] = Field(description="the teams it was routed to (empty until processed, or when nobody must act)")
    status: str = Field(description="new, assigned, responded, resolved or ignored")
    assignee: str | None
    first_response_at: str | None
    first_response_seconds: int | None = Field(description="from received to the first answer")
    replies: list[OurReply] = Field(
        description="the organisation's replies from Chorus (GET /posts/{post_id} for the text)")

    @classmethod
    def of(cls, record: MentionRecord) -> ForwardedMention:
        return cls(id=record.id, platform=record.platform, url=record.url, author_handle=record.author_handle,
                   excerpt=excerpt(record.text), received_at=record.received_at, teams=record.teams,
                   status=record.status, assignee=record.assignee, first_response_at=record.first_response_at,
                   first_response_seconds=record.first_response_seconds, replies=record.our_replies)


class ForwardedPage(BaseModel):
    items: list[ForwardedMention]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")


class PersonalEngagement(BaseModel):
    start: date = Field(description="the first day counted (UTC)")
    end: date = Field(description="the day after the last day counted, as `to` (not included)")
    row: Row = Field(description="your counts in the period, as in the report")
