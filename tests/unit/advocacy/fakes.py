"""In-memory stand-ins for the ambassador programme's ports, shared by its unit tests."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

from chorus.advocacy.content import service as content
from chorus.advocacy.engagement import service as engagement
from chorus.advocacy.engagement.rules import Count, check_event, day_of
from chorus.advocacy.pool import service as pool
from chorus.advocacy.privacy.service import EngagementLedgerReader


class MemoryLedger(engagement.Ledger, content.Ledger, pool.Ledger, EngagementLedgerReader):
    """The EngagementLedger's behaviour (chorus.advocacy.engagement.store) without DynamoDB."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str, str]] = Counter()
        self.once: set[tuple[str, str, str]] = set()

    def record(self, person: str, event: str, moment: datetime, channel: str | None = None, count: int = 1,
               once_key: str | None = None) -> bool:
        channel = check_event(event, channel)
        if once_key is not None:
            if (person, event, once_key) in self.once:
                return False
            self.once.add((person, event, once_key))
        self.counts[(person, day_of(moment), event, channel)] += count
        return True

    def of_day(self, day: date) -> list[Count]:
        return [Count(p, day, e, c, n) for (p, d, e, c), n in self.counts.items() if d == day.isoformat()]

    def of_period(self, start: date, end: date) -> list[Count]:
        return [count for n in range((end - start).days + 1) for count in self.of_day(start + timedelta(days=n))]

    def of_person(self, person: str, start: date, end: date) -> list[Count]:
        return [count for count in self.of_period(start, end) if count.person == person]
