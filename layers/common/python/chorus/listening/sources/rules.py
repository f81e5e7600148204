"""Rules of sources: when each is polled next (after a success, a rate limit or a failure), how an edit touches its
fetch state, and which addresses Chorus must never connect to. Pure: callers pass `now`.

A source is one thing to watch (a feed, a Mastodon account or hashtag, a Bluesky, X or Reddit search), tagged with
the facet it watches (brand, company, employees). Its configuration is what people edit; its fetch state (the
watermark, the next poll, the last error) is what `fetch_mentions` writes. The two are stored apart, so neither
ever overwrites the other."""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from chorus.core.roles import ALERT_ADMINS, EDITORS
from chorus.listening.sources.schemas import POLL_LIMITS, FetchState, FetchStatus, Source, SourceView

# Who may add, change and remove sources: those who own alerting, and the editors who run the channels.
SOURCE_ADMINS = ALERT_ADMINS | EDITORS
# Settings that name a server Chorus will connect to: each must be a public address (see `address_problem`).
URL_SETTINGS: dict[str, tuple[str, ...]] = {"rss": ("url",), "mastodon": ("instance_url",), "bluesky": ("service_url",)}
LEASE = timedelta(minutes=3)  # longer than fetch_mentions' timeout (120 s): a lease never ends while its holder runs
BACKOFF_CAP = timedelta(hours=2)
RATE_LIMIT_WAIT = (timedelta(minutes=1), timedelta(hours=24))  # the platform's delay, kept within these bounds


def next_poll_after_success(now: datetime, kind: str, poll_minutes: int, capped: bool) -> datetime:
    """A capped poll left items waiting: the next comes as soon as the platform allows."""
    return now + timedelta(minutes=POLL_LIMITS[kind].minimum if capped else poll_minutes)


def next_poll_after_rate_limit(now: datetime, retry_after_seconds: float) -> datetime:
    low, high = RATE_LIMIT_WAIT
    return now + min(high, max(low, timedelta(seconds=retry_after_seconds)))


def next_poll_after_failure(now: datetime, poll_minutes: int, consecutive_failures: int) -> datetime:
    """The interval, doubled for each failure after the first, at most BACKOFF_CAP (or the interval, if longer)."""
    interval = timedelta(minutes=poll_minutes)
    doublings = min(max(consecutive_failures - 1, 0), 16)  # 2**16 intervals is far beyond any cap
    return now + min(interval * 2 ** doublings, max(BACKOFF_CAP, interval))


# ---------------------------------------------------------------------------------------------- edits
KEEP: Final = "keep"


@dataclass(frozen=True)
class EditPlan:
    """How an edit touches the fetch state. `next_poll_at`: a time, None to leave the due index, or KEEP."""

    next_poll_at: datetime | None | Literal["keep"]
    reset_watermark: bool  # another feed or account: the old watermark would skip or repeat items
    end_lease: bool  # a poll running now uses the old configuration: its result must not be saved over the edit


def plan_edit(before: Source, after: Source, now: datetime) -> EditPlan:
    retarget = before.fetch_target() != after.fetch_target()
    if not after.enabled:
        return EditPlan(next_poll_at=None, reset_watermark=retarget, end_lease=True)
    if retarget or not before.enabled:
        return EditPlan(next_poll_at=now, reset_watermark=retarget, end_lease=True)
    return EditPlan(next_poll_at=KEEP, reset_watermark=False, end_lease=False)


# ---------------------------------------------------------------------------------------------- addresses
def address_problem(address: str, allow_loopback: bool) -> str | None:
    """Why Chorus must not connect to this IP address (None when it is a public one). Sources are fetched from
    inside the cloud account: a private, loopback, link-local (the instance metadata service) or otherwise
    non-global address would let whoever edits a source read internal services."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address (such as the instance metadata service)"
    if ip.is_private:
        return "a private address"
    if not ip.is_global or ip.is_multicast:  # Python counts some multicast ranges as global
        return "not a public address"
    return None


@dataclass(frozen=True)
class StoredSource:
    """A source as read from the store: its configuration (at a revision), its watermark and its fetch state."""

    source: Source
    revision: int
    watermark: dict[str, str]
    fetch: FetchState
    next_poll_at: str | None  # absent while disabled: the source is then on no due list
    lease_until: str | None = None

    def view(self) -> SourceView:
        status = FetchStatus(**self.fetch.model_dump(), next_poll_at=self.next_poll_at, fetching_until=self.lease_until)
        return SourceView(**self.source.model_dump(), fetch=status, version=self.revision)
