"""Alert subscribers: stored per organisation, each one an SNS subscription with its filter policy."""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Callable, Protocol

from chorus.domain import timing
from chorus.domain.errors import NotFound
from chorus.domain.roles import Principal
from chorus.domain.subscriptions import Subscription, SubscriptionIn


class Store(Protocol):
    def all(self) -> list[dict]: ...
    def get(self, item_id: str) -> dict | None: ...
    def create(self, item_id: str, data: dict) -> bool: ...
    def delete(self, item_id: str) -> bool: ...


class Gateway(Protocol):
    def subscribe(self, subscription: Subscription) -> str: ...
    def unsubscribe(self, subscription_arn: str) -> None: ...


class SubscriptionService:
    def __init__(self, store: Store, gateway: Gateway, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.gateway = gateway
        self.clock = clock

    def create(self, body: SubscriptionIn, principal: Principal) -> Subscription:
        subscription = Subscription(
            id=f"sub-{secrets.token_hex(4)}", name=body.name, team=body.team, protocol=body.protocol, endpoint=body.endpoint,
            min_severity=body.min_severity or ("high" if body.protocol == "sms" else "low"),
            created_by=principal.username, created_at=timing.iso_utc(self.clock()),
        )
        subscription = subscription.model_copy(update={"sns_subscription": self.gateway.subscribe(subscription)})
        self.store.create(subscription.id, subscription.model_dump(mode="json"))
        return subscription

    def all(self) -> list[Subscription]:
        return [Subscription.model_validate(data) for data in self.store.all()]

    def delete(self, subscription_id: str) -> None:
        data = self.store.get(subscription_id)
        if data is None:
            raise NotFound(f"no subscription {subscription_id!r}")
        subscription = Subscription.model_validate(data)
        if subscription.sns_subscription and subscription.sns_subscription.startswith("arn:"):
            self.gateway.unsubscribe(subscription.sns_subscription)
        self.store.delete(subscription_id)
