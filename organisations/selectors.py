import re

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User

from .models import Membership, MembershipInvitation, Organisation
from .names import acronym_of, normalise_name, similarity

SIMILAR_ENOUGH = 0.86


def likely_duplicates(name: str, *, acronym: str = "", limit: int = 5) -> list[Organisation]:
    """Organisations whose name is probably the same organisation as `name`.

    Same normalised name, a matching acronym, or a near-identical normalised name (a typo, a
    missing word). Candidates are narrowed in SQL by the first letters, then compared here.
    """
    key = normalise_name(name)
    if not key:
        return []
    acronyms = {a for a in {acronym.strip().casefold(), acronym_of(name)} if len(a) >= 2}
    narrow = Q(normalised_name__startswith=key[:3]) | Q(normalised_name__contains=key[-4:])
    if acronyms:
        narrow |= Q(acronym__iregex=r"^(" + "|".join(map(re.escape, acronyms)) + r")$")
    candidates = Organisation.objects.filter(narrow).only(
        "id", "name", "slug", "acronym", "normalised_name", "is_verified", "based_in"
    )[:200]
    scored = []
    for org in candidates:
        if org.normalised_name == key:
            score = 2.0
        elif org.acronym and org.acronym.casefold() in acronyms:
            score = 1.5
        else:
            score = similarity(org.normalised_name, key)
        if score >= SIMILAR_ENOUGH:
            scored.append((score, org.name, org))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [org for _, _, org in scored[:limit]]


def organisations_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organisation")


def members_of(organisation: Organisation) -> QuerySet[Membership]:
    # "admin" sorts before "member": administrators first.
    return organisation.memberships.select_related("user").order_by("role", "user__email")


def pending_invitations_of(organisation: Organisation) -> QuerySet[MembershipInvitation]:
    """Invitations that can still be accepted, newest first."""
    return organisation.membership_invitations.filter(
        status=MembershipInvitation.Status.PENDING,
        created_at__gt=timezone.now() - MembershipInvitation.VALID_FOR,
    ).order_by("-created_at", "-pk")


def invitation_by_secret(secret: str) -> MembershipInvitation | None:
    return (
        MembershipInvitation.objects.select_related("organisation", "invited_by")
        .filter(token_hash=MembershipInvitation.hash_secret(secret))
        .first()
    )
