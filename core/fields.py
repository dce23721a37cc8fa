"""Model fields whose values are stored encrypted (core/crypto.py; README "Privacy at rest").

`EncryptedTextField` holds a str in Python and a Fernet token in the database: a copy of the
database without FIELD_ENCRYPTION_KEYS reads nothing of it but its length, roughly. The empty
string is stored as itself (that a signer gave no title is not worth hiding, and it keeps
"blank" meaningful to the database).

The database cannot compare what it cannot read: filtering, searching or ordering on such a
field in SQL is refused (`get_lookup` allows `isnull` only: an `exact` against a value would
encrypt it afresh and silently never match), so code that must find a value decrypts in Python
or keeps a keyed index of its own.
"""

from django.db import models

from .crypto import decrypt_str, encrypt_str


class EncryptedTextField(models.TextField):
    description = "Text stored encrypted under FIELD_ENCRYPTION_KEYS"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_str(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_str(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise TypeError(
                f"{self.model.__name__}.{self.name} is stored encrypted: "
                f"'{lookup_name}' cannot be evaluated by the database"
            )
        return super().get_lookup(lookup_name)
