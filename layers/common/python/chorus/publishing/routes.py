"""Publishing's REST route: `GET /channels/{id}/outbox`, what the local platform published on a `local` channel."""
from __future__ import annotations

from chorus import container
from chorus.core.errors import ValidationError
from chorus.core.roles import EVERYONE, Principal
from chorus.http.api import Query, Routes
from chorus.publishing.schemas import Outbox, OutboxEntry, OutboxMedia

routes = Routes()


@routes.route("/channels/{id}/outbox", "GET", "What the local platform published on a `local` channel, newest first",
              roles=EVERYONE, response=Outbox,
              query=(Query("limit", "how many", type="integer", minimum=1, maximum=100, default=20),))
def channel_outbox(principal: Principal, id: str, limit: int) -> Outbox:
    channel = container.calendar().get_channel(id)
    if channel.platform != "local":
        raise ValidationError("id", f"{id} is a {channel.platform} channel; only local channels have an outbox")
    entries = container.publishing().outbox(channel, limit)
    return Outbox(items=[
        OutboxEntry(id=e.platform_id, text=e.text, published_at=e.created_at, in_reply_to=e.in_reply_to,
                    media=[OutboxMedia(key=key, alt=alt) for key, alt in e.media])
        for e in entries
    ])
