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

# Exactly what each role needs in the admin ("app_label.codename"). Moderators work the
# admin (they must also be is_staff); coordinators never use it. "change" is what an admin
# action that calls a service needs; no role may delete anything from the admin.
ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    MODERATORS: frozenset(
        {
            # Verify, edit public details, merge duplicates (organisations.admin, letters.admin)
            "organisations.view_organisation",
            "organisations.change_organisation",
            # Verify, unverify and remove email domains (actions)
            "organisations.view_emaildomain",
            "organisations.change_emaildomain",
            # Read on the organisation's page and in the merge preview
            "organisations.view_membership",
            "organisations.view_membershipinvitation",
            # What the site flagged for them (a registration like a hidden organisation, a
            # mixed-script or lookalike name): read, and resolve (an action)
            "organisations.view_organisationflag",
            "organisations.change_organisationflag",
            # Letters are read-only in the admin; "change" is the delegation of review to the
            # letter's coordinators (an action calling letters.services)
            "letters.view_letter",
            "letters.change_letter",
            "letters.view_letterversion",
            # The queue, and every signature: approve / reject actions
            "letters.view_pendingsignature",
            "letters.change_pendingsignature",
            "letters.view_signature",
            "letters.change_signature",
            "letters.view_invitation",
            # Requests for a copy of one's data or its erasure, and their state (read only)
            "letters.view_datarequest",
            "audit.view_auditevent",
            "outbox.view_outboundemail",
            # Requests to coordinate letters: read, and grant or decline (actions)
            "accounts.view_coordinatorrequest",
            "accounts.change_coordinatorrequest",
        }
    ),
    COORDINATORS: frozenset({"letters.add_letter"}),
}


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


def sync_role_groups(**kwargs) -> None:
    """Create the role groups and give each exactly ROLE_PERMISSIONS (after every migrate)."""
    from django.contrib.auth.models import Group, Permission

    for group_name, wanted in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        permissions = []
        for label in sorted(wanted):
            app_label, codename = label.split(".")
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if permission is not None:  # an app not migrated yet: the next run adds it
                permissions.append(permission)
        group.permissions.set(permissions)
