"""Delegated moderation on the site: when a moderator has let a letter's coordinators review
its signatures (Letter.coordinators_moderate), they approve and reject from the letter's
signatures page, through the same services as the admin. Moderators may use them too.

Both views answer only POSTs: the buttons live on letters:letter-signatures.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core.errors import DomainError

from .. import services
from ..forms.moderation import RejectionForm
from ..models import Letter, Signature
from ..permissions import can_edit_letter, can_moderate


def _moderated_letter(request: HttpRequest, slug: str) -> Letter:
    """The letter if `request.user` may decide on its signatures. Not found for anyone who
    cannot see its signatures page; forbidden for its coordinators without the delegation."""
    letter = Letter.objects.filter(slug=slug).exclude(status=Letter.Status.DRAFT).first()
    if letter is None:
        raise Http404
    if can_moderate(request.user, letter):
        return letter
    if can_edit_letter(request.user, letter):
        raise PermissionDenied
    raise Http404


def _chosen_ids(request: HttpRequest, letter: Letter) -> list[int]:
    """The signatures of this letter that were chosen: one row's button ("only"), else the
    ticked boxes. Ids of other letters' signatures are ignored."""
    only = request.POST.get("only", "")
    raw = [only] if only else request.POST.getlist("signature")
    ids = [int(pk) for pk in raw if pk.isdigit()]
    return list(
        Signature.objects.filter(letter=letter, pk__in=ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _back(letter: Letter) -> HttpResponse:
    return redirect(
        reverse("letters:letter-signatures", args=[letter.slug])
        + f"?status={Signature.Status.PENDING_REVIEW}"
    )


def _report(request: HttpRequest, result: services.Decisions, *, approved: bool) -> None:
    for level, text in result.report(approved=approved):
        messages.add_message(request, level, text)


@login_required
def signatures_approve(request: HttpRequest, slug: str) -> HttpResponse:
    letter = _moderated_letter(request, slug)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ids = _chosen_ids(request, letter)
    if not ids:
        messages.warning(request, _("Choose the signatures to approve."))
        return _back(letter)
    try:
        result = services.decide_signatures(signature_ids=ids, moderator=request.user, approve=True)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        _report(request, result, approved=True)
    return _back(letter)


@login_required
def signatures_reject(request: HttpRequest, slug: str) -> HttpResponse:
    """First POST (from the list): the reason form. Second POST (`apply`): the decision."""
    letter = _moderated_letter(request, slug)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ids = _chosen_ids(request, letter)
    if not ids:
        messages.warning(request, _("Choose the signatures to reject."))
        return _back(letter)
    signatures = list(Signature.objects.filter(pk__in=ids).with_organisations().order_by("pk"))
    signatures.sort(key=lambda s: (s.organisation_name.casefold(), s.pk))
    # A note is about one organisation: asked for only when one signature is rejected.
    count = sum(s.status == Signature.Status.PENDING_REVIEW for s in signatures)
    form = RejectionForm(request.POST if "apply" in request.POST else None, count=count)
    if form.is_bound and form.is_valid():
        try:
            result = services.decide_signatures(
                signature_ids=ids,
                moderator=request.user,
                approve=False,
                reason=form.cleaned_data["reason"],
                note=form.cleaned_data["note"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            _report(request, result, approved=False)
            return _back(letter)
    return render(
        request,
        "letters/signatures_reject.html",
        {"letter": letter, "form": form, "signatures": signatures},
        status=200 if not form.errors else 400,
    )
