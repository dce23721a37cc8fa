"""The HTTPS connection goes to the vetted address, with the URL's name as TLS server name (SNI)
and certificate name: a TLS server on 127.0.0.1 sees the name, and its self-signed certificate
is refused (verification is on; no certificate is trusted that the system does not trust)."""

import datetime as dt
import socket
import ssl
import threading

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from webhooks import transport
from webhooks.destinations import Destination

HOST = "hooks.example.org"


def _self_signed(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def test_https_is_pinned_to_the_vetted_address_with_the_urls_name(tmp_path, settings):
    settings.WEBHOOKS_CONNECT_TIMEOUT = settings.WEBHOOKS_READ_TIMEOUT = 2
    cert_path, key_path = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: names.append(name)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        connection, _ = listener.accept()
        try:
            context.wrap_socket(connection, server_side=True).close()
        except (ssl.SSLError, OSError):
            pass  # the client refused the certificate
        finally:
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    destination = Destination("https", HOST, port, "/hook", ("127.0.0.1",))

    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            transport.post(destination, body=b"{}", headers={})
    finally:
        thread.join(timeout=5)
        listener.close()

    assert names == [HOST]
