"""Invitations to sign a letter, and the contact lists (CSV uploads) they are made from."""

import json
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import blind_index, decrypt_str, encrypt_str
from core.fields import EncryptedTextField
from core.models import TimeStampedModel

from .letters import Letter


def normalised_email(email: str) -> str:
    """The form of an address that uniqueness and look-ups compare: no whitespace, casefolded
    (as the CSV check compares the rows of a file)."""
    return "".join(email.split()).casefold()


def email_index(email: str) -> str:
    """The keyed blind index of an invitee's address (core.crypto.blind_index of the
    normalised address, under FIELD_INDEX_KEY): the database can keep "one live invitation
    per address and letter" and find an address it is given, while a copy of it alone does
    not reveal the address. A new FIELD_INDEX_KEY needs `manage.py reindex_invitation_emails`."""
    return blind_index("letters.invitation.email", normalised_email(email))


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (here: an uploaded file's rows) stored as one encrypted text. As an
    EncryptedTextField, SQL lookups are refused and `rotate_encryption_keys` re-encrypts it.
    A candidate for core/fields.py once a second model needs it."""

    description = "JSON stored encrypted under FIELD_ENCRYPTION_KEYS"
    # django-stubs: the Python value is any JSON value, not text.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return json.loads(decrypt_str(value))

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        return encrypt_str(json.dumps(value, cls=DjangoJSONEncoder))

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder)


class Invitation(TimeStampedModel):
    """A personal invitation to sign, sent to one contact at one organisation.

    The link's secret is an HMAC of `token_seed` under SECRET_KEY (letters.tokens); the database
    keeps the seed and the secret's SHA-256, so a copy of the database alone opens no link,
    while a reminder can repeat the very link of the invitation.

    The contact (address, name, the organisation's name as typed), the reason for declining
    and the last delivery error (which may quote the address) are stored encrypted (issue 12):
    the invitee is usually the signer. SQL can neither filter nor order on them; the address
    has a keyed blind index, `email_index`, for look-ups and the uniqueness rule. Every row
    written must set it (`email_index(email)`); a check constraint refuses one without.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        FAILED = "failed", _("Failed")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    LIVE = (Status.QUEUED, Status.SENT)

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="invitations",
    )
    # An invitation answered by a withheld (recipient-only or counted-only) signature keeps
    # its organisation only here, encrypted: "accepted" beside a clear organisation would tell
    # a copy of the database that it signed withheld (README "Privacy at rest"). Read both
    # through `invited_organisation`.
    sealed_organisation = EncryptedTextField(
        _("organisation (answered withheld, encrypted)"), blank=True, editable=False
    )
    organisation_name = EncryptedTextField(_("organisation"))
    contact_name = EncryptedTextField(_("contact name"), blank=True)
    email = EncryptedTextField(_("email"))
    email_index = models.CharField(max_length=64, editable=False)
    # The language the invitation is written in (and its link opens the letter in): the
    # coordinator's choice per contact, by default the letter's.
    language = models.CharField(_("language"), max_length=10, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    # The link's secret is an HMAC of this seed under SECRET_KEY (letters.tokens): the database
    # alone cannot rebuild a working link, yet a reminder can carry the same link as the
    # invitation. Blank for invitations whose secret was random (never re-sent as is).
    token_seed = models.CharField(max_length=43, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)
    decline_reason = EncryptedTextField(_("reason for declining"), blank=True, max_length=1000)
    # Set when the retention period erased the contact's name and email (issue 12).
    personal_data_erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    # Encrypted: a server's refusal often quotes the address.
    last_error = EncryptedTextField(_("last error"), blank=True)
    # The latest email sent for this invitation (invitation or reminder): its delivery status
    # is the invitation's sending status.
    outbound_email = models.ForeignKey(
        "outbox.OutboundEmail",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reminder_count = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    forwarded_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="forwarded_to"
    )

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "queued", "sent", "accepted", "declined", "failed", "revoked", "expired"
                    ]
                ),
                name="letters_invitation_status_valid",
            ),
            models.UniqueConstraint(
                fields=["letter", "email_index"],
                condition=Q(status__in=["queued", "sent"]),
                name="letters_one_live_invitation_per_email",
            ),
            models.CheckConstraint(
                condition=Q(email_index__regex=r"^[0-9a-f]{64}$"),
                name="letters_invitation_email_indexed",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["letter", "status"], name="letters_inv_letter_status"),
            models.Index(fields=["email_index"], name="letters_inv_email_index"),
        ]

    @property
    def invited_organisation(self):
        """The organisation invited, whether named in clear or sealed (one query if sealed)."""
        if self.organisation_id is not None or not self.sealed_organisation:
            return self.organisation
        from organisations.models import Organisation

        return Organisation.objects.filter(pk=int(self.sealed_organisation)).first()

    def __str__(self) -> str:
        return f"{self.organisation_name} <{self.email}>"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class InvitationImport(TimeStampedModel):
    """A CSV of contacts a coordinator uploaded, held server-side between the preview and the
    confirmation (never in the session). `rows` is the parsed file, one dict per line with the
    problems found in it (letters.contact_lists); it is emptied once confirmed or cancelled,
    and pending imports are purged after a day: it holds people's contact details, so it is
    stored encrypted (issue 12)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting confirmation")
        CONFIRMED = "confirmed", _("Invitations sent")
        CANCELLED = "cancelled", _("Cancelled")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="invitation_imports")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=255, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    rows = EncryptedJSONField(default=list)
    invited_count = models.PositiveIntegerField(_("invitations created"), default=0)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation import")
        verbose_name_plural = _("invitation imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "confirmed", "cancelled"]),
                name="letters_invitation_import_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.filename or 'CSV'} → {self.letter_id} ({self.status})"
