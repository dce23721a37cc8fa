"""Reads of organisations: likely duplicates, members, invitations to join, and the rules by
which an address or a membership vouches for a signer."""

from collections.abc import Mapping

from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import User
from accounts.roles import is_moderator

from .domains import domain_of
from .models import (
    EmailDomain,
    Membership,
    MembershipInvitation,
    MembershipRequest,
    Organisation,
    lookalike_q,
    same_name_q,
)
from .names import acronym_of, lookalike_key, normalise_name, similarity
from .permissions import with_public_page

SIMILAR_ENOUGH = 0.86
# Candidates compared by name per call: a bound on the comparison done in Python.
DUPLICATE_CANDIDATES = 2000


def _acronyms(name: str, acronym: str) -> set[str]:
    return {a for a in {acronym.strip().casefold(), acronym_of(name)} if len(a) >= 2}


def _narrowing(key: str) -> Q:
    """The SQL pre-filter for names like `key`: the same first letters or the same ending."""
    return Q(normalised_name__startswith=key[:3]) | Q(normalised_name__contains=key[-4:])


def _likeness(candidate: Organisation, key: str, lookalike: str, acronyms: set[str]) -> float:
    """2 for the same normalised name or the same confusable skeleton ("Аmnesty" with a
    Cyrillic А), 1.5 for a shared acronym, else the similarity of the names or of their
    skeletons (0 when they do not even share a beginning or an ending)."""
    other = candidate.normalised_name
    if other == key or (lookalike and candidate.lookalike_key == lookalike):
        return 2.0
    if candidate.acronym and candidate.acronym.casefold() in acronyms:
        return 1.5
    scores = [0.0]
    if other.startswith(key[:3]) or key[-4:] in other:
        scores.append(similarity(other, key))
    theirs = candidate.lookalike_key
    if lookalike and theirs and (theirs.startswith(lookalike[:3]) or lookalike[-4:] in theirs):
        scores.append(similarity(theirs, lookalike))
    return max(scores)


def likely_duplicates_of(
    names: Mapping[int, tuple[str, str]], *, limit: int = 5, include_sealed: bool = False
) -> dict[int, list[Organisation]]:
    """For each (name, acronym) keyed by an id, the organisations that are probably the same
    one: the same normalised name, a shared acronym, or a near-identical name (a typo, a
    missing word); the most alike first, at most `limit` each. One query for any number of
    names; merged duplicates and the organisation with the same id are left out.

    Sealed organisations (Organisation.is_sealed) are left out unless `include_sealed` — for
    moderators' screens only: their stored keys are keyed indexes the database cannot compare
    by likeness, so every sealed one is fetched (in the same query, after the others) and
    compared by its name decrypted here. A page that anyone else reaches never suggests one;
    an exact match on one is found by sealed_namesake()."""
    keys = {key: normalise_name(name) for key, (name, _acronym) in names.items()}
    lookalikes = {key: lookalike_key(name) for key, (name, _acronym) in names.items()}
    acronyms = {key: _acronyms(name, acronym) for key, (name, acronym) in names.items()}
    narrow = Q()
    for normalised in {k for k in keys.values() if k}:
        narrow |= _narrowing(normalised)
    for lookalike in {k for k in lookalikes.values() if k}:
        narrow |= (
            Q(lookalike_key=lookalike)
            | Q(lookalike_key__startswith=lookalike[:3])
            | Q(lookalike_key__contains=lookalike[-4:])
        )
    for acronym in set().union(*acronyms.values()):
        narrow |= Q(acronym__iexact=acronym)
    if not narrow:
        return {key: [] for key in names}
    # Sealed rows are kept out of the SQL narrowing explicitly: their keys ("hmac:" and hex)
    # would otherwise match a name starting "hma" or ending in four hex letters by accident.
    narrow = Q(narrow, is_sealed=False)
    if include_sealed:
        narrow |= Q(is_sealed=True)
    candidates = list(
        Organisation.objects.filter(narrow, merged_into__isnull=True)
        .only(
            "is_sealed",
            "id",
            "name",
            "slug",
            "acronym",
            "normalised_name",
            "lookalike_key",
            "is_verified",
            "based_in",
        )
        .order_by("is_sealed", "pk")[:DUPLICATE_CANDIDATES]
    )
    for candidate in candidates:
        if candidate.is_sealed:  # compared by the clear keys of its decrypted name
            candidate.normalised_name = normalise_name(candidate.name)
            candidate.lookalike_key = lookalike_key(candidate.name)
    found: dict[int, list[Organisation]] = {}
    for key, normalised in keys.items():
        scored = []
        if normalised:
            for candidate in candidates:
                if candidate.pk == key:
                    continue
                score = _likeness(candidate, normalised, lookalikes[key], acronyms[key])
                if score >= SIMILAR_ENOUGH:
                    scored.append((score, candidate.name, candidate))
        scored.sort(key=lambda t: (-t[0], t[1]))
        found[key] = [org for _, _, org in scored[:limit]]
    return found


