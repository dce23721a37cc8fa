"""Merging duplicate organisations: organisations.admin.OrganisationAdmin with a merge action
and its preview page. It lives in letters because the merge moves letters' rows too, and
`organisations` must not import `letters`."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from core.errors import DomainError
from organisations.admin import OrganisationAdmin
from organisations.models import Organisation

from .. import selectors, services
from ..forms.moderation import MergeForm


class OrganisationWithMergeAdmin(OrganisationAdmin):
    """organisations.admin.OrganisationAdmin, plus merging two organisations into one."""

    actions = [*OrganisationAdmin.actions, "merge_selected"]

    def get_urls(self):
        return [
            path(
                "merge/",
                self.admin_site.admin_view(self.merge_view),
                name="organisations_organisation_merge",
            ),
            *super().get_urls(),
        ]

    @admin.action(description=_("Merge the two selected organisations…"), permissions=["change"])
    def merge_selected(self, request: HttpRequest, queryset: QuerySet[Organisation]):
        # The one kept by default: verified before unverified, then the older.
        chosen = list(queryset.order_by("-is_verified", "created_at", "pk")[:3])
        if len(chosen) != 2:
            self.message_user(
                request, _("Select exactly two organisations to merge."), messages.WARNING
            )
            return None
        target, source = chosen
        return HttpResponseRedirect(_merge_url(source=source, target=target))

    def merge_view(self, request: HttpRequest) -> HttpResponse:
        """Preview what moves from the duplicate (source) to the kept organisation (target),
        resolve the conflicts, merge."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        params = request.POST if request.method == "POST" else request.GET
        ids = [params.get("source", ""), params.get("target", "")]
        if not all(i.isdigit() for i in ids):
            raise Http404
        source = get_object_or_404(Organisation, pk=int(ids[0]))
        target = get_object_or_404(Organisation, pk=int(ids[1]))
        if source.pk == target.pk:
            raise Http404
        plan = selectors.plan_merge(source=source, target=target)
        form = MergeForm(plan, data=request.POST if request.method == "POST" else None)
        if form.is_bound and form.is_valid():
            try:
                services.merge_organisations(
                    source=source,
                    target=target,
                    moderator=request.user,
                    resolutions=form.resolutions(),
                )
            except DomainError as exc:
                form = MergeForm(selectors.plan_merge(source=source, target=target))
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("%(source)s was merged into %(target)s.")
                    % {"source": source.name, "target": target.name},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse("admin:organisations_organisation_change", args=[target.pk])
                )
        return TemplateResponse(
            request,
            "admin/organisations/merge.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Merge organisations"),
                "opts": self.opts,
                "plan": form.plan,
                "form": form,
                "conflict_fields": [
                    (c, form[MergeForm.field_name(c.letter.pk)]) for c in form.plan.conflicts
                ],
                "blocked": bool(source.merged_into_id or target.merged_into_id)
                or bool(form.plan.unresolvable),
                "swap_url": _merge_url(source=target, target=source),
                "media": self.media + forms.Media(css={"all": ["css/admin-moderation.css"]}),
            },
        )


def _merge_url(*, source: Organisation, target: Organisation) -> str:
    return (
        reverse("admin:organisations_organisation_merge")
        + "?"
        + urlencode({"source": source.pk, "target": target.pk})
    )


# Replaces the registration in organisations/admin.py (apps load in INSTALLED_APPS order, and
# organisations comes before letters).
admin.site.unregister(Organisation)
admin.site.register(Organisation, OrganisationWithMergeAdmin)
