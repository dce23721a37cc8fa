"""Every change to a letter: drafting, versions, coordinators and the lifecycle.

Letter: draft → open → closed → published; closed → open (with a new deadline). Each service
runs in one transaction, locks the letter row, records an audit event and raises a
TransitionError / NotAllowed before changing anything when the rules say no.
"""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import is_coordinator
from audit.actions import Action
from audit.services import record_event
from core.errors import DomainError, NotAllowed, TransitionError
from core.locale import supported
from organisations.models import Organisation
from webhooks.events import Event

from .. import selectors
from ..models import Letter, LetterCoordinator, LetterDelivery, LetterVersion, content_hash
from ..permissions import can_edit_letter, can_manage_coordinators
from .invitations import send_held_invitations
from .publication import invalidate_public_list, record_delivery
from .signatures import request_reconfirmations
from .webhook_events import emit

S = Letter.Status

# Settings a coordinator may change with update_letter (the text goes through versions).
SETTINGS_FIELDS = (
    "recipient",
    "summary",
    "deadline",
    "publication_date",
    "sign_on_mode",
    "moderation_policy",
    "signatories_public_while_open",
    "reminder_days_before",
    "public_contact_email",
)


def _lock(letter: Letter) -> Letter:
    """Re-read the letter under a row lock: two coordinators clicking at once serialise here,
    and the second sees the state the first left."""
    return Letter.objects.select_for_update().get(pk=letter.pk)


def _require_editor(actor: User, letter: Letter) -> None:
    if not can_edit_letter(actor, letter):
        raise NotAllowed(_("Only the letter's coordinators can do this."))


# First path segments under /letters/ that are pages, not letters.
RESERVED_SLUGS = frozenset(
    {"new", "dashboard", "my-signatures", "invitations", "signatures", "page", "feed", "leads"}
)


def _unique_slug(title: str) -> str:
    base = slugify(title, allow_unicode=True)[:70].strip("-") or "letter"
    slug, n = base, 1
    while slug in RESERVED_SLUGS or Letter.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def _clean_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise DomainError(_("The letter needs a title."))
    return title


def _new_version(
    *,
    letter: Letter,
    title: str,
    body: str,
    author: User,
    substantive: bool,
    note: str = "",
) -> LetterVersion:
    body = body.replace("\r\n", "\n").strip("\n")
    last = letter.versions.order_by("-number").first()
    if last is not None:
        LetterVersion.objects.filter(pk=last.pk).update(is_current=False)
    return LetterVersion.objects.create(
        letter=letter,
        number=(last.number + 1) if last else 1,
        title=title,
        body=body,
        content_hash=content_hash(title, body),
        author=author,
        is_substantive=substantive,
        note=note.strip(),
        is_current=True,
    )


@transaction.atomic(durable=True)
def create_letter(
    *,
    author: User,
    title: str,
    body: str,
    recipient: str,
    summary: str = "",
    deadline: dt.datetime | None = None,
    publication_date: dt.date | None = None,
    sign_on_mode: str = Letter.SignOnMode.INVITATION,
    moderation_policy: str = Letter.ModerationPolicy.REVIEW_ALL,
    signatories_public_while_open: bool = False,
    lead_organisations: Iterable[Organisation] = (),
    language: str = "",
) -> Letter:
    """A coordinator starts a draft: version 1, and the author as its owner. `language`: that
    of the authoritative text (by default the site's)."""
    if not is_coordinator(author):
        raise NotAllowed(_("Only coordinators can create letters."))
    title = _clean_title(title)
    code = supported(language) if language else django_settings.LANGUAGE_CODE
    if code is None:
        raise DomainError(_("That language is not available."))
    letter = Letter.objects.create(
        title=title,
        slug=_unique_slug(title),
        recipient=recipient.strip(),
        summary=summary.strip(),
        deadline=deadline,
        publication_date=publication_date,
        sign_on_mode=sign_on_mode,
        moderation_policy=moderation_policy,
        signatories_public_while_open=signatories_public_while_open,
        created_by=author,
        language=code,
    )
    letter.lead_organisations.set(lead_organisations)
    LetterCoordinator.objects.create(letter=letter, user=author, role=LetterCoordinator.Role.OWNER)
    version = _new_version(letter=letter, title=title, body=body, author=author, substantive=False)
    record_event(
        action=Action.LETTER_CREATED, actor=author, target=letter, data={"version": version.number}
    )
    return letter


