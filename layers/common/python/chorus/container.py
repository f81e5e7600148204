"""Composition root: builds each service once per process from the settings (Lambda keeps it warm)."""
from __future__ import annotations

import functools
from datetime import datetime, timezone

from chorus.adapters import dynamodb
from chorus.adapters.auth import TokenVerifier, jwks_key_lookup
from chorus.services.calendar import CalendarService
from chorus.settings import get_settings


def utc_now() -> datetime:
    return datetime.now(timezone.utc).replace(microsecond=0)


@functools.cache
def calendar() -> CalendarService:
    settings = get_settings()
    dynamodb.bind(settings)
    return CalendarService(
        dynamodb.PostRepository(), dynamodb.ChannelRepository(settings.org), clock=utc_now, timezone=settings.timezone
    )


@functools.cache
def token_verifier() -> TokenVerifier:
    settings = get_settings()
    return TokenVerifier(settings.jwt_issuer, settings.user_pool_client_id, jwks_key_lookup(settings.jwks_url))


def reset() -> None:
    """Forget every built service and the settings (tests and the local runtime rebind to new resources)."""
    get_settings.cache_clear()
    calendar.cache_clear()
    token_verifier.cache_clear()
