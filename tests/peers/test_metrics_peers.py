"""Reading our posts' metrics from a real Mastodon client API: snac2 on 127.0.0.1 (see test_mastodon_snac.py for what
snac does differently). snac has no `GET /api/v1/statuses?id[]=` (Mastodon 4.3+), so this is the path for servers
without it: one status a request, found out once per connector."""
from __future__ import annotations

import pytest

from chorus.platforms.base import PostCounts, PublishRequest
from chorus.platforms.mastodon import MastodonConnector
from chorus.platforms.transport import Transport
from tests.peers.servers import FreshConnections, Snac

pytestmark = pytest.mark.peers


def test_a_server_without_the_batch_call_is_read_one_status_at_a_time(snac: Snac) -> None:
    connector = MastodonConnector(snac.url, snac.token, transport=Transport(FreshConnections()))
    first = connector.publish(PublishRequest(text="Metingen een", idempotency_key="metrics-1:mastodon"))
    gone = "0" * 32  # snac cannot delete through the API: a status it never had stands in for a deleted one

    reading = connector.metrics([first.platform_id, gone])

    assert reading.counts == {first.platform_id: PostCounts(replies=0, reposts=0, likes=0)}  # the other is left out
    assert reading.requests == 3  # the batch call (not there), then one status at a time
    assert connector.metrics([first.platform_id]).requests == 1  # remembered
