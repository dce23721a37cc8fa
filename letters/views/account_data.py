"""The account's own data (issue 12, item 4): download it, or delete the account. Under the
account settings; both need a recent authentication (allauth's reauthentication)."""

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.errors import DomainError

from .. import services


@login_required
@require_http_methods(["GET", "HEAD"])
def account_data(request: HttpRequest) -> HttpResponse:
    plan = services.deletion_plan(request.user)
    return render(request, "letters/account_data.html", {"plan": plan})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@reauthentication_required(allow_get=True)
def account_data_download(request: HttpRequest) -> HttpResponse:
    """POST downloads. A GET (where allauth's password check returns) changes nothing: back
    to the page, whose button now downloads at once."""
    if request.method != "POST":
        messages.info(request, _("Password confirmed: you can download your data now."))
        return redirect("account-data")
    data = services.export_account(user=request.user)
    response = HttpResponse(data, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="undersigned-account-data.json"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
@reauthentication_required(allow_get=True)
def account_delete(request: HttpRequest) -> HttpResponse:
    plan = services.deletion_plan(request.user)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm") != "on":
            error = _("Tick the box to confirm that the account is to be deleted.")
        else:
            handovers = {}
            for organisation, _members in plan.sole_admin_of:
                chosen = request.POST.get(f"handover-{organisation.pk}", "")
                if chosen.isdigit():
                    handovers[organisation.pk] = int(chosen)
            try:
                services.delete_account(user=request.user, handovers=handovers)
            except DomainError as exc:
                error = exc.message
            else:
                logout(request)
                messages.success(request, _("Your account has been deleted."))
                return redirect("home")
    return render(
        request,
        "letters/account_delete.html",
        {"plan": plan, "error": error},
        status=400 if error else 200,
    )
