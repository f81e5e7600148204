"""Counting for spike detection happens in the store path of process_mentions: exactly once per mention."""
from __future__ import annotations

import pytest

from chorus.platforms.base import Author, Mention
from tests.unit.listening.test_listening_service import COMPLAINT, World


def _mention(world: World, platform_id: str, text: str = COMPLAINT) -> Mention:
    return Mention(platform="x", platform_id=platform_id, text=text, created_at=world.clock(),
                   author=Author("jan", followers=10))


def test_a_negative_mention_is_counted_once_however_often_its_message_comes() -> None:
    world = World()
    for _ in range(3):
        world.service.process(_mention(world, "1"), "company")
    world.service.process(_mention(world, "2", "Bedankt voor de snelle hulp!"), "company")
    assert world.mentions.counters == {"spike#n#company#nl#20261120T0900": 1}


def test_a_lambda_that_dies_after_storing_does_not_count_again_on_redelivery() -> None:
    world = World()
    original = world.notifier.send

    def sns_down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("SNS unreachable")

    world.notifier.send = sns_down  # type: ignore[method-assign]  # SNS fails
    with pytest.raises(ConnectionError):
        world.service.process(_mention(world, "1"), "brand")  # stored and counted, then the alert failed
    world.notifier.send = original  # type: ignore[method-assign]  # the fake's own send again
    world.clock.advance(minutes=2)
    assert world.service.process(_mention(world, "1"), "brand") == "care:medium"  # the redelivery finishes routing
    assert world.mentions.counters == {"spike#n#brand#nl#20261120T0900": 1}
