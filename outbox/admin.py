from django.contrib import admin, messages
from django.db.models import TextField
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.crypto import DecryptionError, decrypt_str

from . import services
from .models import OutboundEmail

# Shown for a value stored under a key no longer in FIELD_ENCRYPTION_KEYS.
UNREADABLE = _("(cannot decrypt)")


def _readable(stored: str | None) -> str:
    """A stored (encrypted) value decrypted, or a placeholder if no configured key opens it."""
    if not stored:
        return ""
    try:
        return decrypt_str(stored)
    except DecryptionError:
        return str(UNREADABLE)


def _raw(field: str) -> str:
    return f"stored_{field}"


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """Delivery status for operators. Bodies carry personal data: only superusers see them, and
    even they see no live link: bodies are stored with placeholders for link secrets, which are
    kept apart, encrypted, and never shown (outbox.link_secrets)."""

    list_display = [
        "created_at", "kind", "recipient", "status", "attempts", "sent_at", "short_error",
    ]  # fmt: skip
    list_filter = ["status", "kind"]
    # The address is stored encrypted: an address typed in the search is found by its hash.
    search_fields = ["dedupe_key", "message_id", "batch"]
    date_hierarchy = "created_at"
    actions = ["retry_failed"]
    metadata_fields = [
        "kind", "to", "to_hash", "reduced_at", "subject", "status", "attempts", "last_error", "next_attempt_at",
        "sent_at", "message_id", "dedupe_key", "batch", "created_at", "updated_at",
    ]  # fmt: skip

    def get_queryset(self, request):
        """The encrypted fields are read as stored and decrypted one value at a time
        (`_readable`): a row stored under a dropped key shows a placeholder instead of
        breaking the page (the field itself would raise DecryptionError)."""
        return (
            super()
            .get_queryset(request)
            .defer(*services.ENCRYPTED_FIELDS)
            .annotate(**{_raw(f): Cast(f, TextField()) for f in services.ENCRYPTED_FIELDS})
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            # Read-only display: the decrypted values (or the placeholder), never saved.
            for field in services.ENCRYPTED_FIELDS:
                setattr(obj, field, _readable(getattr(obj, _raw(field))))
        return obj

    def get_search_results(self, request, queryset, search_term):
        """An exact address typed in the search finds its rows, reduced or not, through its
        hash (the address itself is stored encrypted: the database cannot search it; nor the
        subject, so there is no search by subject)."""
        base = queryset
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if "@" in search_term:
            queryset |= base.filter(to_hash=services.address_hash(search_term))
        return queryset, may_have_duplicates

    def get_fields(self, request, obj=None):
        if request.user.is_superuser:
            return [*self.metadata_fields, "body_text", "body_html"]
        return self.metadata_fields

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("to"))
    def recipient(self, obj: OutboundEmail) -> str:
        return _readable(getattr(obj, _raw("to")))

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboundEmail) -> str:
        return _readable(getattr(obj, _raw("last_error")))[:80]

    @admin.action(description=_("Send the selected failed emails again"), permissions=["change"])
    def retry_failed(self, request, queryset):
        count = services.requeue_failed(email_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request,
            ngettext("%d email queued again.", "%d emails queued again.", count) % count,
            messages.SUCCESS if count else messages.WARNING,
        )
