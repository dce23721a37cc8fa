"""One HTTP POST to a vetted address (destinations.resolve), and nothing else.

The connection goes to the IP address that passed the SSRF rule, not to the name again (a
second lookup could answer 127.0.0.1: DNS rebinding); the name is still the Host header and
the TLS server name, and the certificate is checked against it. No redirect is followed (a 3xx
is a failure: a redirect could point anywhere), the connection and each read have short
timeouts, and at most a few hundred bytes of the answer are read, for the error shown.
"""

import http.client
import socket
import ssl
from dataclasses import dataclass

from django.conf import settings

from .destinations import Destination

USER_AGENT = "Undersigned-Webhooks/1"
ERROR_BODY_BYTES = 200


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str  # the start of the body, for last_error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(
        self, host: str, port: int, *, address: str, connect_timeout: float, read_timeout: float
    ) -> None:
        super().__init__(host, port, timeout=read_timeout)
        self._address = address
        self._connect_timeout = connect_timeout

    def _open_socket(self) -> socket.socket:
        sock = socket.create_connection((self._address, self.port), self._connect_timeout)
        sock.settimeout(self.timeout)
        return sock

    def connect(self) -> None:
        self.sock = self._open_socket()


class _PinnedHTTPSConnection(_PinnedHTTPConnection):
    default_port = 443

    def connect(self) -> None:
        context = ssl.create_default_context()
        self.sock = context.wrap_socket(self._open_socket(), server_hostname=self.host)


def post(destination: Destination, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to the destination's first vetted address. Raises OSError (refused,
    unreachable, timed out, TLS) and http.client.HTTPException (a garbled answer)."""
    connection_class = (
        _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    )
    connection = connection_class(
        destination.host,
        destination.port,
        address=destination.addresses[0],
        connect_timeout=settings.WEBHOOKS_CONNECT_TIMEOUT,
        read_timeout=settings.WEBHOOKS_READ_TIMEOUT,
    )
    try:
        connection.request(
            "POST",
            destination.path,
            body=body,
            headers={
                "Content-Type": "application/json",
                "User-Agent": USER_AGENT,
                **headers,
            },
        )
        response = connection.getresponse()
        excerpt = response.read(ERROR_BODY_BYTES).decode("utf-8", "replace")
        return Answer(response.status, " ".join(excerpt.split()))
    finally:
        connection.close()
