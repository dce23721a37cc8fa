"""Registering organisations, editing their public details, verification by moderators."""

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_moderator
from audit.actions import Action
from audit.services import Event, record_event, record_events
from core.errors import DomainError, NotAllowed

from ..models import (
    Membership,
    Organisation,
    OrganisationFlag,
    lookalike_q,
    max_length_of,
    same_name_q,
    sealed_key,
)
from ..names import lookalike_key, mixes_scripts, normalise_name, validate_detail
from ..permissions import can_manage_organisation
from ..signals import public_details_changed
from .flags import flag_for_moderators

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


def _slug_base(name: str) -> str:
    return slugify(name, allow_unicode=True)[:70].strip("-") or "organisation"


def _free_slugs(names: Sequence[str]) -> list[str]:
    """The one slug rule: for each name its slug, else the slug with "-2", "-3"… appended,
    never a reserved one nor one taken, in the database or by an earlier name of the list.
    Each round asks the database about every name still without a slug at once, so a list
    costs as many queries as the longest run of taken slugs, not one per name."""
    bases = [_slug_base(name) for name in names]
    chosen: list[str] = [""] * len(names)
    suffix = [1] * len(names)
    used = set(RESERVED_SLUGS)
    pending = list(range(len(names)))
    for _round in range(20):
        if not pending:
            break
        candidates = {i: bases[i] if suffix[i] == 1 else f"{bases[i]}-{suffix[i]}" for i in pending}
        taken = set(
            Organisation.objects.filter(slug__in=set(candidates.values())).values_list(
                "slug", flat=True
            )
        )
        still = []
        for i in pending:
            if candidates[i] in taken or candidates[i] in used:
                suffix[i] += 1
                still.append(i)
            else:
                chosen[i] = candidates[i]
                used.add(candidates[i])
        pending = still
    for i in pending:  # pathological: twenty taken in a row
        chosen[i] = f"{bases[i][:60]}-{secrets.token_hex(4)}"
    return chosen


def _ensure_name_free(name: str, *, exclude_pk: int | None = None) -> None:
    """No other organisation with the same normalised name, nor one whose name reads the
    same (the same confusable skeleton: "Аmnesty International" with a Cyrillic А)."""
    same_name = Organisation.objects.filter(same_name_q(name) | lookalike_q(name))
    if exclude_pk is not None:
        same_name = same_name.exclude(pk=exclude_pk)
    # The exact name first, else the oldest lookalike (sealed ones too, by their indexes).
    existing = same_name.filter(same_name_q(name)).first() or same_name.order_by("pk").first()
    if existing is not None:
        raise DuplicateOrganisation(existing)


def check_plain_text(field: str, value: str) -> None:
    """Raise DomainError if `value` holds what no organisation's detail may (names.py)."""
    try:
        validate_detail(field, value)
    except ValidationError as exc:
        raise DomainError(exc.messages[0]) from exc


def _check_details(details: dict[str, str]) -> None:
    for field, value in details.items():
        if value:
            check_plain_text(field, value)


def _flag_mixed_scripts(organisation: Organisation, actor: User | None) -> None:
    if mixes_scripts(organisation.name):
        flag_for_moderators(
            organisation=organisation,
            kind=OrganisationFlag.Kind.MIXED_SCRIPT,
            raised_by=actor,
            note=_("A word of “%(name)s” mixes scripts: check that it is not a lookalike.")
            % {"name": organisation.name},
        )


