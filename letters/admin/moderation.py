"""The moderators' queue (PendingSignature) and every signature (Signature): columns with
what a moderator needs to decide, filters, a read-only page with the history, and approve /
reject as actions calling letters.services."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin import trail_table
from audit.models import AuditEvent
from core.errors import DomainError, NotAllowed

from .. import selectors, services
from ..forms.moderation import RejectionForm
from ..models import PendingSignature, Signature, attach_organisations
from .letters import AUDIT_EVENTS_SHOWN


class LetterFilter(admin.SimpleListFilter):
    """By letter, with how many of the listed signatures each letter has."""

    title = _("letter")
    parameter_name = "letter"

    def lookups(self, request, model_admin):
        rows = (
            model_admin.get_queryset(request)
            .order_by()
            .values("letter_id", "letter__title")
            .annotate(n=Count("pk"))
            .order_by("letter__title", "letter_id")
        )
        return [(str(row["letter_id"]), f"{row['letter__title']} ({row['n']})") for row in rows]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(letter_id=int(value))
        return queryset


class VerifiedOrganisationFilter(admin.SimpleListFilter):
    title = _("organisation verified")
    parameter_name = "verified"

    def lookups(self, request, model_admin):
        return [("yes", _("Verified")), ("no", _("Not verified"))]

    def queryset(self, request, queryset):
        if self.value() in {"yes", "no"}:
            verified = self.value() == "yes"
            # Withheld signatures keep their organisation encrypted: decided here.
            withheld = [
                s.pk
                for s in queryset.filter(public_organisation__isnull=True)
                .exclude(organisation_key="")
                .only("pk", "public_organisation", "sealed_organisation")
                .with_organisations()
                if s.organisation is not None and s.organisation.is_verified == verified
            ]
            return queryset.filter(
                Q(public_organisation__is_verified=verified) | Q(pk__in=withheld)
            )
        return queryset


class ReviewChangeList(ChangeList):
    """Adds, for the page being shown, what a moderator needs to decide (review notes), in a
    constant number of queries (letters.selectors.add_review_notes)."""

    def get_results(self, request):
        super().get_results(request)
        if request.method == "GET":  # a POST is an action: the page is not rendered
            results = list(self.result_list)
            attach_organisations(results)  # withheld ones' organisations, in one query
            self.result_list = selectors.add_review_notes(results)


REJECT_LISTED = 100  # signatures named on the rejection page; the rest are counted
# How authority was established, in the few words a column has room for.
AUTHORITY_SHORT = {
    Signature.Authority.INVITATION: _("invited"),
    Signature.Authority.VERIFIED_DOMAIN: _("verified email domain"),
    Signature.Authority.MEMBERSHIP: _("member of the organisation"),
    Signature.Authority.NONE: _("not established"),
}


class SignatureReviewAdmin(admin.ModelAdmin):
    """What the queue and the list of every signature share: columns, filters, search, a
    read-only page with the signature's history, and the decisions as actions."""

    list_select_related = ["letter", "public_organisation"]
    # The signer's name and address, the name they typed and a withheld signature's
    # organisation are stored encrypted: the database cannot search them;
    # get_search_results compares them here.
    search_fields = ["public_organisation__name"]

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        needle = search_term.strip().casefold()
        if not needle:
            return found, may_have_duplicates
        signers = [
            signature.pk
            for signature in queryset.select_related(None)
            .only(
                "pk",
                "signer_name",
                "signer_email",
                "proposed_organisation_name",
                "public_organisation",
                "sealed_organisation",
            )
            .with_organisations()
            if needle in signature.signer_name.casefold()
            or needle in signature.signer_email.casefold()
            or needle in signature.proposed_organisation_name.casefold()
            or (
                signature.public_organisation_id is None
                and signature.organisation is not None
                and needle in signature.organisation.name.casefold()
            )
        ]
        return found | queryset.filter(pk__in=signers), True

    list_per_page = 100
    show_full_result_count = False
    # The letter filter counts already; facet counts would cost a query per choice.
    show_facets = admin.ShowFacets.NEVER
    actions = ["approve_selected", "reject_selected"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "letter",
                    "organisation_link",
                    "status",
                    "authority",
                    "invitation",
                    "signed_version",
                    "created_at",
                    "confirmed_at",
                ]
            },
        ),
        (
            _("Signer"),
            {
                "fields": [
                    "signer_name",
                    "signer_title",
                    "signer_email",
                    "visibility",
                    "show_signer_name",
                    "submitted_by_email",
                ]
            },
        ),
        (
            _("Review"),
            {
                "fields": [
                    "email_domain",
                    "warnings",
                    "decided_by_email",
                    "decided_at",
                    "rejection_reason",
                    "rejection_note",
                    "withdrawn_at",
                ]
            },
        ),
        (_("History"), {"fields": ["audit_trail"]}),
    ]
    readonly_fields = [f for _name, options in fieldsets for f in options["fields"]]

    class Media:
        css = {"all": ["css/admin-moderation.css"]}

    def get_changelist(self, request, **kwargs):
        return ReviewChangeList

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # A signature's page is for reading; "change" is the right to decide (the actions).
        if obj is not None:
            return False
        return super().has_change_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # a signature is a record; it is rejected or withdrawn, never deleted

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            selectors.add_review_notes([obj])
        return obj

    # --- Columns ---------------------------------------------------------------------------

    @admin.display(description=_("organisation"))
    def organisation_link(self, obj: Signature) -> str:
        organisation = obj.organisation
        if organisation is None:  # a name as typed, awaiting its signer's confirmation
            return format_html(
                '<bdi>{}</bdi> <span class="mod-badge mod-warn">{}</span>',
                obj.proposed_organisation_name,
                _("as typed, not yet confirmed"),
            )
        url = reverse("admin:organisations_organisation_change", args=[organisation.pk])
        badge = (
            format_html('<span class="mod-badge mod-ok">{}</span>', _("verified"))
            if organisation.is_verified
            else format_html('<span class="mod-badge mod-warn">{}</span>', _("unverified"))
        )
        domains = ""
        review = getattr(obj, "review", None)
        if review is not None and review.domains:
            domains = format_html(
                '<br><span class="mod-help">{}</span>',
                format_html_join(
                    ", ",
                    "{}{}",
                    ((d.domain, " ✓" if d.is_verified else "") for d in review.domains),
                ),
            )
        return format_html('<a href="{}">{}</a> {}{}', url, organisation.name, badge, domains)

    @admin.display(description=_("signer"))
    def signer(self, obj: Signature) -> str:
        title = format_html(", {}", obj.signer_title) if obj.signer_title else ""
        return format_html(
            '<span dir="auto">{}{}</span><br><span class="mod-help">{}</span>',
            obj.signer_name,
            title,
            obj.signer_email,
        )

    @admin.display(description=_("signer"))
    def signer_and_authority(self, obj: Signature) -> str:
        """Who signed, how their authority was established, what their address proves."""
        return format_html(
            '{}<br><span class="mod-help">{} {}</span><br>{}',
            self.signer(obj),
            _("Authority:"),
            AUTHORITY_SHORT.get(obj.authority, obj.authority),
            self.email_domain(obj),
        )

    @admin.display(description=_("waiting since"), ordering="confirmed_at")
    def waiting_since(self, obj: Signature) -> str:
        if obj.confirmed_at is None:
            return "—"
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            obj.confirmed_at.replace(microsecond=0).isoformat(),  # HTML: at most 3 digits
            f"{obj.confirmed_at:%Y-%m-%d %H:%M} UTC",
            naturaltime(obj.confirmed_at),
        )

    @admin.display(description=_("letter"), ordering="letter__title")
    def letter_title(self, obj: Signature) -> str:
        return Truncator(obj.letter.title).chars(60)

    @admin.display(description=_("email domain"))
    def email_domain(self, obj: Signature) -> str:
        review = getattr(obj, "review", None)
        if review is None:
            return "—"
        labels = {
            selectors.DOMAIN_VERIFIED: (
                "mod-ok",
                _("%(domain)s: a verified domain of the organisation"),
            ),
            selectors.DOMAIN_LISTED: ("mod-warn", _("%(domain)s: listed, not verified")),
            selectors.DOMAIN_PUBLIC: ("mod-warn", _("%(domain)s: a public mail service")),
            selectors.DOMAIN_NONE: ("mod-warn", _("%(domain)s: not one of its domains")),
        }
        css, label = labels[review.domain_match]
        return format_html('<span class="{}">{}</span>', css, label % {"domain": review.domain})

    @admin.display(description=_("warnings"))
    def warnings(self, obj: Signature) -> str:
        review = getattr(obj, "review", None)
        if review is None or not review.has_warnings:
            return "—"
        items = []
        if review.signed_as:
            items.append(
                format_html(
                    "{} {}",
                    _("Already signed this letter as:"),
                    format_html_join(
                        ", ",
                        '<a href="{}">{}</a> ({})',
                        (
                            (
                                reverse("admin:letters_signature_change", args=[other.pk]),
                                other.organisation_name,
                                other.get_status_display(),
                            )
                            for other in review.signed_as
                        ),
                    ),
                )
            )
        if review.duplicates:
            items.append(
                format_html(
                    "{} {}",
                    _("Possible duplicate of:"),
                    format_html_join(
                        ", ",
                        '<a href="{}">{}</a>{}',
                        (
                            (
                                reverse("admin:organisations_organisation_change", args=[o.pk]),
                                o.name,
                                " ✓" if o.is_verified else "",
                            )
                            for o in review.duplicates
                        ),
                    ),
                )
            )
        if review.domain_owner is not None:
            items.append(
                format_html(
                    "{} {}",
                    _("The signer's domain is verified for:"),
                    review.domain_owner.name,
                )
            )
        if review.is_new:
            items.append(format_html("{}", _("New: unverified, never approved")))
        return format_html(
            '<ul class="mod-warnings">{}</ul>',
            format_html_join("", "<li>{}</li>", ((item,) for item in items)),
        )

    # Accounts as text: the admin would link them to a user page moderators may not open.
    @admin.display(description=_("decided by"))
    def decided_by_email(self, obj: Signature) -> str:
        return obj.decided_by.email if obj.decided_by else "—"

    @admin.display(description=_("submitted by (logged in)"))
    def submitted_by_email(self, obj: Signature) -> str:
        return obj.submitted_by.email if obj.submitted_by else "—"

    @admin.display(description=_("version signed"))
    def signed_version(self, obj: Signature) -> str:
        return format_html("{} ({}…)", obj.version.number, obj.version_hash[:12])

    @admin.display(description=_("History"))
    def audit_trail(self, obj: Signature) -> str:
        events = (
            AuditEvent.objects.filter(target_type=Signature._meta.label_lower, target_id=obj.pk)
            .select_related("actor")
            .order_by("-created_at", "-id")[:AUDIT_EVENTS_SHOWN]
        )
        return trail_table(events)

    # --- Decisions -------------------------------------------------------------------------

    def _chosen_ids(self, request: HttpRequest, queryset: QuerySet) -> list[int]:
        """The rows the moderator ticked, as sent — not only those still awaiting review, so
        that one decided by someone else meanwhile is reported rather than silently dropped.
        "Select all" across pages means the filtered queryset."""
        if request.POST.get("select_across") in {"1", "True", "true", "on"}:
            return list(queryset.values_list("pk", flat=True))
        return [int(pk) for pk in request.POST.getlist(ACTION_CHECKBOX_NAME) if pk.isdigit()]

    def _after_decision(self, request: HttpRequest) -> HttpResponse | None:
        # From a signature's own page, back to the queue: the page of a decided signature is
        # no longer in the queue.
        match = request.resolver_match
        if match is not None and match.url_name and match.url_name.endswith("_change"):
            return HttpResponseRedirect(reverse("admin:letters_pendingsignature_changelist"))
        return None

    def _report(self, request: HttpRequest, result: services.Decisions, *, approved: bool):
        for level, text in result.report(approved=approved):
            self.message_user(request, text, level)

    @admin.action(
        description=_("Approve"),
        description_plural=_("Approve selected signatures"),
        permissions=["change"],
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Signature]):
        try:
            result = services.decide_signatures(
                signature_ids=self._chosen_ids(request, queryset),
                moderator=request.user,
                approve=True,
            )
        except DomainError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return None
        self._report(request, result, approved=True)
        return self._after_decision(request)

    @admin.action(
        description=_("Reject…"),
        description_plural=_("Reject selected signatures…"),
        permissions=["change"],
        location=[admin.ActionLocation.CHANGE_LIST, admin.ActionLocation.CHANGE_FORM],
    )
    def reject_selected(self, request: HttpRequest, queryset: QuerySet[Signature]):
        """An intermediate page asks for the reason; it posts back here with `apply`."""
        ids = self._chosen_ids(request, queryset)
        pending = (
            Signature.objects.filter(pk__in=ids, status=Signature.Status.PENDING_REVIEW)
            .with_organisations()
            .select_related("letter")
            .order_by("confirmed_at", "created_at", "pk")
        )
        count = pending.count()
        # A note is about one organisation: asked for only when one signature is rejected.
        form = RejectionForm(request.POST if "apply" in request.POST else None, count=count)
        if form.is_bound and form.is_valid():
            try:
                result = services.decide_signatures(
                    signature_ids=ids,
                    moderator=request.user,
                    approve=False,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                )
            except NotAllowed as exc:
                self.message_user(request, exc.message, messages.ERROR)
                return None
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                self._report(request, result, approved=False)
                return None
        if not count:
            self.message_user(
                request,
                _("None of the selected signatures is awaiting review: nothing to reject."),
                messages.WARNING,
            )
            return self._after_decision(request)
        changelist = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
        match = request.resolver_match
        from_changelist = match is not None and match.url_name.endswith("_changelist")
        return TemplateResponse(
            request,
            "admin/letters/reject_signatures.html",
            {
                **self.admin_site.each_context(request),
                "title": ngettext(
                    "Reject %(count)d signature", "Reject %(count)d signatures", count
                )
                % {"count": count},
                "opts": self.opts,
                "form": form,
                "signatures": pending[:REJECT_LISTED],
                "count": count,
                "not_listed": max(count - REJECT_LISTED, 0),
                # Posted back as they came: with "select all", the ids of the page (the
                # queryset is taken again on apply); otherwise the ticked rows.
                "ids": request.POST.getlist(ACTION_CHECKBOX_NAME) or ids,
                "select_across": request.POST.get("select_across", "0"),
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
                # Back to the list the moderator came from, its filters included.
                "form_url": request.get_full_path() if from_changelist else changelist,
                "cancel_url": request.get_full_path(),
                "media": self.media,
            },
        )


