"""Inviting from a CSV file: the upload kept for its preview (InvitationImport), corrections,
cancellation, and the one transaction that sends it — new unverified organisations, the
invitations and their emails, in chunks so that 10,000 rows never sit in memory at once."""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, TransitionError
from organisations import services as organisation_services
from organisations.names import normalise_name

from .. import contact_lists, emails, selectors
from ..models import Invitation, InvitationImport, Letter
from ..models.invitations import email_index
from .invitations import check_can_invite, new_link

# Rows created per round of an import (invitations, organisations, emails).
IMPORT_CHUNK = 1000


def _chunks[T](values: list[T], size: int = 900) -> Iterable[list[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


# --- The upload and its preview --------------------------------------------------------------------------


@transaction.atomic(durable=True)
def start_import(
    *, letter: Letter, actor: User, parsed: contact_lists.ParsedFile, filename: str
) -> InvitationImport:
    """Keep an uploaded file's rows server-side for the preview; nothing is invited yet."""
    check_can_invite(letter, actor)
    return InvitationImport.objects.create(
        letter=letter,
        created_by=actor,
        filename=filename[:255],
        rows=contact_lists.check_rows(parsed.rows),
    )


def _pending_import(invitation_import: InvitationImport, actor: User) -> InvitationImport:
    locked = (
        InvitationImport.objects.select_for_update(of=("self",))
        .select_related("letter")
        .get(pk=invitation_import.pk)
    )
    check_can_invite(locked.letter, actor)
    if locked.status != InvitationImport.Status.PENDING:
        raise TransitionError(_("This file has already been sent or cancelled."))
    return locked


@transaction.atomic(durable=True)
def fix_import_rows(
    *,
    invitation_import: InvitationImport,
    actor: User,
    changes: dict[int, dict[str, str]] | None = None,
    drop: Iterable[int] = (),
    drop_invalid: bool = False,
) -> InvitationImport:
    """The coordinator corrects rows of the preview ({line: {column: value}}), drops some, or
    drops every row that still has a problem. Every row is checked again (a fix can create or
    resolve a duplicate)."""
    invitation_import = _pending_import(invitation_import, actor)
    changes = changes or {}
    drop = set(drop)
    rows = []
    for row in invitation_import.rows:
        line = row["line"]
        if line in drop or (drop_invalid and row["errors"]):
            continue
        if line in changes:
            row = {**row, **{k: v for k, v in changes[line].items() if k in contact_lists.COLUMNS}}
            row.pop("extra_cells", None)  # the coordinator has now placed each cell
        rows.append(row)
    if not rows:
        raise DomainError(_("That would leave no contacts. Cancel the upload instead."))
    invitation_import.rows = contact_lists.check_rows(rows)
    invitation_import.save(update_fields=["rows", "updated_at"])
    return invitation_import


@transaction.atomic(durable=True)
def cancel_import(*, invitation_import: InvitationImport, actor: User) -> InvitationImport:
    invitation_import = _pending_import(invitation_import, actor)
    invitation_import.status = InvitationImport.Status.CANCELLED
    invitation_import.rows = []  # contact details are kept no longer than needed
    invitation_import.save(update_fields=["status", "rows", "updated_at"])
    return invitation_import


@transaction.atomic(durable=True)
def confirm_import(*, invitation_import: InvitationImport, actor: User) -> list[int]:
    """Invite every new contact of a checked file, all or none: the invitations, any new
    (unverified) organisations and the outbox rows are written in this one transaction, and
    the emails go out after it commits. Rows already invited or already signed are skipped;
    a file with a row still in error invites nobody. Returns the new invitations' ids."""
    invitation_import = _pending_import(invitation_import, actor)
    # Ordered with the letter's opening (its row lock): on a draft the invitations are held,
    # and the opening sends them; see services.invitations.send_held_invitations.
    letter = Letter.objects.select_for_update().get(pk=invitation_import.letter_id)
    held = letter.status == Letter.Status.DRAFT
    invalid = sum(1 for row in invitation_import.rows if row["errors"])
    if invalid:
        raise DomainError(
            _(
                "%(count)s rows still have a problem. Fix or drop them: nobody is invited until "
                "every row can be."
            )
            % {"count": invalid}
        )
    preview = selectors.classify_import_rows(letter, invitation_import.rows)
    new_rows = [row for row in preview if row.state == selectors.RowState.NEW]
    skipped = len(preview) - len(new_rows)
    # What follows needs only the new rows: the file's rows (saved empty below) and the
    # others' classification are let go before the chunks begin.
    invitation_import.rows = []
    del preview

    # In chunks, so that a 10,000-row file never holds 10,000 invitations, their emails or
    # their new organisations in memory at once; still one transaction. The organisations a
    # chunk names are registered with it (kept after it only as id and name, for a later row
    # naming the same one); then the emails (their key is the link's hash, not the
    # invitation's id), so that each invitation is inserted once, pointing at its email.
    named: dict[str, tuple[int, str]] = {}  # normalised name → (id, name) of a new one
    organisations_created = 0
    invitation_ids: list[int] = []
    for rows in _chunks(new_rows, IMPORT_CHUNK):
        unnamed = [
            (row.organisation, row.based_in)
            for row in rows
            if row.match.organisation is None and normalise_name(row.organisation) not in named
        ]
        if unnamed:
            registered = organisation_services.create_unverified_organisations(
                names=unnamed, actor=actor, reason=_("Named in an invitation")
            )
            organisations_created += len(registered.created)
            named.update((key, (o.pk, o.name)) for key, o in registered.by_name.items())
            del registered
        pairs: list[tuple[Invitation, str]] = []
        for row in rows:
            if row.match.organisation is not None:
                organisation_id, organisation_name = (
                    row.match.organisation.pk,
                    row.match.organisation.name,
                )
            else:
                organisation_id, organisation_name = named[normalise_name(row.organisation)]
            seed, secret, token_hash = new_link()
            invitation = Invitation(
                letter=letter,
                organisation_id=organisation_id,
                organisation_name=organisation_name,
                contact_name=row.contact_name,
                email=row.email,
                email_index=email_index(row.email),
                language=row.language or letter.language,
                token_seed=seed,
                token_hash=token_hash,
                invited_by=actor,
            )
            pairs.append((invitation, secret))
        invitations = [invitation for invitation, _secret in pairs]
        if not held:
            for invitation, email_id in zip(invitations, emails.invitations(pairs), strict=True):
                invitation.outbound_email_id = email_id
        try:
            with transaction.atomic():
                Invitation.objects.bulk_create(invitations)
        except IntegrityError as exc:  # the whole transaction, emails included, is rolled back
            raise DomainError(
                _(
                    "Someone invited some of these addresses while you were checking the file. "
                    "Look at the preview again: those rows now show as already invited."
                )
            ) from exc
        invitation_ids.extend(invitation.pk for invitation in invitations)

    invitation_import.status = InvitationImport.Status.CONFIRMED
    invitation_import.invited_count = len(invitation_ids)
    invitation_import.confirmed_at = timezone.now()
    invitation_import.save(
        update_fields=["status", "invited_count", "confirmed_at", "rows", "updated_at"]
    )
    record_event(
        action=Action.INVITATIONS_IMPORTED,
        actor=actor,
        target=letter,
        data={
            "import_id": invitation_import.pk,
            "file": invitation_import.filename,
            "invited": len(invitation_ids),
            "skipped": skipped,
            "organisations_created": organisations_created,
            "invitation_ids": invitation_ids,
        },
    )
    return invitation_ids


def purge_stale_imports(*, now: dt.datetime | None = None) -> int:
    """Beat: uploaded files never confirmed are deleted after a day (contact details)."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=settings.INVITATION_IMPORT_KEEP_HOURS)
    deleted, _by_model = InvitationImport.objects.filter(
        status=InvitationImport.Status.PENDING, created_at__lt=cutoff
    ).delete()
    # `rows` is encrypted: SQL cannot tell an empty list, the few answered imports are read.
    leftover = [
        pk
        for pk, rows in InvitationImport.objects.exclude(
            status=InvitationImport.Status.PENDING
        ).values_list("pk", "rows")
        if rows
    ]
    InvitationImport.objects.filter(pk__in=leftover).update(rows=[])
    return deleted
