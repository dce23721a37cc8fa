"""A request for a copy of one's data, or for its erasure (issue 12, item 4): what moderators
see of it in the admin. It names the signature (or account) it concerns, never an address."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

from .signatures import Signature


class DataRequest(TimeStampedModel):
    class Kind(models.TextChoices):
        SIGNER_EXPORT = "signer_export", _("Signer: copy of their data")
        SIGNER_ERASURE = "signer_erasure", _("Signer: erasure of their data")
        ACCOUNT_EXPORT = "account_export", _("Account: download of its data")
        ACCOUNT_DELETION = "account_deletion", _("Account: deletion")

    class State(models.TextChoices):
        REQUESTED = "requested", _("Asked, awaiting the confirmation emailed to the address")
        DONE = "done", _("Done")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    signature = models.ForeignKey(
        Signature, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The account's id only: the account itself may be deleted by the request.
    account_id = models.PositiveBigIntegerField(_("account id"), null=True, blank=True)
    withdraw = models.BooleanField(_("withdraw the signature too"), default=False)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    # Organisations an account deletion left without an administrator, flagged to moderators.
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("data request")
        verbose_name_plural = _("data requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "signer_export",
                        "signer_erasure",
                        "account_export",
                        "account_deletion",
                    ]
                ),
                name="letters_datarequest_kind_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["requested", "done"]),
                name="letters_datarequest_state_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.get_state_display()})"