@admin.register(Signature)
class SignatureAdmin(SignatureReviewAdmin):
    """Every signature, in every state: look one up, read its history."""

    list_display = [
        "created_at",
        "organisation_link",
        "letter_title",
        "signer_and_authority",
        "status",
        "warnings",
    ]
    list_filter = [LetterFilter, "status", "authority", VerifiedOrganisationFilter]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-pk"]

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": _("Signatures"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)


@admin.register(PendingSignature)
class PendingSignatureAdmin(SignatureReviewAdmin):
    """The moderators' queue: signatures awaiting review across all letters, oldest first."""

    list_display = [
        "waiting_since",
        "organisation_link",
        "letter_title",
        "signer_and_authority",
        "warnings",
    ]
    list_filter = [LetterFilter, "authority", VerifiedOrganisationFilter]
    ordering = ["confirmed_at", "created_at", "pk"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PendingSignature]:
        return super().get_queryset(request).filter(status=Signature.Status.PENDING_REVIEW)

    def changelist_view(self, request, extra_context=None):
        extra_context = {"title": _("Signatures awaiting review"), **(extra_context or {})}
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """A queue link to a signature decided since (a digest email, a second tab, another
        moderator's decision) goes to the signature's own page with a word on why, instead of
        the admin's "doesn't exist. Perhaps it was deleted?". Only for someone who may see
        that page; anyone else gets the admin's usual answer."""
        if self.get_object(request, unquote(object_id)) is None:
            signatures = self.admin_site._registry.get(Signature)
            decided = signatures.get_object(request, unquote(object_id)) if signatures else None
            if decided is not None and signatures.has_view_or_change_permission(request, decided):
                self.message_user(
                    request,
                    _("This signature is no longer awaiting review. Its status now: %(status)s.")
                    % {"status": decided.get_status_display()},
                    messages.INFO,
                )
                return HttpResponseRedirect(
                    reverse("admin:letters_signature_change", args=[decided.pk])
                )
        return super().change_view(request, object_id, form_url, extra_context)
