"""Changes to an account that are not allauth's (which owns email, password and 2FA)."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, NotAllowed, TransitionError
from core.locale import supported, with_language
from outbox.services import queue_email

from .models import CoordinatorRequest, User
from .roles import COORDINATORS, MODERATORS, is_coordinator, is_moderator


def set_account_language(*, user: User, language: str) -> User:
    """Save the interface language `user` chose: their pages after login and their account's
    emails use it. An unknown language raises ValidationError and changes nothing; choosing
    the language already saved writes nothing."""
    code = supported(language)
    if code is None or code != language.strip().lower():
        raise ValidationError(_("That language is not available."), code="language")
    if user.language != code:
        user.language = code
        user.save(update_fields=["language"])
    return user


# --- Display name ----------------------------------------------------------------------------


def set_display_name(*, user: User, name: str) -> User:
    """The name the account goes by: shown to its co-coordinators, fellow members and
    moderators, never on a public page. Surrounding and repeated spaces are dropped; a blank
    name raises ValidationError and changes nothing."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ValidationError(_("Enter your name."), code="required")
    if len(cleaned) > User._meta.get_field("name").max_length:
        raise ValidationError(_("That name is too long."), code="max_length")
    if user.name != cleaned:
        user.name = cleaned
        user.save(update_fields=["name"])
    return user


# --- Becoming a coordinator ------------------------------------------------------------------


def moderators() -> QuerySet[User]:
    """Who is told of a request to coordinate: every active moderator."""
    return User.objects.filter(is_active=True, groups__name=MODERATORS).distinct().order_by("pk")


def pending_coordinator_request(user: User) -> CoordinatorRequest | None:
    return CoordinatorRequest.objects.filter(
        user=user, status=CoordinatorRequest.Status.PENDING
    ).first()


def _site_url(name: str, **kwargs: Any) -> str:
    return settings.SITE_URL + reverse(name, kwargs=kwargs or None)


@transaction.atomic
def request_coordinator_role(*, user: User, organisation: str, purpose: str) -> CoordinatorRequest:
    """Ask the moderators for the coordinator role. Each active moderator is emailed a link to
    the request in the admin (the request's words stay in the admin, not in the email). Refused
    for a coordinator, and while an earlier request waits."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if is_coordinator(user):
        raise TransitionError(_("You are already a coordinator."))
    if pending_coordinator_request(user) is not None:
        raise TransitionError(
            _(
                "Your earlier request is still waiting for a moderator: there is no need to ask again."
            )
        )
    organisation, purpose = " ".join(organisation.split()), purpose.strip()
    if not organisation or not purpose:
        raise DomainError(_("Say which organisation you coordinate for, and which letter."))
    request = CoordinatorRequest.objects.create(
        user=user, organisation=organisation, purpose=purpose
    )
    record_event(action=Action.COORDINATOR_REQUESTED, actor=user, target=request)
    admin_url = _site_url("admin:accounts_coordinatorrequest_change", object_id=request.pk)
    for moderator in moderators():
        queue_email(
            kind="coordinator_request",
            to=moderator.email,
            context={"request_url": admin_url},
            dedupe_key=f"coordinator-request:{request.pk}:{moderator.pk}",
            language=moderator.language or settings.LANGUAGE_CODE,
        )
    return request


def _decidable(request: CoordinatorRequest, actor: User) -> CoordinatorRequest:
    if not is_moderator(actor):
        raise NotAllowed(_("Only moderators can decide requests to coordinate."))
    request = (
        CoordinatorRequest.objects.select_for_update().select_related("user").get(pk=request.pk)
    )
    if request.status != CoordinatorRequest.Status.PENDING:
        raise TransitionError(
            _("This request was already decided (%(status)s).")
            % {"status": request.get_status_display()}
        )
    if request.user_id == actor.pk:
        raise NotAllowed(_("Another moderator must decide your own request."))
    return request


@transaction.atomic
def grant_coordinator_request(*, request: CoordinatorRequest, actor: User) -> CoordinatorRequest:
    """A moderator grants the role: the account joins the Coordinators group (and, as staff,
    must set up two-factor authentication at its next page), and its holder is emailed."""
    request = _decidable(request, actor)
    request.user.groups.add(Group.objects.get(name=COORDINATORS))
    return _decided(request, actor, CoordinatorRequest.Status.GRANTED)


@transaction.atomic
def decline_coordinator_request(*, request: CoordinatorRequest, actor: User) -> CoordinatorRequest:
    """A moderator declines: the holder is emailed, and may ask again later."""
    return _decided(_decidable(request, actor), actor, CoordinatorRequest.Status.DECLINED)


_DECISIONS = {
    CoordinatorRequest.Status.GRANTED: (Action.COORDINATOR_GRANTED, "coordinator_granted"),
    CoordinatorRequest.Status.DECLINED: (Action.COORDINATOR_DECLINED, "coordinator_declined"),
}


def _decided(request: CoordinatorRequest, actor: User, status: str) -> CoordinatorRequest:
    """Record the decision, in the audit trail too, and email the requester."""
    action, email_kind = _DECISIONS[CoordinatorRequest.Status(status)]
    request.status = status
    request.decided_at, request.decided_by = timezone.now(), actor
    request.save(update_fields=["status", "decided_at", "decided_by"])
    record_event(action=action, actor=actor, target=request)
    _tell_requester(request, email_kind)
    return request


def _in(language: str, url: str) -> str:
    """A link that opens the page in the reader's language (the site's own needs nothing)."""
    return url if language == settings.LANGUAGE_CODE else with_language(url, language)


def _tell_requester(request: CoordinatorRequest, kind: str) -> None:
    user = request.user
    language = user.language or settings.LANGUAGE_CODE
    queue_email(
        kind=kind,
        to=user.email,
        context={
            "user": user,
            "organisation": request.organisation,
            "new_letter_url": _in(language, _site_url("letters:create")),
            "security_url": _in(language, _site_url("mfa_index")),
        },
        dedupe_key=f"coordinator-request:{request.pk}:{kind}",
        language=language,
    )


def purge_decided_coordinator_requests(*, now: dt.datetime | None = None) -> int:
    """Delete the requests decided more than COORDINATOR_REQUEST_RETENTION_DAYS ago, as the
    privacy page says; the audit trail keeps the decision. Returns how many."""
    cutoff = (now or timezone.now()) - dt.timedelta(
        days=settings.COORDINATOR_REQUEST_RETENTION_DAYS
    )
    deleted, _by_model = CoordinatorRequest.objects.filter(
        decided_at__isnull=False, decided_at__lt=cutoff
    ).delete()
    return deleted
