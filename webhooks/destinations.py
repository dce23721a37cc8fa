"""Where a webhook may be sent: the SSRF rule (README "Webhooks").

A coordinator types a URL and the worker posts to it from inside our network, so a URL that
reaches the cloud's metadata service (169.254.169.254), the database on loopback or a host on
the private network would turn webhooks into a way in. Only https:// to a host every one of
whose addresses is globally routable is accepted. The rule is applied when the endpoint is
saved and again at every send, after resolving the name then, and the connection goes to the
very address vetted (transport.py pins it) so a name that resolves to a public address at the
check and to 127.0.0.1 a moment later (DNS rebinding) cannot slip through.

WEBHOOKS_ALLOW_LOOPBACK (tests only; settings.py never turns it on outside DEBUG) lets plain
http:// to 127.0.0.1/::1 through, so tests can run a receiver of their own.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from core.errors import DomainError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# What `is_global` already refuses is repeated in `forbidden_address` for the reader; these are
# the ranges it does not cover by itself.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class ForbiddenDestination(DomainError):
    """The URL is not one a webhook may be sent to (scheme, address, or no address at all)."""


@dataclass(frozen=True)
class Destination:
    """A URL that passed the rule, with the addresses its host resolved to just now."""

    scheme: str
    host: str  # as typed (the Host header and TLS server name)
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and that a stack may route to (mapped, 6to4,
    Teredo, NAT64): checked as itself."""
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_address(address: IPAddress) -> bool:
    """Whether an address is not one a webhook may reach: anything not globally routable."""
    embedded = _embedded_ipv4(address)
    if embedded is not None and forbidden_address(embedded):
        return True
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv6Address) and address.is_site_local)
    )


def _allowed_loopback(address: IPAddress) -> bool:
    return settings.WEBHOOKS_ALLOW_LOOPBACK and address.is_loopback


def check_url(url: str) -> tuple[str, str, int, str]:
    """The URL's scheme, host, port and request path if its form is acceptable; raises
    ForbiddenDestination otherwise. Nothing is resolved here."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ForbiddenDestination(_("This is not a valid URL.")) from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not parts.hostname:
        raise ForbiddenDestination(_("The address must start with https:// and name a host."))
    if parts.username is not None or parts.password is not None:
        raise ForbiddenDestination(_("The address must not contain a user name or password."))
    if scheme == "http" and not settings.WEBHOOKS_ALLOW_LOOPBACK:
        raise ForbiddenDestination(_("The address must start with https://."))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80), path


def resolve(url: str) -> Destination:
    """Check the URL and resolve its host now; every address must pass (a name with one
    private address among public ones is refused: which one a client uses is not ours to
    choose). Raises ForbiddenDestination."""
    scheme, host, port, path = check_url(url)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError) as exc:
        raise ForbiddenDestination(_("The host name could not be resolved.")) from exc
    addresses: list[str] = []
    for *_rest, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]  # an IPv6 scope ("fe80::1%eth0")
        address = ipaddress.ip_address(text)
        if forbidden_address(address) and not _allowed_loopback(address):
            raise ForbiddenDestination(
                _(
                    "This address leads to a private, local or reserved network: webhooks are "
                    "only sent to public addresses."
                )
            )
        if scheme == "http" and not address.is_loopback:
            raise ForbiddenDestination(_("The address must start with https://."))
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise ForbiddenDestination(_("The host name could not be resolved."))
    return Destination(scheme, host, port, path, tuple(addresses))
