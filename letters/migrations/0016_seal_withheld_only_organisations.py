"""Organisations that exist only because of a withheld signature are sealed (issue 12): their
name, acronym, place and description encrypted, their normalised name and lookalike key kept
as keyed indexes, their slug random. Those with a public existence stay as they are: verified,
with a member, a public signature, or an invitation naming them in clear."""

import secrets

from django.db import migrations


def seal_withheld_only(apps, schema_editor):
    from core.crypto import decrypt_str, encrypt_str
    from core.fields import SEALED_MARK
    from organisations.models import sealed_key
    from organisations.names import lookalike_key, normalise_name

    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT sealed_organisation FROM letters_signature WHERE sealed_organisation <> ''"
        )
        withheld = {int(decrypt_str(value)) for (value,) in cursor.fetchall()}
        if not withheld:
            return
        placeholders = ", ".join(["%s"] * len(withheld))
        cursor.execute(
            "SELECT id, name, acronym, based_in, description, website FROM organisations_organisation o "
            f"WHERE id IN ({placeholders}) AND NOT is_verified AND NOT is_sealed "
            "AND NOT EXISTS (SELECT 1 FROM organisations_membership m WHERE m.organisation_id = o.id) "
            "AND NOT EXISTS (SELECT 1 FROM letters_signature s WHERE s.public_organisation_id = o.id) "
            "AND NOT EXISTS (SELECT 1 FROM letters_invitation i WHERE i.organisation_id = o.id)",
            sorted(withheld),
        )
        for pk, name, acronym, based_in, description, website in cursor.fetchall():
            sealed = [
                SEALED_MARK + encrypt_str(v) if v else v
                for v in (name, acronym, based_in, description, website)
            ]
            cursor.execute(
                "UPDATE organisations_organisation SET is_sealed = TRUE, name = %s, acronym = %s, "
                "based_in = %s, description = %s, website = %s, normalised_name = %s, lookalike_key = %s, "
                "slug = %s WHERE id = %s",
                [
                    *sealed,
                    sealed_key("name", normalise_name(name)),
                    sealed_key("lookalike", lookalike_key(name)),
                    f"o-{secrets.token_hex(5)}",
                    pk,
                ],
            )


class Migration(migrations.Migration):
    dependencies = [
        ("letters", "0015_invitation_sealed_organisation"),
        ("organisations", "0007_organisation_sealed"),
    ]

    # Not reversed: unsealing is `organisations.services.unseal_organisation`, one at a time.
    operations = [migrations.RunPython(seal_withheld_only, migrations.RunPython.noop)]
