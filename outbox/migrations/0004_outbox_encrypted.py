"""The outbox's address, subject, bodies and error are stored encrypted (issue 12); every row's
address gets its keyed hash when queued, so rows are found by it."""

import core.fields
from django.db import migrations

FIELDS = ("to", "subject", "body_text", "body_html", "last_error")


def _columns() -> str:
    return ", ".join(f'"{f}"' for f in FIELDS)


def encrypt_existing(apps, schema_editor):
    from core.crypto import encrypt_str
    from outbox.services import address_hash

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, to_hash, {_columns()} FROM outbox_outboundemail")
        for pk, to_hash, *values in cursor.fetchall():
            to = values[0]
            cursor.execute(
                "UPDATE outbox_outboundemail SET to_hash = %s, "
                + ", ".join(f'"{f}" = %s' for f in FIELDS)
                + " WHERE id = %s",
                [to_hash or (address_hash(to) if to else "")]
                + [encrypt_str(v) if v else v for v in values]
                + [pk],
            )


def decrypt_existing(apps, schema_editor):
    from core.crypto import decrypt_str

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT id, {_columns()} FROM outbox_outboundemail")
        for pk, *values in cursor.fetchall():
            cursor.execute(
                "UPDATE outbox_outboundemail SET "
                + ", ".join(f'"{f}" = %s' for f in FIELDS)
                + " WHERE id = %s",
                [decrypt_str(v) if v else v for v in values] + [pk],
            )


class Migration(migrations.Migration):
    dependencies = [("outbox", "0003_reduced_emails_to_hash")]

    operations = [
        migrations.AlterField(
            model_name="outboundemail",
            name="to",
            field=core.fields.EncryptedTextField(blank=True, verbose_name="to"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="subject",
            field=core.fields.EncryptedTextField(verbose_name="subject"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="body_text",
            field=core.fields.EncryptedTextField(verbose_name="text"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="body_html",
            field=core.fields.EncryptedTextField(blank=True, verbose_name="HTML"),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="last_error",
            field=core.fields.EncryptedTextField(blank=True, verbose_name="last error"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
