"""A signature: an organisation signing a version of a letter, and the moderators' queue."""

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.crypto import blind_index
from core.fields import EncryptedTextField
from core.models import TimeStampedModel
from organisations.domains import domain_of

from .invitations import Invitation
from .letters import Letter, LetterVersion

if TYPE_CHECKING:
    from organisations.models import Organisation


_ORGANISATION = "_organisation"
# The columns that store a signature's organisation (Signature.organisation).
ORGANISATION_COLUMNS = ("public_organisation", "sealed_organisation", "organisation_key")


def organisation_index_for(*, letter_id: int, organisation_id: int) -> str:
    """The keyed index of an organisation's signatures on one letter. Per letter, so that a
    copy of the database cannot tell that two withheld signatures on two letters came from
    the same organisation, nor match a withheld one with a public one elsewhere."""
    return blind_index("letters.signature.organisation", f"{letter_id}:{organisation_id}")


class SignatureQuerySet(models.QuerySet):
    def of_organisation(self, organisation: "Organisation | int") -> "SignatureQuerySet":
        """The signatures of an organisation, public and withheld: by its keyed index on
        each letter (one index per letter, computed here)."""
        organisation_id = organisation if isinstance(organisation, int) else organisation.pk
        letter_ids = Letter.objects.values_list("pk", flat=True)
        return self.filter(
            organisation_key__in=[
                organisation_index_for(letter_id=letter_id, organisation_id=organisation_id)
                for letter_id in letter_ids
            ]
        )

    def of_organisations(self, organisations) -> "SignatureQuerySet":
        """The signatures of any of these organisations (instances or ids)."""
        ids = [o if isinstance(o, int) else o.pk for o in organisations]
        letter_ids = list(Letter.objects.values_list("pk", flat=True))
        return self.filter(
            organisation_key__in=[
                organisation_index_for(letter_id=letter_id, organisation_id=organisation_id)
                for letter_id in letter_ids
                for organisation_id in ids
            ]
        )

    def on_letter_of(self, *, letter_id: int, organisation: "Organisation | int"):
        """The organisation's signatures on one letter."""
        organisation_id = organisation if isinstance(organisation, int) else organisation.pk
        return self.filter(
            letter_id=letter_id,
            organisation_key=organisation_index_for(
                letter_id=letter_id, organisation_id=organisation_id
            ),
        )

    def with_organisations(self) -> "SignatureQuerySet":
        """Load every signature's organisation, public or withheld, in two queries."""
        clone = self.select_related("public_organisation")
        clone._attach_sealed = True  # type: ignore[attr-defined]
        return clone

    def _clone(self):
        clone = super()._clone()
        clone._attach_sealed = getattr(self, "_attach_sealed", False)  # type: ignore[attr-defined]
        return clone

    def _fetch_all(self):
        super()._fetch_all()
        if getattr(self, "_attach_sealed", False) and self._result_cache:
            attach_organisations([row for row in self._result_cache if isinstance(row, Signature)])


def attach_organisations(signatures: "list[Signature]") -> None:
    """Give each signature its organisation in one query for the withheld ones."""
    from organisations.models import Organisation

    sealed = {}
    for signature in signatures:
        if signature.public_organisation_id is not None:
            signature.__dict__[_ORGANISATION] = signature.public_organisation
        elif signature.sealed_organisation:
            sealed[signature.pk] = int(signature.sealed_organisation)
        else:
            signature.__dict__[_ORGANISATION] = None
    if sealed:
        organisations = Organisation.objects.in_bulk(set(sealed.values()))
        for signature in signatures:
            if signature.pk in sealed:
                signature.__dict__[_ORGANISATION] = organisations.get(sealed[signature.pk])


