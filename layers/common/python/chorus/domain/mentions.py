"""What is said about the organisation: one Mention shape for every platform, whatever fetched or forwarded it."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

# `local` is the demo and test network of the `local` channel platform: mentions there can be answered from its outbox.
MentionPlatform = Literal["rss", "mastodon", "bluesky", "x", "reddit", "local", "other"]
Facet = Literal["brand", "company", "employees"]


@dataclass(frozen=True)
class Author:
    handle: str
    name: str | None = None
    followers: int | None = None  # None: the platform did not say (RSS, a forwarded mention without it)
    url: str | None = None


@dataclass(frozen=True)
class Engagement:
    replies: int = 0
    reposts: int = 0
    likes: int = 0


@dataclass(frozen=True)
class Mention:
    """A normalised mention. `platform` + `platform_id` identify it; `conversation` groups replies and cross-posts."""

    platform: MentionPlatform
    platform_id: str
    text: str
    created_at: datetime  # timezone-aware
    author: Author
    url: str | None = None
    title: str | None = None  # RSS/Atom entries and Reddit submissions have one
    language_hint: str | None = None  # what the platform or the source says ("nl", "en"); detection may overrule it
    engagement: Engagement = field(default_factory=Engagement)
    in_reply_to: str | None = None  # platform id of the parent post
    thread_root: str | None = None  # platform id of the conversation's first post (X conversation_id, Bluesky root)
    source_id: str | None = None  # the Chorus source that found it; None when posted to the API
    forwarded_by: str | None = None  # username of the employee who forwarded it
    forwarded_to: str | None = None  # the team the employee forwarded it to: routing adds that team
    forward_note: str | None = None  # what the employee told that team (kept as an internal note)

    @property
    def key(self) -> str:
        return f"{self.platform}#{self.platform_id}"

    @property
    def id(self) -> str:
        return mention_id(self.platform, self.platform_id)

    def with_source(self, source_id: str) -> "Mention":
        return replace(self, source_id=source_id)


def mention_id(platform: str, platform_id: str) -> str:
    """Chorus's id of a mention: the same for the same post however often it arrives, and safe in a URL (platform
    ids are not: Bluesky's are at:// URIs)."""
    return "m" + hashlib.sha256(f"{platform}#{platform_id}".encode()).hexdigest()[:24]


# ---------------------------------------------------------------------------------------------- conversations
# A reposted or cross-posted text is the same conversation: its words without links, handles, "RT" and punctuation.
# Only texts of a few words: two people writing just "bedankt!" are not one conversation.
NEAR_DUPLICATE_MIN_WORDS = 5
_LINK = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_HANDLE = re.compile(r"(?<!\w)@[\w.@-]+")
_REPOST_PREFIX = re.compile(r"^\s*(rt|via)\b:?", re.IGNORECASE)
_NOT_A_WORD = re.compile(r"[^\w]+")


def text_fingerprint(text: str) -> str | None:
    """The same for the same words, whatever links, handles, case and punctuation surround them; None for a text
    too short to tell a repost from a coincidence."""
    words = _NOT_A_WORD.sub(" ", _HANDLE.sub(" ", _LINK.sub(" ", _REPOST_PREFIX.sub("", text))).lower()).split()
    if len(words) < NEAR_DUPLICATE_MIN_WORDS:
        return None
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()[:20]


def conversation_of(mention: Mention, parent_conversation: str | None) -> str:
    """Replies join their parent's conversation (or the thread's root when the parent is unknown to us); the same
    words posted again, anywhere, join the conversation of the first post; anything else starts its own."""
    if parent_conversation:
        return parent_conversation
    if mention.thread_root:
        return f"{mention.platform}#{mention.thread_root}"
    if mention.in_reply_to:
        return f"{mention.platform}#{mention.in_reply_to}"
    fingerprint = text_fingerprint(mention.text)
    return f"text#{fingerprint}" if fingerprint else mention.key
