"""The account page where a user creates and revokes their personal API tokens. A new
token's secret is shown once, in the answer to the POST that created it, and never again.

Staff (coordinators, moderators, admin users) hold tokens that read signers' contact details:
theirs may be created only from a session that passed two-factor authentication, at login or
just now (allauth's "mfa" authentication record); accounts.middleware already keeps a staff
account without an authenticator on the enrolment page.
"""

import datetime as dt
from urllib.parse import urlencode

from allauth.account.internal.flows.login import get_authentication_records
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import is_staff_role
from core.errors import DomainError

from .. import selectors, services
from ..forms import TokenForm


def _passed_two_factor(request: HttpRequest) -> bool:
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, request.user)
    )


def _page(request: HttpRequest, form: TokenForm, *, new=None, status: int = 200) -> HttpResponse:
    response = render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": selectors.tokens_of(request.user),
            "new": new,
            "schema_url": reverse("api:schema"),
        },
        status=status,
    )
    # The page may hold a secret just created: never kept by a cache or the browser's history.
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, TokenForm())
    if is_staff_role(request.user) and not _passed_two_factor(request):
        messages.info(
            request,
            _("Confirm with your authenticator app before creating a token: it reads signers' "
              "contact details."),
        )  # fmt: skip
        return redirect(
            reverse("mfa_reauthenticate") + "?" + urlencode({"next": reverse("api-tokens")})
        )
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form, status=400)
    days = form.cleaned_data["expires_in"]
    expires_at = timezone.now() + dt.timedelta(days=int(days)) if days else None
    try:
        new = services.create_token(
            user=request.user, name=form.cleaned_data["name"], expires_at=expires_at
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _page(request, form, status=400)
    return _page(request, TokenForm(), new=new)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    # Another user's token is "not found", like one that does not exist.
    token = get_object_or_404(selectors.tokens_of(request.user), pk=pk)
    try:
        services.revoke_token(token=token, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("api-tokens")
