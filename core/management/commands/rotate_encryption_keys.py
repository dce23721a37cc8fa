"""Re-encrypt every stored encrypted value under the first key of FIELD_ENCRYPTION_KEYS.

After putting a new key first (and keeping the old ones after it), run this; once it reports
nothing left, the old keys can be dropped. It works in batches, one transaction each, in
primary-key order, and skips values already under the first key: interrupted, it is simply run
again (or resumed with --after to skip what is known done). --dry-run counts and changes nothing.

What it covers: every EncryptedTextField of every model (core/fields.py), the sealed rows'
values of every sealable field (SealableMixin: a sealed organisation's name and details), and
the outbox's sealed link secrets (outbox.OutboundEmail.link_secrets).
"""

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from core.crypto import is_under_first_key, rotate_str
from core.fields import SEALED_MARK, EncryptedTextField, SealableMixin

# Encrypted columns that are not EncryptedTextFields (encrypted by their app's own code).
OTHER_COLUMNS = [("outbox", "OutboundEmail", "link_secrets")]


def encrypted_columns() -> list[tuple[str, str, list[str]]]:
    """(table, primary key column, [encrypted columns]) for every table that has some."""
    found: dict[str, tuple[str, list[str]]] = {}
    for model in apps.get_models():
        columns = [
            f.column
            for f in model._meta.concrete_fields
            if isinstance(f, EncryptedTextField | SealableMixin)
        ]
        if columns:
            found[model._meta.db_table] = (model._meta.pk.column, columns)
    for app_label, model_name, field_name in OTHER_COLUMNS:
        model = apps.get_model(app_label, model_name)
        column = model._meta.get_field(field_name).column
        pk, columns = found.setdefault(model._meta.db_table, (model._meta.pk.column, []))
        columns.append(column)
    return [(table, pk, columns) for table, (pk, columns) in sorted(found.items())]


def _is_stale(value: str | None) -> bool:
    """Encrypted, but not under the first key. A sealable column (core.fields.SealableMixin)
    holds clear text in unsealed rows, and marked tokens in sealed ones."""
    if not value:
        return False
    if value.startswith(SEALED_MARK):
        value = value[len(SEALED_MARK) :]
    elif not value.startswith("gAAAAA"):  # clear text of an unsealed row
        return False
    return not is_under_first_key(value)


def _rotated(value: str) -> str:
    if value.startswith(SEALED_MARK):
        return SEALED_MARK + rotate_str(value[len(SEALED_MARK) :])
    return rotate_str(value)


class Command(BaseCommand):
    help = "Re-encrypt stored values under the first key of FIELD_ENCRYPTION_KEYS, in batches."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="rows per transaction")
        parser.add_argument("--after", type=int, default=0, help="start after this primary key")
        parser.add_argument("--dry-run", action="store_true", help="count, change nothing")

    def handle(self, *args, batch: int, after: int, dry_run: bool, **options):
        quote = connection.ops.quote_name
        total = 0
        for table, pk, columns in encrypted_columns():
            last, rotated = after, 0
            while True:
                with transaction.atomic(), connection.cursor() as cursor:
                    # Table and column names come from the models' metadata, quoted.
                    select = f"SELECT {quote(pk)}, {', '.join(quote(c) for c in columns)} FROM {quote(table)} WHERE {quote(pk)} > %s ORDER BY {quote(pk)} LIMIT %s"  # noqa: E501, S608
                    cursor.execute(select, [last, batch])
                    rows = cursor.fetchall()
                    for key, *values in rows:
                        stale = [
                            (column, value)
                            for column, value in zip(columns, values, strict=True)
                            if _is_stale(value)
                        ]
                        if stale and not dry_run:
                            assignments = ", ".join(f"{quote(c)} = %s" for c, _v in stale)
                            update = (
                                f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s"  # noqa: E501, S608
                            )
                            cursor.execute(update, [_rotated(v) for _c, v in stale] + [key])
                        rotated += len(stale)
                if not rows:
                    break
                last = rows[-1][0]
                self.stdout.write(f"{table}: up to {pk} {last}, {rotated} values so far")
            self.stdout.write(
                f"{table}: {rotated} values {'to re-encrypt' if dry_run else 're-encrypted'}"
            )
            total += rotated
        self.stdout.write(f"Done: {total} values {'to re-encrypt' if dry_run else 're-encrypted'}.")
