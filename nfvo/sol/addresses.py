"""Which addresses the orchestrator sends requests to (server-side request forgery).

Clients name URLs the NFVO then calls itself: a package to fetch (``upload_from_uri``),
a subscriber's ``callbackUri`` and its ``tokenEndpoint``. Unfiltered, those calls reach
what the client cannot: a Redis on the loopback, the cloud's metadata service
(169.254.169.254), the management network. :class:`AddressPolicy` allows global
addresses only (not loopback, link-local, private, shared, reserved, multicast or
unspecified), plus the networks an operator names, or everything when told so.

The check sits where the connection is made: :meth:`AddressPolicy.connector` resolves
a name and keeps only the permitted addresses, so the address checked is the address
connected to (no window for a DNS answer that changes in between), and an address
written in the URL is checked by :meth:`AddressPolicy.check_url` before the request.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressRefused(OSError):
    """The URL may not be called: its scheme, or no address of its host is permitted."""


def _plain(address: Address) -> Address:
    # ::ffff:127.0.0.1 is 127.0.0.1 to the kernel, whatever ipaddress thinks of it.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _address(text: str) -> Address:
    return _plain(ipaddress.ip_address(text.split("%")[0]))  # an IPv6 zone is not part of it


@dataclass(frozen=True)
class AddressPolicy:
    """Global addresses, the ``allowed_networks``, or (``allow_private``) any."""

    allow_private: bool = False
    allowed_networks: tuple[Network, ...] = ()

    @classmethod
    def allowing(cls, networks: Iterable[str | Network]) -> AddressPolicy:
        return cls(allowed_networks=tuple(ipaddress.ip_network(n) for n in networks))

    def permits(self, address: Address) -> bool:
        plain = _plain(address)
        return (
            self.allow_private
            or plain.is_global
            or any(plain in network for network in self.allowed_networks)
        )

    def check_url(self, url: str) -> str:
        """The host of an http(s) ``url``; AddressRefused if it is an address not permitted.

        A name is checked when it is resolved (:meth:`connector`, :meth:`resolve`)."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise AddressRefused("only http and https URLs with a host are called")
        try:
            literal: Address | None = _address(parts.hostname)
        except ValueError:
            literal = None
        if literal is not None and not self.permits(literal):
            raise AddressRefused("the URL's address is not one this orchestrator calls")
        return parts.hostname

    async def resolve(self, url: str) -> None:
        """:meth:`check_url`, and the host resolved: AddressRefused unless every address
        it has is permitted (for an early answer; the connection checks again)."""
        host = self.check_url(url)
        if self.allow_private:
            return
        parts = urlsplit(url)
        resolver = _GuardedResolver(self)
        try:
            await resolver.resolve(host, parts.port or 0, family=socket.AF_UNSPEC, strict=True)
        finally:
            await resolver.close()

    def connector(self, *, ssl: ssl.SSLContext | bool = True) -> aiohttp.TCPConnector:
        """A connector that connects to permitted addresses only."""
        return aiohttp.TCPConnector(resolver=_GuardedResolver(self), ssl=ssl)


GLOBAL_ONLY = AddressPolicy()


class _GuardedResolver(AbstractResolver):
    """The default resolver, keeping only the addresses the policy permits."""

    def __init__(self, policy: AddressPolicy) -> None:
        self.policy = policy
        self._inner = DefaultResolver()

    async def resolve(
        self,
        host: str,
        port: int = 0,
        family: socket.AddressFamily = socket.AF_INET,
        *,
        strict: bool = False,
    ) -> list[ResolveResult]:
        try:
            found = await self._inner.resolve(host, port, family)
        except OSError:
            # Not resolvable and not permitted read the same: a client learns nothing
            # about names that exist only inside the operator's network.
            raise AddressRefused("the host has no address this orchestrator calls") from None
        kept = [item for item in found if self.policy.permits(_address(item["host"]))]
        if not kept or (strict and len(kept) < len(found)):
            raise AddressRefused("the host has no address this orchestrator calls")
        return kept

    async def close(self) -> None:
        await self._inner.close()
