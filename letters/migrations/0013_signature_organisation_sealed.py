"""Withheld signatures keep their organisation encrypted (issue 12): the clear link becomes
`public_organisation` (public signatures only), withheld ones move theirs to
`sealed_organisation`, every signature with an organisation gets its keyed index, and the
names typed on the sign form are encrypted."""

import core.fields
import django.db.models.deletion
from django.db import migrations, models

TYPED = ("proposed_organisation_name", "proposed_based_in")


def seal_existing(apps, schema_editor):
    """Raw SQL: the model's fields would try to decrypt what is still plain text."""
    from core.crypto import blind_index, encrypt_str

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, letter_id, public_organisation_id, visibility, "
            f"{', '.join(TYPED)} FROM letters_signature"
        )
        for pk, letter_id, organisation_id, visibility, *typed in cursor.fetchall():
            key, sealed, public = "", "", organisation_id
            if organisation_id is not None:
                key = blind_index("letters.signature.organisation", f"{letter_id}:{organisation_id}")
                if visibility != "public":
                    sealed, public = encrypt_str(str(organisation_id)), None
            cursor.execute(
                "UPDATE letters_signature SET public_organisation_id = %s, "
                "sealed_organisation = %s, organisation_key = %s, "
                f"{', '.join(f'{f} = %s' for f in TYPED)} WHERE id = %s",
                [public, sealed, key] + [encrypt_str(v) if v else v for v in typed] + [pk],
            )


def unseal_existing(apps, schema_editor):
    from core.crypto import decrypt_str

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, public_organisation_id, sealed_organisation, {', '.join(TYPED)} "
            "FROM letters_signature"
        )
        for pk, public, sealed, *typed in cursor.fetchall():
            organisation_id = int(decrypt_str(sealed)) if sealed else public
            cursor.execute(
                "UPDATE letters_signature SET public_organisation_id = %s, "
                f"{', '.join(f'{f} = %s' for f in TYPED)} WHERE id = %s",
                [organisation_id] + [decrypt_str(v) if v else v for v in typed] + [pk],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0012_personal_data_erased_at"),
        ("organisations", "0006_organisation_lookalike_key"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="signature", name="letters_one_counted_signature_per_organisation"
        ),
        migrations.RemoveConstraint(
            model_name="signature", name="letters_signature_organisation_once_confirmed"
        ),
        migrations.RenameField(
            model_name="signature", old_name="organisation", new_name="public_organisation"
        ),
        migrations.AlterField(
            model_name="signature",
            name="public_organisation",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="public_signatures",
                to="organisations.organisation",
                verbose_name="organisation (public signatures)",
            ),
        ),
        migrations.AddField(
            model_name="signature",
            name="sealed_organisation",
            field=core.fields.EncryptedTextField(
                blank=True,
                default="",
                editable=False,
                verbose_name="organisation (withheld signatures, encrypted)",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="signature",
            name="organisation_key",
            field=models.CharField(blank=True, default="", editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name="signature",
            name="proposed_organisation_name",
            field=core.fields.EncryptedTextField(blank=True, verbose_name="organisation as typed"),
        ),
        migrations.AlterField(
            model_name="signature",
            name="proposed_based_in",
            field=core.fields.EncryptedTextField(blank=True, verbose_name="based in, as typed"),
        ),
        migrations.RunPython(seal_existing, unseal_existing),
        migrations.AddConstraint(
            model_name="signature",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status__in", ["pending_review", "approved"])),
                fields=("letter", "organisation_key"),
                name="letters_one_counted_signature_per_organisation",
            ),
        ),
        migrations.AddConstraint(
            model_name="signature",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("organisation_key", ""), _negated=True),
                    ("status__in", ["pending_confirmation", "expired", "withdrawn"]),
                    _connector="OR",
                ),
                name="letters_signature_organisation_once_confirmed",
            ),
        ),
        migrations.AddConstraint(
            model_name="signature",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("public_organisation__isnull", True),
                    ("visibility", "public"),
                    _connector="OR",
                ),
                name="letters_signature_organisation_clear_only_if_public",
            ),
        ),
    ]
