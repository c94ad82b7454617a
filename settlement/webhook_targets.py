"""Where a webhook may be sent: the server-side request forgery guard (docs/security.md,
Webhooks and SSRF).

A broker chooses the URL, the worker POSTs to it: without a check a broker could make the
platform call its own chain nodes, Redis, the cloud metadata address (169.254.169.254) or
anything else on the private network. :func:`webhook_target_check` allows only ``http`` and
``https`` URLs without credentials whose host resolves (``socket.getaddrinfo``) to globally
routable addresses only (stdlib ``ipaddress``; IPv4 embedded in IPv6, i.e. IPv4-mapped,
6to4, Teredo and NAT64 addresses, is checked as IPv4 as well). It runs when an endpoint is
registered or changed, and again before every delivery, whose connection then goes to one of
the addresses just checked (``WebhookTarget.addresses``) rather than to a fresh resolution,
so a name that resolves differently later (DNS rebinding) cannot redirect it.

Hosts in ``settings.GLOAM_WEBHOOK_ALLOWED_HOSTS`` (development and tests) skip the address
check; they must still resolve, and are still pinned.
"""

from __future__ import annotations

import ipaddress
import socket
import urllib.parse
from dataclasses import dataclass

from django.conf import settings

from common.exceptions import InvalidInput

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class WebhookUrlRefused(InvalidInput):
    """The URL is not a target the platform sends webhooks to (400)."""

    code = "webhook_url_refused"


class WebhookHostUnresolvable(WebhookUrlRefused):
    """The host name did not resolve (at registration: refused; at delivery: retried)."""


@dataclass(frozen=True)
class WebhookTarget:
    """A checked URL: its host name, port and the addresses the delivery may connect to."""

    url: str
    scheme: str
    host: str
    port: int
    addresses: tuple[IPAddress, ...]
    allowed_by_setting: bool


def allowed_hosts() -> frozenset[str]:
    """``GLOAM_WEBHOOK_ALLOWED_HOSTS``, lower case, IPv6 brackets removed."""
    return frozenset(
        host.strip().lower().strip("[]") for host in settings.GLOAM_WEBHOOK_ALLOWED_HOSTS if host.strip()
    )


def _embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    embedded = [address.ipv4_mapped, address.sixtofour]
    if address.teredo is not None:
        embedded.append(address.teredo[1])
    if address in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return [ip for ip in embedded if ip is not None]


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` is not a webhook target (``"loopback"``, ``"link-local"`` …), or
    ``None`` if it is globally routable."""
    for ip in [*_embedded_ipv4(address), address]:
        if ip.is_loopback:
            return "loopback"
        if ip.is_link_local:
            return "link-local"
        if ip.is_multicast:
            return "multicast"
        if ip.is_unspecified:
            return "unspecified"
        if ip.is_private:
            return "private"
        if ip.is_reserved:
            return "reserved"
        if not ip.is_global:
            return "not globally routable"
    return None


def _resolve(host: str, port: int) -> tuple[IPAddress, ...]:
    try:
        return (ipaddress.ip_address(host),)
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise WebhookHostUnresolvable(
            f"The webhook host {host!r} does not resolve.",
            details={"url": ["host does not resolve"], "host": host},
        ) from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canonname, sockaddr in infos:
        # An IPv6 sockaddr may carry a zone (``fe80::1%eth0``); the zone is not part of it.
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise WebhookHostUnresolvable(
            f"The webhook host {host!r} does not resolve.",
            details={"url": ["host does not resolve"], "host": host},
        )
    return tuple(addresses)


def _refuse(message: str, **details: str) -> WebhookUrlRefused:
    return WebhookUrlRefused(message, details={"url": [message], **details})


def webhook_target_check(url: str) -> WebhookTarget:
    """Check ``url`` now (scheme, credentials, resolution, every resolved address) and return
    what to connect to; raises :class:`WebhookUrlRefused` naming the reason."""
    try:
        parts = urllib.parse.urlsplit(url)
        port_given = parts.port
    except ValueError as exc:
        raise _refuse("The webhook URL is not a valid URL.") from exc
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise _refuse(f"Webhook URLs must be http or https, not {scheme or 'none'!r}.", scheme=scheme)
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise _refuse("Webhook URLs must not contain credentials (user:password@).")
    host = (parts.hostname or "").lower()
    if not host:
        raise _refuse("The webhook URL has no host.")
    port = port_given or _DEFAULT_PORTS[scheme]
    allowed = host in allowed_hosts()
    addresses = _resolve(host, port)
    if not allowed:
        for address in addresses:
            problem = address_problem(address)
            if problem is not None:
                raise _refuse(
                    f"The webhook host {host!r} resolves to {address}, a {problem} address; "
                    "webhooks are only sent to public internet addresses.",
                    host=host,
                    address=str(address),
                    reason=problem,
                )
    return WebhookTarget(
        url=url, scheme=scheme, host=host, port=port, addresses=addresses, allowed_by_setting=allowed
    )
