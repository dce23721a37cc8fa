"""Organisation pages. Each view: authorise → validate → one service call → message → redirect.

The public page of an organisation is open to everyone; its members and email domains are
visible to its members and to moderators only; changes need an org admin or a moderator.
Services have the last word on every rule: their domain errors become form errors or
messages here, never a 500.
"""

import re
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.roles import is_moderator
from core import ratelimit
from core.errors import DomainError, TransitionError

from . import services
from .forms import (
    EmailDomainForm,
    InviteMemberForm,
    MemberRoleForm,
    OrganisationCreateForm,
    OrganisationEditForm,
)
from .models import (
    EmailDomain,
    Membership,
    MembershipInvitation,
    MembershipRequest,
    Organisation,
)
from .names import lookalike_key, normalise_name
from .permissions import (
    can_accept_invitation,
    can_manage_organisation,
    can_see_members,
    can_view_organisation_page,
)
from .selectors import (
    invitation_by_secret,
    likely_duplicates,
    members_of,
    organisations_of,
    pending_invitations_of,
    pending_requests_of,
    sealed_namesake,
    split_by_visibility,
)

GET_OR_POST = require_http_methods(["GET", "HEAD", "POST"])
# Logos are shown inside this box (CSS pixels), keeping their proportions.
LOGO_BOX = (192, 96)
# Anyone can register an organisation, so the invitation form could otherwise send mail
# from Undersigned to any address, as fast as one can type.
INVITATIONS_PER_HOUR = ratelimit.Limit(30, 60 * 60)


def _organisation(slug: str) -> Organisation:
    return get_object_or_404(Organisation, slug=slug)


def _reachable(request: HttpRequest, organisation: Organisation) -> HttpResponse | None:
    """Whether the visitor may know the organisation exists, as its page decides: an
    organisation whose page they may not see answers 404 everywhere under its slug, exactly as
    one that does not exist (a 403 would say it does). Then anonymous visitors are sent to
    log in. None when the view may go on."""
    if not can_view_organisation_page(request.user, organisation):
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return None


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


def _name_taken(
    request: HttpRequest,
    form: OrganisationCreateForm | OrganisationEditForm,
    exc: services.DuplicateOrganisation,
    context: dict[str, Any],
) -> None:
    """The name is taken: by an organisation the user may see, named with a link; by a hidden
    one, a message that names nothing, and a flag for the moderators."""
    shown, _hidden = split_by_visibility([exc.existing], request.user)
    if shown:
        form.add_error("name", exc.message)
        context["existing"] = exc.existing
        return
    services.refer_registration(
        name=form.cleaned_data["name"],
        existing=exc.existing,
        requested_by=request.user,
        details={},
    )
    form.add_error(
        "name",
        _("This name cannot be used without a moderator's check; we have asked one to look."),
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
        # Only organisations whose page the user may see are suggested; the others go to the
        # moderators, unseen (a list naming them would say Undersigned knows them).
        candidates, hidden = split_by_visibility(
            likely_duplicates(data["name"], acronym=data["acronym"]), request.user
        )
        key, lookalike = normalise_name(data["name"]), lookalike_key(data["name"])

        def same(org: Organisation) -> bool:
            # The same name, or one that reads the same (UTS #39 skeleton).
            return org.normalised_name == key or org.lookalike_key == lookalike

        exact = next((org for org in candidates if same(org)), None)
        exact_hidden = next((org for org in hidden if same(org)), None)
        if exact is None and exact_hidden is None:
            # A sealed one is never among the suggestions; its exact match is hidden too.
            sealed_shown, sealed_hidden = split_by_visibility(
                [o for o in [sealed_namesake(data["name"])] if o is not None], request.user
            )
            exact = next(iter(sealed_shown), None)
            exact_hidden = next(iter(sealed_hidden), None)
        if exact is not None:
            form.add_error("name", services.DuplicateOrganisation(exact).message)
            context["existing"] = exact
        elif exact_hidden is not None:
            services.refer_registration(
                name=data["name"],
                existing=exact_hidden,
                requested_by=request.user,
                details={
                    field: data[field]
                    for field in ("acronym", "based_in", "website", "description")
                },
            )
            messages.info(
                request,
                _(
                    "A moderator needs to check this registration before it can go ahead. "
                    "They will write to you at %(email)s."
                )
                % {"email": request.user.email},
            )
            return redirect("organisations:mine")
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
                    like_hidden=hidden,
                )
            except services.DuplicateOrganisation as exc:
                _name_taken(request, form, exc, context)
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
    if organisation.merged_into_id is not None:
        # A duplicate a moderator merged: its old links lead to the organisation it became,
        # if the visitor may see that one (else a 404, as for a slug nobody registered).
        target = organisation.merged_into
        if target is None or not can_view_organisation_page(request.user, target):
            raise Http404
        return redirect(target)
    if not can_view_organisation_page(request.user, organisation):
        raise Http404
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


@GET_OR_POST
def edit(request: HttpRequest, slug: str) -> HttpResponse:
    organisation = _organisation(slug)
    if (answer := _reachable(request, organisation)) is not None:
        return answer
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
            context: dict[str, Any] = {}
            _name_taken(request, form, exc, context)
            existing = context.get("existing")
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


