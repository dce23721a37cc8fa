# A request to coordinate says who plans which letter: its organisation and its description are
# encrypted at rest (core.fields.EncryptedTextField), the rows already there included.

import core.fields
from django.db import migrations


def _convert(schema_editor, convert):
    """In raw SQL: the model's fields would try to decrypt what is still plain text. Few rows
    (decided requests are deleted after COORDINATOR_REQUEST_RETENTION_DAYS)."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, organisation, purpose FROM accounts_coordinatorrequest")
        cursor.executemany(
            "UPDATE accounts_coordinatorrequest SET organisation = %s, purpose = %s WHERE id = %s",
            [
                [convert(organisation) if organisation else organisation,
                 convert(purpose) if purpose else purpose, pk]
                for pk, organisation, purpose in cursor.fetchall()
            ],
        )  # fmt: skip


def encrypt_existing(apps, schema_editor):
    from core.crypto import encrypt_str

    _convert(schema_editor, encrypt_str)


def decrypt_existing(apps, schema_editor):
    from core.crypto import decrypt_str

    _convert(schema_editor, decrypt_str)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_coordinator_requests"),
    ]

    operations = [
        migrations.AlterField(
            model_name="coordinatorrequest",
            name="organisation",
            field=core.fields.EncryptedTextField(verbose_name="organisation"),
        ),
        migrations.AlterField(
            model_name="coordinatorrequest",
            name="purpose",
            field=core.fields.EncryptedTextField(verbose_name="the letter you want to coordinate"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
