"""Data requests in the admin (issue 12, item 4): moderators see each request for a copy or
an erasure, and its state. Read-only: the requests are made and carried out by their owners."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import DataRequest
from ..tokens import ERASE_LINK_MAX_AGE


@admin.register(DataRequest)
class DataRequestAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "state_shown", "signature", "account_id", "completed_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["signature"]
    date_hierarchy = "created_at"
    fields = [
        "kind", "state", "signature", "account_id", "withdraw", "note",
        "created_at", "completed_at",
    ]  # fmt: skip
    readonly_fields = fields
    show_facets = admin.ShowFacets.NEVER

    @admin.display(description=_("state"), ordering="state")
    def state_shown(self, obj: DataRequest) -> str:
        """An erasure not confirmed within its link's hour will not happen: say so."""
        from django.utils import timezone

        if (
            obj.state == DataRequest.State.REQUESTED
            and obj.created_at < timezone.now() - ERASE_LINK_MAX_AGE
        ):
            return str(_("Not confirmed (the link expired)"))
        return obj.get_state_display()

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
