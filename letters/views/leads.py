"""Lead organisations: the coordinators' page (search, ask, withdraw) and the page where an
admin of the organisation accepts or declines (issue 11, item 5)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError
from organisations.models import Membership, Organisation

from .. import permissions, selectors, services
from ..models import LeadRequest


@login_required
@require_http_methods(["GET", "POST"])
def letter_leads(request: HttpRequest, slug: str) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    if request.method == "POST":
        try:
            if withdraw := request.POST.get("withdraw"):
                lead = LeadRequest.objects.filter(letter=letter, pk=_int(withdraw)).first()
                if lead is None:
                    raise Http404
                services.withdraw_lead(request=lead, actor=request.user)
                messages.success(request, _("Withdrawn: the organisation is not a lead."))
            else:
                organisation = Organisation.objects.filter(
                    pk=_int(request.POST.get("organisation", ""))
                ).first()
                if organisation is None:
                    raise Http404
                services.request_lead(letter=letter, actor=request.user, organisation=organisation)
                messages.success(
                    request,
                    _(
                        "Asked. The organisation's administrators have been emailed; it is a "
                        "lead once one of them accepts."
                    ),
                )
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("letters:leads", slug=letter.slug)
    query = " ".join(request.GET.get("q", "").split())[:100]
    return render(
        request,
        "letters/letter_leads.html",
        {
            "letter": letter,
            "query": query,
            "matches": selectors.search_eligible_leads(request.user, query),
            "requests": selectors.lead_requests_of(letter),
            "section": "settings",
        },
    )


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


@login_required
@require_http_methods(["GET", "POST"])
def lead_answer(request: HttpRequest, pk: int) -> HttpResponse:
    """Only an admin of the organisation asked, logged in; 404 for anyone else."""
    lead = LeadRequest.objects.select_related("letter", "organisation").filter(pk=pk).first()
    if (
        lead is None
        or not Membership.objects.filter(
            user=request.user, organisation_id=lead.organisation_id, role=Membership.Role.ADMIN
        ).exists()
    ):
        raise Http404
    if request.method == "POST":
        try:
            if request.POST.get("action") == "accept":
                services.accept_lead(request=lead, actor=request.user)
                messages.success(request, _("Accepted: your organisation leads this letter."))
            else:
                services.decline_lead(request=lead, actor=request.user)
                messages.success(request, _("Declined: your organisation is not named as a lead."))
        except DomainError as error:
            messages.error(request, error.message)
        return redirect("letters:lead-answer", pk=lead.pk)
    return render(request, "letters/lead_answer.html", {"lead": lead})
