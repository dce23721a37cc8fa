"""Read queries behind the letters pages, written for a constant number of queries."""

from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce

from accounts.models import User

from .models import Invitation, Letter, LetterCoordinator, LetterVersion, Signature


def public_index() -> QuerySet[Letter]:
    """Open and published letters, the most recently opened or published first."""
    return (
        Letter.objects.listed()
        .annotate(went_public=Coalesce("published_at", "opened_at", "created_at"))
        .order_by(F("went_public").desc(), "-pk")
    )


def letter_for_page(letter: Letter) -> Letter:
    """Load the current version (with its author) and the lead organisations onto the letter
    the permission check already fetched: two queries, no second fetch of the letter."""
    prefetch_related_objects(
        [letter],
        Prefetch(
            "versions",
            queryset=LetterVersion.objects.filter(is_current=True).select_related("author"),
            to_attr="current_versions",
        ),
        "lead_organisations",
    )
    return letter


def current_version_of(letter: Letter) -> LetterVersion:
    """Uses the prefetched current version when the selector loaded it."""
    prefetched = getattr(letter, "current_versions", None)
    if prefetched:
        return prefetched[0]
    return letter.versions.select_related("author").get(is_current=True)


def _count_per_letter(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT per letter (one subquery each: no join fan-out between relations)."""
    counted = (
        queryset.filter(letter=OuterRef("pk"))
        .order_by()
        .values("letter")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def dashboard_letters(user: User) -> QuerySet[Letter]:
    """The letters `user` coordinates, drafts first, then by recency, with their counts:
    invited (not revoked), signed (confirmed), awaiting review, approved."""
    state = Signature.Status
    return (
        Letter.objects.coordinated_by(user)
        .annotate(
            invited_count=_count_per_letter(
                Invitation.objects.exclude(status=Invitation.Status.REVOKED)
            ),
            signed_count=_count_per_letter(
                Signature.objects.filter(status__in=[state.PENDING_REVIEW, state.APPROVED])
            ),
            review_count=_count_per_letter(Signature.objects.filter(status=state.PENDING_REVIEW)),
            approved_count=_count_per_letter(Signature.objects.filter(status=state.APPROVED)),
        )
        .annotate(
            status_rank=Case(
                *(When(status=s, then=Value(i)) for i, s in enumerate(Letter.Status.values)),
                output_field=IntegerField(),
            )
        )
        .order_by("status_rank", "-updated_at")
        .prefetch_related(
            Prefetch(
                "coordinators",
                queryset=LetterCoordinator.objects.filter(user=user),
                to_attr="my_roles",
            )
        )
    )


def versions_of(letter: Letter) -> QuerySet[LetterVersion]:
    return letter.versions.select_related("author").order_by("-number")


def coordinators_of(letter: Letter) -> QuerySet[LetterCoordinator]:
    return letter.coordinators.select_related("user").order_by("role", "user__email")


# --- Signatures ----------------------------------------------------------------------------------


def verified_organisation_names(limit: int = 2000) -> list[str]:
    """Names offered as suggestions on the sign form: only verified organisations, whose
    presence on the platform is public anyway. Unverified ones are never listed."""
    from organisations.models import Organisation

    return list(
        Organisation.objects.filter(is_verified=True)
        .order_by("name")
        .values_list("name", flat=True)[:limit]
    )


def signatures_of_member(user: User) -> QuerySet[Signature]:
    """Every signature of every organisation `user` belongs to, newest first."""
    return (
        Signature.objects.filter(organisation__memberships__user=user)
        .select_related("letter", "organisation", "version")
        .order_by("-created_at", "-pk")
    )


def signatures_for_coordinator(
    letter: Letter, *, status: str = "", query: str = ""
) -> QuerySet[Signature]:
    signatures = Signature.objects.filter(letter=letter).select_related(
        "organisation", "version", "invitation"
    )
    if status:
        signatures = signatures.filter(status=status)
    if query:
        signatures = signatures.filter(
            Q(organisation__name__icontains=query)
            | Q(signer_name__icontains=query)
            | Q(signer_email__icontains=query)
        )
    return signatures.order_by("-created_at", "-pk")


def signature_counts(letter: Letter) -> dict[str, int]:
    """How many signatures the letter has in each state (every state present, zero or not)."""
    counts = dict.fromkeys(Signature.Status.values, 0)
    for row in Signature.objects.filter(letter=letter).values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts


@dataclass(frozen=True)
class PublicSignatories:
    """What the public may know of a letter's signatories (DESIGN.md §1).

    `named`: approved signatures whose organisation chose to be public, with the version each
    signed. `unnamed`: approved ones that are recipient-only or counted-only — a number, never
    a name. Empty when the list is under embargo; `total` is then the only figure shown.
    """

    total: int
    named: list[Signature]
    unnamed: int
    public: bool


def public_signatories(letter: Letter) -> PublicSignatories:
    approved = Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED)
    if not letter.signatories_are_public:
        return PublicSignatories(total=approved.count(), named=[], unnamed=0, public=False)
    named = list(
        approved.filter(visibility=Signature.Visibility.PUBLIC)
        .select_related("organisation", "version")
        .order_by("organisation__name")
    )
    unnamed = approved.exclude(visibility=Signature.Visibility.PUBLIC).count()
    return PublicSignatories(total=len(named) + unnamed, named=named, unnamed=unnamed, public=True)
