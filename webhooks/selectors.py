"""Reads the coordinators' webhook pages depend on."""

from django.db.models import QuerySet

from .models import WebhookDelivery, WebhookEndpoint


def endpoints_of(letter_id: int) -> QuerySet[WebhookEndpoint]:
    return (
        WebhookEndpoint.objects.filter(letter_id=letter_id)
        .defer("secret")
        .order_by("created_at", "pk")
    )


def deliveries_of(letter_id: int) -> QuerySet[WebhookDelivery]:
    """The letter's deliveries, newest first, without their (encrypted) bodies."""
    return (
        WebhookDelivery.objects.filter(endpoint__letter_id=letter_id)
        .select_related("endpoint")
        .defer("body", "endpoint__secret")
        .order_by("-created_at", "-pk")
    )


def last_errors(letter_id: int) -> dict[int, str]:
    """Each endpoint's latest error, if its latest finished attempt failed."""
    errors: dict[int, str] = {}
    for endpoint_id, error in (
        WebhookDelivery.objects.filter(endpoint__letter_id=letter_id)
        .exclude(last_error="")
        .order_by("endpoint_id", "-updated_at")
        .values_list("endpoint_id", "last_error")
    ):
        errors.setdefault(endpoint_id, error)
    return errors
