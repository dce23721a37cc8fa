"""Letters and their versions in the admin: read-only pages with the audit trail, and the
one decision moderators take on a letter, delegating the review of its signatures."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin import trail_table, trail_url
from audit.models import AuditEvent
from core.errors import DomainError

from .. import services
from ..models import Letter, LetterCoordinator, LetterTranslation, LetterVersion

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


class LetterTranslationInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The letter's translations, each of a version of the authoritative text (read only:
    coordinators write them on the site)."""

    model = LetterTranslation
    fields = ["language", "number", "title", "source", "short_hash", "author", "created_at"]
    readonly_fields = fields
    ordering = ["language", "-number"]
    extra = 0
    show_change_link = False

    @admin.display(description=_("SHA-256"))
    def short_hash(self, obj: LetterTranslation) -> str:
        return obj.short_hash


@admin.register(Letter)
class LetterAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["title", "status", "deadline", "created_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["title", "language", "slug", "status", "recipient", "summary"]}),
        (
            _("Sign-on"),
            {
                "fields": [
                    "deadline",
                    "publication_date",
                    "sign_on_mode",
                    "moderation_policy",
                    "signatories_public_while_open",
                    "coordinators_moderate",
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
    inlines = [LetterCoordinatorInline, LetterVersionInline, LetterTranslationInline]
    actions = ["delegate_review", "take_back_review"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Letter]:
        # A draft is visible only to its coordinators, as the site tells them; moderators
        # meet a letter once it opens. Superusers run the service and hold the database.
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=Letter.objects.visible_to(request.user).values("pk"))

    @admin.display(description=_("Audit trail"))
    def audit_trail(self, obj: Letter) -> str:
        # Everything filed under the letter: its own lifecycle, and its signatures' and
        # invitations' events (audit.services files those under their letter).
        events = (
            AuditEvent.objects.filter(letter=obj)
            .select_related("actor")
            .order_by("-created_at", "-id")[:AUDIT_EVENTS_SHOWN]
        )
        return trail_table(events, full_trail_url=trail_url(letter__id__exact=obj.pk))

    def has_delegate_permission(self, request: HttpRequest) -> bool:
        # The admin never edits a letter; "change" on letters is this one decision.
        return request.user.has_perm("letters.change_letter")

    @admin.action(
        description=_("Let its coordinators approve and reject signatures"),
        description_plural=_("Let their coordinators approve and reject signatures"),
        permissions=["delegate"],
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def delegate_review(self, request: HttpRequest, queryset: QuerySet[Letter]) -> None:
        self._set_delegation(request, queryset, delegated=True)

    @admin.action(
        description=_("Moderators review its signatures (take back)"),
        description_plural=_("Moderators review their signatures (take back)"),
        permissions=["delegate"],
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def take_back_review(self, request: HttpRequest, queryset: QuerySet[Letter]) -> None:
        self._set_delegation(request, queryset, delegated=False)

    def _set_delegation(self, request, queryset, *, delegated: bool) -> None:
        changed = 0
        for letter in queryset:
            was = letter.coordinators_moderate
            try:
                services.set_review_delegation(
                    letter=letter, moderator=request.user, delegated=delegated
                )
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return
            changed += was != delegated
        if delegated:
            message = ngettext(
                "%(count)d letter: its coordinators now approve and reject its signatures.",
                "%(count)d letters: their coordinators now approve and reject their signatures.",
                changed,
            )
        else:
            message = ngettext(
                "%(count)d letter: moderators review its signatures again.",
                "%(count)d letters: moderators review their signatures again.",
                changed,
            )
        self.message_user(request, message % {"count": changed}, messages.SUCCESS)


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

    def get_queryset(self, request: HttpRequest) -> QuerySet[LetterVersion]:
        # The text of a draft is its coordinators' alone (LetterAdmin.get_queryset).
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(letter__in=Letter.objects.visible_to(request.user).values("pk"))
