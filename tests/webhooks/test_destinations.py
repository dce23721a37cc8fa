"""The SSRF rule (webhooks.destinations): https:// to globally routable addresses only, checked
when an endpoint is saved and again, after resolving the name, at every send."""

import socket

import pytest
from django.conf import settings as django_settings

from webhooks import destinations
from webhooks.destinations import ForbiddenDestination

REFUSED = [
    "10.0.0.5",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "127.0.0.1",
    "127.1.2.3",
    "169.254.169.254",  # the cloud's metadata service
    "0.0.0.0",  # noqa: S104 - the address under test
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "100.127.255.254",
    "224.0.0.1",  # multicast
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "198.18.0.1",  # benchmarking
    "192.0.2.10",  # documentation
    "::1",
    "::",
    "fe80::1",  # link-local
    "fc00::1",  # unique local
    "fd12:3456::1",
    "ff02::1",  # multicast
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.0.0.1",
    "::ffff:169.254.169.254",
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
]
# An IPv4-mapped address is refused whatever it maps (::ffff:0:0/96 is not global): a public
# host has no need of one.
ALLOWED = ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111"]


def _resolves_to(monkeypatch, *addresses: str) -> None:
    def fake(host, port, *args, **kwargs):
        return [
            (
                socket.AF_INET6 if ":" in a else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (a, port, 0, 0) if ":" in a else (a, port),
            )
            for a in addresses
        ]

    monkeypatch.setattr(destinations.socket, "getaddrinfo", fake)


def test_production_settings_never_allow_loopback():
    # The test setting is off unless a test turns it on, and settings.py ties it to DEBUG.
    assert django_settings.WEBHOOKS_ALLOW_LOOPBACK is False


@pytest.mark.parametrize("address", REFUSED)
def test_a_name_resolving_to_a_private_or_special_address_is_refused(monkeypatch, address):
    _resolves_to(monkeypatch, address)

    with pytest.raises(ForbiddenDestination, match="public addresses"):
        destinations.resolve("https://hooks.example.org/undersigned")


@pytest.mark.parametrize("address", REFUSED)
def test_a_literal_private_or_special_address_is_refused(address):
    host = f"[{address}]" if ":" in address else address

    with pytest.raises(ForbiddenDestination):
        destinations.resolve(f"https://{host}/hook")


@pytest.mark.parametrize("address", ALLOWED)
def test_a_public_address_is_accepted(monkeypatch, address):
    _resolves_to(monkeypatch, address)

    destination = destinations.resolve("https://hooks.example.org:8443/in?x=1")

    assert destination.addresses == (address,)
    assert (destination.host, destination.port, destination.path) == (
        "hooks.example.org",
        8443,
        "/in?x=1",
    )


def test_one_private_address_among_public_ones_is_refused(monkeypatch):
    _resolves_to(monkeypatch, "8.8.8.8", "10.0.0.1")

    with pytest.raises(ForbiddenDestination):
        destinations.resolve("https://hooks.example.org/")


def test_localhost_is_refused_in_production_settings():
    # A real lookup: "localhost" resolves to 127.0.0.1 (and ::1).
    with pytest.raises(ForbiddenDestination, match="public addresses"):
        destinations.resolve("https://localhost/hook")


def test_localhost_over_http_is_refused_in_production_settings():
    with pytest.raises(ForbiddenDestination, match="https://"):
        destinations.resolve("http://localhost:8080/hook")


def test_the_test_setting_allows_loopback_and_nothing_else(settings, monkeypatch):
    settings.WEBHOOKS_ALLOW_LOOPBACK = True

    assert destinations.resolve("http://127.0.0.1:9/hook").addresses == ("127.0.0.1",)
    for url in ("http://10.0.0.1/hook", "http://169.254.169.254/latest/meta-data/"):
        with pytest.raises(ForbiddenDestination):
            destinations.resolve(url)
    # Plain http:// to a public address stays refused even then.
    _resolves_to(monkeypatch, "8.8.8.8")
    with pytest.raises(ForbiddenDestination, match="https://"):
        destinations.resolve("http://hooks.example.org/")


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.org/",
        "file:///etc/passwd",
        "gopher://hooks.example.org/",
        "https://user:pass@hooks.example.org/",
        "https:///nohost",
        "https://hooks.example.org:99999/",
        "hooks.example.org/no-scheme",
    ],
)
def test_other_schemes_credentials_and_malformed_urls_are_refused(url):
    with pytest.raises(ForbiddenDestination):
        destinations.check_url(url)


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(ForbiddenDestination, match="resolved"):
        destinations.resolve("https://no-such-host.invalid/hook")
