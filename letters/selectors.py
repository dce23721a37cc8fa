"""Read queries behind the letters pages, written for a constant number of queries."""

from django.db.models import Case, Count, F, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from accounts.models import User

from .models import Letter, LetterCoordinator, LetterVersion, Signature


def _with_current_version(queryset: QuerySet[Letter]) -> QuerySet[Letter]:
    return queryset.prefetch_related(
        Prefetch(
            "versions",
            queryset=LetterVersion.objects.filter(is_current=True).select_related("author"),
            to_attr="current_versions",
        )
    )


def public_index() -> QuerySet[Letter]:
    """Open and published letters, the most recently opened or published first."""
    return (
        Letter.objects.listed()
        .annotate(went_public=Coalesce("published_at", "opened_at", "created_at"))
        .order_by(F("went_public").desc(), "-pk")
    )


def letter_for_page(letter: Letter) -> Letter:
    """The letter with its current version, lead organisations and coordinators loaded."""
    return (
        _with_current_version(Letter.objects.filter(pk=letter.pk))
        .prefetch_related("lead_organisations")
        .get()
    )


def current_version_of(letter: Letter) -> LetterVersion:
    """Uses the prefetched current version when the selector loaded it."""
    prefetched = getattr(letter, "current_versions", None)
    if prefetched:
        return prefetched[0]
    return letter.versions.select_related("author").get(is_current=True)


def dashboard_letters(user: User) -> QuerySet[Letter]:
    """The letters `user` coordinates, drafts first, then by recency.

    The invitation and signature counts are annotated here as their models arrive.
    """
    return (
        Letter.objects.coordinated_by(user)
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
