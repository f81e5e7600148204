"""Shapes of the content pool: an offer an editor makes, an offer as one publisher received it and sees it in their
pool (with their share links), and the shares they make, as request and response bodies of /pool and /shares
(validated on the way in, documented in /openapi.json)."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

OfferPlatform = Literal["x", "linkedin", "bluesky", "mastodon"]
Rhythm = Literal["immediate", "daily", "weekly"]
FoundBy = Literal["publisher", "mastodon", "bluesky"]
# claimed: the publisher's word, counting nothing yet; verified: read on the platform (Mastodon, Bluesky: their own
# post, linking the offer) or confirmed by an editor, and counted once; rejected: read and found not to be that.
ShareStatus = Literal["claimed", "verified", "rejected"]
SHARE_STATUSES: tuple[ShareStatus, ...] = ("claimed", "verified", "rejected")
Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


# ---------------------------------------------------------------------------------------------------- offers
class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    post_id: str = Field(min_length=1, max_length=64)
    teams: list[Label] = Field(default_factory=list, max_length=20,
                               description="only people in these teams (default: all)")
    topics: list[Label] = Field(default_factory=list, max_length=20,
                                description="only people interested in one of these topics (default: any)")
    texts: dict[OfferPlatform, Annotated[str, StringConstraints(max_length=10_000)]] = Field(
        default_factory=dict, description="suggested text per platform (default: the post's text)")
    url: str | None = Field(default=None, max_length=2000,
                            description="the page the tracked links lead to (default: the post where it was published)")


class Offer(BaseModel):
    id: str
    post_id: str
    teams: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    texts: dict[str, str] = Field(
        description="suggested text per platform, checked against its length limit with the link")
    url: str = Field(description="where the tracked links lead (UTM parameters are added on the way)")
    campaign: str = Field(description="utm_campaign: the post's campaign, or offer-<id>")
    created_by: str
    created_at: str
    status: Literal["active", "withdrawn"] = "active"
    withdrawn_at: str | None = None
    withdrawn_by: str | None = None
    recipients: int | None = Field(default=None, description="people it was offered to, once that is done")


# ---------------------------------------------------------------------------------------------------- the pool
class Recipient(BaseModel):
    """An offer as one person received it, with the base of their tracked links to it."""

    offer_id: str
    person: str
    link_base: str
    created_at: str


class PoolEntry(BaseModel):
    offer: Offer
    links: dict[str, str] = Field(default_factory=dict,
                                  description="your tracked link per channel (chorus: to paste anywhere)")
    share: dict[str, str] = Field(default_factory=dict,
                                  description="per platform, a link that opens its composer with the text and "
                                              "your link")


class PoolPage(BaseModel):
    items: list[PoolEntry]
    next_cursor: str | None = Field(default=None, description="pass as ?cursor= for the next page")
    notice: str | None = Field(default=None, description="why nothing is offered to you, when that is the case")


# ---------------------------------------------------------------------------------------------------- shares
class ShareIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    offer_id: str = Field(min_length=1, max_length=64)
    url: str = Field(min_length=1, max_length=2000, description="the URL of your post")


class ShareRejection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, description="why it does not count, for the publisher to read")


class Share(BaseModel):
    id: str = Field(description="a hash of the normalised URL: one share per post, however often confirmed")
    person: str
    offer_id: str
    url: str | None = Field(description="None once the person's data was erased (the share still counts)")
    platform: str
    found_by: FoundBy
    created_at: str
    post_id: str | None = Field(default=None, description="the post's id on Mastodon or Bluesky, to count its replies")
    replies: int = Field(default=0, description="replies counted so far (verified Mastodon and Bluesky shares)")
    status: ShareStatus = Field(description="claimed (counts nothing yet), verified (counts once) or rejected")
    note: str | None = Field(default=None, description="what a claimed share waits for, or why it was rejected")
    verified_by: str | None = Field(default=None, description="mastodon or bluesky (read there), or editor")
    verified_at: str | None = None


class SharePage(BaseModel):
    items: list[Share]
    next_cursor: str | None = None