@transaction.atomic(durable=True)
def update_letter(
    *,
    letter: Letter,
    actor: User,
    title: str | None = None,
    body: str | None = None,
    substantive: bool = False,
    note: str = "",
    lead_organisations: Iterable[Organisation] | None = None,
    **settings: object,
) -> LetterVersion | None:
    """Change the text and/or settings. A changed text becomes a new version (returned);
    the coordinator says whether the change is substantive. Published letters are frozen."""
    letter = _lock(letter)
    _require_editor(actor, letter)
    if letter.status == S.PUBLISHED:
        raise TransitionError(_("A published letter cannot be changed."))
    unknown = set(settings) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Not a letter setting: {', '.join(sorted(unknown))}")
    new_deadline = settings.get("deadline", letter.deadline)
    if (
        letter.status == S.OPEN
        and isinstance(new_deadline, dt.datetime)
        and new_deadline != letter.deadline
        and new_deadline <= timezone.now()
    ):
        raise DomainError(_("The deadline of an open letter must be in the future."))

    if (
        settings.get("signatories_public_while_open") is True
        and not letter.signatories_public_while_open
        and letter.status != S.DRAFT
    ):
        # Names organisations that signed under the embargo: its own step, with notice to
        # each of them (services.embargo.request_embargo_lift), never a settings change.
        raise DomainError(
            _(
                "Organisations signed while the list was private. To make the list public, use "
                "“Make the list public”: every signer is told first and can change how they "
                "appear."
            )
        )
    version = None
    current = selectors.current_version_of(letter)
    new_title = _clean_title(title) if title is not None else current.title
    new_body = (body if body is not None else current.body).replace("\r\n", "\n").strip("\n")
    if content_hash(new_title, new_body) != current.content_hash:
        version = _new_version(
            letter=letter,
            title=new_title,
            body=new_body,
            author=actor,
            substantive=substantive and letter.status != S.DRAFT,
            note=note,
        )
        letter.title = new_title

    changed = [f for f, v in settings.items() if getattr(letter, f) != v]
    for field in changed:
        setattr(letter, field, settings[field])
    if settings.get("signatories_public_while_open") is False and letter.embargo_lift_at:
        letter.embargo_lift_at = None  # back to the embargo: a pending lift is called off
        changed.append("embargo_lift_at")
    if version is not None or changed:
        letter.save()
    if lead_organisations is not None:
        new_leads = {o.pk for o in lead_organisations}
        if new_leads != set(letter.lead_organisations.values_list("pk", flat=True)):
            letter.lead_organisations.set(new_leads)
            changed.append("lead_organisations")
            invalidate_public_list(letter_ids=[letter.pk])  # leads come first on the list
    if version is not None and version.is_substantive and letter.status in {S.OPEN, S.CLOSED}:
        # Signers agreed to an older text: each is asked to re-confirm the new one.
        request_reconfirmations(letter=letter, version=version)
    if version is not None:
        record_event(
            action=Action.LETTER_VERSION_SAVED,
            actor=actor,
            target=letter,
            data={"version": version.number, "substantive": version.is_substantive},
            reason=version.note,
        )
    if changed:
        record_event(
            action=Action.LETTER_SETTINGS_CHANGED,
            actor=actor,
            target=letter,
            data={"fields": changed},
        )
    return version


def correct_summary(*, letter: Letter, actor: User, summary: str) -> Letter:
    """Correct the summary of a published letter: the only change a published letter allows
    (its text is frozen). Each correction is audited with the old and the new value."""
    letter = _lock(letter)
    _require_editor(actor, letter)
    if letter.status != S.PUBLISHED:
        raise TransitionError(
            _("Change the summary in the letter's settings until it is published.")
        )
    summary = summary.replace("\r\n", "\n").strip()
    max_length = Letter._meta.get_field("summary").max_length or 600
    if len(summary) > max_length:
        raise DomainError(
            _("The summary can be at most %(max)d characters long.") % {"max": max_length}
        )
    if summary == letter.summary:
        return letter
    old = letter.summary
    letter.summary = summary
    letter.save(update_fields=["summary", "updated_at"])
    record_event(
        action=Action.LETTER_SUMMARY_CORRECTED,
        actor=actor,
        target=letter,
        data={"old": old, "new": summary},
    )
    return letter