class Signature(TimeStampedModel):
    """An organisation's signature on a letter, given by one of its staff."""

    class Status(models.TextChoices):
        PENDING_CONFIRMATION = "pending_confirmation", _("Awaiting email confirmation")
        PENDING_REVIEW = "pending_review", _("Awaiting review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired (never confirmed)")
        DUPLICATE = "duplicate", _("Not counted: the organisation had signed already")

    LIVE = (Status.PENDING_CONFIRMATION, Status.PENDING_REVIEW, Status.APPROVED)
    # Confirmed and live: the organisation's one signature on the letter (the unique
    # constraint below). An unconfirmed submission holds nothing: anyone can type a name.
    COUNTED = (Status.PENDING_REVIEW, Status.APPROVED)
    # What the person behind a signature's links may still act on. A confirmed duplicate
    # is treated, towards them, exactly like a signature awaiting review: telling them it
    # is a duplicate would tell them the organisation signed (issue 11, README "Privacy").
    SIGNER_LIVE = (*LIVE, Status.DUPLICATE)

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

    objects = SignatureQuerySet.as_manager()

    letter = models.ForeignKey(Letter, on_delete=models.PROTECT, related_name="signatures")
    # The organisation is stored three ways (README "Privacy at rest"); use the `organisation`
    # property, which reads and writes them. A public signature names it in clear; a
    # recipient-only or counted-only one keeps it encrypted, so a copy of the database does
    # not tell which organisation signed withheld. Every signature with an organisation has
    # its keyed index, which holds the rule "one counted signature per organisation and
    # letter" whatever the visibility. All three are empty only while a typed name awaits the
    # signer's confirmation (then expired or withdrawn): the organisation is looked up, or
    # created, when they confirm.
    public_organisation = models.ForeignKey(
        "organisations.Organisation",
        on_delete=models.PROTECT,
        related_name="public_signatures",
        null=True,
        blank=True,
        verbose_name=_("organisation (public signatures)"),
    )
    sealed_organisation = EncryptedTextField(
        _("organisation (withheld signatures, encrypted)"), blank=True, editable=False
    )
    organisation_key = models.CharField(max_length=64, blank=True, editable=False)
    # The organisation's name and place as the signer typed them (public form, or an
    # invitation to an organisation not registered); shown back to the signer as typed.
    # Encrypted: what a signer typed may name an organisation that signed withheld.
    proposed_organisation_name = EncryptedTextField(_("organisation as typed"), blank=True)
    proposed_based_in = EncryptedTextField(_("based in, as typed"), blank=True)
    version = models.ForeignKey(
        LetterVersion, on_delete=models.PROTECT, related_name="signatures",
        verbose_name=_("version signed"),
    )  # fmt: skip
    version_hash = models.CharField(_("SHA-256 of the text signed"), max_length=64)
    # The page's language when they signed: their emails are in it. The translation they read
    # beside the authoritative text, if any, and its hash: what binds is version_hash.
    language = models.CharField(_("language"), max_length=10, blank=True)
    translation = models.ForeignKey(
        "letters.LetterTranslation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("translation read"),
    )
    translation_hash = models.CharField(
        _("SHA-256 of the translation read"), max_length=64, blank=True
    )
    # Stored encrypted (core/fields.py): a copy of the database names no signer.
    signer_name = EncryptedTextField(_("name"))
    signer_title = EncryptedTextField(_("title or role"), blank=True)
    signer_email = EncryptedTextField(_("email"))
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
    # Set when the retention period erased the signer's name, title and email (issue 12).
    personal_data_erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)

    class Meta:
        verbose_name = _("signature")
        verbose_name_plural = _("signatures")
        ordering = ["created_at", "id"]
        constraints = [
            # The rule that matters most: one live signature per organisation and letter,
            # enforced where two simultaneous submissions cannot both win.
            # Only confirmed signatures hold the slot (COUNTED): an unconfirmed submission
            # by whoever typed the name must not lock the organisation out.
            # organisation_key is the organisation's keyed index (organisation_index_for):
            # the rule holds for withheld signatures, whose organisation is encrypted, too.
            models.UniqueConstraint(
                fields=["letter", "organisation_key"],
                condition=Q(status__in=["pending_review", "approved"]),
                name="letters_one_counted_signature_per_organisation",
            ),
            models.CheckConstraint(
                condition=~Q(organisation_key="")
                | Q(status__in=["pending_confirmation", "expired", "withdrawn"]),
                name="letters_signature_organisation_once_confirmed",
            ),
            # Public signatures name their organisation in clear, withheld ones never do.
            models.CheckConstraint(
                condition=Q(public_organisation__isnull=True) | Q(visibility="public"),
                name="letters_signature_organisation_clear_only_if_public",
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "pending_confirmation", "pending_review", "approved", "rejected",
                        "withdrawn", "expired", "duplicate",
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
        return f"{self.organisation_name} on {self.letter} ({self.status})"

    # -- The organisation, wherever it is stored ------------------------------------------

    @property
    def organisation(self) -> "Organisation | None":
        """The organisation signing: from the clear link of a public signature, or decrypted
        from a withheld one's (one query, unless `with_organisations` loaded it)."""
        if _ORGANISATION in self.__dict__:
            return self.__dict__[_ORGANISATION]
        organisation = None
        if self.public_organisation_id is not None:
            organisation = self.public_organisation
        elif self.sealed_organisation:
            from organisations.models import Organisation

            organisation = Organisation.objects.get(pk=int(self.sealed_organisation))
        self.__dict__[_ORGANISATION] = organisation
        return organisation

    @organisation.setter
    def organisation(self, organisation: "Organisation | None") -> None:
        self.__dict__[_ORGANISATION] = organisation
        self._place_organisation()

    @property
    def organisation_id(self) -> int | None:
        if self.public_organisation_id is not None:
            return self.public_organisation_id
        organisation = self.organisation
        return organisation.pk if organisation is not None else None

    def _place_organisation(self) -> None:
        """Store the organisation as the visibility asks: in clear for a public signature,
        encrypted otherwise; its keyed index either way."""
        organisation = self.organisation
        if organisation is None:
            self.public_organisation = None
            self.sealed_organisation = ""
            self.organisation_key = ""
            return
        self.organisation_key = organisation_index_for(
            letter_id=self.letter_id, organisation_id=organisation.pk
        )
        if self.visibility == self.Visibility.PUBLIC:
            self.public_organisation = organisation
            self.sealed_organisation = ""
        else:
            self.public_organisation = None
            self.sealed_organisation = str(organisation.pk)
        self.__dict__[_ORGANISATION] = organisation

    def save(self, *args, **kwargs) -> None:
        # Where the organisation is stored depends on the visibility: placed again when either
        # is saved (the setter placed it already; a withheld one is loaded only then).
        update_fields = kwargs.get("update_fields")
        if update_fields is None:
            self._place_organisation()
        else:
            update_fields = set(update_fields)
            if update_fields & {"organisation", "visibility", *ORGANISATION_COLUMNS}:
                self._place_organisation()
                update_fields.discard("organisation")
                update_fields |= set(ORGANISATION_COLUMNS)
            kwargs["update_fields"] = update_fields
        super().save(*args, **kwargs)

    def refresh_from_db(self, *args, **kwargs) -> None:
        self.__dict__.pop(_ORGANISATION, None)
        super().refresh_from_db(*args, **kwargs)

    @property
    def organisation_name(self) -> str:
        """The organisation's name, or the name typed while it awaits confirmation."""
        if self.organisation_id is not None:
            return self.organisation.name
        return self.proposed_organisation_name

    @property
    def confirmed_organisation(self) -> "Organisation":
        """The organisation of a confirmed signature (the database guarantees it has one:
        letters_signature_organisation_once_confirmed)."""
        if self.organisation is None:
            raise ValueError(f"signature {self.pk} ({self.status}) has no organisation yet")
        return self.organisation

    @property
    def name_for_signer(self) -> str:
        """The name the signer's pages and emails show: as they typed it. The registered
        name (its spelling, or the organisation a duplicate was merged into) would tell
        whoever typed it that such an organisation exists."""
        return self.proposed_organisation_name or self.organisation_name

    @property
    def status_for_signer(self) -> str:
        """The status the signer's pages show (a duplicate looks like one awaiting review)."""
        if self.status == self.Status.DUPLICATE:
            return self.Status.PENDING_REVIEW.label
        return self.get_status_display()

    @property
    def is_live(self) -> bool:
        return self.status in self.LIVE

    @property
    def signer_domain(self) -> str:
        return domain_of(self.signer_email)


class PendingSignature(Signature):
    """The moderators' queue: signatures awaiting review, as their own page of the admin
    (letters.admin.moderation.PendingSignatureAdmin). Same table; a proxy has its own permissions."""

    class Meta:
        proxy = True
        verbose_name = _("signature awaiting review")
        verbose_name_plural = _("signatures awaiting review")
