"""Flags for moderators: what the site noticed about an organisation and must not tell the
person who caused it (a name like a hidden organisation's), or that a person should check (a
name mixing scripts, a lookalike). Raised in the transaction of the change that caused them;
resolved by a moderator in the admin."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_moderator
from core.errors import NotAllowed

from ..models import Organisation, OrganisationFlag


def flag_for_moderators(
    *,
    organisation: Organisation,
    kind: str,
    other: Organisation | None = None,
    note: str = "",
    raised_by: User | None = None,
) -> OrganisationFlag:
    """One open flag per organisation, kind and other organisation: raising it again adds
    nothing but the latest note."""
    flag = OrganisationFlag.objects.filter(
        organisation=organisation, kind=kind, other=other, resolved_at__isnull=True
    ).first()
    if flag is not None:
        if note and note not in flag.note:
            flag.note = f"{flag.note}\n{note}".strip()
            flag.save(update_fields=["note", "updated_at"])
        return flag
    return OrganisationFlag.objects.create(
        organisation=organisation,
        kind=kind,
        other=other,
        note=note,
        raised_by=raised_by if raised_by is not None and raised_by.is_authenticated else None,
    )


@transaction.atomic
def resolve_flags(*, flags: list[OrganisationFlag], moderator: User) -> int:
    if not is_moderator(moderator):
        raise NotAllowed(_("Only moderators can resolve flags."))
    return OrganisationFlag.objects.filter(
        pk__in=[f.pk for f in flags], resolved_at__isnull=True
    ).update(resolved_at=timezone.now(), resolved_by=moderator, updated_at=timezone.now())
