"""Translations of a letter: each one of a given authoritative version, versioned and hashed
like the letter itself. The authoritative text is the one that binds; signatures are of its
version (Signature.version_hash), and record which translation, if any, the signer read."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .letters import Letter, LetterVersion


class LetterTranslation(models.Model):
    """An immutable snapshot of the letter's text in one language, made from one version of
    the authoritative text (`source`). Saving a translation again makes a new number; exactly
    one per letter and language is current. It is out of date once the authoritative text has
    a newer version than its source."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES)
    number = models.PositiveIntegerField(_("version"))
    source = models.ForeignKey(
        LetterVersion,
        on_delete=models.PROTECT,
        related_name="translations",
        verbose_name=_("translation of version"),
    )
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=100_000)
    # The letter's summary in this language (the page's lead and link previews); like the
    # authoritative summary, not part of the signed text or its hash.
    summary = models.TextField(_("summary"), blank=True, max_length=1000)
    content_hash = models.CharField(_("SHA-256"), max_length=64)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("translator"),
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    is_current = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("letter translation")
        verbose_name_plural = _("letter translations")
        ordering = ["letter", "language", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "language", "number"],
                name="letters_translation_number_unique",
            ),
            models.UniqueConstraint(
                fields=["letter", "language"],
                condition=Q(is_current=True),
                name="letters_one_current_translation",
            ),
            models.CheckConstraint(
                condition=Q(number__gte=1), name="letters_translation_number_gte_1"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} {self.language} t{self.number}"

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]

    def is_out_of_date(self, current: LetterVersion) -> bool:
        """Made from an older version of the authoritative text than `current`."""
        return self.source_id != current.pk
