"""Delegating the review of a letter's signatures to its coordinators (a moderator's choice)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_moderator
from audit.actions import Action
from audit.services import record_event
from core.errors import NotAllowed

from ..models import Letter


# Not durable: the admin runs change-form actions inside its own transaction.
@transaction.atomic
def set_review_delegation(*, letter: Letter, moderator: User, delegated: bool) -> Letter:
    """Let the letter's coordinators approve and reject its signatures, or take that back.
    Setting what is already set changes nothing and records nothing."""
    if not is_moderator(moderator):
        raise NotAllowed(_("Only moderators can delegate the review of signatures."))
    changed = Letter.objects.filter(pk=letter.pk, coordinators_moderate=not delegated).update(
        coordinators_moderate=delegated, updated_at=timezone.now()
    )
    letter.coordinators_moderate = delegated
    if changed:
        record_event(
            action=Action.LETTER_REVIEW_DELEGATED if delegated else Action.LETTER_REVIEW_TAKEN_BACK,
            actor=moderator,
            target=letter,
        )
    return letter
