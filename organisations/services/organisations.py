"""Registering organisations, editing their public details, verification by moderators."""

from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_moderator
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, NotAllowed

from ..models import Membership, Organisation
from ..names import normalise_name
from ..permissions import can_manage_organisation
from ..signals import public_details_changed

EDITABLE_FIELDS = ("name", "acronym", "based_in", "website", "description")
# What lists of signatories show of an organisation: a change is announced to other apps.
PUBLIC_LIST_FIELDS = {"name", "acronym", "based_in"}


class DuplicateOrganisation(DomainError):
    """An organisation with the same normalised name exists already."""

    def __init__(self, existing: Organisation) -> None:
        super().__init__(
            _("An organisation called “%(name)s” is already registered.") % {"name": existing.name}
        )
        self.existing = existing


# Path segments under /organisations/ that are pages, not organisations.
RESERVED_SLUGS = frozenset({"new", "mine", "search", "page", "invitations"})


def _unique_slug(name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name, allow_unicode=True)[:70].strip("-") or "organisation"
    slug, n = base, 1
    taken = Organisation.objects.exclude(pk=exclude_pk)
    while slug in RESERVED_SLUGS or taken.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _ensure_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    existing = (
        Organisation.objects.filter(normalised_name=normalise_name(name))
        .exclude(pk=exclude_pk)
        .first()
    )
    if existing is not None:
        raise DuplicateOrganisation(existing)


@transaction.atomic
def create_organisation(
    *,
    name: str,
    created_by: User | None,
    acronym: str = "",
    based_in: str = "",
    website: str = "",
    description: str = "",
    logo: File | None = None,
) -> Organisation:
    """Register an organisation, unverified. Its creator (if any) becomes its first admin."""
    name = " ".join(name.split())
    if not normalise_name(name):
        raise DomainError(_("Enter the organisation's name."))
    _ensure_name_free(name)
    organisation = Organisation(
        name=name,
        slug=_unique_slug(name),
        acronym=acronym.strip(),
        based_in=" ".join(based_in.split()),
        website=website,
        description=description.strip(),
    )
    if logo is not None:
        organisation.logo = logo
    try:
        # A savepoint, so that losing a race on the unique name leaves the outer
        # transaction usable for the clear error below.
        with transaction.atomic():
            organisation.save()
    except IntegrityError:
        _ensure_name_free(name)
        raise
    if created_by is not None:
        Membership.objects.create(
            organisation=organisation,
            user=created_by,
            role=Membership.Role.ADMIN,
            added_by=created_by,
        )
    record_event(action=Action.ORGANISATION_CREATED, actor=created_by, organisation=organisation)
    return organisation


@transaction.atomic
def update_organisation(
    *,
    organisation: Organisation,
    actor: User,
    logo: File | None = None,
    clear_logo: bool = False,
    **changes: str,
) -> Organisation:
    """Edit the public details of an organisation (its admins or a moderator)."""
    if not can_manage_organisation(actor, organisation):
        raise NotAllowed(_("Only the organisation's administrators can edit it."))
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    if "name" in changes:
        changes["name"] = " ".join(changes["name"].split())
        if not normalise_name(changes["name"]):
            raise DomainError(_("Enter the organisation's name."))
        _ensure_name_free(changes["name"], exclude_pk=organisation.pk)
    changed = sorted(k for k, v in changes.items() if getattr(organisation, k) != v)
    for field in changed:
        setattr(organisation, field, changes[field])
    if clear_logo and organisation.logo:
        organisation.logo.delete(save=False)
        organisation.logo = ""
        changed.append("logo")
    elif logo is not None:
        organisation.logo = logo
        changed.append("logo")
    if not changed:
        return organisation
    # A moderator vouched for the organisation under its old name; a new name ("Amnesty
    # Intl") must be checked again, unless a moderator is the one renaming it.
    unverify = "name" in changed and organisation.is_verified and not is_moderator(actor)
    if unverify:
        organisation.is_verified = False
        organisation.verified_at = None
        organisation.verified_by = None
    organisation.save()
    if set(changed) & PUBLIC_LIST_FIELDS:
        public_details_changed.send(sender=Organisation, organisation=organisation, fields=changed)
    record_event(
        action=Action.ORGANISATION_UPDATED,
        actor=actor,
        organisation=organisation,
        data={"fields": changed},
    )
    if unverify:
        record_event(
            action=Action.ORGANISATION_UNVERIFIED,
            organisation=organisation,
            reason=_("Renamed by its administrators; a moderator must verify it again."),
        )
    return organisation


@transaction.atomic
def verify_organisation(
    *, organisation: Organisation, moderator: User, verified: bool = True
) -> Organisation:
    """A moderator vouches (or stops vouching) that the organisation is real."""
    if not is_moderator(moderator):
        raise NotAllowed(_("Only moderators can verify organisations."))
    if organisation.is_verified == verified:
        return organisation
    organisation.is_verified = verified
    organisation.verified_at = timezone.now() if verified else None
    organisation.verified_by = moderator if verified else None
    organisation.save(update_fields=["is_verified", "verified_at", "verified_by", "updated_at"])
    record_event(
        action=Action.ORGANISATION_VERIFIED if verified else Action.ORGANISATION_UNVERIFIED,
        actor=moderator,
        organisation=organisation,
    )
    return organisation
