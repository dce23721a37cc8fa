"""Coordinators' webhooks: an endpoint per letter and URL, and one delivery row per event and
endpoint (README "Webhooks", docs/decisions.md).

A delivery row is written in the same transaction as the event that causes it, and is sent
by the worker afterwards, like an email of the outbox: a rolled-back change leaves no row, and
a broker outage delays a delivery but loses none (the sweeper hands it over again).
"""

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import blind_index
from core.fields import EncryptedTextField
from core.models import TimeStampedModel


class WebhookEndpoint(TimeStampedModel):
    """An HTTPS address a letter's coordinators asked to be told of its events at.

    The secret signs every delivery (HMAC-SHA256): it must be read to sign, so it is stored
    encrypted (core.fields), not hashed, and shown to the coordinator once, when created.
    """

    letter = models.ForeignKey(
        "letters.Letter", on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    # Encrypted: an address may carry its own secret (a chat's incoming-webhook URL does, in
    # its path). url_key (a keyed index, core.crypto.blind_index) keeps it once per letter.
    url = EncryptedTextField(_("URL"))
    url_key = models.CharField(max_length=64, editable=False)
    secret = EncryptedTextField(_("signing secret"), editable=False)
    # Event names (webhooks.events.Event); a list, read in Python (SQLite has no contains).
    events = models.JSONField(_("events"), default=list)
    active = models.BooleanField(_("active"), default=True)
    disabled_reason = models.CharField(_("why disabled"), max_length=300, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    # Failed attempts in a row, across its deliveries; any success resets it. At
    # WEBHOOKS_DISABLE_AFTER the endpoint is disabled and the coordinators are told.
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["letter", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "url_key"], name="webhooks_endpoint_url_key_once"
            ),
            models.CheckConstraint(
                condition=Q(active=True) | Q(disabled_at__isnull=False),
                name="webhooks_disabled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.host} ({'active' if self.active else 'disabled'})"

    @property
    def host(self) -> str:
        """The address's host alone: what the admin and the delivery list name it by (the
        path may be a secret of the receiver's)."""
        return urlsplit(self.url).hostname or ""

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.url_key = url_key(self.letter_id, self.url)
        super().save(*args, **kwargs)


def url_key(letter_id: int, url: str) -> str:
    """The keyed index of a letter's endpoint address: equal for the same address on the same
    letter, meaningless without FIELD_INDEX_KEY."""
    return blind_index("webhooks.endpoint-url", f"{letter_id}\x00{url}")


class WebhookDelivery(TimeStampedModel):
    """One event for one endpoint. Unique per (endpoint, event_id): the event is queued once,
    claimed under a row lock and marked sent once, and every attempt carries the same event id,
    so a receiver can de-duplicate on it too.

    The body may name an organisation withheld from the public (coordinators see it in their
    export): stored encrypted, and cleared once sent; a failed or abandoned one keeps it for
    "retry now" until WEBHOOKS_BODY_RETENTION_HOURS, and the row itself goes after
    WEBHOOKS_DELIVERY_RETENTION_DAYS (webhooks.services.reduce_deliveries).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        # Never sent: its endpoint was disabled while it waited.
        ABANDONED = "abandoned", _("Abandoned")

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event_id = models.UUIDField(_("event id"))
    event = models.CharField(_("event"), max_length=50)
    body = EncryptedTextField(_("body"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # When the body was cleared (sent, or kept past its retention).
    reduced_at = models.DateTimeField(_("reduced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhooks_delivery_event_once"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["queued", "sent", "failed", "abandoned"]),
                name="webhooks_delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(delivered_at__isnull=False),
                name="webhooks_sent_has_time",
            ),
        ]
        indexes = [
            # The sweeper's query: queued rows whose next attempt is due.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="queued"),
                name="webhooks_queued_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} #{self.pk} ({self.status})"
