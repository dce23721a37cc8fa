from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .actions import Action


class AuditEvent(models.Model):
    """One append-only row per meaningful decision: who did what, to what, when and why.

    Written by services (audit.services) in the same transaction as the change it records, so an event exists
    exactly when its change does. Never updated or deleted by the application.
    """

    Action = Action

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
        help_text=_("Empty when the system acted (a scheduled task) or the actor was anonymous."),
    )
    action = models.CharField(_("action"), max_length=64, db_index=True, choices=Action.choices)
    organisation = models.ForeignKey(
        "organisations.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    letter = models.ForeignKey(
        "letters.Letter",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    # What the event is about, when it is not just the organisation: "letters.letter:12".
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    reason = models.TextField(_("why"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["target_type", "target_id"], name="audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_action_display()}"
