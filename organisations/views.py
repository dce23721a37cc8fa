"""Organisation pages. Each view: authorise → validate → one service call → message → redirect.

The public page of an organisation is open to everyone; its members and email domains are
visible to its members and to moderators only; changes need an org admin or a moderator.
Services have the last word on every rule: their domain errors become form errors or
messages here, never a 500.
"""

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import is_moderator
from core.errors import DomainError

from . import services
from .forms import (
    AddMemberForm,
    EmailDomainForm,
    MemberRoleForm,
    OrganisationCreateForm,
    OrganisationEditForm,
)
from .models import EmailDomain, Membership, Organisation
from .names import normalise_name
from .permissions import can_manage_organisation, can_see_members
from .selectors import likely_duplicates, members_of, organisations_of

GET_OR_POST = require_http_methods(["GET", "HEAD", "POST"])
# Logos are shown inside this box (CSS pixels), keeping their proportions.
LOGO_BOX = (192, 96)


def _organisation(slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug)


def _access(request: HttpRequest, organisation: Organisation) -> dict[str, Any]:
    """What the visitor may do with the organisation, for the templates' links and buttons."""
    user = request.user
    return {
        "can_manage": can_manage_organisation(user, organisation),
        "can_see_members": can_see_members(user, organisation),
        "is_moderator": is_moderator(user),
    }


def _logo_size(organisation: Organisation) -> tuple[int, int] | None:
    """Width and height to show the logo at, or None if there is none (or its file is gone:
    a missing upload must not turn the public page into a 500)."""
    if not organisation.logo:
        return None
    try:
        width, height = organisation.logo.width, organisation.logo.height
    except (OSError, ValueError):
        return None
    if not width or not height:
        return None
    scale = min(LOGO_BOX[0] / width, LOGO_BOX[1] / height, 1)
    return round(width * scale), round(height * scale)


def _paragraphs(text: str) -> list[str]:
    # One <p dir="auto"> per paragraph: a description may mix right-to-left and
    # left-to-right paragraphs, and each must read in its own direction.
    return [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def _require_members_view(request: HttpRequest, organisation: Organisation) -> dict[str, Any]:
    access = _access(request, organisation)
    if not access["can_see_members"]:
        raise PermissionDenied
    return access


@login_required
def my_organisations(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "organisations/my_organisations.html",
        {"memberships": organisations_of(request.user)},
    )


@login_required
@GET_OR_POST
def create(request: HttpRequest) -> HttpResponse:
    """Register an organisation; its creator becomes its admin. Names that look like an
    organisation already registered need an explicit "this is a different one"."""
    form = OrganisationCreateForm(
        data=request.POST if request.method == "POST" else None,
        files=request.FILES if request.method == "POST" else None,
    )
    context: dict[str, Any] = {"form": form, "candidates": [], "existing": None}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        candidates = likely_duplicates(data["name"], acronym=data["acronym"])
        key = normalise_name(data["name"])
        exact = next((org for org in candidates if org.normalised_name == key), None)
        if exact is not None:
            form.add_error("name", services.DuplicateOrganisation(exact).message)
            context["existing"] = exact
        elif candidates and not form.duplicates_acknowledged():
            context.update(
                candidates=candidates,
                checked_name=data["name"],
                logo_dropped=bool(data["logo"]),
            )
        else:
            try:
                organisation = services.create_organisation(
                    created_by=request.user,
                    name=data["name"],
                    acronym=data["acronym"],
                    based_in=data["based_in"],
                    website=data["website"],
                    description=data["description"],
                    logo=data["logo"],
                )
            except services.DuplicateOrganisation as exc:
                form.add_error("name", exc.message)
                context["existing"] = exc.existing
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    _(
                        "“%(name)s” is registered and you are its administrator. A moderator "
                        "will verify it."
                    )
                    % {"name": organisation.name},
                )
                return redirect(organisation)
    return render(request, "organisations/organisation_create.html", context)


def detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The public page: who the organisation is. Never its members or email domains."""
    organisation = _organisation(slug)
    return render(
        request,
        "organisations/organisation_detail.html",
        {
            "organisation": organisation,
            "logo_size": _logo_size(organisation),
            "description": _paragraphs(organisation.description),
            **_access(request, organisation),
        },
    )


@login_required
@GET_OR_POST
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(slug)
    if not can_manage_organisation(request.user, organisation):
        raise PermissionDenied
    form = OrganisationEditForm(
        data=request.POST if request.method == "POST" else None,
        files=request.FILES if request.method == "POST" else None,
        initial={field: getattr(organisation, field) for field in services.EDITABLE_FIELDS},
    )
    existing = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_organisation(
                organisation=organisation,
                actor=request.user,
                logo=data["logo"],
                clear_logo=data["remove_logo"],
                **{field: data[field] for field in services.EDITABLE_FIELDS},
            )
        except services.DuplicateOrganisation as exc:
            form.add_error("name", exc.message)
            existing = exc.existing
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect(organisation)
    return render(
        request,
        "organisations/organisation_edit.html",
        {
            "organisation": organisation,
            "form": form,
            "existing": existing,
            "logo_size": _logo_size(organisation),
        },
    )


# --- Members -------------------------------------------------------------------------------


@login_required
@GET_OR_POST
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """The member list; org admins add people here by the email of their account."""
    organisation = _organisation(slug)
    access = _require_members_view(request, organisation)
    form = AddMemberForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not access["can_manage"]:
            raise PermissionDenied
        if form.is_valid():
            try:
                membership = services.add_member(
                    organisation=organisation,
                    email=form.cleaned_data["email"],
                    role=form.cleaned_data["role"],
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error("email", exc.message)
            else:
                messages.success(
                    request,
                    _("%(email)s is now a member of %(organisation)s.")
                    % {"email": membership.user.email, "organisation": organisation.name},
                )
                return redirect("organisations:members", slug=organisation.slug)
    return render(
        request,
        "organisations/members.html",
        {
            "organisation": organisation,
            "memberships": members_of(organisation),
            "form": form,
            "roles": MemberRoleForm.base_fields["role"].choices,
            **access,
        },
    )


def _membership(slug: str, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "organisation"),
        pk=pk,
        organisation__slug=slug,
    )


@login_required
@require_POST
def member_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = _membership(slug, pk)
    if not can_manage_organisation(request.user, membership.organisation):
        raise PermissionDenied
    form = MemberRoleForm(data=request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles."))
    else:
        try:
            services.change_member_role(
                membership=membership, role=form.cleaned_data["role"], actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The role of %(email)s is now “%(role)s”.")
                % {"email": membership.user.email, "role": membership.get_role_display()},
            )
    return redirect("organisations:members", slug=membership.organisation.slug)


@login_required
@GET_OR_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET asks for confirmation, POST removes. A member may remove themselves (leave)."""
    membership = _membership(slug, pk)
    organisation = membership.organisation
    leaving = membership.user_id == request.user.pk
    if not leaving and not can_manage_organisation(request.user, organisation):
        raise PermissionDenied
    if request.method == "POST":
        try:
            services.remove_member(membership=membership, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("organisations:members", slug=organisation.slug)
        if leaving:
            messages.success(
                request, _("You have left %(organisation)s.") % {"organisation": organisation.name}
            )
            return redirect("organisations:mine")
        messages.success(
            request,
            _("%(email)s is no longer a member of %(organisation)s.")
            % {"email": membership.user.email, "organisation": organisation.name},
        )
        return redirect("organisations:members", slug=organisation.slug)
    return render(
        request,
        "organisations/member_remove.html",
        {"organisation": organisation, "target": membership, "leaving": leaving},
    )


# --- Email domains -------------------------------------------------------------------------


@login_required
@GET_OR_POST
def domains(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's email domains and whether a moderator has verified them."""
    organisation = _organisation(slug)
    access = _require_members_view(request, organisation)
    form = EmailDomainForm(data=request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not access["can_manage"]:
            raise PermissionDenied
        if form.is_valid():
            try:
                email_domain = services.add_email_domain(
                    organisation=organisation,
                    domain=form.cleaned_data["domain"],
                    actor=request.user,
                )
            except ValidationError as exc:
                form.add_error("domain", exc)
            except DomainError as exc:
                form.add_error("domain", exc.message)
            else:
                messages.success(
                    request,
                    _("%(domain)s is listed. A moderator will check it before it is verified.")
                    % {"domain": email_domain.domain},
                )
                return redirect("organisations:domains", slug=organisation.slug)
    return render(
        request,
        "organisations/domains.html",
        {
            "organisation": organisation,
            "email_domains": organisation.email_domains.all(),
            "form": form,
            **access,
        },
    )


@login_required
@require_POST
def domain_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    email_domain = get_object_or_404(
        EmailDomain.objects.select_related("organisation"), pk=pk, organisation__slug=slug
    )
    organisation = email_domain.organisation
    if not can_manage_organisation(request.user, organisation):
        raise PermissionDenied
    try:
        services.remove_email_domain(email_domain=email_domain, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(domain)s is no longer listed.") % {"domain": email_domain.domain}
        )
    return redirect("organisations:domains", slug=organisation.slug)
