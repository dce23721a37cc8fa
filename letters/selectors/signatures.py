"""Reads of signatures: a member's signatures, a letter's signatures for its coordinators,
counts per state, and the names the sign form may suggest."""

from django.db.models import (
    Count,
    QuerySet,
)

from accounts.models import User

from ..models import (
    Letter,
    Signature,
)

# --- Signatures ----------------------------------------------------------------------------------


SUGGESTED_NAMES = 2000


def suggestable_organisations() -> QuerySet:
    """The organisations whose names the sign form may suggest: only verified ones, whose
    presence on the platform is public anyway. Unverified ones are never listed."""
    from organisations.models import Organisation

    return Organisation.objects.filter(is_verified=True)


def verified_organisation_names(limit: int = SUGGESTED_NAMES) -> list[str]:
    """Names offered as suggestions on the sign form, in order: the first `limit` of
    suggestable_organisations."""
    return list(suggestable_organisations().order_by("name").values_list("name", flat=True)[:limit])


def signatures_of_member(user: User) -> QuerySet[Signature]:
    """Every signature of every organisation `user` belongs to, newest first."""
    return (
        Signature.objects.of_organisations(
            list(user.memberships.values_list("organisation_id", flat=True))
        )
        .with_organisations()
        .select_related("letter", "version")
        .order_by("-created_at", "-pk")
    )


def signatures_for_coordinator(
    letter: Letter, *, status: str = "", query: str = ""
) -> QuerySet[Signature]:
    signatures = (
        Signature.objects.filter(letter=letter)
        .with_organisations()
        .select_related("version", "invitation")
    )
    if status:
        signatures = signatures.filter(status=status)
    if query:
        signatures = signatures.filter(pk__in=_matching(signatures, query))
    return signatures.order_by("-created_at", "-pk")


def _matching(signatures: QuerySet[Signature], query: str) -> list[int]:
    """The signatures whose organisation, or whose signer's name or address, contains `query`
    (case-insensitive). The signer's details are stored encrypted: the database cannot
    search them, so they are read and compared here, one letter's signatures at a time."""
    needle = query.casefold()
    return [
        signature.pk
        for signature in signatures.select_related(None)
        .with_organisations()
        .only(
            "pk",
            "public_organisation__name",
            "sealed_organisation",
            "proposed_organisation_name",
            "signer_name",
            "signer_email",
        )
        if any(
            needle in (value or "").casefold()
            for value in (
                signature.organisation.name if signature.organisation else "",
                signature.proposed_organisation_name,
                signature.signer_name,
                signature.signer_email,
            )
        )
    ]


def signature_counts(letter: Letter) -> dict[str, int]:
    """How many signatures the letter has in each state (every state present, zero or not)."""
    counts = dict.fromkeys(Signature.Status.values, 0)
    for row in Signature.objects.filter(letter=letter).values("status").annotate(n=Count("pk")):
        counts[row["status"]] = row["n"]
    return counts
