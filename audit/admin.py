"""The audit trail in the admin: a read-only list of events, and the history table that the
letter, signature and organisation pages show inline.

Events point at what they are about by type and id (not a foreign key, so any model can be
a target), plus the letter and organisation they are filed under; the filters use those."""

import json
from collections.abc import Iterable

from django.apps import apps
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent


class TextInputFilter(admin.SimpleListFilter):
    """A filter typed rather than picked: organisations and people are too many for a list.
    A number is an exact id (links from other admin pages use it); text matches a substring."""

    template = "admin/audit/text_filter.html"
    id_field: str
    text_fields: tuple[str, ...]

    def lookups(self, request, model_admin):
        return ()

    def has_output(self) -> bool:
        return True

    def choices(self, changelist):
        # The other filters stay applied: they go back as hidden fields of the filter's form.
        yield {
            "value": self.value() or "",
            "parameter_name": self.parameter_name,
            "others": [
                (key, value)
                for key, values in changelist.filter_params.items()
                if key != self.parameter_name
                for value in values
            ],
            "clear_query_string": changelist.get_query_string(remove=[self.parameter_name]),
        }

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = (self.value() or "").strip()
        if not value:
            return queryset
        if value.isdigit():
            return queryset.filter(**{self.id_field: int(value)})
        condition = Q()
        for field in self.text_fields:
            condition |= Q(**{f"{field}__icontains": value})
        return queryset.filter(condition)


class OrganisationFilter(TextInputFilter):
    title = _("organisation")
    parameter_name = "organisation"
    id_field = "organisation_id"
    text_fields = ("organisation__name",)


class ActorFilter(TextInputFilter):
    title = _("who")
    parameter_name = "actor"
    id_field = "actor_id"
    text_fields = ("actor__email", "actor__name")


class TargetTypeFilter(admin.SimpleListFilter):
    """What an event is about, by the model's name: events about nothing in particular (a
    retention run) are a choice with a name too, not an empty link."""

    title = _("about")
    parameter_name = "target_type"
    NONE = "-"

    def lookups(self, request, model_admin):
        choices = []
        for target_type in sorted(
            AuditEvent.objects.order_by().values_list("target_type", flat=True).distinct()
        ):
            if not target_type:
                choices.append((self.NONE, _("Nothing in particular")))
                continue
            try:
                label = capfirst(apps.get_model(target_type)._meta.verbose_name)
            except (LookupError, ValueError):
                label = target_type
            choices.append((target_type, label))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if value == self.NONE:
            return queryset.filter(target_type="")
        if value:
            return queryset.filter(target_type=value)
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the trail is written by services, never edited by hand."""

    list_display = ["created_at", "action", "actor", "organisation_name", "target", "why"]
    list_filter = [
        ("letter", admin.RelatedOnlyFieldListFilter),
        OrganisationFilter,
        ActorFilter,
        "action",
        TargetTypeFilter,
    ]
    search_fields = ["action", "actor__email", "organisation__name", "letter__title", "reason"]
    date_hierarchy = "created_at"
    list_select_related = ["actor", "organisation", "letter"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    fields = [
        "created_at",
        "action",
        "actor",
        "organisation",
        "letter",
        "target",
        "reason",
        "details",
    ]
    readonly_fields = fields

    class Media:
        css = {"all": ["css/admin-moderation.css"]}

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        # Events about a draft name it: only its coordinators (and superusers) see them, as
        # the letter admin shows drafts (letters/admin/letters.py).
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        letters = AuditEvent._meta.get_field("letter").related_model._default_manager
        hidden = letters.filter(status="draft").exclude(coordinators__user=request.user)
        return queryset.exclude(letter__in=hidden.values("pk"))

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": _("Audit trail"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    @admin.display(description=_("about"))
    def target(self, obj: AuditEvent) -> str:
        return target_link(obj)

    @admin.display(description=_("organisation"), ordering="organisation__name")
    def organisation_name(self, obj: AuditEvent) -> str:
        return Truncator(obj.organisation.name).chars(40) if obj.organisation else "—"

    @admin.display(description=_("why"))
    def why(self, obj: AuditEvent) -> str:
        return Truncator(obj.reason).chars(60)

    @admin.display(description=_("details"))
    def details(self, obj: AuditEvent) -> str:
        if not obj.data:
            return "—"
        return format_html(
            "<pre>{}</pre>", json.dumps(obj.data, indent=2, ensure_ascii=False, sort_keys=True)
        )


def target_link(event: AuditEvent) -> str:
    """A link to the admin page of what the event is about, when there is one."""
    if not event.target_type or event.target_id is None:
        return "—"
    label = f"{event.target_type} #{event.target_id}"
    app_label, _dot, model_name = event.target_type.partition(".")
    try:
        url = reverse(f"admin:{app_label}_{model_name}_change", args=[event.target_id])
    except NoReverseMatch:
        return label
    return format_html('<a href="{}">{}</a>', url, label)


def trail_url(**filters: int) -> str:
    """The audit changelist filtered, e.g. trail_url(letter__id__exact=3)."""
    return reverse("admin:audit_auditevent_changelist") + "?" + urlencode(filters)


def trail_table(events: Iterable[AuditEvent], *, full_trail_url: str = "") -> SafeString:
    """The history table shown on an object's admin page, newest first."""
    events = list(events)
    if not events:
        return format_html("{}", _("No events."))
    rows = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        (
            (
                f"{event.created_at:%Y-%m-%d %H:%M:%S} UTC",
                event.get_action_display(),
                event.actor.email if event.actor else _("system or signer"),
                event.reason,
            )
            for event in events
        ),
    )
    more = ""
    if full_trail_url:
        more = format_html('<p><a href="{}">{}</a></p>', full_trail_url, _("The full trail"))
    return format_html(
        '<table class="audit-trail"><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>'
        "</tr></thead><tbody>{}</tbody></table>{}",
        _("When"),
        _("Action"),
        _("Who"),
        _("Why"),
        rows,
        more,
    )
