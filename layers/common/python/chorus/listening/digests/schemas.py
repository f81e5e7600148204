"""Shapes of the digests: a digest time (the period it covers) and the progress of sending it, saved with
optimistic locking so that of two overlapping runs one sends. What a digest holds is chorus.listening.digests.rules."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from chorus.core import time as timing
from chorus.listening.schemas import TEAMS


# ---------------------------------------------------------------------------------------------- when
@dataclass(frozen=True)
class Slot:
    """One digest time: it covers [since, at)."""

    at: datetime
    since: datetime

    @property
    def key(self) -> str:
        return f"digest#{timing.iso_utc(self.at)}"


SLOT_CLAIM = timedelta(minutes=3)  # longer than send_digests may run (120 s): a live sender never loses its claim
SLOT_KEPT = timedelta(days=7)


class SlotState(BaseModel):
    """Progress of one digest time: the teams whose digest went out, and who is sending the rest."""

    key: str
    sent: list[str] = Field(default_factory=list)
    claim_until: str | None = None
    expires_at: int = 0
    version: int = 0  # optimistic locking: of two overlapping runs, one claims

    @property
    def done(self) -> bool:
        return set(TEAMS) <= set(self.sent)

    def claimable(self, now: datetime) -> bool:
        return not self.done and (self.claim_until is None or timing.from_iso_utc(self.claim_until) <= now)

    def claimed(self, slot: Slot, now: datetime) -> SlotState:
        return self.model_copy(update={"claim_until": timing.iso_utc(now + SLOT_CLAIM),
                                       "expires_at": int((slot.at + SLOT_KEPT).timestamp())})

    def with_sent(self, team: str, now: datetime) -> SlotState:
        done = [*self.sent, team]
        return self.model_copy(update={"sent": done, "claim_until": None if set(TEAMS) <= set(done)
                                       else timing.iso_utc(now + SLOT_CLAIM)})