def _require_status(letter: Letter, *allowed: str) -> None:
    if letter.status not in allowed:
        raise TransitionError(
            _("This is not possible while the letter is “%(status)s”.")
            % {"status": letter.get_status_display()}
        )


@transaction.atomic(durable=True)
def open_letter(*, letter: Letter, actor: User) -> Letter:
    """Start collecting signatures."""
    letter = _lock(letter)
    _require_editor(actor, letter)
    _require_status(letter, S.DRAFT)
    if letter.deadline is not None and letter.deadline <= timezone.now():
        raise TransitionError(_("The deadline has passed: set a later one before opening."))
    if not selectors.current_version_of(letter).body.strip():
        raise TransitionError(_("The letter has no text yet."))
    letter.status = S.OPEN
    letter.opened_at = timezone.now()
    letter.save(update_fields=["status", "opened_at", "updated_at"])
    held = send_held_invitations(letter)
    record_event(
        action=Action.LETTER_OPENED,
        actor=actor,
        target=letter,
        data={"held_invitations_sent": held} if held else None,
    )
    emit(letter=letter, event=Event.LETTER_OPENED)
    return letter


@transaction.atomic(durable=True)
def close_letter(*, letter: Letter, actor: User | None, reason: str = "") -> Letter:
    """Stop collecting signatures. `actor` is None when the deadline task closes it."""
    letter = _lock(letter)
    if actor is not None:
        _require_editor(actor, letter)
    _require_status(letter, S.OPEN)
    letter.status = S.CLOSED
    letter.closed_at = timezone.now()
    letter.save(update_fields=["status", "closed_at", "updated_at"])
    record_event(action=Action.LETTER_CLOSED, actor=actor, target=letter, reason=reason)
    emit(letter=letter, event=Event.LETTER_CLOSED)
    return letter


@transaction.atomic(durable=True)
def reopen_letter(*, letter: Letter, actor: User, deadline: dt.datetime | None) -> Letter:
    """Extend sign-on: back to open, with a deadline in the future (or none)."""
    letter = _lock(letter)
    _require_editor(actor, letter)
    _require_status(letter, S.CLOSED)
    if deadline is not None and deadline <= timezone.now():
        raise TransitionError(_("The new deadline must be in the future."))
    letter.status = S.OPEN
    letter.deadline = deadline
    letter.closed_at = None
    letter.save(update_fields=["status", "deadline", "closed_at", "updated_at"])
    record_event(
        action=Action.LETTER_REOPENED,
        actor=actor,
        target=letter,
        data={"deadline": deadline.isoformat() if deadline else None},
    )
    emit(letter=letter, event=Event.LETTER_OPENED, data={"reopened": True})
    return letter


@transaction.atomic(durable=True)
def publish_letter(
    *,
    letter: Letter,
    actor: User,
    delivered_on: dt.date | None = None,
    delivered_to: str = "",
    method: str = "",
    older_versions: str = LetterDelivery.OlderVersions.MARK,
) -> Letter:
    """Make the letter and its list of signatories public. Final: the text is frozen. Records
    the delivery (by default today, to the letter's recipient) with the list as it stands, and
    emails every approved signer (services.publication)."""
    letter = _lock(letter)
    _require_editor(actor, letter)
    _require_status(letter, S.CLOSED)
    if older_versions not in LetterDelivery.OlderVersions.values:
        raise DomainError(_("Choose what to do with signatures of an earlier text."))
    version = selectors.current_version_of(letter)
    letter.status = S.PUBLISHED
    letter.published_at = timezone.now()
    letter.save(update_fields=["status", "published_at", "updated_at"])
    delivery = record_delivery(
        letter=letter,
        actor=actor,
        version=version,
        delivered_on=delivered_on,
        delivered_to=delivered_to,
        method=method,
        older_versions=older_versions,
    )
    record_event(
        action=Action.LETTER_PUBLISHED,
        actor=actor,
        target=letter,
        data={
            "version": version.number,
            "delivered_on": delivery.delivered_on.isoformat(),
            "delivered_to": delivery.delivered_to,
            "method": delivery.method,
            "signatories": len(delivery.signatories),
            "older_versions": older_versions,
        },
    )
    emit(letter=letter, event=Event.LETTER_PUBLISHED)
    return letter


