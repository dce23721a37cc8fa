"""Reads the coordinators' webhook pages depend on."""

from django.db.models import OuterRef, QuerySet, Subquery

from .models import WebhookDelivery, WebhookEndpoint


def endpoints_of(letter_id: int) -> QuerySet[WebhookEndpoint]:
    """The letter's endpoints, without their secrets, each with `last_error`: the error of its
    latest attempted delivery ("" when that one went through). One query."""
    latest = (
        WebhookDelivery.objects.filter(endpoint=OuterRef("pk"), attempts__gt=0)
        .order_by("-updated_at", "-pk")
        .values("last_error")[:1]
    )
    return (
        WebhookEndpoint.objects.filter(letter_id=letter_id)
        .defer("secret")
        .annotate(latest_error=Subquery(latest))
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
