"""A coordinator's request that an organisation be named as a lead of a letter. The
organisation is on Letter.lead_organisations only once one of its admins has accepted
(letters.services.leads); it is named publicly only while its own signature is public."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class LeadRequest(TimeStampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting the organisation's answer")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    letter = models.ForeignKey("letters.Letter", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("lead request")
        verbose_name_plural = _("lead requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "organisation"],
                condition=Q(status__in=["pending", "accepted"]),
                name="letters_one_live_lead_request",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "accepted", "declined", "withdrawn"]),
                name="letters_lead_request_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} → {self.letter_id} ({self.status})"
