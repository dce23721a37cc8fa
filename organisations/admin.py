"""Moderators' view of organisations, their members and email domains.

Every change made here goes through organisations.services, like everywhere else, so the same
rules hold (the last admin stays, public mail domains are never verified…) and every change
leaves an audit event. Verification only happens through the admin actions.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminFileWidget
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Case, F, QuerySet, Value, When
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin import trail_table, trail_url
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed

from . import logos, services
from .domains import normalise_domain
from .models import (
    EmailDomain,
    Membership,
    MembershipInvitation,
    Organisation,
    OrganisationFlag,
    lookalike_q,
    same_name_q,
)
from .names import validate_detail

# --- Organisations -------------------------------------------------------------------------

# Enough for an organisation's page; the full trail is in the audit events admin.
AUDIT_EVENTS_SHOWN = 200


class LogoWidget(AdminFileWidget):
    """The admin's file widget, labelled by the field's own <label for>: inside a fieldset
    whose legend is the only name, the file input has no label (axe: label, critical)."""

    use_fieldset = False


class OrganisationAdminForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = ["name", "acronym", "based_in", "website", "description", "logo"]
        widgets = {"logo": LogoWidget(attrs={"accept": "image/*"})}

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        clash = (
            Organisation.objects.filter(same_name_q(name) | lookalike_q(name))
            .exclude(pk=self.instance.pk)
            .first()
        )
        if clash is not None:
            raise ValidationError(services.DuplicateOrganisation(clash).message)
        return name

    def clean_website(self) -> str:
        website = self.cleaned_data["website"]
        if website:
            URLValidator(schemes=["http", "https"])(website)
        return website

    def clean(self):
        cleaned = super().clean()
        for field in services.EDITABLE_FIELDS:
            if cleaned.get(field) and field in self.changed_data:
                try:
                    validate_detail(field, cleaned[field])
                except ValidationError as exc:
                    self.add_error(field, exc)
        return cleaned

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if "logo" in self.changed_data and logo:
            # A new upload: the same checks and re-encoding as on the site.
            return logos.clean_logo(logo)
        return logo


class MembershipInlineForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["user", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        widget = self.fields["user"].widget
        # Accounts are created by people signing up, not from here.
        widget.can_add_related = widget.can_change_related = widget.can_delete_related = False
        if self.instance.pk:
            # A membership belongs to one person: to move it, remove it and add another.
            self.fields["user"].disabled = True


# Stacked, not tabular: a tabular inline's fields have only their column's heading, no label of
# their own (axe: label, select-name, critical; issue 15's gate).
class MembershipInline(admin.StackedInline):
    model = Membership
    form = MembershipInlineForm
    fk_name = "organisation"
    autocomplete_fields = ["user"]
    readonly_fields = ["added_by", "created_at"]
    extra = 0


class EmailDomainInlineForm(forms.ModelForm):
    class Meta:
        model = EmailDomain
        fields = ["domain"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["domain"].disabled = True

    def clean_domain(self) -> str:
        if self.instance.pk:
            return self.instance.domain
        return normalise_domain(self.cleaned_data["domain"])


class EmailDomainInline(admin.StackedInline):
    model = EmailDomain
    form = EmailDomainInlineForm
    readonly_fields = ["is_verified", "verified_by", "verified_at", "created_at"]
    extra = 0


def _report(modeladmin: admin.ModelAdmin, request: HttpRequest, exc: DomainError) -> None:
    modeladmin.message_user(request, exc.message, level=messages.ERROR)


class FlaggedFilter(admin.SimpleListFilter):
    title = _("flags for moderators")
    parameter_name = "flagged"

    def lookups(self, request, model_admin):
        return [("open", _("Has an open flag"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(flags__resolved_at__isnull=True).distinct()
        return queryset


class MergedFilter(admin.SimpleListFilter):
    title = _("merged")
    parameter_name = "merged"

    def lookups(self, request, model_admin):
        return [("no", _("Not merged")), ("yes", _("Merged into another"))]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return queryset.filter(merged_into__isnull=self.value() == "no")
        return queryset


# Merging duplicates is added by letters/admin/merge.py (OrganisationWithMergeAdmin), which
# re-registers this admin: a merge moves letters' rows, and organisations must not import letters.
@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = [
        "name",
        "acronym",
        "based_in",
        "is_verified",
        "is_sealed",
        "domains",
        "merged_into",
        "created_at",
    ]
    list_filter = ["is_verified", "is_sealed", FlaggedFilter, MergedFilter, "created_at"]
    # By name, sealed ones last in the order they were made: their stored names are
    # encrypted, so the database cannot order them by name.
    ordering = [
        "is_sealed",
        Case(When(is_sealed=False, then=F("name")), default=Value("")),
        "pk",
    ]
    list_select_related = ["merged_into"]
    search_fields = ["name", "acronym", "normalised_name", "based_in", "email_domains__domain"]

    def get_search_results(self, request, queryset, search_term):
        """Sealed organisations' names are encrypted: the database cannot search them, so
        they are compared here (there are few: each exists only for a withheld signature)."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        needle = search_term.strip().casefold()
        if not needle:
            return found, may_have_duplicates
        sealed = [
            o.pk
            for o in queryset.select_related(None)
            .filter(is_sealed=True)
            .only("pk", "name", "acronym", "based_in")
            if any(needle in (v or "").casefold() for v in (o.name, o.acronym, o.based_in))
        ]
        return found | queryset.filter(pk__in=sealed), True

    readonly_fields = [
        "slug",
        "normalised_name",
        "is_sealed",
        "is_verified",
        "verified_by",
        "verified_at",
        "merged_into",
        "created_at",
        "updated_at",
        "audit_trail",
        "open_flags",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": ["name", "normalised_name", "slug", "acronym", "based_in", "is_sealed"],
                # Sealed: the list's name search finds it only by a comparison in Python (below).
                "description": _(
                    "A sealed organisation exists only because of withheld signatures: its "
                    "name and details are stored encrypted, shown here decrypted. It is "
                    "unsealed when verified, when it gets a member or an email domain, or when "
                    "it signs publicly."
                ),
            },
        ),
        (_("Public page"), {"fields": ["website", "description", "logo"]}),
        (
            _("Verification"),
            {
                "fields": ["is_verified", "verified_by", "verified_at"],
                "description": _(
                    "Verify or unverify with the actions of the organisation list, so that "
                    "the decision is recorded in the audit trail."
                ),
            },
        ),
        (_("Flags for moderators"), {"fields": ["open_flags"]}),
        (_("History"), {"fields": ["merged_into", "created_at", "updated_at", "audit_trail"]}),
    ]
    inlines = [MembershipInline, EmailDomainInline]
    actions = ["verify_selected", "unverify_selected"]
    date_hierarchy = "created_at"

    class Media:
        css = {"all": ["css/admin-moderation.css"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Organisation]:
        # The domains column: one query for the page, not one per row.
        return super().get_queryset(request).prefetch_related("email_domains")

    @admin.display(description=_("email domains"))
    def domains(self, obj: Organisation) -> str:
        return ", ".join(
            f"{d.domain} ✓" if d.is_verified else d.domain for d in obj.email_domains.all()
        )

    @admin.display(description=_("Open flags"))
    def open_flags(self, obj: Organisation) -> str:
        """What the site flagged about it and told nobody else (resolved in the flags' list)."""
        flags = obj.flags.filter(resolved_at__isnull=True).select_related("other")
        if not flags:
            return "-"
        return format_html_join(
            mark_safe("<br>"),
            "{}: {} {}",
            (
                (flag.get_kind_display(), flag.other.name if flag.other else "", flag.note)
                for flag in flags
            ),
        )

    @admin.display(description=_("Audit trail"))
    def audit_trail(self, obj: Organisation) -> str:
        events = (
            AuditEvent.objects.filter(organisation=obj)
            .select_related("actor")
            .order_by("-created_at", "-id")[:AUDIT_EVENTS_SHOWN]
        )
        return trail_table(events, full_trail_url=trail_url(organisation=obj.pk))

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Organisations are registered on the site, where their creator becomes their admin.
        return False

    def save_model(self, request, obj, form, change) -> None:
        # The form has already copied its input onto `obj`; the service gets a fresh copy so
        # that it sees what really changed.
        organisation = Organisation.objects.get(pk=obj.pk)
        changes = {
            field: form.cleaned_data[field]
            for field in services.EDITABLE_FIELDS
            if field in form.changed_data
        }
        logo = form.cleaned_data.get("logo") if "logo" in form.changed_data else None
        try:
            services.update_organisation(
                organisation=organisation,
                actor=request.user,
                logo=logo or None,
                clear_logo=logo is False,
                **changes,
            )
        except DomainError as exc:
            _report(self, request, exc)

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is Membership:
            self._save_memberships(request, form.instance, formset)
        elif formset.model is EmailDomain:
            self._save_email_domains(request, form.instance, formset)
        else:  # pragma: no cover - only the two inlines above exist
            super().save_formset(request, form, formset, change)

    def _save_memberships(self, request, organisation: Organisation, formset) -> None:
        formset.save(commit=False)
        for membership in formset.deleted_objects:
            self._attempt(request, services.remove_member, membership=membership)
        for membership, changed in formset.changed_objects:
            if "role" in changed:
                self._attempt(
                    request,
                    services.change_member_role,
                    membership=Membership.objects.get(pk=membership.pk),
                    role=membership.role,
                )
        for membership in formset.new_objects:
            self._attempt(
                request,
                services.add_member,
                organisation=organisation,
                user=membership.user,
                role=membership.role,
            )

    def _save_email_domains(self, request, organisation: Organisation, formset) -> None:
        formset.save(commit=False)
        for email_domain in formset.deleted_objects:
            self._attempt(request, services.remove_email_domain, email_domain=email_domain)
        for email_domain in formset.new_objects:
            self._attempt(
                request,
                services.add_email_domain,
                organisation=organisation,
                domain=email_domain.domain,
            )

    def _attempt(self, request, service, **kwargs) -> None:
        """Run one service call; a refusal is reported and does not stop the other rows."""
        try:
            service(actor=request.user, **kwargs)
        except DomainError as exc:
            _report(self, request, exc)

    @admin.action(description=_("Verify selected organisations"))
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        self._set_verified(request, queryset, verified=True)

    @admin.action(description=_("Unverify selected organisations"))
    def unverify_selected(self, request: HttpRequest, queryset: QuerySet[Organisation]) -> None:
        self._set_verified(request, queryset, verified=False)

    def _set_verified(self, request, queryset, *, verified: bool) -> None:
        changed = 0
        for organisation in queryset:
            was = organisation.is_verified
            try:
                services.verify_organisation(
                    organisation=organisation, moderator=request.user, verified=verified
                )
            except DomainError as exc:
                _report(self, request, exc)
                return
            changed += was != verified
        if verified:
            message = ngettext(
                "%(count)d organisation verified.", "%(count)d organisations verified.", changed
            )
        else:
            message = ngettext(
                "%(count)d organisation unverified.", "%(count)d organisations unverified.", changed
            )
        self.message_user(request, message % {"count": changed}, level=messages.SUCCESS)


# --- Email domains -------------------------------------------------------------------------


@admin.register(EmailDomain)
class EmailDomainAdmin(admin.ModelAdmin):
    """Domains are listed by their organisations; moderators verify them here."""

    list_display = ["domain", "organisation", "is_verified", "verified_by", "verified_at"]
    list_filter = ["is_verified"]
    search_fields = ["domain", "organisation__name"]
    list_select_related = ["organisation", "verified_by"]
    readonly_fields = [
        "organisation",
        "domain",
        "is_verified",
        "verified_by",
        "verified_at",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["verify_selected", "unverify_selected", "remove_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Removing goes through the service (the action below, or the organisation's inline),
        # which records it.
        return False

    @admin.action(description=_("Remove selected email domains"), permissions=["change"])
    def remove_selected(self, request: HttpRequest, queryset: QuerySet[EmailDomain]) -> None:
        removed = 0
        for email_domain in queryset.select_related("organisation"):
            try:
                services.remove_email_domain(email_domain=email_domain, actor=request.user)
            except NotAllowed as exc:
                _report(self, request, exc)
                return
            except DomainError as exc:
                _report(self, request, exc)
                continue
            removed += 1
        message = ngettext(
            "%(count)d email domain removed.", "%(count)d email domains removed.", removed
        )
        self.message_user(request, message % {"count": removed}, level=messages.SUCCESS)

    @admin.action(description=_("Verify selected email domains"))
    def verify_selected(self, request: HttpRequest, queryset: QuerySet[EmailDomain]) -> None:
        self._set_verified(request, queryset, verified=True)

    @admin.action(description=_("Unverify selected email domains"))
    def unverify_selected(self, request: HttpRequest, queryset: QuerySet[EmailDomain]) -> None:
        self._set_verified(request, queryset, verified=False)

    def _set_verified(self, request, queryset, *, verified: bool) -> None:
        changed = 0
        for email_domain in queryset.select_related("organisation"):
            was = email_domain.is_verified
            try:
                services.set_email_domain_verified(
                    email_domain=email_domain, moderator=request.user, verified=verified
                )
            except NotAllowed as exc:
                _report(self, request, exc)
                return
            except DomainError as exc:
                # One refused domain (a public mail service, already verified elsewhere)
                # does not stop the others.
                _report(self, request, exc)
                continue
            changed += was != verified
        if verified:
            message = ngettext(
                "%(count)d email domain verified.", "%(count)d email domains verified.", changed
            )
        else:
            message = ngettext(
                "%(count)d email domain unverified.",
                "%(count)d email domains unverified.",
                changed,
            )
        self.message_user(request, message % {"count": changed}, level=messages.SUCCESS)


# --- Membership invitations ----------------------------------------------------------------


@admin.register(MembershipInvitation)
class MembershipInvitationAdmin(admin.ModelAdmin):
    """Invitations are sent from the organisation's members page; here they can be looked up
    and revoked. The secret of the link is never stored, so it cannot be shown."""

    list_display = ["email", "organisation", "role", "status", "invited_by", "created_at"]
    list_filter = ["status", "role"]
    search_fields = ["email", "organisation__name"]
    list_select_related = ["organisation", "invited_by"]
    readonly_fields = [
        "organisation",
        "email",
        "role",
        "status",
        "invited_by",
        "accepted_by",
        "responded_at",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["revoke_selected"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # The row is the record of who was invited, by whom; revoking keeps it.
        return False

    @admin.action(description=_("Revoke selected pending invitations"))
    def revoke_selected(
        self, request: HttpRequest, queryset: QuerySet[MembershipInvitation]
    ) -> None:
        revoked = 0
        for invitation in queryset.select_related("organisation"):
            try:
                services.revoke_membership_invitation(invitation=invitation, actor=request.user)
            except NotAllowed as exc:
                _report(self, request, exc)
                return
            except DomainError as exc:
                _report(self, request, exc)
                continue
            revoked += 1
        message = ngettext(
            "%(count)d invitation revoked.", "%(count)d invitations revoked.", revoked
        )
        self.message_user(request, message % {"count": revoked}, level=messages.SUCCESS)


# --- Flags for moderators ------------------------------------------------------------------


class OpenFlagFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "open"

    def lookups(self, request, model_admin):
        return [("yes", _("Open")), ("no", _("Resolved"))]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            return queryset.filter(resolved_at__isnull=self.value() == "yes")
        return queryset


@admin.register(OrganisationFlag)
class OrganisationFlagAdmin(admin.ModelAdmin):
    """What the site noticed and told nobody else: a registration like a hidden organisation,
    a name mixing scripts within a word, a lookalike name."""

    list_display = ["organisation", "kind", "other", "raised_by", "created_at", "resolved_at"]
    list_filter = [OpenFlagFilter, "kind"]
    list_select_related = ["organisation", "other", "raised_by"]
    search_fields = ["organisation__name", "other__name", "note"]
    readonly_fields = [
        "organisation",
        "kind",
        "other",
        "note",
        "raised_by",
        "created_at",
        "resolved_at",
        "resolved_by",
    ]
    fields = readonly_fields
    actions = ["resolve_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=_("Mark selected flags as resolved"), permissions=["change"])
    def resolve_selected(self, request: HttpRequest, queryset: QuerySet[OrganisationFlag]):
        try:
            count = services.resolve_flags(flags=list(queryset), moderator=request.user)
        except NotAllowed as exc:
            _report(self, request, exc)
            return
        message = ngettext("%(count)d flag resolved.", "%(count)d flags resolved.", count)
        self.message_user(request, message % {"count": count}, level=messages.SUCCESS)
