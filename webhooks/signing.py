"""How a delivery is signed (README "Webhooks": the receiver's side, with a snippet).

`Undersigned-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` — the
timestamp is inside what is signed, so a receiver that refuses old timestamps (5 minutes)
refuses a replayed delivery, and the event id (header and body) lets it drop a repeat.
"""

import hashlib
import hmac
import secrets
import time

SECRET_PREFIX = "whsec_"  # noqa: S105 - a label, not a secret
TOLERANCE_SECONDS = 5 * 60


def new_secret() -> str:
    """A fresh signing secret: 256 bits, URL-safe."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(*, secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def header(*, secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={signature(secret=secret, timestamp=timestamp, body=body)}"


def verify(
    *,
    secret: str,
    header_value: str,
    body: bytes,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does (the README's snippet, and the tests' receiver): the timestamp is
    recent and one v1 signature matches, compared in constant time."""
    fields: dict[str, list[str]] = {}
    for part in header_value.split(","):
        key, _sep, value = part.strip().partition("=")
        fields.setdefault(key, []).append(value)
    try:
        timestamp = int(fields["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret=secret, timestamp=timestamp, body=body)
    return any(hmac.compare_digest(expected, given) for given in fields.get("v1", []))
