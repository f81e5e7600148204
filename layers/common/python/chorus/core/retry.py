"""Optimistic locking, done one way. A change reads an item, applies a pure rule and saves on condition that nobody
saved the item since it was read; when somebody did, the store raises Stale and the change is made again on what
they saved. `retry_on_conflict` runs such a change until it saves, or gives up with a Conflict (409: try again)."""
from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from chorus.core.errors import Conflict, Stale

T = TypeVar("T")
# Enough for a team of eight writing to one mention, or eight workers adding to one counter, at the same moment; more
# lost races in a row means the item is too hot: tell the caller instead of spinning.
ATTEMPTS = 8


def retry_on_conflict(change: Callable[[int], T], gave_up: str, *, pause: Callable[[int], None] | None = None) -> T:
    """Call `change(attempt)` (attempt 0, 1, …: a first attempt may use what the caller read already, a later one reads
    again) until it returns without raising Stale; then Conflict(gave_up). Between attempts `pause(attempt)` waits
    (default: a short random, growing wait, so writers that collided do not collide again in step)."""
    for attempt in range(ATTEMPTS):
        try:
            return change(attempt)
        except Stale:
            if attempt + 1 < ATTEMPTS:
                (pause or jittered_pause)(attempt)
    raise Conflict(gave_up)


def jittered_pause(attempt: int) -> None:
    """Growing waits, half of each random: 5-10 ms before the second attempt, 10-20 ms before the third, … (at most
    1.3 s over eight), so writers that collided spread out instead of colliding again in step."""
    time.sleep(random.uniform(0.5, 1.0) * 0.01 * 2 ** attempt)
