"""Lifting the embargo of an open (or closed) letter: its list becomes public before
publication. Never silent (issue 11, item 6): every signer whose organisation would be named is
emailed when a coordinator asks, with the link to narrow the signature's visibility or withdraw
it, and the list becomes public only after settings.EMBARGO_LIFT_NOTICE_HOURS.

States: embargoed (embargo_lift_at None, signatories_public_while_open False)
  → request_embargo_lift → pending (embargo_lift_at set)
  → lift_due_embargoes once due → public (signatories_public_while_open True)
  pending → cancel_embargo_lift → embargoed.
Publishing the letter makes the list public anyway; a pending lift is then dropped.
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.actions import Action
from audit.services import record_event
from core.errors import NotAllowed, TransitionError

from .. import emails
from ..models import Letter, Signature
from ..permissions import can_edit_letter
from .publication import invalidate_public_list

S = Letter.Status
# Signatures whose organisation the lifted list names, now or once approved.
NAMED_STATUSES = (Signature.Status.APPROVED, Signature.Status.PENDING_REVIEW)


def _lock(letter: Letter) -> Letter:
    return Letter.objects.select_for_update().get(pk=letter.pk)


def _require_editor(actor: User, letter: Letter) -> None:
    if not can_edit_letter(actor, letter):
        raise NotAllowed(_("Only the letter's coordinators can do this."))


def signers_to_notify(letter: Letter) -> "QuerySet[Signature]":
    """The signatures the lifted list would name: public, approved or awaiting review."""
    return Signature.objects.filter(
        letter=letter, status__in=NAMED_STATUSES, visibility=Signature.Visibility.PUBLIC
    )


def _notify(letter: Letter) -> int:
    if letter.embargo_lift_at is None:
        return 0
    return emails.embargo_lift_notices(
        signers_to_notify(letter).select_related("public_organisation", "version").order_by("pk"),
        letter=letter,
        lift_at=letter.embargo_lift_at,
    )


@transaction.atomic(durable=True)
def request_embargo_lift(*, letter: Letter, actor: User) -> Letter:
    """A coordinator asks for the list to become public while the letter collects. Every
    signer it would name is emailed now; the list turns public after the notice period."""
    letter = _lock(letter)
    _require_editor(actor, letter)
    if letter.status not in {S.OPEN, S.CLOSED}:
        raise TransitionError(
            _("Only the list of an open or closed letter can be made public before publication.")
        )
    if letter.signatories_public_while_open:
        raise TransitionError(_("The list of signatories is already public."))
    if letter.embargo_lift_at is not None:
        raise TransitionError(_("The list is already due to become public."))
    letter.embargo_lift_at = timezone.now() + dt.timedelta(hours=settings.EMBARGO_LIFT_NOTICE_HOURS)
    letter.save(update_fields=["embargo_lift_at", "updated_at"])
    notified = _notify(letter)
    record_event(
        action=Action.LETTER_EMBARGO_LIFT_REQUESTED,
        actor=actor,
        target=letter,
        data={"lift_at": letter.embargo_lift_at.isoformat(), "notified": notified},
    )
    return letter


@transaction.atomic(durable=True)
def cancel_embargo_lift(*, letter: Letter, actor: User) -> Letter:
    """The list stays private: a pending lift is called off."""
    letter = _lock(letter)
    _require_editor(actor, letter)
    if letter.embargo_lift_at is None:
        raise TransitionError(_("No change of the list's visibility is pending."))
    letter.embargo_lift_at = None
    letter.save(update_fields=["embargo_lift_at", "updated_at"])
    record_event(action=Action.LETTER_EMBARGO_LIFT_CANCELLED, actor=actor, target=letter)
    return letter


@transaction.atomic(durable=True)
def _lift(letter_id: int, now: dt.datetime) -> bool:
    letter = Letter.objects.select_for_update().get(pk=letter_id)
    if letter.embargo_lift_at is None or letter.embargo_lift_at > now:
        return False  # cancelled or moved meanwhile
    if letter.status not in {S.OPEN, S.CLOSED}:
        letter.embargo_lift_at = None  # published (public anyway) meanwhile
        letter.save(update_fields=["embargo_lift_at", "updated_at"])
        return False
    # Anyone who signed during the notice period and was not told yet is told now (the
    # notices share one dedupe key per lift: nobody is emailed twice).
    _notify(letter)
    letter.embargo_lift_at = None
    letter.signatories_public_while_open = True
    letter.save(update_fields=["embargo_lift_at", "signatories_public_while_open", "updated_at"])
    invalidate_public_list(letter_ids=[letter.pk])
    record_event(action=Action.LETTER_EMBARGO_LIFTED, actor=None, target=letter)
    return True


def lift_due_embargoes(*, now: dt.datetime | None = None) -> list[int]:
    """Make public the lists whose notice period has ended. Idempotent."""
    now = now or timezone.now()
    due = Letter.objects.filter(embargo_lift_at__lte=now).values_list("pk", flat=True)
    return [pk for pk in list(due) if _lift(pk, now)]
