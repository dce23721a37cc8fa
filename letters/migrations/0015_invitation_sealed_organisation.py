"""An invitation answered by a withheld signature keeps its organisation encrypted (issue 12):
"accepted" beside an organisation in clear would tell a copy of the database which
organisation signed recipient-only or counted-only."""

import core.fields
from django.db import migrations

ANSWERED_WITHHELD = (
    "SELECT DISTINCT i.id, i.organisation_id FROM letters_invitation i "
    "JOIN letters_signature s ON s.invitation_id = i.id "
    "WHERE i.status = 'accepted' AND s.visibility <> 'public' "
    "AND s.status IN ('pending_confirmation', 'pending_review', 'approved', 'duplicate') "
    "AND i.organisation_id IS NOT NULL"
)


def seal(apps, schema_editor):
    from core.crypto import encrypt_str

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(ANSWERED_WITHHELD)
        for pk, organisation_id in cursor.fetchall():
            cursor.execute(
                "UPDATE letters_invitation SET organisation_id = NULL, sealed_organisation = %s "
                "WHERE id = %s",
                [encrypt_str(str(organisation_id)), pk],
            )


def unseal(apps, schema_editor):
    from core.crypto import decrypt_str

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, sealed_organisation FROM letters_invitation "
            "WHERE sealed_organisation <> ''"
        )
        for pk, sealed in cursor.fetchall():
            cursor.execute(
                "UPDATE letters_invitation SET organisation_id = %s WHERE id = %s",
                [int(decrypt_str(sealed)), pk],
            )


class Migration(migrations.Migration):
    dependencies = [("letters", "0014_invitation_contacts_encrypted")]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="sealed_organisation",
            field=core.fields.EncryptedTextField(
                blank=True,
                default="",
                editable=False,
                verbose_name="organisation (answered withheld, encrypted)",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(seal, unseal),
    ]
