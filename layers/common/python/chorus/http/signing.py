"""Signed links for alert emails and policy mails. A mail client cannot send a bearer token, so the link is the
credential: an acknowledge link names the alert, the team it was sent to and when it stops working; a policy link
the person, the policy version and its expiry; each with an HMAC-SHA256 of those under a key kept in Secrets Manager
(read through Powertools Parameters, cached, never at import).

A link only acknowledges; opening it (GET) changes nothing, because mail scanners open every link in a message."""
from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from chorus.core import time as timing
from chorus.core.errors import Forbidden
from chorus.core.observability import logger
from chorus.core.roles import Principal

LINK_VALIDITY = timedelta(days=7)
KEY_CACHE_SECONDS = 300
LINK_PARAMETERS = ("team", "expires", "sig")


class SecretKey:
    """The signing key: the secret's string as stored (the template generates it)."""

    def __init__(self, secret_id: str) -> None:
        self.secret_id = secret_id

    def __call__(self) -> bytes:
        from aws_lambda_powertools.utilities import parameters

        value = parameters.get_secret(self.secret_id, max_age=KEY_CACHE_SECONDS)
        return value.encode() if isinstance(value, str) else bytes(value)


class AckLinks:
    def __init__(self, key: Callable[[], bytes], base_url: str | None, validity: timedelta = LINK_VALIDITY) -> None:
        self.key = key
        self.base_url = base_url.rstrip("/") if base_url else None
        self.validity = validity

    def link(self, alert_id: str, team: str, now: datetime) -> str | None:
        """The link for `team`'s message about the alert; None without a public API URL or key (the alert still goes
        out, without the link: being told matters more than a shortcut)."""
        if not self.base_url:
            return None
        expires = str(int((now + self.validity).timestamp()))
        try:
            signature = self._sign(alert_id, team, expires)
        except Exception as error:  # noqa: BLE001 - any failure to read the key only costs the link
            logger.error(
                "no acknowledge link: the signing key could not be read", extra={"error": type(error).__name__}
            )
            return None
        query = urlencode({"team": team, "expires": expires, "sig": signature})
        return f"{self.base_url}/alerts/{quote(alert_id, safe='')}/ack?{query}"

    def signer(self, alert_id: str, params: dict[str, str], now: datetime) -> Principal:
        """Who a link speaks for (its team), or Forbidden when it is incomplete, altered or expired."""
        team, expires, signature = (params.get(name) or "" for name in LINK_PARAMETERS)
        if not (team and expires and signature):
            raise Forbidden(
                "this acknowledge link is incomplete (it needs team, expires and sig): use the link from the "
                "email as it is, or acknowledge in Chorus"
            )
        if not hmac.compare_digest(self._sign(alert_id, team, expires).encode(), _bytes(signature)):
            raise Forbidden(
                "this acknowledge link is not valid (altered, or for another alert): use the link from the "
                "email as it is, or acknowledge in Chorus"
            )
        if not (expires.isascii() and expires.isdigit()) or int(expires) <= now.timestamp():
            raise Forbidden(f"this acknowledge link expired at {_moment(expires)}: acknowledge in Chorus instead")
        return Principal(username=f"{team} (email link)", roles=frozenset())

    def _sign(self, alert_id: str, team: str, expires: str) -> str:
        return _signature(self.key(), f"ack|{alert_id}|{team}|{expires}")


POLICY_LINK_VALIDITY = timedelta(days=30)
POLICY_LINK_PARAMETERS = ("person", "expires", "sig")


class PolicyLinks:
    """The link in a policy mail: it names the person, the policy version and when it stops working, signed under
    the same key as acknowledge links (a different purpose in the signed text, so one can never stand for the
    other). Opening it shows the policy; its button acknowledges that version for that person, and nothing else."""

    def __init__(self, key: Callable[[], bytes], base_url: str | None,
                 validity: timedelta = POLICY_LINK_VALIDITY) -> None:
        self.key = key
        self.base_url = base_url.rstrip("/") if base_url else None
        self.validity = validity

    def link(self, person_id: str, version: str, language: str, now: datetime) -> str | None:
        """None without a public API URL or key (the mail then says where to acknowledge instead)."""
        if not self.base_url:
            return None
        expires = str(int((now + self.validity).timestamp()))
        try:
            signature = _signature(self.key(), f"policy|{person_id}|{version}|{expires}")
        except Exception as error:  # noqa: BLE001 - any failure to read the key only costs the link
            logger.error("no policy link: the signing key could not be read", extra={"error": type(error).__name__})
            return None
        query = urlencode({"person": person_id, "expires": expires, "sig": signature, "lang": language})
        return f"{self.base_url}/policy/{quote(version, safe='')}/acknowledge?{query}"

    def signer(self, version: str, params: dict[str, str], now: datetime) -> Principal:
        """The person a link speaks for (username `person:<id>`), or Forbidden when incomplete, altered or expired."""
        person, expires, signature = (params.get(name) or "" for name in POLICY_LINK_PARAMETERS)
        if not (person and expires and signature):
            raise Forbidden("this policy link is incomplete (it needs person, expires and sig): use the link from "
                            "the message as it is")
        expected = _signature(self.key(), f"policy|{person}|{version}|{expires}")
        if not hmac.compare_digest(expected.encode(), _bytes(signature)):
            raise Forbidden("this policy link is not valid (altered, or for another version): use the link from "
                            "the message as it is")
        if not (expires.isascii() and expires.isdigit()) or int(expires) <= now.timestamp():
            raise Forbidden(f"this policy link expired at {_moment(expires)}: ask the social master for a new one")
        return Principal(username=f"{LINK_PERSON}{person}", roles=frozenset())


LINK_PERSON = "person:"  # the username of a principal a policy link speaks for: person:<id>


def _signature(key: bytes, text: str) -> str:
    digest = hmac.new(key, _bytes(text), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")  # whatever a query string decodes to, never an exception


def _moment(expires: str) -> str:
    return timing.iso_utc(datetime.fromtimestamp(int(expires), tz=UTC))
