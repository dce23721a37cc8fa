"""The account's own pages beside allauth's: its name (Account → Name)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import services
from .forms import DisplayNameForm


@login_required
@require_http_methods(["GET", "POST"])
def account_name(request: HttpRequest) -> HttpResponse:
    """The name the account goes by, never shown publicly."""
    form = DisplayNameForm(request.POST or None, initial={"name": request.user.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.set_display_name(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as error:
            form.add_error("name", error)
        else:
            messages.success(request, _("Your name is saved."))
            return redirect("account-name")
    return render(request, "account/name.html", {"form": form})
