import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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


class Invitation(TimeStampedModel):
    """A personal invitation to sign, sent to one contact at one organisation.

    The link carries a random secret; the database keeps only its SHA-256, so a leaked
    database does not leak working links.
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
    organisation_name = models.CharField(_("organisation"), max_length=200)
    contact_name = models.CharField(_("contact name"), max_length=150, blank=True)
    email = models.EmailField(_("email"), max_length=254)
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
    decline_reason = models.TextField(_("reason for declining"), blank=True, max_length=1000)
    last_error = models.TextField(_("last error"), blank=True)
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
                "letter",
                models.functions.Lower("email"),
                condition=Q(status__in=["queued", "sent"]),
                name="letters_one_live_invitation_per_email",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["letter", "status"], name="letters_inv_letter_status"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_name} <{self.email}>"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE


class InvitationImport(TimeStampedModel):
    """A CSV of contacts a coordinator uploaded, held server-side between the preview and the
    confirmation (never in the session). `rows` is the parsed file, one dict per line with the
    problems found in it (letters.contact_lists); it is emptied once confirmed or cancelled,
    and pending imports are purged after a day: it holds people's contact details."""

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
    rows = models.JSONField(default=list)
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


class Signature(TimeStampedModel):
    """An organisation's signature on a letter, given by one of its staff."""

    class Status(models.TextChoices):
        PENDING_CONFIRMATION = "pending_confirmation", _("Awaiting email confirmation")
        PENDING_REVIEW = "pending_review", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired (never confirmed)")

    LIVE = (Status.PENDING_CONFIRMATION, Status.PENDING_REVIEW, Status.APPROVED)

    class Visibility(models.TextChoices):
        PUBLIC = "public", _("Public: named on the public list")
        RECIPIENT_ONLY = (
            "recipient_only",
            _("Recipient only: named in the letter as delivered, not on the public page"),
        )
        COUNTED_ONLY = (
            "counted_only",
            _("Counted only: never named, counted “for the organisation's safety”"),
        )

    class Authority(models.TextChoices):
        INVITATION = "invitation", _("Invited")
        VERIFIED_DOMAIN = "verified_domain", _("Verified email domain")
        MEMBERSHIP = "membership", _("Member of the organisation")
        NONE = "none", _("Not established: a moderator decides")

    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="signatures")
    organisation = models.ForeignKey(
        "organisations.Organisation", on_delete=models.PROTECT, related_name="signatures"
    )
    version = models.ForeignKey(
        LetterVersion, on_delete=models.PROTECT, related_name="signatures",
        verbose_name=_("version signed"),
    )  # fmt: skip
    version_hash = models.CharField(_("SHA-256 of the text signed"), max_length=64)
    signer_name = models.CharField(_("name"), max_length=150)
    signer_title = models.CharField(_("title or role"), max_length=150, blank=True)
    signer_email = models.EmailField(_("email"), max_length=254)
    visibility = models.CharField(
        _("visibility"), max_length=16, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    show_signer_name = models.BooleanField(
        _("show my name and title beside the organisation"), default=False
    )
    status = models.CharField(
        _("status"),
        max_length=24,
        choices=Status.choices,
        default=Status.PENDING_CONFIRMATION,
        db_index=True,
    )
    authority = models.CharField(
        _("authority"), max_length=16, choices=Authority.choices, default=Authority.NONE
    )
    invitation = models.ForeignKey(
        Invitation, null=True, blank=True, on_delete=models.SET_NULL, related_name="signatures"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="signatures",
    )
    consented_at = models.DateTimeField(_("privacy notice accepted"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class RejectionReason(models.TextChoices):
        CANNOT_VERIFY_AUTHORITY = (
            "cannot_verify_authority",
            _("We could not verify the authority to sign"),
        )
        DUPLICATE = "duplicate", _("Duplicate of another signature")
        NOT_AN_ORGANISATION = "not_an_organisation", _("Not an organisation")
        SPAM = "spam", _("Spam")
        OTHER = "other", _("Other")

    rejection_reason = models.CharField(
        _("rejection reason"), max_length=32, blank=True, choices=RejectionReason.choices
    )
    rejection_note = models.TextField(_("rejection note"), blank=True, max_length=2000)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["created_at", "id"]
        constraints = [
            # The rule that matters most: one live signature per organisation and letter,
            # enforced where two simultaneous submissions cannot both win.
            models.UniqueConstraint(
                fields=["letter", "organisation"],
                condition=Q(status__in=["pending_confirmation", "pending_review", "approved"]),
                name="letters_one_live_signature_per_organisation",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending_confirmation", "pending_review", "approved", "rejected",
                        "withdrawn", "expired",
                    ]
                ),
                name="letters_signature_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=["public", "recipient_only", "counted_only"]),
                name="letters_signature_visibility_valid",
            ),
            models.CheckConstraint(
                condition=Q(
                    authority__in=["invitation", "verified_domain", "membership", "none"]
                ),
                name="letters_signature_authority_valid",
            ),
        ]  # fmt: skip
        indexes = [
            models.Index(fields=["letter", "status"], name="letters_sig_letter_status"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation} on {self.letter} ({self.status})"

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    @property
    def signer_domain(self) -> str:
        return self.signer_email.rsplit("@", 1)[-1].lower()


class PendingSignature(Signature):
    """The moderators' queue: signatures awaiting review, as their own page of the admin
    (letters.admin.moderation.PendingSignatureAdmin). Same table; a proxy has its own permissions."""

    class Meta:
        proxy = True
        verbose_name = _("signature awaiting review")
        verbose_name_plural = _("signatures awaiting review")


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
    #   "signer": str | None}] in display order; names of hidden organisations are kept only for
    # the recipient edition and never rendered on public surfaces.
    signatories = models.JSONField(_("signatories at delivery"), default=list)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.letter} → {self.delivered_to} ({self.delivered_on})"
