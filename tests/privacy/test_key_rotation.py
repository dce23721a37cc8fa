"""Issue 12, item 1: a new key put first, `rotate_encryption_keys` re-encrypts every stored
value under it, in batches; run again it finds nothing; after it the old key can go."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from letters.models import Letter, Signature
from tests.factories import LetterFactory
from tests.letters.signing_helpers import sign


def rotate(*args: str) -> str:
    out = io.StringIO()
    call_command("rotate_encryption_keys", *args, stdout=out)
    return out.getvalue()


def raw_emails() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT signer_email FROM letters_signature ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db
def test_rotation_re_encrypts_under_the_new_key_and_can_be_run_again(settings):
    letter = LetterFactory(sign_on_mode=Letter.SignOnMode.OPEN)
    for n in range(5):
        sign(letter, new_name=f"Group {n}", signer_email=f"s{n}@example.org")
    old_key = settings.FIELD_ENCRYPTION_KEYS[0]
    before = raw_emails()
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, old_key]

    dry = rotate("--dry-run")
    assert raw_emails() == before
    # Name, email and the organisation's name and place as typed, five rows.
    assert "letters_signature: 20 values to re-encrypt" in dry

    rotate("--batch", "2")
    assert all(token != previous for token, previous in zip(raw_emails(), before, strict=True))
    assert "Done: 0 values re-encrypted." in rotate()

    settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key dropped
    emails = sorted(s.signer_email for s in Signature.objects.all())
    assert emails == [f"s{n}@example.org" for n in range(5)]
