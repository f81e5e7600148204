"""What is checked before a source is saved, and on every request a source makes.

- Settings: each kind's fetcher says what it would refuse (`Fetcher.check`), before anything is stored.
- Addresses: a source's URLs are fetched from inside the cloud account, so whoever can edit a source could point it
  at internal services (the instance metadata service, a private load balancer). Every host a source connects to is
  resolved and refused unless all its addresses are public; the check runs when the source is saved and again on
  every request (redirects and DNS answers change after a source was saved). Loopback is allowed only when the
  local runtime says so (its demo feed is served on 127.0.0.1)."""
from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from chorus.core.errors import ValidationError
from chorus.listening.sources.rules import URL_SETTINGS, address_problem
from chorus.platforms.base import BadSetting, PermanentFailure, SourceSpec, TransientFailure
from chorus.platforms.registry import fetcher_for
from chorus.platforms.transport import HttpClient, Response

Resolver = Callable[[str], list[str]]  # host → its IP addresses


class UnsafeAddress(PermanentFailure):
    """The URL's host is, or resolves to, an address sources may not connect to."""


def resolve(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    # An IPv4 or IPv6 socket address starts with the address as text; typeshed also allows other families' tuples.
    return sorted({sockaddr[0] for *_, sockaddr in infos if isinstance(sockaddr[0], str)})


def check_public(url: str, allow_loopback: bool, resolver: Resolver = resolve) -> None:
    """UnsafeAddress when any address of the URL's host is not public; TransientFailure when it does not resolve."""
    host = urlsplit(url).hostname
    if not host:
        raise UnsafeAddress(f"{url!r} names no host")
    try:
        addresses = [host] if _is_ip(host) else resolver(host)
    except (OSError, UnicodeError) as error:
        raise TransientFailure(f"{host} does not resolve ({type(error).__name__})") from None
    if not addresses:
        raise TransientFailure(f"{host} does not resolve")
    for address in addresses:
        problem = address_problem(address, allow_loopback)
        if problem:
            raise UnsafeAddress(f"{host} is {problem} ({address}); sources may only connect to public addresses")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class PublicOnlyTransport:
    """The fetchers' transport, refusing every request to a host that is not public (redirects included)."""

    def __init__(self, transport: HttpClient, allow_loopback: bool, resolver: Resolver = resolve) -> None:
        self._transport = transport
        self._allow_loopback = allow_loopback
        self._resolver = resolver

    def request(self, method: str, url: str, headers: Mapping[str, str] | None = None, body: bytes | None = None,
                json: Any = None) -> Response:
        check_public(url, self._allow_loopback, self._resolver)
        return self._transport.request(method, url, headers=headers, body=body, json=json)


def check_settings(spec: SourceSpec, allow_loopback: bool, resolver: Resolver = resolve) -> None:
    """ValidationError naming the setting (`settings.url`) that the source's fetcher would refuse, or whose host is
    not a public address. Makes no request to the source itself."""
    try:
        fetcher_for(spec.kind).check(spec)
    except BadSetting as error:
        raise ValidationError(f"settings.{error.setting}", str(error)) from None
    for name in URL_SETTINGS.get(spec.kind, ()):
        url = spec.settings.get(name)
        if not url:
            continue
        try:
            check_public(url, allow_loopback, resolver)
        except (UnsafeAddress, TransientFailure) as error:
            raise ValidationError(f"settings.{name}", str(error)) from None
