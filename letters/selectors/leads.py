"""Lead organisations: which a coordinator may ask, the requests of a letter, and which leads
the public may see named (issue 11, item 5)."""

from django.db.models import Q, QuerySet

from accounts.models import User
from organisations.models import Organisation

from ..models import LeadRequest, Letter
from .publication import Signatory, public_signatories

MAX_LEAD_MATCHES = 20


def eligible_leads(user: User) -> QuerySet[Organisation]:
    """The organisations a coordinator may ask to lead: verified ones, and their own."""
    return Organisation.objects.filter(Q(is_verified=True) | Q(memberships__user=user)).distinct()


def search_eligible_leads(user: User, query: str) -> list[Organisation]:
    """A search, never a full list: at least two characters, at most 20 matches."""
    query = " ".join(query.split())[:100]
    if len(query) < 2:
        return []
    return list(
        eligible_leads(user)
        .filter(Q(name__icontains=query) | Q(acronym__icontains=query))
        .order_by("name")[:MAX_LEAD_MATCHES]
    )


def lead_requests_of(letter: Letter) -> QuerySet[LeadRequest]:
    return LeadRequest.objects.filter(letter=letter).select_related("organisation")


def public_leads_named(letter: Letter) -> "tuple[Signatory, ...]":
    """The leads the public may see named: those the public list names as leads, i.e.
    accepted, with an approved public signature, on a list that is public (not under
    embargo). From the cached list: no query on a warm page."""
    signatories = public_signatories(letter)
    return tuple(s for s in signatories.named if s.lead) if signatories.public else ()
