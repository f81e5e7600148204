"""Verifies Cognito access tokens in app code: signature (JWKS), expiry, issuer, token use and client.

API Gateway could do this on AWS, but `chalice local` never verifies signatures, so the app does it everywhere."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt

from chorus.core.errors import InvalidToken
from chorus.core.roles import ROLES, Principal

KeyLookup = Callable[[str], Any]  # kid -> public key


def jwks_key_lookup(jwks_url: str) -> KeyLookup:
    """Keys from the pool's JWKS URL, cached; an unknown kid triggers one refetch (key rotation)."""
    client = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=3600, timeout=5)

    def lookup(kid: str) -> Any:
        try:
            return client.get_signing_key(kid).key
        except jwt.PyJWKClientError as error:
            raise InvalidToken(f"signing key {kid!r} not found: {error}") from None

    return lookup


class TokenVerifier:
    def __init__(self, issuer: str, client_id: str, key_lookup: KeyLookup, leeway_seconds: int = 30) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.key_lookup = key_lookup
        self.leeway = leeway_seconds

    def principal(self, authorization: str | None) -> Principal:
        token = self._bearer(authorization)
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as error:
            raise InvalidToken(f"malformed token: {error}") from None
        if header.get("alg") != "RS256" or not header.get("kid"):
            raise InvalidToken("token must be RS256-signed with a key id")
        key = self.key_lookup(header["kid"])
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=["RS256"],
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "token_use"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except jwt.PyJWTError as error:
            raise InvalidToken(f"token rejected: {error}") from None
        if claims.get("token_use") != "access":
            raise InvalidToken("an access token is required, not an id token")
        if claims.get("client_id") != self.client_id:
            raise InvalidToken("token was issued to another app client")
        username = claims.get("username") or claims.get("sub")
        if not username:
            raise InvalidToken("token names no user")
        groups = claims.get("cognito:groups") or []
        return Principal(username=username, roles=frozenset(g for g in groups if g in ROLES))

    @staticmethod
    def _bearer(authorization: str | None) -> str:
        if not authorization:
            raise InvalidToken("missing Authorization header (expected 'Bearer <token>')")
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise InvalidToken("Authorization header must be 'Bearer <token>'")
        return token.strip()
