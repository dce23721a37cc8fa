"""A letter, its immutable versions, its coordinators and the record of its delivery."""

import hashlib
import json

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import decrypt_str, encrypt_str
from core.models import TimeStampedModel


class LetterQuerySet(models.QuerySet["Letter"]):
    def public(self) -> "LetterQuerySet":
        """Letters anyone may read: every state but draft."""
        return self.exclude(status=Letter.Status.DRAFT)

    def listed(self) -> "LetterQuerySet":
        """Letters on the public index: open and published."""
        return self.filter(status__in=[Letter.Status.OPEN, Letter.Status.PUBLISHED])

    def coordinated_by(self, user) -> "LetterQuerySet":
        if not user.is_authenticated:
            return self.none()
        return self.filter(coordinators__user=user)

    def visible_to(self, user) -> "LetterQuerySet":
        """What `user` may read: public letters, plus the drafts they coordinate."""
        if not user.is_authenticated:
            return self.public()
        return self.filter(~Q(status=Letter.Status.DRAFT) | Q(coordinators__user=user)).distinct()


class Letter(TimeStampedModel):
    """A joint letter. Its text lives in immutable LetterVersions; `title` mirrors the
    current version's title for listings."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for signatures")
        CLOSED = "closed", _("Closed")
        PUBLISHED = "published", _("Published")

    class SignOnMode(models.TextChoices):
        INVITATION = "invitation", _("By invitation only")
        OPEN = "open", _("Open: any organisation may ask to sign")

    class ModerationPolicy(models.TextChoices):
        REVIEW_ALL = "review_all", _("A moderator reviews every signature")
        AUTO_VERIFIED = (
            "auto_verified",
            _("Approve at once verified organisations whose signer's email domain matches"),
        )

    title = models.CharField(_("title"), max_length=200)
    # The language of the authoritative text: versions, hashes and signatures are of it;
    # translations (LetterTranslation) are for reading.
    language = models.CharField(
        _("language of the authoritative text"),
        max_length=10,
        choices=settings.LANGUAGES,
        default="en",
    )
    slug = models.SlugField(_("address"), max_length=80, unique=True, allow_unicode=True)
    recipient = models.CharField(
        _("recipient"), max_length=300, help_text=_("To whom the letter is addressed.")
    )
    summary = models.TextField(
        _("summary"),
        max_length=600,
        blank=True,
        help_text=_("One or two sentences shown in listings and link previews."),
    )
    # A role address its coordinators choose (campaigns@ngo.org): the Reply-To of every email
    # about the letter and the contact shown on its pages. Never a personal address required.
    public_contact_email = models.EmailField(
        _("public contact address"),
        blank=True,
        help_text=_(
            "A role address of the lead organisations, e.g. campaigns@example.org, shown on the "
            "letter's page and used as the Reply-To of its emails. It is public: a personal "
            "address is never required. Leave empty for none."
        ),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    deadline = models.DateTimeField(_("sign-on deadline"), null=True, blank=True)
    publication_date = models.DateField(
        _("publication date"),
        null=True,
        blank=True,
        help_text=_("When the letter is to be made public (the embargo)."),
    )
    sign_on_mode = models.CharField(
        _("who can sign"),
        max_length=12,
        choices=SignOnMode.choices,
        default=SignOnMode.INVITATION,
    )
    moderation_policy = models.CharField(
        _("moderation"),
        max_length=16,
        choices=ModerationPolicy.choices,
        default=ModerationPolicy.REVIEW_ALL,
    )
    signatories_public_while_open = models.BooleanField(
        _("show signatories while collecting"),
        default=False,
        help_text=_("If off, the list of signatories stays private until the letter is published."),
    )
    # Set by services.request_embargo_lift: the list becomes public at this moment (after a
    # notice period in which every signer named publicly is emailed and may narrow), by
    # services.lift_due_embargoes. None: no lift pending.
    embargo_lift_at = models.DateTimeField(
        _("list becomes public at"), null=True, blank=True, editable=False
    )
    coordinators_moderate = models.BooleanField(
        _("coordinators approve and reject signatures"),
        default=False,
        help_text=_(
            "Set by a moderator: delegates the review of this letter's signatures to its "
            "coordinators."
        ),
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("reminder, days before the deadline"),
        default=3,
        help_text=_("Invitations not yet answered get one reminder this many days before."),
    )
    lead_organisations = models.ManyToManyField(
        "organisations.Organisation",
        blank=True,
        related_name="led_letters",
        verbose_name=_("lead organisations"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Bumped (in the same transaction) by every service that changes what the public list of
    # signatories shows; with updated_at it keys the cached list (letters.selectors).
    list_version = models.PositiveIntegerField(default=0, editable=False)

    objects = LetterQuerySet.as_manager()

    class Meta:
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["draft", "open", "closed", "published"]),
                name="letters_letter_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(sign_on_mode__in=["invitation", "open"]),
                name="letters_letter_sign_on_mode_valid",
            ),
            models.CheckConstraint(
                condition=Q(moderation_policy__in=["review_all", "auto_verified"]),
                name="letters_letter_moderation_policy_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="letters_published_has_date",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="letters_status_created")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("letters:detail", kwargs={"slug": self.slug})

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def is_inviting(self) -> bool:
        """Invitations are sent while the letter is a draft or open."""
        return self.status in {self.Status.DRAFT, self.Status.OPEN}

    @property
    def is_accepting_signatures(self) -> bool:
        return self.status == self.Status.OPEN and not self.deadline_passed

    @property
    def deadline_passed(self) -> bool:
        return self.deadline is not None and self.deadline <= timezone.now()

    @property
    def signatories_are_public(self) -> bool:
        """Whether the public may see who signed (DESIGN.md §1: the embargo)."""
        if self.status == self.Status.PUBLISHED:
            return True
        return self.status in {self.Status.OPEN, self.Status.CLOSED} and (
            self.signatories_public_while_open
        )


def content_hash(title: str, body: str) -> str:
    """SHA-256 of exactly what a signer reads: title, a blank line, the body (LF newlines)."""
    canonical = f"{title}\n\n{body}".replace("\r\n", "\n")
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class LetterVersion(models.Model):
    """An immutable snapshot of the letter's text. A letter always signs against its current
    version; exactly one version per letter is current."""

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), max_length=100_000)
    content_hash = models.CharField(_("SHA-256"), max_length=64)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(_("saved at"), default=timezone.now)
    is_substantive = models.BooleanField(
        _("substantive change"),
        default=False,
        help_text=_("A change of meaning: signers of earlier versions are asked to re-confirm."),
    )
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    is_current = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("letter version")
        verbose_name_plural = _("letter versions")
        ordering = ["letter", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["letter", "number"], name="letters_version_number_unique"
            ),
            models.UniqueConstraint(
                fields=["letter"],
                condition=Q(is_current=True),
                name="letters_one_current_version",
            ),
            models.CheckConstraint(condition=Q(number__gte=1), name="letters_version_number_gte_1"),
        ]

    def __str__(self) -> str:
        return f"{self.letter_id} v{self.number}"

    @property
    def short_hash(self) -> str:
        return self.content_hash[:12]


class LetterCoordinator(TimeStampedModel):
    """A user who runs a letter. Owners also manage the other coordinators."""

    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        EDITOR = "editor", _("Editor")

    letter = models.ForeignKey(Letter, on_delete=models.CASCADE, related_name="coordinators")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="letter_roles"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.EDITOR)

    class Meta:
        verbose_name = _("coordinator")
        verbose_name_plural = _("coordinators")
        ordering = ["letter", "role", "user__email"]
        constraints = [
            models.UniqueConstraint(fields=["letter", "user"], name="letters_coordinator_once"),
            models.CheckConstraint(
                condition=Q(role__in=["owner", "editor"]), name="letters_coordinator_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


class LetterDelivery(TimeStampedModel):
    """The record of a published letter's delivery: when, to whom, how, which version, and the
    signatory list frozen at that moment. Later withdrawals do not rewrite it."""

    letter = models.OneToOneField(Letter, on_delete=models.PROTECT, related_name="delivery")
    delivered_on = models.DateField(_("delivered on"))
    delivered_to = models.CharField(_("delivered to"), max_length=300)
    method = models.CharField(
        _("how"), max_length=300, blank=True, help_text=_("e.g. by email to the Secretary's office")
    )
    version = models.ForeignKey(
        LetterVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("version")
    )
    # [{"signature": id, "organisation": id, "name": str, "based_in": str, "visibility": str,
    #   "signer": str | None}] in display order. Only public entries name their organisation
    # in clear: a recipient-only entry keeps organisation, name, slug, place, signer and lead
    # encrypted under "sealed" (open_signatory reads it), a counted-only one holds none of
    # them (README "Privacy at rest").
    signatories = models.JSONField(_("signatories at delivery"), default=list)

    class OlderVersions(models.TextChoices):
        """What the delivery does with signatures of a text changed in substance since, whose
        signers did not re-confirm (issue 11, item 12): the coordinator chooses at publication."""

        MARK = "mark", _("Deliver them marked with the version they signed")
        OMIT = "omit", _("Leave them out of the letter")

    older_versions = models.CharField(
        _("signatures of an earlier text"),
        max_length=8,
        choices=OlderVersions.choices,
        default=OlderVersions.MARK,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.letter} → {self.delivered_to} ({self.delivered_on})"


# The parts of a delivery entry that name a withheld organisation (sealed, or never kept).
NAMING_KEYS = ("organisation", "name", "slug", "based_in", "signer", "lead")


def seal_signatory(entry: dict) -> dict:
    """A delivery entry as stored: a recipient-only one's names encrypted under "sealed", a
    counted-only one's dropped; a public one as it is."""
    visibility = entry.get("visibility")
    if visibility == "public" or "sealed" in entry:
        return entry
    named = {key: entry.get(key) for key in NAMING_KEYS}
    stored = {key: value for key, value in entry.items() if key not in NAMING_KEYS}
    stored |= {"organisation": None, "name": None, "slug": None, "based_in": None}
    stored |= {"signer": None, "lead": False}
    if visibility == "recipient_only":
        stored["sealed"] = encrypt_str(json.dumps(named))
    return stored


def open_signatory(entry: dict) -> dict:
    """A delivery entry with a recipient-only one's names decrypted."""
    if "sealed" not in entry:
        return entry
    opened = {key: value for key, value in entry.items() if key != "sealed"}
    return opened | json.loads(decrypt_str(entry["sealed"]))
