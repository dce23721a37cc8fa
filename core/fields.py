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


SEALED_MARK = "enc:"


class SealableMixin:
    """A field stored encrypted while its row is sealed (`instance.is_sealed`), in clear
    otherwise: for what is public for most rows and must be hidden for some (an organisation
    that exists only because of a withheld signature, README "Privacy at rest"). A stored
    value carries SEALED_MARK when encrypted; Python always sees the clear value. The column
    is text whatever max_length says (a token is longer than its value). The database can
    compare clear values only: sealed rows are found through keyed indexes of their own."""

    def db_type(self, connection):
        return models.TextField().db_type(connection)

    def pre_save(self, model_instance, add):
        value = super().pre_save(model_instance, add)  # type: ignore[misc]
        if value and getattr(model_instance, "is_sealed", False):
            return SEALED_MARK + encrypt_str(value)
        return value

    def from_db_value(self, value, expression, connection):
        if isinstance(value, str) and value.startswith(SEALED_MARK):
            return decrypt_str(value[len(SEALED_MARK) :])
        return value


class SealableCharField(SealableMixin, models.CharField):
    description = "Text stored encrypted while its row is sealed"


class SealableURLField(SealableMixin, models.URLField):
    description = "A URL stored encrypted while its row is sealed"


class SealableTextField(SealableMixin, models.TextField):
    description = "Long text stored encrypted while its row is sealed"
