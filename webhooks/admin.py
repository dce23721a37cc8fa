from django.contrib import admin

from .models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """For operators: status only. The secret is never shown, nor editable here."""

    list_display = ["host", "letter", "active", "consecutive_failures", "disabled_at"]
    list_filter = ["active"]
    fields = ["letter", "host", "events", "active", "disabled_reason", "disabled_at",
              "consecutive_failures", "created_by"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """For operators: status, attempts and errors; never the body (it may name a withheld
    organisation)."""

    list_display = ["event", "endpoint", "status", "attempts", "last_status_code", "created_at"]
    list_filter = ["status", "event"]
    fields = ["endpoint", "event_id", "event", "status", "attempts", "next_attempt_at",
              "last_error", "last_status_code", "delivered_at"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
