"""The coordinators' webhooks of a letter: list and add, test, disable and enable, delete, and
the record of deliveries with "retry now". Who may: the letter's coordinators
(letters.services.webhooks); anyone else gets the 404 of a letter they cannot manage."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from webhooks import selectors as webhook_selectors
from webhooks.events import Event

from .. import permissions, services
from ..forms.webhooks import WebhookForm

DELIVERIES_PER_PAGE = 50


def _page(request: HttpRequest, letter, form: WebhookForm) -> HttpResponse:
    endpoints = list(webhook_selectors.endpoints_of(letter.pk))
    labels = dict(Event.choices)
    for endpoint in endpoints:
        endpoint.event_labels = [labels.get(name, name) for name in endpoint.events]
    return render(
        request,
        "letters/webhooks.html",
        {
            "letter": letter,
            "form": form,
            "endpoints": endpoints,
            "max_endpoints": settings.WEBHOOKS_MAX_PER_LETTER,
            "section": "webhooks",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest, slug: str) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    form = WebhookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            endpoint, secret = services.add_webhook(
                letter=letter,
                actor=request.user,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            # The secret is shown this once, in this answer: never stored in a message or a
            # session, never cached.
            response = render(
                request,
                "letters/webhook_created.html",
                {"letter": letter, "endpoint": endpoint, "secret": secret, "section": "webhooks"},
            )
            add_never_cache_headers(response)
            return response
    return _page(request, letter, form)


def _endpoint(request: HttpRequest, slug: str, pk: int):
    letter = permissions.get_coordinated_letter(request.user, slug)
    return letter, get_object_or_404(webhook_selectors.endpoints_of(letter.pk), pk=pk)


def _act_on_endpoint(
    request: HttpRequest, slug: str, pk: int, action, done: str, then: str
) -> HttpResponse:
    """One of the endpoint's buttons: the service, its refusal or `done` as a message, and back
    to the page `then`."""
    letter, endpoint = _endpoint(request, slug, pk)
    try:
        action(letter=letter, actor=request.user, endpoint=endpoint)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done)
    return redirect(then, slug=letter.slug)


@login_required
@require_POST
def webhook_ping(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act_on_endpoint(
        request,
        slug,
        pk,
        services.ping_webhook,
        _("A test event is on its way: its delivery is listed here."),
        "letters:webhook-deliveries",
    )


@login_required
@require_POST
def webhook_disable(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act_on_endpoint(
        request,
        slug,
        pk,
        services.disable_webhook,
        _("The webhook is disabled: nothing is sent to it."),
        "letters:webhooks",
    )


@login_required
@require_POST
def webhook_enable(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    return _act_on_endpoint(
        request,
        slug,
        pk,
        services.enable_webhook,
        _("The webhook is enabled again; its failures are forgotten."),
        "letters:webhooks",
    )


@login_required
@require_http_methods(["GET", "POST"])
def webhook_delete(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    if request.method == "POST":
        return _act_on_endpoint(
            request,
            slug,
            pk,
            services.delete_webhook,
            _("The webhook and its deliveries are deleted."),
            "letters:webhooks",
        )
    letter, endpoint = _endpoint(request, slug, pk)
    return render(
        request,
        "letters/webhook_delete.html",
        {"letter": letter, "endpoint": endpoint, "section": "webhooks"},
    )


@login_required
@require_http_methods(["GET"])
def webhook_deliveries(request: HttpRequest, slug: str) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    page = Paginator(webhook_selectors.deliveries_of(letter.pk), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "letters/webhook_deliveries.html",
        {"letter": letter, "page": page, "section": "webhooks"},
    )


@login_required
@require_POST
def webhook_retry(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    letter = permissions.get_coordinated_letter(request.user, slug)
    delivery = get_object_or_404(webhook_selectors.deliveries_of(letter.pk), pk=pk)
    try:
        services.retry_webhook_delivery(letter=letter, actor=request.user, delivery=delivery)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The delivery is queued again."))
    return redirect("letters:webhook-deliveries", slug=letter.slug)
