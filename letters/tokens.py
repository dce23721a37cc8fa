"""Links sent by email: signed, single-purpose, expiring (DESIGN.md §5).

A signature link is a Django signed value naming the signature and, where it matters, the
version; the purpose is part of the salt, so a withdraw link cannot confirm and vice versa.
None of these is stored: the database holds no signature link, and SECRET_KEY makes them.

The manage link (a year, reusable) may only narrow a signature's visibility or withdraw it. A
widening link is sent to the signer's address for one requested change: it lives
WIDEN_LINK_MAX_AGE and names the state it was asked from, so it works once (the change makes
the state differ) and not at all after any other change.
An invitation link's secret is an HMAC of a stored seed under SECRET_KEY; the database keeps the
seed and the secret's SHA-256. The emails that carry these links are stored in the outbox with
placeholders for their secrets, which are kept apart, encrypted with FIELD_ENCRYPTION_KEYS,
until sent (outbox.link_secrets). So a copy of the database alone opens no link
(tests/security/test_leaked_database.py tries every link it finds in one).
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing

CONFIRM = "confirm"
MANAGE = "manage"  # withdraw, change visibility
RECONFIRM = "reconfirm"
PURPOSES = (CONFIRM, MANAGE, RECONFIRM)


WIDEN = "widen"  # make a signature more visible: short-lived, single use
WIDEN_LINK_MAX_AGE = timedelta(hours=1)


class BadLink(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "expired" or "invalid"


@dataclass(frozen=True)
class SignatureLink:
    signature_id: int
    version: int | None


def _salt(purpose: str) -> str:
    return f"undersigned.letters.signature.{purpose}"


def max_age(purpose: str) -> timedelta:
    if purpose == MANAGE:
        return timedelta(days=settings.SIGNATURE_MANAGE_LINK_DAYS)
    return timedelta(days=settings.SIGNATURE_CONFIRMATION_DAYS)


def make_signature_token(*, signature_id: int, purpose: str, version: int | None = None) -> str:
    if purpose not in PURPOSES:
        raise ValueError(f"Unknown link purpose: {purpose}")
    payload = {"s": signature_id} if version is None else {"s": signature_id, "v": version}
    return signing.dumps(payload, salt=_salt(purpose), compress=True)


def read_signature_token(token: str, *, purpose: str) -> SignatureLink:
    try:
        payload = signing.loads(token, salt=_salt(purpose), max_age=max_age(purpose))
    except signing.SignatureExpired as exc:
        raise BadLink("expired") from exc
    except signing.BadSignature as exc:
        raise BadLink("invalid") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("s"), int):
        raise BadLink("invalid")
    version = payload.get("v")
    return SignatureLink(
        signature_id=payload["s"], version=version if isinstance(version, int) else None
    )


@dataclass(frozen=True)
class WideningLink:
    signature_id: int
    visibility: str
    show_signer_name: bool
    state: str  # state_fingerprint of the signature when the change was asked for


def state_fingerprint(*, visibility: str, show_signer_name: bool, updated_at: str) -> str:
    """What the signature looked like: any change since makes a widening link stale."""
    raw = f"{visibility}|{int(show_signer_name)}|{updated_at}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


def make_widening_token(
    *, signature_id: int, visibility: str, show_signer_name: bool, state: str
) -> str:
    payload = {"s": signature_id, "to": visibility, "n": int(show_signer_name), "f": state}
    return signing.dumps(payload, salt=_salt(WIDEN), compress=True)


def read_widening_token(token: str) -> WideningLink:
    try:
        payload = signing.loads(token, salt=_salt(WIDEN), max_age=WIDEN_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise BadLink("expired") from exc
    except signing.BadSignature as exc:
        raise BadLink("invalid") from exc
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("s"), int)
        and isinstance(payload.get("to"), str)
        and payload.get("n") in (0, 1)
        and isinstance(payload.get("f"), str)
    ):
        raise BadLink("invalid")
    return WideningLink(
        signature_id=payload["s"],
        visibility=payload["to"],
        show_signer_name=bool(payload["n"]),
        state=payload["f"],
    )


ERASE = "erase"  # erase the signer's personal data: short-lived, single use
ERASE_LINK_MAX_AGE = timedelta(hours=1)


@dataclass(frozen=True)
class ErasureLink:
    signature_id: int
    withdraw: bool
    state: str  # state_fingerprint when it was asked for: any change since makes it stale


def make_erasure_token(*, signature_id: int, withdraw: bool, state: str) -> str:
    payload = {"s": signature_id, "w": int(withdraw), "f": state}
    return signing.dumps(payload, salt=_salt(ERASE), compress=True)


def read_erasure_token(token: str) -> ErasureLink:
    try:
        payload = signing.loads(token, salt=_salt(ERASE), max_age=ERASE_LINK_MAX_AGE)
    except signing.SignatureExpired as exc:
        raise BadLink("expired") from exc
    except signing.BadSignature as exc:
        raise BadLink("invalid") from exc
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("s"), int)
        and payload.get("w") in (0, 1)
        and isinstance(payload.get("f"), str)
    ):
        raise BadLink("invalid")
    return ErasureLink(signature_id=payload["s"], withdraw=bool(payload["w"]), state=payload["f"])


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_invitation_seed() -> str:
    return secrets.token_urlsafe(32)


def invitation_secret(seed: str) -> str:
    """The secret of an invitation's link: an HMAC of its stored seed under SECRET_KEY. The
    database keeps the seed and the secret's hash, so a leaked database alone opens no link,
    while a reminder can repeat the link of the invitation (DESIGN.md §4, docs/decisions.md)."""
    digest = hmac.new(
        settings.SECRET_KEY.encode(), f"undersigned.letters.invitation:{seed}".encode(), "sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def current_invitation_secret(seed: str, secret_hash: str) -> str | None:
    """The secret of an invitation's live link, rebuilt from its seed; None when it cannot be
    (a random secret from before seeds, or SECRET_KEY changed since)."""
    if not seed:
        return None
    secret = invitation_secret(seed)
    return secret if hmac.compare_digest(hash_secret(secret), secret_hash) else None
