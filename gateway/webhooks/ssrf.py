"""The SSRF guard for webhook URLs.

Only http and https URLs with a host are accepted. The host is resolved and every address it
resolves to must be public: private, loopback, link-local (cloud metadata at 169.254.169.254
among them), shared, multicast, reserved and unspecified addresses are refused, IPv4-mapped
IPv6 addresses judged as the IPv4 address they carry. The check is made by the resolver the
delivery client connects through, so the address checked is the address connected to (a DNS
answer that changes between the check and the connection cannot slip past); redirects are not
followed. `WEBHOOK_ALLOW_PRIVATE_URLS=1` lifts the address check for development and tests.
"""

import asyncio
import contextlib
import ipaddress
import socket
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult

from services.common.errors import InvalidInput

ALLOWED_SCHEMES = frozenset({"http", "https"})
ALLOW_PRIVATE_SETTING = "WEBHOOK_ALLOW_PRIVATE_URLS"
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeWebhookUrl(InvalidInput):
    slug = "unsafe-webhook-url"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, field="url")


def is_public(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def checked_address(text: str, *, allow_private: bool) -> IpAddress:
    address = ipaddress.ip_address(text.split("%", 1)[0])
    if not allow_private and not is_public(address):
        raise UnsafeWebhookUrl(
            f"The webhook URL's host resolves to a non-public address ({text}). Webhooks go to "
            f"public addresses only; {ALLOW_PRIVATE_SETTING}=1 on the gateway allows loopback and "
            "private receivers, for development (`make run` sets it)."
        )
    return address


def checked_url(url: str, *, allow_private: bool) -> str:
    """The URL's host, once the URL is one a webhook may use (scheme, host, no credentials, and
    a literal address public unless private ones are allowed)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeWebhookUrl("The webhook URL cannot be parsed.") from exc
    if parts.scheme not in ALLOWED_SCHEMES:
        raise UnsafeWebhookUrl("A webhook URL must be http or https.")
    host = parts.hostname
    if not host:
        raise UnsafeWebhookUrl("A webhook URL must name a host.")
    if parts.username is not None or parts.password is not None:
        raise UnsafeWebhookUrl("A webhook URL may not carry credentials.")
    if port == 0:
        raise UnsafeWebhookUrl("A webhook URL may not use port 0.")
    # A name, not an address, is checked when it is resolved.
    with contextlib.suppress(ValueError):
        checked_address(host, allow_private=allow_private)
    return host


async def resolve_checked(host: str, port: int, *, allow_private: bool) -> list[IpAddress]:
    """Every address `host` resolves to, all of them public (or UnsafeWebhookUrl)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeWebhookUrl(f"The webhook URL's host {host!r} does not resolve.") from exc
    addresses = [checked_address(str(info[4][0]), allow_private=allow_private) for info in infos]
    if not addresses:
        raise UnsafeWebhookUrl(f"The webhook URL's host {host!r} does not resolve.")
    return addresses


class GuardedResolver(AbstractResolver):
    """aiohttp's resolver, refusing hosts with a non-public address: the connector connects
    only to the addresses returned here."""

    def __init__(self, *, allow_private: bool) -> None:
        self._allow_private = allow_private

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        addresses = await resolve_checked(host, port, allow_private=self._allow_private)
        return [
            ResolveResult(
                hostname=host,
                host=str(address),
                port=port,
                family=socket.AF_INET6 if address.version == 6 else socket.AF_INET,
                proto=0,
                flags=socket.AI_NUMERICHOST,
            )
            for address in addresses
        ]

    async def close(self) -> None:
        return None
