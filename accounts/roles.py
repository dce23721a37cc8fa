"""The roles a user can hold, and which of them count as staff (and so must use 2FA).

Roles are Django groups so that an administrator can grant them in the admin. The letters app
gives the Coordinators group its permissions; the moderation work gives the Moderators group
its own (DESIGN.md §7).
"""

from django.contrib.auth.models import AnonymousUser

from .models import User

COORDINATORS = "Coordinators"
MODERATORS = "Moderators"
STAFF_GROUPS = frozenset({COORDINATORS, MODERATORS})


def _group_names(user: User) -> frozenset[str]:
    # Cached on the user object: navigation and the 2FA middleware ask on every request.
    cached = getattr(user, "_undersigned_group_names", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._undersigned_group_names = cached
    return cached


def is_coordinator(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and COORDINATORS in _group_names(user))


def is_moderator(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or MODERATORS in _group_names(user)))


def is_staff_role(user: User | AnonymousUser) -> bool:
    """Staff in the sense of DESIGN.md §7: coordinators, moderators, admin-site users."""
    if not user.is_authenticated:
        return False
    return bool(user.is_staff or user.is_superuser or _group_names(user) & STAFF_GROUPS)
