import hashlib
import hmac

from django.conf import settings
from django.core.validators import validate_email
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.fields import EncryptedTextField
from core.models import TimeStampedModel


def address_hash(address: str) -> str:
    """A keyed hash (HMAC-SHA256, key derived from SECRET_KEY) of a normalised email address:
    support hashes an address it is given to find the emails sent to it; a copy of the
    database alone does not reveal it."""
    key = hashlib.sha256(b"undersigned.outbox.address:" + settings.SECRET_KEY.encode()).digest()
    normalised = address.strip().lower().encode("utf-8")
    return hmac.new(key, normalised, hashlib.sha256).hexdigest()


class OutboundEmail(TimeStampedModel):
    """One email to one recipient, written in the same transaction as the change that causes
    it and sent afterwards by a Celery task (DESIGN.md §6).

    `dedupe_key` is unique: queueing the same email twice is a no-op, and the Message-ID is
    derived from it, so a resend after a crash carries the same Message-ID.

    Subject and bodies are stored with `{{secret:n}}` placeholders for their links' secrets;
    the secrets are in `link_secrets`, encrypted (core.crypto), erased once the email is sent
    or failed for good (outbox.link_secrets). No row holds a live link in clear.

    Address, subject, bodies and error are stored encrypted (core.fields.EncryptedTextField):
    a copy of the database reads none of them (README "Privacy at rest"); rows are found by
    the keyed hash of their address (`to_hash`, set when queued).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=50, db_index=True)
    # Cleared once the email is reduced (OUTBOX_BODY_RETENTION_HOURS); `to_hash` stays.
    # Stored encrypted, so the database cannot check it: validated by queue_email (and by
    # this validator in any form or full_clean).
    to = EncryptedTextField(_("to"), blank=True, validators=[validate_email])
    # outbox.services.address_hash(to): support can still check "was x@y sent to?".
    to_hash = models.CharField(_("recipient hash"), max_length=64, blank=True, db_index=True)
    subject = EncryptedTextField(_("subject"))
    body_text = EncryptedTextField(_("text"))
    body_html = EncryptedTextField(_("HTML"), blank=True)
    # The secrets of the links in the email, a JSON list encrypted with core.crypto; "" once
    # sent or failed for good, or when the email has no secret link.
    link_secrets = models.TextField(_("link secrets (encrypted)"), blank=True, editable=False)
    dedupe_key = models.CharField(max_length=200, unique=True)
    message_id = models.CharField(_("Message-ID"), max_length=200)
    # Rendered in this language (its reader's); sent with it as Content-Language.
    language = models.CharField(_("language"), max_length=10, default="en")
    # The Reply-To header: the letter's public contact address ("" for none).
    reply_to = models.CharField(_("Reply-To"), max_length=254, blank=True, default="")
    # A label for a fan-out ("letter:12:invitations"), so progress can be counted per batch.
    batch = models.CharField(max_length=100, blank=True, db_index=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A server's refusal often quotes the address: encrypted too.
    last_error = EncryptedTextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # When subject, bodies and address were cleared (outbox.services.reduce_sent_emails).
    reduced_at = models.DateTimeField(_("reduced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sent", "failed"]),
                name="outbox_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="outbox_sent_has_time",
            ),
        ]
        indexes = [
            # The sweeper's query: queued rows whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="queued"),
                name="outbox_queued_due",
            ),
        ]

    def __str__(self) -> str:
        # No address: a row's name ends up in admin labels, messages and error reports, and
        # reading `to` would decrypt it (and load it, where the admin deferred it).
        return f"{self.kind} #{self.pk} ({self.status})"

    def save(self, *args, **kwargs) -> None:
        # Found by it: set whoever writes the row (unless its address was not even loaded).
        if "to" not in self.get_deferred_fields() and self.to and not self.to_hash:
            self.to_hash = address_hash(self.to)
        super().save(*args, **kwargs)
