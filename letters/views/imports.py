"""Inviting from a CSV file: upload (refused unread past its size limit) → preview, where the
coordinator fixes or drops rows → send. The upload is kept in the database (InvitationImport)
between these steps, bound to the letter, never in the session.

Thin views: authorise (only the letter's coordinators) → validate a form → one service call →
message → redirect.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from core.errors import DomainError

from .. import contact_lists, selectors, services
from ..forms.invitations import (
    ImportRowForm,
    ImportUploadForm,
)
from ..models import InvitationImport, Letter
from ..permissions import get_coordinated_letter

PREVIEW_PAGE_SIZE = 100
# Rows with a problem shown as editable forms at once; the rest can be dropped in one click.
EDITABLE_ROWS = 100


class CSVSizeLimit(FileUploadHandler):
    """Refuses an upload as soon as it passes the limit: the rest of the body is read and
    thrown away, never kept in memory or on disk (DESIGN.md §9: bounded memory)."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.request.csv_too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handler (memory or temporary file) keeps the file


@csrf_exempt  # only to install the upload handler first; csrf_protect checks below
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_import(request: HttpRequest, slug: str) -> HttpResponse:
    request.upload_handlers.insert(0, CSVSizeLimit(request, settings.INVITATION_CSV_MAX_BYTES))
    return _invitation_import(request, slug)


