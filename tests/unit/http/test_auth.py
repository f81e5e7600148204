"""Cognito access-token verification in app code (chorus.http.auth.TokenVerifier).

Keys are generated here and tokens signed with PyJWT, so every case is checked against a real RS256 signature.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chorus.core.roles import Principal
from chorus.http.auth import InvalidToken, TokenVerifier

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TESTPOOL"
CLIENT_ID = "7abc123clientid"
KID = "k1"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return _rsa_key()


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return _rsa_key()


@pytest.fixture
def looked_up() -> list[str]:
    return []


@pytest.fixture
def verifier(signing_key: rsa.RSAPrivateKey, looked_up: list[str]) -> TokenVerifier:
    public = signing_key.public_key()

    def lookup(kid: str) -> Any:
        looked_up.append(kid)
        if kid == KID:
            return public
        raise InvalidToken(f"signing key {kid!r} not found")

    return TokenVerifier(ISSUER, CLIENT_ID, lookup)


def _claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab",
        "iss": ISSUER,
        "client_id": CLIENT_ID,
        "token_use": "access",
        "scope": "aws.cognito.signin.user.admin",
        "auth_time": now - 60,
        "iat": now - 60,
        "exp": now + 3600,
        "jti": "a1b2c3",
        "username": "anna",
        "cognito:groups": ["editor", "creator"],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(key: rsa.RSAPrivateKey, claims: dict[str, Any], kid: str = KID) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _reject(verifier: TokenVerifier, authorization: str | None) -> str:
    with pytest.raises(InvalidToken) as caught:
        verifier.principal(authorization)
    return str(caught.value)


# --- accepted tokens ------------------------------------------------------------------------------------------


def test_valid_access_token_gives_principal_with_known_roles_only(
    verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey, looked_up: list[str]
) -> None:
    token = _sign(signing_key, _claims(**{"cognito:groups": ["editor", "admins", "pr", "Everyone", "viewer"]}))

    principal = verifier.principal(f"Bearer {token}")

    assert principal == Principal(username="anna", roles=frozenset({"editor", "pr", "viewer"}))
    assert looked_up == [KID]


def test_all_seven_roles_are_recognised(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    groups = ["master", "editor", "creator", "publisher", "care", "pr", "viewer"]
    principal = verifier.principal("Bearer " + _sign(signing_key, _claims(**{"cognito:groups": groups})))
    assert principal.roles == frozenset(groups)


def test_token_without_groups_has_no_roles(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    principal = verifier.principal("Bearer " + _sign(signing_key, _claims(**{"cognito:groups": None})))
    assert principal == Principal(username="anna", roles=frozenset())


def test_username_falls_back_to_sub(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    principal = verifier.principal("Bearer " + _sign(signing_key, _claims(username=None)))
    assert principal.username == "0f1e2d3c-aaaa-bbbb-cccc-1234567890ab"


def test_scheme_is_case_insensitive_and_whitespace_tolerated(
    verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey
) -> None:
    token = _sign(signing_key, _claims())
    assert verifier.principal(f"  bearer {token}  ").username == "anna"


def test_expiry_within_the_30_second_leeway_is_still_valid(
    verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey
) -> None:
    token = _sign(signing_key, _claims(exp=int(time.time()) - 10))
    assert verifier.principal(f"Bearer {token}").username == "anna"


# --- rejected tokens: every one is InvalidToken ----------------------------------------------------------------


@pytest.mark.parametrize("header", [None, ""])
def test_missing_header(verifier: TokenVerifier, header: str | None) -> None:
    assert "missing Authorization header" in _reject(verifier, header)


@pytest.mark.parametrize("header_template", ["Basic {t}", "Token {t}", "{t}", "Bearer", "Bearer    "])
def test_scheme_other_than_bearer(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey,
                                  header_template: str) -> None:
    header = header_template.format(t=_sign(signing_key, _claims()))
    assert _reject(verifier, header) in (
        "Authorization header must be 'Bearer <token>'",
        "missing Authorization header (expected 'Bearer <token>')",
    )


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", "...."])
def test_garbage_token(verifier: TokenVerifier, token: str, looked_up: list[str]) -> None:
    _reject(verifier, f"Bearer {token}")
    assert looked_up == []  # rejected before any key is fetched


def test_expired_beyond_leeway(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    token = _sign(signing_key, _claims(exp=int(time.time()) - 120))
    assert _reject(verifier, f"Bearer {token}") == "token expired"


def test_token_without_expiry_is_rejected(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    _reject(verifier, "Bearer " + _sign(signing_key, _claims(exp=None)))


def test_wrong_issuer(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    other_pool = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_OTHERPOOL"
    _reject(verifier, "Bearer " + _sign(signing_key, _claims(iss=other_pool)))


def test_id_token_is_not_an_access_token(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    id_token = _claims(token_use="id", client_id=None, aud=CLIENT_ID, email="anna@example.org")
    assert "access token is required" in _reject(verifier, "Bearer " + _sign(signing_key, id_token))


def test_token_use_is_required(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    _reject(verifier, "Bearer " + _sign(signing_key, _claims(token_use=None)))


def test_token_for_another_app_client(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    token = _sign(signing_key, _claims(client_id="someotherclient"))
    assert "another app client" in _reject(verifier, f"Bearer {token}")


def test_signed_by_another_key_with_the_same_kid(verifier: TokenVerifier, other_key: rsa.RSAPrivateKey) -> None:
    token = _sign(other_key, _claims(**{"cognito:groups": ["master"]}))
    assert "Signature verification failed" in _reject(verifier, f"Bearer {token}")


def test_tampered_payload_is_rejected(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    header, _, signature = _sign(signing_key, _claims()).split(".")
    forged_payload = _b64(json.dumps(_claims(**{"cognito:groups": ["master"]})).encode())
    _reject(verifier, f"Bearer {header}.{forged_payload}.{signature}")


def test_alg_none_token(verifier: TokenVerifier) -> None:
    # No key: PyJWT takes "" (or None, which its annotations do not allow) for alg "none".
    unsigned = jwt.encode(_claims(**{"cognito:groups": ["master"]}), "", algorithm="none", headers={"kid": KID})
    assert jwt.get_unverified_header(unsigned)["alg"] == "none"
    assert _reject(verifier, f"Bearer {unsigned}") == "token must be RS256-signed with a key id"
    # The same with an empty signature segment made by hand, and with "None" capitalised.
    for alg in ("none", "None", "NONE"):
        header = _b64(json.dumps({"alg": alg, "typ": "JWT", "kid": KID}).encode())
        payload = _b64(json.dumps(_claims()).encode())
        _reject(verifier, f"Bearer {header}.{payload}.")


def test_hs256_signed_with_the_public_key_as_secret(
    verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey, looked_up: list[str]
) -> None:
    """The algorithm-confusion attack: the attacker knows the public key and uses its PEM as an HMAC secret."""
    public_pem = signing_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KID}).encode())
    payload = _b64(json.dumps(_claims(**{"cognito:groups": ["master"]})).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = _b64(hmac.new(public_pem, signing_input, hashlib.sha256).digest())
    assert _reject(verifier, f"Bearer {header}.{payload}.{signature}") == "token must be RS256-signed with a key id"
    assert looked_up == []


def test_rs256_header_without_kid(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    token = jwt.encode(_claims(), signing_key, algorithm="RS256")
    assert _reject(verifier, f"Bearer {token}") == "token must be RS256-signed with a key id"


def test_other_rsa_algorithm_is_refused(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    token = jwt.encode(_claims(), signing_key, algorithm="RS512", headers={"kid": KID})
    _reject(verifier, f"Bearer {token}")


def test_unknown_kid(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey, looked_up: list[str]) -> None:
    token = _sign(signing_key, _claims(), kid="k2")
    assert _reject(verifier, f"Bearer {token}") == "signing key 'k2' not found"
    assert looked_up == ["k2"]


def test_token_naming_no_user(verifier: TokenVerifier, signing_key: rsa.RSAPrivateKey) -> None:
    token = _sign(signing_key, _claims(username=None, sub=None))
    assert _reject(verifier, f"Bearer {token}") == "token names no user"
