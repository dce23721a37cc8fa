"""One HTTP POST to a vetted address (destinations.resolve), and nothing else.

The connection goes to the IP address that passed the SSRF rule, not to the name again (a
second lookup could answer 127.0.0.1: DNS rebinding); the name is still the Host header and
the TLS server name, and the certificate is checked against it. No redirect is followed (a 3xx
is a failure: a redirect could point anywhere), the connection and each read have short
timeouts, and at most a few hundred bytes of the answer are read, for the error shown.
"""

import contextlib
import http.client
import socket
import ssl
import threading
from dataclasses import dataclass

from django.conf import settings

from .destinations import Destination

USER_AGENT = "Undersigned-Webhooks/1"
ERROR_BODY_BYTES = 200


@dataclass(frozen=True)
class Answer:
    status: int
    excerpt: str  # the start of the body, for last_error


class DeadlinePassed(TimeoutError):
    """The whole attempt took longer than its deadline (a receiver answering a byte at a time
    never trips the per-read timeout)."""


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
        # Set before the handshake, so that the attempt's deadline can cut a slow one too.
        self.sock = raw = self._open_socket()
        self.sock = context.wrap_socket(raw, server_hostname=self.host)


def post(destination: Destination, *, body: bytes, headers: dict[str, str]) -> Answer:
    """POST `body` to the destination's first vetted address. Raises OSError (refused,
    unreachable, timed out — per read, or DeadlinePassed for the whole attempt —, TLS) and
    http.client.HTTPException (a garbled answer)."""
    connection_class = (
        _PinnedHTTPSConnection if destination.scheme == "https" else _PinnedHTTPConnection
    )
    connect_timeout = float(settings.WEBHOOKS_CONNECT_TIMEOUT)
    read_timeout = float(settings.WEBHOOKS_READ_TIMEOUT)
    connection = connection_class(
        destination.host,
        destination.port,
        address=destination.addresses[0],
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
    )
    # The whole attempt, whatever the receiver's pace: the worker holds the delivery's row lock
    # meanwhile. When it passes, the socket is shut down under the reading thread.
    expired = threading.Event()

    def cut() -> None:
        expired.set()
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(connect_timeout + 2 * read_timeout, cut)
    timer.daemon = True
    timer.start()
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
        if expired.is_set():
            raise DeadlinePassed("the receiver took too long to answer")
        return Answer(response.status, " ".join(excerpt.split()))
    except (OSError, http.client.HTTPException) as exc:
        if expired.is_set():
            raise DeadlinePassed("the receiver took too long to answer") from exc
        raise
    finally:
        timer.cancel()
        connection.close()
