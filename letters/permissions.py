"""Who may do what with a letter (DESIGN.md §7).

Fetch-and-authorise helpers answer "not found" both for a letter that does not exist and for
one the user may not see, so a draft's existence never leaks.
"""

from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from accounts.models import User
from accounts.roles import is_coordinator, is_moderator

from . import selectors
from .models import Letter, LetterCoordinator


def can_create_letters(user: User | AnonymousUser) -> bool:
    return is_coordinator(user)


def coordinator_role(user: User | AnonymousUser, letter: Letter) -> LetterCoordinator | None:
    if not user.is_authenticated:
        return None
    # Asked several times per request (page, menu, buttons): one query per letter and user.
    cache: dict[int, LetterCoordinator | None] = letter.__dict__.setdefault(
        "_coordinator_roles", {}
    )
    if user.pk not in cache:
        cache[user.pk] = LetterCoordinator.objects.filter(letter=letter, user=user).first()
    return cache[user.pk]


def can_edit_letter(user: User | AnonymousUser, letter: Letter) -> bool:
    """Any coordinator of the letter edits its text, settings and lifecycle."""
    return coordinator_role(user, letter) is not None


def can_manage_coordinators(user: User | AnonymousUser, letter: Letter) -> bool:
    role = coordinator_role(user, letter)
    return role is not None and role.is_owner


def can_moderate(user: User | AnonymousUser, letter: Letter) -> bool:
    """Moderators decide everywhere; a letter's coordinators only when a moderator delegated
    its review to them (letter.coordinators_moderate)."""
    if is_moderator(user):
        return True
    return letter.coordinators_moderate and coordinator_role(user, letter) is not None


def get_visible_letter(user: User | AnonymousUser, slug: str) -> Letter:
    """The letter at `slug` if `user` may read it; 404 otherwise (drafts included)."""
    if not user.is_authenticated:  # what the public may read: one query compiled once
        letter = selectors.public_letter(slug)
    else:
        letter = Letter.objects.visible_to(user).filter(slug=slug).first()
    if letter is None:
        raise Http404
    return letter


def get_coordinated_letter(user: User | AnonymousUser, slug: str) -> Letter:
    """The letter at `slug` if `user` coordinates it; 404 otherwise, whatever its state."""
    letter = Letter.objects.filter(slug=slug).first()
    if letter is None or not can_edit_letter(user, letter):
        raise Http404
    return letter


def get_letter_for_records(user: User | AnonymousUser, slug: str) -> Letter:
    """The letter at `slug` if `user` may read its records (signers' contacts, invitations,
    the recipient edition): its coordinators, whatever its state; moderators, unless it is a
    draft (DESIGN.md §7, "read"). 404 otherwise: a draft's existence never leaks."""
    letter = Letter.objects.filter(slug=slug).first()
    if letter is None:
        raise Http404
    if can_edit_letter(user, letter):
        return letter
    if is_moderator(user) and not letter.is_draft:
        return letter
    raise Http404
