"""The one test clock: a chorus.core.time.Clock that tells a set time, and moves only when a test moves it (or, with
`step`, a little every time it is read, for code that must see time pass between two reads)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


class Clock:
    def __init__(self, now: datetime = T0, step: timedelta = timedelta(0)) -> None:
        self.now = now
        self.step = step

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now

    def advance(self, delta: timedelta = timedelta(0), **parts: float) -> None:
        """`clock.advance(timedelta(minutes=5))` or `clock.advance(minutes=5)`."""
        self.now += delta + timedelta(**parts)
