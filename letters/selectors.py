"""Read queries behind the letters pages, written for a constant number of queries."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
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

from . import collation
from .models import (
    Invitation,
    Letter,
    LetterCoordinator,
    LetterDelivery,
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


def publication_preview(letter: Letter) -> dict[str, int]:
    """What publishing now would put on the record: approved signatures by visibility, and
    how many are still waiting (they will not be on it). One query."""
    counts = dict.fromkeys(["public", "recipient_only", "counted_only", "waiting"], 0)
    for row in (
        Signature.objects.filter(
            letter=letter,
            status__in=[
                Signature.Status.APPROVED,
                Signature.Status.PENDING_REVIEW,
                Signature.Status.PENDING_CONFIRMATION,
            ],
        )
        .values("status", "visibility")
        .annotate(n=Count("pk"))
    ):
        if row["status"] == Signature.Status.APPROVED:
            counts[row["visibility"]] += row["n"]
        else:
            counts["waiting"] += row["n"]
    counts["approved"] = counts["public"] + counts["recipient_only"] + counts["counted_only"]
    return counts


# --- The public record: who signed, as the public may know it -----------------------------------
#
# DESIGN.md §1. Only approved signatures are signatories. Organisations that chose to be named
# only to the recipient, or only counted, are one number on every public surface; a signer's own
# name appears only if they opted in; emails never. Under embargo (letter.signatories_are_public
# is False) the public gets nothing: no names and no number (docs/decisions.md).

PUBLIC_EDITION = "public"
RECIPIENT_EDITION = "recipient"

ORDER_BY_PLACE = "place"
ORDER_BY_NAME = "name"
ORDERS = (ORDER_BY_PLACE, ORDER_BY_NAME)


@dataclass(frozen=True)
class Signatory:
    name: str
    slug: str
    based_in: str
    signer: str  # "Name, Title" if the signer opted in, else ""
    lead: bool
    signed_on: dt.date | None
    version: int
    # Named only in the recipient edition (never in a public list).
    recipient_only: bool = False
    # Signed the letter as delivered, withdrew afterwards: the record keeps them, marked.
    withdrawn_after_delivery: bool = False


@dataclass(frozen=True)
class Delivery:
    delivered_on: dt.date
    delivered_to: str
    method: str
    version: int
    content_hash: str


@dataclass(frozen=True)
class SignatoryGroup:
    kind: str  # "lead", "place", "unplaced" (no place given) or "all" (alphabetical)
    label: str
    signatories: tuple[Signatory, ...]


@dataclass(frozen=True)
class SignatoryList:
    """The list of signatories of one edition. `public` is False under embargo, and then
    everything else is empty: the public edition says nothing, not even a number."""

    public: bool
    named: tuple[Signatory, ...] = ()
    # Approved but not named in this edition: "and N organisations that cannot be named".
    unnamed: int = 0
    withdrawn_after_delivery: int = 0
    delivery: Delivery | None = None
    edition: str = PUBLIC_EDITION

    @property
    def total(self) -> int:
        return len(self.named) + self.unnamed

    @property
    def places(self) -> int:
        """Distinct places among the named organisations only: counting the places of unnamed
        ones would say where an organisation that cannot be named is based."""
        return len({collation.place_key(s.based_in) for s in self.named if s.based_in.strip()})

    def matching(self, query: str) -> tuple[Signatory, ...]:
        needle = collation.search_key(query)
        if not needle:
            return self.named
        return tuple(s for s in self.named if needle in collation.search_key(s.name))

    def groups(
        self, order: str, signatories: tuple[Signatory, ...] | None = None
    ) -> list[SignatoryGroup]:
        """Lead organisations first, then by place (places in collation order, "place not
        given" last) or all others alphabetically. Names keep the collation order."""
        chosen = self.named if signatories is None else signatories
        leads = tuple(s for s in chosen if s.lead)
        others = tuple(s for s in chosen if not s.lead)
        groups = [SignatoryGroup("lead", "", leads)] if leads else []
        if order != ORDER_BY_PLACE:
            return groups + ([SignatoryGroup("all", "", others)] if others else [])
        by_place: dict[str, list[Signatory]] = {}
        labels: dict[str, str] = {}
        unplaced = []
        for signatory in others:
            key = collation.place_key(signatory.based_in)
            if not key:
                unplaced.append(signatory)
                continue
            by_place.setdefault(key, []).append(signatory)
            labels.setdefault(key, " ".join(signatory.based_in.split()))
        for key in sorted(by_place, key=lambda k: collation.sort_key(labels[k])):
            groups.append(SignatoryGroup("place", labels[key], tuple(by_place[key])))
        if unplaced:
            groups.append(SignatoryGroup("unplaced", "", tuple(unplaced)))
        return groups


EMBARGOED = SignatoryList(public=False)


@dataclass(frozen=True)
class SignatorySummary:
    """The numbers of a public list, cached apart from it: the letter page and the embed need
    only these and a rendered fragment, not 10,000 names to unpickle on every request."""

    public: bool
    total: int = 0
    named: int = 0
    unnamed: int = 0
    places: int = 0
    withdrawn_after_delivery: int = 0


EMBARGOED_SUMMARY = SignatorySummary(public=False)
# Part of every cache key: bump it when Signatory or SignatoryList change shape, so that a
# deployment never unpickles a list cached by the previous code.
SIGNATORY_CACHE_SCHEMA = 1


def signatory_cache_key(letter: Letter, edition: str = PUBLIC_EDITION) -> str:
    """Changes whenever the list may have: services bump list_version with every change of a
    signature on the list or of an organisation named on it; any change of the letter itself
    (status, settings, text) changes updated_at."""
    return (
        f"letters:signatories:v{SIGNATORY_CACHE_SCHEMA}:{edition}:{letter.pk}:"
        f"{letter.list_version}:{letter.updated_at.timestamp():.6f}"
    )


def public_signatories(letter: Letter) -> SignatoryList:
    """What the public may know of the letter's signatories, from the cache when it can:
    two queries on a miss, none on a hit, however many organisations signed."""
    if not letter.signatories_are_public:
        return EMBARGOED
    key = signatory_cache_key(letter)
    signatories = cache.get(key)
    if signatories is None:
        signatories = _signatory_list(letter, PUBLIC_EDITION)
        cache.set(key, signatories, settings.SIGNATORY_LIST_CACHE_SECONDS)
    return signatories


def public_signatory_summary(letter: Letter) -> SignatorySummary:
    """The numbers of the public list (nothing under embargo), from the cache when it can."""
    if not letter.signatories_are_public:
        return EMBARGOED_SUMMARY
    key = f"{signatory_cache_key(letter)}:summary"
    summary = cache.get(key)
    if summary is None:
        signatories = public_signatories(letter)
        summary = SignatorySummary(
            public=True,
            total=signatories.total,
            named=len(signatories.named),
            unnamed=signatories.unnamed,
            places=signatories.places,
            withdrawn_after_delivery=signatories.withdrawn_after_delivery,
        )
        cache.set(key, summary, settings.SIGNATORY_LIST_CACHE_SECONDS)
    return summary


def public_edition(letter: Letter) -> SignatoryList:
    """The public edition whatever the embargo, uncached: for coordinators preparing the
    publication (the press summary), never for a public page."""
    return _signatory_list(letter, PUBLIC_EDITION)


def recipient_signatories(letter: Letter) -> SignatoryList:
    """The recipient edition, for the letter's coordinators (and moderators): also names the
    organisations that chose to be named to the recipient only. Never cached, never public."""
    return _signatory_list(letter, RECIPIENT_EDITION)


def delivery_of(letter: Letter) -> LetterDelivery | None:
    if letter.status != Letter.Status.PUBLISHED:
        return None
    return LetterDelivery.objects.select_related("version").filter(letter=letter).first()


def _signatory_list(letter: Letter, edition: str) -> SignatoryList:
    delivery = delivery_of(letter)
    if delivery is not None:
        return _from_delivery(letter, delivery, edition)
    return _from_signatures(letter, edition)


def _named_in(edition: str) -> set[str]:
    if edition == RECIPIENT_EDITION:
        return {Signature.Visibility.PUBLIC, Signature.Visibility.RECIPIENT_ONLY}
    return {Signature.Visibility.PUBLIC}


def _from_signatures(letter: Letter, edition: str) -> SignatoryList:
    """Before publication (or a letter published before delivery records existed): the
    approved signatures as they are now."""
    lead_ids = {o.pk for o in letter.lead_organisations.all()}  # prefetched by the page
    rows = Signature.objects.filter(letter=letter, status=Signature.Status.APPROVED).values_list(
        "visibility",
        "show_signer_name",
        "signer_name",
        "signer_title",
        "confirmed_at",
        "created_at",
        "version__number",
        "organisation_id",
        "organisation__name",
        "organisation__slug",
        "organisation__based_in",
    )
    named_in = _named_in(edition)
    named, unnamed = [], 0
    for (
        visibility,
        show,
        signer,
        title,
        confirmed,
        created,
        version,
        org_id,
        name,
        slug,
        place,
    ) in rows.iterator(chunk_size=2000):
        if visibility not in named_in:
            unnamed += 1  # the row's names are never kept
            continue
        named.append(
            Signatory(
                name=name,
                slug=slug,
                based_in=place,
                signer=", ".join(p for p in (signer, title) if p) if show else "",
                lead=org_id in lead_ids,
                signed_on=(confirmed or created).date(),
                version=version,
                recipient_only=visibility == Signature.Visibility.RECIPIENT_ONLY,
            )
        )
    return SignatoryList(
        public=True, named=_in_order(named), unnamed=unnamed, edition=edition, delivery=None
    )


def _from_delivery(letter: Letter, delivery: LetterDelivery, edition: str) -> SignatoryList:
    """A published letter: the list frozen at delivery. A signature withdrawn since stays on
    the record — named and marked in the recipient edition; on public surfaces only counted,
    because an organisation that withdraws after publication may be doing so for its safety."""
    withdrawn = set(
        Signature.objects.filter(letter=letter, status=Signature.Status.WITHDRAWN).values_list(
            "pk", flat=True
        )
    )
    named_in = _named_in(edition)
    named, unnamed, withdrawn_count = [], 0, 0
    for entry in delivery.signatories:
        gone = entry["signature"] in withdrawn
        withdrawn_count += gone
        if gone and edition != RECIPIENT_EDITION:
            continue  # counted in withdrawn_after_delivery, never named again in public
        if entry["visibility"] not in named_in or not entry.get("name"):
            unnamed += 1
            continue
        named.append(
            Signatory(
                name=entry["name"],
                slug=entry.get("slug") or "",
                based_in=entry.get("based_in") or "",
                signer=entry.get("signer") or "",
                lead=bool(entry.get("lead")),
                signed_on=dt.date.fromisoformat(entry["signed_on"])
                if entry.get("signed_on")
                else None,
                version=entry.get("version") or delivery.version.number,
                recipient_only=entry["visibility"] == Signature.Visibility.RECIPIENT_ONLY,
                withdrawn_after_delivery=gone,
            )
        )
    return SignatoryList(
        public=True,
        named=_in_order(named),
        unnamed=unnamed,
        withdrawn_after_delivery=withdrawn_count,
        delivery=Delivery(
            delivered_on=delivery.delivered_on,
            delivered_to=delivery.delivered_to,
            method=delivery.method,
            version=delivery.version.number,
            content_hash=delivery.version.content_hash,
        ),
        edition=edition,
    )


def _in_order(signatories: list[Signatory]) -> tuple[Signatory, ...]:
    return tuple(sorted(signatories, key=lambda s: (not s.lead, collation.sort_key(s.name))))


def letters_signed_publicly_by(organisation) -> QuerySet[Letter]:
    """The letters an organisation's public page lists: those whose list of signatories is
    public (published, or collecting with a public list) and on which it chose to be named.
    A signature that is recipient-only or counted-only is never listed, nor an embargoed one."""
    return (
        Letter.objects.filter(
            signatures__organisation=organisation,
            signatures__status=Signature.Status.APPROVED,
            signatures__visibility=Signature.Visibility.PUBLIC,
        )
        .filter(
            Q(status=Letter.Status.PUBLISHED)
            | Q(
                status__in=[Letter.Status.OPEN, Letter.Status.CLOSED],
                signatories_public_while_open=True,
            )
        )
        .annotate(went_public=Coalesce("published_at", "opened_at", "created_at"))
        .order_by(F("went_public").desc(), "-pk")
    )


# --- Moderation ----------------------------------------------------------------------------------
#
# The moderators' queue (letters.admin.PendingSignatureAdmin) and what a moderator needs beside
# each signature to decide: does the signer's address match the organisation's domains, is the
# organisation a likely duplicate of another, has the same organisation already signed this
# letter under another name, is it a newcomer. Computed for a whole page at once, in a constant
# number of queries whatever the page's size.

DOMAIN_VERIFIED = "verified"  # the signer's domain is a verified domain of the organisation
DOMAIN_LISTED = "listed"  # listed by the organisation, not verified yet
DOMAIN_PUBLIC = "public"  # a public mail service: proves nothing
DOMAIN_NONE = "none"  # no relation to the organisation's domains
# Candidate organisations compared by name per page: a bound on the Python-side comparison.
DUPLICATE_CANDIDATES = 2000


@dataclass
class ReviewNotes:
    """What the queue shows beside one signature awaiting review."""

    domain: str
    domain_match: str
    domains: list  # the organisation's EmailDomains
    duplicates: list  # likely duplicate Organisations (by name or acronym)
    signed_as: list  # other live Signatures on the same letter, probably the same organisation
    domain_owner: object | None  # another Organisation for which the signer's domain is verified
    is_new: bool  # unverified and never approved on any letter

    @property
    def has_warnings(self) -> bool:
        return bool(self.duplicates or self.signed_as or self.domain_owner or self.is_new)


def add_review_notes(signatures: list[Signature]) -> list[Signature]:
    """Set `signature.review` (ReviewNotes) on each signature: four queries for any number.

    The signatures need their organisation loaded (select_related)."""
    from organisations.domains import domain_of, is_public_mail_domain
    from organisations.models import EmailDomain, Organisation
    from organisations.names import acronym_of, similarity
    from organisations.selectors import SIMILAR_ENOUGH

    if not signatures:
        return signatures
    organisations = {s.organisation_id: s.organisation for s in signatures}
    signer_domains = {s.pk: domain_of(s.signer_email) for s in signatures}
    private_domains = {d for d in signer_domains.values() if not is_public_mail_domain(d)}

    # 1. The organisations' own domains, and which organisations own the signers' domains.
    own_domains: dict[int, list] = {pk: [] for pk in organisations}
    verified_owner: dict[str, Organisation] = {}
    for email_domain in (
        EmailDomain.objects.filter(
            Q(organisation_id__in=organisations) | Q(domain__in=private_domains, is_verified=True)
        )
        .select_related("organisation")
        .order_by("domain")
    ):
        if email_domain.organisation_id in own_domains:
            own_domains[email_domain.organisation_id].append(email_domain)
        if email_domain.is_verified:
            verified_owner[email_domain.domain] = email_domain.organisation

    # 2. Which of them a moderator has ever approved.
    approved_before = set(
        Signature.objects.filter(
            organisation_id__in=organisations, status=Signature.Status.APPROVED
        )
        .order_by()
        .values_list("organisation_id", flat=True)
        .distinct()
    )

    # 3. Likely duplicates: one query narrows candidates for the whole page (same first
    # letters, same ending, same acronym), then names are compared here.
    keys = {pk: org.normalised_name for pk, org in organisations.items()}
    acronyms = {
        pk: {a for a in {org.acronym.strip().casefold(), acronym_of(org.name)} if len(a) >= 2}
        for pk, org in organisations.items()
    }
    narrow = Q()
    for key in set(keys.values()):
        narrow |= Q(normalised_name__startswith=key[:3]) | Q(normalised_name__contains=key[-4:])
    for acronym in set().union(*acronyms.values()):
        narrow |= Q(acronym__iexact=acronym)
    candidates = list(
        Organisation.objects.filter(narrow, merged_into__isnull=True)
        .only("id", "name", "slug", "acronym", "normalised_name", "is_verified")
        .order_by("pk")[:DUPLICATE_CANDIDATES]
    )
    duplicates: dict[int, list[Organisation]] = {}
    for pk, key in keys.items():
        found = []
        for candidate in candidates:
            if candidate.pk == pk:
                continue
            other = candidate.normalised_name
            same_acronym = bool(candidate.acronym) and candidate.acronym.casefold() in acronyms[pk]
            similar = (other.startswith(key[:3]) or key[-4:] in other) and (
                similarity(other, key) >= SIMILAR_ENOUGH
            )
            if same_acronym or similar:
                found.append(candidate)
        duplicates[pk] = found

    # 4. Live signatures on the same letters by one of those duplicates, by the organisation
    # that owns the signer's verified domain, or from an address at the same private domain.
    related_orgs = {o.pk for found in duplicates.values() for o in found}
    related_orgs |= {o.pk for o in verified_owner.values()}
    same_letter = Q(organisation_id__in=related_orgs)
    for domain in private_domains:
        same_letter |= Q(signer_email__iendswith=f"@{domain}")
    others: dict[int, list[Signature]] = {}
    for other in (
        Signature.objects.filter(same_letter)
        .filter(letter_id__in={s.letter_id for s in signatures}, status__in=Signature.LIVE)
        .select_related("organisation")
        .order_by("pk")
    ):
        others.setdefault(other.letter_id, []).append(other)

    for signature in signatures:
        org_id = signature.organisation_id
        domain = signer_domains[signature.pk]
        listed = {d.domain: d for d in own_domains[org_id]}
        if domain in listed and listed[domain].is_verified:
            match = DOMAIN_VERIFIED
        elif is_public_mail_domain(domain):
            match = DOMAIN_PUBLIC
        elif domain in listed:
            match = DOMAIN_LISTED
        else:
            match = DOMAIN_NONE
        owner = verified_owner.get(domain)
        if owner is not None and owner.pk == org_id:
            owner = None
        same_org = {o.pk for o in duplicates[org_id]} | ({owner.pk} if owner else set())
        signed_as = [
            other
            for other in others.get(signature.letter_id, [])
            if other.organisation_id != org_id
            and (
                other.organisation_id in same_org
                or (match != DOMAIN_PUBLIC and other.signer_email.lower().endswith(f"@{domain}"))
            )
        ]
        signature.review = ReviewNotes(
            domain=domain,
            domain_match=match,
            domains=own_domains[org_id],
            duplicates=duplicates[org_id],
            signed_as=signed_as,
            domain_owner=owner,
            is_new=not signature.organisation.is_verified and org_id not in approved_before,
        )
    return signatures


def awaiting_review_by_letter() -> QuerySet[Letter]:
    """Letters with signatures awaiting review, each with `awaiting` (how many) and `oldest`
    (when the longest-waiting one was confirmed), longest-waiting first. One query."""
    from django.db.models import Min

    pending = Q(signatures__status=Signature.Status.PENDING_REVIEW)
    return (
        Letter.objects.annotate(
            awaiting=Count("signatures", filter=pending),
            oldest=Min("signatures__confirmed_at", filter=pending),
        )
        .filter(awaiting__gt=0)
        .order_by("oldest", "pk")
    )