def likely_duplicates(name: str, *, acronym: str = "", limit: int = 5) -> list[Organisation]:
    """The organisations that are probably the same as one not yet created (see above; never
    a sealed one)."""
    return likely_duplicates_of({0: (name, acronym)}, limit=limit)[0]


def sealed_namesake(name: str) -> Organisation | None:
    """The sealed organisation named `name` or a name that reads the same (the same normalised
    name or confusable skeleton, compared through their keyed indexes), if there is one: the
    exact match that likely_duplicates() never gives, for the registration form to refer to
    the moderators like any other hidden organisation's."""
    return (
        Organisation.objects.filter(same_name_q(name) | lookalike_q(name), is_sealed=True)
        .order_by("pk")
        .first()
    )


def split_by_visibility(
    organisations: list[Organisation], user: User | None
) -> tuple[list[Organisation], list[Organisation]]:
    """(those the user may be shown, the others), in the given order. Shown: organisations
    whose page is public, or whose members include the user; everything, to a moderator. The
    others are known only to moderators: a list naming one would tell whoever typed a name
    like it that Undersigned knows it (perhaps because it signed counted only)."""
    if not organisations or (user is not None and is_moderator(user)):
        return list(organisations), []
    ids = [o.pk for o in organisations]
    visible = set(
        with_public_page(Organisation.objects.filter(pk__in=ids)).values_list("pk", flat=True)
    )
    if user is not None and user.is_authenticated:
        visible |= set(
            Membership.objects.filter(user=user, organisation_id__in=ids).values_list(
                "organisation_id", flat=True
            )
        )
    return (
        [o for o in organisations if o.pk in visible],
        [o for o in organisations if o.pk not in visible],
    )


def is_member(user: User | None, organisation: Organisation | None) -> bool:
    if user is None or not user.is_authenticated or organisation is None:
        return False
    return Membership.objects.filter(organisation=organisation, user=user).exists()


def writes_from_verified_domain(organisation: Organisation, email: str) -> bool:
    """Whether `email` is at a verified domain of the organisation: the rule by which an
    address proves a signer's authority (a public mail service is never verified)."""
    return EmailDomain.objects.filter(
        organisation=organisation, domain=domain_of(email), is_verified=True
    ).exists()


def admin_emails_of(organisation: Organisation) -> list[str]:
    """The addresses of the organisation's administrators: addresses it controls."""
    return list(
        organisation.memberships.filter(role=Membership.Role.ADMIN, user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


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


def pending_requests_of(organisation: Organisation) -> QuerySet[MembershipRequest]:
    """Requests to join awaiting an answer, oldest first."""
    return (
        organisation.membership_requests.filter(status=MembershipRequest.Status.PENDING)
        .select_related("user", "merged_from")
        .order_by("created_at", "pk")
    )
