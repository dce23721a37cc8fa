"""The invitations pages. For coordinators: invite one contact, the tracking page with its live
counts, resend, revoke, export (the CSV upload is in views/imports.py). For the invitee,
through the link in their email: decline, or pass the invitation on.

Thin views: authorise (letters.permissions; moderators read the tracking page) → validate a
form → one service call → message → redirect. An email link never changes anything on GET.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.roles import is_moderator
from core import ratelimit
from core.errors import DomainError
from core.spreadsheets import csv_lines

from .. import selectors, services
from ..forms.invitations import (
    DeclineForm,
    ForwardForm,
    InvitationFilterForm,
    InviteForm,
)
from ..models import Invitation, InvitationImport, Letter
from ..permissions import can_edit_letter, get_coordinated_letter
from ..templatetags.letters_tags import delivery_error

PAGE_SIZE = 50


def _tracking_letter(request: HttpRequest, slug: str) -> tuple[Letter, bool]:
    """The letter whose invitations `request.user` may see, and whether they may act on them:
    its coordinators act; moderators read (never a draft's); anyone else gets a 404."""
    letter = Letter.objects.filter(slug=slug).first()
    if letter is not None and can_edit_letter(request.user, letter):
        return letter, True
    if is_moderator(request.user):
        return get_object_or_404(Letter.objects.public(), slug=slug), False
    return get_coordinated_letter(request.user, slug), True  # raises Http404


def _counts_context(letter: Letter) -> dict:
    counts = selectors.invitation_counts(letter)
    return {
        "counts": counts,
        "count_rows": [(value, label, counts[value]) for value, label in Invitation.Status.choices],
        "total": selectors.invited_total(counts),
    }


# --- Tracking ---------------------------------------------------------------------------------


@login_required
@require_GET
def invitation_list(request: HttpRequest, slug: str) -> HttpResponse:
    """Every invitation of the letter with its status and times, filtered and searched."""
    letter, can_act = _tracking_letter(request, slug)
    form = InvitationFilterForm(request.GET)
    status = query = ""
    if form.is_valid():
        status, query = form.cleaned_data["status"], form.cleaned_data["q"].strip()
    page = Paginator(
        selectors.invitations_for_coordinator(letter, status=status, query=query),
        PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    filters = request.GET.copy()
    filters.pop("page", None)
    return render(
        request,
        "letters/invitation_list.html",
        {
            "letter": letter,
            "can_act": can_act,
            "form": form,
            "status": status,
            "query": query,
            "page": page,
            "filter_query": filters.urlencode(),
            "pending_imports": letter.invitation_imports.filter(
                status=InvitationImport.Status.PENDING
            ).order_by("-created_at")[:5]
            if can_act
            else [],
            "section": "invitations",
            **_counts_context(letter),
        },
    )


@login_required
@require_GET
@never_cache
def invitation_progress(request: HttpRequest, slug: str) -> JsonResponse:
    """The counts per status, polled by static/js/invitation-progress.js while emails are
    queued."""
    letter, _can_act = _tracking_letter(request, slug)
    counts = selectors.invitation_counts(letter)
    # A draft's queued invitations are held: nothing is being sent, so nothing to poll for.
    sending = counts["queued"] > 0 and letter.status != Letter.Status.DRAFT
    return JsonResponse(
        {"counts": counts, "total": selectors.invited_total(counts), "sending": sending}
    )


EXPORT_HEADER = [
    "organisation",
    "organisation verified",
    "contact name",
    "email",
    "status",
    "invited at",
    "invited by",
    "sent at",
    "reminded at",
    "reminders",
    "answered at",
    "reason for declining",
    "passed on from",
    "passed on to",
    "last error",
]


def _iso(value) -> str:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else ""


def _export_row(invitation: Invitation) -> list:
    organisation = invitation.organisation
    return [
        invitation.organisation_name,
        "yes" if organisation is not None and organisation.is_verified else "no",
        invitation.contact_name,
        invitation.email,
        invitation.status,
        _iso(invitation.created_at),
        invitation.invited_by.email if invitation.invited_by else "",
        _iso(invitation.sent_at),
        _iso(invitation.reminded_at),
        invitation.reminder_count,
        _iso(invitation.responded_at),
        invitation.decline_reason,
        invitation.forwarded_from.email if invitation.forwarded_from else "",
        invitation.forwarded_to_email or "",
        delivery_error(invitation.last_error or invitation.email_error or ""),
    ]


@login_required
@require_GET
def invitation_export(request: HttpRequest, slug: str) -> StreamingHttpResponse:
    """Every invitation as CSV, streamed; cells a spreadsheet would run are escaped."""
    letter, _can_act = _tracking_letter(request, slug)
    rows = (_export_row(invitation) for invitation in selectors.invitations_for_export(letter))
    response = StreamingHttpResponse(
        csv_lines(EXPORT_HEADER, rows), content_type="text/csv; charset=utf-8"
    )
    filename = f"invitations-{letter.pk}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"  # contact details: never kept by a shared cache
    return response


# --- Inviting one contact ------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_create(request: HttpRequest, slug: str) -> HttpResponse:
    letter = get_coordinated_letter(request.user, slug)
    names = selectors.verified_organisation_names()
    form = InviteForm(
        request.POST or None, organisation_names=names, letter_language=letter.language
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.invite(
                letter=letter,
                actor=request.user,
                email=data["email"],
                organisation_name=data["organisation_name"],
                contact_name=data["contact_name"],
                language=data["language"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            if letter.status == Letter.Status.DRAFT:
                text = _(
                    "%(name)s at %(organisation)s is invited. The letter is a draft: the "
                    "email will be sent when the letter opens."
                )
            else:
                text = _("%(name)s at %(organisation)s is invited; the email is on its way.")
            messages.success(
                request,
                text
                % {"name": invitation.contact_name, "organisation": invitation.organisation_name},
            )
            if request.POST.get("action") == "another":
                return redirect("letters:invitation-create", slug=letter.slug)
            return redirect("letters:invitations", slug=letter.slug)
    return render(
        request,
        "letters/invitation_create.html",
        {
            "letter": letter,
            "form": form,
            "organisation_names": names,
            "can_invite": letter.is_inviting,
            "section": "invitations",
        },
    )


# --- Resend, revoke ------------------------------------------------------------------------------


def _coordinated_invitation(request: HttpRequest, slug: str, pk: int) -> tuple[Letter, Invitation]:
    letter = get_coordinated_letter(request.user, slug)
    invitation = get_object_or_404(
        Invitation.objects.select_related("organisation"), pk=pk, letter=letter
    )
    return letter, invitation


def _back_to_list(request: HttpRequest, letter: Letter) -> HttpResponse:
    """Back to the tracking page, keeping its filters when the form carried them."""
    url = reverse("letters:invitations", kwargs={"slug": letter.slug})
    query = request.POST.get("next_query", "")
    return redirect(f"{url}?{query}" if query and "//" not in query else url)


def _invitation_action(
    request: HttpRequest,
    slug: str,
    pk: int,
    *,
    action: str,
    possible_from: tuple[str, ...],
    service,
    done: str,
) -> HttpResponse:
    """Resend or revoke one invitation: GET asks (saying whether it is possible), POST does it
    through `service` and goes back to the tracking page with its filters."""
    letter, invitation = _coordinated_invitation(request, slug, pk)
    if request.method == "POST":
        try:
            service(invitation=invitation, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done % {"email": invitation.email})
        return _back_to_list(request, letter)
    return render(
        request,
        "letters/invitation_action.html",
        {
            "letter": letter,
            "invitation": invitation,
            "action": action,
            "possible": invitation.status in possible_from,
            "section": "invitations",
        },
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_resend(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _invitation_action(
        request,
        slug,
        pk,
        action="resend",
        possible_from=(Invitation.Status.SENT, Invitation.Status.FAILED),
        service=services.resend_invitation,
        done=_("The invitation to %(email)s is sent again, with a new link."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _invitation_action(
        request,
        slug,
        pk,
        action="revoke",
        possible_from=(Invitation.Status.QUEUED, Invitation.Status.SENT, Invitation.Status.FAILED),
        service=services.revoke_invitation,
        done=_("The invitation to %(email)s is revoked: its link no longer works."),
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_resend_failed(request: HttpRequest, slug: str) -> HttpResponse:
    letter = get_coordinated_letter(request.user, slug)
    if request.method == "POST":
        try:
            count = services.resend_failed_invitations(letter=letter, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                ngettext(
                    "%(count)s failed invitation is sent again.",
                    "%(count)s failed invitations are sent again.",
                    count,
                )
                % {"count": count},
            )
        return _back_to_list(request, letter)
    failed = selectors.invitation_counts(letter)[Invitation.Status.FAILED]
    return render(
        request,
        "letters/invitation_action.html",
        {
            "letter": letter,
            "action": "resend-failed",
            "failed": failed,
            "possible": failed > 0,
            "section": "invitations",
        },
    )


# --- The invitee, through the link in their email ---------------------------------------------------


def _answerable(request: HttpRequest, secret: str) -> tuple[Invitation | None, HttpResponse | None]:
    invitation = selectors.invitation_by_secret(secret)
    if invitation is None:
        return None, render(request, "letters/link_invalid.html", {"reason": "invalid"}, status=400)
    if not invitation.is_live or not invitation.letter.is_inviting or invitation.letter.is_draft:
        return None, render(
            request,
            "letters/link_used.html",
            {"invitation": invitation, "letter": invitation.letter},
            status=410,
        )
    return invitation, None


def _answers_rate_limited(request: HttpRequest) -> bool:
    limit = ratelimit.Limit(settings.INVITATION_ANSWER_RATE_PER_CLIENT, 60 * 60)
    return not ratelimit.hit("invitation-answer", ratelimit.client_key(request), limit)


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_decline(request: HttpRequest, secret: str) -> HttpResponse:
    """'We will not sign', from the invitation email. GET shows the page; the button POSTs."""
    invitation, refusal = _answerable(request, secret)
    if refusal is not None:
        return refusal
    form = DeclineForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _answers_rate_limited(request):
            messages.error(request, _("Too many attempts. Please wait a while and try again."))
            status = 429
        elif form.is_valid():
            try:
                services.decline_invitation(
                    invitation=invitation, reason=form.cleaned_data["reason"]
                )
            except DomainError as error:
                messages.error(request, error.message)
            else:
                return render(
                    request,
                    "letters/invitation_answered.html",
                    {"invitation": invitation, "letter": invitation.letter, "answer": "declined"},
                )
    return render(
        request,
        "letters/invitation_decline.html",
        {"invitation": invitation, "letter": invitation.letter, "form": form, "secret": secret},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_forward(request: HttpRequest, secret: str) -> HttpResponse:
    """Pass the invitation to the right person at the organisation. GET shows the form."""
    invitation, refusal = _answerable(request, secret)
    if refusal is not None:
        return refusal
    form = ForwardForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if _answers_rate_limited(request):
            messages.error(request, _("Too many attempts. Please wait a while and try again."))
            status = 429
        elif form.is_valid():
            try:
                services.forward_invitation(
                    invitation=invitation,
                    contact_name=form.cleaned_data["contact_name"],
                    email=form.cleaned_data["email"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
                status = 400
            else:
                return render(
                    request,
                    "letters/invitation_answered.html",
                    {
                        "invitation": invitation,
                        "letter": invitation.letter,
                        "answer": "forwarded",
                        "name": form.cleaned_data["contact_name"],
                    },
                )
        else:
            status = 400
    return render(
        request,
        "letters/invitation_forward.html",
        {"invitation": invitation, "letter": invitation.letter, "form": form, "secret": secret},
        status=status,
    )