def close_letters_past_deadline(*, now: dt.datetime | None = None) -> list[int]:
    """Close every open letter whose deadline has passed. Idempotent: a letter already closed
    (by a coordinator, or by a previous run) is skipped, not an error."""
    now = now or timezone.now()
    closed = []
    for pk in Letter.objects.filter(status=S.OPEN, deadline__lte=now).values_list("pk", flat=True):
        try:
            close_letter(letter=Letter(pk=pk), actor=None, reason=_("The sign-on deadline passed."))
        except TransitionError:
            continue  # closed meanwhile by someone else
        closed.append(pk)
    return closed


# --- Coordinators --------------------------------------------------------------------------


@transaction.atomic(durable=True)
def add_coordinator(
    *, letter: Letter, actor: User, email: str, role: str = LetterCoordinator.Role.EDITOR
) -> LetterCoordinator:
    """An owner adds a co-coordinator: someone with a confirmed account in the coordinators
    group (coordinators see signers' contact details, so the group is the vetted set)."""
    letter = _lock(letter)
    if not can_manage_coordinators(actor, letter):
        raise NotAllowed(_("Only the letter's owners can add coordinators."))
    if role not in LetterCoordinator.Role.values:
        raise DomainError(_("Unknown role."))
    user = User.objects.filter(
        emailaddress__email__iexact=email.strip(), emailaddress__verified=True
    ).first()
    if user is None or not is_coordinator(user):
        raise DomainError(
            _(
                "%(email)s is not a coordinator on Undersigned. They need a confirmed account "
                "in the coordinators group; ask an administrator to add them."
            )
            % {"email": email.strip()}
        )
    if LetterCoordinator.objects.filter(letter=letter, user=user).exists():
        raise DomainError(_("%(email)s already coordinates this letter.") % {"email": user.email})
    coordinator = LetterCoordinator.objects.create(letter=letter, user=user, role=role)
    record_event(
        action=Action.LETTER_COORDINATOR_ADDED,
        actor=actor,
        target=letter,
        data={"user_id": user.pk, "email": user.email, "role": role},
    )
    return coordinator


@transaction.atomic(durable=True)
def remove_coordinator(*, letter: Letter, actor: User, user: User) -> None:
    """An owner removes a coordinator (a coordinator may also step down). The last owner
    cannot be removed: a letter always has someone who can manage it."""
    letter = _lock(letter)
    if actor.pk != user.pk and not can_manage_coordinators(actor, letter):
        raise NotAllowed(_("Only the letter's owners can remove coordinators."))
    coordinator = LetterCoordinator.objects.filter(letter=letter, user=user).first()
    if coordinator is None:
        raise DomainError(_("This person does not coordinate the letter."))
    if (
        coordinator.is_owner
        and not LetterCoordinator.objects.filter(letter=letter, role=LetterCoordinator.Role.OWNER)
        .exclude(pk=coordinator.pk)
        .exists()
    ):
        raise DomainError(_("The last owner cannot be removed. Make someone else an owner first."))
    coordinator.delete()
    record_event(
        action=Action.LETTER_COORDINATOR_REMOVED,
        actor=actor,
        target=letter,
        data={"user_id": user.pk, "email": user.email},
    )


@transaction.atomic(durable=True)
def set_coordinator_role(*, letter: Letter, actor: User, user: User, role: str) -> None:
    letter = _lock(letter)
    if not can_manage_coordinators(actor, letter):
        raise NotAllowed(_("Only the letter's owners can change roles."))
    if role not in LetterCoordinator.Role.values:
        raise DomainError(_("Unknown role."))
    coordinator = LetterCoordinator.objects.filter(letter=letter, user=user).first()
    if coordinator is None:
        raise DomainError(_("This person does not coordinate the letter."))
    if coordinator.role == role:
        return
    if (
        coordinator.is_owner
        and not LetterCoordinator.objects.filter(letter=letter, role=LetterCoordinator.Role.OWNER)
        .exclude(pk=coordinator.pk)
        .exists()
    ):
        raise DomainError(_("A letter needs at least one owner."))
    coordinator.role = role
    coordinator.save(update_fields=["role", "updated_at"])
    record_event(
        action=Action.LETTER_COORDINATOR_ROLE_CHANGED,
        actor=actor,
        target=letter,
        data={"user_id": user.pk, "role": role},
    )
