"""Encryption of short secrets at rest: `encrypt_str` / `decrypt_str`, nothing more.

What is stored encrypted cannot be read from a copy of the database alone: the keys live in
the environment (FIELD_ENCRYPTION_KEYS), never in the database. Used by the outbox for the link
secrets of queued emails (issue 11), and the base for encrypting other fields (issue 12).

Keys: FIELD_ENCRYPTION_KEYS is a comma-separated list of Fernet keys (make one with
`python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).
The first key encrypts; every key decrypts. To rotate: put a new key first, keep the old ones
after it until everything stored under them was re-encrypted (`rotate_str`) or has expired,
then drop them. Without DEBUG, the settings refuse to start with no key
(config/settings.py); with DEBUG (development, tests) a key derived from SECRET_KEY stands in.

A value is a Fernet token (AES-128-CBC with HMAC-SHA256, and its time of encryption),
URL-safe base64 text, about 1.4 × the value's length plus 73 characters.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver


class DecryptionError(ValueError):
    """The value was not encrypted under any of the configured keys, or was altered."""


def key_from_secret_key(secret_key: str) -> str:
    """A Fernet key derived from SECRET_KEY: for DEBUG (development and tests) only, where
    FIELD_ENCRYPTION_KEYS may be left out. Never in production: a key that is SECRET_KEY in
    disguise would fall with it, and changing SECRET_KEY would lose everything encrypted."""
    digest = hashlib.sha256(f"undersigned.core.crypto:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


@cache
def _fernet() -> MultiFernet:
    keys = list(settings.FIELD_ENCRYPTION_KEYS)
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: nothing can be encrypted.")
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes)."
        ) from exc


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs) -> None:
    if setting in {"FIELD_ENCRYPTION_KEYS", "FIELD_INDEX_KEY", "SECRET_KEY"}:
        _fernet.cache_clear()
        _index_key.cache_clear()


def index_key_from_secret_key(secret_key: str) -> str:
    """FIELD_INDEX_KEY for DEBUG (development and tests) only, as key_from_secret_key."""
    digest = hashlib.sha256(f"undersigned.core.crypto.index:{secret_key}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


@cache
def _index_key() -> bytes:
    key = settings.FIELD_INDEX_KEY
    if not key:
        raise ImproperlyConfigured("FIELD_INDEX_KEY is empty: no blind index can be computed.")
    return hashlib.sha256(b"undersigned.core.crypto.blind-index:" + key.encode()).digest()


def blind_index(purpose: str, value: str) -> str:
    """A keyed index of `value` (HMAC-SHA256 under FIELD_INDEX_KEY, 64 hex characters), for
    what the database must compare without reading it: a uniqueness rule or an exact lookup
    over encrypted values. Equal values give equal indexes within one `purpose`; without the
    key, an index tells nothing of its value, and indexes of different purposes cannot be
    matched with each other.

    FIELD_INDEX_KEY is not rotated with FIELD_ENCRYPTION_KEYS: an index is compared with
    indexes computed later, so changing its key means recomputing every index at once."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(_index_key(), message, hashlib.sha256).hexdigest()


def encrypt_str(value: str) -> str:
    """`value` encrypted under the first key, as ASCII text fit for a TextField."""
    return _fernet().encrypt(value.encode("utf-8")).decode("ascii")


def decrypt_str(token: str) -> str:
    """The value `encrypt_str` encrypted, under any configured key. Raises DecryptionError."""
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("the value cannot be decrypted with the configured keys") from exc


def rotate_str(token: str) -> str:
    """The same value encrypted again under the first key (after a key was added in front)."""
    try:
        return _fernet().rotate(token.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as exc:
        raise DecryptionError("the value cannot be decrypted with the configured keys") from exc


def is_under_first_key(token: str) -> bool:
    """Whether `token` is encrypted under the first (current) key already."""
    try:
        Fernet(settings.FIELD_ENCRYPTION_KEYS[0]).decrypt(token.encode("ascii"))
    except (InvalidToken, UnicodeError):
        return False
    return True
