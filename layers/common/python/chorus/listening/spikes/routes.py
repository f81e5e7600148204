"""The route of spike detection: GET /spikes, the spikes detected in the last days."""
from __future__ import annotations

from chorus import container
from chorus.core.roles import LISTENERS, Principal
from chorus.http.api import Query, Routes
from chorus.listening.spikes.schemas import SpikeList

routes = Routes()


@routes.route("/spikes", "GET",
              "Spikes of negative mentions detected in the last days, newest first: counts, baseline, why",
              roles=LISTENERS, response=SpikeList, query=(
                  Query("days", "how far back", type="integer", minimum=1, maximum=90, default=7),
                  Query("limit", "at most this many", type="integer", minimum=1, maximum=200, default=50),
                  Query("cursor", "next_cursor of the previous page")))
def list_spikes(principal: Principal, days: int, limit: int, cursor: str | None) -> SpikeList:
    items, next_cursor = container.spikes().recent(days, limit, cursor)
    return SpikeList(items=items, next_cursor=next_cursor)
