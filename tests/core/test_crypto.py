"""core.crypto: encrypt_str / decrypt_str under FIELD_ENCRYPTION_KEYS, with key rotation."""

import pytest
from cryptography.fernet import Fernet

from core import crypto
from tests.security.test_production_mail_setting import start

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


def test_a_value_comes_back(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    token = crypto.encrypt_str("sécret ✓")

    assert "sécret" not in token
    assert crypto.decrypt_str(token) == "sécret ✓"


def test_rotation_the_first_key_encrypts_every_key_decrypts(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD]
    old_token = crypto.encrypt_str("value")

    settings.FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    assert crypto.decrypt_str(old_token) == "value"
    rotated = crypto.rotate_str(old_token)

    settings.FIELD_ENCRYPTION_KEYS = [NEW]
    assert crypto.decrypt_str(rotated) == "value"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_str(old_token)


@pytest.mark.parametrize("token", ["", "not a token", "gAAAAABtampered"])
def test_anything_else_is_a_decryption_error(token):
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt_str(token)


def test_debug_derives_a_key_from_secret_key():
    key = crypto.key_from_secret_key("tests-only-not-secret")

    assert Fernet(key)  # a valid Fernet key
    assert key == crypto.key_from_secret_key("tests-only-not-secret")
    assert key != crypto.key_from_secret_key("another")


def test_production_refuses_to_start_without_encryption_keys():
    result = start(EMAIL_URL="smtp+tls://mail.example.org:587", FIELD_ENCRYPTION_KEYS="")

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr


def test_production_refuses_a_key_that_is_not_a_fernet_key():
    result = start(EMAIL_URL="smtp+tls://mail.example.org:587", FIELD_ENCRYPTION_KEYS="short")

    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS" in result.stderr
