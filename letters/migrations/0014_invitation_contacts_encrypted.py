# Issue 12: an invitation's contact is encrypted at rest, and the address has a keyed blind
# index that carries the "one live invitation per address and letter" rule. The rows of an
# uploaded contact list awaiting confirmation are encrypted too.

import core.fields
import letters.models.invitations
from django.db import migrations, models

ENCRYPTED = ("organisation_name", "contact_name", "email", "decline_reason", "last_error")
BATCH = 1000


def _rows(cursor, columns):
    """Every invitation's id and `columns`, in batches by primary key (a big table never sits
    in memory at once)."""
    last = 0
    while True:
        cursor.execute(
            f"SELECT id, {', '.join(columns)} FROM letters_invitation "  # noqa: S608 - constants
            "WHERE id > %s ORDER BY id LIMIT %s",
            [last, BATCH],
        )
        rows = cursor.fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


def encrypt_existing(apps, schema_editor):
    """Index every address, then encrypt every contact field, in raw SQL: the model's fields
    would try to decrypt what is still plain text."""
    from core.crypto import encrypt_str
    from letters.models.invitations import email_index

    with schema_editor.connection.cursor() as cursor:
        for rows in _rows(cursor, ENCRYPTED):
            updates = []
            for pk, *values in rows:
                plain = dict(zip(ENCRYPTED, values, strict=True))
                updates.append(
                    [encrypt_str(v) if v else v for v in values]
                    + [email_index(plain["email"]), pk]
                )
            cursor.executemany(
                f"UPDATE letters_invitation SET {', '.join(f'{c} = %s' for c in ENCRYPTED)}, "
                "email_index = %s WHERE id = %s",
                updates,
            )


def decrypt_existing(apps, schema_editor):
    from core.crypto import decrypt_str

    with schema_editor.connection.cursor() as cursor:
        for rows in _rows(cursor, ENCRYPTED):
            cursor.executemany(
                f"UPDATE letters_invitation SET {', '.join(f'{c} = %s' for c in ENCRYPTED)} "
                "WHERE id = %s",
                [[decrypt_str(v) if v else v for v in values] + [pk] for pk, *values in rows],
            )


def _convert_import_rows(schema_editor, convert):
    # Few rows (pending uploads live a day, answered ones hold "[]"), each one text.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT id, rows FROM letters_invitationimport")
        cursor.executemany(
            "UPDATE letters_invitationimport SET rows = %s WHERE id = %s",
            [(convert(value), pk) for pk, value in cursor.fetchall()],
        )


def encrypt_import_rows(apps, schema_editor):
    from core.crypto import encrypt_str

    _convert_import_rows(schema_editor, encrypt_str)


def decrypt_import_rows(apps, schema_editor):
    from core.crypto import decrypt_str

    _convert_import_rows(schema_editor, decrypt_str)


class Migration(migrations.Migration):

    dependencies = [
        ("letters", "0013_signature_organisation_sealed"),
    ]

    operations = [
        # The rule on lower(email) would compare ciphertexts: it goes first, and comes back
        # on the blind index.
        migrations.RemoveConstraint(
            model_name="invitation",
            name="letters_one_live_invitation_per_email",
        ),
        migrations.AddField(
            model_name="invitation",
            name="email_index",
            field=models.CharField(default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="invitation",
            name="email",
            field=core.fields.EncryptedTextField(verbose_name="email"),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="contact_name",
            field=core.fields.EncryptedTextField(blank=True, verbose_name="contact name"),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="organisation_name",
            field=core.fields.EncryptedTextField(verbose_name="organisation"),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="decline_reason",
            field=core.fields.EncryptedTextField(
                blank=True, max_length=1000, verbose_name="reason for declining"
            ),
        ),
        migrations.AlterField(
            model_name="invitation",
            name="last_error",
            field=core.fields.EncryptedTextField(blank=True, verbose_name="last error"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
        # jsonb → text (the JSON as text), then that text encrypted.
        migrations.AlterField(
            model_name="invitationimport",
            name="rows",
            field=letters.models.invitations.EncryptedJSONField(default=list),
        ),
        migrations.RunPython(encrypt_import_rows, decrypt_import_rows),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["queued", "sent"])),
                fields=("letter", "email_index"),
                name="letters_one_live_invitation_per_email",
            ),
        ),
        migrations.AddConstraint(
            model_name="invitation",
            constraint=models.CheckConstraint(
                condition=models.Q(("email_index__regex", "^[0-9a-f]{64}$")),
                name="letters_invitation_email_indexed",
            ),
        ),
        migrations.AddIndex(
            model_name="invitation",
            index=models.Index(fields=["email_index"], name="letters_inv_email_index"),
        ),
    ]