@transaction.atomic
def create_organisation(
    *,
    name: str,
    created_by: User | None,
    acronym: str = "",
    based_in: str = "",
    website: str = "",
    description: str = "",
    logo: "File[bytes] | None" = None,
    like_hidden: Sequence[Organisation] = (),
    sealed: bool = False,
) -> Organisation:
    """Register an organisation, unverified. Its creator (if any) becomes its first admin.
    `like_hidden`: organisations with a similar name that the creator was not shown (their
    pages are not public); each is flagged for the moderators. `sealed`: it exists only
    because of a withheld signature, so its name is stored encrypted until it has a public
    existence (Organisation.is_sealed, unseal_organisation)."""
    if sealed and created_by is not None:
        raise ValueError("an organisation with a member is not sealed")
    name = " ".join(name.split())
    if not normalise_name(name):
        raise DomainError(_("Enter the organisation's name."))
    _check_details(
        {
            "name": name,
            "acronym": acronym,
            "based_in": based_in,
            "website": website,
            "description": description,
        }
    )
    _ensure_name_free(name)
    organisation = Organisation(
        is_sealed=sealed,
        name=name,
        slug=_sealed_slug() if sealed else _free_slugs([name])[0],
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
    if not sealed:  # the flag's note names it; a sealed one is checked when unsealed
        _flag_mixed_scripts(organisation, created_by)
    for hidden in like_hidden:
        if hidden.is_sealed:
            # A flag tying a name in clear to a sealed organisation would name it (a name
            # *like* it is near enough): a sealed one is never flagged as a lookalike.
            continue
        flag_for_moderators(
            organisation=organisation,
            kind=OrganisationFlag.Kind.LIKE_HIDDEN,
            other=hidden,
            raised_by=created_by,
            note=_("Registered with a name like “%(name)s”, which the registrant was not shown.")
            % {"name": hidden.name},
        )
    return organisation


@transaction.atomic
def refer_registration(
    *, name: str, existing: Organisation, requested_by: User, details: dict[str, str]
) -> None:
    """Someone asked to register `existing`'s name while its page is not public: nothing is
    created and nothing is said to them about it; the moderators get a flag on `existing`
    with who asked and what they typed, to check whether they are its staff. A sealed one
    stays sealed (anyone can type a name; its staff become members through a moderator, which
    unseals it) and its flag holds neither the name nor the details typed, which would name it
    in clear: the moderator sees its name in the admin and asks the requester for the rest."""
    if existing.is_sealed:
        note = _(
            "%(email)s asked to register this organisation's name. It is sealed, so what they "
            "typed is not kept: ask them."
        ) % {"email": requested_by.email}
    else:
        described = "; ".join(f"{key}: {value}" for key, value in details.items() if value)
        note = _("%(email)s asked to register “%(name)s” (%(details)s).") % {
            "email": requested_by.email,
            "name": name,
            "details": described or "-",
        }
    flag_for_moderators(
        organisation=existing,
        kind=OrganisationFlag.Kind.SAME_AS_HIDDEN,
        raised_by=requested_by,
        note=note,
    )


# Names per round of a bulk creation: its IN lists stay far below SQLite's limit on parameters,
# and its audit events are written round by round rather than all at the end.
BULK_CHUNK = 900
MAX_NAME_LENGTH = max_length_of(Organisation, "name")
MAX_BASED_IN_LENGTH = max_length_of(Organisation, "based_in")


@dataclass
class NamedOrganisations:
    """What create_unverified_organisations() gives back."""

    # Every name asked for, by its normalised form: the new organisation, or the one already
    # registered under that name.
    by_name: dict[str, Organisation]
    created: list[Organisation]


@transaction.atomic
def create_unverified_organisations(
    *, names: Iterable[tuple[str, str]], actor: User | None, reason: str = ""
) -> NamedOrganisations:
    """Register, unverified and without members, each organisation of (name, based in) pairs
    that is not registered yet — an invitation import naming thousands. The rules of
    create_organisation (one organisation per normalised name, reserved slugs, an audit event
    each) in a constant number of queries per BULK_CHUNK names. A name already registered, or
    registered meanwhile, gives the existing organisation (the one a duplicate was merged
    into); of names that normalise alike, the first is used."""
    wanted: dict[str, tuple[str, str]] = {}
    for name, based_in in names:
        name, based_in = " ".join(name.split()), " ".join(based_in.split())
        key = normalise_name(name)
        if not key:
            raise DomainError(_("Enter the organisation's name."))
        _check_details({"name": name, "based_in": based_in})
        if len(name) > MAX_NAME_LENGTH or len(based_in) > MAX_BASED_IN_LENGTH:
            raise DomainError(
                _("“%(name)s” is too long for an organisation's name or place.") % {"name": name}
            )
        wanted.setdefault(key, (name, based_in))
    result = NamedOrganisations(by_name={}, created=[])
    keys = list(wanted)
    for start in range(0, len(keys), BULK_CHUNK):
        chunk = {key: wanted[key] for key in keys[start : start + BULK_CHUNK]}
        _existing_into(result, chunk)
        new = {key: chunk[key] for key in chunk if key not in result.by_name}
        if not new:
            continue
        already = len(result.created)
        _create_chunk(result, new)
        record_events(
            events=[
                Event(
                    action=Action.ORGANISATION_CREATED,
                    actor=actor,
                    organisation=organisation,
                    reason=reason,
                )
                for organisation in result.created[already:]
            ]
        )
    return result


def _existing_into(result: NamedOrganisations, chunk: dict[str, tuple[str, str]]) -> None:
    # Sealed organisations are found by the keyed index of their normalised name.
    keys = {key: key for key in chunk} | {sealed_key("name", key): key for key in chunk}
    for organisation in Organisation.objects.filter(normalised_name__in=list(keys)).select_related(
        "merged_into"
    ):
        result.by_name[keys[organisation.normalised_name]] = (
            organisation.merged_into or organisation
        )


def _create_chunk(result: NamedOrganisations, chunk: dict[str, tuple[str, str]]) -> None:
    slugs = _free_slugs([name for name, _based_in in chunk.values()])
    organisations = [
        Organisation(name=name, slug=slug, based_in=based_in)
        for (name, based_in), slug in zip(chunk.values(), slugs, strict=True)
    ]
    for organisation in organisations:
        # bulk_create() does not call save(), which derives the normalised name and key.
        organisation.normalised_name = normalise_name(organisation.name)
        organisation.lookalike_key = lookalike_key(organisation.name)
    try:
        # A savepoint: someone registering one of these names meanwhile must leave the
        # transaction usable for the one-at-a-time path below.
        with transaction.atomic():
            Organisation.objects.bulk_create(organisations)
    except IntegrityError:
        for organisation in organisations:
            _create_one(result, organisation)
        return
    result.created.extend(organisations)
    result.by_name.update((o.normalised_name, o) for o in organisations)


def _create_one(result: NamedOrganisations, organisation: Organisation) -> None:
    organisation.slug = _free_slugs([organisation.name])[0]
    try:
        with transaction.atomic():
            organisation.save(force_insert=True)
    except IntegrityError:
        existing = (
            Organisation.objects.filter(same_name_q(organisation.name))
            .select_related("merged_into")
            .first()
        )
        if existing is None:  # lost a race on the slug, not the name: let the caller retry
            raise
        result.by_name[normalise_name(organisation.name)] = existing.merged_into or existing
        return
    result.created.append(organisation)
    result.by_name[organisation.normalised_name] = organisation


@transaction.atomic
def update_organisation(
    *,
    organisation: Organisation,
    actor: User,
    logo: "File[bytes] | None" = None,
    clear_logo: bool = False,
    **changes: str,
) -> Organisation:
    """Edit the public details of an organisation (its admins or a moderator). A sealed one
    edited by a moderator stays sealed (a correction is no public existence); edited by anyone
    else (its administrators, who unsealed it by joining) it is unsealed first."""
    if not can_manage_organisation(actor, organisation):
        raise NotAllowed(_("Only the organisation's administrators can edit it."))
    if organisation.is_sealed and not is_moderator(actor):
        organisation = unseal_organisation(organisation=organisation)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    _check_details(changes)
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
    if "name" in changed and not organisation.is_sealed:  # its note names it; see unseal
        _flag_mixed_scripts(organisation, actor)
    if unverify:
        record_event(
            action=Action.ORGANISATION_UNVERIFIED,
            organisation=organisation,
            reason=_("Renamed by its administrators; a moderator must verify it again."),
        )
    return organisation


def _sealed_slug() -> str:
    """A sealed organisation's slug: random, so that it says nothing of its name."""
    return f"o-{secrets.token_hex(5)}"


@transaction.atomic
def seal_organisation(*, organisation: Organisation) -> bool:
    """The organisation is known now only through withheld signatures (the letters app says
    so: a signature narrowed): its name and details are stored encrypted again, unless it has
    a public existence of its own (verified, a member, an email domain). True if sealed."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if (
        organisation.is_sealed
        or organisation.is_verified
        or organisation.merged_into_id is not None
        or organisation.memberships.exists()
        or organisation.email_domains.exists()
    ):
        return False
    organisation.is_sealed = True
    organisation.slug = _sealed_slug()
    organisation.save()
    # Notes written while it was in clear may name it (a mixed-script name, a registration
    # like it): they are replaced, the flags themselves kept for the moderators.
    OrganisationFlag.objects.filter(Q(organisation=organisation) | Q(other=organisation)).exclude(
        note=""
    ).update(
        note=_("(Note removed when the organisation was sealed: it named the organisation.)"),
        updated_at=timezone.now(),
    )
    record_event(action=Action.ORGANISATION_SEALED, organisation=organisation)
    return True


@transaction.atomic
def unseal_organisation(*, organisation: Organisation) -> Organisation:
    """The organisation has a public existence now (verified, a member, a public signature):
    its name, details and keys are stored in clear, with a slug made from its name. Idempotent."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not organisation.is_sealed:
        return organisation
    organisation.is_sealed = False
    organisation.slug = _free_slugs([organisation.name])[0]
    organisation.save()
    record_event(action=Action.ORGANISATION_UNSEALED, organisation=organisation)
    _flag_mixed_scripts(organisation, None)
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
    if verified and organisation.is_sealed:
        organisation = unseal_organisation(organisation=organisation)  # vouched for: public
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