@csrf_protect
def _invitation_import(request: HttpRequest, slug: str) -> HttpResponse:
    letter = get_coordinated_letter(request.user, slug)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if getattr(request, "csv_too_large", False):
            form = ImportUploadForm(data={}, files={})  # the file was thrown away unread
            form.is_valid()
            form.errors["file"] = form.error_class(
                [
                    _("The file is larger than %(max)s MB. Split it into smaller files.")
                    % {"max": settings.INVITATION_CSV_MAX_BYTES // (1024 * 1024)}
                ]
            )
            status = 413
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                parsed = contact_lists.read_contacts(
                    upload.file, max_rows=settings.INVITATION_CSV_MAX_ROWS
                )
                invitation_import = services.start_import(
                    letter=letter, actor=request.user, parsed=parsed, filename=upload.name
                )
            except DomainError as error:
                form.add_error("file", error.message)
                status = 400
            else:
                if parsed.ignored_columns:
                    messages.info(
                        request,
                        _("These columns were ignored: %(columns)s.")
                        % {"columns": ", ".join(parsed.ignored_columns)},
                    )
                return redirect(
                    "letters:invitation-import-preview", slug=letter.slug, pk=invitation_import.pk
                )
        else:
            status = 400
    return render(
        request,
        "letters/invitation_import.html",
        {
            "letter": letter,
            "form": form,
            "can_invite": letter.is_inviting,
            "max_rows": settings.INVITATION_CSV_MAX_ROWS,
            "max_megabytes": settings.INVITATION_CSV_MAX_BYTES // (1024 * 1024),
            "section": "invitations",
        },
        status=status,
    )


def _row_changes(request: HttpRequest, lines: list[int]) -> tuple[dict[int, dict], set[int]]:
    changes: dict[int, dict] = {}
    drop: set[int] = set()
    for line in lines:
        form = ImportRowForm(request.POST, prefix=f"row-{line}")
        if not form.is_valid():
            continue
        if form.cleaned_data["drop"]:
            drop.add(line)
            continue
        changes[line] = {column: form.cleaned_data[column] for column in contact_lists.COLUMNS}
    return changes, drop


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_import_preview(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """Every row of the uploaded file as new / already invited / already signed / invalid.
    POST: correct or drop rows, drop every invalid row, cancel, or send."""
    letter = get_coordinated_letter(request.user, slug)
    invitation_import = get_object_or_404(InvitationImport, pk=pk, letter=letter)
    if invitation_import.status != InvitationImport.Status.PENDING:
        messages.info(request, _("This file has already been sent or cancelled."))
        return redirect("letters:invitations", slug=letter.slug)
    here = redirect("letters:invitation-import-preview", slug=letter.slug, pk=pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "fix":
                editable = [row["line"] for row in invitation_import.rows if row["errors"]]
                changes, drop = _row_changes(request, editable[:EDITABLE_ROWS])
                invitation_import = services.fix_import_rows(
                    invitation_import=invitation_import,
                    actor=request.user,
                    changes=changes,
                    drop=drop,
                )
                _say_what_is_left(request, invitation_import)
                return here
            if action == "drop-invalid":
                invitation_import = services.fix_import_rows(
                    invitation_import=invitation_import, actor=request.user, drop_invalid=True
                )
                messages.success(request, _("The rows with a problem were dropped."))
                return here
            if action == "cancel":
                services.cancel_import(invitation_import=invitation_import, actor=request.user)
                messages.info(request, _("The upload was cancelled; nobody was invited."))
                return redirect("letters:invitations", slug=letter.slug)
            if action == "confirm":
                invited = len(
                    services.confirm_import(invitation_import=invitation_import, actor=request.user)
                )
                if letter.status == Letter.Status.DRAFT:
                    text = ngettext(
                        "%(count)s invitation is ready. The letter is a draft: it will be "
                        "sent when the letter opens.",
                        "%(count)s invitations are ready. The letter is a draft: they will be "
                        "sent when the letter opens.",
                        invited,
                    )
                else:
                    text = ngettext(
                        "%(count)s invitation is being sent. The counts below follow it.",
                        "%(count)s invitations are being sent. The counts below follow them.",
                        invited,
                    )
                messages.success(request, text % {"count": invited})
                return redirect("letters:invitations", slug=letter.slug)
        except DomainError as error:
            messages.error(request, error.message)
            return here
    return _render_preview(request, letter, invitation_import)


def _say_what_is_left(request: HttpRequest, invitation_import: InvitationImport) -> None:
    left = sum(1 for row in invitation_import.rows if row["errors"])
    if left:
        messages.warning(
            request,
            ngettext(
                "Checked again: %(count)s row still has a problem.",
                "Checked again: %(count)s rows still have a problem.",
                left,
            )
            % {"count": left},
        )
    else:
        messages.success(request, _("Checked again: every row can be invited."))


def _render_preview(
    request: HttpRequest, letter: Letter, invitation_import: InvitationImport
) -> HttpResponse:
    rows = selectors.classify_import_rows(letter, invitation_import.rows)
    states = selectors.RowState
    counts = {state.value: 0 for state in states}
    for row in rows:
        counts[row.state] += 1
    show = request.GET.get("state", "")
    if show not in counts:
        show = ""
    shown = [row for row in rows if row.state == show] if show else rows
    page = Paginator(shown, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
    invalid_rows = [row for row in rows if row.state == states.INVALID]
    editable = [
        (row, ImportRowForm(prefix=f"row-{row.line}", initial=_initial(row)))
        for row in invalid_rows[:EDITABLE_ROWS]
    ]
    return render(
        request,
        "letters/invitation_import_preview.html",
        {
            "letter": letter,
            "invitation_import": invitation_import,
            "page": page,
            "show": show,
            "filter_query": f"state={show}" if show else "",
            "state_rows": [(state.value, state.label, counts[state.value]) for state in states],
            "counts": counts,
            "editable": editable,
            "more_invalid": max(len(invalid_rows) - EDITABLE_ROWS, 0),
            "can_send": counts[states.INVALID] == 0 and counts[states.NEW] > 0,
            "can_invite": letter.is_inviting,
            "section": "invitations",
        },
    )


def _initial(row: selectors.ImportRow) -> dict:
    return {
        "organisation": row.organisation,
        "contact_name": row.contact_name,
        "email": row.email,
        "based_in": row.based_in,
        "language": row.language,
    }
