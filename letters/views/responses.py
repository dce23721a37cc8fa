"""After delivery: the coordinators record the recipient's response and follow-up updates;
everyone who may read the letter reads them on its page, and the response's PDF here.

Who may do what (docs/decisions.md, "Responses"):
- record or delete: the letter's coordinators, once it is published; 404 for anyone else,
  login first for visitors (the letter's own management pages answer the same way);
- the PDF: whoever may read the letter.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from core.errors import DomainError

from .. import permissions, selectors, services
from ..forms.publication import ResponseForm
from ..models import Letter, LetterResponse


@login_required
@require_http_methods(["GET", "POST"])
def response_list(request: HttpRequest, slug: str) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    published = letter.status == Letter.Status.PUBLISHED
    form = ResponseForm(request.POST or None, request.FILES or None) if published else None
    if request.method == "POST":
        if form is None:
            messages.error(
                request,
                _("Responses and updates are recorded once the letter is published and delivered."),
            )
            return redirect("letters:responses", slug=letter.slug)
        if form.is_valid():
            data = form.cleaned_data
            try:
                response = services.record_response(
                    letter=letter,
                    actor=request.user,
                    kind=data["kind"],
                    received_on=data["received_on"],
                    from_whom=data["from_whom"],
                    text=data["text"],
                    document=data["document"],
                    document_pages=form.document_pages,
                    email_signers=data["email_signers"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                if response.signers_emailed:
                    messages.success(
                        request,
                        _("Recorded, and %(count)d signers are being emailed.")
                        % {"count": response.signers_emailed},
                    )
                else:
                    messages.success(request, _("Recorded: it is on the letter's page."))
                return redirect(letter.get_absolute_url() + "#responses")
    return render(
        request,
        "letters/responses.html",
        {
            "letter": letter,
            "form": form,
            "responses": selectors.responses_of(letter) if published else (),
            "signers": services.signers_to_tell(letter).count() if published else 0,
            "section": "responses",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def response_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """A confirmation page; the POST deletes."""
    letter = permissions.get_coordinated_letter(request.user, slug)
    response = get_object_or_404(LetterResponse, pk=pk, letter=letter)
    if request.method == "POST":
        try:
            services.delete_response(response=response, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Deleted: it is no longer on the letter's page."))
        return redirect("letters:responses", slug=letter.slug)
    return render(
        request,
        "letters/response_delete.html",
        {"letter": letter, "response": response, "section": "responses"},
    )


@require_safe
def response_document(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    letter = permissions.get_visible_letter(request.user, slug)
    response = get_object_or_404(LetterResponse, pk=pk, letter=letter)
    if not response.document:
        raise Http404
    try:
        handle = response.document.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    download = FileResponse(
        handle,
        content_type="application/pdf",
        filename=f"{letter.slug}-response-{response.received_on.isoformat()}.pdf",
    )
    download["X-Content-Type-Options"] = "nosniff"
    # Opened by the browser's PDF viewer, never as a page of this site.
    download["Content-Security-Policy"] = "sandbox"
    download["Cache-Control"] = "public, max-age=3600"
    return download
