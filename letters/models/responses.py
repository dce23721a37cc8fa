"""What happened after delivery: the recipient's response, and the coordinators' follow-up
updates ("we met the Secretary's office"), shown on the letter page under its delivery record
and, if the coordinators choose, emailed to every approved signer (issue 17)."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel

from .letters import Letter


def response_document_path(instance: "LetterResponse", filename: str) -> str:
    """A name the server chooses: nothing of the uploader's file name is kept."""
    return f"responses/{uuid.uuid4().hex}.pdf"


class LetterResponse(TimeStampedModel):
    class Kind(models.TextChoices):
        RESPONSE = "response", _("Response from the recipient")
        UPDATE = "update", _("Update from the coordinators")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="responses")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.RESPONSE)
    received_on = models.DateField(_("date"))
    from_whom = models.CharField(_("from"), max_length=300, blank=True)
    # Markdown, rendered sanitised like the letter's text (letters.markdown).
    text = models.TextField(_("text"), blank=True)
    # A PDF checked on upload (letters.documents): type, size, no active content.
    document = models.FileField(
        _("document (PDF)"), upload_to=response_document_path, blank=True, max_length=200
    )
    document_size = models.PositiveIntegerField(_("document size (bytes)"), default=0)
    document_pages = models.PositiveIntegerField(_("pages"), default=0)
    # How many approved signers were emailed about it (0: the coordinators chose not to).
    signers_emailed = models.PositiveIntegerField(_("signers emailed"), default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("response or update")
        verbose_name_plural = _("responses and updates")
        ordering = ("-received_on", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(text="", document=""), name="response_has_text_or_document"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter}: {self.get_kind_display()} ({self.received_on})"
