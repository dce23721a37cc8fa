"""What a moderator needs beside each signature awaiting review, computed for a whole page at
once, and the letters with signatures awaiting review."""

from dataclasses import dataclass

from django.db.models import (
    Count,
    Q,
    QuerySet,
)

from organisations.domains import domain_of, is_public_mail_domain
from organisations.models import EmailDomain, Organisation
from organisations.selectors import likely_duplicates_of

from ..models import (
    Letter,
    Signature,
    attach_organisations,
)

# --- Moderation ----------------------------------------------------------------------------------
#
# The moderators' queue (letters.admin.moderation.PendingSignatureAdmin) and what a moderator needs beside
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

    The signatures need their organisation loaded (select_related). One still awaiting its
    signer's confirmation may have none yet (a name as typed): it gets no notes."""
    every = signatures
    attach_organisations(
        [s for s in signatures if "_organisation" not in s.__dict__]
    )  # withheld ones' organisations are encrypted: one query for them all
    signatures = [s for s in signatures if s.organisation is not None]
    if not signatures:
        return every
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
    approved_before = {
        s.organisation_id
        for s in Signature.objects.of_organisations(list(organisations))
        .filter(status=Signature.Status.APPROVED)
        .only("pk", "public_organisation", "sealed_organisation")
        .with_organisations()
    }

    # 3. Likely duplicates: one query for the whole page (organisations.selectors).
    duplicates = likely_duplicates_of(
        {pk: (org.name, org.acronym) for pk, org in organisations.items()}
    )

    # 4. Live signatures on the same letters by one of those duplicates, by the organisation
    # that owns the signer's verified domain, or from an address at the same private domain.
    related_orgs = {o.pk for found in duplicates.values() for o in found}
    related_orgs |= {o.pk for o in verified_owner.values()}
    # The signers' addresses are stored encrypted: the domain is compared here, not in SQL.
    others: dict[int, list[Signature]] = {}
    candidates = Signature.objects.filter(
        letter_id__in={s.letter_id for s in signatures}, status__in=Signature.LIVE
    )
    if not private_domains:
        candidates = candidates.of_organisations(related_orgs)
    for other in candidates.with_organisations().order_by("pk"):
        if other.organisation_id in related_orgs or domain_of(other.signer_email) in (
            private_domains
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
    return every


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
