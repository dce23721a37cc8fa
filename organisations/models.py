import hashlib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.crypto import blind_index
from core.fields import SealableCharField, SealableTextField, SealableURLField
from core.models import TimeStampedModel

from .names import lookalike_key, normalise_name


def sealed_key(kind: str, key: str) -> str:
    """A sealed organisation's normalised name or lookalike key, as stored: a keyed index, so
    that the unique constraint and exact lookups still hold without the name in clear."""
    return "hmac:" + blind_index(f"organisations.organisation.{kind}", key)


def same_name_q(name: str) -> models.Q:
    """Organisations named `name` (normalised), sealed or not."""
    key = normalise_name(name)
    return models.Q(normalised_name__in=[key, sealed_key("name", key)])


def lookalike_q(name: str) -> models.Q:
    """Organisations whose name reads like `name` (same skeleton), sealed or not."""
    key = lookalike_key(name)
    return models.Q(lookalike_key__in=[key, sealed_key("lookalike", key)])


class Organisation(TimeStampedModel):
    """An organisation that can sign letters. Created by its staff or proposed through the
    sign form; unverified until a moderator checks it."""

    # Sealed: exists only because of a withheld (recipient-only or counted-only) signature, so
    # a copy of the database must not name it. Its name, acronym, place and description are
    # then stored encrypted, its normalised name and lookalike key as keyed indexes
    # (sealed_key), its slug is random; it has no public page. Unsealed (in clear) as soon as
    # it has a public existence: verified, a member, a public signature (README "Privacy at
    # rest"; organisations.services.unseal_organisation).
    is_sealed = models.BooleanField(_("sealed (name encrypted)"), default=False)
    name = SealableCharField(_("name"), max_length=200)
    # Case-, space- and punctuation-insensitive key kept unique by the database, so that
    # "Human Rights Watch" and "human-rights watch" cannot both exist.
    normalised_name = models.CharField(max_length=200, editable=False)
    # The normalised UTS #39 skeleton: "Аmnesty International" (Cyrillic А) and "Amnesty
    # InternationaI" share "Amnesty International"'s. Not unique (the services refuse a
    # registration whose key is taken; an older pair stays for moderators to merge).
    lookalike_key = models.CharField(max_length=600, editable=False, db_index=True, default="")
    slug = models.SlugField(_("slug"), max_length=80, unique=True, allow_unicode=True)
    acronym = SealableCharField(_("acronym"), max_length=30, blank=True)
    based_in = SealableCharField(
        _("based in"),
        max_length=100,
        blank=True,
        help_text=_("Where the organisation works or is based, in its own words."),
    )
    website = SealableURLField(_("website"), blank=True, max_length=300)
    description = SealableTextField(_("description"), blank=True, max_length=2000)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)
    is_verified = models.BooleanField(_("verified"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_from",
        help_text=_("Set when a moderator merged this duplicate into another organisation."),
    )
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        through_fields=("organisation", "user"),
        related_name="organisations",
    )

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["normalised_name"], name="organisations_unique_normalised_name"
            ),
            models.CheckConstraint(
                condition=~models.Q(normalised_name=""), name="organisations_name_not_blank"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        # A derived column, not domain logic: it must always match the name.
        self.normalised_name = normalise_name(self.name)
        self.lookalike_key = lookalike_key(self.name)
        if self.is_sealed:
            self.normalised_name = sealed_key("name", self.normalised_name)
            self.lookalike_key = sealed_key("lookalike", self.lookalike_key)
        if "update_fields" in kwargs and kwargs["update_fields"] is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "normalised_name", "lookalike_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("organisations:detail", kwargs={"slug": self.slug})

    @property
    def display_name(self) -> str:
        if self.acronym and self.acronym.casefold() not in self.name.casefold():
            return f"{self.name} ({self.acronym})"
        return self.name


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        ADMIN = "admin", _("Administrator")
        MEMBER = "member", _("Member")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.MEMBER)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering = ["organisation__name", "user__email"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"], name="organisations_one_membership_per_user"
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["admin", "member"]),
                name="organisations_membership_role_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.get_role_display()})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class EmailDomain(TimeStampedModel):
    """An email domain the organisation uses. Once a moderator has verified it, a signer whose
    address is at this domain has the authority to sign for the organisation."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="email_domains"
    )
    domain = models.CharField(_("domain"), max_length=253)
    is_verified = models.BooleanField(_("verified"), default=False)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("email domain")
        verbose_name_plural = _("email domains")
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "domain"], name="organisations_domain_once_per_org"
            ),
            # A verified domain proves authority for exactly one organisation.
            models.UniqueConstraint(
                fields=["domain"],
                condition=models.Q(is_verified=True),
                name="organisations_verified_domain_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class MembershipInvitation(TimeStampedModel):
    """An emailed invitation to join an organisation, accepted by the owner of the address.

    Admins never learn whether an address has an account: they invite, and the invitee
    accepts while logged in with that address confirmed. The link carries a random secret;
    the database keeps only its SHA-256, so a leaked database does not leak working links.
    """

    VALID_FOR = timedelta(days=14)

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="membership_invitations"
    )
    email = models.EmailField(_("email address"), max_length=254)
    role = models.CharField(
        _("role"), max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    responded_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership invitation")
        verbose_name_plural = _("membership invitations")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "accepted", "revoked", "expired"]),
                name="organisations_invitation_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(role__in=["admin", "member"]),
                name="organisations_invitation_role_valid",
            ),
            # Inviting an address twice must not send it a second live link.
            models.UniqueConstraint(
                "organisation",
                Lower("email"),
                condition=models.Q(status="pending"),
                name="organisations_one_pending_invitation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organisation} ({self.get_status_display()})"

    @staticmethod
    def hash_secret(secret: str) -> str:
        return hashlib.sha256(secret.encode("utf-8")).hexdigest()

    @property
    def expires_at(self) -> datetime:
        return self.created_at + self.VALID_FOR

    @property
    def is_expired(self) -> bool:
        """Past its date, whether or not a sweep has marked it "expired" yet."""
        if self.status == self.Status.EXPIRED:
            return True
        return self.status == self.Status.PENDING and timezone.now() >= self.expires_at

    @property
    def is_acceptable(self) -> bool:
        return self.status == self.Status.PENDING and not self.is_expired


def max_length_of(model: type[models.Model], field: str) -> int:
    """A CharField's max_length, for the services' own checks before an insert."""
    length = model._meta.get_field(field).max_length
    if length is None:
        raise TypeError(f"{model.__name__}.{field} has no max_length")
    return length


class OrganisationFlag(TimeStampedModel):
    """Something about an organisation that a moderator should look at, raised by the site
    rather than shown to the person who caused it: a registration like an organisation whose
    page is not public, a name mixing scripts within a word, a name that looks like another."""

    class Kind(models.TextChoices):
        SAME_AS_HIDDEN = "same_as_hidden", _("Registration with the name of a hidden organisation")
        LIKE_HIDDEN = "like_hidden", _("Name like a hidden organisation's")
        MIXED_SCRIPT = "mixed_script", _("Name mixes scripts within a word")
        LOOKALIKE = "lookalike", _("Name looks like another organisation's")
        NO_ADMIN = "no_admin", _("No administrator left (an account was deleted)")

    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        on_delete=models.CASCADE,
        related_name="flags",
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    other = models.ForeignKey(
        Organisation,
        verbose_name=_("the other organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caused by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("organisation flag")
        verbose_name_plural = _("organisation flags")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    kind__in=[
                        "same_as_hidden",
                        "like_hidden",
                        "mixed_script",
                        "lookalike",
                        "no_admin",
                    ]
                ),
                name="organisations_flag_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.organisation}: {self.get_kind_display()}"


class MembershipRequest(TimeStampedModel):
    """A person asking to be a member of an organisation, answered by its admins (or a
    moderator). Made by a merge: the members of a duplicate are not moved into the
    organisation it duplicates, since whoever registered a lookalike would otherwise become an
    administrator of the real one."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Awaiting an answer")
        APPROVED = "approved", _("Approved")
        DECLINED = "declined", _("Declined")

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="membership_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership_requests"
    )
    # What they were in the duplicate, for the admins' information; approval makes a member.
    previous_role = models.CharField(
        _("role in the merged organisation"), max_length=10, choices=Membership.Role.choices
    )
    merged_from = models.ForeignKey(
        Organisation,
        verbose_name=_("merged from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        verbose_name = _("membership request")
        verbose_name_plural = _("membership requests")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "approved", "declined"]),
                name="organisations_request_status_valid",
            ),
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=models.Q(status="pending"),
                name="organisations_one_pending_request",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.organisation} ({self.get_status_display()})"
