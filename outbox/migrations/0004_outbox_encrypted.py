"""The outbox's address, subject, bodies and error are stored encrypted (issue 12); every row's
address gets its keyed hash when queued, so rows are found by it."""

import core.fields
from django.db import migrations

FIELDS = ("to", "subject", "body_text", "body_html", "last_error")
BATCH = 500


def _convert(schema_editor, convert, *, set_hash: bool) -> None:
    """Every stored value through `convert`, in raw SQL (the model's field would decrypt what
    is still plain text, or encrypt what already is), BATCH rows at a time in primary-key
    order, so a large outbox is never held in memory whole. `set_hash`: rows without the keyed
    hash of their address get it (rows are found by it from now on)."""
    from outbox.models import address_hash

    columns = ", ".join(f'"{f}"' for f in FIELDS)
    assignments = ", ".join(f'"{f}" = %s' for f in FIELDS)
    last = 0
    with schema_editor.connection.cursor() as cursor:
        while True:
            cursor.execute(
                f"SELECT id, to_hash, {columns} FROM outbox_outboundemail "  # noqa: S608
                "WHERE id > %s ORDER BY id LIMIT %s",
                [last, BATCH],
            )
            rows = cursor.fetchall()
            if not rows:
                return
            for pk, to_hash, *values in rows:
                if set_hash and not to_hash and values[0]:
                    to_hash = address_hash(values[0])
                cursor.execute(
                    f"UPDATE outbox_outboundemail SET to_hash = %s, {assignments} WHERE id = %s",  # noqa: S608
                    [to_hash] + [convert(v) if v else v for v in values] + [pk],
                )
            last = rows[-1][0]


def encrypt_existing(apps, schema_editor):
    from core.crypto import encrypt_str

    _convert(schema_editor, encrypt_str, set_hash=True)


def decrypt_existing(apps, schema_editor):
    """Back to plain text (the hashes set on the way forward stay: they are harmless)."""
    from core.crypto import decrypt_str

    _convert(schema_editor, decrypt_str, set_hash=False)


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
