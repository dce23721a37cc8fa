"""Letters in the admin: for reading only. Every state change goes through the coordinator
pages and letters.services, which check the rules and write the audit trail; an admin form
that saved a letter directly would bypass both."""

from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEvent

from .models import Letter, LetterCoordinator, LetterVersion

# Enough for any real letter's history; the full trail is in the audit events admin.
AUDIT_EVENTS_SHOWN = 200


class ReadOnlyAdminMixin:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class LetterVersionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LetterVersion
    fields = ["number", "title", "short_hash", "author", "created_at", "is_substantive", "note"]
    readonly_fields = fields
    ordering = ["-number"]
    extra = 0
    show_change_link = True

    @admin.display(description=_("SHA-256"))
    def short_hash(self, obj: LetterVersion) -> str:
        return obj.short_hash


class LetterCoordinatorInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = LetterCoordinator
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    extra = 0


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "status", "deadline", "created_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["title", "slug", "status", "recipient", "summary"]}),
        (
            _("Sign-on"),
            {
                "fields": [
                    "deadline",
                    "publication_date",
                    "sign_on_mode",
                    "moderation_policy",
                    "signatories_public_while_open",
                    "lead_organisations",
                ]
            },
        ),
        (
            _("History"),
            {
                "fields": [
                    "created_by",
                    "created_at",
                    "updated_at",
                    "opened_at",
                    "closed_at",
                    "published_at",
                    "audit_trail",
                ]
            },
        ),
    ]
    readonly_fields = [f for _name, options in fieldsets for f in options["fields"]]
    inlines = [LetterCoordinatorInline, LetterVersionInline]

    @admin.display(description=_("Audit trail"))
    def audit_trail(self, obj: Letter) -> str:
        # Events point at their target by type and id, not a foreign key, so no inline.
        events = (
            AuditEvent.objects.filter(target_type=Letter._meta.label_lower, target_id=obj.pk)
            .select_related("actor")
            .order_by("-created_at", "-id")[:AUDIT_EVENTS_SHOWN]
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    f"{event.created_at:%Y-%m-%d %H:%M:%S} UTC",
                    event.action,
                    event.actor.email if event.actor else _("system"),
                    event.reason,
                )
                for event in events
            ),
        )
        if not rows:
            return _("No events.")
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            "<tbody>{}</tbody></table>",
            _("When"),
            _("Action"),
            _("Who"),
            _("Why"),
            rows,
        )


@admin.register(LetterVersion)
class LetterVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["letter", "number", "author", "created_at", "is_substantive", "is_current"]
    list_filter = ["is_substantive", "is_current"]
    search_fields = ["letter__title", "content_hash"]
    list_select_related = ["letter", "author"]
    fields = [
        "letter",
        "number",
        "title",
        "body",
        "content_hash",
        "author",
        "created_at",
        "is_substantive",
        "note",
        "is_current",
    ]
    readonly_fields = fields