@GET_OR_POST
def members(request: HttpRequest, slug: str) -> HttpResponse:
    """The member list; org admins invite people here by email.

    Inviting says the same whether or not the address has an account on Undersigned: this
    page must not tell anyone who registers an organisation who uses the site.
    """
    organisation = _organisation(slug)
    if (answer := _reachable(request, organisation)) is not None:
        return answer
    access = _require_members_view(request, organisation)
    form = InviteMemberForm(data=request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if not access["can_manage"]:
            raise PermissionDenied
        if form.is_valid():
            if not ratelimit.hit("member-invite", str(request.user.pk), INVITATIONS_PER_HOUR):
                form.add_error(
                    None,
                    _("You have sent many invitations in the last hour. Please wait a while."),
                )
                status = 429
            else:
                try:
                    invitation = services.invite_member(
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
                        _("Invitation sent to %(email)s. They join when they accept it.")
                        % {"email": invitation.email},
                    )
                    return redirect("organisations:members", slug=organisation.slug)
    return render(
        request,
        "organisations/members.html",
        {
            "organisation": organisation,
            "memberships": members_of(organisation),
            # Invitees have not agreed to anything yet: only those who manage see them.
            "invitations": pending_invitations_of(organisation) if access["can_manage"] else [],
            "requests": pending_requests_of(organisation) if access["can_manage"] else [],
            "invitation_days": MembershipInvitation.VALID_FOR.days,
            "form": form,
            "roles": MemberRoleForm.base_fields["role"].choices,
            **access,
        },
        status=status,
    )


def _membership(slug: str, pk: int) -> Membership:
    return get_object_or_404(
        Membership.objects.select_related("user", "organisation"),
        pk=pk,
        organisation__slug=slug,
    )


@require_POST
def member_role(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = _membership(slug, pk)
    if (answer := _reachable(request, membership.organisation)) is not None:
        return answer
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


@GET_OR_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """GET asks for confirmation, POST removes. A member may remove themselves (leave)."""
    membership = _membership(slug, pk)
    organisation = membership.organisation
    if (answer := _reachable(request, organisation)) is not None:
        return answer
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


# --- Invitations ---------------------------------------------------------------------------


def _with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request: HttpRequest, secret: str) -> HttpResponse:
    """From the invitee's email. A GET only shows the invitation (mail scanners open every
    link); its button POSTs. Only the owner of the invited address, logged in with it
    confirmed, can accept: holding the link is not enough, since emails get forwarded."""
    invitation = invitation_by_secret(secret)
    if invitation is None:
        return render(request, "organisations/invitation_unusable.html", status=404)
    if not invitation.is_acceptable:
        return render(
            request,
            "organisations/invitation_unusable.html",
            {"invitation": invitation, "reason": services.unusable_reason(invitation)},
            status=410,
        )
    status = 200
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.path)
        try:
            membership = services.accept_membership_invitation(secret=secret, user=request.user)
        except TransitionError as exc:  # revoked or accepted a moment ago
            return render(
                request,
                "organisations/invitation_unusable.html",
                {"invitation": invitation, "reason": exc.message},
                status=410,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
            status = 403
        else:
            messages.success(
                request,
                _("You are now a member of %(organisation)s.")
                % {"organisation": membership.organisation.name},
            )
            return redirect("organisations:members", slug=membership.organisation.slug)
    user = request.user
    context: dict[str, Any] = {
        "invitation": invitation,
        "organisation": invitation.organisation,
        "can_accept": can_accept_invitation(user, invitation),
    }
    if user.is_authenticated:
        context["address"] = user.emailaddress_set.filter(email__iexact=invitation.email).first()
        context["already_member"] = invitation.organisation.memberships.filter(user=user).exists()
        context["logout_url"] = _with_next("account_logout", request.path)
    else:
        context["login_url"] = _with_next("account_login", request.path)
        context["signup_url"] = _with_next("account_signup", request.path)
    return render(request, "organisations/invitation_accept.html", context, status=status)


@require_POST
def invitation_revoke(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    invitation = get_object_or_404(
        MembershipInvitation.objects.select_related("organisation"),
        pk=pk,
        organisation__slug=slug,
    )
    organisation = invitation.organisation
    if (answer := _reachable(request, organisation)) is not None:
        return answer
    if not can_manage_organisation(request.user, organisation):
        raise PermissionDenied
    try:
        services.revoke_membership_invitation(invitation=invitation, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The invitation to %(email)s is revoked: its link no longer works.")
            % {"email": invitation.email},
        )
    return redirect("organisations:members", slug=organisation.slug)


@require_POST
def membership_request(request: HttpRequest, slug: str, pk: int, decision: str) -> HttpResponse:
    """An admin approves (as a member) or declines a request to join."""
    if decision not in {"approve", "decline"}:
        raise Http404
    join_request = get_object_or_404(
        MembershipRequest.objects.select_related("organisation", "user"),
        pk=pk,
        organisation__slug=slug,
    )
    organisation = join_request.organisation
    if (answer := _reachable(request, organisation)) is not None:
        return answer
    if not can_manage_organisation(request.user, organisation):
        raise PermissionDenied
    try:
        services.answer_membership_request(
            request=join_request, approve=decision == "approve", actor=request.user
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if decision == "approve":
            message = _("%(email)s is now a member.")
        else:
            message = _("The request of %(email)s is declined.")
        messages.success(request, message % {"email": join_request.user.email})
    return redirect("organisations:members", slug=organisation.slug)


# --- Email domains -------------------------------------------------------------------------


@GET_OR_POST
def domains(request: HttpRequest, slug: str) -> HttpResponse:
    """The organisation's email domains and whether a moderator has verified them."""
    organisation = _organisation(slug)
    if (answer := _reachable(request, organisation)) is not None:
        return answer
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


@require_POST
def domain_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    email_domain = get_object_or_404(
        EmailDomain.objects.select_related("organisation"), pk=pk, organisation__slug=slug
    )
    organisation = email_domain.organisation
    if (answer := _reachable(request, organisation)) is not None:
        return answer
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
