"""Reads behind the letters pages: the public index, a letter with its current version, the
coordinators' dashboard, versions and co-coordinators."""

from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    Max,
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
from core.compiled import CompiledQuery

from ..models import (
    Invitation,
    Letter,
    LetterCoordinator,
    LetterVersion,
    Signature,
)


def public_index() -> QuerySet[Letter]:
    """Open and published letters, the most recently opened or published first."""
    return (
        Letter.objects.listed()
        .annotate(went_public=Coalesce("published_at", "opened_at", "created_at"))
        .order_by(F("went_public").desc(), "-pk")
    )


def public_index_stamp() -> tuple[int, str]:
    """What changes whenever the public index may: how many letters it lists, and the latest
    change of any letter the public may read (every change of a letter sets updated_at). One
    query: the read API answers a repeated request for the index with 304 on it."""
    found = Letter.objects.public().aggregate(
        listed=Count("pk", filter=Q(status__in=[Letter.Status.OPEN, Letter.Status.PUBLISHED])),
        changed=Max("updated_at"),
    )
    changed = found["changed"]
    return found["listed"], changed.isoformat() if changed else ""


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


def current_version_query(letter: Letter | OuterRef) -> QuerySet[LetterVersion]:
    """The letter's current version (one row), as a query."""
    return LetterVersion.objects.filter(letter=letter, is_current=True)


_LETTER_ID = -(2**62)  # stands in for the letter's key while the query is compiled
_current_version = CompiledQuery(
    lambda: current_version_query(_LETTER_ID).order_by()[:1], {"letter": _LETTER_ID}
)


def current_version_of(letter: Letter) -> LetterVersion:
    """Uses the prefetched current version when the selector loaded it; otherwise one query,
    compiled once (core.compiled: signing reads it for every signature)."""
    prefetched = getattr(letter, "current_versions", None)
    if prefetched:
        return prefetched[0]
    version = _current_version.instance(LetterVersion, letter=letter.pk)
    if version is None:
        raise LetterVersion.DoesNotExist(f"letter {letter.pk} has no current version")
    return version


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
    invited (invited_total: not revoked), awaiting review, approved (what the letter's page
    counts as signed)."""
    state = Signature.Status
    return (
        Letter.objects.coordinated_by(user)
        .annotate(
            invited_count=_count_per_letter(
                Invitation.objects.exclude(status=Invitation.Status.REVOKED)
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
