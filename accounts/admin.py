from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.errors import DomainError

from . import services
from .models import CoordinatorRequest, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "groups"]
    search_fields = ["email", "name"]
    # Plain multiple selects: Django's two-box widget is built by a script that writes markup
    # axe and the HTML checker refuse (issue 15's gate).
    filter_horizontal = ()
    # No password hash on the page: a password is set or reset by its owner on the site.
    fieldsets = (
        (None, {"fields": ("email",)}),
        (_("Personal info"), {"fields": ("name",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    filter_horizontal = ()


@admin.register(CoordinatorRequest)
class CoordinatorRequestAdmin(admin.ModelAdmin):
    """Moderators read a request to coordinate and grant or decline it, from the list (actions)
    or from the request's page (its two buttons); both go through accounts.services. Nothing
    here is edited, added or deleted by hand."""

    list_display = ["user", "account_name", "organisation", "status", "created_at", "decided_at"]
    list_filter = ["status"]
    # The organisation is stored encrypted: the database cannot search it.
    search_fields = ["user__email", "user__name"]
    list_select_related = ["user", "decided_by"]
    actions = ["grant_selected", "decline_selected"]
    fields = [
        "user",
        "account_name",
        "account_joined",
        "organisation",
        "purpose",
        "status",
        "created_at",
        "decided_at",
        "decided_by",
    ]
    readonly_fields = fields
    change_form_template = "admin/accounts/coordinatorrequest/change_form.html"

    @admin.display(description=_("name"))
    def account_name(self, obj: CoordinatorRequest) -> str:
        return obj.user.name or "—"

    @admin.display(description=_("account created"))
    def account_joined(self, obj: CoordinatorRequest) -> str:
        return date_format(localtime(obj.user.date_joined), "DATETIME_FORMAT")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        """Every field is read only: the page's buttons act through response_change."""

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["decidable"] = (
            obj is not None
            and obj.status == CoordinatorRequest.Status.PENDING
            and self.has_change_permission(request, obj)
        )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_change(self, request: HttpRequest, obj: CoordinatorRequest):
        for button, decide in (
            ("_grant", services.grant_coordinator_request),
            ("_decline", services.decline_coordinator_request),
        ):
            if button in request.POST:
                self._decide(request, [obj], decide)
                return HttpResponseRedirect(reverse("admin:accounts_coordinatorrequest_changelist"))
        return super().response_change(request, obj)

    @admin.action(description=_("Grant the coordinator role"), permissions=["change"])
    def grant_selected(self, request: HttpRequest, queryset: QuerySet[CoordinatorRequest]) -> None:
        self._decide(request, queryset, services.grant_coordinator_request)

    @admin.action(description=_("Decline the selected requests"), permissions=["change"])
    def decline_selected(
        self, request: HttpRequest, queryset: QuerySet[CoordinatorRequest]
    ) -> None:
        self._decide(request, queryset, services.decline_coordinator_request)

    def _decide(self, request: HttpRequest, requests, decide) -> None:
        done = 0
        for coordinator_request in requests:
            try:
                decide(request=coordinator_request, actor=request.user)
            except DomainError as exc:
                self.message_user(
                    request, f"{coordinator_request}: {exc.message}", level=messages.ERROR
                )
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d request decided; its author was emailed.",
                    "%(count)d requests decided; their authors were emailed.",
                    done,
                )
                % {"count": done},
                level=messages.SUCCESS,
            )
